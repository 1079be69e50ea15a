"""Every demo at the edges of every setting: its checks hold, or it refuses the setting in one line.

A check that holds at the defaults but fails at a legal setting is a wrong answer a user can
trigger (the review found three: relu6 at 100,000 samples, channel-shuffle with C < g², and
quantization with 2 channels). Each setting goes to its min and its max (and through each of
its choices) with the others at their defaults.
"""

from __future__ import annotations

from typing import Any

import pytest

from cvquiz.demos.params import Param
from cvquiz.demos.registry import all_demos
from cvquiz.demos.runner import run_demo
from cvquiz.errors import CvquizError


def _edges(p: Param) -> list[Any]:
    """The values worth trying for one setting: its choices, or its min and max, or both booleans."""
    if p.choices is not None:
        return [c for c in p.choices if c != p.default]
    if p.type is bool:
        return [not p.default]
    return [v for v in (p.min, p.max) if v is not None and v != p.default]


# The edges a demo refuses, each in one line naming the setting: every other edge must pass.
REFUSED = {
    ("channel-shuffle", "channels", 2): "--set channels=2: must be a multiple of groups=3",
    ("channel-shuffle", "channels", 1024): "--set channels=1024: must be a multiple of groups=3",
    ("channel-shuffle", "groups", 64): "--set channels=12: must be a multiple of groups=64",
}

CASES = [
    pytest.param(spec.id, p.name, value, id=f"{spec.id}-{p.name}={value}")
    for spec in all_demos()
    for p in spec.params
    for value in _edges(p)
]


def test_every_numeric_setting_has_both_bounds() -> None:
    # Without a min and a max, the edges below would not be tested, nor refused before allocation.
    unbounded = [
        f"{spec.id}.{p.name}"
        for spec in all_demos()
        for p in spec.params
        if p.choices is None and p.type in (int, float) and (p.min is None or p.max is None)
    ]
    assert unbounded == []
    assert len(CASES) >= 2 * sum(len(spec.params) for spec in all_demos()) - 10


@pytest.mark.parametrize(("demo_id", "name", "value"), CASES)
def test_checks_hold_at_every_setting_edge(demo_id: str, name: str, value: Any) -> None:
    refusal = REFUSED.get((demo_id, name, value))
    if refusal is not None:
        with pytest.raises(CvquizError) as exc:
            run_demo(demo_id, settings={name: value})
        assert exc.value.message == refusal
        return
    result = run_demo(demo_id, settings={name: value})
    failed = [(c.claim, c.expected, c.measured, c.tolerance) for c in result.checks if not c.passed]
    assert failed == []
    assert result.params[name] == value
