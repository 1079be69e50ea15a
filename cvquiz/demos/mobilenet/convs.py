"""MobileNet's convolutions: depthwise separable cost, 1×1 as a per-pixel linear layer, stride-2 depthwise.

Counting happens on the meta device (shapes only); experiments use small real tensors.
"""

from __future__ import annotations

from fractions import Fraction

from cvquiz.demos.mobilenet.common import MOBILENETS, _changed_channels, _ratio
from cvquiz.demos.registry import DemoContext, Param, demo, refuse_large
from cvquiz.demos.result import (
    COUNTER_SOURCE,
    MACS_CONVENTION,
    DemoResult,
    Table,
    check,
    format_shape,
)


def _conv_out(size: int, *, kernel: int, stride: int, padding: int) -> int:
    """Output height of a convolution (the formula from the PyTorch Conv2d docs, dilation 1)."""
    return (size + 2 * padding - kernel) // stride + 1


# Depthwise separable cost (Q21, Q22, Q24)


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

    from cvquiz.demos import zoo

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
        "standard": zoo.forward_macs(standard, x),
        "depthwise": zoo.forward_macs(depthwise, x),
        "pointwise": zoo.forward_macs(pointwise, depthwise(x)),
    }
    params = {
        "standard": zoo.count_params(standard),
        "depthwise": zoo.count_params(depthwise),
        "pointwise": zoo.count_params(pointwise),
    }
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
    labels = {
        "standard": f"standard {k}×{k}",
        "depthwise": f"depthwise {k}×{k}",
        "pointwise": "pointwise 1×1",
    }
    rows = [
        (labels[name], format_shape(shapes[name]), params[name], formula[name], counted[name])
        for name in ("standard", "depthwise", "pointwise")
    ]
    rows.append(
        (
            "dw + pw",
            "",
            params["depthwise"] + params["pointwise"],
            formula["depthwise"] + formula["pointwise"],
            separable_macs,
        )
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
                columns=("layer", "weight", "params", "MACs (formula)", COUNTER_SOURCE),
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
                        _ratio(
                            Fraction(params["depthwise"] + params["pointwise"], params["standard"])
                        ),
                        (params["depthwise"] + params["pointwise"]) / params["standard"],
                    ),
                ),
            ),
            Table(
                title=f"Which output channels move when one input channel changes ({side}×{side} input)",
                columns=("conv", "nudged input channel", "output channels that change"),
                rows=tuple(
                    (f"depthwise (groups={m})", j, ", ".join(map(str, ch)))
                    for j, ch in zip(probes, moved, strict=True)
                )
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
                expected=format_shape((m, 1, k, k)),
                measured=format_shape(tuple(depthwise.weight.shape)),
                source="nn.Conv2d(M, M, k, groups=M) weight shape",
            ),
            check(
                "depthwise: each output channel depends only on its own input channel",
                expected="; ".join(f"{j}→{j}" for j in probes),
                measured="; ".join(
                    f"{j}→{','.join(map(str, ch))}" for j, ch in zip(probes, moved, strict=True)
                ),
                source="experiment: nudge one input channel, compare outputs",
            ),
            check(
                "standard conv: one input channel reaches every output channel",
                expected=n_std,
                measured=len(std_moved),
                source="experiment: nudge input channel 0",
            ),
        ),
        convention=MACS_CONVENTION,
    )


# Pointwise conv = per-pixel linear layer (Q23, Q37)


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
def pointwise_as_linear(
    ctx: DemoContext, *, in_channels: int, out_channels: int, size: int, batch: int
) -> DemoResult:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    m, n = in_channels, out_channels
    refuse_large(
        batch * max(m, n) * size * size, what=f"a {batch}×{max(m, n)}×{size}×{size} tensor"
    )
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
    span = (min(h0 + 1, size - 1) - max(h0 - 1, 0) + 1) * (
        min(w0 + 1, size - 1) - max(w0 - 1, 0) + 1
    )
    with torch.device("meta"):
        conv_meta, linear_meta = nn.Conv2d(m, n, 1), nn.Linear(m, n)
        x_meta = torch.empty(batch, m, size, size)
    macs_conv = zoo.forward_macs(conv_meta, x_meta)
    macs_linear = zoo.forward_macs(linear_meta, x_meta.permute(0, 2, 3, 1))
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
                columns=("layer", "weight", "params", "MACs (formula)", COUNTER_SOURCE),
                rows=(
                    (
                        "nn.Conv2d(M, N, 1)",
                        format_shape(tuple(conv.weight.shape)),
                        zoo.count_params(conv),
                        formula,
                        macs_conv,
                    ),
                    (
                        "nn.Linear(M, N)",
                        format_shape(tuple(linear.weight.shape)),
                        zoo.count_params(linear),
                        formula,
                        macs_linear,
                    ),
                ),
                note=f"largest difference between the two outputs: {max_diff:.2e}",
            ),
            Table(
                title=f"Change every channel of pixel ({h0}, {w0}): which output pixels move?",
                columns=("layer", "output pixels that change"),
                rows=(
                    (
                        "1×1 conv",
                        f"{len(moved_1x1)}: " + ", ".join(f"({h}, {w})" for h, w in moved_1x1),
                    ),
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
                measured=zoo.count_params(linear),
                source="formula M·N + N",
            ),
            check(
                "same MACs: M·N per pixel, conv = linear = formula",
                expected=f"{formula:,}, {formula:,}",
                measured=f"{macs_conv:,}, {macs_linear:,}",
                source=f"formula M·N·B·H·W; {COUNTER_SOURCE}",
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
        convention=MACS_CONVENTION,
    )


# Strided depthwise (Q36)


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
def strided_depthwise(
    ctx: DemoContext, *, in_channels: int, out_channels: int, size: int
) -> DemoResult:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    m, n = in_channels, out_channels
    half = _conv_out(size, kernel=3, stride=2, padding=1)
    with torch.device("meta"):
        options = {
            "dw 3×3 stride 2 → pw 1×1": nn.Sequential(
                nn.Conv2d(m, m, 3, stride=2, padding=1, groups=m, bias=False),
                nn.Conv2d(m, n, 1, bias=False),
            ),
            "dw 3×3 stride 1 → pw 1×1 (full size)": nn.Sequential(
                nn.Conv2d(m, m, 3, padding=1, groups=m, bias=False), nn.Conv2d(m, n, 1, bias=False)
            ),
            "max-pool 2×2 → dw 3×3 → pw 1×1": nn.Sequential(
                nn.MaxPool2d(2, ceil_mode=True),
                nn.Conv2d(m, m, 3, padding=1, groups=m, bias=False),
                nn.Conv2d(m, n, 1, bias=False),
            ),
            "standard 3×3 stride 2": nn.Conv2d(m, n, 3, stride=2, padding=1, bias=False),
        }
        x = torch.empty(1, m, size, size)
    rows, shapes, macs = [], {}, {}
    for name, module in options.items():
        y = module(x)
        shapes[name] = tuple(y.shape[1:])
        macs[name] = zoo.forward_macs(module, x)
        rows.append((name, format_shape(shapes[name]), zoo.count_params(module), macs[name]))
    dw2, dw1, pool, std = options.values()
    dw2_macs = zoo.forward_macs(dw2[0], x)
    dw1_macs = zoo.forward_macs(dw1[0], x)
    names = list(options)
    # A real stride-2 depthwise conv on the device: the learned filter sees every input pixel.
    dw_real = nn.Conv2d(m, m, 3, stride=2, padding=1, groups=m, bias=False).to(ctx.device)
    with torch.no_grad():
        real_shape = tuple(
            dw_real(torch.randn(1, m, min(size, 32), min(size, 32), device=ctx.device)).shape[2:]
        )
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
                expected=format_shape((n, half, half)),
                measured=format_shape(shapes[names[0]]),
                source="conv output size formula",
            ),
            check(
                "stride-2 depthwise MACs = stride-1 MACs × (⌈H/2⌉/H)² (÷4 for even H)",
                expected=_ratio(Fraction(half * half, size * size)),
                measured=_ratio(Fraction(dw2_macs, dw1_macs)),
                source=f"formula 9·M·(H/2)²; {COUNTER_SOURCE}",
            ),
            check(
                "the whole dw+pw block is cheaper by the same factor",
                expected=_ratio(Fraction(half * half, size * size)),
                measured=_ratio(Fraction(macs[names[0]], macs[names[1]])),
                source=COUNTER_SOURCE,
            ),
            check(
                "max-pool + dw + pw: same shape, same MACs, same params",
                expected=f"{format_shape(shapes[names[0]])}, {macs[names[0]]:,}, {zoo.count_params(dw2):,}",
                measured=f"{format_shape(shapes[names[2]])}, {macs[names[2]]:,}, {zoo.count_params(pool):,}",
                source=COUNTER_SOURCE,
            ),
            check(
                "vs a standard 3×3 stride-2 conv: 1/N + 1/9 of the MACs",
                expected=_ratio(Fraction(1, n) + Fraction(1, 9)),
                measured=_ratio(Fraction(macs[names[0]], macs[names[3]])),
                source=f"{MOBILENETS}, sec. 3.1",
            ),
            check(
                f"on {ctx.device}: a real stride-2 depthwise conv halves {min(size, 32)}×{min(size, 32)}",
                expected=format_shape((expected_real, expected_real)),
                measured=format_shape(real_shape),
                source="torch forward pass",
            ),
        ),
        convention=MACS_CONVENTION,
    )
