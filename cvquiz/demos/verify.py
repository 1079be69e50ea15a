"""`cvquiz verify`: every demo run with its defaults, at one seed or several, each timed.

A stochastic demo (the default) runs at each seed of `seed .. seed + seeds - 1`; a demo declared
`stochastic=False` runs once, at `seed`. Every run has the MAC oracle on: each count a demo makes
by formula is made again by FlopCounterMode and checked. A crash is a failed check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cvquiz.demos.registry import DemoSpec, all_demos
from cvquiz.demos.result import Check, DemoResult
from cvquiz.demos.runner import MAX_SEED, resolve_device, run_demo
from cvquiz.errors import CvquizError

MAX_SEEDS = 1000


@dataclass(frozen=True)
class Verified:
    """One demo's run at one seed: its result and how long its own work took."""

    spec: DemoSpec
    result: DemoResult
    seconds: float
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "demo_id": self.spec.id,
            "seed": self.seed,
            "checks_passed": self.result.checks_passed,
            "checks_total": self.result.checks_total,
            "passed": self.result.passed,
            "seconds": round(self.seconds, 3),
            "failed": [c.to_dict() for c in self.result.failed],
        }


@dataclass(frozen=True)
class SeedSummary:
    """What ran at one seed: demos, checks passed out of total."""

    seed: int
    demos: int
    checks_passed: int
    checks_total: int

    @property
    def passed(self) -> bool:
        return self.checks_passed == self.checks_total

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "demos": self.demos,
            "checks_passed": self.checks_passed,
            "checks_total": self.checks_total,
            "passed": self.passed,
        }


@dataclass(frozen=True)
class Verification:
    """Every run of every demo, the seeds asked for, and the one-off cost of starting torch."""

    items: tuple[Verified, ...]
    warm_up_seconds: float
    seeds: tuple[int, ...] = (0,)

    @property
    def passed(self) -> bool:
        return all(item.result.passed for item in self.items)

    def by_seed(self) -> list[SeedSummary]:
        """One summary per seed asked for (a deterministic demo counts at the first seed)."""
        return [
            SeedSummary(
                seed,
                len(runs := [i for i in self.items if i.seed == seed]),
                sum(i.result.checks_passed for i in runs),
                sum(i.result.checks_total for i in runs),
            )
            for seed in self.seeds
        ]

    def failed_seeds(self) -> list[int]:
        return sorted({item.seed for item in self.items if not item.result.passed})

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "demos": len({item.spec.id for item in self.items}),
            "runs": len(self.items),
            "seeds": list(self.seeds),
            "failed_seeds": self.failed_seeds(),
            "checks_passed": sum(i.result.checks_passed for i in self.items),
            "checks_total": sum(i.result.checks_total for i in self.items),
            "warm_up_seconds": round(self.warm_up_seconds, 3),
            "by_seed": [s.to_dict() for s in self.by_seed()],
            "results": [item.to_dict() for item in self.items],
        }


def seed_range(seed: int = 0, seeds: int = 1) -> tuple[int, ...]:
    """`seeds` seeds from `seed` on; a bad count or seed is a CvquizError naming the option."""
    if not 1 <= seeds <= MAX_SEEDS:
        raise CvquizError(f"--seeds {seeds}: expected an integer in 1..{MAX_SEEDS}")
    if not 0 <= seed <= MAX_SEED - seeds + 1:
        raise CvquizError(f"--seed {seed}: expected an integer in 0..{MAX_SEED - seeds + 1}")
    return tuple(range(seed, seed + seeds))


def plan(specs: Sequence[DemoSpec], seeds: Sequence[int]) -> list[tuple[DemoSpec, int]]:
    """The runs, demo by demo: every seed for a stochastic demo, the first for the others."""
    return [(spec, s) for spec in specs for s in (seeds if spec.stochastic else seeds[:1])]


def warm_up() -> None:
    """Import torch and run one counted conv on meta, so per-demo times leave torch's start-up out."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        conv = torch.nn.Conv2d(2, 2, 3)
        x = torch.empty(1, 2, 4, 4)
    with torch.no_grad(), FlopCounterMode(display=False):
        conv(x)


def _crashed(spec: DemoSpec, exc: Exception, seed: int) -> DemoResult:
    crashed = Check(
        "the demo runs with its defaults",
        "no error",
        f"{type(exc).__name__}: {exc}",
        "verify",
        False,
    )
    return DemoResult(
        demo_id=spec.id, title=spec.title, explanation=(), checks=(crashed,), seed=seed
    )


def verify_demos(
    specs: Sequence[DemoSpec] | None = None,
    *,
    device: str = "cpu",
    seed: int = 0,
    seeds: int = 1,
    clock: Callable[[], float] = time.perf_counter,
    on_done: Callable[[Verified], None] | None = None,
) -> Verification:
    """Run each demo with its defaults at its seeds; `on_done` is told after each run."""
    chosen = seed_range(seed, seeds)
    start = clock()
    resolve_device(device)  # a bad device fails once, before any demo runs
    warm_up()
    warm = clock() - start
    done = []
    for spec, at in plan(all_demos() if specs is None else specs, chosen):
        start = clock()
        try:
            result = run_demo(spec.id, device=device, seed=at, oracle=True)
        except Exception as exc:  # a demo that crashes is a failed check, and the others still run
            result = _crashed(spec, exc, at)
        item = Verified(spec=spec, result=result, seconds=clock() - start, seed=at)
        done.append(item)
        if on_done is not None:
            on_done(item)
    return Verification(items=tuple(done), warm_up_seconds=warm, seeds=chosen)
