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
from cvquiz.practice.marks import reviews_done_today, suspended_keys
from cvquiz.practice.scheduler import CardState, Phase, Rating, Scheduler
from cvquiz.practice.store import Store

LEARN_AHEAD = timedelta(minutes=20)  # Anki's default: a learning step due this soon is shown now

Kind = Literal["due", "new", "cram", "again"]


@dataclass(frozen=True)
class Item:
    """A card in the queue: its question, its state when queued and why it is there."""

    question: Question
    state: CardState | None
    recall: float  # predicted recall when queued; 0 for a card never reviewed
    kind: Kind
    back_at: datetime | None = None  # a card rated this session that comes back: its step's due
    why: str | None = None  # the interview plan's reason this card is due today

    @property
    def key(self) -> str:
        return self.question.key


@dataclass(frozen=True)
class Idle:
    """Why a queue came out empty, so the screen can say what would give more cards."""

    next_due: datetime | None
    new_per_day: int
    cards: int  # cards in the selection: 0 when the filters match none
    new_left: int  # today's new-card allowance not yet spent
    unseen: int  # cards of the selection never reviewed, not skipped and not suspended
    skipped: int  # cards of the selection skipped until tomorrow
    suspended: int = 0  # cards of the selection suspended
    reviews_per_day: int | None = None  # the daily review limit (None: none)
    held: int = 0  # review cards due today that the daily review limit holds back
    reviews_done: int = 0  # reviews today that the daily review limit counts


def is_due(
    state: CardState, *, now: datetime, day_end: datetime, learn_ahead: timedelta = LEARN_AHEAD
) -> bool:
    """Review cards are due for the whole study day they fall in; learning steps `learn_ahead`
    early (so a session does not end with a step due in minutes)."""
    if state.phase == Phase.REVIEW:
        return state.due < day_end
    return state.due <= now + learn_ahead


def due_states(
    store: Store, *, now: datetime, tz: tzinfo | None = None, learn_ahead: timedelta = LEARN_AHEAD
) -> dict[str, CardState]:
    """The stored cards `is_due` holds due now, read through the store's index on due dates."""
    day_end = day_start(study_day(now, tz=tz), tz=tz) + timedelta(days=1)
    return store.due_states(review_before=day_end, learning_by=now + learn_ahead)


def failed_since(
    store: Store, states: Mapping[str, CardState], moment: datetime, *, among: Collection[str]
) -> set[str]:
    """Which of the cards `among` were rated Again at or after `moment`: only the logs of cards
    reviewed since are read (each through the index on card keys), so this costs today's cards,
    not the whole log."""
    recent = [k for k, s in states.items() if s.last_review is not None and s.last_review >= moment]
    return {
        k
        for k in recent
        if k in among
        and any(r.rating == Rating.AGAIN and r.reviewed_at >= moment for r in store.reviews(key=k))
    }


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
    failed: Collection[str] = frozenset(),
    learn_ahead: timedelta = LEARN_AHEAD,
    planned: Mapping[str, tuple[datetime, str]] | None = None,
    suspended: Collection[str] = frozenset(),
    review_limit: int | None = None,
) -> list[Item]:
    """Due cards (lowest predicted recall first), then new cards up to the day's limit.

    Suspended cards never enter (cram included). `review_limit` (what is left of the daily review
    limit) caps the due cards in the review phase; learning steps are never capped, as in Anki.

    With an interview plan (`planned`: each card's next planned review and why), a review card
    is due when the plan wants it today, not when plain FSRS would; learning steps are as ever.

    Cram takes every reviewed card: those `failed` today first, then the lowest predicted recall,
    then new cards up to the day's limit. `states` may hold only the due cards when `reviewed`
    names every card with progress (so the new ones can be told apart); cram needs every state.
    """
    reviewed = states if reviewed is None else reviewed
    # (question, key, place): each key made once, since a selection can hold 100,000 questions;
    # the place breaks ties, so equal cards keep the banks' order.
    pool = [
        (q, k, i)
        for i, q in enumerate(questions)
        if (k := q.key) not in skipped and k not in suspended
    ]
    fresh = (Item(q, None, 0.0, "cram" if cram else "new") for q, k, _ in pool if k not in reviewed)
    if cram:
        ranked = [
            (Item(q, s, scheduler.retrievability(s, now), "cram"), k not in failed, i)
            for q, k, i in pool
            if (s := states.get(k)) is not None
        ]
        ranked.sort(key=lambda p: (p[1], p[0].recall, -p[0].state.lapses, p[2]))
        seen = [it for it, _, _ in ranked]
    else:
        day_end = day_start(study_day(now, tz=tz), tz=tz) + timedelta(days=1)

        def wanted(k: str, s: CardState) -> bool:
            if planned is None or s.phase != Phase.REVIEW:
                return is_due(s, now=now, day_end=day_end, learn_ahead=learn_ahead)
            return k in planned and planned[k][0] < day_end

        due = [
            (Item(q, s, scheduler.retrievability(s, now), "due",
                  why=planned[k][1] if planned is not None and k in planned else None), i)
            for q, k, i in pool
            if (s := states.get(k)) is not None and wanted(k, s)
        ]  # fmt: skip
        due.sort(key=lambda p: (p[0].recall, p[0].state.due, p[1]))
        seen = _capped([it for it, _ in due], review_limit)
    items = seen + list(islice(fresh, max(0, new_limit - new_done_today)))
    return items if limit is None else items[: max(0, limit)]


def _capped(items: list[Item], review_limit: int | None) -> list[Item]:
    """The items with at most `review_limit` cards in the review phase (the first ones)."""
    if review_limit is None:
        return items
    left = max(0, review_limit)
    kept = []
    for it in items:
        if it.state is not None and it.state.phase == Phase.REVIEW:
            if not left:
                continue
            left -= 1
        kept.append(it)
    return kept


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
    learn_ahead: timedelta = LEARN_AHEAD,
    planned: Mapping[str, tuple[datetime, str]] | None = None,
    reviews_per_day: int | None = None,
) -> tuple[list[Item], Idle | None]:
    """Today's queue over these questions from the stored progress, and why it is empty if it is
    (`reviews_per_day`: the daily review limit, counted across sessions; cram ignores it)."""
    with collector_paused():
        return _queue_from_store(
            questions, store, scheduler=scheduler, now=now, new_per_day=new_per_day,
            limit=limit, cram=cram, tz=tz, learn_ahead=learn_ahead, planned=planned,
            reviews_per_day=reviews_per_day,
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
    learn_ahead: timedelta,
    planned: Mapping[str, tuple[datetime, str]] | None = None,
    reviews_per_day: int | None = None,
) -> tuple[list[Item], Idle | None]:
    day = study_day(now, tz=tz)
    today = day_start(day, tz=tz)
    # Cram ranks every card; otherwise only the due cards' states are read (and every key, to
    # tell the new cards apart), so a large store costs what is due, not what was ever reviewed.
    # A plan can want any card today, so it reads every state.
    states = (
        store.card_states()
        if cram or planned is not None
        else due_states(store, now=now, tz=tz, learn_ahead=learn_ahead)
    )
    reviewed = set(states) if cram else store.card_keys()
    skipped = store.skipped(day)
    suspended = suspended_keys(store)
    new_done = store.first_reviews_since(today)
    review_left = reviews_done = None
    if reviews_per_day is not None and not cram:
        reviews_done = reviews_done_today(store, today)
        review_left = max(0, reviews_per_day - reviews_done)
    keys = {q.key for q in questions}
    failed = failed_since(store, states, today, among=keys) if cram else set()
    queue = build_queue(
        questions, states, now=now, scheduler=scheduler, new_limit=new_per_day,
        new_done_today=new_done, limit=limit, cram=cram, skipped=skipped, tz=tz,
        reviewed=reviewed, failed=failed, learn_ahead=learn_ahead, planned=planned,
        suspended=suspended, review_limit=review_left,
    )  # fmt: skip
    if queue:
        return queue, None
    # Empty: the due review cards the limit held back are all that an uncapped queue would hold.
    held = (
        0
        if review_left is None
        else len(build_queue(
            questions, states, now=now, scheduler=scheduler, new_limit=0, cram=cram,
            skipped=skipped, tz=tz, reviewed=reviewed, learn_ahead=learn_ahead, planned=planned,
            suspended=suspended,
        ))
    )  # fmt: skip
    return queue, Idle(
        next_due=upcoming(store.card_states(), keys - suspended, now=now, tz=tz)[0],
        new_per_day=new_per_day,
        cards=len(keys),
        new_left=max(0, new_per_day - new_done),
        unseen=sum(1 for k in keys - skipped - suspended if k not in reviewed),
        skipped=len((keys & skipped) - suspended),
        suspended=len(keys & suspended),
        reviews_per_day=None if cram else reviews_per_day,
        held=held,
        reviews_done=reviews_done or 0,
    )
