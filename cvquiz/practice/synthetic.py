"""A seeded synthetic learner: a review log generated from known FSRS-6 parameters.

The learner's memory follows FSRS-6 with `true` parameters; the cards are scheduled with other
parameters (the defaults), as they would be for a new user. Whether a review is recalled is drawn
from the learner's own forgetting curve at the moment of the review (fractional days), so a model
fitted to the log can be checked against the parameters that made it. Used by the optimizer's
tests and by `make bench`; nothing here reads the clock or the global random state.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cvquiz.practice.scheduler import Rating, card_id_for, forgetting_curve

# A learner unlike FSRS-6's average user where a fit can see it: a steeper forgetting curve
# (w20 0.45 against 0.1542) and stability that grows less with each review (w9, w10); the rest are
# FSRS-6's defaults (fsrs 6.3's DEFAULT_PARAMETERS).
LEARNER = (
    0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.4, 0.5, 1.4835,
    0.0614, 0.2629, 1.6483, 0.6014, 1.8729, 0.5425, 0.0912, 0.0658, 0.45,
)  # fmt: skip

# How a recalled card is rated, and how long each rating takes (ms): a plausible learner.
PASS_RATINGS = ((Rating.HARD, 0.15), (Rating.GOOD, 0.75), (Rating.EASY, 0.10))
FIRST_RATINGS = ((Rating.AGAIN, 0.25), (Rating.HARD, 0.15), (Rating.GOOD, 0.5), (Rating.EASY, 0.1))
DURATION_MS = {Rating.AGAIN: 14_000, Rating.HARD: 12_000, Rating.GOOD: 8_000, Rating.EASY: 5_000}
SESSION_HOUR = 9  # the learner studies once a day, at 09:00 UTC, until nothing is due


@dataclass(frozen=True)
class LoggedReview:
    key: str
    at: datetime
    rating: Rating
    duration_ms: int


def _draw(rng: random.Random, choices: Sequence[tuple[Rating, float]]) -> Rating:
    ratings, weights = zip(*choices, strict=True)
    return rng.choices(ratings, weights=weights)[0]


def learner_log(
    *,
    true: Sequence[float] = LEARNER,
    scheduling: Sequence[float] | None = None,
    cards: int = 200,
    new_per_day: int = 10,
    days: int = 120,
    start: datetime,
    seed: int = 0,
    retention: float = 0.9,
) -> list[LoggedReview]:
    """The reviews of `cards` cards over `days` days, oldest first."""
    from fsrs import Card, Scheduler

    rng = random.Random(seed)
    schedule = Scheduler(
        **({"parameters": tuple(scheduling)} if scheduling is not None else {}),
        desired_retention=retention,
        enable_fuzzing=False,
    )
    memory = Scheduler(parameters=tuple(true), enable_fuzzing=False)
    decay = float(true[20])
    keys = [f"synthetic/card-{i:04d}" for i in range(cards)]
    scheduled: dict[str, Card] = {}
    remembered: dict[str, Card] = {}
    log: list[LoggedReview] = []
    for day in range(days):
        moment = start + timedelta(days=day, hours=SESSION_HOUR)
        fresh = [k for k in keys if k not in scheduled][:new_per_day]
        for key in fresh:
            cid = card_id_for(key)
            scheduled[key] = Card(card_id=cid, due=moment)
            remembered[key] = Card(card_id=cid, due=moment)
        end = moment + timedelta(hours=2)  # learning steps come back within the session
        while True:
            due = sorted(
                (c.due, k)
                for k, c in scheduled.items()
                if c.due <= max(moment, end) and c.due <= end
            )
            if not due:
                break
            when, key = due[0]
            moment = max(moment, when) + timedelta(seconds=30)
            true_card = remembered[key]
            if true_card.last_review is None:
                rating = _draw(rng, FIRST_RATINGS)
            else:
                elapsed = (moment - true_card.last_review).total_seconds() / 86400
                recall = forgetting_curve(elapsed, true_card.stability, decay=decay)
                rating = _draw(rng, PASS_RATINGS) if rng.random() < recall else Rating.AGAIN
            fsrs_rating = _fsrs_rating(rating)
            scheduled[key], _ = schedule.review_card(scheduled[key], fsrs_rating, moment)
            remembered[key], _ = memory.review_card(true_card, fsrs_rating, moment)
            log.append(LoggedReview(key, moment, rating, DURATION_MS[rating]))
    return log


def _fsrs_rating(rating: Rating):  # -> fsrs.Rating
    from fsrs import Rating as FsrsRating

    return FsrsRating(int(rating))
