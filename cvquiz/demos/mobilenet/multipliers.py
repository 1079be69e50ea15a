"""MobileNetV1's two dials: the width multiplier α (Table 6) and the resolution multiplier ρ (Table 7)."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from cvquiz.demos.mobilenet.common import MOBILENETS, _published_check, _ratio
from cvquiz.demos.registry import DemoContext, Param, demo
from cvquiz.demos.result import COUNTER_SOURCE, MACS_CONVENTION, DemoResult, Series, Table, check

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


# Width multiplier (Q25)


def _v1_costs(model: nn.Module, size: int) -> dict[str, int]:
    """MobileNetV1 MACs split by layer kind: stem, depthwise, pointwise, fc."""
    from cvquiz.demos import zoo

    costs = {"stem": 0, "depthwise": 0, "pointwise": 0, "fc": 0}
    for row in zoo.layer_macs(model, (1, 3, size, size)):
        if row.kind == "linear":
            costs["fc"] += row.macs
        elif row.kind == "dwconv":
            costs["depthwise"] += row.macs
        elif model.get_submodule(row.name).kernel_size == (1, 1):
            costs["pointwise"] += row.macs
        else:
            costs["stem"] += row.macs
    return costs


@demo(
    "width-multiplier",
    title="MobileNet width multiplier α (Table 6)",
    summary="MobileNetV1 at α = 1, 0.75, 0.5, 0.25: params and mult-adds vs the paper's Table 6; ≈α² scaling",
)
def width_multiplier(ctx: DemoContext) -> DemoResult:
    from cvquiz.demos import zoo

    rows, checks, dw_law, pw_law = [], [], [], []
    base: dict[str, int] = {}
    for alpha, top1, paper_macs, paper_params in TABLE6:
        model = zoo.build_meta(zoo.mobilenet_v1, width_mult=alpha)
        costs = _v1_costs(model, 224)
        params, macs = zoo.count_params(model), sum(costs.values())
        base = base or costs
        a = Fraction(str(alpha))
        total_ratio = macs / sum(base.values())
        rows.append(
            (
                alpha,
                params,
                f"{paper_params}M",
                macs,
                f"{paper_macs}M",
                round(total_ratio, 4),
                float(a * a),
                top1,
            )
        )
        pw_law.append((_ratio(a * a), _ratio(Fraction(costs["pointwise"], base["pointwise"]))))
        dw_law.append((_ratio(a), _ratio(Fraction(costs["depthwise"], base["depthwise"]))))
        source = f"{MOBILENETS}, Table 6"
        checks.append(
            _published_check(
                f"α={alpha}: {paper_macs}M mult-adds",
                published_m=paper_macs,
                measured=macs,
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
    full = zoo.build_meta(zoo.mobilenet_v1)
    counted = zoo.counter_macs(full)
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
        check(
            "α=1.0: analytic MACs = FlopCounterMode ÷ 2",
            expected=sum(base.values()),
            measured=counted,
            source=COUNTER_SOURCE,
        ),
    ]
    share = base["pointwise"] / sum(base.values())
    return DemoResult(
        demo_id="width-multiplier",
        title="MobileNet width multiplier α (Table 6)",
        explanation=(
            "The width multiplier α thins every layer uniformly: M input and N output channels become αM and αN.",
            f"Cost falls by about α²: the 1×1 convs ({share:.0%} of MACs at α=1) scale by exactly α², "
            "the depthwise convs and the classifier only by α, so small α falls a little short of α².",
            "Accuracy falls smoothly, then sharply at α=0.25: a dial for the accuracy–latency trade-off.",
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
                x=tuple(r[0] for r in TABLE6),
                y=tuple(r[3] / 1e6 for r in rows),
                x_label="α",
                y_label="MACs (M)",
            ),
        ),
        convention=MACS_CONVENTION + "; the paper's mult-adds are the same convention",
    )


# Resolution multiplier (Q26)


@demo(
    "resolution-multiplier",
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
def resolution_multiplier(ctx: DemoContext, *, extra_size: int) -> DemoResult:
    from cvquiz.demos import zoo

    model = zoo.build_meta(zoo.mobilenet_v1)
    params = zoo.count_params(model)
    base = _v1_costs(model, 224)
    base_conv = sum(base.values()) - base["fc"]
    rows, checks, law = [], [], []
    sizes = [(size, top1, paper_macs) for size, top1, paper_macs, _ in TABLE7]
    if extra_size not in {s for s, _, _ in sizes}:
        sizes.append((extra_size, None, None))
    for size, top1, paper_macs in sizes:
        costs = _v1_costs(model, size)
        macs = sum(costs.values())
        rho = Fraction(size, 224)
        conv_ratio = Fraction(macs - costs["fc"], base_conv)
        rows.append(
            (
                size,
                f"{float(rho):.3f}",
                macs,
                f"{paper_macs}M" if paper_macs else "—",
                params,
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
                    measured=macs,
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
            measured=params,
            step_m=0.1,
            source=f"{MOBILENETS}, Table 7",
        ),
        check(
            "params: MobileNetV1 1.0 exact count",
            expected=4_231_976,
            measured=params,
            source="reference count (BN γ/β, bias-free convs, FC with bias)",
        ),
    ]
    return DemoResult(
        demo_id="resolution-multiplier",
        title="MobileNet resolution multiplier ρ (Table 7)",
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
