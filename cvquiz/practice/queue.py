"""The review queue: which cards are due, in what order, and why a queue can come out empty."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from itertools import islice
from typing import Literal

from cvquiz.bank.cache import collector_paused
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


def due_states(store: Store, *, now: datetime, tz: tzinfo | None = None) -> dict[str, CardState]:
    """The stored cards `is_due` holds due now, read through the store's index on due dates."""
    day_end = day_start(study_day(now, tz=tz), tz=tz) + timedelta(days=1)
    return store.due_states(review_before=day_end, learning_by=now + LEARN_AHEAD)


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
    reviewed: Collection[str] | None = None,
) -> list[Item]:
    """Due cards (lowest predicted recall first), then new cards up to the day's limit; cram: weakest first.

    `states` may hold only the due cards when `reviewed` names every card with progress (so the
    new ones can be told apart); cram needs every state.
    """
    reviewed = states if reviewed is None else reviewed
    # (question, key, place): each key made once, since a selection can hold 100,000 questions;
    # the place breaks ties, so equal cards keep the banks' order.
    pool = [(q, k, i) for i, q in enumerate(questions) if (k := q.key) not in skipped]
    if cram:
        ranked = [
            (Item(q, s, scheduler.retrievability(s, now), "cram"), i)
            for q, k, i in pool
            for s in (states.get(k),)
        ]
        ranked.sort(key=lambda p: (p[0].recall, -(p[0].state.lapses if p[0].state else 0), p[1]))
        items = [it for it, _ in ranked]
    else:
        day_end = day_start(study_day(now, tz=tz), tz=tz) + timedelta(days=1)
        due = [
            (Item(q, s, scheduler.retrievability(s, now), "due"), i)
            for q, k, i in pool
            if (s := states.get(k)) is not None and is_due(s, now=now, day_end=day_end)
        ]
        due.sort(key=lambda p: (p[0].recall, p[0].state.due, p[1]))
        fresh = (Item(q, None, 0.0, "new") for q, k, _ in pool if k not in reviewed)
        items = [it for it, _ in due] + list(islice(fresh, max(0, new_limit - new_done_today)))
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
    with collector_paused():
        return _queue_from_store(
            questions, store, scheduler=scheduler, now=now, new_per_day=new_per_day,
            limit=limit, cram=cram, tz=tz,
        )  # fmt: skip


def _queue_from_store(
    questions: Sequence[Question],
    store: Store,
    *,
    scheduler: Scheduler,
    now: datetime,
    new_per_day: int,
    limit: int | None,
    cram: bool,
    tz: tzinfo | None,
) -> tuple[list[Item], Idle | None]:
    day = study_day(now, tz=tz)
    # Cram ranks every card; otherwise only the due cards' states are read (and every key, to
    # tell the new cards apart), so a large store costs what is due, not what was ever reviewed.
    states = store.card_states() if cram else due_states(store, now=now, tz=tz)
    reviewed = set(states) if cram else store.card_keys()
    skipped = store.skipped(day)
    new_done = store.first_reviews_since(day_start(day, tz=tz))
    queue = build_queue(
        questions, states, now=now, scheduler=scheduler, new_limit=new_per_day,
        new_done_today=new_done, limit=limit, cram=cram, skipped=skipped, tz=tz,
        reviewed=reviewed,
    )  # fmt: skip
    if queue:
        return queue, None
    keys = {q.key for q in questions}
    return queue, Idle(
        next_due=upcoming(store.card_states(), keys, now=now, tz=tz)[0],
        new_per_day=new_per_day,
        new_left=max(0, new_per_day - new_done),
        unseen=sum(1 for k in keys if k not in reviewed and k not in skipped),
        skipped=len(keys & skipped),
    )
