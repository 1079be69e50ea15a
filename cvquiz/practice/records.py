"""What the progress store holds and returns: review log rows, one rating to record, its outcome.

Rows read back from the file are checked here: a damaged one is one error naming the file.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cvquiz.clock import stamp, unstamp
from cvquiz.errors import CvquizError
from cvquiz.practice.scheduler import CardState, Phase, Rating

# The log's columns in the order `parse_review` reads them.
REVIEW_COLUMNS = (
    "id, card_key, rating, reviewed_at, duration_ms, typed_answer, coverage, session_id, "
    "phase_before, due_after, retention, cram, interview"
)

CARD_COLUMNS = "state, due, phase, lapses, first_review"


def card_row(card: CardState, first_review: str) -> tuple[str, str, int, int, str]:
    """A card's row in the `cards` table (CARD_COLUMNS)."""
    return json.dumps(card.to_dict()), stamp(card.due), int(card.phase), card.lapses, first_review


@dataclass(frozen=True)
class Review:
    """One row of the review log."""

    id: int
    key: str
    rating: Rating
    reviewed_at: datetime
    duration_ms: int | None
    typed_answer: str | None
    coverage: dict[str, list[str]] | None
    session_id: str
    phase_before: Phase | None
    due_after: datetime
    retention: float
    cram: bool
    interview: bool = False  # a review given in a mock interview

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "rating": int(self.rating),
            "rating_name": self.rating.label,
            "reviewed_at": self.reviewed_at.isoformat(),
            "duration_ms": self.duration_ms,
            "typed_answer": self.typed_answer,
            "coverage": self.coverage,
            "session_id": self.session_id,
            "phase_before": int(self.phase_before) if self.phase_before is not None else None,
            "due_after": self.due_after.isoformat(),
            "retention": self.retention,
            "cram": self.cram,
            "interview": self.interview,
        }


@dataclass(frozen=True)
class NewReview:
    """One rating as a session gives it to the store; the store adds the states around it."""

    key: str
    rating: Rating
    at: datetime
    session_id: str
    retention: float  # the desired retention it was scheduled with, as logged
    duration_ms: int | None = None
    typed_answer: str | None = None
    coverage: dict[str, list[str]] | None = None
    cram: bool = False
    interview: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "rating", Rating(self.rating))  # 1-4 or a Rating; refuses 5


@dataclass(frozen=True)
class Recorded:
    """What one rating did: the log row's id and the card before and after."""

    review_id: int
    before: CardState | None
    after: CardState


@dataclass(frozen=True)
class Audit:
    """What `doctor` finds inside a store, each a line naming the file and the row."""

    integrity: list[str]  # SQLite's integrity_check (the rows below are not read then)
    damaged: list[str]  # log rows that cannot be read: only a backup mends those
    states: list[str]  # cards whose saved state is not a replay of their log: a rebuild mends those

    @property
    def healthy(self) -> bool:
        return not (self.integrity or self.damaged or self.states)


class UnusableStore(CvquizError):
    """A file that is not a progress database this cvquiz can use (empty, another app's, newer,
    unreadable); it is reported and left untouched."""


def sqlite_error(path: Path, exc: sqlite3.Error) -> CvquizError:
    """One line naming the file for any SQLite failure."""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return CvquizError(
            f"{path}: the progress database is busy (another cvquiz is writing); try again"
        )
    if "readonly" in text or "read-only" in text:
        return CvquizError(
            f"{path}: the progress database is read-only; cvquiz cannot record progress there"
        )
    if "unable to open" in text:
        return CvquizError(f"{path}: cannot open the progress database ({text})")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return UnusableStore(
            f"{path}: the progress database is unreadable ({text}); it was left untouched: "
            "move it aside to start afresh"
        )
    return CvquizError(f"{path}: progress database error: {text}")


def damaged(path: Path, what: str, exc: Exception) -> CvquizError:
    """One line naming the file and the damaged part, with SQLite's or Python's reason."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return CvquizError(
        f"{path}: {what} is damaged ({detail}); fix or move the file aside to start afresh"
    )


# What json, int() and float() raise on damaged text (RecursionError: absurd nesting).
_DAMAGE = (ValueError, KeyError, TypeError, OverflowError, RecursionError)


def parse_card(path: Path, key: str, text: str) -> CardState:
    """A stored card state; a damaged row is one error naming the file and the card."""
    try:
        state = CardState.from_dict(json.loads(text))
        if state.due.tzinfo is None or (state.last_review and state.last_review.tzinfo is None):
            raise ValueError("a time without a zone")  # fsrs would fail on it mid-session
        # fsrs computes with these mid-session: a string or NaN there would be a traceback then.
        _number("stability", state.stability, needed=state.last_review is not None, positive=True)
        _number("difficulty", state.difficulty, needed=state.last_review is not None)
        if state.step is not None and (type(state.step) is not int or state.step < 0):
            raise ValueError(f"step {state.step!r} is not a count")
        return state
    except _DAMAGE as exc:
        raise damaged(path, f"the saved state of card {key}", exc) from None


def _number(name: str, value: object, *, needed: bool, positive: bool = False) -> None:
    if value is None and not needed:
        return
    if type(value) not in (int, float) or not math.isfinite(value) or (positive and value <= 0):  # type: ignore[arg-type]
        raise ValueError(f"{name} {value!r} is not a {'positive ' * positive}number")


def _coverage(text: object) -> dict[str, list[str]] | None:
    """The typed-answer coverage as logged: {"hit": [...], "missed": [...], ...} of concept names."""
    if text is None or text == "":
        return None
    data = json.loads(text)  # type: ignore[arg-type]
    if not (
        isinstance(data, dict)
        and {"hit", "missed"} <= data.keys()
        and all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in data.values())
    ):
        raise ValueError("coverage is not {hit: [names], missed: [names]}")
    return data


def _text(name: str, value: object, *, optional: bool = False) -> None:
    if not (isinstance(value, str) or (optional and value is None)):
        raise TypeError(f"{name} {value!r} is not text")


def parse_review(path: Path, row: sqlite3.Row | tuple[Any, ...]) -> Review:
    """A log row selected as REVIEW_COLUMNS; a damaged row is one error naming the review."""
    (rid, key, rating, at, duration, typed, coverage, session, phase, due, retention, cram,
     interview) = row  # fmt: skip
    try:
        _text("card_key", key)
        _text("session_id", session)
        _text("typed_answer", typed, optional=True)
        if duration is not None and type(duration) is not int:
            raise TypeError(f"duration_ms {duration!r} is not a whole number")
        _number("retention", retention, needed=True, positive=True)
        return Review(
            id=rid, key=key, rating=Rating(rating), reviewed_at=unstamp(at), duration_ms=duration,
            typed_answer=typed, coverage=_coverage(coverage),
            session_id=session, phase_before=Phase(phase) if phase is not None else None,
            due_after=unstamp(due), retention=float(retention), cram=bool(cram),
            interview=bool(interview),
        )  # fmt: skip
    except _DAMAGE as exc:
        raise damaged(path, f"review {rid} of card {key}", exc) from None
