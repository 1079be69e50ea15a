"""The store-facing side of `optimize` and `plan`: the user's parameters, interview plan and
habits read from the progress store, and the results the commands show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from cvquiz.bank.model import Library
from cvquiz.practice import forecast, interview_plan, optimize
from cvquiz.practice.interview_plan import PLAN_SETTING, DeckPlan, InterviewPlan
from cvquiz.practice.scheduler import DEFAULT_RETENTION, Scheduler
from cvquiz.practice.store import Store


def scheduler_for(
    store: Store, *, retention: float = DEFAULT_RETENTION, fuzz: bool = True
) -> Scheduler:
    """A scheduler with the user's own parameters, once `cvquiz optimize` has adopted some."""
    return Scheduler(retention=retention, fuzz=fuzz, parameters=optimize.saved_parameters(store))


def saved_plan(store: Store) -> InterviewPlan | None:
    text = store.setting(PLAN_SETTING)
    if text is None or text == "":
        return None
    return InterviewPlan.load(text, where=f"{store.path}: {PLAN_SETTING}")


def set_plan(store: Store, plan: InterviewPlan) -> None:
    store.set_setting(PLAN_SETTING, plan.dump())


def clear_plan(store: Store) -> bool:
    """Forget the plan; False when there was none."""
    if saved_plan(store) is None:
        return False
    store.set_setting(PLAN_SETTING, "")
    return True


def run_optimize(store: Store) -> optimize.Fit:
    """Fit, score on the later part of the log, and adopt the fitted parameters if they win."""
    current = optimize.saved_parameters(store) or optimize.default_parameters()
    result = optimize.fit(optimize.events_of(store), current=current)
    if result.adopted and result.parameters is not None:
        optimize.adopt(store, result.parameters)
        rebuild_with_parameters(store)
    return result


def revert_parameters(store: Store) -> tuple[float, ...] | None:
    restored = optimize.revert(store)
    rebuild_with_parameters(store)
    return restored


def rebuild_with_parameters(store: Store) -> None:
    """Recompute every card's memory state from the log with the parameters now saved, so that
    states always equal a replay of the log (`cvquiz doctor`); due dates stay as logged."""
    scheduler = Scheduler(fuzz=False, parameters=optimize.saved_parameters(store))
    store.rebuild_states(replay=scheduler.replay, write=True)


@dataclass(frozen=True)
class PlanView:
    """A deck plan with plain FSRS's figures over the same days, for comparison."""

    deck: DeckPlan
    plain_reviews: int
    plain_short: int  # cards plain FSRS leaves under the target on the day
    library: Library
    suspended: int = 0  # cards left out of the plan, as out of practice

    @property
    def cards(self) -> int:
        """The cards the plan is for."""
        return len(self.library.questions) - self.suspended


def deck_plan(
    library: Library, store: Store, plan: InterviewPlan, *, now: datetime, new_per_day: int,
    tz: tzinfo | None = None,
) -> PlanView:  # fmt: skip
    from cvquiz.practice.marks import suspended_keys

    away = suspended_keys(store)
    keys = [q.key for q in library.questions if q.key not in away]
    states = store.card_states()
    scheduler = scheduler_for(store, fuzz=False)
    from cvquiz.clock import day_start, study_day

    new_today = new_per_day - store.first_reviews_since(day_start(study_day(now, tz=tz), tz=tz))
    deck = interview_plan.plan_deck(keys, states, now=now, plan=plan, scheduler=scheduler,
                                    new_per_day=new_per_day, new_today=new_today, tz=tz)  # fmt: skip
    plain = scheduler_for(store, retention=plan.target, fuzz=True)
    count, recall = interview_plan.plain_fsrs_reviews(
        keys, states, now=now, until=plan.at, scheduler=plain, new_per_day=new_per_day,
        new_today=new_today, tz=tz,
    )  # fmt: skip
    short = sum(r < plan.target - 1e-9 for r in recall.values()) + (len(keys) - len(recall))
    return PlanView(
        deck, count, short, library, suspended=len(away & {q.key for q in library.questions})
    )


def simulate(
    library: Library, store: Store, *, now: datetime, new_per_day: int, days: int, seed: int
) -> tuple[list[forecast.Cost], forecast.Habits]:
    keys = [q.key for q in library.questions]
    habits = forecast.Habits.of([(r.rating, r.duration_ms) for r in store.reviews()])
    costs = forecast.simulate(
        keys, store.card_states(), now=now, parameters=optimize.saved_parameters(store),
        habits=habits, new_per_day=new_per_day, days=days, seed=seed,
    )  # fmt: skip
    return costs, habits


@dataclass(frozen=True)
class Planned:
    """What practice needs of the plan: each card's next planned review, and why."""

    plan: InterviewPlan
    due: dict[str, tuple[datetime, str]]


def planned_reviews(
    store: Store, questions, *, now: datetime, new_per_day: int, tz: tzinfo | None = None
) -> Planned | None:
    """The plan's next review of each of these cards, or None without a plan (or once the day
    has passed: practice then follows plain FSRS again)."""
    plan = saved_plan(store)
    if plan is None or plan.at <= now:
        return None
    from cvquiz.practice.marks import suspended_keys

    away = suspended_keys(store)  # a suspended card is out of the plan as it is out of practice
    keys = [q.key for q in questions if q.key not in away]
    states = store.card_states()
    deck = interview_plan.plan_deck(keys, {k: s for k, s in states.items() if k in set(keys)},
                                    now=now, plan=plan, scheduler=scheduler_for(store, fuzz=False),
                                    new_per_day=new_per_day, tz=tz)  # fmt: skip
    due = {
        k: (c.steps[0].at, interview_plan.why(c.steps[0], c, plan))
        for k, c in deck.cards.items()
        if c.steps
    }
    return Planned(plan, due)
