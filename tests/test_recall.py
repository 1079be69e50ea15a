"""Recall by the hour: FSRS-6's forgetting curve in fractional days, in stats, `list --due`, --at.

The golden values were computed by hand from R(t, S) = (1 + factor * t / S) ** -w20 with
factor = 0.9 ** (-1 / w20) - 1 and fsrs's default w20 = 0.1542, in 40-digit decimal arithmetic
(Python's `decimal`), then rounded. fsrs's own get_card_retrievability counts whole days, so it
gave exactly 1.0 for 24 hours after any review.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW, library, record

from cvquiz.practice.scheduler import Rating, Scheduler, forgetting_curve, new_card
from cvquiz.practice.stats import compute_stats, due_cards
from cvquiz.practice.store import open_store

W20 = 0.1542  # fsrs 6.3's default decay
W0, W2, W4 = 0.212, 2.3065, 8.2956  # its first stabilities after Again, Good and Easy
LIB = library()
KEYS = [q.key for q in LIB.questions]
SCHED = Scheduler(fuzz=False)


@pytest.fixture
def store(tmp_path: Path):
    with open_store(tmp_path / "home", now=NOW) as s:
        yield s


def rate(store, n: int, rating: Rating, at) -> None:
    record(store, KEYS[n], rating, now=at, scheduler=SCHED, session_id="t")


@pytest.mark.parametrize(
    ("days", "stability", "recall"),
    [
        (0.5, W2, 0.9707228863),  # half a day after a first Good
        (1.0, W2, 0.9468474994),
        (20 / 24, W4, 0.9856206981),  # 20 hours after a first Easy
        (7.875, W4, 0.9035346490),
        (5 / 1440, W2, 0.9997726220),  # five minutes
        (1 / 24, W0, 0.9731955448),  # an hour after failing a new card
        (W4, W4, 0.9),  # R(S, S) = 0.9: what stability means
        (0.0, 1.0, 1.0),
    ],
)
def test_the_forgetting_curve_equals_hand_computed_fsrs6_values(
    days: float, stability: float, recall: float
) -> None:
    assert forgetting_curve(days, stability, decay=W20) == pytest.approx(recall, abs=5e-11)


def test_recall_falls_by_the_hour_after_any_review() -> None:
    good = SCHED.review(new_card("b/q", NOW), Rating.GOOD, NOW)
    failed = SCHED.review(new_card("b/r", NOW), Rating.AGAIN, NOW)
    assert (good.stability, failed.stability) == (W2, W0)
    half_day = NOW + timedelta(hours=12)
    assert SCHED.retrievability(good, half_day) == pytest.approx(0.9707228863, abs=5e-11)
    assert SCHED.retrievability(failed, NOW + timedelta(hours=1)) == pytest.approx(
        0.9731955448, abs=5e-11
    )
    hours = [SCHED.retrievability(failed, NOW + timedelta(hours=h)) for h in range(25)]
    assert hours[0] == 1.0 and all(a > b for a, b in zip(hours, hours[1:], strict=False))
    assert SCHED.retrievability(good, NOW - timedelta(hours=1)) == 1.0  # before the review
    assert SCHED.retrievability(None, half_day) == 0.0


def test_recall_uses_the_schedulers_own_decay() -> None:
    import fsrs

    params = list(fsrs.scheduler.DEFAULT_PARAMETERS)
    params[20] = 0.5
    mine = Scheduler(fuzz=False, parameters=params)
    card = mine.review(new_card("b/q", NOW), Rating.EASY, NOW)
    # factor = 0.9 ** -2 - 1 = 19/81; R = (1 + 19/81 * 2 / 8.2956) ** -0.5
    expected = (1 + 19 / 81 * 2 / W4) ** -0.5
    assert mine.retrievability(card, NOW + timedelta(days=2)) == pytest.approx(expected, 1e-12)
    assert round(expected, 6) == 0.972869


def test_stats_weakest_shows_a_card_failed_hours_ago(store) -> None:
    for n in range(6):
        rate(store, n, Rating.EASY, NOW - timedelta(days=2))  # recall 0.9678 now
    rate(store, 6, Rating.AGAIN, NOW - timedelta(hours=5))  # a new card failed: S = 0.212
    s = compute_stats(LIB, store, now=NOW, tz=UTC)
    assert s.weakest[0].question.key == KEYS[6]
    # (1 + factor * (5/24) / 0.212) ** -0.1542, by hand: 0.901194
    assert round(s.weakest[0].recall, 6) == 0.901194
    assert [round(c.recall, 6) for c in s.weakest[1:]] == [0.967813] * 4


def test_stats_at_twenty_hours_ahead_is_not_now(store) -> None:
    rate(store, 0, Rating.EASY, NOW)
    rate(store, 1, Rating.GOOD, NOW)
    now = compute_stats(LIB, store, now=NOW, tz=UTC)
    later = compute_stats(LIB, store, now=NOW, at=NOW + timedelta(hours=20), tz=UTC)
    assert now.overall.recall == 2 / 40
    # (0.9856206981 + R(20h, 2.3065)) / 40 with R(20h, 2.3065) = 0.9543214
    r_good = forgetting_curve(20 / 24, W2, decay=W20)
    assert round(r_good, 6) == 0.954321
    assert later.overall.recall == pytest.approx((0.9856206981 + r_good) / 40, abs=1e-10)


def test_list_due_sorts_learning_cards_by_recall_not_by_due_date(store) -> None:
    rate(store, 0, Rating.GOOD, NOW - timedelta(minutes=40))  # S 2.3065, due 30 minutes ago
    rate(store, 1, Rating.AGAIN, NOW - timedelta(minutes=30))  # S 0.212, due 29 minutes ago
    due = due_cards(LIB.questions, store, now=NOW, tz=UTC)
    assert [q.key for q, _ in due] == [KEYS[1], KEYS[0]]
    assert [round(r, 6) for _, r in due] == [0.985917, 0.998192]
