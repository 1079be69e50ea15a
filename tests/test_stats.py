"""Stats: counts, forecast, true retention, calendar, mastery now and on an interview day, due list."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW, library, record
from rich.console import Console

from cvquiz.errors import CvquizError
from cvquiz.practice.scheduler import Rating, Scheduler
from cvquiz.practice.stats import compute_stats, due_cards, parse_at
from cvquiz.practice.store import open_store
from cvquiz.render.stats import render_due, render_stats

LIB = library()
KEYS = [q.key for q in LIB.questions]
SCHED = Scheduler(fuzz=False)
W20 = 0.1542  # fsrs's default decay


@pytest.fixture
def store(tmp_path: Path):
    with open_store(tmp_path / "home", now=NOW) as s:
        yield s


def rate(store, n: int, rating: int, at: datetime) -> None:
    record(store, KEYS[n], Rating(rating), now=at, scheduler=SCHED, session_id="t")


@pytest.fixture
def progress(store):
    rate(store, 0, 4, NOW - timedelta(days=30))  # review, due 22 days ago
    rate(store, 0, 3, NOW - timedelta(days=5))  # a passed review of a review card
    rate(store, 1, 4, NOW - timedelta(days=20))
    rate(store, 1, 1, NOW - timedelta(days=3))  # a lapse: relearning, due 10 minutes later
    rate(store, 2, 4, NOW - timedelta(days=6))  # review, due in 2 days
    rate(store, 3, 3, NOW - timedelta(hours=1))  # learning step, due 50 minutes ago
    rate(store, 21, 4, NOW)  # mobilenet, due in 8 days
    return store


def test_counts_forecast_retention_calendar(progress) -> None:
    s = compute_stats(LIB, progress, now=NOW, tz=UTC)
    assert (s.reviews, s.new, s.learning, s.review, s.orphans) == (7, 35, 2, 3, 0)
    states = progress.card_states()
    assert states[KEYS[0]].due > NOW  # reviewed 5 days ago with Good: not due
    assert s.due_today == 2  # the relearning and the learning card
    assert [n for _, n in s.forecast] == [2, 0, 1, 0, 0, 0, 0]
    assert s.forecast[0][0] == date(2026, 11, 25)
    assert (s.retention_passed, s.retention_reviews, s.true_retention) == (1, 2, 0.5)
    assert s.calendar == {
        date(2026, 10, 26): 1, date(2026, 11, 20): 1, date(2026, 11, 5): 1, date(2026, 11, 22): 1,
        date(2026, 11, 19): 1, date(2026, 11, 25): 2,
    }  # fmt: skip
    assert [(m.name, m.cards, m.reviewed) for m in s.by_topic] == [
        ("mobilenet", 20, 1),
        ("resnet", 20, 4),
    ]
    assert [m.name for m in s.by_difficulty] == ["easy", "medium", "hard"]
    assert [(c.question.number, round(c.recall, 4)) for c in s.weakest] == [
        (2, 0.8476),
        (3, 0.9207),
        (1, 0.9897),
        (4, 0.9973),  # an hour after a first Good: (1 + factor / 24 / 2.3065) ** -0.1542
        (22, 1.0),
    ]
    assert s.leeches == ()


def test_recall_on_an_interview_day_is_the_fsrs6_curve_by_the_hour(progress) -> None:
    at = parse_at("2026-12-10", now=NOW, tz=UTC)
    assert at == datetime(2026, 12, 10, 4, tzinfo=UTC)  # the start of that study day
    s = compute_stats(LIB, progress, now=NOW, at=at, tz=UTC)
    states = progress.card_states()
    factor = 0.9 ** (-1 / W20) - 1

    def recall(key: str) -> float:
        """FSRS-6's R(t, S) = (1 + factor * t / S) ** -w20, t in fractional days."""
        if key not in states:
            return 0.0
        t = (at - states[key].last_review).total_seconds() / 86400
        return (1 + factor * t / states[key].stability) ** -W20

    for m in s.by_topic:
        keys = [q.key for q in LIB.questions if q.topic == m.name]
        assert m.recall == pytest.approx(sum(recall(k) for k in keys) / len(keys), abs=1e-12)
    for m in s.by_difficulty:
        keys = [q.key for q in LIB.questions if q.difficulty == m.name]
        assert m.recall == pytest.approx(sum(recall(k) for k in keys) / len(keys), abs=1e-12)
    assert s.overall.recall == pytest.approx(
        sum(recall(q.key) for q in LIB.questions) / 40, abs=1e-12
    )
    assert (s.overall.cards, s.overall.reviewed) == (40, 5)
    resnet = s.by_topic[1]
    now_recall = compute_stats(LIB, progress, now=NOW, tz=UTC).by_topic[1].recall
    assert (round(resnet.recall, 4), round(now_recall, 4)) == (0.1603, 0.1878)
    assert s.to_dict()["at"] == "2026-12-10T04:00:00+00:00" and s.at_day == date(2026, 12, 10)


def test_bad_and_past_dates() -> None:
    with pytest.raises(CvquizError, match=r"^--at: '12/10' is not a date like 2026-12-10"):
        parse_at("12/10", now=NOW, tz=UTC)
    with pytest.raises(CvquizError, match=r"^--at: 2026-11-24 is in the past"):
        parse_at("2026-11-24", now=NOW, tz=UTC)
    assert parse_at("2026-11-25T18:30", now=NOW, tz=UTC) == datetime(
        2026, 11, 25, 18, 30, tzinfo=UTC
    )


def test_leeches_and_weakest(store) -> None:
    at = NOW - timedelta(days=300)
    rate(store, 5, 4, at)
    for _ in range(8):
        at = store.card_state(KEYS[5]).due
        rate(store, 5, 1, at)
        rate(store, 5, 3, at + timedelta(minutes=10))
    rate(store, 6, 4, NOW - timedelta(days=1))
    s = compute_stats(LIB, store, now=NOW, tz=UTC)
    assert [(c.question.key, c.lapses) for c in s.leeches] == [(KEYS[5], 8)]
    assert [c.question.key for c in s.weakest] == [KEYS[5], KEYS[6]]
    assert [round(c.recall, 4) for c in s.weakest] == [0.2527, 0.9829]


def test_due_cards_lowest_recall_first(progress) -> None:
    due = due_cards(LIB.questions, progress, now=NOW, tz=UTC)
    assert [q.key for q, _ in due] == [KEYS[1], KEYS[3]]
    states = progress.card_states()
    assert [r for _, r in due] == [SCHED.retrievability(states[KEYS[i]], NOW) for i in (1, 3)]
    assert round(due[1][1], 4) == 0.9973  # an hour after a Good, not 100%
    console = Console(width=80, record=True, force_terminal=False)
    render_due(console, due)
    text = console.export_text()
    assert "2 cards due, weakest first. Practise them with: cvquiz practice" in text
    assert (
        text.splitlines()[2] == "2   resnet   🔥 hard   What is the degradation problem?      85%"
    )


def test_stats_screen_fits_80_columns(progress) -> None:
    console = Console(width=80, record=True, force_terminal=False)
    render_stats(console, compute_stats(LIB, progress, now=NOW, tz=UTC))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "True retention 50%  (1/2 reviews of cards in review passed)" in text
    assert "Due in the next 7 days" in text and "Weakest cards" in text
