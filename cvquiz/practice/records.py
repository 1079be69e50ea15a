"""What the progress store holds and returns: review log rows, one rating to record, its outcome.

Rows read back from the file are checked here: a damaged one is one error naming the file.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cvquiz.clock import unstamp
from cvquiz.errors import CvquizError
from cvquiz.practice.scheduler import CardState, Phase, Rating

# The log's columns in the order `parse_review` reads them.
REVIEW_COLUMNS = (
    "id, card_key, rating, reviewed_at, duration_ms, typed_answer, coverage, session_id, "
    "phase_before, due_after, retention, cram"
)


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "rating", Rating(self.rating))  # 1-4 or a Rating; refuses 5


@dataclass(frozen=True)
class Recorded:
    """What one rating did: the log row's id and the card before and after."""

    review_id: int
    before: CardState | None
    after: CardState


def damaged(path: Path, what: str, exc: Exception) -> CvquizError:
    """One line naming the file and the damaged part, with SQLite's or Python's reason."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return CvquizError(
        f"{path}: {what} is damaged ({detail}); fix or move the file aside to start afresh"
    )


def parse_card(path: Path, key: str, text: str) -> CardState:
    """A stored card state; a damaged row is one error naming the file and the card."""
    try:
        state = CardState.from_dict(json.loads(text))
        if state.due.tzinfo is None or (state.last_review and state.last_review.tzinfo is None):
            raise ValueError("a time without a zone")  # fsrs would fail on it mid-session
        return state
    except (ValueError, KeyError, TypeError) as exc:
        raise damaged(path, f"the saved state of card {key}", exc) from None


def parse_review(path: Path, row: sqlite3.Row | tuple[Any, ...]) -> Review:
    """A log row selected as REVIEW_COLUMNS; a damaged row is one error naming the review."""
    (rid, key, rating, at, duration, typed, coverage, session, phase, due, retention, cram) = row
    try:
        return Review(
            id=rid, key=key, rating=Rating(rating), reviewed_at=unstamp(at), duration_ms=duration,
            typed_answer=typed, coverage=json.loads(coverage) if coverage else None,
            session_id=session, phase_before=Phase(phase) if phase is not None else None,
            due_after=unstamp(due), retention=float(retention), cram=bool(cram),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError) as exc:
        raise damaged(path, f"review {rid} of card {key}", exc) from None
