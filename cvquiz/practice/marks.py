"""What the user marks on a card besides ratings: suspended, flagged, buried until tomorrow (the
`skips` table: a skip is a bury); today's review count for the daily limit; one card's progress.

These extend the Store (store.py holds the log and the states) through its own transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cvquiz.clock import stamp, unstamp, utc_now
from cvquiz.errors import CvquizError
from cvquiz.practice.records import damaged, parse_card
from cvquiz.practice.scheduler import Phase
from cvquiz.practice.store import Store

FLAG_COLORS = ("red", "orange", "green", "blue")  # Anki's flags 1-4; 0 is no flag


def flag_number(color: str) -> int:
    """A flag colour as stored (1-4); an unknown colour is one error naming the choices."""
    try:
        return FLAG_COLORS.index(color.strip().lower()) + 1
    except ValueError:
        raise CvquizError(
            f"--color: '{color}' is not a flag colour (choose {', '.join(FLAG_COLORS)})"
        ) from None


@dataclass(frozen=True)
class Mark:
    """A card's marks: suspended (never queued until unsuspended) and its flag (0: none)."""

    suspended: bool = False
    flag: int = 0

    @property
    def color(self) -> str | None:
        return FLAG_COLORS[self.flag - 1] if self.flag else None


NO_MARK = Mark()


def _upsert(store: Store, keys: Iterable[str], column: str, value: int, now: datetime) -> list[str]:
    """Set one column of the marks of `keys`; returns the keys it changed, in the order given."""
    changed = []
    with store._write() as db:
        for key in dict.fromkeys(keys):
            row = db.execute(f"SELECT {column} FROM marks WHERE card_key = ?", (key,)).fetchone()  # noqa: S608
            if (row[0] if row else 0) == value:
                continue
            db.execute(
                f"INSERT INTO marks (card_key, {column}, updated_at) VALUES (?, ?, ?) "  # noqa: S608
                f"ON CONFLICT (card_key) DO UPDATE SET {column} = excluded.{column}, "
                "updated_at = excluded.updated_at",
                (key, value, stamp(now)),
            )
            changed.append(key)
        db.execute("DELETE FROM marks WHERE suspended = 0 AND flag = 0")  # nothing left to mark
    return changed


def set_suspended(
    store: Store, keys: Iterable[str], on: bool, *, now: datetime | None = None
) -> list[str]:
    """Suspend (or unsuspend) cards in one transaction; returns those whose mark changed."""
    return _upsert(store, keys, "suspended", int(on), now or utc_now())


def set_flag(
    store: Store, keys: Iterable[str], flag: int, *, now: datetime | None = None
) -> list[str]:
    """Flag cards 1-4 (red, orange, green, blue) or unflag them (0); returns those changed."""
    if not 0 <= flag <= len(FLAG_COLORS):
        raise ValueError(f"flag {flag} is not 0-{len(FLAG_COLORS)}")
    return _upsert(store, keys, "flag", flag, now or utc_now())


def _parse_mark(store: Store, key: object, suspended: object, flag: object) -> Mark:
    if not isinstance(key, str) or suspended not in (0, 1) or flag not in range(5):
        what = f"the marks of card {key}" if isinstance(key, str) else "a row of its marks"
        raise damaged(store.path, what, ValueError(f"suspended {suspended!r}, flag {flag!r}"))
    return Mark(suspended=bool(suspended), flag=int(flag))  # type: ignore[call-overload]


def marks(store: Store) -> dict[str, Mark]:
    """Every marked card's marks (a card not in it has none)."""
    with store._read() as db:
        rows = db.execute("SELECT card_key, suspended, flag FROM marks").fetchall()
    return {row[0]: _parse_mark(store, *row) for row in rows}


def mark(store: Store, key: str) -> Mark:
    """One card's marks."""
    with store._guard():
        row = store._db.execute(
            "SELECT card_key, suspended, flag FROM marks WHERE card_key = ?", (key,)
        ).fetchone()
    return _parse_mark(store, *row) if row else NO_MARK


def suspended_keys(store: Store) -> set[str]:
    """The cards that never enter a queue (cram included) until unsuspended."""
    with store._guard():
        return {k for (k,) in store._db.execute("SELECT card_key FROM marks WHERE suspended = 1")}


def unskip(store: Store, key: str, day: date) -> bool:
    """Take back a skip (bury) of `day`; False when the card was not buried that day."""
    with store._write() as db:
        cursor = db.execute(
            "DELETE FROM skips WHERE card_key = ? AND day = ?", (key, day.isoformat())
        )
    return cursor.rowcount > 0


def reviews_done_today(store: Store, since: datetime) -> int:
    """Reviews since `since` (the study day's start) of cards that were in the review phase:
    what Anki's daily review limit counts (learning steps and new cards are not counted)."""
    with store._guard():
        (n,) = store._db.execute(
            "SELECT COUNT(*) FROM reviews WHERE reviewed_at >= ? AND phase_before = ?",
            (stamp(since), int(Phase.REVIEW)),
        ).fetchone()
    return int(n)


@dataclass(frozen=True)
class CardSummary:
    """One card's progress as `show` gives it; `phase` None: never studied."""

    key: str
    phase: Phase | None
    due: datetime | None
    stability: float | None  # days
    difficulty: float | None  # FSRS's 1-10
    reps: int
    lapses: int
    reviews: int  # rows in the review log
    last_review: datetime | None
    mark: Mark
    buried: bool  # skipped until tomorrow

    @classmethod
    def unstudied(cls, key: str) -> CardSummary:
        """A card the store knows nothing of."""
        return cls(key=key, phase=None, due=None, stability=None, difficulty=None, reps=0,
                   lapses=0, reviews=0, last_review=None, mark=NO_MARK, buried=False)  # fmt: skip

    @property
    def studied(self) -> bool:
        return self.phase is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "studied": self.studied,
            "phase": self.phase.name.lower() if self.phase is not None else "new",
            "due": self.due.isoformat() if self.due else None,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "reps": self.reps,
            "lapses": self.lapses,
            "reviews": self.reviews,
            "last_review": self.last_review.isoformat() if self.last_review else None,
            "suspended": self.mark.suspended,
            "flag": self.mark.color,
            "buried": self.buried,
        }


def card_summary(store: Store, key: str, *, day: date | None = None) -> CardSummary | None:
    """A card's state, log count, marks and whether it is buried on study `day`; None when the
    store knows nothing of it (a new card, never marked)."""
    with store._read() as db:
        row = db.execute("SELECT state FROM cards WHERE card_key = ?", (key,)).fetchone()
        (reviews,) = db.execute(
            "SELECT COUNT(*) FROM reviews WHERE card_key = ?", (key,)
        ).fetchone()
        last = db.execute(
            "SELECT id, reviewed_at FROM reviews WHERE card_key = ? ORDER BY id DESC LIMIT 1",
            (key,),
        ).fetchone()
        buried = day is not None and db.execute(
            "SELECT 1 FROM skips WHERE card_key = ? AND day = ?", (key, day.isoformat())
        ).fetchone() is not None  # fmt: skip
    found = mark(store, key)
    if row is None and not reviews and found == NO_MARK and not buried:
        return None
    state = parse_card(store.path, key, row[0]) if row else None
    try:
        last_at = unstamp(last[1]) if last else None
    except (ValueError, TypeError, sqlite3.Error) as exc:
        raise damaged(store.path, f"review {last[0]} of card {key}", exc) from None
    return CardSummary(
        key=key, phase=state.phase if state else None, due=state.due if state else None,
        stability=state.stability if state else None,
        difficulty=state.difficulty if state else None,
        reps=state.reps if state else 0, lapses=state.lapses if state else 0,
        reviews=int(reviews), last_review=last_at, mark=found, buried=buried,
    )  # fmt: skip
