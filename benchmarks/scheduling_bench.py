"""Scheduling figures (not timings): the optimizer on a synthetic learner, and the interview plan
against plain FSRS. Run alone with `python benchmarks/scheduling_bench.py`.

- Optimizer: a review log generated from known FSRS-6 parameters (cvquiz/practice/synthetic.py,
  200 cards over 120 days, scheduled with the defaults); fitted on the older 80% of the log, the
  fitted and the default parameters scored on the newer 20% (log loss, RMSE over bins).
- Plan: the built-in bank's 40 cards, all new, 10 new a day, an interview 14 days away, target
  recall 0.9 on the day; every review assumed Good. Plain FSRS at retention 0.9 over the same
  days, reviews taken when due.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def bench_optimizer(seeds: tuple[int, ...] = (0, 1, 2)) -> None:
    from cvquiz.practice import optimize as opt
    from cvquiz.practice.synthetic import learner_log

    print("## optimizer on a synthetic learner (time split 80/20)")
    print(
        "| seed | reviews | scored | log loss: defaults | fitted | RMSE(bins): defaults | fitted | adopted |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|:---|")
    for seed in seeds:
        log = learner_log(start=datetime(2026, 1, 5, tzinfo=UTC), seed=seed)
        events = [opt.Event(r.key, r.at, r.rating, r.duration_ms) for r in log]
        fit = opt.fit(events, current=opt.default_parameters())
        assert fit.current is not None and fit.fitted is not None
        print(f"| {seed} | {fit.reviews} | {fit.current.reviews} | {fit.current.log_loss:.4f} | "
              f"{fit.fitted.log_loss:.4f} | {fit.current.rmse_bins:.4f} | {fit.fitted.rmse_bins:.4f} | "
              f"{'yes' if fit.adopted else 'no'} |")  # fmt: skip


def bench_plan(days: int = 14, target: float = 0.9) -> None:
    from cvquiz.bank.library import builtin_bank_path
    from cvquiz.links import load_bank
    from cvquiz.practice.interview_plan import InterviewPlan, plain_fsrs_reviews, plan_deck
    from cvquiz.practice.scheduler import Scheduler

    keys = [q.key for q in load_bank(builtin_bank_path()).questions]
    now = datetime(2026, 12, 3, 9, tzinfo=UTC)
    plan = InterviewPlan(now + timedelta(days=days), target)
    deck = plan_deck(keys, {}, now=now, plan=plan, scheduler=Scheduler(fuzz=False), new_per_day=10)
    plain, recall = plain_fsrs_reviews(keys, {}, now=now, until=plan.at,
                                       scheduler=Scheduler(retention=target), new_per_day=10)  # fmt: skip
    short = sum(r < target for r in recall.values())
    print(f"## interview plan: {len(keys)} new cards, {days} days, target {target:.0%} on the day")
    print("| schedule | reviews before the day | cards at the target on the day | lowest recall |")
    print("|:---|---:|---:|---:|")
    low = min(c.recall_planned for c in deck.cards.values())
    print(f"| interview plan | {deck.reviews} | {deck.ready}/{len(keys)} | {low:.3f} |")
    print(
        f"| plain FSRS at {target:.2f} | {plain} | {len(keys) - short}/{len(keys)} | {min(recall.values()):.3f} |"
    )


if __name__ == "__main__":
    bench_plan()
    bench_optimizer()
