"""`cvquiz verify`: every demo run with its defaults, each timed, a crash counted as a failed check."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cvquiz.demos.registry import DemoSpec, all_demos
from cvquiz.demos.result import Check, DemoResult
from cvquiz.demos.runner import resolve_device, run_demo


@dataclass(frozen=True)
class Verified:
    """One demo's verification: its result and how long its own work took."""

    spec: DemoSpec
    result: DemoResult
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "demo_id": self.spec.id,
            "checks_passed": self.result.checks_passed,
            "checks_total": len(self.result.checks),
            "passed": self.result.passed,
            "seconds": round(self.seconds, 3),
            "failed": [c.to_dict() for c in self.result.checks if not c.passed],
        }


@dataclass(frozen=True)
class Verification:
    """Every demo's verification, and the one-off cost of starting torch before them."""

    items: tuple[Verified, ...]
    warm_up_seconds: float

    @property
    def passed(self) -> bool:
        return all(item.result.passed for item in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "demos": len(self.items),
            "checks_passed": sum(i.result.checks_passed for i in self.items),
            "checks_total": sum(len(i.result.checks) for i in self.items),
            "warm_up_seconds": round(self.warm_up_seconds, 3),
            "results": [item.to_dict() for item in self.items],
        }


def warm_up() -> None:
    """Import torch and run one counted conv on meta, so per-demo times leave torch's start-up out."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        conv = torch.nn.Conv2d(2, 2, 3)
        x = torch.empty(1, 2, 4, 4)
    with torch.no_grad(), FlopCounterMode(display=False):
        conv(x)


def verify_demos(
    specs: Sequence[DemoSpec] | None = None,
    *,
    device: str = "cpu",
    seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
    on_done: Callable[[Verified], None] | None = None,
) -> Verification:
    """Run each demo with its defaults; `on_done` is told after each one (for a progress bar)."""
    start = clock()
    resolve_device(device)  # a bad device fails once, before any demo runs
    warm_up()
    warm = clock() - start
    done = []
    for spec in all_demos() if specs is None else specs:
        start = clock()
        try:
            result = run_demo(spec.id, device=device, seed=seed)
        except Exception as exc:  # a demo that crashes is a failed check, and the others still run
            crashed = Check(
                "the demo runs with its defaults",
                "no error",
                f"{type(exc).__name__}: {exc}",
                "verify",
                False,
            )
            result = DemoResult(
                demo_id=spec.id, title=spec.title, explanation=(), checks=(crashed,)
            )
        item = Verified(spec=spec, result=result, seconds=clock() - start)
        done.append(item)
        if on_done is not None:
            on_done(item)
    return Verification(items=tuple(done), warm_up_seconds=warm)
