"""A mock interview without a screen: which question comes next, grading, the clock, the report.

The interviewer mixes topics, weighted toward your weakest cards (lowest predicted recall) and
unseen ones. It starts easy and climbs a level after each answer graded Good or better; after a
good answer it follows up, with one of the question's probing prompts if the bank has any, else
with a related question; after a miss it changes topic, notes the topic to come back to, and
comes back to it two questions later at the level below. Every question has a time budget by
difficulty; the interview ends when its minutes are up. Each answer to a card is recorded as a
review (marked as from an interview), so interviews feed spaced repetition.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cvquiz.bank.model import DIFFICULTIES, Probe, Question
from cvquiz.practice.grading import Grade, grade
from cvquiz.practice.records import NewReview
from cvquiz.practice.scheduler import Rating, Scheduler
from cvquiz.practice.store import Store

BUDGET_S = {"easy": 60, "medium": 120, "hard": 180}  # answer time per question, by difficulty
PROBE_BUDGET_S = 90
DEFAULT_MINUTES = 10
COME_BACK_AFTER = 2  # questions between a miss and the return to its topic
PASSED = (Rating.GOOD, Rating.EASY)
SCORES = {Rating.AGAIN: 0.0, Rating.HARD: 0.5, Rating.GOOD: 1.0, Rating.EASY: 1.0}

TurnKind = str  # "opening", "next", "harder", "probe", "follow-up", "new topic", "come back"


@dataclass(frozen=True)
class Turn:
    """One question put to the candidate, and why the interviewer chose it."""

    question: Question
    kind: TurnKind
    why: str
    probe: Probe | None = None

    @property
    def prompt(self) -> str:
        return self.probe.prompt if self.probe else self.question.question

    @property
    def model_answer(self) -> str:
        return self.probe.answer if self.probe else self.question.answer

    @property
    def budget_s(self) -> int:
        return PROBE_BUDGET_S if self.probe else BUDGET_S[self.question.difficulty]

    def grade(self, typed: str) -> Grade:
        if self.probe is not None:
            return grade(typed, self.probe.concepts, self.probe.misconceptions)
        return grade(typed, self.question.concepts, self.question.misconceptions)


@dataclass(frozen=True)
class Answered:
    turn: Turn
    typed: str
    graded: Grade
    rating: Rating  # the grader's suggestion, or the candidate's override
    seconds: float
    review_id: int | None  # the review recorded (a probe is no card: none)

    @property
    def over_budget(self) -> bool:
        return self.seconds > self.turn.budget_s

    def to_dict(self) -> dict[str, object]:
        q = self.turn.question
        return {
            "key": q.key, "number": q.number, "topic": q.topic, "difficulty": q.difficulty,
            "kind": self.turn.kind, "probe": self.turn.probe.prompt if self.turn.probe else None,
            "rating": int(self.rating), "rating_name": self.rating.label,
            "suggested": int(self.graded.suggested) if self.graded.suggested else None,
            "seconds": round(self.seconds, 1), "budget_s": self.turn.budget_s,
            "missed": [r.name for r in self.graded.results if not r.hit],
            "misconceptions": [m.name for m in self.graded.misconceptions],
            "review_id": self.review_id,
        }  # fmt: skip


@dataclass
class Interview:
    """The interviewer's state over one interview; `clock` gives review times, `ticker` seconds."""

    questions: Sequence[Question]
    store: Store
    scheduler: Scheduler
    clock: Callable[[], datetime]
    ticker: Callable[[], float]
    minutes: float = DEFAULT_MINUTES
    seed: int = 0
    session_id: str = "interview"
    answered: list[Answered] = field(default_factory=list)
    come_back: list[tuple[int, str]] = field(default_factory=list)  # (after turn n, topic)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._started = self.ticker()
        self._asked: set[str] = set()
        self._probed: set[tuple[str, str]] = set()
        self._level = 0  # index into DIFFICULTIES
        states = self.store.card_states()
        now = self.clock()
        # Weakest first, unseen as weak as forgotten: weight 1 - recall, never quite 0.
        self._weight = {q.key: 1.05 - self.scheduler.retrievability(states.get(q.key), now)
                        for q in self.questions}  # fmt: skip
        self._by_key = {q.key: q for q in self.questions}

    # -- the clock

    @property
    def elapsed_s(self) -> float:
        return self.ticker() - self._started

    @property
    def left_s(self) -> float:
        return max(0.0, self.minutes * 60 - self.elapsed_s)

    # -- choosing

    def next_turn(self) -> Turn | None:
        """The next question, or None when the time is up or every question has been asked."""
        if self.left_s <= 0:
            return None
        last = self.answered[-1] if self.answered else None
        if last is None:
            return self._pick("opening", "a warm-up to start", level=0)
        turn_no = len(self.answered)
        passed = last.rating in PASSED
        if passed and last.turn.kind not in ("probe", "follow-up"):  # one follow-up at a time
            follow = self._follow_up(last)
            if follow is not None:
                return follow
        due_back = [t for n, t in self.come_back if n <= turn_no]
        if due_back:
            topic = due_back[0]
            self.come_back = [(n, t) for n, t in self.come_back if t != topic]
            turn = self._pick("come back", f"back to {topic}, as promised",
                              level=max(0, self._level - 1), topic=topic)  # fmt: skip
            if turn is not None:
                return turn
        if not passed:
            avoid = last.turn.question.topic
            turn = self._pick(
                "new topic", f"moving on from {avoid}", level=self._level, avoid=avoid
            )
            if turn is not None:
                return turn
            return self._pick("next", "the next question", level=self._level)
        if self._level > DIFFICULTIES.index(last.turn.question.difficulty):
            return self._pick("harder", "you answered well: one level up", level=self._level)
        return self._pick("next", "the next question", level=self._level)

    def _follow_up(self, last: Answered) -> Turn | None:
        q = last.turn.question
        if last.turn.probe is None:
            for probe in q.probes:
                if (q.key, probe.prompt) not in self._probed:
                    return Turn(q, "probe", "a follow-up on your answer", probe=probe)
        for key in q.related:
            related = self._by_key.get(key) or next(
                (x for x in self.questions if x.id == key), None
            )
            if related is not None and related.key not in self._asked:
                return Turn(related, "follow-up", f"related to Q{q.number}")
        return None

    def _pick(
        self,
        kind: TurnKind,
        why: str,
        *,
        level: int,
        topic: str | None = None,
        avoid: str | None = None,
    ) -> Turn | None:
        """A weighted draw among the unasked questions nearest the level (and topic)."""
        pool = [q for q in self.questions if q.key not in self._asked
                and (topic is None or q.topic == topic) and (avoid is None or q.topic != avoid)]  # fmt: skip
        if not pool:
            return None
        wanted = DIFFICULTIES[min(level, len(DIFFICULTIES) - 1)]
        nearest = min(abs(DIFFICULTIES.index(q.difficulty) - level) for q in pool)
        pool = [q for q in pool if abs(DIFFICULTIES.index(q.difficulty) - level) == nearest]
        chosen = self._rng.choices(pool, weights=[self._weight[q.key] for q in pool])[0]
        if chosen.difficulty != wanted:
            why += f" ({wanted} ones are all asked)"
        return Turn(chosen, kind, why)

    # -- answering

    def answer(
        self, turn: Turn, typed: str, *, seconds: float, rating: Rating | None = None
    ) -> Answered:
        """Grade the answer, take the candidate's override if given, record it (cards only)."""
        graded = turn.grade(typed)
        final = Rating(rating) if rating is not None else (graded.suggested or Rating.AGAIN)
        review_id = None
        if turn.probe is None:
            self._asked.add(turn.question.key)
            review = NewReview(
                key=turn.question.key, rating=final, at=self.clock(), session_id=self.session_id,
                retention=self.scheduler.retention, duration_ms=int(round(seconds * 1000)),
                typed_answer=typed, coverage=graded.coverage(), interview=True,
            )  # fmt: skip
            recorded = self.store.record_review(
                review, schedule=self.scheduler.schedule(turn.question.key, final, now=review.at)
            )
            review_id = recorded.review_id
        else:
            self._probed.add((turn.question.key, turn.probe.prompt))
        done = Answered(turn, typed, graded, final, seconds, review_id)
        self.answered.append(done)
        if final in PASSED and turn.probe is None:  # a follow-up probe does not climb a level
            self._level = min(self._level + 1, len(DIFFICULTIES) - 1)
        elif turn.probe is None and all(t != turn.question.topic for _, t in self.come_back):
            self.come_back.append((len(self.answered) + COME_BACK_AFTER, turn.question.topic))
        return done
