"""Each demo's run with its defaults, shared by every test module of one pytest process."""

from __future__ import annotations

from cvquiz.demos.result import DemoResult
from cvquiz.demos.runner import run_demo

_DEFAULT_RUNS: dict[str, DemoResult] = {}


def default_run(demo_id: str) -> DemoResult:
    """The demo run once with its default settings and seed 0, then reused.

    The run has the MAC oracle on, as in `cvquiz verify`: `result.oracle` holds FlopCounterMode's
    count of every MAC count the demo made by formula. Apart from those checks, a run with the
    oracle is the same as one without (tests/test_demo_engine.py compares them).
    """
    if demo_id not in _DEFAULT_RUNS:
        _DEFAULT_RUNS[demo_id] = run_demo(demo_id, oracle=True)
    return _DEFAULT_RUNS[demo_id]
