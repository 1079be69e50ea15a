"""`cvquiz plan --simulate`: a seeded simulation of what each desired retention costs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from practice_helpers import NOW_TEXT, cli_env
from typer.testing import CliRunner

import cvquiz.cli  # noqa: F401  (registers every command)
from cvquiz.cli.app import app
from cvquiz.practice.forecast import DEFAULT_SECONDS, RETENTIONS, Habits, simulate
from cvquiz.practice.scheduler import Rating

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
KEYS = [f"bank/q{i:02d}" for i in range(40)]


def test_higher_retention_costs_more_and_the_seed_fixes_the_figures() -> None:
    costs = simulate(KEYS, {}, now=NOW, parameters=None, habits=Habits.of([]), new_per_day=10)
    assert [c.retention for c in costs] == list(RETENTIONS)
    assert costs[0].reviews_per_day < costs[4].reviews_per_day < costs[-1].reviews_per_day
    assert costs[0].minutes_per_day < costs[-1].minutes_per_day
    assert costs[0].recall_at_end < costs[-1].recall_at_end
    again = simulate(KEYS, {}, now=NOW, parameters=None, habits=Habits.of([]), new_per_day=10)
    assert again == costs
    other = simulate(
        KEYS, {}, now=NOW, parameters=None, habits=Habits.of([]), new_per_day=10, seed=7
    )
    assert other != costs


def test_habits_come_from_the_log_once_it_has_enough() -> None:
    assert Habits.of([]).seconds == DEFAULT_SECONDS and not Habits.of([]).from_log
    log = [(Rating.GOOD, 3_000)] * 30 + [(Rating.EASY, 2_000)] * 10 + [(Rating.AGAIN, 60_000)] * 25
    habits = Habits.of(log)
    assert habits.from_log and habits.pass_shares[Rating.GOOD] == 0.75
    assert habits.seconds[Rating.GOOD] == 3.0 and habits.seconds[Rating.AGAIN] == 60.0
    assert habits.seconds[Rating.EASY] == DEFAULT_SECONDS[Rating.EASY]  # 10 are too few


def test_the_command_marks_the_current_retention(tmp_path: Path) -> None:
    env: dict[str, str | None] = {**cli_env(tmp_path / "home", now=NOW_TEXT), "CVQUIZ_BANK": None}
    shown = CliRunner().invoke(app, ["plan", "--simulate", "--days", "30"], env=env)
    assert shown.exit_code == 0, shown.output
    rows = [line for line in shown.output.splitlines() if "%" in line and "█" in line]
    assert len(rows) == len(RETENTIONS) and [r[0] for r in rows].count("▶") == 1
    assert rows[4].startswith("▶ 90%")
    data = json.loads(CliRunner().invoke(app, ["plan", "--simulate", "--json"], env=env).output)
    assert data["retention"] == 0.9 and len(data["costs"]) == len(RETENTIONS)
