"""A practice session without a screen: the queue of cards and what each key does to it."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Literal

from cvquiz.bank.model import Question
from cvquiz.clock import study_day
from cvquiz.errors import CvquizError
from cvquiz.practice.grading import Grade
from cvquiz.practice.interview_plan import InterviewPlan
from cvquiz.practice.marks import mark, set_flag, set_suspended, suspended_keys, unskip
from cvquiz.practice.queue import LEARN_AHEAD, Idle, Item, queue_from_store, upcoming
from cvquiz.practice.records import NewReview, Recorded
from cvquiz.practice.scheduler import Phase, Preview, Rating, Scheduler, new_card
from cvquiz.practice.settings import plan
from cvquiz.practice.store import Store

# --------------------------------------------------------------------------- the session


@dataclass(frozen=True)
class Rated:
    """One rating of this session, kept for undo and the summary."""

    item: Item
    rating: Rating
    recorded: Recorded
    requeued: bool  # the card comes back in this session (again, or a learning step due soon)

    @property
    def became_leech(self) -> bool:
        """This rating took the card's lapses to the leech threshold."""
        before = self.recorded.before
        return self.recorded.after.is_leech and not (before is not None and before.is_leech)


@dataclass(frozen=True)
class Removed:
    """A card taken out of the session: skipped (buried until tomorrow's study day) or suspended;
    `places` are where it and its repeats stood in the queue, so an undo puts them back."""

    item: Item
    how: Literal["skip", "suspend"]
    places: tuple[tuple[int, Item], ...]
    day: date  # the study day of a skip


@dataclass(frozen=True)
class Flagged:
    """The front card's flag changed (0: none, 1-4: red, orange, green, blue)."""

    item: Item
    before: int
    after: int


Action = Rated | Removed | Flagged  # what `u` takes back, the last one first


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
    # Learning steps of the session's questions due within the learn-ahead window: cards the
    # session would have shown had it gone on (0 when it ran to its end).
    learning_due: int = 0
    learn_ahead: timedelta = LEARN_AHEAD
    suspended: int = 0  # cards suspended in this session

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
            "suspended": self.suspended,
            "seconds": round(self.seconds, 1),
            "interrupted": self.interrupted,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "due_tomorrow": self.due_tomorrow,
            "learning_due": self.learning_due,
            "learn_ahead_minutes": self.learn_ahead // timedelta(minutes=1),
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
    learn_ahead: timedelta = LEARN_AHEAD  # a learning step due this soon comes back this session
    plan: InterviewPlan | None = None  # the interview plan the queue follows, if one is set
    rated: list[Rated] = field(default_factory=list)
    skipped: list[Item] = field(default_factory=list)
    suspended: list[Item] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)  # in order, for undo

    def __post_init__(self) -> None:
        self._started = self.ticker()
        self._shown = self._started

    @property
    def current(self) -> Item | None:
        return self.queue[0] if self.queue else None

    @property
    def position(self) -> tuple[int, int]:
        """(this card's number, cards in the session) as the card panel shows: 3/12."""
        handled = len(self.rated) + len(self.skipped) + len(self.suspended)
        return handled + 1, handled + len(self.queue)

    def shown(self) -> None:
        """The front card is on screen now (its review duration counts from here)."""
        self._shown = self.ticker()

    def preview(self) -> Preview:
        """What each rating would do to the front card now (fuzz included: exactly what the
        rating gives), and why two ratings show the same interval."""
        item = self._front()
        now = self.clock()
        state = self.store.card_state(item.key) or new_card(item.key, now)
        return self.scheduler.outcomes(state, now)

    def intervals(self) -> dict[Rating, timedelta]:
        """The interval each rating would give the front card now."""
        return self.preview().intervals

    def rate(
        self, rating: Rating, *, typed: str | None = None, grade: Grade | None = None
    ) -> Rated:
        """Record a rating for the front card (committed before this returns)."""
        item = self._front()
        rating = Rating(rating)
        now = self.clock()
        review = NewReview(
            key=item.key, rating=rating, at=now, session_id=self.session_id,
            retention=self.scheduler.retention,
            duration_ms=int(round((self.ticker() - self._shown) * 1000)), typed_answer=typed,
            coverage=grade.coverage() if grade is not None else None, cram=self.cram,
        )  # fmt: skip
        # The store reads the card inside its write, so a rating elsewhere since is built upon.
        recorded = self.store.record_review(
            review, schedule=self.scheduler.schedule(item.key, rating, now=now)
        )
        self.queue.pop(0)
        after = recorded.after
        # Again means "show me this again before I stop", as in Anki; so does a learning step
        # due within the learn-ahead window, which a new session would show at once.
        requeued = rating == Rating.AGAIN or (
            after.phase != Phase.REVIEW and after.due <= now + self.learn_ahead
        )
        if requeued:
            kind = "again" if rating == Rating.AGAIN else "due"
            recall = self.scheduler.retrievability(after, now)
            self._come_back(replace(item, state=after, recall=recall, kind=kind, back_at=after.due))
        done = Rated(item=item, rating=rating, recorded=recorded, requeued=requeued)
        self.rated.append(done)
        self.actions.append(done)
        return done

    def _remove_front(self, how: Literal["skip", "suspend"]) -> Removed:
        """Take the front card out of the session, its "again" repeats included."""
        item = self._front()
        places = tuple((i, it) for i, it in enumerate(self.queue) if it.key == item.key)
        self.queue = [it for it in self.queue if it.key != item.key]
        removed = Removed(item=item, how=how, places=places,
                          day=study_day(self.clock(), tz=self.tz))  # fmt: skip
        (self.skipped if how == "skip" else self.suspended).append(item)
        self.actions.append(removed)
        return removed

    def skip(self) -> Item:
        """Bury the front card until tomorrow's study day."""
        item = self._front()
        self.store.skip(item.key, study_day(self.clock(), tz=self.tz))
        return self._remove_front("skip").item

    def suspend(self) -> Item:
        """Suspend the front card: it leaves the session and no queue takes it until unsuspended."""
        item = self._front()
        set_suspended(self.store, [item.key], True, now=self.clock())
        return self._remove_front("suspend").item

    def flag(self, flag: int = 1) -> Flagged:
        """Toggle the front card's flag: `flag` (red by default) when it has none, else none."""
        item = self._front()
        before = mark(self.store, item.key).flag
        after = 0 if before else flag
        set_flag(self.store, [item.key], after, now=self.clock())
        done = Flagged(item=item, before=before, after=after)
        self.actions.append(done)
        return done

    def undo(self) -> Action | None:
        """Take back the last action, whichever it was. A rating: its log row goes, the card's
        state is rebuilt and it is shown again; raises store.UndoRefused, changing nothing, when
        another session has rated the card since. A skip or a suspension: the card (and its
        repeats) come back where they were. A flag: the flag it had before."""
        if not self.actions:
            return None
        last = self.actions[-1]
        if isinstance(last, Rated):
            self._undo_rating(last)
        elif isinstance(last, Removed):
            if last.how == "skip":
                unskip(self.store, last.item.key, last.day)
                self.skipped.pop()
            else:
                set_suspended(self.store, [last.item.key], False, now=self.clock())
                self.suspended.pop()
            for i, it in last.places:
                self.queue.insert(i, it)
        else:
            set_flag(self.store, [last.item.key], last.before, now=self.clock())
        self.actions.pop()
        return last

    def _undo_rating(self, last: Rated) -> None:
        self.store.undo_review(last.recorded.review_id, replay=self.scheduler.replay)
        self.rated.pop()
        if last.requeued:
            for i in range(len(self.queue) - 1, -1, -1):
                if self.queue[i].key == last.item.key and self.queue[i].back_at is not None:
                    del self.queue[i]
                    break
        self.queue.insert(0, last.item)

    def _come_back(self, item: Item) -> None:
        """Queue a card rated this session after every card not yet shown, among the others that
        come back in the order their steps fall due."""
        assert item.back_at is not None
        i = len(self.queue)
        while i and (at := self.queue[i - 1].back_at) is not None and at > item.back_at:
            i -= 1
        self.queue.insert(i, item)

    def summary(self, *, interrupted: bool = False) -> Summary:
        now = self.clock()
        states = self.store.card_states()
        keys = self.keys - suspended_keys(self.store)  # a suspended card is never due
        next_due, due_tomorrow = upcoming(states, keys, now=now, tz=self.tz)
        learning_due = sum(
            1
            for k in keys
            if (s := states.get(k)) is not None
            and s.phase != Phase.REVIEW
            and s.due <= now + self.learn_ahead
        )
        leeches = tuple(dict.fromkeys(r.item.key for r in self.rated if r.became_leech))
        return Summary(
            session_id=self.session_id,
            cards=len({r.item.key for r in self.rated}),
            reviews=len(self.rated),
            ratings={r.label: n for r, n in sorted(Counter(x.rating for x in self.rated).items())},
            skipped=len(self.skipped),
            suspended=len(self.suspended),
            seconds=self.ticker() - self._started,
            interrupted=interrupted,
            next_due=next_due,
            due_tomorrow=due_tomorrow,
            leeches=leeches,
            learning_due=learning_due,
            learn_ahead=self.learn_ahead,
        )

    def _front(self) -> Item:
        if not self.queue:
            raise IndexError("the session has no cards left")
        return self.queue[0]


# --------------------------------------------------------------------------- starting one


@dataclass(frozen=True)
class SessionOptions:
    """What the user asked of a session; None means the saved default (or the built-in one)."""

    retention: float | None = None
    new_per_day: int | None = None
    learn_ahead_minutes: int | None = None
    reviews_per_day: int | None = None  # the daily review limit (reviews of review cards)
    save: bool = False  # remember the given retention, new-cards count, review limit, learn-ahead
    limit: int | None = None
    cram: bool = False
    fuzz: bool = True  # off for reproducible runs (a fixed clock)


def check_limit(limit: int | None) -> None:
    """--limit, when given, is at least one card."""
    if limit is not None and limit < 1:
        raise CvquizError(f"--limit: {limit} must be at least 1")


def start_session(
    questions: Sequence[Question],
    store: Store,
    *,
    clock: Callable[[], datetime],
    options: SessionOptions = SessionOptions(),
    tz: tzinfo | None = None,
    session_id: str | None = None,
) -> Session:
    """A session over already-filtered questions: due cards, then today's new cards (or cram order)."""
    check_limit(options.limit)
    chosen = plan(
        store, retention=options.retention, new_per_day=options.new_per_day,
        learn_ahead_minutes=options.learn_ahead_minutes, reviews_per_day=options.reviews_per_day,
        save=options.save,
    )  # fmt: skip
    from cvquiz.practice.optimize import saved_parameters

    scheduler = Scheduler(
        retention=chosen.retention, fuzz=options.fuzz, parameters=saved_parameters(store)
    )
    from cvquiz.practice.planning import planned_reviews

    planned = None if options.cram else planned_reviews(store, questions, now=clock(), tz=tz,
                                                        new_per_day=chosen.new_per_day)  # fmt: skip
    queue, idle = queue_from_store(
        questions, store, scheduler=scheduler, now=clock(), new_per_day=chosen.new_per_day,
        limit=options.limit, cram=options.cram, tz=tz, learn_ahead=chosen.learn_ahead,
        planned=None if planned is None else planned.due, reviews_per_day=chosen.reviews_per_day,
    )  # fmt: skip
    extra = {"session_id": session_id} if session_id else {}
    return Session(
        store=store, scheduler=scheduler, queue=queue, clock=clock, cram=options.cram, tz=tz,
        plan=None if planned is None else planned.plan,
        keys=frozenset(q.key for q in questions), idle=idle, learn_ahead=chosen.learn_ahead,
        **extra,
    )  # fmt: skip
