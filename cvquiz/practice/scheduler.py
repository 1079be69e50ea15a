"""FSRS-6 scheduling behind a small interface: card states as plain records, fsrs imported only when used."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any, Literal

from cvquiz.errors import CvquizError

DEFAULT_RETENTION = 0.9
RETENTION_RANGE = (0.7, 0.97)
LEECH_LAPSES = 8  # Anki's default leech threshold
MAXIMUM_INTERVAL = 36500  # days; fsrs's default
DAY_SECONDS = 86400.0


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


def forgetting_curve(elapsed_days: float, stability: float, *, decay: float) -> float:
    """FSRS-6's power forgetting curve (open-spaced-repetition, "The Algorithm", FSRS-6):
    R(t, S) = (1 + factor * t / S) ** -w20 with factor = 0.9 ** (-1 / w20) - 1, so R(S, S) = 0.9.
    `elapsed_days` is fractional: fsrs's own get_card_retrievability counts whole days."""
    factor = 0.9 ** (-1 / decay) - 1
    return (1 + factor * max(0.0, elapsed_days) / stability) ** -decay


def fuzz_fraction(card_id: int, reps: int) -> float:
    """A uniform number in [0, 1) fixed by the card and its review number: the preview and the
    rating after it draw the same fuzz, and an undone rating draws it again."""
    digest = hashlib.sha256(f"{card_id}:{reps}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def fuzzed_days(days: int, fraction: float, *, maximum: int) -> int:
    """fsrs's fuzz (Scheduler._get_fuzzed_interval) with `fraction` in place of random.random()."""
    from fsrs.scheduler import FUZZ_RANGES

    if days < 2.5:  # fsrs leaves intervals under 2.5 days alone
        return days
    delta = 1.0 + sum(
        r["factor"] * max(min(float(days), r["end"]) - r["start"], 0.0) for r in FUZZ_RANGES
    )
    high = min(round(days + delta), maximum)
    low = min(max(2, round(days - delta)), high)
    return min(round(fraction * (high - low + 1) + low), maximum)


# Why two ratings show the same interval: both learning steps; the one-day floor; the maximum
# interval; FSRS's intervals within a day of each other (whole days); fuzz landing on one day.
Tie = Literal["steps", "minimum", "maximum", "rounding", "fuzz"]


@dataclass(frozen=True)
class Outcome:
    """What one rating does to a card at one moment: a preview and the rating both read this."""

    rating: Rating
    card: CardState  # the card after the rating
    interval: timedelta  # card.due - the moment: exactly what the key shows
    exact_days: float | None = None  # FSRS's interval before rounding; None for a learning step
    days: int | None = None  # whole days after the one-day floor and the maximum, before fuzz

    @property
    def step(self) -> bool:
        """A learning or relearning step (minutes), not a review interval in days."""
        return self.days is None


def tie_reason(a: Outcome, b: Outcome, *, maximum: int = MAXIMUM_INTERVAL) -> Tie:
    """Why two outcomes with the same interval have it."""
    if a.days is None or b.days is None:
        return "steps"
    if a.days != b.days:
        return "fuzz"
    if any(o.exact_days is not None and round(o.exact_days) < 1 for o in (a, b)):
        return "minimum"
    if a.days == maximum:
        return "maximum"
    return "rounding"


@dataclass(frozen=True)
class Preview:
    """Each rating's outcome at one moment, and why a rating's interval equals another's."""

    outcomes: dict[Rating, Outcome]
    ties: dict[Rating, Tie]  # only ratings that share their interval with another rating

    @property
    def intervals(self) -> dict[Rating, timedelta]:
        return {r: o.interval for r, o in self.outcomes.items()}

    @classmethod
    def of(cls, outcomes: Mapping[Rating, Outcome], *, maximum: int) -> Preview:
        ties: dict[Rating, Tie] = {}
        for r, o in outcomes.items():
            same = [x for x in outcomes if x != r and outcomes[x].interval == o.interval]
            if same:  # the nearest rating with this interval explains it
                nearest = min(same, key=lambda x: abs(int(x) - int(r)))
                ties[r] = tie_reason(o, outcomes[nearest], maximum=maximum)
        return cls(outcomes=dict(outcomes), ties=ties)


class Scheduler:
    """fsrs.Scheduler with cvquiz's records: review, preview outcomes, predict recall, replay a log.

    fsrs only ever computes unfuzzed intervals here; the fuzz is drawn from the card and its review
    number (fsrs draws it from the global random module), so the interval a key shows is the one
    its rating gives."""

    def __init__(
        self,
        *,
        retention: float = DEFAULT_RETENTION,
        fuzz: bool = True,
        parameters: Sequence[float] | None = None,
        maximum_interval: int = MAXIMUM_INTERVAL,
    ) -> None:
        import fsrs

        self.retention = check_retention(retention)
        self.fuzz = fuzz
        self.maximum_interval = maximum_interval
        given = {} if parameters is None else {"parameters": tuple(parameters)}
        try:
            self._plain = fsrs.Scheduler(
                **given, desired_retention=retention, maximum_interval=maximum_interval,
                enable_fuzzing=False,
            )  # fmt: skip
        except ValueError as exc:
            raise CvquizError(f"FSRS parameters: {' '.join(str(exc).split())}") from None
        self.parameters: tuple[float, ...] = tuple(self._plain.parameters)
        self.decay = self.parameters[20]  # w20, FSRS-6's forgetting-curve exponent

    @staticmethod
    def _to_fsrs(card: CardState) -> Any:
        import fsrs

        return fsrs.Card(
            card_id=card.card_id, state=fsrs.State(int(card.phase)), step=card.step,
            stability=card.stability, difficulty=card.difficulty, due=card.due,
            last_review=card.last_review,
        )  # fmt: skip

    def _review(self, card: CardState, rating: Rating, now: datetime) -> CardState:
        """fsrs's review, unfuzzed, plus the counters."""
        import fsrs

        after, _log = self._plain.review_card(self._to_fsrs(card), fsrs.Rating(int(rating)), now)
        lapsed = card.phase == Phase.REVIEW and rating == Rating.AGAIN
        return CardState(
            card_id=after.card_id, phase=Phase(int(after.state)), step=after.step,
            stability=after.stability, difficulty=after.difficulty, due=after.due,
            last_review=after.last_review, reps=card.reps + 1, lapses=card.lapses + int(lapsed),
        )  # fmt: skip

    def exact_days(self, stability: float) -> float:
        """FSRS's interval for this stability before rounding: where recall falls to retention."""
        factor = 0.9 ** (-1 / self.decay) - 1
        return stability / factor * (self.retention ** (-1 / self.decay) - 1)

    def outcome(self, card: CardState, rating: Rating, now: datetime) -> Outcome:
        """What this rating at `now` gives the card, fuzz included when fuzzing is on."""
        rating = Rating(rating)
        after = self._review(card, rating, now)
        if after.phase != Phase.REVIEW:  # a learning step: fsrs fuzzes review intervals only
            return Outcome(rating, after, after.due - now)
        assert after.stability is not None
        days = (after.due - now).days  # fsrs's whole days, floor and maximum applied
        if self.fuzz:
            fraction = fuzz_fraction(card.card_id, card.reps)
            shown = fuzzed_days(days, fraction, maximum=self.maximum_interval)
            after = replace(after, due=now + timedelta(days=shown))
        return Outcome(
            rating, after, after.due - now, exact_days=self.exact_days(after.stability), days=days
        )

    def review(self, card: CardState, rating: Rating, now: datetime) -> CardState:
        """The card after being rated at `now` (fuzzed interval when fuzzing is on)."""
        return self.outcome(card, rating, now).card

    def schedule(
        self, key: str, rating: Rating, *, now: datetime
    ) -> Callable[[CardState | None], CardState]:
        """What the store calls inside its write: the card after this rating, from the state it
        holds then (None: never reviewed)."""
        rating = Rating(rating)
        return lambda before: self.review(before or new_card(key, now), rating, now)

    def outcomes(self, card: CardState, now: datetime) -> Preview:
        """Every rating's outcome now (what each key shows), with why any two intervals tie."""
        done = {r: self.outcome(card, r, now) for r in Rating}
        return Preview.of(done, maximum=self.maximum_interval)

    def preview(self, card: CardState, now: datetime) -> dict[Rating, timedelta]:
        """The interval each rating would give now: exactly what rating it gives, fuzz included."""
        return self.outcomes(card, now).intervals

    def retrievability(self, card: CardState | None, at: datetime) -> float:
        """Predicted probability of recall at `at`, from the time elapsed since the last review in
        fractional days (0 for a card never reviewed)."""
        if card is None or card.last_review is None or card.stability is None:
            return 0.0
        elapsed = (at - card.last_review).total_seconds() / DAY_SECONDS
        return forgetting_curve(elapsed, card.stability, decay=self.decay)

    def replay(self, key: str, events: Iterable[ReplayEvent]) -> CardState | None:
        """Rebuild a card from its log: (rating, reviewed_at, due_after) in order; None if empty.

        Neither retention nor fuzz matters: states never depend on them, and each interval is
        the logged one, so any Scheduler replays a log to the same states."""
        card: CardState | None = None
        for rating, at, due in events:
            base = card if card is not None else new_card(key, at)
            card = replace(self._review(base, Rating(rating), at), due=due)
        return card
