"""In-session learning: a learning step due within the learn-ahead window comes back in the same
session, after the cards not yet shown, so the summary's "next due" is true."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW, NOW_TEXT, cli_env, library
from typer.testing import CliRunner

from cvquiz.cli.app import app
from cvquiz.errors import CvquizError
from cvquiz.practice.scheduler import Phase, Rating
from cvquiz.practice.session import SessionOptions, start_session
from cvquiz.practice.settings import plan
from cvquiz.practice.store import open_store

QUESTIONS = library().questions
KEYS = [q.key for q in QUESTIONS]
OFF = SessionOptions(fuzz=False)


@pytest.fixture
def store(tmp_path: Path):
    with open_store(tmp_path / "home", now=NOW) as s:
        yield s


def clock_at(moment):
    return lambda: moment


def test_eight_learning_cards_come_back_and_a_restart_finds_nothing_due(store) -> None:
    session = start_session(QUESTIONS[:8], store, clock=clock_at(NOW), options=OFF, tz=UTC)
    for _ in range(8):
        rated = session.rate(Rating.GOOD)  # new -> the 10-minute learning step
        assert rated.requeued and rated.recorded.after.phase == Phase.LEARNING
    # Before the fix the session ended here, "Next due: in 10m", and a restart a minute later
    # found all eight due (the learn-ahead window is 20 minutes).
    assert [it.key for it in session.queue] == KEYS[:8]
    assert {it.kind for it in session.queue} == {"due"}
    assert all(it.back_at == NOW + timedelta(minutes=10) for it in session.queue)
    assert session.position == (9, 16)
    for _ in range(8):
        assert session.rate(Rating.GOOD).recorded.after.phase == Phase.REVIEW
    assert session.current is None
    summary = session.summary()
    assert summary.learning_due == 0 and summary.reviews == 16 and summary.cards == 8
    assert summary.next_due is not None and summary.next_due - NOW >= timedelta(days=1)
    restart = start_session(
        QUESTIONS[:8], store, clock=clock_at(NOW + timedelta(minutes=1)),
        options=SessionOptions(fuzz=False, new_per_day=8), tz=UTC,
    )  # fmt: skip
    assert restart.queue == [] and restart.idle is not None
    assert restart.idle.next_due == summary.next_due


def test_returning_cards_wait_behind_the_rest_in_the_order_their_steps_fall_due(store) -> None:
    session = start_session(QUESTIONS[:4], store, clock=clock_at(NOW), options=OFF, tz=UTC)
    session.rate(Rating.GOOD)  # Q1: back in 10 minutes
    session.rate(Rating.HARD)  # Q2: back in 5.5 minutes
    session.rate(Rating.AGAIN)  # Q3: back in 1 minute
    assert [it.key for it in session.queue] == [KEYS[3], KEYS[2], KEYS[1], KEYS[0]]
    assert [it.kind for it in session.queue] == ["new", "again", "due", "due"]
    session.rate(Rating.EASY)  # Q4 graduates at once: not back
    assert [it.key for it in session.queue] == [KEYS[2], KEYS[1], KEYS[0]]


def test_an_undone_rating_takes_its_return_with_it(store) -> None:
    session = start_session(QUESTIONS[:2], store, clock=clock_at(NOW), options=OFF, tz=UTC)
    session.rate(Rating.GOOD)
    assert [it.key for it in session.queue] == [KEYS[1], KEYS[0]]
    session.undo()
    assert [it.key for it in session.queue] == KEYS[:2]
    assert [it.back_at for it in session.queue] == [None, None]


def test_a_session_cut_short_counts_the_learning_steps_it_left(store) -> None:
    session = start_session(QUESTIONS[:3], store, clock=clock_at(NOW), options=OFF, tz=UTC)
    session.rate(Rating.GOOD)
    session.rate(Rating.AGAIN)
    summary = session.summary(interrupted=True)
    assert summary.learning_due == 2 and summary.next_due == NOW + timedelta(minutes=1)
    assert summary.to_dict()["learning_due"] == 2
    assert summary.to_dict()["learn_ahead_minutes"] == 20


def test_the_learn_ahead_window_is_a_saved_setting(store) -> None:
    assert plan(store).learn_ahead == timedelta(minutes=20)
    assert plan(store, learn_ahead_minutes=5, save=True).learn_ahead == timedelta(minutes=5)
    assert plan(store).learn_ahead == timedelta(minutes=5)
    session = start_session(QUESTIONS[:2], store, clock=clock_at(NOW), options=OFF, tz=UTC)
    assert session.learn_ahead == timedelta(minutes=5)
    assert not session.rate(Rating.GOOD).requeued  # its 10-minute step is past the window
    assert session.rate(Rating.AGAIN).requeued  # again always comes back
    session.rate(Rating.GOOD)  # the again card's next step: 10 minutes, past the window
    assert session.current is None
    assert session.summary().learning_due == 0
    later = start_session(
        QUESTIONS[:2], store, clock=clock_at(NOW + timedelta(minutes=6)), options=OFF, tz=UTC
    )
    assert sorted(it.key for it in later.queue) == sorted(
        KEYS[:2]
    )  # both steps now within 5 minutes


@pytest.mark.parametrize("minutes", [-1, 1441])
def test_a_learn_ahead_out_of_range_is_one_error(store, minutes: int) -> None:
    with pytest.raises(CvquizError, match=rf"^--learn-ahead: {minutes} is outside 0-1440 minutes"):
        plan(store, learn_ahead_minutes=minutes)


def test_a_damaged_saved_learn_ahead_is_one_error_naming_the_file(store) -> None:
    store.set_setting("learn_ahead_minutes", "soon")
    with pytest.raises(CvquizError) as caught:
        plan(store)
    assert str(caught.value) == (
        f"{store.path}: the saved setting learn_ahead_minutes = 'soon' is damaged; "
        "save a new one, e.g. --learn-ahead 20 --save"
    )


def run(home: Path, args: list[str], text: str = "", *, now: str = NOW_TEXT):
    env: dict[str, str | None] = {**cli_env(home, now=now), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, args, input=text, env=env)


def test_a_scripted_session_keeps_its_learning_cards_and_its_next_due_is_true(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    result = run(home, ["practice", "--new", "2"], "\n3\n\n3\n\n3\n\n3\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "→ Q1 good · again before the session ends" in out
    assert "due · 3/4" in out  # Q1's 10-minute step, shown after Q2
    assert "2 cards · 4 reviews" in out
    assert "Next due: in 2d" in out
    later = run(home, ["practice", "--new", "2"], "", now="2026-11-25T12:01:00+00:00")
    assert later.exit_code == 0, later.output
    assert "Nothing to practise now" in later.output


def test_a_session_cut_short_says_which_learning_cards_are_left(tmp_path: Path) -> None:
    result = run(tmp_path / "home", ["practice", "--new", "2"], "\n3\nq\n")
    assert result.exit_code == 0, result.output
    assert "Next due: in 10m" in result.output
    assert "1 learning card due within 20m: practise again to finish it" in result.output


def test_keys_that_show_the_same_interval_say_why(tmp_path: Path) -> None:
    # Q1 failed, then Good: its last step. Good and Easy both give one day, the shortest review.
    result = run(tmp_path / "home", ["practice", "--new", "1"], "\n1\n\n3\n\n")
    assert result.exit_code == 0, result.output
    assert " 1 again 1m · 2 hard 10m · 3 good 1d · 4 easy 1d" in result.output
    assert " good = easy 1d: a review is at least a day away" in result.output
    assert result.output.count(": a review is at least a day away") == 1


def test_learn_ahead_on_the_command_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    saved = run(home, ["practice", "--learn-ahead", "5", "--save"], "q\n")
    assert saved.exit_code == 0, saved.output
    assert "Saved: retention 0.9, learn-ahead 5m." in saved.output
    done = run(home, ["practice", "--new", "1"], "\n3\n")
    assert "→ Q1 good · next in 10m" in done.output  # past the 5-minute window: not back
    bad = run(home, ["practice", "--learn-ahead", "-3"])
    assert bad.exit_code == 2 and bad.stdout == ""
    assert bad.stderr.startswith("cvquiz: error: --learn-ahead: -3 is outside 0-1440 minutes")
