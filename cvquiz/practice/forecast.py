"""What each desired retention will cost: a seeded simulation of your deck with FSRS's own model.

For each retention from 70% to 97%, the deck's cards (their present states; new cards at the
new-card limit a day) are reviewed whenever due for `days` days. Whether a review is recalled is
drawn from the model's forgetting curve; how a recalled card is rated, and how long each rating
takes, come from your own review log (FSRS's averages of a typical learner where the log has
too few). The same seed gives the same figures; every retention sees the same random draws.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cvquiz.practice.scheduler import CardState, Phase, Rating, Scheduler, new_card

RETENTIONS = (0.70, 0.75, 0.80, 0.85, 0.90, 0.93, 0.95, 0.97)
DEFAULT_DAYS = 90
MAX_SIMULATED = 1000  # a bigger deck is simulated by a seeded sample of this many cards, scaled
MIN_LOGGED = 20  # ratings of a kind needed before the log's own figures replace the defaults
# Typical figures (seconds and shares), used until the log has enough of its own.
DEFAULT_SECONDS = {Rating.AGAIN: 20.0, Rating.HARD: 15.0, Rating.GOOD: 8.0, Rating.EASY: 5.0}
DEFAULT_PASS_SHARES = {Rating.HARD: 0.15, Rating.GOOD: 0.75, Rating.EASY: 0.10}


@dataclass(frozen=True)
class Habits:
    """How the user rates a recalled card, and how long each rating takes."""

    pass_shares: dict[Rating, float]
    seconds: dict[Rating, float]
    from_log: bool

    @classmethod
    def of(cls, ratings: Sequence[tuple[Rating, int | None]]) -> Habits:
        """From the log's (rating, duration_ms) pairs."""
        passed = Counter(r for r, _ in ratings if r != Rating.AGAIN)
        shares = dict(DEFAULT_PASS_SHARES)
        if sum(passed.values()) >= MIN_LOGGED:
            total = sum(passed.values())
            shares = {r: passed.get(r, 0) / total for r in DEFAULT_PASS_SHARES}
        times: dict[Rating, list[float]] = defaultdict(list)
        for r, ms in ratings:
            if (
                ms is not None and 0 < ms < 10 * 60_000
            ):  # a card left open for ten minutes is no measure
                times[r].append(ms / 1000)
        seconds = {
            r: sorted(times[r])[len(times[r]) // 2] if len(times[r]) >= MIN_LOGGED else s
            for r, s in DEFAULT_SECONDS.items()
        }
        return cls(shares, seconds, from_log=len(ratings) >= MIN_LOGGED)


@dataclass(frozen=True)
class Cost:
    retention: float
    reviews_per_day: float
    minutes_per_day: float
    recall_at_end: float  # mean predicted recall of the deck's studied cards on the last day


def simulate(
    keys: Sequence[str],
    states: Mapping[str, CardState],
    *,
    now: datetime,
    parameters: Sequence[float] | None,
    habits: Habits,
    new_per_day: int,
    days: int = DEFAULT_DAYS,
    seed: int = 0,
    retentions: Sequence[float] = RETENTIONS,
) -> list[Cost]:
    """The cost of each retention over the next `days` days."""
    rng = random.Random(seed)
    chosen = list(keys)
    scale = 1.0
    if len(chosen) > MAX_SIMULATED:
        chosen = sorted(rng.sample(chosen, MAX_SIMULATED), key=list(keys).index)
        scale = len(keys) / MAX_SIMULATED
    return [
        _cost(
            chosen,
            states,
            now=now,
            parameters=parameters,
            habits=habits,
            retention=r,
            new_per_day=round(new_per_day / scale),
            days=days,
            seed=seed,
            scale=scale,
        )  # fmt: skip
        for r in retentions
    ]


def _cost(
    keys: Sequence[str],
    states: Mapping[str, CardState],
    *,
    now: datetime,
    parameters: Sequence[float] | None,
    habits: Habits,
    retention: float,
    new_per_day: int,
    days: int,
    seed: int,
    scale: float,
) -> Cost:
    scheduler = Scheduler(retention=retention, parameters=parameters, fuzz=True)
    rng = random.Random(seed)  # the same draws for every retention
    end = now + timedelta(days=days)
    cards: dict[str, CardState] = {k: states[k] for k in keys if k in states}
    waiting = [k for k in keys if k not in states]
    reviews = 0
    seconds = 0.0
    ratings = list(habits.pass_shares)
    weights = [habits.pass_shares[r] for r in ratings]
    for day in range(days):
        start = now + timedelta(days=day)
        for _ in range(min(new_per_day, len(waiting))):
            key = waiting.pop(0)
            cards[key] = new_card(key, start)
        day_end = start + timedelta(days=1)
        queue = sorted((c.due, k) for k, c in cards.items() if c.due < day_end)
        while queue:
            due, key = queue.pop(0)
            t = max(due, start)
            card = cards[key]
            # a new card is seen for the first time: rated as a recalled one is
            recall = 1.0 if card.last_review is None else scheduler.retrievability(card, t)
            recalled = rng.random() < recall
            rating = rng.choices(ratings, weights=weights)[0] if recalled else Rating.AGAIN
            card = scheduler.review(card, rating, t)
            cards[key] = card
            reviews += 1
            seconds += habits.seconds[rating]
            if card.due < day_end:
                queue.append((card.due, key))
                queue.sort()
    studied = [c for c in cards.values() if c.phase == Phase.REVIEW or c.last_review is not None]
    recall_end = (
        sum(scheduler.retrievability(c, end) for c in studied) / len(studied) if studied else 0.0
    )
    return Cost(retention, reviews * scale / days, seconds * scale / days / 60, recall_end)
