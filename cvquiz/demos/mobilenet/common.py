"""What the MobileNet demos share: published tables, their sources, and small helpers."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from cvquiz.demos.result import Check, check

if TYPE_CHECKING:
    import torch


TORCHVISION = "torchvision 0.29.1 reference count"

MOBILENETS = "MobileNets paper (Howard et al. 2017)"

# How a demo's MAC figures are measured: the zoo's per-layer formula on the layers as built (their
# real output shapes, from a forward pass on an empty batch). `cvquiz verify` and the tests recount
# every such figure with FlopCounterMode and check the two agree.
LAYER_COUNT = "the built layers counted by formula (recounted by FlopCounterMode in verify)"


@dataclass(frozen=True)
class ModelCount:
    """A zoo model's counts at 224×224, MACs by formula, and the published figures to reproduce."""

    name: str
    params: int
    analytic_macs: int
    reference_params: int
    reference_gmacs: float


def model_count(name: str) -> ModelCount:
    """zoo.MODELS[name] counted by zoo.model_counts: by formula, cached (imports torch)."""
    from cvquiz.demos import zoo

    spec = zoo.MODELS[name]
    params, analytic = zoo.model_counts(name)
    assert spec.reference_params is not None and spec.reference_gmacs is not None
    return ModelCount(name, params, analytic, spec.reference_params, spec.reference_gmacs)


def conv_out(size: int, *, kernel: int, stride: int, padding: int) -> int:
    """Output height of a convolution (the formula from the PyTorch Conv2d docs, dilation 1)."""
    return (size + 2 * padding - kernel) // stride + 1


def _ratio(fraction: Fraction) -> str:
    """A fraction as '137/1152', or '1' when it is whole."""
    return (
        f"{fraction.numerator}/{fraction.denominator}"
        if fraction.denominator != 1
        else str(fraction.numerator)
    )


def _changed_channels(before: torch.Tensor, after: torch.Tensor) -> tuple[int, ...]:
    """Indices of channels (dim 1) where anything changed."""
    moved = (after - before).abs().amax(dim=tuple(d for d in range(before.dim()) if d != 1)) > 0
    return tuple(int(i) for i in moved.nonzero().flatten())


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
