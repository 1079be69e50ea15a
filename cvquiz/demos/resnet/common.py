"""What the ResNet demos share: published figures, their sources, and small counting helpers."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cvquiz.demos.result import Check, check

if TYPE_CHECKING:
    from torch import nn


TORCHVISION = "torchvision 0.29.1 reference count"

HE_2015 = "He et al. 2015, 'Deep Residual Learning'"

HE_2016 = "He et al. 2016, 'Identity Mappings in Deep Residual Networks'"


# He et al. 2015, Table 1: "FLOPs" there are multiply-adds, given to one decimal (x 1e9).
PAPER_GMACS = {
    "resnet18": 1.8,
    "resnet34": 3.6,
    "resnet50": 3.8,
    "resnet101": 7.6,
    "resnet152": 11.3,
}


# The paper's one-decimal figures round most counts (1.814 → 1.8, 7.570 → 7.6, 11.282 → 11.3) but
# truncate two (ResNet-34: 3.664 → 3.6; ResNet-50: 3.858 → 3.8). Each is checked the way it was printed:
# rounded ones to ±0.05, truncated ones by truncating the exact count to one decimal.
PAPER_TRUNCATED = frozenset({"resnet34", "resnet50"})

PAPER_TOL = 0.05


def _paper_gmacs_check(claim: str, *, name: str, macs: int) -> Check:
    """He et al. 2015, Table 1's one-decimal figure for `name` against an exact V1 count."""
    printed = PAPER_GMACS[name]
    if name in PAPER_TRUNCATED:
        return check(
            f"{claim} ({macs / 1e9:.3f} truncated)",
            expected=printed,
            measured=math.floor(macs / 1e8) / 10,
            source=f"{HE_2015}, Table 1 (this figure is truncated to one decimal, not rounded)",
        )
    return check(
        claim,
        expected=printed,
        measured=_gmacs(macs),
        source=f"{HE_2015}, Table 1 (one decimal)",
        abs_tol=PAPER_TOL,
    )


# Helpers shared by the demos.


def _gmacs(macs: int) -> float:
    return round(macs / 1e9, 3)


def _macs_pair(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[int, int]:
    """(analytic MACs, counter MACs) of `model` at `input_shape`."""
    from cvquiz.demos import zoo

    rows, counted = zoo.costed(model, input_shape)
    return sum(r.macs for r in rows), counted


def _projection_params(c_in: int, c_out: int) -> int:
    """A 1x1 projection (no bias) and its BN: C_in·C_out + 2·C_out."""
    return c_in * c_out + 2 * c_out


def _v1_vs_v15() -> tuple[int, tuple[tuple[Any, ...], ...], bool]:
    """MACs V1.5 adds over V1 (per-conv rows), from the first bottleneck of stages 2-4."""
    from torch import nn

    from cvquiz.demos import zoo

    delta, rows, same_params = 0, [], True
    for stage, (in_ch, planes, size) in enumerate(
        ((256, 128, 56), (512, 256, 28), (1024, 512, 14)), 2
    ):
        costs = {}
        for variant in ("v1", "v1.5"):

            def first_block(in_ch: int, planes: int, variant: str) -> nn.Module:
                downsample = nn.Sequential(
                    zoo.conv1x1(in_ch, 4 * planes, stride=2), nn.BatchNorm2d(4 * planes)
                )
                return zoo.Bottleneck(
                    in_ch, planes, stride=2, downsample=downsample, variant=variant
                )

            block = zoo.build_meta(first_block, in_ch=in_ch, planes=planes, variant=variant)
            costs[variant] = (zoo.layer_macs(block, (1, in_ch, size, size)), block)
        (v1_rows, v1_block), (v15_rows, v15_block) = costs["v1"], costs["v1.5"]
        same_params = same_params and zoo.count_params(v1_block) == zoo.count_params(v15_block)
        for r1, r15 in zip(v1_rows, v15_rows, strict=True):
            c1, c15 = v1_block.get_submodule(r1.name), v15_block.get_submodule(r15.name)
            delta += r15.macs - r1.macs
            if c1.stride != c15.stride:
                rows.append(
                    (f"layer{stage}.0", r1.name, c1.stride[0], r1.macs, c15.stride[0], r15.macs)
                )
    return delta, tuple(rows), same_params
