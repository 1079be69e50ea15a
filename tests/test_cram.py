"""Cram: the cards failed today first, then the lowest recall by the hour, then new cards within
the day's new-card limit."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW, NOW_TEXT, cli_env, library, record
from typer.testing import CliRunner

from cvquiz.cli.app import app
from cvquiz.practice.queue import build_queue, queue_from_store
from cvquiz.practice.scheduler import Rating, Scheduler
from cvquiz.practice.session import SessionOptions, start_session
from cvquiz.practice.store import open_store

QUESTIONS = library().questions
KEYS = [q.key for q in QUESTIONS]
SCHED = Scheduler(fuzz=False)


@pytest.fixture
def store(tmp_path: Path):
    with open_store(tmp_path / "home", now=NOW) as s:
        yield s


def rate(store, n: int, rating: Rating, at) -> None:
    record(store, KEYS[n], rating, now=at, scheduler=SCHED, session_id="past")


@pytest.fixture
def studied(store):
    rate(store, 0, Rating.EASY, NOW - timedelta(days=30))  # recall 0.79
    rate(store, 1, Rating.EASY, NOW - timedelta(days=2))  # 0.97
    rate(store, 2, Rating.EASY, NOW - timedelta(days=20))
    rate(store, 2, Rating.AGAIN, NOW - timedelta(hours=2))  # failed today: relearning
    rate(store, 3, Rating.AGAIN, NOW - timedelta(hours=1))  # a new card failed today...
    rate(store, 3, Rating.GOOD, NOW - timedelta(minutes=50))  # ...then passed its steps
    rate(store, 3, Rating.GOOD, NOW - timedelta(minutes=40))
    rate(store, 4, Rating.AGAIN, NOW - timedelta(days=1))  # failed yesterday: not today
    rate(store, 4, Rating.GOOD, NOW - timedelta(days=1) + timedelta(minutes=1))  # recall 0.78
    return store


def cram(store, *, new_per_day: int = 3, questions=QUESTIONS):
    queue, idle = queue_from_store(
        questions, store, scheduler=SCHED, now=NOW, new_per_day=new_per_day, cram=True, tz=UTC
    )
    return queue, idle


def test_failed_today_first_then_lowest_recall_then_new_within_the_limit(studied) -> None:
    queue, idle = cram(studied)
    assert idle is None
    # Before the fix: the 35 unseen cards first (recall 0), all of them, past the limit.
    keys = [it.key for it in queue]
    assert keys[:2] == [KEYS[3], KEYS[2]]  # failed today, weakest first
    assert keys[2:5] == [KEYS[4], KEYS[0], KEYS[1]]  # by recall
    assert keys[5:] == KEYS[5:7]  # KEYS[3] was new today: two of the three new cards are left
    recalls = [round(it.recall, 4) for it in queue[:5]]
    assert recalls == [0.986, 0.9921, 0.7809, 0.7918, 0.9678]  # failed today outranks recall
    assert {it.kind for it in queue} == {"cram"}
    assert [it.state is None for it in queue] == [False] * 5 + [True] * 2


def test_new_cards_already_studied_today_count_against_the_limit(studied) -> None:
    queue, _ = cram(studied, new_per_day=3)
    rate(studied, 5, Rating.GOOD, NOW - timedelta(minutes=1))
    after, _ = cram(studied, new_per_day=3)
    assert len(after) == len(queue)  # KEYS[5] moved from the new cards to the studied ones
    assert [it.key for it in after if it.state is None] == KEYS[6:7]
    assert [it.key for it in cram(studied, new_per_day=0)[0] if it.state is None] == []


def test_build_queue_takes_the_failed_cards_it_is_given(studied) -> None:
    states = studied.card_states()
    plain = build_queue(QUESTIONS[:6], states, now=NOW, scheduler=SCHED, new_limit=1, cram=True)
    failed = build_queue(QUESTIONS[:6], states, now=NOW, scheduler=SCHED, new_limit=1,
                         cram=True, failed={KEYS[1]})  # fmt: skip
    assert [it.key for it in plain][:1] == [KEYS[4]]
    assert [it.key for it in failed][:2] == [KEYS[1], KEYS[4]]
    assert [it.key for it in failed][-1] == KEYS[5]


def test_a_session_in_cram_starts_with_the_card_just_failed(studied) -> None:
    session = start_session(QUESTIONS, studied, clock=lambda: NOW, tz=UTC,
                            options=SessionOptions(cram=True, fuzz=False, new_per_day=2))  # fmt: skip
    assert session.current is not None and session.current.key == KEYS[3]
    assert len(session.queue) == 5 + 1  # KEYS[3] spent one of the two new cards


def test_cram_on_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env: dict[str, str | None] = {**cli_env(home, now=NOW_TEXT), "CVQUIZ_BANK": None}
    runner = CliRunner()
    first = runner.invoke(app, ["practice", "--new", "2"], input="\n4\n\n1\n\n3\n\n3\n", env=env)
    assert first.exit_code == 0, first.output  # Q1 easy; Q2 failed, then through its steps
    later = {**env, "CVQUIZ_NOW": "2026-11-25T13:00:00+00:00"}
    out = runner.invoke(app, ["practice", "--cram", "--new", "3"], input="", env=later).output
    assert "Practice 3 cards (cram: weakest first)" in out  # 2 studied + 1 new left today
    assert out.index("Q2 · resnet") < out.index("No cards rated")
    assert "Q1 · resnet" not in out  # only the first card is drawn before the input ends
