"""Time for the progress store: timezone-aware UTC always, a study day that starts at 04:00 local time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from cvquiz.errors import CvquizError

NOW_ENV = "CVQUIZ_NOW"  # hidden: lets subprocess tests fix the clock
DAY_STARTS_AT = 4  # hour; Anki's default, so a late-night session still counts as "today"


def utc_now(env: Mapping[str, str] | None = None) -> datetime:
    """Now in UTC, or the fixed instant CVQUIZ_NOW names."""
    env = os.environ if env is None else env
    fixed = env.get(NOW_ENV, "").strip()
    if fixed:
        return parse_instant(fixed, option=NOW_ENV)
    return datetime.now(UTC)


def parse_instant(
    text: str, *, option: str, local: bool = False, tz: tzinfo | None = None
) -> datetime:
    """An ISO date or datetime as aware UTC; a value without a zone is UTC, or `local` time (`tz`)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CvquizError(
            f"{option}: '{text}' is not a date like 2026-12-10 or 2026-12-10T09:00"
        ) from None
    try:
        if value.tzinfo is not None:
            return value.astimezone(UTC)
        if not local:
            return value.replace(tzinfo=UTC)
        if tz is not None:
            return value.replace(tzinfo=tz).astimezone(UTC)
        return value.astimezone().astimezone(UTC)
    except (OverflowError, OSError, ValueError):
        # Near years 1 and 9999 a zone shift leaves datetime's range (or localtime()'s).
        raise CvquizError(f"{option}: '{text}' is out of range (years 1-9999)") from None


def stamp(moment: datetime) -> str:
    """Fixed-width UTC text, so stored times sort and compare as strings."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: cvquiz stores UTC-aware times only")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def study_day(moment: datetime, *, tz: tzinfo | None = None) -> date:
    """The study day a moment belongs to (days roll over at 04:00 in `tz`, local by default)."""
    local = moment.astimezone(tz)
    return (local - timedelta(hours=DAY_STARTS_AT)).date()


def day_start(day: date, *, tz: tzinfo | None = None) -> datetime:
    """When a study day begins, in UTC."""
    local = datetime.combine(day, time(DAY_STARTS_AT))
    local = local.replace(tzinfo=tz) if tz is not None else local.astimezone()
    return local.astimezone(UTC)
