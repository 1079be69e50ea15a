"""The fsrs wrapper: golden first intervals, lapses and leeches, replay, interval text."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import fsrs
import pytest

from cvquiz.errors import CvquizError
from cvquiz.practice.scheduler import (
    CardState,
    Phase,
    Rating,
    Scheduler,
    card_id_for,
    check_retention,
    new_card,
)
from cvquiz.render.labels import format_interval

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_first_review_intervals_are_fsrs_defaults() -> None:
    preview = Scheduler(fuzz=False).preview(new_card("b/q", NOW), NOW)
    assert preview == {
        Rating.AGAIN: timedelta(minutes=1),
        Rating.HARD: timedelta(minutes=5, seconds=30),
        Rating.GOOD: timedelta(minutes=10),
        Rating.EASY: timedelta(days=8),
    }
    assert [format_interval(preview[r]) for r in Rating] == ["1m", "6m", "10m", "8d"]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=20), "<1m"),
        (timedelta(minutes=5, seconds=30), "6m"),
        (timedelta(minutes=59), "59m"),
        (timedelta(hours=3, minutes=20), "3h"),
        (timedelta(days=8), "8d"),
        (timedelta(days=45), "1.5mo"),
        (timedelta(days=800), "2.2y"),
    ],
)
def test_format_interval(delta: timedelta, text: str) -> None:
    assert format_interval(delta) == text


def test_review_matches_fsrs_itself() -> None:
    ours = Scheduler(retention=0.85, fuzz=False)
    theirs = fsrs.Scheduler(desired_retention=0.85, enable_fuzzing=False)
    card = new_card("b/q", NOW)
    ref = fsrs.Card(card_id=card.card_id, due=NOW)
    at = NOW
    for rating in (Rating.GOOD, Rating.GOOD, Rating.AGAIN, Rating.HARD, Rating.EASY):
        card = ours.review(card, rating, at)
        ref, _ = theirs.review_card(ref, fsrs.Rating(int(rating)), at)
        assert card.to_dict() | {"reps": 0, "lapses": 0} == ref.to_dict() | {"reps": 0, "lapses": 0}
        at = card.due
    assert card.reps == 5


def test_again_on_a_review_card_is_a_lapse_and_eight_make_a_leech() -> None:
    s = Scheduler(fuzz=False)
    card = s.review(new_card("b/q", NOW), Rating.EASY, NOW)
    assert card.phase == Phase.REVIEW and card.lapses == 0
    at = card.due
    for n in range(1, 9):
        card = s.review(card, Rating.AGAIN, at)  # review -> relearning: a lapse
        assert card.lapses == n and card.phase == Phase.RELEARNING
        assert card.is_leech == (n >= 8)
        card = s.review(card, Rating.AGAIN, card.due)  # again while relearning: not another lapse
        assert card.lapses == n
        card = s.review(card, Rating.GOOD, card.due)
        assert card.phase == Phase.REVIEW
        at = card.due


def test_card_state_round_trips_and_is_fsrs_compatible() -> None:
    card = Scheduler(fuzz=False).review(new_card("b/q", NOW), Rating.GOOD, NOW)
    assert CardState.from_dict(card.to_dict()) == card
    assert fsrs.Card.from_dict(card.to_dict()).to_dict() == {
        k: v for k, v in card.to_dict().items() if k not in ("reps", "lapses")
    }


def test_card_ids_are_stable_and_distinct() -> None:
    assert card_id_for("cnn-architectures/depthwise-conv") == card_id_for(
        "cnn-architectures/depthwise-conv"
    )
    ids = {card_id_for(f"bank/q{i}") for i in range(2000)}
    assert len(ids) == 2000


@pytest.mark.parametrize("value", [0.7, 0.85, 0.97])
def test_retention_in_range(value: float) -> None:
    assert check_retention(value) == value


@pytest.mark.parametrize("value", [0.69, 0.98, 1.0, float("nan")])
def test_retention_out_of_range(value: float) -> None:
    with pytest.raises(CvquizError, match=r"--retention: .* is outside 0.7-0.97"):
        check_retention(value)


def test_replay_with_logged_due_equals_fuzzed_reviews() -> None:
    random.seed(7)
    s = Scheduler(retention=0.9, fuzz=True)
    card, at, events = new_card("b/q", NOW), NOW, []
    for rating in [3, 3, 3, 1, 3, 4, 2, 3, 3]:
        card = s.review(card, Rating(rating), at)
        events.append((Rating(rating), at, card.due))
        at = card.due + timedelta(hours=5)
    assert card.stability is not None and card.phase == Phase.REVIEW
    assert Scheduler(retention=0.8, fuzz=False).replay("b/q", events) == card


def test_retrievability_is_fsrs_and_zero_for_new() -> None:
    s = Scheduler(fuzz=False)
    card = s.review(new_card("b/q", NOW), Rating.EASY, NOW)
    at = NOW + timedelta(days=20)
    ref = fsrs.Scheduler(enable_fuzzing=False).get_card_retrievability(
        fsrs.Card.from_dict(card.to_dict()), at
    )
    assert s.retrievability(card, at) == ref
    assert round(ref, 4) == 0.8294
    assert s.retrievability(None, at) == 0.0
