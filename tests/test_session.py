"""The queue (due by lowest recall, then today's new cards, limits, cram) and the session's actions."""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW, library, record

from cvquiz.practice.queue import build_queue
from cvquiz.practice.scheduler import Phase, Rating, Scheduler
from cvquiz.practice.session import SessionOptions, start_session
from cvquiz.practice.settings import plan
from cvquiz.practice.store import open_store

QUESTIONS = library().questions
KEYS = [q.key for q in QUESTIONS]
SCHED = Scheduler(fuzz=False)


@pytest.fixture
def store(tmp_path: Path):
    with open_store(tmp_path / "home", now=NOW) as s:
        yield s


def _review(store, n: int, rating: Rating, at) -> None:
    record(store, KEYS[n], rating, now=at, scheduler=SCHED, session_id="past")


@pytest.fixture
def history(store):
    _review(store, 0, Rating.EASY, NOW - timedelta(days=30))  # due 22 days ago: weakest
    _review(store, 1, Rating.EASY, NOW - timedelta(days=10))  # due 2 days ago
    _review(store, 2, Rating.EASY, NOW - timedelta(days=2))  # due in 6 days: not due
    _review(
        store, 3, Rating.GOOD, NOW - timedelta(minutes=5)
    )  # learning step due in 5 min: learn-ahead
    _review(
        store, 4, Rating.EASY, NOW - timedelta(days=8) + timedelta(hours=3)
    )  # due at 15:00 today
    _review(store, 5, Rating.GOOD, NOW - timedelta(minutes=1))  # learning step due in 9 min
    _review(store, 5, Rating.GOOD, NOW - timedelta(seconds=30))  # -> review, due in days
    return store


def test_due_cards_lowest_recall_first_then_new_up_to_the_daily_limit(history) -> None:
    states = history.card_states()
    queue = build_queue(
        QUESTIONS, states, now=NOW, scheduler=SCHED, new_limit=10, new_done_today=7, tz=UTC
    )
    assert [it.key for it in queue] == [
        KEYS[0],
        KEYS[1],
        KEYS[4],
        KEYS[3],
        KEYS[6],
        KEYS[7],
        KEYS[8],
    ]
    assert [it.kind for it in queue] == ["due"] * 4 + ["new"] * 3
    recalls = [it.recall for it in queue[:4]]
    # FSRS-6 by the hour: KEYS[4] 7.875 days after Easy, KEYS[3] five minutes after Good
    assert [round(r, 4) for r in recalls] == [0.7918, 0.8867, 0.9035, 0.9998]
    assert recalls[0] == SCHED.retrievability(states[KEYS[0]], NOW)


def test_limit_caps_and_the_new_limit_can_be_spent(history) -> None:
    states = history.card_states()
    assert (
        len(build_queue(QUESTIONS, states, now=NOW, scheduler=SCHED, new_limit=10, limit=2, tz=UTC))
        == 2
    )
    queue = build_queue(
        QUESTIONS, states, now=NOW, scheduler=SCHED, new_limit=10, new_done_today=12, tz=UTC
    )
    assert [it.kind for it in queue] == ["due"] * 4
    assert (
        build_queue(QUESTIONS, states, now=NOW, scheduler=SCHED, new_limit=0, tz=UTC)[-1].kind
        == "due"
    )


def test_skipped_cards_stay_out(history) -> None:
    states = history.card_states()
    queue = build_queue(QUESTIONS, states, now=NOW, scheduler=SCHED, new_limit=1,
                        skipped={KEYS[0], KEYS[6]}, tz=UTC)  # fmt: skip
    assert [it.key for it in queue] == [KEYS[1], KEYS[4], KEYS[3], KEYS[7]]


def test_cram_takes_every_studied_card_weakest_first_then_new_cards_within_the_limit(
    history,
) -> None:
    states = history.card_states()
    queue = build_queue(
        QUESTIONS[:8], states, now=NOW, scheduler=SCHED, new_limit=1, cram=True, tz=UTC
    )
    assert [it.key for it in queue] == [
        KEYS[0],
        KEYS[1],
        KEYS[4],
        KEYS[2],
        KEYS[3],
        KEYS[5],
        KEYS[6],
    ]
    assert {it.kind for it in queue} == {"cram"}


def test_rate_again_requeues_undo_restores_skip_removes(store) -> None:
    session = start_session(
        QUESTIONS[:3],
        store,
        clock=lambda: NOW,
        options=SessionOptions(fuzz=False),
        tz=UTC,
        session_id="S",
    )
    assert [it.key for it in session.queue] == KEYS[:3] and session.position == (1, 3)
    assert session.intervals()[Rating.EASY] == timedelta(days=8)

    first = session.rate(Rating.AGAIN)
    assert first.requeued and [it.key for it in session.queue] == [KEYS[1], KEYS[2], KEYS[0]]
    assert session.position == (2, 4)
    assert store.card_state(KEYS[0]) == first.recorded.after

    undone = session.undo()
    assert undone is first
    assert [it.key for it in session.queue] == KEYS[:3] and session.position == (1, 3)
    assert store.card_state(KEYS[0]) is None and store.reviews() == []

    assert session.rate(Rating.GOOD).requeued  # its 10-minute step comes back
    skipped = session.skip()
    assert skipped.key == KEYS[1] and store.skipped(NOW.date()) == {KEYS[1]}
    session.rate(Rating.EASY)
    assert session.current.key == KEYS[0] and session.current.kind == "due"
    session.rate(Rating.GOOD)  # graduates
    assert session.current is None and session.position == (5, 4)
    assert session.undo().rating == Rating.GOOD
    assert session.current.key == KEYS[0]
    session.rate(Rating.HARD)  # the 10-minute step again: back once more
    assert session.current.key == KEYS[0]

    summary = session.summary()
    assert (summary.cards, summary.reviews, summary.skipped) == (2, 3, 1)
    assert summary.ratings == {"hard": 1, "good": 1, "easy": 1}
    assert summary.again_rate == 0.0
    assert summary.next_due == NOW + timedelta(minutes=10)
    assert summary.due_tomorrow == 1 and summary.learning_due == 1
    assert [r.session_id for r in store.reviews()] == ["S", "S", "S"]
    # Four actions to take back, newest first: three ratings and the skip between them.
    assert [type(session.undo()).__name__ for _ in range(4)] == [
        "Rated",
        "Rated",
        "Removed",
        "Rated",
    ]
    assert session.undo() is None


def test_a_skipped_card_takes_its_again_repeat_with_it(store) -> None:
    session = start_session(
        QUESTIONS[:2], store, clock=lambda: NOW, options=SessionOptions(fuzz=False), tz=UTC
    )
    session.rate(Rating.AGAIN)
    session.rate(Rating.GOOD)
    assert session.current.kind == "again"
    session.skip()
    assert [it.key for it in session.queue] == [KEYS[1]]  # Q2's step is still to come


def test_a_filter_that_matches_no_card_says_so(store) -> None:
    session = start_session([], store, clock=lambda: NOW, options=SessionOptions(fuzz=False))
    assert session.idle is not None and session.idle.cards == 0
    some = start_session(QUESTIONS[:2], store, clock=lambda: NOW,
                         options=SessionOptions(fuzz=False, new_per_day=0))  # fmt: skip
    assert some.idle is not None and some.idle.cards == 2


def test_leech_is_reported_when_the_eighth_lapse_happens(store) -> None:
    at = NOW - timedelta(days=400)
    _review(store, 0, Rating.EASY, at)
    for _ in range(7):
        at = store.card_state(KEYS[0]).due
        _review(store, 0, Rating.AGAIN, at)
        _review(store, 0, Rating.GOOD, at + timedelta(minutes=10))
    state = store.card_state(KEYS[0])
    assert state.lapses == 7 and state.phase == Phase.REVIEW
    session = start_session(
        QUESTIONS[:1], store, clock=lambda: state.due, options=SessionOptions(fuzz=False), tz=UTC
    )
    rated = session.rate(Rating.AGAIN)
    assert rated.became_leech and rated.recorded.after.lapses == 8
    assert session.summary().leeches == (KEYS[0],)


def test_plan_uses_saved_defaults(store) -> None:
    assert (plan(store).retention, plan(store).new_per_day) == (0.9, 10)
    plan(store, retention=0.85, new_per_day=4, save=True)
    assert (plan(store).retention, plan(store).new_per_day) == (0.85, 4)
    assert plan(store, retention=0.95).retention == 0.95
    assert plan(store).retention == 0.85


def test_new_cards_are_counted_across_sessions(store) -> None:
    first = start_session(
        QUESTIONS,
        store,
        clock=lambda: NOW,
        options=SessionOptions(new_per_day=3, fuzz=False),
        tz=UTC,
    )
    assert len(first.queue) == 3
    for _ in range(3):
        first.rate(Rating.GOOD)
    later = NOW + timedelta(hours=2)
    second = start_session(
        QUESTIONS,
        store,
        clock=lambda: later,
        options=SessionOptions(new_per_day=3, fuzz=False),
        tz=UTC,
    )
    assert [it.kind for it in second.queue] == [
        "due"
    ] * 3  # the 10-minute steps, no new card left today
    tomorrow = NOW + timedelta(days=1)
    third = start_session(
        QUESTIONS,
        store,
        clock=lambda: tomorrow,
        options=SessionOptions(new_per_day=3, fuzz=False),
        tz=UTC,
    )
    assert [it.kind for it in third.queue].count("new") == 3


def test_a_filter_that_matches_no_card_names_the_filter(tmp_path: Path) -> None:
    from practice_helpers import cli_env
    from typer.testing import CliRunner

    from cvquiz.cli.app import app

    env: dict[str, str | None] = {**cli_env(tmp_path / "home"), "CVQUIZ_BANK": None}
    result = CliRunner().invoke(
        app, ["practice", "--topic", "mobilenet", "--tag", "residual"], env=env
    )
    assert result.exit_code == 0, result.output
    # Before the fix: "no card is due and every card has been studied".
    assert result.output.splitlines()[0] == (
        "Nothing to practise: no card matches --topic mobilenet --tag residual."
    )
