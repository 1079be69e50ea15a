"""Other efficient families: ShuffleNet's channel shuffle, EfficientNet's compound scaling."""

from __future__ import annotations

from fractions import Fraction

from cvquiz.demos.mobilenet.common import TORCHVISION, _changed_channels, _published_check
from cvquiz.demos.registry import DemoContext, Param, demo
from cvquiz.demos.result import COUNTER_SOURCE, MACS_CONVENTION, DemoResult, Series, Table, check

# Channel shuffle (Q31)


@demo(
    "channel-shuffle",
    title="ShuffleNet's channel shuffle: letting grouped convs talk",
    summary="shuffle is a permutation; grouped convs keep groups isolated unless shuffled; ShuffleNetV2 vs MobileNetV2",
    params=(
        Param("channels", int, 12, "channels C (a multiple of groups)", min=2, max=1024),
        Param("groups", int, 3, "groups g", min=2, max=64),
        Param("size", int, 8, "height and width", min=1, max=64),
    ),
)
def channel_shuffle(ctx: DemoContext, *, channels: int, groups: int, size: int) -> DemoResult:
    import torch
    from torch import nn

    from cvquiz.demos import zoo
    from cvquiz.errors import CvquizError

    c, g = channels, groups
    if c % g:
        raise CvquizError(f"--set channels={c}: must be a multiple of groups={g}")
    per = c // g
    labels = torch.arange(c, dtype=torch.float32).view(1, c, 1, 1)
    order = [int(v) for v in zoo.channel_shuffle(labels, g).flatten()]
    expected_order = [
        (i % g) * per + i // g for i in range(c)
    ]  # reshape (g, C/g) -> transpose -> flatten
    # Group 0's C/g channels land at positions j·g (j < C/g), i.e. in groups ⌊j·g / (C/g)⌋: that is
    # min(g, C/g) distinct groups, so one shuffle reaches every group only when C/g ≥ g (C ≥ g²).
    expected_reach = sorted({j * g // per for j in range(per)})

    dev = ctx.device
    conv1 = nn.Conv2d(c, c, 1, groups=g).to(dev)  # grouped 1x1
    conv2 = nn.Conv2d(c, c, 1, groups=g).to(dev)
    x = torch.randn(1, c, size, size, device=dev)
    nudged = x.clone()
    nudged[:, 0] += 1.0  # channel 0 belongs to group 0

    def groups_of(channels_moved: list[int]) -> list[int]:
        return sorted({ch // per for ch in channels_moved})

    with torch.no_grad():
        plain = groups_of(_changed_channels(conv2(conv1(x)), conv2(conv1(nudged))))
        shuffled = groups_of(
            _changed_channels(
                conv2(zoo.channel_shuffle(conv1(x), g)),
                conv2(zoo.channel_shuffle(conv1(nudged), g)),
            )
        )
    models = []
    for name in ("shufflenet_v2_x1_0", "mobilenet_v2"):
        models.append((name, zoo.MODELS[name], *zoo.model_counts(name)))
    (_, _, sh_params, sh_macs, sh_counted), (_, _, v2_params, _, _) = models
    return DemoResult(
        demo_id="channel-shuffle",
        title="ShuffleNet's channel shuffle: letting grouped convs talk",
        explanation=(
            "A grouped conv splits channels into g groups and convolves each group alone: g× cheaper, "
            "but a stack of grouped convs never mixes information between groups.",
            "ShuffleNet's fix is a free permutation: reshape channels to (g, C/g), transpose, flatten. The "
            "C/g channels of one group are dealt out to min(g, C/g) groups, so when C ≥ g² (as in ShuffleNet) "
            "the next grouped conv sees a channel from every group"
            + (
                "."
                if per >= g
                else f"; here C/g = {per} < g = {g}, so one shuffle reaches only {per} group{'s' if per > 1 else ''}."
            ),
            "MobileNet's trick is different: depthwise conv for space, dense 1×1 for channels. Both aim at fast inference.",
        ),
        tables=(
            Table(
                title=f"Channel order after shuffling C={c} channels in g={g} groups of {per}",
                columns=("positions", "hold channels", "from groups"),
                rows=tuple(
                    (
                        f"{i}–{i + g - 1}",
                        ", ".join(map(str, order[i : i + g])),
                        ", ".join(str(ch // per) for ch in order[i : i + g]),
                    )
                    for i in range(0, min(c, 8 * g), g)
                ),
                note=f"(first {8 * g} positions)" if c > 8 * g else None,
            ),
            Table(
                title="Nudge input channel 0 (group 0) through two grouped 1×1 convs",
                columns=("between the convs", "output groups that change"),
                rows=(
                    ("nothing", ", ".join(map(str, plain))),
                    ("channel shuffle", ", ".join(map(str, shuffled))),
                ),
            ),
            Table(
                title="Two efficient families at 224×224",
                columns=("model", "params", "MACs", "published"),
                rows=tuple(
                    (name, p, m, f"{spec.reference_params:,} / {spec.reference_gmacs} G")
                    for name, spec, p, m, _ in models
                ),
            ),
        ),
        checks=(
            check(
                "channel shuffle is a permutation (every channel once)",
                expected=", ".join(map(str, range(c))),
                measured=", ".join(map(str, sorted(order))),
                source="sorted(shuffled channel labels)",
            ),
            check(
                "shuffle order: position i holds channel (i mod g)·C/g + ⌊i/g⌋",
                expected=", ".join(map(str, expected_order)),
                measured=", ".join(map(str, order)),
                source="reshape (g, C/g) → transpose → flatten",
            ),
            check(
                "without shuffle, group 0's input reaches only group 0",
                expected="0",
                measured=", ".join(map(str, plain)),
                source="experiment",
            ),
            check(
                f"with shuffle, it reaches min(g, C/g) = {min(g, per)} groups"
                + (" (every group)" if per >= g else ""),
                expected=", ".join(map(str, expected_reach)),
                measured=", ".join(map(str, shuffled)),
                source="formula: groups ⌊j·g/(C/g)⌋ for j < C/g; measured by nudging channel 0",
            ),
            check(
                "ShuffleNetV2 1.0x params",
                expected=2_278_604,
                measured=sh_params,
                source=TORCHVISION,
            ),
            check(
                "ShuffleNetV2 1.0x: 0.145 GMACs",
                expected=145_000_000,
                measured=sh_counted,
                source=f"{TORCHVISION}; {COUNTER_SOURCE}",
                abs_tol=500_000,
            ),
            check(
                "ShuffleNetV2: analytic MACs = FlopCounterMode ÷ 2",
                expected=sh_macs,
                measured=sh_counted,
                source=COUNTER_SOURCE,
            ),
            check(
                "MobileNetV2 1.0 params", expected=3_504_872, measured=v2_params, source=TORCHVISION
            ),
        ),
        convention=MACS_CONVENTION,
    )


# EfficientNet compound scaling (Q32)


@demo(
    "efficientnet-scaling",
    title="EfficientNet compound scaling: depth 1.2^φ, width 1.1^φ, resolution 1.15^φ",
    summary="the φ table, the constraint α·β²·γ² ≈ 2, FLOPs ≈ 2^φ, EfficientNet-B0 params and MACs",
    params=(Param("max_phi", int, 7, "largest φ to tabulate", min=0, max=12),),
)
def efficientnet_scaling(ctx: DemoContext, *, max_phi: int) -> DemoResult:
    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.efficientnet import (
        ALPHA_DEPTH,
        BETA_WIDTH,
        GAMMA_RESOLUTION,
        EfficientNet,
        compound_config,
        compound_resolution,
    )

    alpha, beta, gamma = (
        Fraction(str(ALPHA_DEPTH)),
        Fraction(str(BETA_WIDTH)),
        Fraction(str(GAMMA_RESOLUTION)),
    )
    growth = alpha * beta**2 * gamma**2  # FLOPs scale with depth, width² and resolution²
    rows = []
    for phi in range(max_phi + 1):
        rows.append(
            (
                phi,
                float(alpha**phi),
                float(beta**phi),
                float(gamma**phi),
                round(224 * float(gamma**phi)),
                float(growth**phi),
                2**phi,
            )
        )
    params, macs, counted = zoo.model_counts("efficientnet_b0")
    # φ = 1 built for real: B0 with 1.2× the blocks per stage and 1.1× the widths, at 256×256.
    res1 = compound_resolution(1)
    b1 = zoo.build_meta(EfficientNet, config=compound_config(1))
    macs1 = zoo.counter_macs(b1, (1, 3, res1, res1))
    step_ratio = macs1 / counted
    return DemoResult(
        demo_id="efficientnet-scaling",
        title="EfficientNet compound scaling: depth 1.2^φ, width 1.1^φ, resolution 1.15^φ",
        explanation=(
            "MobileNet scales one dial at a time (α for width, ρ for resolution). EfficientNet scales depth, "
            "width and resolution together with one coefficient φ: d = 1.2^φ, w = 1.1^φ, r = 1.15^φ.",
            "FLOPs grow linearly with depth and quadratically with width and resolution, so each step of φ "
            f"multiplies them by α·β²·γ² = {float(growth):.4f} ≈ 2: the budget doubles per step.",
            f"Built for real, φ = 1 (blocks per stage × 1.2 rounded up, widths × 1.1, {res1}×{res1}) costs "
            f"{step_ratio:.2f}× B0's MACs: rounding blocks up (a 1-block stage becomes 2) adds to the 1.92.",
            "The constants came from a small grid search on B0 (itself found by NAS); the result is often a "
            "better accuracy-per-FLOP frontier. MobileNets stay simpler and are supported by more runtimes.",
        ),
        tables=(
            Table(
                title="Compound scaling from EfficientNet-B0",
                columns=("φ", "depth ×", "width ×", "res ×", "input", "FLOPs ×", "2^φ"),
                rows=tuple(rows),
                note="the published B1–B7 round these (and pick their own resolutions), so they only approximate them",
            ),
            Table(
                title=f"EfficientNet-B0 at 224×224, and φ = 1 built from it at {res1}×{res1}",
                columns=("", "B0 counted", "B0 published", "φ = 1 counted", "φ = 1 ÷ B0"),
                rows=(
                    (
                        "params",
                        params,
                        5_288_548,
                        zoo.count_params(b1),
                        round(zoo.count_params(b1) / params, 4),
                    ),
                    ("MACs", counted, 386_000_000, macs1, round(step_ratio, 4)),
                ),
                note="paper: 5.3M params, 0.39B FLOPs (the paper's 'FLOPs' are multiply-adds)",
            ),
        ),
        checks=(
            check(
                f"one step of φ multiplies FLOPs by about α·β²·γ² = {float(growth):.4f} ≈ 2 "
                f"(B0 vs φ = 1 at {res1}×{res1}: ×{step_ratio:.3f})",
                expected=round(float(growth), 5),
                measured=round(step_ratio, 5),
                source="Tan & Le 2019, eq. 3 (FLOPs ∝ d·w²·r²); measured: FlopCounterMode on B0 and on φ = 1; "
                "±20%: blocks per stage round up (1 → 2), widths to multiples of 8, resolution to a multiple of 32",
                rel_tol=0.2,
            ),
            check(
                "EfficientNet-B0 params", expected=5_288_548, measured=params, source=TORCHVISION
            ),
            check(
                "EfficientNet-B0: 0.386 GMACs",
                expected=386_000_000,
                measured=counted,
                source=f"{TORCHVISION}; {COUNTER_SOURCE}",
                abs_tol=500_000,
            ),
            _published_check(
                "EfficientNet-B0: 5.3M params (paper)",
                published_m=5.3,
                measured=params,
                step_m=0.1,
                source="Tan & Le 2019, Table 2",
            ),
            check(
                "B0: analytic MACs = FlopCounterMode ÷ 2",
                expected=macs,
                measured=counted,
                source=COUNTER_SOURCE,
            ),
        ),
        series=(
            Series(
                "FLOPs multiplier by φ",
                x=tuple(float(r[0]) for r in rows),
                y=tuple(r[5] for r in rows),
                x_label="φ",
                y_label="FLOPs ×",
            ),
        ),
        convention=MACS_CONVENTION,
    )
