"""What the MobileNet demos share: published tables, their sources, and small helpers."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from cvquiz.demos.result import Check, check

if TYPE_CHECKING:
    import torch


TORCHVISION = "torchvision 0.29.1 reference count"

MOBILENETS = "MobileNets paper (Howard et al. 2017)"


def _ratio(fraction: Fraction) -> str:
    return (
        f"{fraction.numerator}/{fraction.denominator}"
        if fraction.denominator != 1
        else str(fraction.numerator)
    )


def _changed_channels(before: torch.Tensor, after: torch.Tensor) -> list[int]:
    """Indices of channels (dim 1) where anything changed."""
    moved = (after - before).abs().amax(dim=tuple(d for d in range(before.dim()) if d != 1)) > 0
    return [int(i) for i in moved.nonzero().flatten()]


def _published_check(
    claim: str,
    *,
    published_m: float,
    measured: int,
    step_m: float,
    source: str,
    slack_m: float = 0.0,
    why: str = "",
) -> Check:
    """A figure printed in millions to `step_m`, measured exactly: allowed its rounding, ±step/2.

    `slack_m` widens that for a documented exception; `why` says why, in the check's source.
    """
    return check(
        claim,
        expected=round(published_m * 1_000_000),
        measured=measured,
        source=f"{source}; {why}" if why else source,
        abs_tol=round((step_m / 2 + slack_m) * 1_000_000),
    )
