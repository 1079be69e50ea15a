"""Other efficient families: ShuffleNet's channel shuffle, EfficientNet's compound scaling."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cvquiz.demos.mobilenet.common import (
    TORCHVISION,
    ModelCount,
    _changed_channels,
    _published_check,
    model_count,
)
from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import (
    COUNTER_SOURCE,
    MACS_CONVENTION,
    Presentation,
    Series,
    Table,
    check,
)
from cvquiz.demos.runner import DemoContext

# Channel shuffle (Q31)

SHUFFLE = demo(
    "channel-shuffle",
    title="ShuffleNet's channel shuffle: letting grouped convs talk",
    summary="shuffle is a permutation; grouped convs keep groups isolated unless shuffled; ShuffleNetV2 vs MobileNetV2",
    params=(
        Param(
            "channels",
            int,
            12,
            "channels C (a multiple of groups)",
            min=2,
            max=1024,
            multiple_of="groups",
        ),
        Param("groups", int, 3, "groups g", min=2, max=64),
        Param("size", int, 8, "height and width", min=1, max=64),
    ),
)


@dataclass(frozen=True)
class ShuffleNumbers:
    """Where the shuffle puts each channel, which groups a nudge reaches, and two models' counts."""

    order: tuple[int, ...]  # the channel at each position after zoo.channel_shuffle
    plain: tuple[int, ...]  # groups reached from group 0 through two grouped convs
    shuffled: tuple[int, ...]  # the same with a shuffle between them
    shufflenet: ModelCount
    mobilenet_v2: ModelCount


def shuffle_order(c: int, g: int) -> list[int]:
    """Position i holds channel (i mod g)·C/g + ⌊i/g⌋: reshape (g, C/g) → transpose → flatten."""
    return [(i % g) * (c // g) + i // g for i in range(c)]


def shuffle_reach(c: int, g: int) -> list[int]:
    """Groups that group 0's channels land in after one shuffle: min(g, C/g) of them.

    Group 0's C/g channels land at positions j·g (j < C/g), i.e. in groups ⌊j·g / (C/g)⌋, so one
    shuffle reaches every group only when C/g ≥ g (C ≥ g²).
    """
    per = c // g
    return sorted({j * g // per for j in range(per)})


@SHUFFLE.measure
def measure_shuffle(s: Settings, ctx: DemoContext) -> ShuffleNumbers:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    c, g = s.channels, s.groups
    per = c // g
    labels = torch.arange(c, dtype=torch.float32).view(1, c, 1, 1)  # (1, C, 1, 1)
    order = tuple(int(v) for v in zoo.channel_shuffle(labels, g).flatten())

    dev = ctx.device
    conv1 = nn.Conv2d(c, c, 1, groups=g).to(dev)  # grouped 1x1
    conv2 = nn.Conv2d(c, c, 1, groups=g).to(dev)
    x = torch.randn(1, c, s.size, s.size, generator=ctx.rng).to(dev)  # (1, C, H, W)
    nudged = x.clone()
    nudged[:, 0] += 1.0  # channel 0 belongs to group 0

    def groups_of(channels_moved: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted({ch // per for ch in channels_moved}))

    with torch.no_grad():
        plain = groups_of(_changed_channels(conv2(conv1(x)), conv2(conv1(nudged))))
        shuffled = groups_of(
            _changed_channels(
                conv2(zoo.channel_shuffle(conv1(x), g)),
                conv2(zoo.channel_shuffle(conv1(nudged), g)),
            )
        )
    return ShuffleNumbers(
        order=order,
        plain=plain,
        shuffled=shuffled,
        shufflenet=model_count("shufflenet_v2_x1_0"),
        mobilenet_v2=model_count("mobilenet_v2"),
    )


def _listed(values: Iterable[object]) -> str:
    """Values as '0, 4, 8'."""
    return ", ".join(map(str, values))


@SHUFFLE.present
def present_shuffle(r: ShuffleNumbers, s: Settings) -> Presentation:
    c, g = s.channels, s.groups
    per = c // g
    order, sh = r.order, r.shufflenet
    return Presentation(
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
                        _listed(order[i : i + g]),
                        ", ".join(str(ch // per) for ch in order[i : i + g]),
                    )
                    for i in range(0, min(c, 8 * g), g)
                ),
                note=f"(first {8 * g} positions)" if c > 8 * g else None,
            ),
            Table(
                title="Nudge input channel 0 (group 0) through two grouped 1×1 convs",
                columns=("between the convs", "output groups that change"),
                rows=(("nothing", _listed(r.plain)), ("channel shuffle", _listed(r.shuffled))),
            ),
            Table(
                title="Two efficient families at 224×224",
                columns=("model", "params", "MACs", "published"),
                rows=tuple(
                    (
                        m.name,
                        m.params,
                        m.analytic_macs,
                        f"{m.reference_params:,} / {m.reference_gmacs} G",
                    )
                    for m in (sh, r.mobilenet_v2)
                ),
            ),
        ),
        checks=(
            check(
                "channel shuffle is a permutation (every channel once)",
                expected=_listed(range(c)),
                measured=_listed(sorted(order)),
                source="sorted(shuffled channel labels)",
            ),
            check(
                "shuffle order: position i holds channel (i mod g)·C/g + ⌊i/g⌋",
                expected=_listed(shuffle_order(c, g)),
                measured=_listed(order),
                source="reshape (g, C/g) → transpose → flatten",
            ),
            check(
                "without shuffle, group 0's input reaches only group 0",
                expected="0",
                measured=_listed(r.plain),
                source="experiment",
            ),
            check(
                f"with shuffle, it reaches min(g, C/g) = {min(g, per)} groups"
                + (" (every group)" if per >= g else ""),
                expected=_listed(shuffle_reach(c, g)),
                measured=_listed(r.shuffled),
                source="formula: groups ⌊j·g/(C/g)⌋ for j < C/g; measured by nudging channel 0",
            ),
            check(
                "ShuffleNetV2 1.0x params",
                expected=2_278_604,
                measured=sh.params,
                source=TORCHVISION,
            ),
            check(
                "ShuffleNetV2 1.0x: 0.145 GMACs",
                expected=145_000_000,
                measured=sh.counter_macs,
                source=f"{TORCHVISION}; {COUNTER_SOURCE}",
                abs_tol=500_000,
            ),
            check(
                "ShuffleNetV2: analytic MACs = FlopCounterMode ÷ 2",
                expected=sh.analytic_macs,
                measured=sh.counter_macs,
                source=COUNTER_SOURCE,
            ),
            check(
                "MobileNetV2 1.0 params",
                expected=3_504_872,
                measured=r.mobilenet_v2.params,
                source=TORCHVISION,
            ),
        ),
        convention=MACS_CONVENTION,
    )


# EfficientNet compound scaling (Q32)

SCALING = demo(
    "efficientnet-scaling",
    title="EfficientNet compound scaling: depth 1.2^φ, width 1.1^φ, resolution 1.15^φ",
    summary="the φ table, the constraint α·β²·γ² ≈ 2, FLOPs ≈ 2^φ, EfficientNet-B0 params and MACs",
    params=(Param("max_phi", int, 7, "largest φ to tabulate", min=0, max=12),),
)


@dataclass(frozen=True)
class PhiRow:
    """One step of compound scaling from B0 (Tan & Le 2019, eq. 3), unrounded."""

    phi: int
    depth: float  # α^φ
    width: float  # β^φ
    resolution: float  # γ^φ
    input: int  # 224·γ^φ, rounded
    flops: float  # (α·β²·γ²)^φ


@dataclass(frozen=True)
class ScalingNumbers:
    """The φ table, B0 counted, and φ = 1 built from it for real."""

    growth: float  # α·β²·γ², the FLOPs factor per step of φ
    rows: tuple[PhiRow, ...]
    b0: ModelCount
    phi1_resolution: int
    phi1_params: int
    phi1_macs: int  # FlopCounterMode ÷ 2 at phi1_resolution

    @property
    def step_ratio(self) -> float:
        """φ = 1's MACs over B0's, both by FlopCounterMode."""
        return self.phi1_macs / self.b0.counter_macs


@SCALING.measure
def measure_scaling(s: Settings, ctx: DemoContext) -> ScalingNumbers:
    from fractions import Fraction

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
    rows = tuple(
        PhiRow(
            phi,
            float(alpha**phi),
            float(beta**phi),
            float(gamma**phi),
            round(224 * float(gamma**phi)),
            float(growth**phi),
        )
        for phi in range(s.max_phi + 1)
    )
    # φ = 1 built for real: B0 with 1.2× the blocks per stage and 1.1× the widths, at 256×256.
    res1 = compound_resolution(1)
    b1 = zoo.build_meta(EfficientNet, config=compound_config(1))
    return ScalingNumbers(
        growth=float(growth),
        rows=rows,
        b0=model_count("efficientnet_b0"),
        phi1_resolution=res1,
        phi1_params=zoo.count_params(b1),
        phi1_macs=zoo.counter_macs(b1, (1, 3, res1, res1)),
    )


@SCALING.present
def present_scaling(r: ScalingNumbers, s: Settings) -> Presentation:
    res1, b0, step_ratio = r.phi1_resolution, r.b0, r.step_ratio
    return Presentation(
        explanation=(
            "MobileNet scales one dial at a time (α for width, ρ for resolution). EfficientNet scales depth, "
            "width and resolution together with one coefficient φ: d = 1.2^φ, w = 1.1^φ, r = 1.15^φ.",
            "FLOPs grow linearly with depth and quadratically with width and resolution, so each step of φ "
            f"multiplies them by α·β²·γ² = {r.growth:.4f} ≈ 2: the budget doubles per step.",
            f"Built for real, φ = 1 (blocks per stage × 1.2 rounded up, widths × 1.1, {res1}×{res1}) costs "
            f"{step_ratio:.2f}× B0's MACs: rounding blocks up (a 1-block stage becomes 2) adds to the 1.92.",
            "The constants came from a small grid search on B0 (itself found by NAS); the result is often a "
            "better accuracy-per-FLOP frontier. MobileNets stay simpler and are supported by more runtimes.",
        ),
        tables=(
            Table(
                title="Compound scaling from EfficientNet-B0",
                columns=("φ", "depth ×", "width ×", "res ×", "input", "FLOPs ×", "2^φ"),
                rows=tuple(
                    (
                        row.phi,
                        row.depth,
                        row.width,
                        row.resolution,
                        row.input,
                        row.flops,
                        2**row.phi,
                    )
                    for row in r.rows
                ),
                note="the published B1–B7 round these (and pick their own resolutions), so they only approximate them",
            ),
            Table(
                title=f"EfficientNet-B0 at 224×224, and φ = 1 built from it at {res1}×{res1}",
                columns=("", "B0 counted", "B0 published", "φ = 1 counted", "φ = 1 ÷ B0"),
                rows=(
                    (
                        "params",
                        b0.params,
                        5_288_548,
                        r.phi1_params,
                        round(r.phi1_params / b0.params, 4),
                    ),
                    ("MACs", b0.counter_macs, 386_000_000, r.phi1_macs, round(step_ratio, 4)),
                ),
                note="paper: 5.3M params, 0.39B FLOPs (the paper's 'FLOPs' are multiply-adds)",
            ),
        ),
        checks=(
            check(
                f"one step of φ multiplies FLOPs by about α·β²·γ² = {r.growth:.4f} ≈ 2 "
                f"(B0 vs φ = 1 at {res1}×{res1}: ×{step_ratio:.3f})",
                expected=round(r.growth, 5),
                measured=round(step_ratio, 5),
                source="Tan & Le 2019, eq. 3 (FLOPs ∝ d·w²·r²); measured: FlopCounterMode on B0 and on φ = 1; "
                "±20%: blocks per stage round up (1 → 2), widths to multiples of 8, resolution to a multiple of 32",
                rel_tol=0.2,
            ),
            check(
                "EfficientNet-B0 params",
                expected=5_288_548,
                measured=b0.params,
                source=TORCHVISION,
            ),
            check(
                "EfficientNet-B0: 0.386 GMACs",
                expected=386_000_000,
                measured=b0.counter_macs,
                source=f"{TORCHVISION}; {COUNTER_SOURCE}",
                abs_tol=500_000,
            ),
            _published_check(
                "EfficientNet-B0: 5.3M params (paper)",
                published_m=5.3,
                measured=b0.params,
                step_m=0.1,
                source="Tan & Le 2019, Table 2",
            ),
            check(
                "B0: analytic MACs = FlopCounterMode ÷ 2",
                expected=b0.analytic_macs,
                measured=b0.counter_macs,
                source=COUNTER_SOURCE,
            ),
        ),
        series=(
            Series(
                "FLOPs multiplier by φ",
                x=tuple(float(row.phi) for row in r.rows),
                y=tuple(row.flops for row in r.rows),
                x_label="φ",
                y_label="FLOPs ×",
            ),
        ),
        convention=MACS_CONVENTION,
    )
