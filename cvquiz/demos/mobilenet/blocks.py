"""MobileNetV2's block: the inverted residual, and why its bottleneck is linear."""

from __future__ import annotations

from dataclasses import dataclass

from cvquiz.demos.mobilenet.common import LAYER_COUNT, TORCHVISION
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

# Inverted residual (Q27, Q28)

INVERTED = demo(
    "inverted-residual",
    title="MobileNetV2 inverted residual: expand → depthwise → linear project",
    summary="the block's layers, activation memory at thin ends vs expanded middle, the (t, c, n, s) table, V2 totals",
    params=(
        Param("expansion", int, 6, "expansion factor t", min=1, max=12),
        Param(
            "channels", int, 24, "bottleneck channels c (block input and output)", min=1, max=512
        ),
        Param("size", int, 56, "height and width", min=1, max=512),
    ),
)

LAYER_NAMES = {
    "pw": "expand 1×1 → {t}c",
    "dw": "depthwise 3×3",
    "pw-linear": "project 1×1, no ReLU",
}


@dataclass(frozen=True)
class BlockLayer:
    """One conv-BN(-activation) of the block, with the zoo's per-layer count."""

    tag: str  # "pw", "dw" or "pw-linear"
    shape: tuple[int, int, int]  # output (C, H, W)
    params: int  # conv and BN
    macs: int  # by the zoo's formula
    activation: str  # "none" after the projection

    @property
    def elements(self) -> int:
        """Activations the layer outputs: C·H·W."""
        c, h, w = self.shape
        return c * h * w


@dataclass(frozen=True)
class V2Stage:
    """One (t, c, n, s) row of MobileNetV2 at 224×224, and what it builds."""

    t: int
    c: int
    n: int
    s: int
    output: tuple[int, int, int]  # (C, H, W)
    params: int


@dataclass(frozen=True)
class InvertedNumbers:
    """One block counted on meta, its shortcut run for real, and MobileNetV2's stages and totals."""

    layers: tuple[BlockLayer, ...]
    stages: tuple[V2Stage, ...]
    v2_params: int
    v2_macs: int  # by formula
    real_side: int
    shortcut_channels: tuple[int, int, int]  # x, F(x), the projection's input
    shortcut_gap: float  # max |block(x) − x − F(x)|

    def layer(self, tag: str) -> BlockLayer:
        """The block's layer tagged `tag`."""
        return next(layer for layer in self.layers if layer.tag == tag)

    @property
    def block_macs(self) -> int:
        """The whole block's MACs: its counted layers summed."""
        return sum(layer.macs for layer in self.layers)


@INVERTED.measure
def measure_inverted(s: Settings, ctx: DemoContext) -> InvertedNumbers:
    import torch
    from torch import nn

    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.mobilenet import V2_CONFIG
    from cvquiz.demos.zoo.registry import spec_macs

    t, c, size = s.expansion, s.channels, s.size
    block = zoo.build_meta(zoo.InvertedResidual, in_ch=c, out_ch=c, stride=1, expand_ratio=t)
    layers = []
    label = f"inverted residual t={t}, c={c} at {size}×{size}"
    for row in zoo.layer_macs(block, (1, c, size, size), label=label):
        part = block.get_submodule(row.name.rpartition(".")[0])  # conv, BN(, activation)
        tag = "dw" if row.kind == "dwconv" else ("pw-linear" if len(part) == 2 else "pw")
        act = type(part[-1]).__name__ if len(part) == 3 else "none"
        layers.append(BlockLayer(tag, row.output_shape[1:], zoo.count_params(part), row.macs, act))

    v2 = zoo.build_meta(zoo.mobilenet_v2)
    stages = []
    # Shapes from passes on an empty batch: y is (0, C, H, W), nothing computed.
    y = zoo.empty_pass(v2.features[0], torch.empty(1, 3, 224, 224, device="meta"))  # 32×112×112
    index = 1
    for t_row, c_row, n_row, s_row in V2_CONFIG:
        blocks = v2.features[index : index + n_row]
        index += n_row
        y = zoo.empty_pass(blocks, y)  # (0, c, H/s, W/s)
        stages.append(
            V2Stage(t_row, c_row, n_row, s_row, tuple(y.shape[1:]), zoo.count_params(blocks))
        )
    # Counted on the model built above (as zoo.model_counts would, without building another).
    v2_params, v2_macs = zoo.count_params(v2), spec_macs(zoo.MODELS["mobilenet_v2"], v2)

    # The shortcut, run for real: a small block with trained-looking BN, so F(x) is not trivial.
    side = min(size, 8)
    real = zoo.InvertedResidual(c, c, stride=1, expand_ratio=t).eval()
    with torch.no_grad():
        for bn in (m for m in real.modules() if isinstance(m, nn.BatchNorm2d)):
            bn.running_mean.uniform_(-0.5, 0.5, generator=ctx.rng)
            bn.running_var.uniform_(0.5, 2.0, generator=ctx.rng)
            bn.weight.uniform_(0.5, 1.5, generator=ctx.rng)
            bn.bias.uniform_(-0.5, 0.5, generator=ctx.rng)
        real = real.to(ctx.device)
        x_real = torch.randn(2, c, side, side, generator=ctx.rng).to(ctx.device)  # (2, c, h, w)
        seen: dict[str, int] = {}
        hook = real.block[-1].register_forward_hook(
            lambda _m, inputs, _o: seen.update(middle=int(inputs[0].shape[1]))
        )
        branch = real.block(x_real)  # F(x): (2, c, h, w)
        out = real(x_real)  # x + F(x)
        hook.remove()
        shortcut_gap = float((out - x_real - branch).abs().max())
    return InvertedNumbers(
        layers=tuple(layers),
        stages=tuple(stages),
        v2_params=v2_params,
        v2_macs=v2_macs,
        real_side=side,
        shortcut_channels=(int(x_real.shape[1]), int(branch.shape[1]), seen["middle"]),
        shortcut_gap=shortcut_gap,
    )


def inverted_macs(t: int, c: int, area: int) -> int:
    """Expand, depthwise 3×3, project: c·tc + 9·tc + tc·c per pixel (Sandler et al. 2018, Table 1)."""
    hidden = t * c
    return (c * hidden + 9 * hidden + hidden * c) * area if t > 1 else (9 * c + c * c) * area


@INVERTED.present
def present_inverted(r: InvertedNumbers, s: Settings) -> Presentation:
    t, c, size = s.expansion, s.channels, s.size
    hidden, area = t * c, size * size
    rows = [("input x", "", format_shape((c, size, size)), c * area, 0, 0)]
    for layer in r.layers:
        name = LAYER_NAMES[layer.tag].format(t=t)
        rows.append(
            (name, layer.tag, format_shape(layer.shape), layer.elements, layer.params, layer.macs)
        )
    rows.append(("output x + F(x)", "", format_shape((c, size, size)), c * area, 0, 0))
    expected_acts = "ReLU6, ReLU6, none" if t > 1 else "ReLU6, none"
    x_ch, branch_ch, middle = r.shortcut_channels
    side = r.real_side
    return Presentation(
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
                rows=tuple(
                    (st.t, st.c, st.n, st.s, format_shape(st.output), st.params) for st in r.stages
                ),
                note=f"plus a 3×3 stem (32 channels), a 1×1 conv to 1280 and the classifier: {r.v2_params:,} params in all",
            ),
        ),
        checks=(
            check(
                "the expanded middle holds t × the block input's elements",
                expected=t * c * area,
                measured=r.layer("dw").elements,
                source="formula t·c·H·W; measured: the depthwise layer's output shape",
            ),
            check(
                "the shortcut joins the thin ends: x and F(x) have c channels, the middle t·c",
                expected=f"x {c}, F(x) {c}, middle {hidden}",
                measured=f"x {x_ch}, F(x) {branch_ch}, middle {middle}",
                source="forward pass of a real block; middle = the projection's input",
            ),
            check(
                "block output = x + F(x): the shortcut adds the input to the projected branch",
                expected=0.0,
                measured=r.shortcut_gap,
                source=f"torch: max |block(x) − x − F(x)| on a {2}×{c}×{side}×{side} input",
                abs_tol=1e-6,
            ),
            check(
                "linear bottleneck: activation after expand, depthwise, project",
                expected=expected_acts,
                measured=", ".join(layer.activation for layer in r.layers),
                source="Sandler et al. 2018, sec. 3.2",
            ),
            check(
                "block MACs: c·tc·HW + 9·tc·HW + tc·c·HW",
                expected=inverted_macs(t, c, area),
                measured=r.block_macs,
                source=f"Sandler et al. 2018, Table 1 (formula); measured: {LAYER_COUNT}",
            ),
            check(
                "projection: c·t·c weights + BN (2c)",
                expected=hidden * c + 2 * c,
                measured=r.layer("pw-linear").params,
                source="formula",
            ),
            check(
                "MobileNetV2 1.0 params",
                expected=3_504_872,
                measured=r.v2_params,
                source=TORCHVISION,
            ),
            check(
                "MobileNetV2 1.0: 0.301 GMACs",
                expected=301_000_000,
                measured=r.v2_macs,
                source=f"{TORCHVISION}; measured: {LAYER_COUNT}",
                abs_tol=500_000,
            ),
        ),
        convention=MACS_CONVENTION,
    )


# Linear bottleneck: why ReLU needs the expansion (Q28)

SPIRAL = demo(
    "linear-bottleneck",
    title="Why expand before ReLU: the MobileNetV2 spiral experiment",
    summary="a 2-D spiral embedded in n dims, passed through ReLU, recovered: lost at n=2–3, kept at n=15–30",
    params=(Param("points", int, 500, "points on the spiral", min=50, max=20_000),),
)

SPIRAL_DIMS = (2, 3, 5, 15, 30)


@dataclass(frozen=True)
class SpiralRow:
    """The spiral through ReLU(T x) with T of shape dims×2."""

    dims: int
    zeroed: float  # share of coordinates ReLU set to 0
    recovered: float  # share of points recovered (relative error < 1e-3)
    mean_error: float  # mean relative error


@dataclass(frozen=True)
class SpiralNumbers:
    """One row per embedding size, and the error of the same maps without ReLU."""

    rows: tuple[SpiralRow, ...]
    linear_error: float  # max |pinv(T)·T x − x| over every n

    def recovered(self, dims: int) -> float:
        """Share of points recovered from `dims` dimensions."""
        return next(row.recovered for row in self.rows if row.dims == dims)


@SPIRAL.measure
def measure_spiral(s: Settings, ctx: DemoContext) -> SpiralNumbers:
    import math

    import torch

    # Sandler et al. 2018, Figure 1: x (2-D) -> ReLU(T x) in n dims -> back to 2-D.
    angle = torch.linspace(0, 4 * math.pi, s.points)
    x = (torch.stack([angle * torch.cos(angle), angle * torch.sin(angle)], 1) / (4 * math.pi)).to(
        ctx.device
    )  # (P, 2)
    rows, linear_errors = [], []
    for n in SPIRAL_DIMS:
        t = torch.randn(n, 2, generator=ctx.rng).to(ctx.device)  # (n, 2) random embedding
        y = torch.relu(x @ t.T)  # (P, n)
        active = y > 0
        # Best decoder given what survived: least squares on the rows ReLU left alive, per point.
        masked = active.unsqueeze(2) * t  # (P, n, 2)
        x_hat = (torch.linalg.pinv(masked) @ y.unsqueeze(2)).squeeze(2)  # (P, 2)
        err = (x_hat - x).norm(dim=1) / x.norm(dim=1).clamp_min(1e-6)
        recovered = float((err < 1e-3).float().mean())
        linear = (torch.linalg.pinv(t) @ (x @ t.T).T).T  # no ReLU: a linear map loses nothing
        linear_errors.append(float((linear - x).abs().max()))
        rows.append(SpiralRow(n, float((~active).float().mean()), recovered, float(err.mean())))
    return SpiralNumbers(rows=tuple(rows), linear_error=max(linear_errors))


@SPIRAL.present
def present_spiral(r: SpiralNumbers, s: Settings) -> Presentation:
    return Presentation(
        explanation=(
            "Take a 2-D spiral, embed it in n dimensions with a random matrix T, apply ReLU, and try to get the "
            "spiral back (Sandler et al. 2018, Figure 1).",
            "ReLU zeroes about half the coordinates of every point. In 2–3 dimensions too few survive to pin the "
            "point down for half or more of the points, so their information is gone; at 5 it depends on the random T (half to all of the points "
            "come back, by seed); in 15–30 dimensions enough survive and every point comes back.",
            "Hence MobileNetV2 expands by t (6) before its ReLU6 layers, and projects back to the thin bottleneck "
            "with a linear 1×1 conv: a ReLU there, in few dimensions, would destroy information.",
        ),
        tables=(
            Table(
                title=f"A {s.points}-point spiral through ReLU(T x), T of shape n×2",
                columns=("n", "zeroed by ReLU", "points recovered", "mean rel. error"),
                rows=tuple((row.dims, row.zeroed, row.recovered, row.mean_error) for row in r.rows),
                note="recovered: relative error < 1e-3 with least squares on the coordinates ReLU kept",
            ),
        ),
        checks=(
            check(
                "n=15: (almost) every point recovered",
                expected=1.0,
                measured=r.recovered(15),
                source="experiment; holds at seeds 0-9 in the tests (n ≤ 5 varies by seed, so it is shown, not checked)",
                abs_tol=0.01,
            ),
            check(
                "n=30: (almost) every point recovered",
                expected=1.0,
                measured=r.recovered(30),
                source="experiment",
                abs_tol=0.01,
            ),
            check(
                "without ReLU, the linear map loses nothing at any n",
                expected=0.0,
                measured=r.linear_error,
                source="pinv(T) · T x = x",
                abs_tol=1e-4,
            ),
        ),
    )
