"""Progress statistics from the store: counts, forecast, true retention, calendar, mastery, readiness."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from cvquiz.bank.cache import collector_paused
from cvquiz.bank.model import DIFFICULTIES, Library, Question
from cvquiz.clock import day_start, study_day
from cvquiz.errors import CvquizError
from cvquiz.practice.queue import LEARN_AHEAD, build_queue, due_states, is_due
from cvquiz.practice.records import Review
from cvquiz.practice.scheduler import LEECH_LAPSES, CardState, Phase, Scheduler
from cvquiz.practice.store import Store

FORECAST_DAYS = 7
CALENDAR_WEEKS = 12
WEAKEST = 5


@dataclass(frozen=True)
class Mastery:
    """Mean predicted recall of a group of questions (never-reviewed cards count as 0)."""

    name: str
    cards: int
    reviewed: int
    recall: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "cards": self.cards,
            "reviewed": self.reviewed,
            "recall": round(self.recall, 4),
        }


@dataclass(frozen=True)
class CardRecall:
    """One card with its predicted recall at the moment stats looks at."""

    question: Question
    recall: float
    lapses: int

    def to_dict(self) -> dict[str, Any]:
        q = self.question
        return {
            "key": q.key,
            "number": q.number,
            "question": q.question,
            "recall": round(self.recall, 4),
            "lapses": self.lapses,
        }


@dataclass(frozen=True)
class Stats:
    """Everything `cvquiz stats` shows; `moment` is now, or the --at date."""

    now: datetime
    moment: datetime
    at: datetime | None
    reviews: int
    new: int
    learning: int
    review: int
    orphans: int  # cards with progress whose question is no longer in any bank
    forecast: tuple[tuple[date, int], ...]  # study days from today; today includes overdue cards
    retention_passed: int
    retention_reviews: int
    calendar: dict[date, int]  # reviews per study day, last CALENDAR_WEEKS weeks
    today: date
    overall: Mastery
    by_topic: tuple[Mastery, ...]
    by_difficulty: tuple[Mastery, ...]
    weakest: tuple[CardRecall, ...]
    leeches: tuple[CardRecall, ...]
    at_day: date | None = None  # the study day of `at`, as the user named it

    @property
    def due_today(self) -> int:
        return self.forecast[0][1] if self.forecast else 0

    @property
    def true_retention(self) -> float | None:
        """Pass rate (hard, good, easy) of reviews of cards that were in the review state."""
        return self.retention_passed / self.retention_reviews if self.retention_reviews else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "at": self.at.isoformat() if self.at else None,
            "reviews": self.reviews,
            "cards": {
                "new": self.new,
                "learning": self.learning,
                "review": self.review,
                "orphans": self.orphans,
            },
            "due_today": self.due_today,
            "forecast": [{"day": d.isoformat(), "due": n} for d, n in self.forecast],
            "true_retention": {
                "passed": self.retention_passed,
                "reviews": self.retention_reviews,
                "rate": round(self.true_retention, 4) if self.true_retention is not None else None,
            },
            "calendar": {d.isoformat(): n for d, n in sorted(self.calendar.items())},
            "mastery": {
                "moment": self.moment.isoformat(),
                "overall": self.overall.to_dict(),
                "topics": [m.to_dict() for m in self.by_topic],
                "difficulties": [m.to_dict() for m in self.by_difficulty],
            },
            "weakest": [c.to_dict() for c in self.weakest],
            "leeches": [c.to_dict() for c in self.leeches],
        }


def parse_at(text: str, *, now: datetime, tz: tzinfo | None = None) -> datetime:
    """--at: a date means the start of that study day (04:00 local time); a datetime without a zone
    is local time. Never in the past."""
    from cvquiz.clock import parse_instant

    moment = parse_instant(text, option="--at", local=True, tz=tz)
    if len(text.strip()) == len(
        "2026-12-10"
    ):  # a plain date: that study day, as `stats` counts days
        try:
            moment = day_start(date.fromisoformat(text.strip()), tz=tz)
        except (OverflowError, OSError, ValueError):
            raise CvquizError(f"--at: '{text}' is out of range (years 1-9999)") from None
    if study_day(moment, tz=tz) < study_day(now, tz=tz):
        raise CvquizError(
            f"--at: {text} is in the past; give the date of your interview, e.g. {(now + timedelta(days=14)).date()}"
        )
    return moment


def _mastery(
    name: str, keys: Sequence[str], recall: dict[str, float], states: dict[str, CardState]
) -> Mastery:
    """Over the cards of these keys (in bank order, so the sums add up in one order)."""
    return Mastery(
        name=name,
        cards=len(keys),
        reviewed=sum(1 for k in keys if k in states),
        recall=sum(recall[k] for k in keys) / len(keys) if keys else 0.0,
    )


def compute_stats(
    library: Library,
    store: Store,
    *,
    now: datetime,
    at: datetime | None = None,
    tz: tzinfo | None = None,
    learn_ahead: timedelta = LEARN_AHEAD,
) -> Stats:
    """Stats over the library's questions (progress of removed questions counts only in `reviews`).

    Predicted recall is FSRS-6's forgetting curve at `at` (or now), by the hour."""
    with collector_paused():
        return _compute_stats(library, store, now=now, at=at, tz=tz, learn_ahead=learn_ahead)


def _compute_stats(
    library: Library,
    store: Store,
    *,
    now: datetime,
    at: datetime | None,
    tz: tzinfo | None,
    learn_ahead: timedelta,
) -> Stats:
    from cvquiz.practice.optimize import saved_parameters

    scheduler = Scheduler(fuzz=False, parameters=saved_parameters(store))
    states = store.card_states()
    questions = library.questions
    moment = at or now
    live = {q.key for q in questions}
    today = study_day(now, tz=tz)
    today_start = day_start(today, tz=tz)

    mine = {k: s for k, s in states.items() if k in live}
    phases = Counter(s.phase for s in mine.values())
    forecast = []
    for offset in range(FORECAST_DAYS):
        end = today_start + timedelta(days=offset + 1)
        start = today_start + timedelta(days=offset)
        if offset == 0:
            n = sum(
                1
                for s in mine.values()
                if is_due(s, now=now, day_end=end, learn_ahead=learn_ahead) or s.due < end
            )
        else:
            n = sum(1 for s in mine.values() if start <= s.due < end)
        forecast.append((today + timedelta(days=offset), n))

    # The log is counted by SQLite, never read row by row: a study day is the span between two
    # day starts (04:00 local time, summer time included), so each day is one indexed range.
    reviews, retention_reviews, retention_passed = store.review_totals()
    first_day = today - timedelta(days=CALENDAR_WEEKS * 7 - 1)
    days = [first_day + timedelta(days=i) for i in range((today - first_day).days + 2)]
    counts = store.reviews_between([day_start(d, tz=tz) for d in days])
    calendar = {d: n for d, n in zip(days, counts, strict=False) if n}

    keys = [q.key for q in questions]  # each computed once: a bank can hold 100,000
    recall = {k: scheduler.retrievability(mine.get(k), moment) for k in keys}
    topics: dict[str, list[str]] = defaultdict(list)
    levels: dict[str, list[str]] = defaultdict(list)
    for q, k in zip(questions, keys, strict=True):
        topics[q.topic].append(k)
        levels[q.difficulty].append(k)
    by_topic = tuple(_mastery(t, topics[t], recall, mine) for t in sorted(topics))
    by_difficulty = tuple(_mastery(d, levels[d], recall, mine) for d in DIFFICULTIES if d in levels)
    # (card, its place in the banks): ties sort in bank order.
    seen = [
        (CardRecall(q, recall[k], mine[k].lapses), i)
        for i, (q, k) in enumerate(zip(questions, keys, strict=True))
        if k in mine
    ]
    weakest = [c for c, _ in sorted(seen, key=lambda s: (s[0].recall, -s[0].lapses, s[1]))]
    leeches = [
        c
        for c, _ in sorted(
            (s for s in seen if s[0].lapses >= LEECH_LAPSES), key=lambda s: (-s[0].lapses, s[1])
        )
    ]
    return Stats(
        now=now, moment=moment, at=at, reviews=reviews,
        new=len(questions) - len(mine), learning=phases[Phase.LEARNING] + phases[Phase.RELEARNING],
        review=phases[Phase.REVIEW], orphans=len(states) - len(mine), forecast=tuple(forecast),
        retention_passed=retention_passed, retention_reviews=retention_reviews,
        calendar=calendar, today=today, overall=_mastery("all", keys, recall, mine),
        by_topic=by_topic, by_difficulty=by_difficulty,
        weakest=tuple(weakest[:WEAKEST]), leeches=tuple(leeches),
        at_day=study_day(at, tz=tz) if at is not None else None,
    )  # fmt: skip


def due_cards(
    questions: Sequence[Question],
    store: Store,
    *,
    now: datetime,
    tz: tzinfo | None = None,
    learn_ahead: timedelta = LEARN_AHEAD,
) -> list[tuple[Question, float]]:
    """Which of these cards are due now (review cards: due today), lowest predicted recall (by
    the hour) first."""
    from cvquiz.practice.optimize import saved_parameters

    scheduler = Scheduler(fuzz=False, parameters=saved_parameters(store))
    with collector_paused():
        # only the due cards are read
        states = due_states(store, now=now, tz=tz, learn_ahead=learn_ahead)
        from cvquiz.practice.marks import suspended_keys

        queue = build_queue(
            questions, states, now=now, scheduler=scheduler, new_limit=0, tz=tz,
            suspended=suspended_keys(store),
            learn_ahead=learn_ahead,
        )  # fmt: skip
    return [(it.question, it.recall) for it in queue]


@dataclass(frozen=True)
class HistoryEntry:
    """A log row with its question (None when the question has left the banks)."""

    review: Review
    question: Question | None

    def to_dict(self) -> dict[str, Any]:
        return {**self.review.to_dict(), "number": self.question.number if self.question else None}


def history(
    library: Library, store: Store, *, query: str | None = None, limit: int | None = None
) -> list[HistoryEntry]:
    """The review log, newest first; a QUESTION (number, id, words) narrows it to one card."""
    if limit is not None and limit < 1:
        raise CvquizError(f"--limit: {limit} must be at least 1")
    if limit is not None and limit >= 2**63:  # SQLite's integers end there: more than any log
        limit = None
    key = None
    if query is not None:
        from cvquiz.bank.find import resolve_question

        # A removed question keeps its history: its bank-id/question-id still finds it.
        logged = query.strip().lower()
        key = (
            logged
            if "/" in logged and store.reviews(key=logged, limit=1)
            else resolve_question(library.questions, query).key
        )
    by_key = library.by_key()
    return [HistoryEntry(r, by_key.get(r.key)) for r in store.reviews(key=key, limit=limit)]
