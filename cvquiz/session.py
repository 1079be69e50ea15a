"""A practice session without a screen: the queue of cards and what each key does to it."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from cvquiz.bank import Question
from cvquiz.clock import day_start, study_day
from cvquiz.errors import CvquizError
from cvquiz.grading import Grade
from cvquiz.scheduler import (
    DEFAULT_RETENTION,
    CardState,
    Phase,
    Rating,
    Scheduler,
    check_retention,
    new_card,
)
from cvquiz.store import Recorded, Store

DEFAULT_NEW_PER_DAY = 10
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


@dataclass(frozen=True)
class Idle:
    """Why a queue came out empty, so the screen can say what would give more cards."""

    next_due: datetime | None
    new_per_day: int
    new_left: int  # today's new-card allowance not yet spent
    unseen: int  # cards of the selection never reviewed and not skipped
    skipped: int  # cards of the selection skipped until tomorrow


# --------------------------------------------------------------------------- the session


@dataclass(frozen=True)
class Rated:
    """One rating of this session, kept for undo and the summary."""

    item: Item
    rating: Rating
    recorded: Recorded
    requeued: bool

    @property
    def became_leech(self) -> bool:
        """This rating took the card's lapses to the leech threshold."""
        before = self.recorded.before
        return self.recorded.after.is_leech and not (before is not None and before.is_leech)


@dataclass(frozen=True)
class Summary:
    """What a finished session reports."""

    session_id: str
    cards: int  # distinct cards rated
    reviews: int
    ratings: dict[str, int]
    skipped: int
    seconds: float
    interrupted: bool
    next_due: datetime | None  # the earliest due date after now, over the session's questions
    due_tomorrow: int  # of the session's questions, cards due by the end of tomorrow's study day
    leeches: tuple[str, ...] = ()  # keys that became leeches this session

    @property
    def again_rate(self) -> float:
        return self.ratings.get("again", 0) / self.reviews if self.reviews else 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            "session_id": self.session_id,
            "cards": self.cards,
            "reviews": self.reviews,
            "ratings": self.ratings,
            "again_rate": self.again_rate,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 1),
            "interrupted": self.interrupted,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "due_tomorrow": self.due_tomorrow,
            "leeches": list(self.leeches),
        }


@dataclass
class Session:
    """The queue and the actions on its front card; every rating is written to the store at once."""

    store: Store
    scheduler: Scheduler
    queue: list[Item]
    clock: Callable[[], datetime]
    cram: bool = False
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    ticker: Callable[[], float] = time.monotonic
    tz: tzinfo | None = None
    keys: frozenset[str] = frozenset()  # every question of the selection, queued or not
    idle: Idle | None = None  # when the queue starts empty: why
    rated: list[Rated] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._started = self.ticker()
        self._shown = self._started

    @property
    def current(self) -> Item | None:
        return self.queue[0] if self.queue else None

    @property
    def position(self) -> tuple[int, int]:
        """(this card's number, cards in the session) as the card panel shows: 3/12."""
        handled = len(self.rated) + len(self.skipped)
        return handled + 1, handled + len(self.queue)

    def shown(self) -> None:
        """The front card is on screen now (its review duration counts from here)."""
        self._shown = self.ticker()

    def intervals(self) -> dict[Rating, timedelta]:
        """The interval each rating would give the front card now."""
        item = self._front()
        now = self.clock()
        state = self.store.card_state(item.key) or new_card(item.key, now)
        return self.scheduler.preview(state, now)

    def rate(
        self, rating: Rating, *, typed: str | None = None, grade: Grade | None = None
    ) -> Rated:
        """Record a rating for the front card (committed before this returns)."""
        item = self._front()
        rating = Rating(rating)
        recorded = self.store.record_review(
            item.key, rating, now=self.clock(), scheduler=self.scheduler, session_id=self.session_id,
            duration_ms=int(round((self.ticker() - self._shown) * 1000)), typed_answer=typed,
            coverage=grade.coverage() if grade is not None else None, cram=self.cram,
        )  # fmt: skip
        self.queue.pop(0)
        # Again means "show me this again before I stop", as in Anki.
        requeued = rating == Rating.AGAIN
        if requeued:
            self.queue.append(replace(item, state=recorded.after, recall=0.0, kind="again"))
        done = Rated(item=item, rating=rating, recorded=recorded, requeued=requeued)
        self.rated.append(done)
        return done

    def skip(self) -> Item:
        """Put the front card away until tomorrow's study day."""
        item = self._front()
        self.queue.pop(0)
        self.store.skip(item.key, study_day(self.clock(), tz=self.tz))
        # A skipped card leaves the session entirely, its "again" repeats included.
        self.queue = [it for it in self.queue if it.key != item.key]
        self.skipped.append(item)
        return item

    def undo(self) -> Rated | None:
        """Take back the last rating: its log row goes, the card's state is rebuilt, it is shown
        again (unless skipped since). Raises store.UndoRefused, changing nothing, when another
        session has rated the card since."""
        if not self.rated:
            return None
        last = self.rated[-1]
        self.store.undo_review(last.recorded.review_id)
        self.rated.pop()
        if last.requeued:
            for i in range(len(self.queue) - 1, -1, -1):
                if self.queue[i].key == last.item.key and self.queue[i].kind == "again":
                    del self.queue[i]
                    break
        # A card skipped until tomorrow stays away: undo takes back the rating, not the skip.
        if all(it.key != last.item.key for it in self.skipped):
            self.queue.insert(0, last.item)
        return last

    def summary(self, *, interrupted: bool = False) -> Summary:
        now = self.clock()
        next_due, due_tomorrow = upcoming(self.store.card_states(), self.keys, now=now, tz=self.tz)
        leeches = tuple(dict.fromkeys(r.item.key for r in self.rated if r.became_leech))
        return Summary(
            session_id=self.session_id,
            cards=len({r.item.key for r in self.rated}),
            reviews=len(self.rated),
            ratings={r.label: n for r, n in sorted(Counter(x.rating for x in self.rated).items())},
            skipped=len(self.skipped),
            seconds=self.ticker() - self._started,
            interrupted=interrupted,
            next_due=next_due,
            due_tomorrow=due_tomorrow,
            leeches=leeches,
        )

    def _front(self) -> Item:
        if not self.queue:
            raise IndexError("the session has no cards left")
        return self.queue[0]


# --------------------------------------------------------------------------- starting one

RETENTION_SETTING = "retention"
NEW_SETTING = "new_per_day"


@dataclass(frozen=True)
class Plan:
    """The options of a session after defaults and saved settings are applied."""

    retention: float
    new_per_day: int
    saved: bool


def _saved(store: Store, name: str, parse: Callable[[str], float]) -> float | None:
    """A saved setting, or None; a damaged value is one error naming the file and the setting."""
    text = store.setting(name)
    if text is None:
        return None
    try:
        return parse(text)
    except (ValueError, CvquizError):
        example = f"--new {DEFAULT_NEW_PER_DAY}" if name == NEW_SETTING else f"--{name} 0.9"
        raise CvquizError(
            f"{store.path}: the saved setting {name} = {text!r} is damaged; "
            f"save a new one, e.g. {example} --save"
        ) from None


def _saved_new(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def plan(
    store: Store,
    *,
    retention: float | None = None,
    new_per_day: int | None = None,
    save: bool = False,
) -> Plan:
    """Resolve --retention and --new against the saved defaults; `save` remembers the given ones."""
    if retention is not None:
        check_retention(retention)
    if new_per_day is not None and new_per_day < 0:
        raise CvquizError(f"--new: {new_per_day} is negative (0 means no new cards today)")
    if save:
        if retention is None and new_per_day is None:
            raise CvquizError("--save: give --retention and/or --new to save as your defaults")
        if retention is not None:
            store.set_setting(RETENTION_SETTING, repr(retention))
        if new_per_day is not None:
            store.set_setting(NEW_SETTING, str(new_per_day))
    if retention is None:
        saved = _saved(store, RETENTION_SETTING, lambda t: check_retention(float(t)))
        retention = DEFAULT_RETENTION if saved is None else saved
    if new_per_day is None:
        saved_n = _saved(store, NEW_SETTING, _saved_new)
        new_per_day = DEFAULT_NEW_PER_DAY if saved_n is None else int(saved_n)
    return Plan(retention=retention, new_per_day=new_per_day, saved=save)


def start_session(
    questions: Sequence[Question],
    store: Store,
    *,
    clock: Callable[[], datetime],
    retention: float | None = None,
    new_per_day: int | None = None,
    save: bool = False,
    limit: int | None = None,
    cram: bool = False,
    fuzz: bool = True,
    tz: tzinfo | None = None,
    session_id: str | None = None,
) -> Session:
    """A session over already-filtered questions: due cards, then today's new cards (or cram order)."""
    if limit is not None and limit < 1:
        raise CvquizError(f"--limit: {limit} must be at least 1")
    chosen = plan(store, retention=retention, new_per_day=new_per_day, save=save)
    scheduler = Scheduler(retention=chosen.retention, fuzz=fuzz)
    now = clock()
    day = study_day(now, tz=tz)
    states = store.card_states()
    skipped = store.skipped(day)
    new_done = store.first_reviews_since(day_start(day, tz=tz))
    queue = build_queue(
        questions, states, now=now, scheduler=scheduler, new_limit=chosen.new_per_day,
        new_done_today=new_done, limit=limit, cram=cram, skipped=skipped, tz=tz,
    )  # fmt: skip
    keys = frozenset(q.key for q in questions)
    idle = None
    if not queue:
        idle = Idle(
            next_due=upcoming(states, keys, now=now, tz=tz)[0],
            new_per_day=chosen.new_per_day,
            new_left=max(0, chosen.new_per_day - new_done),
            unseen=sum(1 for k in keys if k not in states and k not in skipped),
            skipped=len(keys & skipped),
        )
    extra = {"session_id": session_id} if session_id else {}
    return Session(
        store=store, scheduler=scheduler, queue=queue, clock=clock, cram=cram, tz=tz, keys=keys,
        idle=idle, **extra,
    )  # fmt: skip
