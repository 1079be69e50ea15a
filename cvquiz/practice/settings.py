"""A session's --retention and --new against the defaults saved in the store (and saving them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cvquiz.errors import CvquizError
from cvquiz.practice.scheduler import DEFAULT_RETENTION, check_retention
from cvquiz.practice.store import Store

DEFAULT_NEW_PER_DAY = 10
RETENTION_SETTING = "retention"
NEW_SETTING = "new_per_day"


@dataclass(frozen=True)
class Plan:
    """The options of a session after defaults and saved settings are applied."""

    retention: float
    new_per_day: int
    saved: bool


def _saved(store: Store, name: str, parse: Callable[[str], float]) -> float | None:
    """A saved setting, or None; a damaged value is one error naming the file and the setting."""
    text = store.setting(name)
    if text is None:
        return None
    try:
        return parse(text)
    except (ValueError, CvquizError):
        example = f"--new {DEFAULT_NEW_PER_DAY}" if name == NEW_SETTING else f"--{name} 0.9"
        raise CvquizError(
            f"{store.path}: the saved setting {name} = {text!r} is damaged; "
            f"save a new one, e.g. {example} --save"
        ) from None


def _saved_new(text: str) -> int:
    """A saved new-cards-a-day count: a whole number, 0 or more."""
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def plan(
    store: Store,
    *,
    retention: float | None = None,
    new_per_day: int | None = None,
    save: bool = False,
) -> Plan:
    """Resolve --retention and --new against the saved defaults; `save` remembers the given ones."""
    if retention is not None:
        check_retention(retention)
    if new_per_day is not None and new_per_day < 0:
        raise CvquizError(f"--new: {new_per_day} is negative (0 means no new cards today)")
    if save:
        if retention is None and new_per_day is None:
            raise CvquizError("--save: give --retention and/or --new to save as your defaults")
        if retention is not None:
            store.set_setting(RETENTION_SETTING, repr(retention))
        if new_per_day is not None:
            store.set_setting(NEW_SETTING, str(new_per_day))
    if retention is None:
        saved = _saved(store, RETENTION_SETTING, lambda t: check_retention(float(t)))
        retention = DEFAULT_RETENTION if saved is None else saved
    if new_per_day is None:
        saved_n = _saved(store, NEW_SETTING, _saved_new)
        new_per_day = DEFAULT_NEW_PER_DAY if saved_n is None else int(saved_n)
    return Plan(retention=retention, new_per_day=new_per_day, saved=save)
