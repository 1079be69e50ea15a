"""History in the user's own time zone (UTC stays in --json), the --at heading keeps its time, and
a --limit says how many reviews it left out."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from practice_helpers import NOW_TEXT, cli_env
from typer.testing import CliRunner

import cvquiz.cli  # noqa: F401  (registers every command)
from cvquiz.cli.app import app


def run(home: Path, args: list[str], text: str = ""):
    env: dict[str, str | None] = {**cli_env(home, now=NOW_TEXT), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, args, input=text, env=env)


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch):
    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture
def studied(tmp_path: Path) -> Path:
    """Three reviews at 12:00 UTC on 2026-11-25 (the fixed clock)."""
    home = tmp_path / "home"
    done = run(home, ["practice", "--limit", "3"], "\n3\n\n4\n\n4\n")
    assert done.exit_code == 0, done.output
    return home


def test_history_shows_local_time_and_names_the_zone(studied: Path, zone) -> None:
    zone("Asia/Tokyo")  # UTC+9, no daylight saving
    shown = run(studied, ["history"]).output
    assert "when (JST)" in shown and "2026-11-25 21:00" in shown and "12:00" not in shown
    zone("America/New_York")
    shown = run(studied, ["history"]).output
    assert "when (EST)" in shown and "2026-11-25 07:00" in shown
    rows = json.loads(run(studied, ["history", "--json"]).output)
    assert {r["reviewed_at"][:16] for r in rows} == {"2026-11-25T12:00"}  # JSON stays UTC


def test_a_limit_says_how_many_reviews_it_left_out(studied: Path) -> None:
    two = run(studied, ["history", "-n", "2"]).output
    assert "2 of 3 reviews, newest first; -n 3 shows them all." in two
    assert "3 reviews, newest first." in run(studied, ["history", "-n", "3"]).output
    assert "3 reviews, newest first." in run(studied, ["history"]).output
    assert "1 review, newest first." in run(studied, ["history", "1", "-n", "1"]).output


def test_the_at_heading_keeps_the_time_it_was_given(studied: Path, zone) -> None:
    zone("Asia/Tokyo")
    timed = run(studied, ["stats", "--at", "2026-12-10T09:00"]).output
    assert "Predicted recall on 2026-12-10 09:00, no more reviews" in timed
    day = run(studied, ["stats", "--at", "2026-12-10"]).output
    assert "Predicted recall on 2026-12-10, no more reviews" in day  # a day means its start
