"""A session's --retention, --new, --reviews and --learn-ahead against the defaults saved in the store
(and saving them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from cvquiz.errors import CvquizError
from cvquiz.practice.queue import LEARN_AHEAD
from cvquiz.practice.scheduler import DEFAULT_RETENTION, check_retention
from cvquiz.practice.store import Store

DEFAULT_NEW_PER_DAY = 10
DEFAULT_REVIEWS_PER_DAY = 200  # Anki's default daily review limit
DEFAULT_LEARN_AHEAD_MINUTES = LEARN_AHEAD // timedelta(minutes=1)  # Anki's learn-ahead limit
MAX_LEARN_AHEAD_MINUTES = 24 * 60  # more would show review days early, not learning steps
RETENTION_SETTING = "retention"
NEW_SETTING = "new_per_day"
REVIEWS_SETTING = "reviews_per_day"
LEARN_AHEAD_SETTING = "learn_ahead_minutes"
EXAMPLES = {
    RETENTION_SETTING: "--retention 0.9",
    NEW_SETTING: f"--new {DEFAULT_NEW_PER_DAY}",
    REVIEWS_SETTING: f"--reviews {DEFAULT_REVIEWS_PER_DAY}",
    LEARN_AHEAD_SETTING: f"--learn-ahead {DEFAULT_LEARN_AHEAD_MINUTES}",
}


@dataclass(frozen=True)
class Plan:
    """The options of a session after defaults and saved settings are applied."""

    retention: float
    new_per_day: int
    saved: bool
    learn_ahead: timedelta = LEARN_AHEAD
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY  # reviews of review cards a day


def _saved(store: Store, name: str, parse: Callable[[str], float]) -> float | None:
    """A saved setting, or None; a damaged value is one error naming the file and the setting."""
    text = store.setting(name)
    if text is None:
        return None
    try:
        return parse(text)
    except (ValueError, CvquizError):
        raise CvquizError(
            f"{store.path}: the saved setting {name} = {text!r} is damaged; "
            f"save a new one, e.g. {EXAMPLES[name]} --save"
        ) from None


MAX_PER_DAY = 1_000_000  # a count a day beyond this is a typo, not a plan


def _saved_count(text: str) -> int:
    """A saved count a day (new cards, reviews): a whole number, 0 to MAX_PER_DAY."""
    value = int(text)
    if not 0 <= value <= MAX_PER_DAY:
        raise ValueError(text)
    return value


def _check_count(value: int | None, option: str, zero: str) -> None:
    if value is None:
        return
    if value < 0:
        raise CvquizError(f"{option}: {value} is negative (0 means {zero})")
    if value > MAX_PER_DAY:
        raise CvquizError(f"{option}: {value} is more than {MAX_PER_DAY:,} a day")


def check_learn_ahead(minutes: int, *, option: str = "--learn-ahead") -> int:
    """Minutes a learning step may be shown early: 0 to a day."""
    if not 0 <= minutes <= MAX_LEARN_AHEAD_MINUTES:
        raise CvquizError(
            f"{option}: {minutes} is outside 0-{MAX_LEARN_AHEAD_MINUTES} minutes "
            f"(learning steps due this soon come back in the session; Anki's default is "
            f"{DEFAULT_LEARN_AHEAD_MINUTES})"
        )
    return minutes


def _saved_learn_ahead(text: str) -> int:
    return check_learn_ahead(int(text))


def plan(
    store: Store,
    *,
    retention: float | None = None,
    new_per_day: int | None = None,
    learn_ahead_minutes: int | None = None,
    reviews_per_day: int | None = None,
    save: bool = False,
) -> Plan:
    """Resolve --retention, --new, --reviews and --learn-ahead against the saved defaults; `save`
    remembers the given ones."""
    if retention is not None:
        check_retention(retention)
    _check_count(new_per_day, "--new", "no new cards today")
    _check_count(reviews_per_day, "--reviews", "no reviews of due cards today")
    if learn_ahead_minutes is not None:
        check_learn_ahead(learn_ahead_minutes)
    given = {
        RETENTION_SETTING: None if retention is None else repr(retention),
        NEW_SETTING: None if new_per_day is None else str(new_per_day),
        REVIEWS_SETTING: None if reviews_per_day is None else str(reviews_per_day),
        LEARN_AHEAD_SETTING: None if learn_ahead_minutes is None else str(learn_ahead_minutes),
    }
    if save:
        if all(v is None for v in given.values()):
            raise CvquizError(
                "--save: give --retention and/or --new (or --reviews, --learn-ahead) to save as "
                "your defaults"
            )
        for name, text in given.items():
            if text is not None:
                store.set_setting(name, text)
    if retention is None:
        saved = _saved(store, RETENTION_SETTING, lambda t: check_retention(float(t)))
        retention = DEFAULT_RETENTION if saved is None else saved
    if new_per_day is None:
        saved_n = _saved(store, NEW_SETTING, _saved_count)
        new_per_day = DEFAULT_NEW_PER_DAY if saved_n is None else int(saved_n)
    if reviews_per_day is None:
        saved_r = _saved(store, REVIEWS_SETTING, _saved_count)
        reviews_per_day = DEFAULT_REVIEWS_PER_DAY if saved_r is None else int(saved_r)
    if learn_ahead_minutes is None:
        saved_m = _saved(store, LEARN_AHEAD_SETTING, _saved_learn_ahead)
        learn_ahead_minutes = DEFAULT_LEARN_AHEAD_MINUTES if saved_m is None else int(saved_m)
    return Plan(
        retention=retention, new_per_day=new_per_day, saved=save,
        learn_ahead=timedelta(minutes=learn_ahead_minutes), reviews_per_day=reviews_per_day,
    )  # fmt: skip
