"""FSRS-6 scheduling behind a small interface: card states as plain records, fsrs imported only when used."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from cvquiz.errors import CvquizError

DEFAULT_RETENTION = 0.9
RETENTION_RANGE = (0.7, 0.97)
LEECH_LAPSES = 8  # Anki's default leech threshold


class Rating(IntEnum):
    """The four answers, numbered as fsrs and Anki number them."""

    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class Phase(IntEnum):
    """fsrs's State (there is no "new": a card with no reviews has no state row at all)."""

    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


ReplayEvent = tuple[Rating, datetime, datetime]  # one logged review: rating, reviewed_at, due_after


@dataclass(frozen=True)
class CardState:
    """A card's FSRS memory state, plus Anki-style counters fsrs does not keep."""

    card_id: int
    phase: Phase
    step: int | None
    stability: float | None
    difficulty: float | None
    due: datetime
    last_review: datetime | None
    reps: int = 0
    lapses: int = 0

    @property
    def is_leech(self) -> bool:
        return self.lapses >= LEECH_LAPSES

    def to_dict(self) -> dict[str, Any]:
        """fsrs's Card.to_dict() keys, plus reps and lapses."""
        return {
            "card_id": self.card_id,
            "state": int(self.phase),
            "step": self.step,
            "stability": self.stability,
            "difficulty": self.difficulty,
            "due": self.due.isoformat(),
            "last_review": self.last_review.isoformat() if self.last_review else None,
            "reps": self.reps,
            "lapses": self.lapses,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CardState:
        return cls(
            card_id=int(data["card_id"]),
            phase=Phase(int(data["state"])),
            step=data["step"],
            stability=data["stability"],
            difficulty=data["difficulty"],
            due=datetime.fromisoformat(data["due"]),
            last_review=datetime.fromisoformat(data["last_review"])
            if data["last_review"]
            else None,
            reps=int(data.get("reps", 0)),
            lapses=int(data.get("lapses", 0)),
        )


def card_id_for(key: str) -> int:
    """A stable fsrs card id from the progress key (fsrs would otherwise read the clock and sleep)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:6], "big")


def new_card(key: str, now: datetime) -> CardState:
    """The state of a card never reviewed: learning step 0, due now."""
    return CardState(
        card_id=card_id_for(key), phase=Phase.LEARNING, step=0, stability=None, difficulty=None,
        due=now, last_review=None,
    )  # fmt: skip


def check_retention(value: float, *, option: str = "--retention") -> float:
    low, high = RETENTION_RANGE
    if not (low <= value <= high) or math.isnan(value):
        raise CvquizError(
            f"{option}: {value:g} is outside {low}-{high} (0.9 means 90% recall when due)"
        )
    return value


class Scheduler:
    """fsrs.Scheduler with cvquiz's records: review, preview intervals, predict recall, replay a log."""

    def __init__(self, *, retention: float = DEFAULT_RETENTION, fuzz: bool = True) -> None:
        import fsrs

        self.retention = check_retention(retention)
        self.fuzz = fuzz
        self._fsrs = fsrs.Scheduler(desired_retention=retention, enable_fuzzing=fuzz)
        # Previews show the unfuzzed interval, as Anki does; replays take the due date from the log.
        self._plain = fsrs.Scheduler(desired_retention=retention, enable_fuzzing=False)

    @staticmethod
    def _to_fsrs(card: CardState) -> Any:
        import fsrs

        return fsrs.Card(
            card_id=card.card_id, state=fsrs.State(int(card.phase)), step=card.step,
            stability=card.stability, difficulty=card.difficulty, due=card.due,
            last_review=card.last_review,
        )  # fmt: skip

    def _review(self, engine: Any, card: CardState, rating: Rating, now: datetime) -> CardState:
        import fsrs

        after, _log = engine.review_card(self._to_fsrs(card), fsrs.Rating(int(rating)), now)
        lapsed = card.phase == Phase.REVIEW and rating == Rating.AGAIN
        return CardState(
            card_id=after.card_id, phase=Phase(int(after.state)), step=after.step,
            stability=after.stability, difficulty=after.difficulty, due=after.due,
            last_review=after.last_review, reps=card.reps + 1, lapses=card.lapses + int(lapsed),
        )  # fmt: skip

    def review(self, card: CardState, rating: Rating, now: datetime) -> CardState:
        """The card after being rated at `now` (fuzzed interval when fuzzing is on)."""
        return self._review(self._fsrs, card, Rating(rating), now)

    def schedule(
        self, key: str, rating: Rating, *, now: datetime
    ) -> Callable[[CardState | None], CardState]:
        """What the store calls inside its write: the card after this rating, from the state it
        holds then (None: never reviewed)."""
        rating = Rating(rating)
        return lambda before: self.review(before or new_card(key, now), rating, now)

    def preview(self, card: CardState, now: datetime) -> dict[Rating, timedelta]:
        """The interval each rating would give now, unfuzzed."""
        return {r: self._review(self._plain, card, r, now).due - now for r in Rating}

    def retrievability(self, card: CardState | None, at: datetime) -> float:
        """Predicted probability of recall at `at` (0 for a card never reviewed)."""
        if card is None or card.last_review is None:
            return 0.0
        return float(self._plain.get_card_retrievability(self._to_fsrs(card), at))

    def replay(self, key: str, events: Iterable[ReplayEvent]) -> CardState | None:
        """Rebuild a card from its log: (rating, reviewed_at, due_after) in order; None if empty.

        Neither retention nor fuzz matters: states never depend on them, and each interval is
        the logged one, so any Scheduler replays a log to the same states."""
        card: CardState | None = None
        for rating, at, due in events:
            base = card if card is not None else new_card(key, at)
            card = replace(self._review(self._plain, base, Rating(rating), at), due=due)
        return card
