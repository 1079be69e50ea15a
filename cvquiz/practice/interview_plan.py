"""Scheduling toward an interview date: every card at or above a target recall on the day, with
as few reviews as the model allows.

Plain FSRS keeps every card near its desired retention forever; before an interview only the
recall on the day counts. For each card the plan assumes every future review is rated Good
(it is planned again after each real rating) and works forward from the card's state:

1. a card whose predicted recall on the day already meets the target needs no review before it;
2. otherwise, the card's next review is the *earliest* moment from which one Good review is
   enough for the target on the day (the final review, pulled forward as far as it can go, so
   it is taken while recall is highest);
3. when no single review is enough, the card is reviewed when its recall falls to the floor
   (80%: no planned review waits longer, as a review you are likely to fail costs more than it
   saves), which lifts its stability most, and the plan goes on from there.

New cards are introduced within the new-card limit, day by day, and their learning steps are
reviews like any other. Reviews after the day are not planned: nothing past it counts.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from cvquiz.clock import day_start, study_day
from cvquiz.errors import CvquizError
from cvquiz.practice.scheduler import CardState, Phase, Rating, Scheduler, new_card

PLAN_SETTING = "interview_plan"
PLAN_FLOOR = 0.8
DEFAULT_TARGET = 0.9
TARGET_RANGE = (0.7, 0.99)
SEARCH_STEP = timedelta(hours=1)  # the plan's resolution for the final review's moment
MAX_REVIEWS = 40  # per card: a guard, far above what any plan needs

Kind = str  # "learning", "final", "floor", "new", "overdue"


@dataclass(frozen=True)
class InterviewPlan:
    """What `cvquiz plan --interview` saves: the moment of the interview and the target recall."""

    at: datetime
    target: float

    def dump(self) -> str:
        return json.dumps({"at": self.at.isoformat(), "target": self.target})

    @classmethod
    def load(cls, text: str, *, where: str) -> InterviewPlan:
        try:
            data = json.loads(text)
            plan = cls(datetime.fromisoformat(data["at"]), check_target(float(data["target"])))
            if plan.at.tzinfo is None:
                raise ValueError
        except (ValueError, TypeError, KeyError, CvquizError):
            raise CvquizError(
                f"{where}: the saved interview plan is damaged; set it again with "
                "`cvquiz plan --interview DATE` or clear it with `cvquiz plan --clear`"
            ) from None
        return plan


def check_target(value: float, *, option: str = "--target") -> float:
    low, high = TARGET_RANGE
    if math.isnan(value) or not (low <= value <= high):
        raise CvquizError(
            f"{option}: {value:g} is outside {low}-{high} (0.9: 90% recall on the day)"
        )
    return value


@dataclass(frozen=True)
class Step:
    """One planned review."""

    at: datetime
    kind: Kind
    recall: float  # predicted recall just before it (0 for a new card)


@dataclass(frozen=True)
class CardPlan:
    key: str
    steps: tuple[Step, ...]
    recall_if_stopped: float  # on the day, with no more reviews
    recall_planned: float  # on the day, after the planned reviews (all Good)

    @property
    def next(self) -> Step | None:
        return self.steps[0] if self.steps else None

    def due_by(self, moment: datetime) -> bool:
        return bool(self.steps) and self.steps[0].at <= moment


@dataclass(frozen=True)
class DeckPlan:
    plan: InterviewPlan
    now: datetime
    cards: dict[str, CardPlan]
    per_day: tuple[tuple[date, int], ...]  # planned reviews per study day, today to the day

    @property
    def reviews(self) -> int:
        return sum(len(c.steps) for c in self.cards.values())

    @property
    def ready(self) -> int:
        """Cards whose planned recall on the day meets the target."""
        return sum(c.recall_planned >= self.plan.target - 1e-9 for c in self.cards.values())


def _floor_time(scheduler: Scheduler, card: CardState, floor: float) -> datetime:
    """When the card's recall falls to `floor` (fractional days, FSRS-6's curve)."""
    assert card.stability is not None and card.last_review is not None
    decay = scheduler.decay
    factor = 0.9 ** (-1 / decay) - 1
    days = card.stability / factor * (floor ** (-1 / decay) - 1)
    return card.last_review + timedelta(days=days)


def plan_card(
    key: str,
    card: CardState | None,
    *,
    start: datetime,
    plan: InterviewPlan,
    scheduler: Scheduler,
    floor: float = PLAN_FLOOR,
) -> CardPlan:
    """The reviews of one card from `start` (now, or its introduction) to the interview."""
    target, day = plan.target, plan.at
    stopped = scheduler.retrievability(card, day)
    steps: list[Step] = []
    t = start
    if card is None:  # a new card: learned at `start`
        card = new_card(key, start)
    while len(steps) < MAX_REVIEWS and t < day:
        if card.phase != Phase.REVIEW or card.stability is None:  # learning (or new): its steps
            when = max(card.due, t)
            if when >= day:
                break
            kind = "new" if card.last_review is None else "learning"
            steps.append(Step(when, kind, scheduler.retrievability(card, when)))
            card, t = scheduler.review(card, Rating.GOOD, when), when
            continue
        if scheduler.retrievability(card, day) >= target:
            break
        final = _earliest_final(card, t, plan=plan, scheduler=scheduler, floor=floor)
        if final is not None:
            when, after = final
            steps.append(Step(when, "final", scheduler.retrievability(card, when)))
            card, t = after, when
            break
        when = max(t, _floor_time(scheduler, card, floor))
        kind = "overdue" if when == t and scheduler.retrievability(card, t) < floor else "floor"
        steps.append(Step(when, kind, scheduler.retrievability(card, when)))
        card, t = scheduler.review(card, Rating.GOOD, when), when
    return CardPlan(key, tuple(steps), stopped, scheduler.retrievability(card, day))


def _earliest_final(
    card: CardState, start: datetime, *, plan: InterviewPlan, scheduler: Scheduler, floor: float
) -> tuple[datetime, CardState] | None:
    """The earliest moment (to the hour) from which one Good review meets the target on the day,
    while the card's recall is still at or above the floor (or now, if it is below already)."""
    t = start
    while t < plan.at:
        recall = scheduler.retrievability(card, t)
        if recall < floor and t > start:
            return None
        after = scheduler.review(card, Rating.GOOD, t)
        if scheduler.retrievability(after, plan.at) >= plan.target:
            return t, after
        t += SEARCH_STEP
    return None


def plan_deck(
    keys: Sequence[str],
    states: Mapping[str, CardState],
    *,
    now: datetime,
    plan: InterviewPlan,
    scheduler: Scheduler,
    new_per_day: int,
    tz: tzinfo | None = None,
    floor: float = PLAN_FLOOR,
    new_today: int | None = None,
) -> DeckPlan:
    """Every card's plan; new cards are introduced `new_per_day` a day (`new_today` of them
    today, what is left of today's limit), in bank order."""
    if plan.at <= now:
        raise CvquizError(f"the interview ({plan.at:%Y-%m-%d %H:%M} UTC) is not in the future")
    cards: dict[str, CardPlan] = {}
    fresh = [k for k in keys if k not in states]
    today = study_day(now, tz=tz)
    for key in keys:
        if key in states:
            cards[key] = plan_card(key, states[key], start=now, plan=plan, scheduler=scheduler,
                                   floor=floor)  # fmt: skip
    for key, start in introductions(fresh, now=now, until=plan.at, new_per_day=new_per_day,
                                    new_today=new_today, tz=tz).items():  # fmt: skip
        cards[key] = plan_card(key, None, start=start, plan=plan, scheduler=scheduler, floor=floor)
    counts = Counter(study_day(s.at, tz=tz) for c in cards.values() for s in c.steps)
    last = study_day(plan.at, tz=tz)
    per_day = tuple(
        (today + timedelta(days=d), counts.get(today + timedelta(days=d), 0))
        for d in range((last - today).days + 1)
    )
    return DeckPlan(plan, now, cards, per_day)


def introductions(
    fresh: Sequence[str],
    *,
    now: datetime,
    until: datetime,
    new_per_day: int,
    new_today: int | None = None,
    tz: tzinfo | None = None,
) -> dict[str, datetime]:
    """When each new card is first studied: what is left of today's new-card limit now, then
    `new_per_day` at the start of each study day, in bank order, until `until`."""
    today = study_day(now, tz=tz)
    first = new_per_day if new_today is None else max(0, min(new_today, new_per_day))
    starts: dict[str, datetime] = {}
    for i, key in enumerate(fresh):
        if i < first:
            start = now
        elif new_per_day <= 0:
            break
        else:
            start = day_start(today + timedelta(days=1 + (i - first) // new_per_day), tz=tz)
        if start >= until:
            break
        starts[key] = start
    return starts


def why(step: Step, card: CardPlan, plan: InterviewPlan) -> str:
    """One line saying why the card is due at this step."""
    day = f"{plan.at:%b %d}".replace(" 0", " ")
    more = len(card.steps) - 1
    if step.kind == "new":
        return f"new: learned now, {len(card.steps)} planned reviews in all by {day}"
    if step.kind == "learning":
        return "a learning step: it comes back in this session"
    if step.kind == "final":
        return (f"recall {step.recall:.0%} now; one review lifts {day}'s recall from "
                f"{card.recall_if_stopped:.0%} to {card.recall_planned:.0%} (target {plan.target:.0%})")  # fmt: skip
    if step.kind == "overdue":
        return f"recall {step.recall:.0%} is below the {PLAN_FLOOR:.0%} floor; {more} more before {day}"
    return f"recall has fallen to {step.recall:.0%}, the plan's floor; {more} more before {day}"


def plain_fsrs_reviews(
    keys: Sequence[str],
    states: Mapping[str, CardState],
    *,
    now: datetime,
    until: datetime,
    scheduler: Scheduler,
    new_per_day: int,
    new_today: int | None = None,
    tz: tzinfo | None = None,
) -> tuple[int, dict[str, float]]:
    """What plain FSRS does over the same days, every review Good and taken when due: the
    reviews before `until`, and each card's recall at `until`. New cards come in as in the plan."""
    fresh = [k for k in keys if k not in states]
    starts = introductions(fresh, now=now, until=until, new_per_day=new_per_day,
                           new_today=new_today, tz=tz)  # fmt: skip
    total = 0
    recall: dict[str, float] = {}
    for key in keys:
        card: CardState | None = states.get(key)
        if card is None and key not in starts:
            continue
        t = max(now, card.due) if card is not None else starts[key]
        while t < until:
            card = scheduler.review(card or new_card(key, t), Rating.GOOD, t)
            total += 1
            t = card.due  # reviewed when due, learning steps included
        recall[key] = scheduler.retrievability(card, until)
    return total, recall
