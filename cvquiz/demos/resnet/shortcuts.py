"""The shortcut: when x adds as is, and when a strided 1x1 projection W_s·x must replace it.

Shapes and counts come from meta-device models run on an empty batch: no memory is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import (
    HE_2015,
    TORCHVISION,
    _basic_branch_params,
    _projection_params,
    on_one_thread,
)
from cvquiz.demos.result import Presentation, Table, check, format_shape
from cvquiz.demos.runner import DemoContext

if TYPE_CHECKING:
    import torch
    from torch import nn

# Q4, Q6: identity and projection shortcuts.

PROJECTION = demo(
    "projection-shortcut",
    title="Identity vs projection shortcut",
    summary="When x adds as is, when a strided 1x1 projection is needed, at what cost.",
    params=(
        Param("in_channels", int, 64, "channels of the block input x", min=1, max=2048),
        Param("out_channels", int, 128, "channels of the block output F(x)", min=1, max=2048),
        Param("stride", int, 2, "stride of the block's first 3x3 conv", choices=(1, 2)),
        Param("size", int, 56, "height and width of x", min=2, max=224),
    ),
)

RESNET34_PARAMS = 21_797_672  # torchvision's resnet34 (option B shortcuts)


class Shortcut(NamedTuple):
    """One of ResNet-34's projection shortcuts."""

    module: str
    in_channels: int
    out_channels: int
    stride: int
    params: int


@dataclass(frozen=True)
class ProjectionNumbers:
    """A basic block's shapes and parameters, and ResNet-34's shortcuts."""

    input_shape: tuple[int, ...]
    branch_shape: tuple[int, ...]  # F(x)
    projection_shape: tuple[int, ...]  # W_s·x, a 1x1 projection with the block's stride
    identity_fits: bool  # F(x) has x's shape, so F(x) + x needs no projection
    branch_params: int
    shortcut_params: int  # what the block's shortcut adds: 0 for the identity
    projection_params: int  # of the 1x1 projection, needed or not
    r34_shortcuts: tuple[Shortcut, ...]
    r34_all_projections: int  # parameters of a projection on every shortcut (option C)
    r34_params: int
    projection_error: float  # the zoo's projection against BN(1x1 conv at the stride) by hand


@PROJECTION.measure
@on_one_thread
def measure_projection(s: Settings, ctx: DemoContext) -> ProjectionNumbers:
    import torch

    from cvquiz.demos import zoo

    c_in, c_out, stride = s.in_channels, s.out_channels, s.stride
    # As ResNet._make_layer does (option B): a projection only where the shape changes.
    needs_projection = stride != 1 or c_in != c_out

    # Shapes only: meta models on an empty batch allocate and compute nothing.
    shortcut = (
        zoo.build_meta(zoo.projection, in_ch=c_in, out_ch=c_out, stride=stride)
        if needs_projection
        else None
    )
    block = zoo.build_meta(
        zoo.BasicBlock, in_ch=c_in, planes=c_out, stride=stride, downsample=shortcut
    )
    proj = zoo.build_meta(zoo.projection, in_ch=c_in, out_ch=c_out, stride=stride)
    x = torch.empty(1, c_in, s.size, s.size, device="meta")  # (N, C_in, H, W)
    fx_shape = _output_shape(block, x, of=block.bn2)  # F(x): (N, C_out, H/stride, W/stride)
    px_shape = _output_shape(proj, x)
    shortcut_params = zoo.count_params(shortcut) if shortcut is not None else 0

    r34 = zoo.build_meta(zoo.resnet34)
    return ProjectionNumbers(
        projection_error=_projection_error(c_in, c_out, stride, ctx),
        input_shape=tuple(x.shape),
        branch_shape=fx_shape,
        projection_shape=px_shape,
        # Equal shapes, not broadcasting: a 1-channel x would broadcast yet be no identity add.
        identity_fits=fx_shape == tuple(x.shape),
        branch_params=zoo.count_params(block) - shortcut_params,
        shortcut_params=shortcut_params,
        projection_params=zoo.count_params(proj),
        r34_shortcuts=tuple(
            Shortcut(name, m[0].in_channels, m[0].out_channels, m[0].stride[0], zoo.count_params(m))
            for name, m in r34.named_modules()
            if name.endswith("downsample")
        ),
        # Option C: a projection on every block's shortcut, the identity ones included.
        r34_all_projections=sum(
            zoo.count_params(zoo.build_meta(zoo.projection, in_ch=i, out_ch=o, stride=1))
            for i, o in (
                (b.conv1.in_channels, b.conv2.out_channels)
                for b in r34.modules()
                if isinstance(b, zoo.BasicBlock)
            )
        ),
        r34_params=zoo.count_params(r34),
    )


def _output_shape(
    model: nn.Module, x: torch.Tensor, *, of: nn.Module | None = None
) -> tuple[int, ...]:
    """The shape of `model(x)`, or of its submodule `of`'s output, at x's batch size.

    Read by a hook on a forward over an empty batch (zoo.empty_pass): a meta forward would import
    torch._dynamo, about 1 s.
    """
    from cvquiz.demos import zoo

    seen: list[tuple[int, ...]] = []
    handle = (of or model).register_forward_hook(lambda _m, _i, out: seen.append(out.shape[1:]))
    try:
        zoo.empty_pass(model, x)
    finally:
        handle.remove()
    return (x.shape[0], *seen[-1])


def _projection_error(c_in: int, c_out: int, stride: int, ctx: DemoContext) -> float:
    """Run the zoo's projection on a small random input (random BN statistics, eval mode) and
    compare it with BN(W_s ∗ x) computed by hand from its weights: a 1x1 kernel at the block's
    stride. A 3x3 kernel, a lost stride or BN before the conv all leave an error."""
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    proj = zoo.projection(in_ch=c_in, out_ch=c_out, stride=stride).eval()
    # Its parameters, found by type (the by-hand formula says how they must be composed).
    conv = next(m for m in proj.modules() if isinstance(m, nn.Conv2d))
    bn = next(m for m in proj.modules() if isinstance(m, nn.BatchNorm2d))
    if bn.num_features != c_out:
        return float("inf")  # a BN over the input's channels: not BN(W_s ∗ x)
    with torch.no_grad():
        bn.running_mean.copy_(torch.randn(c_out, generator=ctx.rng))
        bn.running_var.copy_(torch.rand(c_out, generator=ctx.rng) + 0.5)
        bn.weight.copy_(torch.randn(c_out, generator=ctx.rng))
        bn.bias.copy_(torch.randn(c_out, generator=ctx.rng))
        x = torch.randn(1, c_in, 8, 8, generator=ctx.rng)  # (N, C_in, 8, 8)
        if tuple(conv.weight.shape[2:]) != (1, 1):
            return float("inf")  # not a 1x1 projection
        w = conv.weight.reshape(c_out, c_in)
        by_hand = torch.einsum("oc,nchw->nohw", w, x[:, :, ::stride, ::stride])
        by_hand = (by_hand - bn.running_mean[:, None, None]) / torch.sqrt(
            bn.running_var[:, None, None] + bn.eps
        ) * bn.weight[:, None, None] + bn.bias[:, None, None]
        return (
            float((proj(x) - by_hand).abs().max())
            if proj(x).shape == by_hand.shape
            else float("inf")
        )


@PROJECTION.present
def present_projection(n: ProjectionNumbers, s: Settings) -> Presentation:
    c_in, c_out, stride = s.in_channels, s.out_channels, s.stride
    needs_projection = stride != 1 or c_in != c_out
    block_params = n.branch_params + n.shortcut_params
    option_b = sum(p.params for p in n.r34_shortcuts)
    option_c = n.r34_all_projections
    shape_rows = (
        ("x", format_shape(n.input_shape), "block input"),
        ("F(x)", format_shape(n.branch_shape), f"two 3x3 convs, the first with stride {stride}"),
        ("identity add F(x) + x", "works" if n.identity_fits else "shape mismatch", ""),
        (
            "projection W_s·x",
            format_shape(n.projection_shape) if needs_projection else "not needed",
            f"1x1 conv {c_in}→{c_out}, stride {stride}, + BN"
            if needs_projection
            else "the identity fits",
        ),
    )
    cost_rows = (
        ("residual branch F", n.branch_params, "9·C_in·C_out + 9·C_out² + 4·C_out"),
        (
            "projection shortcut",
            n.shortcut_params,
            "C_in·C_out + 2·C_out" if needs_projection else "identity: 0",
        ),
        ("block total", block_params, ""),
    )
    option_rows = (
        ("A: zero-padding identity (parameter-free)", 0, 0.0),
        ("B: projection only where the shape changes", option_b, round(option_b / n.r34_params, 4)),
        ("C: projection on every shortcut", option_c, round(option_c / n.r34_params, 4)),
    )
    checks = (
        check(
            "the identity add works exactly when stride is 1 and channels match",
            expected=not needs_projection,
            measured=n.identity_fits,
            source=f"{HE_2015}, eq. (1) vs eq. (2)",
        ),
        check(
            "the 1x1 strided projection brings x to F(x)'s shape",
            expected=format_shape(n.branch_shape),
            measured=format_shape(n.projection_shape),
            source="1x1 conv, stride s: H_out = ⌊(H − 1)/s⌋ + 1, as the padded 3x3",
        ),
        check(
            "the shortcut computes BN(W_s ∗ x): a 1x1 kernel at the block's stride, then BN",
            expected=True,
            measured=n.projection_error < 1e-4,
            source=f"{HE_2015}, eq. (2) and option B; by hand on a random input",
        ),
        check(
            "projection shortcut parameters (1x1 conv + BN)",
            expected=_projection_params(c_in, c_out),
            measured=n.projection_params,
            source="formula C_in·C_out + 2·C_out",
        ),
        check(
            "residual branch parameters",
            expected=_basic_branch_params(c_in, c_out),
            measured=n.branch_params,
            source="formula 9·C_in·C_out + 9·C_out² + 4·C_out",
        ),
        check(
            "ResNet-34 has 3 projection shortcuts (one per stage change)",
            expected=3,
            measured=len(n.r34_shortcuts),
            source=f"{HE_2015}, Table 1 and option B (sec. 3.3)",
        ),
        check(
            "ResNet-34's projections cost 64·128 + 128·256 + 256·512 + BN",
            expected=sum(_projection_params(c, 2 * c) for c in (64, 128, 256)),
            measured=option_b,
            source="formula Σ C_in·C_out + 2·C_out",
        ),
        check(
            "ResNet-34 parameter count (option B)",
            expected=RESNET34_PARAMS,
            measured=n.r34_params,
            source=TORCHVISION,
        ),
    )
    return Presentation(
        explanation=(
            "The shortcut adds x to F(x), which needs equal shapes. A block with stride 2 halves "
            "H and W; a block that changes the channel count changes C. Either way the plain "
            "identity no longer fits.",
            "Then the shortcut becomes a projection y = F(x) + W_s·x: a 1x1 conv with the block's "
            "stride (plus BN), costing C_in·C_out + 2·C_out parameters.",
            "ResNet-34 uses option B: identity everywhere except the 3 blocks that open a stage. "
            "Option A zero-pads new channels for free; the paper found B slightly better than A and "
            "C (all projections) only marginally better than B (Table 3).",
            "Shapes are computed on the meta device: no memory is allocated.",
        ),
        tables=(
            Table(
                f"Basic block {c_in}→{c_out}, stride {stride}, at {s.size}x{s.size}",
                ("tensor", "shape", "how"),
                shape_rows,
            ),
            Table(
                "Parameter cost",
                ("part", "params", "formula"),
                cost_rows,
                note="the projection is "
                f"{n.shortcut_params / block_params:.2%} of the block's parameters",
            ),
            Table(
                "ResNet-34's projection shortcuts",
                ("module", "channels", "stride", "params"),
                tuple(
                    (p.module, f"{p.in_channels}→{p.out_channels}", p.stride, p.params)
                    for p in n.r34_shortcuts
                ),
            ),
            Table(
                "ResNet-34 shortcut options (He et al. 2015, sec. 3.3)",
                ("option", "extra params", "share of ResNet-34"),
                option_rows,
                note=f"ResNet-34 with option B has {n.r34_params:,} parameters.",
            ),
        ),
        checks=checks,
    )
