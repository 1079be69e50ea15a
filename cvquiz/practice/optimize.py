"""Personal FSRS-6 parameters: fitted to the user's own log, adopted only when they predict better.

The log is split in time: the fsrs library's optimizer (its `optimizer` extra) fits on the older
reviews; the fitted and the current parameters then predict each later review, replaying every
card's whole history, and are scored with the measures of the open-spaced-repetition
srs-benchmark: log loss, and RMSE over bins (reviews grouped by interval, review number and
lapses on log scales, each bin's mean prediction against its pass rate, weighted by its size).
Reviews on the day of the previous one are not scored, as in the benchmark and the optimizer.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cvquiz.errors import CvquizError
from cvquiz.practice.scheduler import Rating, card_id_for, forgetting_curve

MIN_REVIEWS = 512  # the fsrs optimizer's own floor (review-state reviews it can learn from)
TRAIN_SHARE = 0.8  # the older 80% of the log trains; the newest 20% tests
PARAMETERS_SETTING = "fsrs_parameters"
PREVIOUS_SETTING = "fsrs_parameters_previous"
EPSILON = 1e-6


@dataclass(frozen=True)
class Event:
    """One review as the optimizer needs it."""

    key: str
    at: datetime
    rating: Rating
    duration_ms: int | None = None


@dataclass(frozen=True)
class Score:
    log_loss: float
    rmse_bins: float
    reviews: int  # reviews scored

    def to_dict(self) -> dict[str, float | int]:
        return {
            "log_loss": round(self.log_loss, 6),
            "rmse_bins": round(self.rmse_bins, 6),
            "reviews": self.reviews,
        }


@dataclass(frozen=True)
class Fit:
    """The outcome of `cvquiz optimize`."""

    reviews: int  # the whole log
    learnable: int  # reviews on a later day than the card's previous one, over the whole log
    split_at: datetime | None
    current: Score | None
    fitted: Score | None
    parameters: tuple[float, ...] | None  # the fitted ones
    adopted: bool
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {
            "reviews": self.reviews,
            "learnable_reviews": self.learnable,
            "min_reviews": MIN_REVIEWS,
            "split_at": self.split_at.isoformat() if self.split_at else None,
            "current": self.current.to_dict() if self.current else None,
            "fitted": self.fitted.to_dict() if self.fitted else None,
            "parameters": list(self.parameters) if self.parameters else None,
            "adopted": self.adopted,
            "reason": self.reason,
        }


def histories(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Each card's reviews, oldest first."""
    by_key: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        by_key[e.key].append(e)
    for reviews in by_key.values():
        reviews.sort(key=lambda e: e.at)
    return dict(by_key)


def _replay(parameters: Sequence[float], history: Sequence[Event]):
    """(event, prediction, review number, lapses before, days since the previous review) for
    each review a day or more after the previous one."""
    from fsrs import Card, Scheduler
    from fsrs import Rating as FsrsRating

    scheduler = Scheduler(parameters=tuple(parameters), enable_fuzzing=False)
    decay = float(parameters[20])
    card = Card(card_id=card_id_for(history[0].key), due=history[0].at)
    lapses = 0
    for number, event in enumerate(history, start=1):
        if card.last_review is not None and (event.at - card.last_review).days > 0:
            elapsed = (event.at - card.last_review).total_seconds() / 86400
            yield (
                event,
                forgetting_curve(elapsed, card.stability, decay=decay),
                number,
                lapses,
                elapsed,
            )
        if event.rating == Rating.AGAIN and card.last_review is not None:
            lapses += 1
        card, _ = scheduler.review_card(card, FsrsRating(int(event.rating)), event.at)


def _bucket(value: float, base: float) -> int:
    return math.floor(math.log(value) / math.log(base))


def score(parameters: Sequence[float], cards: dict[str, list[Event]], *, since: datetime) -> Score:
    """Log loss and RMSE(bins) of the predictions for the reviews at or after `since`."""
    losses: list[float] = []
    bins: dict[tuple[int, int, int], list[tuple[float, int]]] = defaultdict(list)
    for history in cards.values():
        for event, p, number, lapses, elapsed in _replay(parameters, history):
            if event.at < since:
                continue
            y = 0 if event.rating == Rating.AGAIN else 1
            q = min(max(p, EPSILON), 1 - EPSILON)
            losses.append(-(y * math.log(q) + (1 - y) * math.log(1 - q)))
            key = (
                _bucket(elapsed, 3.62),
                _bucket(number, 1.89),
                _bucket(lapses, 1.73) + 1 if lapses else 0,
            )
            bins[key].append((p, y))
    if not losses:
        raise CvquizError("optimize: no review in the later part of the log can be scored")
    total = sum(len(b) for b in bins.values())
    squared = sum(
        len(b) * (sum(p for p, _ in b) / len(b) - sum(y for _, y in b) / len(b)) ** 2
        for b in bins.values()
    )
    return Score(sum(losses) / len(losses), math.sqrt(squared / total), len(losses))


def learnable(cards: dict[str, list[Event]]) -> int:
    """Reviews on a later day than the card's previous review: what the optimizer learns from."""
    return sum(
        1
        for history in cards.values()
        for a, b in zip(history, history[1:], strict=False)
        if (b.at - a.at).days > 0
    )


def split_time(events: Sequence[Event], share: float = TRAIN_SHARE) -> datetime:
    """The moment before which `share` of the reviews lie."""
    moments = sorted(e.at for e in events)
    return moments[min(len(moments) - 1, int(len(moments) * share))]


def fit(events: Sequence[Event], *, current: Sequence[float]) -> Fit:
    """Fit on the older part of the log, score both on the newer part, decide."""
    cards = histories(events)
    usable = learnable(cards)
    if usable < MIN_REVIEWS:
        return Fit(len(events), usable, None, None, None, None, False,
                   f"{usable} reviews on a later day than the card's last one; FSRS needs "
                   f"{MIN_REVIEWS} to fit parameters that beat the defaults, so they stay")  # fmt: skip
    cut = split_time(events)
    train = [e for e in events if e.at < cut]
    train_cards = histories(train)
    if learnable(train_cards) < MIN_REVIEWS:
        return Fit(len(events), usable, cut, None, None, None, False,
                   f"only {learnable(train_cards)} learnable reviews before {cut:%Y-%m-%d} (the "
                   f"older {TRAIN_SHARE:.0%} of the log); {MIN_REVIEWS} are needed to fit")  # fmt: skip
    fitted = tuple(float(w) for w in _optimize(train))
    now_score = score(current, cards, since=cut)
    fit_score = score(fitted, cards, since=cut)
    wins = fit_score.log_loss < now_score.log_loss
    reason = (
        "the fitted parameters predict the later reviews better (lower log loss)"
        if wins
        else "the fitted parameters do not predict the later reviews better; yours stay"
    )
    return Fit(len(events), usable, cut, now_score, fit_score, fitted, wins, reason)


def _optimize(train: Sequence[Event]) -> list[float]:
    from fsrs import Rating as FsrsRating
    from fsrs import ReviewLog
    from fsrs.optimizer import Optimizer

    logs = [
        ReviewLog(card_id_for(e.key), FsrsRating(int(e.rating)), e.at, e.duration_ms) for e in train
    ]
    return Optimizer(logs).compute_optimal_parameters()


def parse_parameters(text: str, *, where: str) -> tuple[float, ...]:
    """Saved parameters: 21 finite numbers the fsrs scheduler accepts."""
    try:
        values = json.loads(text)
        if not isinstance(values, list) or len(values) != 21:
            raise ValueError
        numbers = tuple(float(v) for v in values)
        if not all(math.isfinite(v) for v in numbers):
            raise ValueError
        from fsrs import Scheduler

        Scheduler(parameters=numbers)
    except (ValueError, TypeError):
        raise CvquizError(
            f"{where}: the saved FSRS parameters are damaged; run `cvquiz optimize --reset`"
        ) from None
    return numbers


def dump_parameters(values: Sequence[float]) -> str:
    return json.dumps([float(v) for v in values])


def default_parameters() -> tuple[float, ...]:
    from fsrs.scheduler import DEFAULT_PARAMETERS

    return tuple(DEFAULT_PARAMETERS)


def saved_parameters(store) -> tuple[float, ...] | None:  # store: cvquiz.practice.store.Store
    """The parameters `cvquiz optimize` adopted, or None for FSRS-6's defaults."""
    text = store.setting(PARAMETERS_SETTING)
    if text is None or text == "default":
        return None
    return parse_parameters(text, where=f"{store.path}: {PARAMETERS_SETTING}")


def events_of(store) -> list[Event]:
    """The whole review log, oldest first, as the optimizer reads it."""
    rows = store.reviews()
    return [Event(r.key, r.reviewed_at, r.rating, r.duration_ms) for r in reversed(rows)]


def adopt(store, fitted: Sequence[float]) -> None:
    """Make `fitted` the parameters, keeping the ones they replace to go back to."""
    store.set_setting(PREVIOUS_SETTING, store.setting(PARAMETERS_SETTING) or "default")
    store.set_setting(PARAMETERS_SETTING, dump_parameters(fitted))


def revert(store) -> tuple[float, ...] | None:
    """Go back to the parameters the last adoption replaced (the defaults at first); the ones
    given up become the ones to go back to, so a second revert undoes the first."""
    previous = store.setting(PREVIOUS_SETTING)
    if previous is None:
        raise CvquizError("optimize --revert: no earlier parameters to go back to")
    store.set_setting(PREVIOUS_SETTING, store.setting(PARAMETERS_SETTING) or "default")
    store.set_setting(PARAMETERS_SETTING, previous)
    return saved_parameters(store)
