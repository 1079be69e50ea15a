"""The interview plan: every card at the target on the day with fewer reviews than plain FSRS;
each step's rule pinned by hand; the command sets, shows, moves and clears it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW_TEXT, cli_env
from typer.testing import CliRunner

import cvquiz.cli  # noqa: F401  (registers every command)
from cvquiz.cli.app import app
from cvquiz.practice.interview_plan import (
    PLAN_FLOOR,
    SEARCH_STEP,
    InterviewPlan,
    plain_fsrs_reviews,
    plan_card,
    plan_deck,
)
from cvquiz.practice.scheduler import Rating, Scheduler, new_card

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
KEYS = [f"bank/q{i:02d}" for i in range(40)]
SCHEDULER = Scheduler(fuzz=False)


def reviewed(key: str, days_ago: float, rating: Rating = Rating.GOOD):
    """A card learned (two Good steps) `days_ago` days before NOW, then rated once more."""
    t = NOW - timedelta(days=days_ago)
    card = SCHEDULER.review(new_card(key, t), Rating.GOOD, t)
    card = SCHEDULER.review(card, Rating.GOOD, t + timedelta(minutes=10))
    return SCHEDULER.review(card, rating, t + timedelta(days=2))


def test_forty_new_cards_over_fourteen_days_reach_the_target_with_fewer_reviews() -> None:
    plan = InterviewPlan(NOW + timedelta(days=14), 0.9)
    deck = plan_deck(KEYS, {}, now=NOW, plan=plan, scheduler=SCHEDULER, new_per_day=10)
    assert deck.ready == 40 and all(c.recall_planned >= 0.9 for c in deck.cards.values())
    plain, recall = plain_fsrs_reviews(KEYS, {}, now=NOW, until=plan.at,
                                       scheduler=Scheduler(retention=0.9), new_per_day=10)  # fmt: skip
    assert deck.reviews < plain  # 120 against 137 at the time of writing
    assert sum(r >= 0.9 for r in recall.values()) < 40  # plain FSRS leaves some short on the day
    assert sum(n for _, n in deck.per_day) == deck.reviews
    assert deck.per_day[0][0] == NOW.date() and deck.per_day[-1][0] == plan.at.date()
    again = plan_deck(KEYS, {}, now=NOW, plan=plan, scheduler=SCHEDULER, new_per_day=10)
    assert again == deck  # deterministic


def test_a_card_already_safe_for_the_day_needs_no_review() -> None:
    card = reviewed("bank/safe", days_ago=3)
    plan = InterviewPlan(NOW + timedelta(days=2), 0.9)
    assert SCHEDULER.retrievability(card, plan.at) >= 0.9
    p = plan_card("bank/safe", card, start=NOW, plan=plan, scheduler=SCHEDULER)
    assert p.steps == () and p.recall_planned == p.recall_if_stopped


def test_the_final_review_is_the_earliest_hour_that_is_enough() -> None:
    card = reviewed("bank/one", days_ago=3)
    plan = InterviewPlan(NOW + timedelta(days=20), 0.9)
    p = plan_card("bank/one", card, start=NOW, plan=plan, scheduler=SCHEDULER)
    (step,) = p.steps
    assert step.kind == "final" and p.recall_planned >= 0.9 > p.recall_if_stopped
    earlier = step.at - SEARCH_STEP
    assert (
        earlier < NOW
        or SCHEDULER.retrievability(SCHEDULER.review(card, Rating.GOOD, earlier), plan.at) < 0.9
    )
    assert step.recall >= PLAN_FLOOR


def test_when_one_review_is_not_enough_it_waits_for_the_floor() -> None:
    card = reviewed("bank/far", days_ago=2.5)
    plan = InterviewPlan(NOW + timedelta(days=90), 0.9)
    p = plan_card("bank/far", card, start=NOW, plan=plan, scheduler=SCHEDULER)
    assert len(p.steps) >= 2 and p.steps[-1].kind == "final" and p.recall_planned >= 0.9
    for step in p.steps[:-1]:
        assert step.kind == "floor" and step.recall == pytest.approx(PLAN_FLOOR, abs=1e-6)
    assert [s.at for s in p.steps] == sorted(s.at for s in p.steps)


def test_an_overdue_card_is_due_now() -> None:
    card = replace(reviewed("bank/late", days_ago=60), stability=1.0)
    plan = InterviewPlan(NOW + timedelta(days=30), 0.9)
    p = plan_card("bank/late", card, start=NOW, plan=plan, scheduler=SCHEDULER)
    assert p.steps[0].at == NOW and p.steps[0].kind in ("overdue", "final")


def test_nothing_is_planned_past_the_day() -> None:
    plan = InterviewPlan(datetime(2026, 12, 6, 4, 0, tzinfo=UTC), 0.95)  # the day's start
    deck = plan_deck(KEYS, {}, now=NOW, plan=plan, scheduler=SCHEDULER, new_per_day=10)
    assert all(s.at < plan.at for c in deck.cards.values() for s in c.steps)
    assert len(deck.cards) == 30  # 10 today, 10 tomorrow, 10 the day after; none on the day


def run(home: Path, *args: str):
    env: dict[str, str | None] = {**cli_env(home, now=NOW_TEXT), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, list(args), env=env)


def test_the_plan_command_sets_shows_moves_and_clears(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert "No interview plan is set" in run(home, "plan").output
    shown = run(home, "plan", "--interview", "2026-12-09", "--target", "0.85")
    assert shown.exit_code == 0, shown.output
    out = " ".join(shown.output.split())  # as read, whatever the wrapping
    assert "Interview Wed Dec 9 (in 14 days) · target 85% recall on the day" in out
    assert "40/40 reach the target" in out and "plain FSRS at 85%" in out
    assert "Due today (10), and why" in out and "Q1 new: learned now" in out
    data = json.loads(run(home, "plan", "--json").output)
    assert data["target"] == 0.85 and data["interview"] == "2026-12-09T04:00:00+00:00"
    assert data["ready"] == 40 and data["reviews"] == sum(d["reviews"] for d in data["per_day"])
    moved = run(home, "plan", "--interview", "2026-12-20")
    assert "Interview Sun Dec 20" in moved.output and "target 90%" in moved.output
    cleared = run(home, "plan", "--clear")
    assert "Cleared the interview plan for Sun Dec 20" in cleared.output
    assert "No interview plan is set" in run(home, "plan").output


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--interview", "2026-11-01"], "--interview: 2026-11-01 is in the past"),
        (["--interview", "2026-12-09", "--target", "1.5"], "--target: 1.5 is outside 0.7-0.99"),
        (["--target", "0.9"], "--target: give it with --interview DATE"),
        (["--clear", "--simulate"], "--clear and --simulate: give one of them at a time"),
        (["--interview", "soon"], "--interview: 'soon' is not a date"),
    ],
)
def test_bad_plan_options_are_one_line(tmp_path: Path, args: list[str], error: str) -> None:
    done = run(tmp_path / "home", "plan", *args)
    assert done.exit_code == 2 and done.output.startswith(f"cvquiz: error: {error}"), done.output
    assert len(done.output.strip().splitlines()) == 1
