"""MobileNet's convolutions: the depthwise separable cost, and stride-2 depthwise downsampling.

Counting happens on the meta device (shapes only), by formula; experiments use small real tensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from cvquiz.demos.mobilenet.common import (
    LAYER_COUNT,
    MOBILENETS,
    _changed_channels,
    _ratio,
    conv_out,
)
from cvquiz.demos.mobilenet.paper_tables import PaperTables, measure_tables, present_tables
from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import (
    MACS_CONVENTION,
    Presentation,
    Table,
    check,
    format_shape,
)
from cvquiz.demos.runner import DemoContext

LAYERS = ("standard", "depthwise", "pointwise")


def separable_macs(m: int, n: int, k: int, out: int) -> dict[str, int]:
    """MACs of a k×k conv and of its depthwise + pointwise split (MobileNets, sec. 3.1)."""
    return {
        "standard": k * k * m * n * out * out,  # Dk²·M·N·Df²
        "depthwise": k * k * m * out * out,  # Dk²·M·Df²
        "pointwise": m * n * out * out,  # M·N·Df²
    }


# Depthwise separable cost (Q21, Q22, Q24)

COST = demo(
    "depthwise-separable-cost",
    stochastic=False,  # the same numbers at every seed
    title="Depthwise separable vs standard convolution",
    summary="params and MACs of a k×k conv vs depthwise (groups=M) + 1×1 pointwise; the 1/N + 1/k² ratio",
    params=(
        # Defaults: the layer of the MobileNets paper's Table 3.
        Param("in_channels", int, 512, "input channels M", min=1, max=4096),
        Param("out_channels", int, 512, "output channels N", min=1, max=4096),
        Param("kernel", int, 3, "kernel size k", min=1, max=11),
        Param("size", int, 14, "input height and width Df", min=1, max=1024),
        Param("stride", int, 1, "stride of the k×k convs", choices=(1, 2)),
    ),
)


@dataclass(frozen=True)
class SeparableCost:
    """One layer three ways, by the paper's formulas and counted as built; which channels a nudge
    reaches."""

    out_size: int
    weight_shapes: dict[str, tuple[int, ...]]  # (out channels, in channels per group, k, k)
    params: dict[str, int]
    macs_formula: dict[str, int]  # the paper's closed forms (separable_macs)
    macs_counted: dict[str, int]  # the built layers, by the zoo's per-layer count
    probe_side: int  # the real experiment's input height and width
    probes: tuple[int, ...]  # depthwise input channels nudged
    moved: tuple[tuple[int, ...], ...]  # the output channels each nudge changed
    standard_channels: tuple[int, int]  # the standard conv of the experiment, M → N capped at 64
    standard_moved: int  # output channels a nudge of input channel 0 changed there
    paper: PaperTables  # MobileNets Tables 2 and 3, recounted (independent of the settings)

    @property
    def separable_macs(self) -> int:
        """Counted depthwise + pointwise MACs."""
        return self.macs_counted["depthwise"] + self.macs_counted["pointwise"]

    @property
    def macs_ratio(self) -> Fraction:
        """Counted separable / standard MACs."""
        return Fraction(self.separable_macs, self.macs_counted["standard"])


@COST.measure
def measure_cost(s: Settings, ctx: DemoContext) -> SeparableCost:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    m, n, k = s.in_channels, s.out_channels, s.kernel
    pad = k // 2
    out = conv_out(s.size, kernel=k, stride=s.stride, padding=pad)
    # Counting on meta: any size the Params allow costs no memory.
    layers = {
        "standard": zoo.build_meta(
            lambda: nn.Conv2d(m, n, k, stride=s.stride, padding=pad, bias=False)
        ),
        "depthwise": zoo.build_meta(
            lambda: nn.Conv2d(m, m, k, stride=s.stride, padding=pad, groups=m, bias=False)
        ),
        "pointwise": zoo.build_meta(lambda: nn.Conv2d(m, n, 1, bias=False)),
    }
    x = torch.empty(1, m, s.size, s.size, device="meta")  # (1, M, Df, Df)
    names = {
        "standard": f"standard {k}×{k} conv {m}→{n}",
        "depthwise": f"depthwise {k}×{k} conv on {m}",
        "pointwise": f"pointwise 1×1 conv {m}→{n}",
    }
    # The pointwise conv reads the depthwise conv's output: its shape as the layer gives it.
    (dw_row,) = zoo.formula_layers(layers["depthwise"], x, label=names["depthwise"])
    inputs = {"standard": x, "pointwise": torch.empty(dw_row.output_shape, device="meta")}
    macs = {"depthwise": dw_row.macs} | {
        name: zoo.formula_macs(layers[name], inputs[name], label=names[name])
        for name in ("standard", "pointwise")
    }

    # Numerically: nudge one input channel and see which output channels move.
    side = min(s.size, 12)
    dw_real = nn.Conv2d(m, m, k, padding=pad, groups=m, bias=False).to(ctx.device)
    x_real = torch.randn(1, m, side, side, generator=ctx.rng).to(ctx.device)
    probes = tuple(sorted({0, m // 2, m - 1}))
    moved = []
    with torch.no_grad():
        base = dw_real(x_real)
        for j in probes:
            nudged = x_real.clone()
            nudged[:, j] += torch.randn(side, side, generator=ctx.rng).to(ctx.device)
            moved.append(_changed_channels(base, dw_real(nudged)))
        # A standard conv (capped at 64 channels each way) mixes every channel into every output.
        m_std, n_std = min(m, 64), min(n, 64)
        std_real = nn.Conv2d(m_std, n_std, k, padding=pad, bias=False).to(ctx.device)
        x_std = x_real[:, :m_std]
        nudged = x_std.clone()
        nudged[:, 0] += 1.0
        std_moved = _changed_channels(std_real(x_std), std_real(nudged))
    return SeparableCost(
        out_size=out,
        weight_shapes={name: tuple(layer.weight.shape) for name, layer in layers.items()},
        params={name: zoo.count_params(layer) for name, layer in layers.items()},
        macs_formula=separable_macs(m, n, k, out),
        macs_counted={name: macs[name] for name in LAYERS},
        probe_side=side,
        probes=probes,
        moved=tuple(moved),
        standard_channels=(m_std, n_std),
        standard_moved=len(std_moved),
        paper=measure_tables(),
    )


@COST.present
def present_cost(r: SeparableCost, s: Settings) -> Presentation:
    m, n, k, size, stride = s.in_channels, s.out_channels, s.kernel, s.size, s.stride
    out = r.out_size
    formula, counted, params = r.macs_formula, r.macs_counted, r.params
    paper_ratio = Fraction(1, n) + Fraction(1, k * k)
    labels = {
        "standard": f"standard {k}×{k}",
        "depthwise": f"depthwise {k}×{k}",
        "pointwise": "pointwise 1×1",
    }
    rows = [
        (
            labels[name],
            format_shape(r.weight_shapes[name]),
            params[name],
            formula[name],
            counted[name],
        )
        for name in LAYERS
    ]
    separable_params = params["depthwise"] + params["pointwise"]
    rows.append(
        (
            "dw + pw",
            "",
            separable_params,
            formula["depthwise"] + formula["pointwise"],
            r.separable_macs,
        )
    )
    savings = float(1 / r.macs_ratio)
    m_std, n_std = r.standard_channels
    side = r.probe_side
    paper_tables, paper_checks = present_tables(r.paper)
    return Presentation(
        explanation=(
            f"A standard {k}×{k} conv filters space and mixes channels in one step: Dk²·M·N MACs per output pixel.",
            f"MobileNet splits it: a depthwise {k}×{k} conv (groups=M) filters each channel alone (Dk²·M), "
            "then a 1×1 pointwise conv mixes channels (M·N).",
            f"Cost ratio (Dk²·M + M·N) / (Dk²·M·N) = 1/N + 1/Dk² = 1/{n} + 1/{k * k} = {float(paper_ratio):.4f}: "
            f"{savings:.1f}× fewer MACs here.",
        ),
        tables=(
            Table(
                title=f"One layer: M={m} → N={n}, {k}×{k}, stride {stride}, {size}×{size} → {out}×{out}",
                columns=("layer", "weight", "params", "MACs (paper formula)", "MACs (counted)"),
                rows=tuple(rows),
                note="weight = (out channels, in channels per group, k, k); groups=M gives one k×k filter per channel",
            ),
            Table(
                title="Separable / standard",
                columns=("quantity", "exact", "decimal"),
                rows=(
                    ("1/N + 1/k² (paper)", _ratio(paper_ratio), float(paper_ratio)),
                    ("MACs ratio (counted)", _ratio(r.macs_ratio), float(r.macs_ratio)),
                    (
                        "params ratio",
                        _ratio(Fraction(separable_params, params["standard"])),
                        separable_params / params["standard"],
                    ),
                ),
            ),
            Table(
                title=f"Which output channels move when one input channel changes ({side}×{side} input)",
                columns=("conv", "nudged input channel", "output channels that change"),
                rows=tuple(
                    (f"depthwise (groups={m})", j, ", ".join(map(str, ch)))
                    for j, ch in zip(r.probes, r.moved, strict=True)
                )
                + ((f"standard ({m_std}→{n_std})", 0, f"all {r.standard_moved} of {n_std}"),),
            ),
            *paper_tables,
        ),
        checks=(
            check(
                "separable / standard MACs = 1/N + 1/k² exactly",
                expected=_ratio(paper_ratio),
                measured=_ratio(r.macs_ratio),
                source=f"{MOBILENETS}, sec. 3.1; measured: {LAYER_COUNT}",
            ),
            check(
                "standard conv MACs = Dk²·M·N·Df²",
                expected=formula["standard"],
                measured=counted["standard"],
                source=f"{MOBILENETS}, sec. 3.1, formula Dk²·M·N·Df²; measured: {LAYER_COUNT}",
            ),
            check(
                "depthwise conv MACs = Dk²·M·Df²",
                expected=formula["depthwise"],
                measured=counted["depthwise"],
                source=f"{MOBILENETS}, sec. 3.1, formula Dk²·M·Df²; measured: {LAYER_COUNT}",
            ),
            check(
                "pointwise conv MACs = M·N·Df²",
                expected=formula["pointwise"],
                measured=counted["pointwise"],
                source=f"{MOBILENETS}, sec. 3.1, formula M·N·Df²; measured: {LAYER_COUNT}",
            ),
            check(
                "params: standard Dk²·M·N, depthwise Dk²·M, pointwise M·N",
                expected=f"{k * k * m * n:,}, {k * k * m:,}, {m * n:,}",
                measured=f"{params['standard']:,}, {params['depthwise']:,}, {params['pointwise']:,}",
                source="formula; sum(p.numel())",
            ),
            check(
                "depthwise = groups=in_channels: one k×k filter per channel",
                expected=format_shape((m, 1, k, k)),
                measured=format_shape(r.weight_shapes["depthwise"]),
                source="nn.Conv2d(M, M, k, groups=M) weight shape",
            ),
            check(
                "depthwise: each output channel depends only on its own input channel",
                expected="; ".join(f"{j}→{j}" for j in r.probes),
                measured="; ".join(
                    f"{j}→{','.join(map(str, ch))}" for j, ch in zip(r.probes, r.moved, strict=True)
                ),
                source="experiment: nudge one input channel, compare outputs",
            ),
            check(
                "standard conv: one input channel reaches every output channel",
                expected=n_std,
                measured=r.standard_moved,
                source="experiment: nudge input channel 0",
            ),
            *paper_checks,
        ),
        convention=MACS_CONVENTION,
    )


# Strided depthwise (Q36)

STRIDED = demo(
    "strided-depthwise",
    stochastic=False,  # the same numbers at every seed
    title="Strided depthwise conv: downsampling without pooling",
    summary="a stride-2 depthwise conv halves H and W and costs ÷4; paired with pointwise; vs max-pool + conv",
    params=(
        Param("in_channels", int, 64, "input channels M", min=1, max=2048),
        Param("out_channels", int, 128, "output channels N", min=1, max=2048),
        Param("size", int, 56, "input height and width", min=2, max=512),
    ),
)

# The four ways to go from M channels at H×W to N channels, in table order.
OPTIONS = {
    "strided": "dw 3×3 stride 2 → pw 1×1",
    "full": "dw 3×3 stride 1 → pw 1×1 (full size)",
    "pooled": "max-pool 2×2 → dw 3×3 → pw 1×1",
    "standard": "standard 3×3 stride 2",
}


@dataclass(frozen=True)
class StridedCost:
    """Output shape, params and MACs of each option; a real stride-2 depthwise conv's output size."""

    shapes: dict[str, tuple[int, int, int]]  # (C, H, W) by OPTIONS key
    params: dict[str, int]
    macs: dict[str, int]
    dw_strided_macs: int  # the depthwise conv alone, stride 2
    dw_full_macs: int  # and stride 1
    real_side: int
    real_shape: tuple[int, int]  # (H, W) out of the real conv
    device: str


@STRIDED.measure
def measure_strided(s: Settings, ctx: DemoContext) -> StridedCost:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    m, n, size = s.in_channels, s.out_channels, s.size

    def build() -> nn.ModuleDict:
        return nn.ModuleDict(
            {
                "strided": nn.Sequential(
                    nn.Conv2d(m, m, 3, stride=2, padding=1, groups=m, bias=False),
                    nn.Conv2d(m, n, 1, bias=False),
                ),
                "full": nn.Sequential(
                    nn.Conv2d(m, m, 3, padding=1, groups=m, bias=False),
                    nn.Conv2d(m, n, 1, bias=False),
                ),
                "pooled": nn.Sequential(
                    nn.MaxPool2d(2, ceil_mode=True),
                    nn.Conv2d(m, m, 3, padding=1, groups=m, bias=False),
                    nn.Conv2d(m, n, 1, bias=False),
                ),
                "standard": nn.Conv2d(m, n, 3, stride=2, padding=1, bias=False),
            }
        )

    options = zoo.build_meta(build)  # on meta, keyed like OPTIONS
    x = torch.empty(1, m, size, size, device="meta")  # (1, M, H, W)
    at = f"{m}×{size}×{size}"
    # A real stride-2 depthwise conv on the device: the learned filter sees every input pixel.
    side = min(size, 32)
    dw_real = nn.Conv2d(m, m, 3, stride=2, padding=1, groups=m, bias=False).to(ctx.device)
    with torch.no_grad():
        x_real = torch.randn(1, m, side, side, generator=ctx.rng).to(ctx.device)
        real_shape = tuple(dw_real(x_real).shape[2:])  # (⌈h/2⌉, ⌈w/2⌉)
    return StridedCost(
        # Output shapes from a pass on an empty batch: (0, C, H, W), the batch dropped.
        shapes={
            name: tuple(zoo.empty_pass(module, x).shape[1:]) for name, module in options.items()
        },
        params={name: zoo.count_params(module) for name, module in options.items()},
        macs={
            name: zoo.formula_macs(module, x, label=f"{OPTIONS[name]} on {at}")
            for name, module in options.items()
        },
        dw_strided_macs=zoo.formula_macs(
            options["strided"][0], x, label=f"dw 3×3 stride 2 on {at}"
        ),
        dw_full_macs=zoo.formula_macs(options["full"][0], x, label=f"dw 3×3 stride 1 on {at}"),
        real_side=side,
        real_shape=real_shape,
        device=str(ctx.device),
    )


@STRIDED.present
def present_strided(r: StridedCost, s: Settings) -> Presentation:
    m, n, size = s.in_channels, s.out_channels, s.size
    half = conv_out(size, kernel=3, stride=2, padding=1)
    expected_real = conv_out(r.real_side, kernel=3, stride=2, padding=1)
    area_ratio = _ratio(Fraction(half * half, size * size))
    strided = r.shapes["strided"]
    return Presentation(
        explanation=(
            "MobileNets downsample with a stride-2 depthwise conv instead of pooling: it halves H and W "
            "(padding 1: ⌈H/2⌉), and because it only computes every other output, it costs a quarter of stride 1.",
            "The pointwise conv after it then runs on the small map too, and mixes the channels.",
            "Max-pooling first gives the same shapes and MACs, but the downsampling is a fixed max, not learned.",
        ),
        tables=(
            Table(
                title=f"Ways to go from {m}×{size}×{size} to {n} channels",
                columns=("block", "output C×H×W", "params", "MACs"),
                rows=tuple(
                    (label, format_shape(r.shapes[key]), r.params[key], r.macs[key])
                    for key, label in OPTIONS.items()
                ),
                note="max-pooling has no parameters and, in this convention, no MACs",
            ),
        ),
        checks=(
            check(
                "stride 2 (padding 1) halves H and W, rounding up",
                expected=format_shape((n, half, half)),
                measured=format_shape(strided),
                source="conv output size formula",
            ),
            check(
                "stride-2 depthwise MACs = stride-1 MACs × (⌈H/2⌉/H)² (÷4 for even H)",
                expected=area_ratio,
                measured=_ratio(Fraction(r.dw_strided_macs, r.dw_full_macs)),
                source=f"formula 9·M·(H/2)²; measured: {LAYER_COUNT}",
            ),
            check(
                "the whole dw+pw block is cheaper by the same factor",
                expected=area_ratio,
                measured=_ratio(Fraction(r.macs["strided"], r.macs["full"])),
                source=f"measured: {LAYER_COUNT}",
            ),
            check(
                "max-pool + dw + pw: same shape, same MACs, same params",
                expected=f"{format_shape(strided)}, {r.macs['strided']:,}, {r.params['strided']:,}",
                measured=f"{format_shape(r.shapes['pooled'])}, {r.macs['pooled']:,}, {r.params['pooled']:,}",
                source=f"measured: {LAYER_COUNT}",
            ),
            check(
                "vs a standard 3×3 stride-2 conv: 1/N + 1/9 of the MACs",
                expected=_ratio(Fraction(1, n) + Fraction(1, 9)),
                measured=_ratio(Fraction(r.macs["strided"], r.macs["standard"])),
                source=f"{MOBILENETS}, sec. 3.1",
            ),
            check(
                f"on {r.device}: a real stride-2 depthwise conv halves {r.real_side}×{r.real_side}",
                expected=format_shape((expected_real, expected_real)),
                measured=format_shape(r.real_shape),
                source="torch forward pass",
            ),
        ),
        convention=MACS_CONVENTION,
    )
