"""MobileNetV1's two dials: the width multiplier α (Table 6) and the resolution multiplier ρ (Table 7)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from cvquiz.demos.mobilenet.common import MOBILENETS, _published_check, _ratio
from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import (
    MACS_CONVENTION,
    Presentation,
    Series,
    Table,
    check,
)
from cvquiz.demos.runner import DemoContext

if TYPE_CHECKING:
    from torch import nn


# Table 6 (width multiplier at 224) and Table 7 (resolution at alpha 1.0): top-1 %, mult-adds M, params M.
TABLE6 = (
    (1.0, 70.6, 569, 4.2),
    (0.75, 68.4, 325, 2.6),
    (0.5, 63.7, 149, 1.3),
    (0.25, 50.6, 41, 0.5),
)

TABLE7 = (
    (224, 70.6, 569, 4.2),
    (192, 69.1, 418, 4.2),
    (160, 67.2, 290, 4.2),
    (128, 64.4, 186, 4.2),
)


# Table 7 is Table 6's 569M scaled by ρ² as a whole, FC included, though the 1024×1000 FC
# (1.024M mult-adds) does not shrink with the image: at 160 the count is 290.7M, 0.7M above.
TABLE7_WHY = "Table 7 scales 569M by ρ² including the FC, which does not shrink: allow the FC's 1.024M·(1 − ρ²)"


@dataclass(frozen=True)
class V1Costs:
    """MobileNetV1 MACs split by layer kind."""

    stem: int
    depthwise: int
    pointwise: int
    fc: int

    @property
    def total(self) -> int:
        """Every conv and the classifier."""
        return self.stem + self.depthwise + self.pointwise + self.fc

    @property
    def conv(self) -> int:
        """Everything but the classifier: the part that scales with the image."""
        return self.total - self.fc


def _v1_costs(model: nn.Module, size: int, *, alpha: float = 1.0) -> V1Costs:
    """MobileNetV1 (width `alpha`) MACs at size×size, from the zoo's per-layer count, by layer kind."""
    from cvquiz.demos import zoo

    costs = {"stem": 0, "depthwise": 0, "pointwise": 0, "fc": 0}
    label = f"mobilenet_v1{f' α={alpha}' if alpha != 1 else ''} at {size}×{size}"
    for row in zoo.layer_macs(model, (1, 3, size, size), label=label):
        if row.kind == "linear":
            costs["fc"] += row.macs
        elif row.kind == "dwconv":
            costs["depthwise"] += row.macs
        elif model.get_submodule(row.name).kernel_size == (1, 1):
            costs["pointwise"] += row.macs
        else:
            costs["stem"] += row.macs
    return V1Costs(**costs)


# Width multiplier (Q25)

WIDTH = demo(
    "width-multiplier",
    stochastic=False,  # the same numbers at every seed
    title="MobileNet width multiplier α (Table 6)",
    summary="MobileNetV1 at α = 1, 0.75, 0.5, 0.25: params and mult-adds vs the paper's Table 6; ≈α² scaling",
)


@dataclass(frozen=True)
class WidthNumbers:
    """MobileNetV1 at 224×224 for each α of Table 6: params and MACs by layer kind."""

    alphas: tuple[float, ...]
    params: tuple[int, ...]
    costs: tuple[V1Costs, ...]

    @property
    def macs(self) -> tuple[int, ...]:
        """Total MACs for each α."""
        return tuple(c.total for c in self.costs)


@WIDTH.measure
def measure_width(s: Settings, ctx: DemoContext) -> WidthNumbers:
    from cvquiz.demos import zoo

    alphas = tuple(alpha for alpha, _, _, _ in TABLE6)
    models = [zoo.build_meta(zoo.mobilenet_v1, width_mult=alpha) for alpha in alphas]
    return WidthNumbers(
        alphas=alphas,
        params=tuple(zoo.count_params(model) for model in models),
        costs=tuple(
            _v1_costs(model, 224, alpha=alpha) for model, alpha in zip(models, alphas, strict=True)
        ),
    )


@WIDTH.present
def present_width(r: WidthNumbers, s: Settings) -> Presentation:
    rows, checks, dw_law, pw_law = [], [], [], []
    base = r.costs[0]  # α = 1
    for (alpha, top1, paper_macs, paper_params), params, costs in zip(
        TABLE6, r.params, r.costs, strict=True
    ):
        a = Fraction(str(alpha))
        rows.append(
            (
                alpha,
                params,
                f"{paper_params}M",
                costs.total,
                f"{paper_macs}M",
                round(costs.total / base.total, 4),
                float(a * a),
                top1,
            )
        )
        pw_law.append((_ratio(a * a), _ratio(Fraction(costs.pointwise, base.pointwise))))
        dw_law.append((_ratio(a), _ratio(Fraction(costs.depthwise, base.depthwise))))
        source = f"{MOBILENETS}, Table 6"
        checks.append(
            _published_check(
                f"α={alpha}: {paper_macs}M mult-adds",
                published_m=paper_macs,
                measured=costs.total,
                step_m=1,
                source=source,
            )
        )
        checks.append(
            _published_check(
                f"α={alpha}: {paper_params}M params",
                published_m=paper_params,
                measured=params,
                step_m=0.1,
                source=source,
            )
        )
    checks += [
        check(
            "pointwise (1×1) MACs scale by exactly α² (α·M inputs × α·N outputs)",
            expected=", ".join(e for e, _ in pw_law),
            measured=", ".join(m for _, m in pw_law),
            source="formula α²·M·N·Df²",
        ),
        check(
            "depthwise MACs scale by exactly α (one filter per channel)",
            expected=", ".join(e for e, _ in dw_law),
            measured=", ".join(m for _, m in dw_law),
            source="formula Dk²·α·M·Df²",
        ),
    ]
    # Q25's "linear" trade-off: top-1 lost per million MACs saved, between neighbouring rows of Table 6.
    slopes = [
        (top_a - top_b) / ((macs_a - macs_b) / 1e6)
        for (_, top_a, _, _), (_, top_b, _, _), macs_a, macs_b in zip(
            TABLE6, TABLE6[1:], r.macs, r.macs[1:], strict=False
        )
    ]
    checks.append(
        check(
            "Table 6: accuracy is not linear in cost: top-1 lost per MAC saved grows over 10× as α shrinks",
            expected=True,
            measured=slopes[-1] > 10 * slopes[0],
            source=f"{MOBILENETS}, Table 6 top-1 against the MACs counted here: "
            + ", ".join(f"{x:.4f}" for x in slopes)
            + " points per million MACs from α=1→0.75 to α=0.5→0.25; top-1 drops "
            + ", ".join(f"{a[1] - b[1]:.1f}" for a, b in zip(TABLE6, TABLE6[1:], strict=False))
            + " points per step of 0.25 in α",
        )
    )
    share = base.pointwise / base.total
    return Presentation(
        explanation=(
            "The width multiplier α thins every layer uniformly: M input and N output channels become αM and αN.",
            f"Cost falls by about α²: the 1×1 convs ({share:.0%} of MACs at α=1) scale by exactly α², "
            "the depthwise convs and the classifier only by α, so small α falls a little short of α².",
            "Accuracy falls slowly, then sharply (−2.2, −4.7, −13.1 points per step of α): a dial for the "
            "accuracy–latency trade-off, but not a linear one.",
        ),
        tables=(
            Table(
                title="MobileNetV1 at 224×224, built from scratch vs the paper's Table 6",
                columns=("α", "params", "paper", "MACs", "paper", "÷ α=1", "α²", "top-1 %"),
                rows=tuple(rows),
                note="paper columns and top-1 (ImageNet) are the published figures; params and MACs are counted here",
            ),
        ),
        checks=tuple(checks),
        series=(
            Series(
                "MACs (millions) by α",
                x=r.alphas,
                y=tuple(macs / 1e6 for macs in r.macs),
                x_label="α",
                y_label="MACs (M)",
            ),
        ),
        convention=MACS_CONVENTION + "; the paper's mult-adds are the same convention",
    )


# Resolution multiplier (Q26)

RESOLUTION = demo(
    "resolution-multiplier",
    stochastic=False,  # the same numbers at every seed
    title="MobileNet resolution multiplier ρ (Table 7)",
    summary="MobileNetV1 at 224, 192, 160, 128: mult-adds vs Table 7, unchanged params, the ρ² law",
    params=(
        Param(
            "extra_size",
            int,
            96,
            "one more input size to try (any; multiples of 32 follow ρ² exactly)",
            min=32,
            max=512,
        ),
    ),
)


@dataclass(frozen=True)
class ResolutionNumbers:
    """MobileNetV1 1.0 at Table 7's sizes (then extra_size, unless it is one of them)."""

    params: int
    sizes: tuple[int, ...]
    costs: tuple[V1Costs, ...]

    def at(self, size: int) -> V1Costs:
        """The costs at input size×size."""
        return self.costs[self.sizes.index(size)]


@RESOLUTION.measure
def measure_resolution(s: Settings, ctx: DemoContext) -> ResolutionNumbers:
    from cvquiz.demos import zoo

    model = zoo.build_meta(zoo.mobilenet_v1)
    sizes = tuple(size for size, _, _, _ in TABLE7)
    if s.extra_size not in sizes:
        sizes += (s.extra_size,)
    return ResolutionNumbers(
        params=zoo.count_params(model),
        sizes=sizes,
        costs=tuple(_v1_costs(model, size) for size in sizes),
    )


@RESOLUTION.present
def present_resolution(r: ResolutionNumbers, s: Settings) -> Presentation:
    published = {size: (top1, paper_macs) for size, top1, paper_macs, _ in TABLE7}
    base_conv = r.at(224).conv
    rows, checks, law = [], [], []
    for size, costs in zip(r.sizes, r.costs, strict=True):
        top1, paper_macs = published.get(size, (None, None))
        rho = Fraction(size, 224)
        conv_ratio = Fraction(costs.conv, base_conv)
        rows.append(
            (
                size,
                f"{float(rho):.3f}",
                costs.total,
                f"{paper_macs}M" if paper_macs else "—",
                r.params,
                _ratio(conv_ratio),
                _ratio(rho * rho),
                top1,
            )
        )
        if paper_macs is not None:
            law.append((_ratio(rho * rho), _ratio(conv_ratio)))
            checks.append(
                _published_check(
                    f"{size}×{size}: {paper_macs}M mult-adds",
                    published_m=paper_macs,
                    measured=costs.total,
                    step_m=1,
                    source=f"{MOBILENETS}, Table 7",
                    slack_m=float(1.024 * (1 - rho * rho)),
                    why=TABLE7_WHY,
                )
            )
    checks += [
        check(
            "conv MACs scale by exactly ρ² (every feature map shrinks by ρ on each side)",
            expected=", ".join(e for e, _ in law),
            measured=", ".join(m for _, m in law),
            source="formula Dk²·M·N·(ρDf)²",
        ),
        _published_check(
            "params do not depend on resolution: 4.2M at every size",
            published_m=4.2,
            measured=r.params,
            step_m=0.1,
            source=f"{MOBILENETS}, Table 7",
        ),
        check(
            "params: MobileNetV1 1.0 exact count",
            expected=4_231_976,
            measured=r.params,
            source="reference count (BN γ/β, bias-free convs, FC with bias)",
        ),
    ]
    return Presentation(
        explanation=(
            "The resolution multiplier ρ feeds a smaller image: every feature map shrinks by ρ on each side.",
            "Every conv's cost is proportional to its output area, so MACs fall by ρ² while the parameters "
            "(the filters) stay exactly the same.",
            "Only the classifier (1024×1000 after global pooling) ignores resolution; accuracy drops predictably.",
            "Table 7 is 569M scaled by ρ² as a whole, classifier included, so it undercounts by up to the "
            "classifier's 1.024M·(1 − ρ²) (160×160: 290.7M counted, 290M printed); the checks allow that "
            "on top of the ±0.5M rounding.",
        ),
        tables=(
            Table(
                title="MobileNetV1 1.0 at several input sizes vs the paper's Table 7",
                columns=("input", "ρ", "MACs", "paper", "params", "conv ÷ 224", "ρ²", "top-1 %"),
                rows=tuple(rows),
                note="a size that is not a multiple of 32 rounds its stride-2 maps up, so it misses ρ² slightly",
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )
