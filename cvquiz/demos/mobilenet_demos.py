"""MobileNet-family demos: depthwise separable cost, multipliers, inverted residuals, SE, h-swish, scaling.

torch and the zoo are imported inside each demo, so importing this module (to list demos) stays light.
Counting happens on the meta device (shapes only, nothing allocated); experiments use small real tensors.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from cvquiz.demos.registry import DemoContext, Param, demo, refuse_large
from cvquiz.demos.result import Check, DemoResult, Series, Table, check

if TYPE_CHECKING:
    import torch
    from torch import nn

MACS = "MACs = multiply-accumulates of conv and linear layers only (BN, activations, pooling, adds not counted); FLOPs = 2 × MACs"
COUNTER = "FlopCounterMode ÷ 2"
TORCHVISION = "torchvision 0.29.1 reference count"
MOBILENETS = "MobileNets paper (Howard et al. 2017)"
# Table 6 (width multiplier at 224) and Table 7 (resolution at alpha 1.0): top-1 %, mult-adds M, params M.
TABLE6 = ((1.0, 70.6, 569, 4.2), (0.75, 68.4, 325, 2.6), (0.5, 63.7, 149, 1.3), (0.25, 50.6, 41, 0.5))
TABLE7 = ((224, 70.6, 569, 4.2), (192, 69.1, 418, 4.2), (160, 67.2, 290, 4.2), (128, 64.4, 186, 4.2))


def _counter_macs(module: nn.Module, *inputs: torch.Tensor) -> int:
    """MACs as torch's FlopCounterMode sees one forward pass (it counts 2 FLOPs per MAC)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(*inputs)
    return counter.get_total_flops() // 2


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape)


def _ratio(fraction: Fraction) -> str:
    return f"{fraction.numerator}/{fraction.denominator}" if fraction.denominator != 1 else str(fraction.numerator)


def _conv_out(size: int, *, kernel: int, stride: int, padding: int) -> int:
    """Output height of a convolution (the formula from the PyTorch Conv2d docs, dilation 1)."""
    return (size + 2 * padding - kernel) // stride + 1


def _changed_channels(before: torch.Tensor, after: torch.Tensor) -> list[int]:
    """Indices of channels (dim 1) where anything changed."""
    moved = (after - before).abs().amax(dim=tuple(d for d in range(before.dim()) if d != 1)) > 0
    return [int(i) for i in moved.nonzero().flatten()]


def _published_check(claim: str, *, published_m: float, measured: int, step_m: float, source: str) -> Check:
    """A figure printed in millions, measured exactly, allowed to differ by one unit of its last digit."""
    return check(claim, expected=round(published_m * 1_000_000), measured=measured, source=source, abs_tol=round(step_m * 1_000_000))


# 1. Depthwise separable cost (Q21, Q22, Q24)


@demo(
    "depthwise-separable-cost",
    title="Depthwise separable vs standard convolution",
    summary="params and MACs of a k×k conv vs depthwise (groups=M) + 1×1 pointwise; the 1/N + 1/k² ratio",
    params=(
        Param("in_channels", int, 64, "input channels M", min=1, max=4096),
        Param("out_channels", int, 128, "output channels N", min=1, max=4096),
        Param("kernel", int, 3, "kernel size k", min=1, max=11),
        Param("size", int, 56, "input height and width Df", min=1, max=1024),
        Param("stride", int, 1, "stride of the k×k convs", choices=(1, 2)),
    ),
)
def depthwise_separable_cost(
    ctx: DemoContext, *, in_channels: int, out_channels: int, kernel: int, size: int, stride: int
) -> DemoResult:
    import torch
    from torch import nn

    m, n, k = in_channels, out_channels, kernel
    pad = k // 2
    out = _conv_out(size, kernel=k, stride=stride, padding=pad)
    # Counting on meta: any size the Params allow costs no memory.
    with torch.device("meta"):
        standard = nn.Conv2d(m, n, k, stride=stride, padding=pad, bias=False)
        depthwise = nn.Conv2d(m, m, k, stride=stride, padding=pad, groups=m, bias=False)  # dw
        pointwise = nn.Conv2d(m, n, 1, bias=False)  # pw
        x = torch.empty(1, m, size, size)  # (1, M, Df, Df)
    formula = {
        "standard": k * k * m * n * out * out,  # Dk²·M·N·Df²
        "depthwise": k * k * m * out * out,  # Dk²·M·Df²
        "pointwise": m * n * out * out,  # M·N·Df²
    }
    counted = {
        "standard": _counter_macs(standard, x),
        "depthwise": _counter_macs(depthwise, x),
        "pointwise": _counter_macs(pointwise, depthwise(x)),
    }
    params = {"standard": _params(standard), "depthwise": _params(depthwise), "pointwise": _params(pointwise)}
    separable_macs = counted["depthwise"] + counted["pointwise"]
    measured_ratio = Fraction(separable_macs, counted["standard"])
    paper_ratio = Fraction(1, n) + Fraction(1, k * k)

    # Numerically: nudge one input channel and see which output channels move.
    side = min(size, 12)
    dw_real = nn.Conv2d(m, m, k, padding=pad, groups=m, bias=False).to(ctx.device)
    x_real = torch.randn(1, m, side, side, device=ctx.device)
    probes = sorted({0, m // 2, m - 1})
    moved = []
    with torch.no_grad():
        base = dw_real(x_real)
        for j in probes:
            nudged = x_real.clone()
            nudged[:, j] += torch.randn(side, side, device=ctx.device)
            moved.append(_changed_channels(base, dw_real(nudged)))
        # A standard conv (capped at 64 channels each way) mixes every channel into every output.
        m_std, n_std = min(m, 64), min(n, 64)
        std_real = nn.Conv2d(m_std, n_std, k, padding=pad, bias=False).to(ctx.device)
        x_std = x_real[:, :m_std]
        nudged = x_std.clone()
        nudged[:, 0] += 1.0
        std_moved = _changed_channels(std_real(x_std), std_real(nudged))

    shapes = {"standard": (n, m, k, k), "depthwise": (m, 1, k, k), "pointwise": (n, m, 1, 1)}
    labels = {"standard": f"standard {k}×{k}", "depthwise": f"depthwise {k}×{k}", "pointwise": "pointwise 1×1"}
    rows = [
        (labels[name], _shape(shapes[name]), params[name], formula[name], counted[name])
        for name in ("standard", "depthwise", "pointwise")
    ]
    rows.append(
        ("dw + pw", "", params["depthwise"] + params["pointwise"], formula["depthwise"] + formula["pointwise"], separable_macs)
    )
    savings = float(1 / measured_ratio)
    return DemoResult(
        demo_id="depthwise-separable-cost",
        title="Depthwise separable vs standard convolution",
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
                columns=("layer", "weight", "params", "MACs (formula)", COUNTER),
                rows=tuple(rows),
                note="weight = (out channels, in channels per group, k, k); groups=M gives one k×k filter per channel",
            ),
            Table(
                title="Separable / standard",
                columns=("quantity", "exact", "decimal"),
                rows=(
                    ("1/N + 1/k² (paper)", _ratio(paper_ratio), float(paper_ratio)),
                    ("MACs ratio (counted)", _ratio(measured_ratio), float(measured_ratio)),
                    (
                        "params ratio",
                        _ratio(Fraction(params["depthwise"] + params["pointwise"], params["standard"])),
                        (params["depthwise"] + params["pointwise"]) / params["standard"],
                    ),
                ),
            ),
            Table(
                title=f"Which output channels move when one input channel changes ({side}×{side} input)",
                columns=("conv", "nudged input channel", "output channels that change"),
                rows=tuple((f"depthwise (groups={m})", j, ", ".join(map(str, ch))) for j, ch in zip(probes, moved, strict=True))
                + ((f"standard ({m_std}→{n_std})", 0, f"all {len(std_moved)} of {n_std}"),),
            ),
        ),
        checks=(
            check(
                "separable / standard MACs = 1/N + 1/k² exactly",
                expected=_ratio(paper_ratio),
                measured=_ratio(measured_ratio),
                source=f"{MOBILENETS}, sec. 3.1; measured by FlopCounterMode",
            ),
            check(
                "standard conv MACs: Dk²·M·N·Df² = FlopCounterMode ÷ 2",
                expected=formula["standard"],
                measured=counted["standard"],
                source="formula Dk²·M·N·Df²",
            ),
            check(
                "depthwise conv MACs: Dk²·M·Df² = FlopCounterMode ÷ 2",
                expected=formula["depthwise"],
                measured=counted["depthwise"],
                source="formula Dk²·M·Df²",
            ),
            check(
                "pointwise conv MACs: M·N·Df² = FlopCounterMode ÷ 2",
                expected=formula["pointwise"],
                measured=counted["pointwise"],
                source="formula M·N·Df²",
            ),
            check(
                "params: standard Dk²·M·N, depthwise Dk²·M, pointwise M·N",
                expected=f"{k * k * m * n:,}, {k * k * m:,}, {m * n:,}",
                measured=f"{params['standard']:,}, {params['depthwise']:,}, {params['pointwise']:,}",
                source="formula; sum(p.numel())",
            ),
            check(
                "depthwise = groups=in_channels: one k×k filter per channel",
                expected=_shape((m, 1, k, k)),
                measured=_shape(tuple(depthwise.weight.shape)),
                source="nn.Conv2d(M, M, k, groups=M) weight shape",
            ),
            check(
                "depthwise: each output channel depends only on its own input channel",
                expected="; ".join(f"{j}→{j}" for j in probes),
                measured="; ".join(f"{j}→{','.join(map(str, ch))}" for j, ch in zip(probes, moved, strict=True)),
                source="experiment: nudge one input channel, compare outputs",
            ),
            check(
                "standard conv: one input channel reaches every output channel",
                expected=n_std,
                measured=len(std_moved),
                source="experiment: nudge input channel 0",
            ),
        ),
        convention=MACS,
    )


# 2. Pointwise conv = per-pixel linear layer (Q23, Q37)


@demo(
    "pointwise-as-linear",
    title="A 1×1 conv is a per-pixel linear layer",
    summary="1×1 conv == nn.Linear on every pixel with the same weights; changing a pixel moves only that pixel",
    params=(
        Param("in_channels", int, 32, "input channels M", min=1, max=2048),
        Param("out_channels", int, 64, "output channels N", min=1, max=2048),
        Param("size", int, 14, "height and width", min=1, max=256),
        Param("batch", int, 2, "batch size", min=1, max=64),
    ),
)
def pointwise_as_linear(ctx: DemoContext, *, in_channels: int, out_channels: int, size: int, batch: int) -> DemoResult:
    import torch
    from torch import nn

    m, n = in_channels, out_channels
    refuse_large(batch * max(m, n) * size * size, what=f"a {batch}×{max(m, n)}×{size}×{size} tensor")
    dev = ctx.device
    conv = nn.Conv2d(m, n, 1).to(dev)  # pw
    linear = nn.Linear(m, n).to(dev)
    conv3 = nn.Conv2d(m, n, 3, padding=1).to(dev)  # for contrast: a 3x3 kernel sees neighbours
    with torch.no_grad():
        linear.weight.copy_(conv.weight.view(n, m))  # (N, M, 1, 1) -> (N, M)
        linear.bias.copy_(conv.bias)
        x = torch.randn(batch, m, size, size, device=dev)  # (B, M, H, W)
        y_conv = conv(x)  # (B, N, H, W)
        y_linear = linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # (B, H, W, M) -> (B, N, H, W)
        max_diff = float((y_conv - y_linear).abs().max())
        h0 = w0 = size // 2
        nudged = x.clone()
        nudged[:, :, h0, w0] += torch.randn(batch, m, device=dev)
        moved_1x1 = ((conv(nudged) - y_conv).abs().amax(dim=(0, 1)) > 0).nonzero().tolist()
        moved_3x3 = ((conv3(nudged) - conv3(x)).abs().amax(dim=(0, 1)) > 0).nonzero().tolist()
    span = (min(h0 + 1, size - 1) - max(h0 - 1, 0) + 1) * (min(w0 + 1, size - 1) - max(w0 - 1, 0) + 1)
    with torch.device("meta"):
        conv_meta, linear_meta = nn.Conv2d(m, n, 1), nn.Linear(m, n)
        x_meta = torch.empty(batch, m, size, size)
    macs_conv = _counter_macs(conv_meta, x_meta)
    macs_linear = _counter_macs(linear_meta, x_meta.permute(0, 2, 3, 1))
    formula = m * n * batch * size * size
    return DemoResult(
        demo_id="pointwise-as-linear",
        title="A 1×1 conv is a per-pixel linear layer",
        explanation=(
            "A pointwise (1×1) conv sees one pixel at a time: at each location it maps the M-vector of channels "
            "to an N-vector with one weight matrix shared by all pixels.",
            "That is exactly nn.Linear(M, N) applied to every pixel: channel mixing only, no spatial context. "
            "In MobileNet it follows the depthwise conv, which did the spatial filtering.",
            "Code: depthwise = nn.Conv2d(M, M, 3, groups=M); pointwise = nn.Conv2d(M, N, 1).",
        ),
        tables=(
            Table(
                title=f"Same weights, two layers: {batch}×{m}×{size}×{size} → {batch}×{n}×{size}×{size}",
                columns=("layer", "weight", "params", "MACs (formula)", COUNTER),
                rows=(
                    ("nn.Conv2d(M, N, 1)", _shape(tuple(conv.weight.shape)), _params(conv), formula, macs_conv),
                    ("nn.Linear(M, N)", _shape(tuple(linear.weight.shape)), _params(linear), formula, macs_linear),
                ),
                note=f"largest difference between the two outputs: {max_diff:.2e}",
            ),
            Table(
                title=f"Change every channel of pixel ({h0}, {w0}): which output pixels move?",
                columns=("layer", "output pixels that change"),
                rows=(
                    ("1×1 conv", f"{len(moved_1x1)}: " + ", ".join(f"({h}, {w})" for h, w in moved_1x1)),
                    ("3×3 conv", f"{len(moved_3x3)}: the 3×3 neighbourhood of ({h0}, {w0})"),
                ),
            ),
        ),
        checks=(
            check(
                "1×1 conv output = per-pixel nn.Linear with the same weights",
                expected=0.0,
                measured=max_diff,
                source="torch: max |conv(x) − linear(x per pixel)|",
                abs_tol=1e-4,
            ),
            check(
                "same parameters: M·N weights + N biases",
                expected=m * n + n,
                measured=_params(linear),
                source="formula M·N + N",
            ),
            check(
                "same MACs: M·N per pixel, conv = linear = formula",
                expected=f"{formula:,}, {formula:,}",
                measured=f"{macs_conv:,}, {macs_linear:,}",
                source=f"formula M·N·B·H·W; {COUNTER}",
            ),
            check(
                "no spatial context: a 1×1 conv changes only the nudged pixel",
                expected=f"[[{h0}, {w0}]]",
                measured=str(moved_1x1),
                source="experiment",
            ),
            check(
                "a 3×3 conv spreads the change to its neighbourhood",
                expected=span,
                measured=len(moved_3x3),
                source="experiment; 3×3 window count",
            ),
        ),
        convention=MACS,
    )


# 3. Width multiplier (Q25)


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
        rows.append((alpha, params, f"{paper_params}M", macs, f"{paper_macs}M", round(total_ratio, 4), float(a * a), top1))
        pw_law.append((_ratio(a * a), _ratio(Fraction(costs["pointwise"], base["pointwise"]))))
        dw_law.append((_ratio(a), _ratio(Fraction(costs["depthwise"], base["depthwise"]))))
        source = f"{MOBILENETS}, Table 6"
        checks.append(_published_check(f"α={alpha}: {paper_macs}M mult-adds", published_m=paper_macs, measured=macs, step_m=1, source=source))
        checks.append(_published_check(f"α={alpha}: {paper_params}M params", published_m=paper_params, measured=params, step_m=0.05, source=source))
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
            source=COUNTER,
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
        convention=MACS + "; the paper's mult-adds are the same convention",
    )


# 4. Resolution multiplier (Q26)


@demo(
    "resolution-multiplier",
    title="MobileNet resolution multiplier ρ (Table 7)",
    summary="MobileNetV1 at 224, 192, 160, 128: mult-adds vs Table 7, unchanged params, the ρ² law",
    params=(Param("extra_size", int, 96, "one more input size to try (any; multiples of 32 follow ρ² exactly)", min=32, max=512),),
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
        rows.append((size, f"{float(rho):.3f}", macs, f"{paper_macs}M" if paper_macs else "—", params, _ratio(conv_ratio), _ratio(rho * rho), top1))
        if paper_macs is not None:
            law.append((_ratio(rho * rho), _ratio(conv_ratio)))
            checks.append(
                _published_check(
                    f"{size}×{size}: {paper_macs}M mult-adds", published_m=paper_macs, measured=macs, step_m=1, source=f"{MOBILENETS}, Table 7"
                )
            )
    checks += [
        check(
            "conv MACs scale by exactly ρ² (every feature map shrinks by ρ on each side)",
            expected=", ".join(e for e, _ in law),
            measured=", ".join(m for _, m in law),
            source="formula Dk²·M·N·(ρDf)²",
        ),
        _published_check("params do not depend on resolution: 4.2M at every size", published_m=4.2, measured=params, step_m=0.05, source=f"{MOBILENETS}, Table 7"),
        check("params: MobileNetV1 1.0 exact count", expected=4_231_976, measured=params, source="reference count (BN γ/β, bias-free convs, FC with bias)"),
    ]
    return DemoResult(
        demo_id="resolution-multiplier",
        title="MobileNet resolution multiplier ρ (Table 7)",
        explanation=(
            "The resolution multiplier ρ feeds a smaller image: every feature map shrinks by ρ on each side.",
            "Every conv's cost is proportional to its output area, so MACs fall by ρ² while the parameters "
            "(the filters) stay exactly the same.",
            "Only the classifier (1024×1000 after global pooling) ignores resolution; accuracy drops predictably.",
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
        convention=MACS,
    )


# 5. Inverted residual (Q27, Q28)


@demo(
    "inverted-residual",
    title="MobileNetV2 inverted residual: expand → depthwise → linear project",
    summary="the block's layers, activation memory at thin ends vs expanded middle, the (t, c, n, s) table, V2 totals",
    params=(
        Param("expansion", int, 6, "expansion factor t", min=1, max=12),
        Param("channels", int, 24, "bottleneck channels c (block input and output)", min=1, max=512),
        Param("size", int, 56, "height and width", min=1, max=512),
    ),
)
def inverted_residual(ctx: DemoContext, *, expansion: int, channels: int, size: int) -> DemoResult:
    import torch
    from torch import nn

    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.mobilenet import V2_CONFIG

    t, c = expansion, channels
    hidden = t * c
    block = zoo.build_meta(zoo.InvertedResidual, in_ch=c, out_ch=c, stride=1, expand_ratio=t)
    x = torch.empty(1, c, size, size, device="meta")  # (1, c, H, W)
    area = size * size
    layers = []
    h = x
    for part in block.block:
        h = part(h)
        conv = next(m for m in part.modules() if isinstance(m, nn.Conv2d))
        tag = "dw" if conv.kernel_size != (1, 1) else ("pw-linear" if len(part) == 2 else "pw")
        layers.append((tag, part, conv, tuple(h.shape[1:])))
    rows = [("input x", "", _shape((c, size, size)), c * area, 0, 0)]
    formula_macs = 0
    for tag, part, conv, shape in layers:
        macs = conv.in_channels // conv.groups * conv.kernel_size[0] ** 2 * shape[0] * shape[1] * shape[2]
        formula_macs += macs
        name = {"pw": f"expand 1×1 → {t}c", "dw": "depthwise 3×3", "pw-linear": "project 1×1, no ReLU"}[tag]
        rows.append((name, tag, _shape(shape), shape[0] * shape[1] * shape[2], _params(part), macs))
    rows.append(("output x + F(x)", "", _shape((c, size, size)), c * area, 0, 0))
    project = layers[-1][1]

    v2 = zoo.build_meta(zoo.mobilenet_v2)
    stages = []
    y = torch.empty(1, 3, 224, 224, device="meta")
    y = v2.features[0](y)
    index = 1
    for t_row, c_row, n_row, s_row in V2_CONFIG:
        blocks = v2.features[index : index + n_row]
        index += n_row
        y = blocks(y)
        stages.append((t_row, c_row, n_row, s_row, _shape(tuple(y.shape[1:])), _params(blocks)))
    v2_params, v2_macs, v2_counted = zoo.count_params(v2), zoo.analytic_macs(v2), zoo.counter_macs(v2)
    expected_acts = "ReLU6, ReLU6, none" if t > 1 else "ReLU6, none"
    measured_acts = ", ".join(type(part[-1]).__name__ if len(part) == 3 else "none" for _, part, _, _ in layers)
    return DemoResult(
        demo_id="inverted-residual",
        title="MobileNetV2 inverted residual: expand → depthwise → linear project",
        explanation=(
            "A classic bottleneck goes wide → narrow → wide and joins its wide ends. MobileNetV2 inverts it: "
            "narrow c → expand to t·c → depthwise 3×3 → project back to c, and the shortcut joins the thin ends.",
            f"Depthwise filters need rich features, so they run on the expanded t·c = {hidden} channels; the "
            "projection has no ReLU, because ReLU in a low-dimensional space destroys information (linear bottleneck).",
            f"Memory: the tensors that must be kept for the shortcut are the thin ones ({c * area:,} elements), "
            f"{t}× smaller than the expanded middle ({hidden * area:,}).",
        ),
        tables=(
            Table(
                title=f"One block: t={t}, c={c}, {size}×{size}, stride 1",
                columns=("layer", "tag", "output C×H×W", "elements", "params", "MACs"),
                rows=tuple(rows),
                note="params include BatchNorm γ and β; MACs of the convs only",
            ),
            Table(
                title="MobileNetV2 (t, c, n, s) table at 224×224",
                columns=("t", "c", "n", "s", "stage output", "params"),
                rows=tuple(stages),
                note=f"plus a 3×3 stem (32 channels), a 1×1 conv to 1280 and the classifier: {v2_params:,} params in all",
            ),
        ),
        checks=(
            check(
                "the shortcut joins thin ends: expanded tensor = t × block input, in elements",
                expected=t * c * area,
                measured=layers[0][3][0] * layers[0][3][1] * layers[0][3][2] if t > 1 else c * area,
                source="formula t·c·H·W",
            ),
            check(
                "linear bottleneck: activation after expand, depthwise, project",
                expected=expected_acts,
                measured=measured_acts,
                source="Sandler et al. 2018, sec. 3.2",
            ),
            check(
                "block MACs: c·tc·HW + 9·tc·HW + tc·c·HW",
                expected=(c * hidden + 9 * hidden + hidden * c) * area if t > 1 else (9 * c + c * c) * area,
                measured=_counter_macs(block, x),
                source=f"formula; {COUNTER}",
            ),
            check(
                "projection: c·t·c weights + BN (2c)",
                expected=hidden * c + 2 * c,
                measured=_params(project),
                source="formula",
            ),
            check("MobileNetV2 1.0 params", expected=3_504_872, measured=v2_params, source=TORCHVISION),
            check(
                "MobileNetV2 1.0: 0.301 GMACs",
                expected=301_000_000,
                measured=v2_counted,
                source=f"{TORCHVISION}; {COUNTER}",
                abs_tol=500_000,
            ),
            check("MobileNetV2: analytic MACs = FlopCounterMode ÷ 2", expected=v2_macs, measured=v2_counted, source=COUNTER),
        ),
        convention=MACS,
    )


# 6. ReLU6 (Q29)


@demo(
    "relu6",
    title="ReLU6: a ReLU clipped at 6, and why a bounded range suits int8",
    summary="ReLU6 = min(max(0, x), 6) on values; uint8 quantization step for [0, 6] vs an unbounded observed max",
    params=(
        Param("outlier", float, 40.0, "one large activation (the others lie in ±5.9)", min=12.0, max=10_000.0),
        Param("samples", int, 10_000, "activations to quantize", min=100, max=1_000_000),
    ),
)
def relu6(ctx: DemoContext, *, outlier: float, samples: int) -> DemoResult:
    import torch
    from torch.nn import functional as F

    values = torch.tensor([-3.0, -0.5, 0.0, 2.5, 5.9, 6.0, 7.5, 100.0])
    clipped = F.relu6(values)
    by_hand = torch.clamp(values, min=0.0, max=6.0)  # min(max(0, x), 6)

    # Activations: mostly small, one outlier; an unbounded ReLU must stretch its int8 grid to reach it.
    pre = (torch.randn(samples, device=ctx.device) * 2.0).clamp(-5.9, 5.9)
    pre[0] = outlier
    levels = 255  # uint8 has 256 levels: 0..255
    results = []
    for name, act, top in (("ReLU6", F.relu6(pre), 6.0), ("ReLU", F.relu(pre), float(F.relu(pre).max()))):
        scale = top / levels
        q = torch.clamp(torch.round(act / scale), 0, levels)  # uint8 codes, zero point 0
        err = (q * scale - act).abs()
        inside = act <= 6.0
        results.append((name, top, scale, float(err[inside].mean()), float(err[inside].max())))
    (_, _, step6, mean6, max6), (_, top_relu, step_relu, mean_relu, _) = results
    return DemoResult(
        demo_id="relu6",
        title="ReLU6: a ReLU clipped at 6, and why a bounded range suits int8",
        explanation=(
            "ReLU6(x) = min(max(0, x), 6): a ReLU whose output never exceeds 6.",
            "Int8 (uint8) quantization maps a range [0, max] onto 256 levels. With ReLU6 the range is known in "
            "advance, [0, 6], so the step is 6/255 ≈ 0.0235 whatever the data.",
            f"An unbounded ReLU's range is set by its largest observed activation ({top_relu:g} here): the step "
            f"grows {step_relu / step6:.1f}× and every ordinary value loses precision. "
            "(Originally claimed helpful for quantized deployment; later nets use it less.)",
        ),
        tables=(
            Table(
                title="ReLU6 on a few values",
                columns=("x", "ReLU6(x)", "min(max(0, x), 6)"),
                rows=tuple((float(a), float(b), float(c)) for a, b, c in zip(values, clipped, by_hand, strict=True)),
            ),
            Table(
                title=f"uint8 quantization of {samples:,} activations (one outlier at {outlier:g})",
                columns=("activation", "range", "step", "mean error", "max error"),
                rows=tuple((n, f"[0, {top:g}]", step, mean, mx) for n, top, step, mean, mx in results),
                note="errors measured on activations inside [0, 6]; code = round(x / step), zero point 0",
            ),
        ),
        checks=(
            check(
                "ReLU6 clips at 0 and 6",
                expected="0, 0, 0, 2.5, 5.9, 6, 6, 6",
                measured=", ".join(f"{float(v):g}" for v in clipped),
                source="definition min(max(0, x), 6)",
            ),
            check(
                "F.relu6 equals clamp(x, 0, 6) exactly",
                expected=True,
                measured=bool(torch.equal(clipped, by_hand)),
                source="torch",
            ),
            check("int8 step for a [0, 6] range is 6/255", expected=6 / 255, measured=step6, source="6 / 255", rel_tol=1e-12),
            check(
                f"ReLU6 rounding error ≤ half a step ({max6:.5f} ≤ {step6 / 2:.5f})",
                expected=True,
                measured=max6 <= step6 / 2 * (1 + 1e-6),
                source="uniform quantization bound",
            ),
            check(
                "an unbounded ReLU's step is set by its largest activation: outlier/255",
                expected=outlier / 255,
                measured=step_relu,
                source="observed max / 255",
                rel_tol=1e-6,
            ),
            check(
                "so its mean error on ordinary values is larger",
                expected=True,
                measured=mean_relu > mean6,
                source="experiment",
            ),
        ),
    )


# 7. MobileNet + SSD (Q30, Q38)

# SSD MobileNetV1 (TF object detection API): taps at conv11 (stride 16) and conv13 (stride 32),
# then four extra 1x1 -> 3x3 stride-2 pairs; 3 default boxes on the first map, 6 on the others.
SSD_EXTRAS = ((256, 512), (128, 256), (128, 256), (64, 128))
SSD_BOXES = (3, 6, 6, 6, 6, 6)


@demo(
    "ssd-feature-maps",
    title="MobileNet as an SSD backbone: feature maps, default boxes, head cost",
    summary="MobileNetV1-SSD at 300×300: 19×19 and 10×10 taps plus extra layers, 1917 default boxes, head params",
    params=(
        Param("image_size", int, 300, "input height and width", min=64, max=1024),
        Param("num_classes", int, 91, "classes including background (COCO: 91)", min=2, max=1000),
    ),
)
def ssd_feature_maps(ctx: DemoContext, *, image_size: int, num_classes: int) -> DemoResult:
    import math

    import torch
    from torch import nn

    from cvquiz.demos import zoo

    with torch.device("meta"):
        backbone = zoo.mobilenet_v1().features
        extras = nn.ModuleList()
        in_ch = 1024
        for mid, out in SSD_EXTRAS:
            extras.append(nn.Sequential(zoo.conv_bn_act(in_ch, mid, kernel_size=1), zoo.conv_bn_act(mid, out, stride=2)))
            in_ch = out
        x = torch.empty(1, 3, image_size, image_size)
    backbone.eval(), extras.eval()  # inference: BN uses running statistics, even on a 1x1 map
    maps = []
    h = x
    for i, layer in enumerate(backbone):
        h = layer(h)
        if i in (11, 13):  # conv11 (512 channels, stride 16) and conv13 (1024, stride 32)
            maps.append((f"conv{i}", h))
    for i, layer in enumerate(extras):
        h = layer(h)
        maps.append((f"extra {i + 1}", h))
    with torch.device("meta"):
        heads = nn.ModuleList()
        lite_heads = nn.ModuleList()
        for (_, fmap), boxes in zip(maps, SSD_BOXES, strict=True):
            ch = fmap.shape[1]
            heads.append(nn.Conv2d(ch, boxes * (4 + num_classes), 3, padding=1))  # loc + cls in one conv
            lite_heads.append(nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1, groups=ch), nn.Conv2d(ch, boxes * (4 + num_classes), 1)))
    rows, loc, cls = [], [], []
    for (name, fmap), boxes, head, lite in zip(maps, SSD_BOXES, heads, lite_heads, strict=True):
        out = head(fmap)  # (1, B·(4+K), H, W)
        out = out.permute(0, 2, 3, 1).reshape(1, -1, 4 + num_classes)  # (1, H·W·B, 4+K)
        loc.append(out[..., :4])
        cls.append(out[..., 4:])
        _, ch, hh, ww = fmap.shape
        rows.append((name, ch, f"{hh}×{ww}", boxes, hh * ww * boxes, _params(head), _params(lite)))
    loc_all, cls_all = torch.cat(loc, 1), torch.cat(cls, 1)
    # Expected map sizes: each stride-2 3x3 conv with padding 1 rounds up.
    expected_maps = [math.ceil(image_size / 16), math.ceil(image_size / 32)]
    for _ in SSD_EXTRAS:
        expected_maps.append(math.ceil(expected_maps[-1] / 2))
    total_boxes = sum(s * s * b for s, b in zip(expected_maps, SSD_BOXES, strict=True))
    head_params = sum(r[5] for r in rows)
    lite_params = sum(r[6] for r in rows)
    backbone_params, extra_params = _params(backbone), _params(extras)
    head_formula = sum(9 * r[1] * b * (4 + num_classes) + b * (4 + num_classes) for r, b in zip(rows, SSD_BOXES, strict=True))
    return DemoResult(
        demo_id="ssd-feature-maps",
        title="MobileNet as an SSD backbone: feature maps, default boxes, head cost",
        explanation=(
            "SSD predicts boxes from several feature maps at once: fine maps find small objects, coarse maps large ones.",
            f"MobileNetV1 supplies two of them (stride 16 and 32), four cheap extra layers add coarser ones; at "
            f"{image_size}×{image_size} that is {', '.join(f'{s}×{s}' for s in expected_maps)}.",
            "Each map gets a small conv head predicting, per default box, 4 offsets and a score per class. "
            "The ImageNet-pretrained backbone is reused; only the small heads are new.",
        ),
        tables=(
            Table(
                title=f"MobileNetV1-SSD at {image_size}×{image_size}, {num_classes} classes",
                columns=("feature map", "channels", "size", "boxes/cell", "boxes", "3×3 head", "SSDLite head"),
                rows=tuple(rows) + (("total", "", "", "", total_boxes, head_params, lite_params),),
                note="head params: one conv per map predicting boxes·(4 + classes); SSDLite uses depthwise + 1×1",
            ),
            Table(
                title="Where the parameters are",
                columns=("part", "params"),
                rows=(
                    ("MobileNetV1 backbone (no classifier)", backbone_params),
                    ("extra layers", extra_params),
                    ("3×3 conv heads", head_params),
                    ("SSDLite heads (instead)", lite_params),
                ),
            ),
        ),
        checks=(
            check(
                "feature-map sizes: ⌈size/16⌉, ⌈size/32⌉, then halved (rounding up)",
                expected=", ".join(str(s) for s in expected_maps),
                measured=", ".join(str(int(f.shape[2])) for _, f in maps),
                source="conv output size formula",
            ),
            check(
                "default boxes: Σ H·W·boxes per cell",
                expected=total_boxes,
                measured=int(loc_all.shape[1]),
                source="SSD (Liu et al. 2016); 1917 at 300×300 in TF's ssd_mobilenet_v1",
            ),
            check(
                "head outputs: (1, boxes, 4) offsets and (1, boxes, classes) scores",
                expected=f"1×{total_boxes}×4, 1×{total_boxes}×{num_classes}",
                measured=f"{_shape(tuple(loc_all.shape))}, {_shape(tuple(cls_all.shape))}",
                source="head forward pass",
            ),
            check(
                "3×3 head params: Σ 9·C·B·(4+K) + B·(4+K)",
                expected=head_formula,
                measured=head_params,
                source="formula; sum(p.numel())",
            ),
        ),
    )


# 8. Channel shuffle (Q31)


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
    expected_order = [(i % g) * per + i // g for i in range(c)]  # reshape (g, C/g) -> transpose -> flatten

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
            _changed_channels(conv2(zoo.channel_shuffle(conv1(x), g)), conv2(zoo.channel_shuffle(conv1(nudged), g)))
        )
    models = []
    for name in ("shufflenet_v2_x1_0", "mobilenet_v2"):
        spec = zoo.MODELS[name]
        model = zoo.build_meta(spec.builder)
        models.append((name, spec, zoo.count_params(model), zoo.analytic_macs(model), zoo.counter_macs(model)))
    (_, _, sh_params, sh_macs, sh_counted), (_, _, v2_params, _, _) = models
    return DemoResult(
        demo_id="channel-shuffle",
        title="ShuffleNet's channel shuffle: letting grouped convs talk",
        explanation=(
            "A grouped conv splits channels into g groups and convolves each group alone: g× cheaper, "
            "but a stack of grouped convs never mixes information between groups.",
            "ShuffleNet's fix is a free permutation: reshape channels to (g, C/g), transpose, flatten, so the "
            "next grouped conv sees a channel from every group.",
            "MobileNet's trick is different: depthwise conv for space, dense 1×1 for channels. Both aim at fast inference.",
        ),
        tables=(
            Table(
                title=f"Channel order after shuffling C={c} channels in g={g} groups of {per}",
                columns=("positions", "hold channels", "from groups"),
                rows=tuple(
                    (f"{i}–{i + g - 1}", ", ".join(map(str, order[i : i + g])), ", ".join(str(ch // per) for ch in order[i : i + g]))
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
                rows=tuple((name, p, m, f"{spec.reference_params:,} / {spec.reference_gmacs} G") for name, spec, p, m, _ in models),
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
                "with shuffle, it reaches every group",
                expected=", ".join(map(str, range(g))),
                measured=", ".join(map(str, shuffled)),
                source="experiment",
            ),
            check("ShuffleNetV2 1.0x params", expected=2_278_604, measured=sh_params, source=TORCHVISION),
            check(
                "ShuffleNetV2 1.0x: 0.145 GMACs",
                expected=145_000_000,
                measured=sh_counted,
                source=f"{TORCHVISION}; {COUNTER}",
                abs_tol=500_000,
            ),
            check("ShuffleNetV2: analytic MACs = FlopCounterMode ÷ 2", expected=sh_macs, measured=sh_counted, source=COUNTER),
            check("MobileNetV2 1.0 params", expected=3_504_872, measured=v2_params, source=TORCHVISION),
        ),
        convention=MACS,
    )


# 9. EfficientNet compound scaling (Q32)


@demo(
    "efficientnet-scaling",
    title="EfficientNet compound scaling: depth 1.2^φ, width 1.1^φ, resolution 1.15^φ",
    summary="the φ table, the constraint α·β²·γ² ≈ 2, FLOPs ≈ 2^φ, EfficientNet-B0 params and MACs",
    params=(Param("max_phi", int, 7, "largest φ to tabulate", min=0, max=12),),
)
def efficientnet_scaling(ctx: DemoContext, *, max_phi: int) -> DemoResult:
    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.efficientnet import ALPHA_DEPTH, BETA_WIDTH, GAMMA_RESOLUTION

    alpha, beta, gamma = Fraction(str(ALPHA_DEPTH)), Fraction(str(BETA_WIDTH)), Fraction(str(GAMMA_RESOLUTION))
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
    b0 = zoo.build_meta(zoo.efficientnet_b0)
    params, macs, counted = zoo.count_params(b0), zoo.analytic_macs(b0), zoo.counter_macs(b0)
    return DemoResult(
        demo_id="efficientnet-scaling",
        title="EfficientNet compound scaling: depth 1.2^φ, width 1.1^φ, resolution 1.15^φ",
        explanation=(
            "MobileNet scales one dial at a time (α for width, ρ for resolution). EfficientNet scales depth, "
            "width and resolution together with one coefficient φ: d = 1.2^φ, w = 1.1^φ, r = 1.15^φ.",
            "FLOPs grow linearly with depth and quadratically with width and resolution, so each step of φ "
            f"multiplies them by α·β²·γ² = {float(growth):.4f} ≈ 2: the budget doubles per step.",
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
                title="EfficientNet-B0 at 224×224",
                columns=("", "counted", "published"),
                rows=(("params", params, 5_288_548), ("MACs", counted, 386_000_000)),
                note="paper: 5.3M params, 0.39B FLOPs (the paper's 'FLOPs' are multiply-adds)",
            ),
        ),
        checks=(
            check(
                "α·β²·γ² = 1.2 · 1.1² · 1.15² = 1.92027 exactly",
                expected=_ratio(Fraction("1.92027")),
                measured=_ratio(growth),
                source="Tan & Le 2019, eq. 3",
            ),
            check("α·β²·γ² ≈ 2", expected=2.0, measured=float(growth), source="Tan & Le 2019: α·β²·γ² ≈ 2", rel_tol=0.05),
            check("EfficientNet-B0 params", expected=5_288_548, measured=params, source=TORCHVISION),
            check(
                "EfficientNet-B0: 0.386 GMACs",
                expected=386_000_000,
                measured=counted,
                source=f"{TORCHVISION}; {COUNTER}",
                abs_tol=500_000,
            ),
            _published_check("EfficientNet-B0: 5.3M params (paper)", published_m=5.3, measured=params, step_m=0.05, source="Tan & Le 2019, Table 2"),
            check("B0: analytic MACs = FlopCounterMode ÷ 2", expected=macs, measured=counted, source=COUNTER),
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
        convention=MACS,
    )


# 10. MobileNetV3 (Q33)


@demo(
    "mobilenetv3",
    title="MobileNetV3: h-swish, squeeze-excitation, NAS-chosen blocks",
    summary="h-swish = x·ReLU6(x+3)/6 vs torch's hardswish, SE blocks, V3-Large/Small params and MACs",
)
def mobilenetv3(ctx: DemoContext) -> DemoResult:
    import torch
    from torch.nn import functional as F

    from cvquiz.demos import zoo

    x = torch.linspace(-6.0, 6.0, 1201, device=ctx.device)
    ours = zoo.h_swish(x)
    swish_gap = float((ours - F.silu(x)).abs().max())
    hswish_diff = float((ours - F.hardswish(x)).abs().max())
    hsig_diff = float((zoo.h_sigmoid(x) - F.hardsigmoid(x)).abs().max())
    points = torch.tensor([-4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 4.0])
    sample_rows = tuple(
        (float(p), float(zoo.h_swish(p)), float(F.silu(p)), float(p * F.relu6(p + 3) / 6))
        for p in points
    )
    models, checks = [], []
    for name in ("mobilenet_v3_large", "mobilenet_v3_small", "mobilenet_v2"):
        spec = zoo.MODELS[name]
        model = zoo.build_meta(spec.builder)
        se = sum(isinstance(m, zoo.SqueezeExcitation) for m in model.modules())
        se_params = sum(_params(m) for m in model.modules() if isinstance(m, zoo.SqueezeExcitation))
        params, counted = zoo.count_params(model), zoo.counter_macs(model)
        models.append((name, params, counted, se, se_params))
        if name != "mobilenet_v2":
            checks.append(check(f"{name} params", expected=spec.reference_params, measured=params, source=TORCHVISION))
            checks.append(
                check(
                    f"{name}: {spec.reference_gmacs} GMACs",
                    expected=round(spec.reference_gmacs * 1e9),
                    measured=counted,
                    source=f"{TORCHVISION}; {COUNTER}",
                    abs_tol=500_000,
                )
            )
    (_, large_params, large_macs, large_se, _), (_, _, _, small_se, _), (_, _, v2_macs, _, _) = models
    return DemoResult(
        demo_id="mobilenetv3",
        title="MobileNetV3: h-swish, squeeze-excitation, NAS-chosen blocks",
        explanation=(
            "MobileNetV3 keeps V2's inverted residual but lets a search choose each block: platform-aware NAS "
            "for the blocks, NetAdapt for per-layer widths, measured on phone latency.",
            "Two additions: squeeze-and-excitation gates in some blocks, and h-swish(x) = x·ReLU6(x+3)/6, a "
            "piecewise-linear swish that is cheap and quantizes well (used in the later, deeper layers).",
            f"Result: V3-Large has {large_macs / v2_macs:.0%} of V2's MACs with better published accuracy.",
        ),
        tables=(
            Table(
                title="h-swish vs swish (x·sigmoid x)",
                columns=("x", "h-swish(x)", "swish(x)", "x·ReLU6(x+3)/6"),
                rows=sample_rows,
            ),
            Table(
                title="MobileNetV3 at 224×224 (V2 for comparison)",
                columns=("model", "params", "MACs", "SE blocks", "SE params"),
                rows=tuple(models),
            ),
        ),
        checks=(
            check(
                "h-swish x·ReLU6(x+3)/6 = torch's F.hardswish on [-6, 6]",
                expected=0.0,
                measured=hswish_diff,
                source="torch.nn.functional.hardswish",
                abs_tol=1e-6,
            ),
            check(
                "h-sigmoid ReLU6(x+3)/6 = torch's F.hardsigmoid",
                expected=0.0,
                measured=hsig_diff,
                source="torch.nn.functional.hardsigmoid",
                abs_tol=1e-6,
            ),
            check(
                "h-swish stays close to swish (max gap on [-6, 6])",
                expected=0.0,
                measured=round(swish_gap, 4),
                source="F.silu",
                abs_tol=0.25,
            ),
            check("SE blocks: 8 in V3-Large, 9 in V3-Small", expected="8, 9", measured=f"{large_se}, {small_se}", source="Howard et al. 2019, Tables 1 and 2"),
            *checks,
            check("V3-Large params > V2 params, yet fewer MACs", expected=True, measured=large_params > models[2][1] and large_macs < v2_macs, source="counts above"),
        ),
        convention=MACS,
    )


# 11. Squeeze-and-excitation cost (Q34)


@demo(
    "squeeze-excitation-cost",
    title="Squeeze-and-excitation: what the channel gates cost",
    summary="global pool → FC reduce → FC expand → gates; SE params and MACs vs the MobileNetV3 block it sits in",
    params=(
        Param("channels", int, 120, "expanded channels C where SE sits", min=8, max=2048),
        Param("block_channels", int, 40, "block input/output channels", min=1, max=1024),
        Param("reduction", int, 4, "squeeze ratio r (C → C/r)", min=1, max=64),
        Param("size", int, 28, "height and width", min=1, max=224),
    ),
)
def squeeze_excitation_cost(ctx: DemoContext, *, channels: int, block_channels: int, reduction: int, size: int) -> DemoResult:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    c, r = channels, reduction
    s = max(1, c // r)
    refuse_large(2 * c * size * size, what=f"a 2×{c}×{size}×{size} tensor")
    se = zoo.SqueezeExcitation(c, s, gate=nn.Sigmoid).to(ctx.device).eval()
    x = torch.randn(2, c, size, size, device=ctx.device)  # (N, C, H, W)
    with torch.no_grad():
        pooled = x.mean(dim=(2, 3), keepdim=True)  # squeeze: (N, C, 1, 1)
        gates = se.gate(se.fc2(se.activation(se.fc1(pooled))))  # excitation: (N, C, 1, 1)
        out = se(x)
    block = zoo.build_meta(
        zoo.InvertedResidual,
        in_ch=block_channels,
        out_ch=block_channels,
        expanded_ch=c,
        kernel_size=5,
        activation=nn.ReLU,
        se_channels=s,
        se_gate=nn.Sigmoid,
    )
    se_meta = next(m for m in block.modules() if isinstance(m, zoo.SqueezeExcitation))
    x_meta = torch.empty(1, block_channels, size, size, device="meta")
    block_macs, block_params = _counter_macs(block, x_meta), _params(block)
    se_macs = _counter_macs(se_meta, torch.empty(1, c, size, size, device="meta"))
    se_params = _params(se_meta)
    return DemoResult(
        demo_id="squeeze-excitation-cost",
        title="Squeeze-and-excitation: what the channel gates cost",
        explanation=(
            "SE recalibrates channels: global average pool (squeeze each channel to one number), a small FC "
            "C → C/r → C (excitation), then a sigmoid gate in (0, 1) that rescales every channel.",
            f"The FCs act on a 1×1 map, so their MACs do not grow with the image: here SE is {se_macs / block_macs:.2%} "
            f"of the block's MACs but {se_params / block_params:.0%} of its parameters (2C²/r), and the global pool "
            "adds latency (it must see the whole map before any channel can be scaled).",
        ),
        tables=(
            Table(
                title=f"SE on C={c} (r={r}, C/r={s}) inside a 5×5 bneck {block_channels}→{c}→{block_channels}, {size}×{size}",
                columns=("part", "params", "MACs", "share of block"),
                rows=(
                    ("SE: FC reduce + FC expand", se_params, se_macs, f"{se_params / block_params:.1%} params, {se_macs / block_macs:.2%} MACs"),
                    ("whole block (with SE)", block_params, block_macs, "100%"),
                ),
                note="SE's pooling and channel scaling are C·H·W additions and multiplies each, not MACs in this convention",
            ),
            Table(
                title="Shapes through SE (batch 2)",
                columns=("step", "shape"),
                rows=(
                    ("input", _shape(tuple(x.shape))),
                    ("squeeze: global average pool", _shape(tuple(pooled.shape))),
                    ("excite: FC, ReLU, FC, sigmoid", _shape(tuple(gates.shape))),
                    ("scale: input × gates", _shape(tuple(out.shape))),
                ),
            ),
        ),
        checks=(
            check("SE params: 2·C·C/r + C/r + C", expected=2 * c * s + s + c, measured=se_params, source="formula"),
            check("SE MACs: 2·C·C/r, independent of H×W", expected=2 * c * s, measured=se_macs, source=f"formula; {COUNTER}"),
            check("gates have shape (N, C, 1, 1)", expected=f"2×{c}×1×1", measured=_shape(tuple(gates.shape)), source="experiment"),
            check(
                "gates lie in (0, 1)",
                expected=True,
                measured=bool(((gates > 0) & (gates < 1)).all()),
                source="sigmoid range",
            ),
            check(
                "SE output = input × gates, channel by channel",
                expected=0.0,
                measured=float((out - x * gates).abs().max()),
                source="torch",
                abs_tol=1e-6,
            ),
        ),
        convention=MACS,
    )


# 12. Strided depthwise (Q36)


@demo(
    "strided-depthwise",
    title="Strided depthwise conv: downsampling without pooling",
    summary="a stride-2 depthwise conv halves H and W and costs ÷4; paired with pointwise; vs max-pool + conv",
    params=(
        Param("in_channels", int, 64, "input channels M", min=1, max=2048),
        Param("out_channels", int, 128, "output channels N", min=1, max=2048),
        Param("size", int, 56, "input height and width", min=2, max=512),
    ),
)
def strided_depthwise(ctx: DemoContext, *, in_channels: int, out_channels: int, size: int) -> DemoResult:
    import torch
    from torch import nn

    m, n = in_channels, out_channels
    half = _conv_out(size, kernel=3, stride=2, padding=1)
    with torch.device("meta"):
        options = {
            "dw 3×3 stride 2 → pw 1×1": nn.Sequential(
                nn.Conv2d(m, m, 3, stride=2, padding=1, groups=m, bias=False), nn.Conv2d(m, n, 1, bias=False)
            ),
            "dw 3×3 stride 1 → pw 1×1 (full size)": nn.Sequential(
                nn.Conv2d(m, m, 3, padding=1, groups=m, bias=False), nn.Conv2d(m, n, 1, bias=False)
            ),
            "max-pool 2×2 → dw 3×3 → pw 1×1": nn.Sequential(
                nn.MaxPool2d(2, ceil_mode=True), nn.Conv2d(m, m, 3, padding=1, groups=m, bias=False), nn.Conv2d(m, n, 1, bias=False)
            ),
            "standard 3×3 stride 2": nn.Conv2d(m, n, 3, stride=2, padding=1, bias=False),
        }
        x = torch.empty(1, m, size, size)
    rows, shapes, macs = [], {}, {}
    for name, module in options.items():
        y = module(x)
        shapes[name] = tuple(y.shape[1:])
        macs[name] = _counter_macs(module, x)
        rows.append((name, _shape(shapes[name]), _params(module), macs[name]))
    dw2, dw1, pool, std = options.values()
    dw2_macs = _counter_macs(dw2[0], x)
    dw1_macs = _counter_macs(dw1[0], x)
    names = list(options)
    # A real stride-2 depthwise conv on the device: the learned filter sees every input pixel.
    dw_real = nn.Conv2d(m, m, 3, stride=2, padding=1, groups=m, bias=False).to(ctx.device)
    with torch.no_grad():
        real_shape = tuple(dw_real(torch.randn(1, m, min(size, 32), min(size, 32), device=ctx.device)).shape[2:])
    expected_real = _conv_out(min(size, 32), kernel=3, stride=2, padding=1)
    return DemoResult(
        demo_id="strided-depthwise",
        title="Strided depthwise conv: downsampling without pooling",
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
                rows=tuple(rows),
                note="max-pooling has no parameters and, in this convention, no MACs",
            ),
        ),
        checks=(
            check(
                "stride 2 (padding 1) halves H and W, rounding up",
                expected=_shape((n, half, half)),
                measured=_shape(shapes[names[0]]),
                source="conv output size formula",
            ),
            check(
                "stride-2 depthwise MACs = stride-1 MACs × (⌈H/2⌉/H)² (÷4 for even H)",
                expected=_ratio(Fraction(half * half, size * size)),
                measured=_ratio(Fraction(dw2_macs, dw1_macs)),
                source=f"formula 9·M·(H/2)²; {COUNTER}",
            ),
            check(
                "the whole dw+pw block is cheaper by the same factor",
                expected=_ratio(Fraction(half * half, size * size)),
                measured=_ratio(Fraction(macs[names[0]], macs[names[1]])),
                source=COUNTER,
            ),
            check(
                "max-pool + dw + pw: same shape, same MACs, same params",
                expected=f"{_shape(shapes[names[0]])}, {macs[names[0]]:,}, {_params(dw2):,}",
                measured=f"{_shape(shapes[names[2]])}, {macs[names[2]]:,}, {_params(pool):,}",
                source=COUNTER,
            ),
            check(
                "vs a standard 3×3 stride-2 conv: 1/N + 1/9 of the MACs",
                expected=_ratio(Fraction(1, n) + Fraction(1, 9)),
                measured=_ratio(Fraction(macs[names[0]], macs[names[3]])),
                source=f"{MOBILENETS}, sec. 3.1",
            ),
            check(
                f"on {ctx.device}: a real stride-2 depthwise conv halves {min(size, 32)}×{min(size, 32)}",
                expected=_shape((expected_real, expected_real)),
                measured=_shape(real_shape),
                source="torch forward pass",
            ),
        ),
        convention=MACS,
    )


# 13. Linear bottleneck: why ReLU needs the expansion (Q28)


@demo(
    "linear-bottleneck",
    title="Why expand before ReLU: the MobileNetV2 spiral experiment",
    summary="a 2-D spiral embedded in n dims, passed through ReLU, recovered: lost at n=2–5, kept at n=15–30",
    params=(Param("points", int, 500, "points on the spiral", min=50, max=20_000),),
)
def linear_bottleneck(ctx: DemoContext, *, points: int) -> DemoResult:
    import math

    import torch

    # Sandler et al. 2018, Figure 1: x (2-D) -> ReLU(T x) in n dims -> back to 2-D.
    g = torch.Generator().manual_seed(ctx.seed)  # CPU generator: the same matrices on every device
    angle = torch.linspace(0, 4 * math.pi, points)
    x = (torch.stack([angle * torch.cos(angle), angle * torch.sin(angle)], 1) / (4 * math.pi)).to(ctx.device)  # (P, 2)
    rows, recovered_by_n, linear_errors = [], {}, []
    for n in (2, 3, 5, 15, 30):
        t = torch.randn(n, 2, generator=g).to(ctx.device)  # (n, 2) random embedding
        y = torch.relu(x @ t.T)  # (P, n)
        active = y > 0
        # Best decoder given what survived: least squares on the rows ReLU left alive, per point.
        masked = active.unsqueeze(2) * t  # (P, n, 2)
        x_hat = (torch.linalg.pinv(masked) @ y.unsqueeze(2)).squeeze(2)  # (P, 2)
        err = (x_hat - x).norm(dim=1) / x.norm(dim=1).clamp_min(1e-6)
        recovered = float((err < 1e-3).float().mean())
        recovered_by_n[n] = recovered
        linear = (torch.linalg.pinv(t) @ (x @ t.T).T).T  # no ReLU: a linear map loses nothing
        linear_errors.append(float((linear - x).abs().max()))
        rows.append((n, float((~active).float().mean()), recovered, float(err.mean())))
    return DemoResult(
        demo_id="linear-bottleneck",
        title="Why expand before ReLU: the MobileNetV2 spiral experiment",
        explanation=(
            "Take a 2-D spiral, embed it in n dimensions with a random matrix T, apply ReLU, and try to get the "
            "spiral back (Sandler et al. 2018, Figure 1).",
            "ReLU zeroes about half the coordinates of every point. In 2–5 dimensions too few survive to pin the "
            "point down, so the information is gone; in 15–30 dimensions enough survive and every point comes back.",
            "Hence MobileNetV2 expands by t (6) before its ReLU6 layers, and projects back to the thin bottleneck "
            "with a linear 1×1 conv: a ReLU there, in few dimensions, would destroy information.",
        ),
        tables=(
            Table(
                title=f"A {points}-point spiral through ReLU(T x), T of shape n×2",
                columns=("n", "zeroed by ReLU", "points recovered", "mean rel. error"),
                rows=tuple(rows),
                note="recovered: relative error < 1e-3 with least squares on the coordinates ReLU kept",
            ),
        ),
        checks=(
            check(
                "n=2: most of the spiral cannot be recovered after ReLU",
                expected=True,
                measured=recovered_by_n[2] < 0.5,
                source=f"experiment: {recovered_by_n[2]:.1%} recovered; Sandler et al. 2018, Fig. 1",
            ),
            check(
                "n=3: still lossy",
                expected=True,
                measured=recovered_by_n[3] < 0.9,
                source=f"experiment: {recovered_by_n[3]:.1%} recovered",
            ),
            check(
                "n=15: (almost) every point recovered",
                expected=1.0,
                measured=recovered_by_n[15],
                source="experiment",
                abs_tol=0.01,
            ),
            check("n=30: (almost) every point recovered", expected=1.0, measured=recovered_by_n[30], source="experiment", abs_tol=0.01),
            check(
                "without ReLU, the linear map loses nothing at any n",
                expected=0.0,
                measured=max(linear_errors),
                source="pinv(T) · T x = x",
                abs_tol=1e-4,
            ),
        ),
    )


# 14. Quantization (Q35)


@demo(
    "quantization",
    title="INT8 weights for a depthwise conv: 4× smaller, and why per-channel scales matter",
    summary="int8 weights take 1/4 of float32; per-tensor vs per-channel scales on a depthwise conv with uneven channels",
    params=(
        Param("channels", int, 64, "depthwise channels", min=2, max=2048),
        Param("spread", float, 100.0, "largest / smallest channel weight range", min=1.0, max=10_000.0),
        Param("size", int, 28, "input height and width", min=3, max=224),
    ),
)
def quantization(ctx: DemoContext, *, channels: int, spread: float, size: int) -> DemoResult:
    import torch
    from torch import nn
    from torch.nn import functional as F

    c = channels
    g = torch.Generator().manual_seed(ctx.seed)
    # Trained depthwise filters (after BN folding) differ in range from channel to channel; spread sets how much.
    ranges = spread ** -torch.linspace(0, 1, c)  # 1 down to 1/spread
    weight = torch.randn(c, 1, 3, 3, generator=g) * ranges.view(c, 1, 1, 1)
    x = torch.randn(1, c, size, size, generator=g)
    dev = ctx.device
    weight, x = weight.to(dev), x.to(dev)

    def quantize(w: torch.Tensor, scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        codes = torch.clamp(torch.round(w / scale), -127, 127)  # symmetric int8
        return codes, codes * scale

    per_tensor_scale = weight.abs().max() / 127
    per_channel_scale = weight.abs().amax(dim=(1, 2, 3), keepdim=True) / 127  # (C, 1, 1, 1)
    reference = F.conv2d(x, weight, padding=1, groups=c)

    def sqnr(signal: torch.Tensor, approx: torch.Tensor) -> float:
        return float(10 * torch.log10(signal.pow(2).sum() / (signal - approx).pow(2).sum().clamp_min(1e-30)))

    rows, codes_by = [], {}
    for name, scale in (("per-tensor", per_tensor_scale), ("per-channel", per_channel_scale)):
        codes, deq = quantize(weight, scale)
        codes_by[name] = (codes, deq, scale)
        smallest_levels = int(torch.unique(codes[-1]).numel())  # the channel with the smallest range
        dead = int((codes.abs().amax(dim=(1, 2, 3)) == 0).sum())
        out = F.conv2d(x, deq, padding=1, groups=c)
        rows.append((name, int(scale.numel()), sqnr(weight, deq), sqnr(reference, out), smallest_levels, dead))
    params = weight.numel()
    with torch.device("meta"):
        dw = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
    macs = _counter_macs(dw, torch.empty(1, c, size, size, device="meta"))
    (_, _, w_tensor, o_tensor, _, _), (_, _, w_channel, o_channel, _, _) = rows
    codes, deq, scale = codes_by["per-channel"]
    max_err_ratio = float(((deq - weight).abs() / scale).max())
    return DemoResult(
        demo_id="quantization",
        title="INT8 weights for a depthwise conv: 4× smaller, and why per-channel scales matter",
        explanation=(
            "INT8 stores each weight as an 8-bit code times a float scale: a quarter of float32's memory, and "
            "integer MACs that mobile hardware runs faster.",
            "Depthwise convs are the delicate part: each channel has its own filter, and their ranges differ. "
            "One scale for the whole tensor leaves small channels with a handful of levels (or none).",
            "Per-channel scales fix most of it. Either way, measure accuracy after post-training quantization "
            "(PTQ), and use quantization-aware training (QAT) when it drops.",
        ),
        tables=(
            Table(
                title=f"Depthwise 3×3, {c} channels, ranges spread {spread:g}×, input {size}×{size}",
                columns=("scales", "count", "weight SQNR dB", "output SQNR dB", "min levels", "dead ch."),
                rows=tuple(rows),
                note="SQNR: signal-to-quantization-noise ratio, higher is better; min levels: distinct codes in the "
                "smallest channel; dead ch.: channels whose codes are all 0",
            ),
            Table(
                title="Memory for the weights",
                columns=("format", "bytes"),
                rows=(
                    ("float32", 4 * params),
                    ("int8 + 1 float32 scale", params + 4),
                    (f"int8 + {c} float32 scales", params + 4 * c),
                ),
                note=f"MACs are unchanged by quantization ({macs:,} here); each becomes an int8 multiply, int32 accumulate",
            ),
        ),
        checks=(
            check("float32 weights take 4 bytes each, int8 one", expected=4 * params, measured=4 * int(codes.numel()), source="sizes of float32 and int8"),
            check(
                "codes stay inside the symmetric int8 range [-127, 127]",
                expected="-127..127",
                measured=f"{int(codes.min())}..{int(codes.max())}" if int(codes.abs().max()) == 127 else "not full range",
                source="round(w / scale), scale = max|w| / 127",
            ),
            check(
                "per-channel rounding error ≤ half a step in every channel",
                expected=0.5,
                measured=round(max_err_ratio, 6),
                source="uniform quantization bound",
                abs_tol=0.5,
            ),
            check(
                "per-channel scales keep more of the weights than one per-tensor scale",
                expected=True,
                measured=w_channel > w_tensor,
                source=f"weight SQNR {w_channel:.1f} dB vs {w_tensor:.1f} dB",
            ),
            check(
                "... and of the depthwise conv's output",
                expected=True,
                measured=o_channel > o_tensor,
                source=f"output SQNR {o_channel:.1f} dB vs {o_tensor:.1f} dB",
            ),
        ),
        convention=MACS,
    )


# 15. Deployment: fold BN, and FLOPs are not latency (Q40)


@demo(
    "deployment",
    title="Deployment: fuse BN into the convs, then measure latency, not just MACs",
    summary="conv+BN folded into one conv (same output, fewer ops); dw+pw vs standard conv: MAC ratio vs measured time",
    params=(
        Param("in_channels", int, 64, "input channels M", min=1, max=512),
        Param("out_channels", int, 128, "output channels N", min=1, max=512),
        Param("size", int, 28, "height and width", min=4, max=112),
        Param("repeats", int, 3, "timed runs (median reported)", min=1, max=50),
    ),
)
def deployment(ctx: DemoContext, *, in_channels: int, out_channels: int, size: int, repeats: int) -> DemoResult:
    import copy
    import statistics
    import time

    import torch
    from torch import nn

    from cvquiz.demos import zoo

    m, n = in_channels, out_channels
    dev = ctx.device
    block = nn.Sequential(
        zoo.conv_bn_act(m, m, groups=m, activation=None),  # dw
        zoo.conv_bn_act(m, n, kernel_size=1, activation=None),  # pw
    ).to(dev)
    with torch.no_grad():
        for bn in (block[0][1], block[1][1]):  # trained-looking statistics, so folding has work to do
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
    block.eval()

    def fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
        """w' = w·γ/√(var+ε), b' = β − γ·mean/√(var+ε) (BN in eval mode is an affine map per channel)."""
        fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                          padding=conv.padding, groups=conv.groups, bias=True).to(dev)  # fmt: skip
        factor = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        fused.weight.copy_(conv.weight * factor.view(-1, 1, 1, 1))
        fused.bias.copy_(bn.bias - bn.running_mean * factor)
        return fused

    with torch.no_grad():
        fused = nn.Sequential(fold(block[0][0], block[0][1]), fold(block[1][0], block[1][1])).eval()
        x = torch.randn(1, m, size, size, device=dev)
        diff = float((fused(x) - block(x)).abs().max())
        standard = nn.Conv2d(m, n, 3, padding=1, bias=False).to(dev).eval()

        def median_ms(module: nn.Module) -> float:
            module(x)  # warm-up
            times = []
            for _ in range(repeats):
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                module(x)
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                times.append((time.perf_counter() - start) * 1000)
            return statistics.median(times)

        t_standard, t_separable = median_ms(standard), median_ms(fused)

    def count(module: nn.Module) -> int:
        """Count on a meta copy: no second real forward pass on a busy machine."""
        return _counter_macs(copy.deepcopy(module).to("meta"), torch.empty(x.shape, device="meta"))

    macs_standard, macs_separable, macs_block = count(standard), count(fused), count(block)
    bn_count = sum(isinstance(mod, nn.BatchNorm2d) for mod in fused.modules())
    return DemoResult(
        demo_id="deployment",
        title="Deployment: fuse BN into the convs, then measure latency, not just MACs",
        explanation=(
            "Runtimes (Core ML, NNAPI, TensorRT, ...) fold each BatchNorm into the conv before it and fuse "
            "conv + activation into one kernel, so a dw+pw block runs as two fused kernels.",
            "MACs are a proxy. A depthwise conv does few MACs per byte it reads, so it is memory-bound: the "
            f"separable block has {macs_standard / macs_separable:.1f}× fewer MACs but ran "
            + (
                f"only {t_standard / t_separable:.1f}× faster here."
                if t_standard > t_separable
                else f"{t_separable / t_standard:.1f}× slower here."
            )
            + " Profile latency on the target device.",
        ),
        tables=(
            Table(
                title=f"Folding BN into a dw+pw block ({m}→{n}, {size}×{size})",
                columns=("form", "layers", "params", "MACs"),
                rows=(
                    ("conv → BN → conv → BN", 4, _params(block), macs_block),
                    ("folded conv → conv", 2, _params(fused), macs_separable),
                ),
                note=f"largest output difference after folding: {diff:.1e} (BN's 4N running statistics are buffers, not params)",
            ),
            Table(
                title=f"MACs vs measured time on {dev} (median of {repeats})",
                columns=("block", "MACs", "time ms"),
                rows=(
                    (f"standard 3×3 conv {m}→{n}", macs_standard, round(t_standard, 3)),
                    ("folded dw 3×3 + pw 1×1", macs_separable, round(t_separable, 3)),
                    ("ratio standard / separable", round(macs_standard / macs_separable, 2), round(t_standard / max(t_separable, 1e-9), 2)),
                ),
                note="times are measurements on this machine and vary run to run; no check depends on them",
            ),
        ),
        checks=(
            check("folded block gives the same output", expected=0.0, measured=diff, source="w·γ/√(var+ε), β − γ·mean/√(var+ε)", abs_tol=1e-4),
            check("no BatchNorm left after folding", expected=0, measured=bn_count, source="module count"),
            check(
                "params: BN's 2 per channel (γ, β) become 1 bias per channel",
                expected=_params(block) - m - n,
                measured=_params(fused),
                source="formula: −M − N",
            ),
            check(
                "MACs unchanged by folding (BN is not a MAC)",
                expected=9 * m * size * size + m * n * size * size,
                measured=macs_separable,
                source=f"formula 9·M·H·W + M·N·H·W; {COUNTER}",
            ),
        ),
        convention=MACS,
    )
