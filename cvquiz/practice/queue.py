"""The review queue: which cards are due, in what order, and why a queue can come out empty."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from cvquiz.bank.model import Question
from cvquiz.clock import day_start, study_day
from cvquiz.practice.scheduler import CardState, Phase, Scheduler
from cvquiz.practice.store import Store

LEARN_AHEAD = timedelta(minutes=20)  # Anki's: a learning step due this soon is shown now

Kind = Literal["due", "new", "cram", "again"]


@dataclass(frozen=True)
class Item:
    """A card in the queue: its question, its state when queued and why it is there."""

    question: Question
    state: CardState | None
    recall: float  # predicted recall when queued; 0 for a card never reviewed
    kind: Kind

    @property
    def key(self) -> str:
        return self.question.key


@dataclass(frozen=True)
class Idle:
    """Why a queue came out empty, so the screen can say what would give more cards."""

    next_due: datetime | None
    new_per_day: int
    new_left: int  # today's new-card allowance not yet spent
    unseen: int  # cards of the selection never reviewed and not skipped
    skipped: int  # cards of the selection skipped until tomorrow


def is_due(state: CardState, *, now: datetime, day_end: datetime) -> bool:
    """Review cards are due for the whole study day they fall in; learning steps 20 minutes ahead."""
    if state.phase == Phase.REVIEW:
        return state.due < day_end
    return state.due <= now + LEARN_AHEAD


def build_queue(
    questions: Sequence[Question],
    states: Mapping[str, CardState],
    *,
    now: datetime,
    scheduler: Scheduler,
    new_limit: int,
    new_done_today: int = 0,
    limit: int | None = None,
    cram: bool = False,
    skipped: frozenset[str] | set[str] = frozenset(),
    tz: tzinfo | None = None,
) -> list[Item]:
    """Due cards (lowest predicted recall first), then new cards up to the day's limit; cram: weakest first."""
    order = {q.key: i for i, q in enumerate(questions)}
    pool = [q for q in questions if q.key not in skipped]
    if cram:
        items = [
            Item(q, states.get(q.key), scheduler.retrievability(states.get(q.key), now), "cram")
            for q in pool
        ]
        items.sort(key=lambda it: (it.recall, -(it.state.lapses if it.state else 0), order[it.key]))
    else:
        day_end = day_start(study_day(now, tz=tz), tz=tz) + timedelta(days=1)
        due = [
            Item(q, states[q.key], scheduler.retrievability(states[q.key], now), "due")
            for q in pool
            if q.key in states and is_due(states[q.key], now=now, day_end=day_end)
        ]
        due.sort(key=lambda it: (it.recall, states[it.key].due, order[it.key]))
        fresh = [Item(q, None, 0.0, "new") for q in pool if q.key not in states]
        items = due + fresh[: max(0, new_limit - new_done_today)]
    return items if limit is None else items[: max(0, limit)]


def upcoming(
    states: Mapping[str, CardState],
    keys: Iterable[str],
    *,
    now: datetime,
    tz: tzinfo | None = None,
) -> tuple[datetime | None, int]:
    """Over these cards only: the earliest due date after now, and how many are due by the end of
    tomorrow's study day (a card whose question left the bank is not counted)."""
    mine = [states[k] for k in set(keys) if k in states]
    tomorrow_end = day_start(study_day(now, tz=tz), tz=tz) + timedelta(days=2)
    return (
        min((s.due for s in mine if s.due > now), default=None),
        sum(1 for s in mine if s.due < tomorrow_end),
    )


def queue_from_store(
    questions: Sequence[Question],
    store: Store,
    *,
    scheduler: Scheduler,
    now: datetime,
    new_per_day: int,
    limit: int | None = None,
    cram: bool = False,
    tz: tzinfo | None = None,
) -> tuple[list[Item], Idle | None]:
    """Today's queue over these questions from the stored progress, and why it is empty if it is."""
    day = study_day(now, tz=tz)
    states = store.card_states()
    skipped = store.skipped(day)
    new_done = store.first_reviews_since(day_start(day, tz=tz))
    queue = build_queue(
        questions, states, now=now, scheduler=scheduler, new_limit=new_per_day,
        new_done_today=new_done, limit=limit, cram=cram, skipped=skipped, tz=tz,
    )  # fmt: skip
    if queue:
        return queue, None
    keys = {q.key for q in questions}
    return queue, Idle(
        next_due=upcoming(states, keys, now=now, tz=tz)[0],
        new_per_day=new_per_day,
        new_left=max(0, new_per_day - new_done),
        unseen=sum(1 for k in keys if k not in states and k not in skipped),
        skipped=len(keys & skipped),
    )
