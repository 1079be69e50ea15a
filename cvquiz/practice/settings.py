"""A session's --retention, --new and --learn-ahead against the defaults saved in the store
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
DEFAULT_LEARN_AHEAD_MINUTES = LEARN_AHEAD // timedelta(minutes=1)  # Anki's learn-ahead limit
MAX_LEARN_AHEAD_MINUTES = 24 * 60  # more would show review days early, not learning steps
RETENTION_SETTING = "retention"
NEW_SETTING = "new_per_day"
LEARN_AHEAD_SETTING = "learn_ahead_minutes"
EXAMPLES = {
    RETENTION_SETTING: "--retention 0.9",
    NEW_SETTING: f"--new {DEFAULT_NEW_PER_DAY}",
    LEARN_AHEAD_SETTING: f"--learn-ahead {DEFAULT_LEARN_AHEAD_MINUTES}",
}


@dataclass(frozen=True)
class Plan:
    """The options of a session after defaults and saved settings are applied."""

    retention: float
    new_per_day: int
    saved: bool
    learn_ahead: timedelta = LEARN_AHEAD


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


def _saved_new(text: str) -> int:
    """A saved new-cards-a-day count: a whole number, 0 or more."""
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


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
    save: bool = False,
) -> Plan:
    """Resolve --retention, --new and --learn-ahead against the saved defaults; `save` remembers
    the given ones."""
    if retention is not None:
        check_retention(retention)
    if new_per_day is not None and new_per_day < 0:
        raise CvquizError(f"--new: {new_per_day} is negative (0 means no new cards today)")
    if learn_ahead_minutes is not None:
        check_learn_ahead(learn_ahead_minutes)
    given = {
        RETENTION_SETTING: None if retention is None else repr(retention),
        NEW_SETTING: None if new_per_day is None else str(new_per_day),
        LEARN_AHEAD_SETTING: None if learn_ahead_minutes is None else str(learn_ahead_minutes),
    }
    if save:
        if all(v is None for v in given.values()):
            raise CvquizError(
                "--save: give --retention and/or --new (or --learn-ahead) to save as your defaults"
            )
        for name, text in given.items():
            if text is not None:
                store.set_setting(name, text)
    if retention is None:
        saved = _saved(store, RETENTION_SETTING, lambda t: check_retention(float(t)))
        retention = DEFAULT_RETENTION if saved is None else saved
    if new_per_day is None:
        saved_n = _saved(store, NEW_SETTING, _saved_new)
        new_per_day = DEFAULT_NEW_PER_DAY if saved_n is None else int(saved_n)
    if learn_ahead_minutes is None:
        saved_m = _saved(store, LEARN_AHEAD_SETTING, _saved_learn_ahead)
        learn_ahead_minutes = DEFAULT_LEARN_AHEAD_MINUTES if saved_m is None else int(saved_m)
    return Plan(
        retention=retention, new_per_day=new_per_day, saved=save,
        learn_ahead=timedelta(minutes=learn_ahead_minutes),
    )  # fmt: skip
