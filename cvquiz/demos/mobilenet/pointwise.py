"""MobileNet's pointwise conv: a 1×1 conv is nn.Linear applied to every pixel."""

from __future__ import annotations

from dataclasses import dataclass

from cvquiz.demos.mobilenet.common import LAYER_COUNT
from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import (
    MACS_CONVENTION,
    Presentation,
    Table,
    check,
    format_shape,
)
from cvquiz.demos.runner import DemoContext, refuse_large

# Pointwise conv = per-pixel linear layer (Q23, Q37)

POINTWISE = demo(
    "pointwise-as-linear",
    stochastic=False,  # the same numbers at every seed
    title="A 1×1 conv is a per-pixel linear layer",
    summary="1×1 conv == nn.Linear on every pixel with the same weights; changing a pixel moves only that pixel",
    params=(
        Param("in_channels", int, 32, "input channels M", min=1, max=2048),
        Param("out_channels", int, 64, "output channels N", min=1, max=2048),
        Param("size", int, 14, "height and width", min=1, max=256),
        Param("batch", int, 2, "batch size", min=1, max=64),
    ),
)


@dataclass(frozen=True)
class PointwiseLinear:
    """A 1×1 conv and a linear layer sharing weights: sizes, costs, and where a nudge spreads."""

    conv_weight_shape: tuple[int, ...]
    linear_weight_shape: tuple[int, ...]
    conv_params: int
    linear_params: int
    macs_conv: int  # the layer as built, by the zoo's per-layer count
    macs_linear: int
    max_diff: float  # max |conv(x) − linear(x per pixel)|
    pixel: tuple[int, int]  # the nudged pixel (h, w)
    moved_1x1: tuple[tuple[int, int], ...]  # output pixels the 1×1 conv changed
    moved_3x3: int  # how many the 3×3 conv changed


def pointwise_macs(m: int, n: int, batch: int, size: int) -> int:
    """M·N MACs per pixel, for every pixel of the batch."""
    return m * n * batch * size * size


def window(size: int, h: int, w: int) -> int:
    """Pixels of the 3×3 neighbourhood of (h, w) inside a size×size map."""
    return (min(h + 1, size - 1) - max(h - 1, 0) + 1) * (min(w + 1, size - 1) - max(w - 1, 0) + 1)


@POINTWISE.measure
def measure_pointwise(s: Settings, ctx: DemoContext) -> PointwiseLinear:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    m, n, size, batch = s.in_channels, s.out_channels, s.size, s.batch
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
        x = torch.randn(batch, m, size, size, generator=ctx.rng).to(dev)  # (B, M, H, W)
        y_conv = conv(x)  # (B, N, H, W)
        y_linear = linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # (B, H, W, M) -> (B, N, H, W)
        max_diff = float((y_conv - y_linear).abs().max())
        h0 = w0 = size // 2
        nudged = x.clone()
        nudged[:, :, h0, w0] += torch.randn(batch, m, generator=ctx.rng).to(dev)
        moved_1x1 = ((conv(nudged) - y_conv).abs().amax(dim=(0, 1)) > 0).nonzero().tolist()
        moved_3x3 = ((conv3(nudged) - conv3(x)).abs().amax(dim=(0, 1)) > 0).nonzero().tolist()
    # Counted on the layers and input above: the count runs them on an empty batch.
    macs_conv = zoo.formula_macs(conv, x, label=f"nn.Conv2d({m}, {n}, 1) on {batch}×{size}×{size}")
    pixels = x.permute(0, 2, 3, 1)  # (B, H, W, M)
    macs_linear = zoo.formula_macs(
        linear, pixels, label=f"nn.Linear({m}, {n}) on {batch}×{size}×{size} pixels"
    )
    return PointwiseLinear(
        conv_weight_shape=tuple(conv.weight.shape),
        linear_weight_shape=tuple(linear.weight.shape),
        conv_params=zoo.count_params(conv),
        linear_params=zoo.count_params(linear),
        macs_conv=macs_conv,
        macs_linear=macs_linear,
        max_diff=max_diff,
        pixel=(h0, w0),
        moved_1x1=tuple((h, w) for h, w in moved_1x1),
        moved_3x3=len(moved_3x3),
    )


@POINTWISE.present
def present_pointwise(r: PointwiseLinear, s: Settings) -> Presentation:
    m, n, size, batch = s.in_channels, s.out_channels, s.size, s.batch
    h0, w0 = r.pixel
    formula = pointwise_macs(m, n, batch, size)
    moved = [list(p) for p in r.moved_1x1]
    return Presentation(
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
                columns=("layer", "weight", "params", "MACs (formula)", "MACs (counted)"),
                rows=(
                    (
                        "nn.Conv2d(M, N, 1)",
                        format_shape(r.conv_weight_shape),
                        r.conv_params,
                        formula,
                        r.macs_conv,
                    ),
                    (
                        "nn.Linear(M, N)",
                        format_shape(r.linear_weight_shape),
                        r.linear_params,
                        formula,
                        r.macs_linear,
                    ),
                ),
                note=f"largest difference between the two outputs: {r.max_diff:.2e}",
            ),
            Table(
                title=f"Change every channel of pixel ({h0}, {w0}): which output pixels move?",
                columns=("layer", "output pixels that change"),
                rows=(
                    (
                        "1×1 conv",
                        f"{len(moved)}: " + ", ".join(f"({h}, {w})" for h, w in moved),
                    ),
                    ("3×3 conv", f"{r.moved_3x3}: the 3×3 neighbourhood of ({h0}, {w0})"),
                ),
            ),
        ),
        checks=(
            check(
                "1×1 conv output = per-pixel nn.Linear with the same weights",
                expected=0.0,
                measured=r.max_diff,
                source="torch: max |conv(x) − linear(x per pixel)|",
                abs_tol=1e-4,
            ),
            check(
                "same parameters: M·N weights + N biases",
                expected=m * n + n,
                measured=r.linear_params,
                source="formula M·N + N",
            ),
            check(
                "same MACs: M·N per pixel, conv = linear = formula",
                expected=f"{formula:,}, {formula:,}",
                measured=f"{r.macs_conv:,}, {r.macs_linear:,}",
                source=f"formula M·N·B·H·W; measured: {LAYER_COUNT}",
            ),
            check(
                "no spatial context: a 1×1 conv changes only the nudged pixel",
                expected=f"[[{h0}, {w0}]]",
                measured=str(moved),
                source="experiment",
            ),
            check(
                "a 3×3 conv spreads the change to its neighbourhood",
                expected=window(size, h0, w0),
                measured=r.moved_3x3,
                source="experiment; 3×3 window count",
            ),
        ),
        convention=MACS_CONVENTION,
    )
