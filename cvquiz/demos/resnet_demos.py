"""ResNet-family demos: residual blocks, shortcuts, bottlenecks, depths and comparisons.

Each demo builds real PyTorch modules from `cvquiz.demos.zoo`, counts or runs them, and checks the
numbers an interview answer relies on against a formula or a published figure. Whole models are
built on the meta device (shapes only, nothing allocated), so every demo runs in well under a second.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from cvquiz.demos.registry import Param, demo
from cvquiz.demos.result import DemoResult, Table, check
from cvquiz.errors import CvquizError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from cvquiz.demos.registry import DemoContext
    from cvquiz.demos.zoo import LayerCost

MACS = "MACs (multiply-accumulates) of conv and linear layers; FLOPs = 2 × MACs"
COUNTER = "torch.utils.flop_counter.FlopCounterMode (FLOPs / 2)"
TORCHVISION = "torchvision 0.29.1 reference count"
HE_2015 = "He et al. 2015, 'Deep Residual Learning'"
HE_2016 = "He et al. 2016, 'Identity Mappings in Deep Residual Networks'"

# He et al. 2015, Table 1: "FLOPs" there are multiply-adds, given to one decimal (x 1e9).
PAPER_GMACS = {
    "resnet18": 1.8,
    "resnet34": 3.6,
    "resnet50": 3.8,
    "resnet101": 7.6,
    "resnet152": 11.3,
}
# The paper's one-decimal figures sit up to 0.064e9 from an exact count (3.664 is printed 3.6,
# 3.858 as 3.8, 7.570 as 7.6): they are neither rounded nor truncated consistently, so a check
# against them allows one unit in their last digit.
PAPER_TOL = 0.1


# Helpers shared by the demos.


def _shape(t: torch.Tensor | Sequence[int]) -> str:
    """A shape as 'N×C×H×W' text."""
    return "×".join(str(d) for d in tuple(t.shape if hasattr(t, "shape") else t))


def _gmacs(macs: int) -> float:
    return round(macs / 1e9, 3)


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _costed(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[list[LayerCost], int]:
    """Per-layer costs by formula and torch's counter total, from one forward pass."""
    from torch.utils.flop_counter import FlopCounterMode

    from cvquiz.demos import zoo

    with FlopCounterMode(display=False) as counter:
        rows = zoo.layer_macs(model, input_shape)
    return rows, counter.get_total_flops() // 2


def _macs_pair(model: nn.Module, input_shape: tuple[int, ...]) -> tuple[int, int]:
    """(analytic MACs, counter MACs) of `model` at `input_shape`."""
    rows, counted = _costed(model, input_shape)
    return sum(r.macs for r in rows), counted


def _meta(builder: Callable[..., nn.Module], /, **kwargs: Any) -> nn.Module:
    from cvquiz.demos import zoo

    return zoo.build_meta(builder, **kwargs)


def _branch_basic(block: Any, x: torch.Tensor) -> torch.Tensor:
    """F(x) of a zoo BasicBlock: conv-BN-ReLU-conv-BN, without the shortcut."""
    import torch.nn.functional as F

    return block.bn2(block.conv2(F.relu(block.bn1(block.conv1(x)))))


def _branch_preact(block: Any, x: torch.Tensor) -> torch.Tensor:
    """F(x) of a zoo PreActBasicBlock: BN-ReLU-conv twice, without the shortcut."""
    import torch.nn.functional as F

    return block.conv2(F.relu(block.bn2(block.conv1(F.relu(block.bn1(x))))))


def _basic_branch_params(c_in: int, c_out: int) -> int:
    """Two 3x3 convs (no bias) and two BNs (gamma, beta): 9·C_in·C_out + 9·C_out² + 4·C_out."""
    return 9 * c_in * c_out + 9 * c_out * c_out + 4 * c_out


def _projection_params(c_in: int, c_out: int) -> int:
    """A 1x1 projection (no bias) and its BN: C_in·C_out + 2·C_out."""
    return c_in * c_out + 2 * c_out


def _stage_blocks(model: nn.Module) -> list[int]:
    return [len(getattr(model, f"layer{i}")) for i in range(1, 5)]


def _randomize_bn(module: nn.Module, generator: torch.Generator) -> None:
    """Give every BN non-trivial statistics and affine terms, as a trained network has."""
    import torch
    from torch import nn

    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(0.1 * torch.randn(n, generator=generator))
                m.running_var.copy_(0.5 + torch.rand(n, generator=generator))
                m.weight.copy_(0.5 + torch.rand(n, generator=generator))
                m.bias.copy_(0.1 * torch.randn(n, generator=generator))


def _ok(flag: bool) -> str:
    return "yes" if flag else "no"


# Q1, Q3, Q18: the residual block and its equation.


@demo(
    "residual-block",
    title="Residual block: y = F(x) + x and its variants",
    summary="Runs a basic block on real tensors: output shape, y − x == F(x), params of F.",
    params=(
        Param("channels", int, 64, "channels C of x and of both 3x3 convs", min=1, max=128),
        Param("size", int, 56, "height and width of x", min=1, max=64),
    ),
)
def residual_block(ctx: DemoContext, *, channels: int, size: int) -> DemoResult:
    import torch
    import torch.nn.functional as F

    from cvquiz.demos import zoo

    gen = torch.Generator().manual_seed(ctx.seed)
    post = zoo.BasicBlock(channels, channels)
    pre = zoo.PreActBasicBlock(channels, channels)
    for block in (post, pre):
        _randomize_bn(block, gen)
        block.to(ctx.device).eval()
    x = torch.randn(2, channels, size, size, generator=gen).to(ctx.device)  # (N, C, H, W)

    with torch.no_grad():
        fx = _branch_basic(post, x)  # (N, C, H, W)
        y_orig = post(x)  # ReLU(F(x) + x)
        y_plain = fx + x
        gx = _branch_preact(pre, x)
        y_pre = pre(x)

    def residual_is_f(y: torch.Tensor, f: torch.Tensor) -> bool:
        return bool(torch.allclose(y - x, f, rtol=1e-5, atol=1e-5))

    def differ(y: torch.Tensor, f: torch.Tensor) -> float:
        return round(((y - x - f).abs() > 1e-5).float().mean().item(), 4)

    variants = (
        ("original (2015)", "ReLU(F(x) + x)", y_orig, fx),
        ("no ReLU after add", "F(x) + x", y_plain, fx),
        ("pre-activation (v2)", "x + F'(x)", y_pre, gx),
    )
    equation_rows = tuple(
        (name, eq, round(y.min().item(), 4), _ok(residual_is_f(y, f)), differ(y, f))
        for name, eq, y, f in variants
    )

    layer_rows = tuple(
        (name, kind, _params(getattr(post, name)), formula)
        for name, kind, formula in (
            ("conv1", "3x3 conv C→C, no bias", f"9·C² = {9 * channels**2}"),
            ("bn1", "BN (γ, β)", f"2·C = {2 * channels}"),
            ("conv2", "3x3 conv C→C, no bias", f"9·C² = {9 * channels**2}"),
            ("bn2", "BN (γ, β)", f"2·C = {2 * channels}"),
        )
    )
    expected_params = _basic_branch_params(channels, channels)
    layer_rows += (("F total", "", _params(post), f"2·(9·C²) + 4·C = {expected_params}"),)

    checks = (
        check(
            "the block's output has the input's shape (needed for the identity add)",
            expected=_shape(x),
            measured=_shape(y_orig),
            source=f"{HE_2015}, eq. (1)",
        ),
        check(
            "original block computes ReLU(F(x) + x)",
            expected=True,
            measured=bool(torch.allclose(y_orig, F.relu(fx + x), rtol=1e-5, atol=1e-6)),
            source="torch.allclose(block(x), relu(F(x) + x))",
        ),
        check(
            "without an activation after the add, y − x equals F(x)",
            expected=True,
            measured=residual_is_f(y_plain, fx),
            source="torch.allclose(y - x, F(x))",
        ),
        check(
            "with ReLU after the add, y − x differs from F(x) wherever F(x) + x < 0",
            expected=round(((fx + x) < -1e-5).float().mean().item(), 4),
            measured=differ(y_orig, fx),
            source="fraction of elements; ReLU clips exactly those",
        ),
        check(
            "pre-activation block: y − x equals its branch F(x)",
            expected=True,
            measured=residual_is_f(y_pre, gx),
            source=f"torch.allclose(y - x, F(x)); {HE_2016}, eq. (3)",
        ),
        check(
            "parameters of F (two 3x3 convs + two BNs)",
            expected=expected_params,
            measured=_params(post),
            source="formula 2·(9·C²) + 4·C",
        ),
        check(
            "the pre-activation block has the same parameter count",
            expected=expected_params,
            measured=_params(pre),
            source="formula 2·(9·C²) + 4·C",
        ),
    )
    return DemoResult(
        demo_id="residual-block",
        title="Residual block: y = F(x) + x and its variants",
        explanation=(
            "A residual block learns F(x) and adds the input back: y = F(x) + x. F is two 3x3 "
            "convs with BN (and ReLU between them), padded so the output has x's shape.",
            "The variants differ only in where the activation sits: the original puts ReLU after "
            "the add; pre-activation (ResNet v2) moves BN and ReLU into F, so nothing touches x.",
            f"Ran on real tensors of shape {_shape(x)} with random BN statistics (eval mode).",
        ),
        tables=(
            Table(
                "The residual equation, three ways",
                ("variant", "y =", "min y", "y − x == F(x)", "share differing"),
                equation_rows,
                note=f"All outputs are {_shape(y_orig)}, like x. F'(x) = conv(ReLU(BN(conv(ReLU(BN(x)))))). "
                "The original's ReLU clips negatives: there y − x ≠ F(x).",
            ),
            Table("Parameters of F", ("layer", "kind", "params", "formula"), layer_rows),
        ),
        checks=checks,
    )


# Q4, Q6: identity and projection shortcuts.


@demo(
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
def projection_shortcut(
    ctx: DemoContext, *, in_channels: int, out_channels: int, stride: int, size: int
) -> DemoResult:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    # Shapes only: the meta device runs the layers without allocating or computing anything.
    with torch.device("meta"):
        block = zoo.BasicBlock(in_channels, out_channels, stride=stride)
        projection = nn.Sequential(
            zoo.conv1x1(in_channels, out_channels, stride=stride), nn.BatchNorm2d(out_channels)
        )
        x = torch.empty(1, in_channels, size, size)  # (N, C_in, H, W)
    block.eval()
    projection.eval()
    with torch.no_grad():
        fx = _branch_basic(block, x)  # (N, C_out, H/stride, W/stride)
        px = projection(x)
    # Equal shapes, not broadcasting: a 1-channel x would broadcast yet be no identity add.
    identity_ok = tuple(fx.shape) == tuple(x.shape)
    needs_projection = stride != 1 or in_channels != out_channels
    extra = _projection_params(in_channels, out_channels) if needs_projection else 0
    branch = _basic_branch_params(in_channels, out_channels)

    shape_rows: tuple[tuple[Any, ...], ...] = (
        ("x", _shape(x), "block input"),
        ("F(x)", _shape(fx), f"two 3x3 convs, the first with stride {stride}"),
        ("identity add F(x) + x", "works" if identity_ok else "shape mismatch", ""),
        (
            "projection W_s·x",
            _shape(px) if needs_projection else "not needed",
            f"1x1 conv {in_channels}→{out_channels}, stride {stride}, + BN"
            if needs_projection
            else "the identity fits",
        ),
    )
    cost_rows: tuple[tuple[Any, ...], ...] = (
        ("residual branch F", branch, "9·C_in·C_out + 9·C_out² + 4·C_out"),
        (
            "projection shortcut",
            extra,
            "C_in·C_out + 2·C_out" if needs_projection else "identity: 0",
        ),
        ("block total", branch + extra, ""),
        ("projection share", round(extra / (branch + extra), 4), ""),
    )

    r34 = _meta(zoo.resnet34)
    blocks = [m for m in r34.modules() if isinstance(m, zoo.BasicBlock)]
    proj_rows = []
    for name, m in r34.named_modules():
        if name.endswith("downsample"):
            conv = m[0]
            proj_rows.append(
                (name, f"{conv.in_channels}→{conv.out_channels}", conv.stride[0], _params(m))
            )
    option_b = sum(row[3] for row in proj_rows)
    option_c = sum(_projection_params(b.conv1.in_channels, b.conv2.out_channels) for b in blocks)
    r34_params = _params(r34)
    option_rows = (
        ("A: zero-padding identity (parameter-free)", 0, 0.0),
        ("B: projection only where the shape changes", option_b, round(option_b / r34_params, 4)),
        ("C: projection on every shortcut", option_c, round(option_c / r34_params, 4)),
    )

    checks = (
        check(
            "the identity add works exactly when stride is 1 and channels match",
            expected=not needs_projection,
            measured=identity_ok,
            source=f"{HE_2015}, eq. (1) vs eq. (2)",
        ),
        check(
            "the 1x1 strided projection brings x to F(x)'s shape",
            expected=_shape(fx),
            measured=_shape(px),
            source="1x1 conv, stride s: H_out = ⌊(H − 1)/s⌋ + 1, as the padded 3x3",
        ),
        check(
            "projection shortcut parameters (1x1 conv + BN)",
            expected=_projection_params(in_channels, out_channels),
            measured=_params(projection),
            source="formula C_in·C_out + 2·C_out",
        ),
        check(
            "residual branch parameters",
            expected=branch,
            measured=_params(block),
            source="formula 9·C_in·C_out + 9·C_out² + 4·C_out",
        ),
        check(
            "ResNet-34 has 3 projection shortcuts (one per stage change)",
            expected=3,
            measured=len(proj_rows),
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
            expected=21_797_672,
            measured=r34_params,
            source=TORCHVISION,
        ),
    )
    return DemoResult(
        demo_id="projection-shortcut",
        title="Identity vs projection shortcut",
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
                f"Basic block {in_channels}→{out_channels}, stride {stride}, at {size}x{size}",
                ("tensor", "shape", "how"),
                shape_rows,
            ),
            Table("Parameter cost", ("part", "params", "formula"), cost_rows),
            Table(
                "ResNet-34's projection shortcuts",
                ("module", "channels", "stride", "params"),
                tuple(proj_rows),
            ),
            Table(
                "ResNet-34 shortcut options (He et al. 2015, sec. 3.3)",
                ("option", "extra params", "share of ResNet-34"),
                option_rows,
                note=f"ResNet-34 with option B has {r34_params:,} parameters.",
            ),
        ),
        checks=checks,
    )


# Q7: the bottleneck block.


@demo(
    "bottleneck-cost",
    title="Bottleneck block vs two 3x3 convs",
    summary="1x1 reduce → 3x3 → 1x1 expand at 256-d costs ~17x fewer MACs than two 3x3 convs.",
    params=(
        Param(
            "channels",
            int,
            256,
            "block input/output channels C (bottleneck width C/4)",
            min=4,
            max=4096,
        ),
        Param("size", int, 56, "height and width of the feature map", min=1, max=224),
    ),
)
def bottleneck_cost(ctx: DemoContext, *, channels: int, size: int) -> DemoResult:
    from cvquiz.demos import zoo

    if channels % 4:
        raise CvquizError(
            f"--set channels={channels}: must be a multiple of 4 (bottleneck width C/4)"
        )
    c, d, hw = channels, channels // 4, size * size
    shape = (1, c, size, size)
    bottleneck = _meta(zoo.Bottleneck, in_ch=c, planes=d)
    basic_wide = _meta(zoo.BasicBlock, in_ch=c, planes=c)
    basic_narrow = _meta(zoo.BasicBlock, in_ch=d, planes=d)

    layers, _ = _costed(bottleneck, shape)
    layer_rows = tuple(
        (r.name, kind, _shape(r.output_shape[1:]), r.params, r.macs)
        for r, kind in zip(
            layers, (f"1x1 reduce {c}→{d}", f"3x3 {d}→{d}", f"1x1 expand {d}→{c}"), strict=True
        )
    )

    blocks = (
        ("bottleneck at C", bottleneck, shape, hw * (2 * c * d + 9 * d * d)),
        ("2 × 3x3 at C", basic_wide, shape, hw * 18 * c * c),
        ("2 × 3x3 at C/4", basic_narrow, (1, d, size, size), hw * 18 * d * d),
    )
    rows, checks_list = [], []
    macs: dict[str, int] = {}
    for name, block, in_shape, formula in blocks:
        analytic, counted = _macs_pair(block, in_shape)
        macs[name] = analytic
        rows.append((name, _params(block), formula, analytic, counted))
        checks_list.append(
            check(
                f"{name}: formula MACs == FlopCounterMode / 2",
                expected=formula,
                measured=counted,
                source=COUNTER,
            )
        )
    b_macs, wide, narrow = (macs[b[0]] for b in blocks)
    ratio = wide / b_macs
    checks_list += [
        check(
            "bottleneck MACs by formula H·W·(2·C·C/4 + 9·(C/4)²)",
            expected=blocks[0][3],
            measured=b_macs,
            source="formula, per conv: H·W·C_in·C_out·k²",
        ),
        check(
            "two 3x3 convs cost 18 / (1/2 + 9/16) = 288/17 ≈ 16.94x the bottleneck's MACs",
            expected=round(288 / 17, 6),
            measured=round(ratio, 6),
            source="formula 18·C² / (C²/2 + 9·C²/16), independent of C",
        ),
        check(
            "bottleneck at 4d has similar time complexity to a basic block at d",
            expected=1.0,
            measured=round(b_macs / narrow, 4),
            source=f"{HE_2015}, Fig. 5 and sec. 4.1 ('similar time complexity')",
            rel_tol=0.1,
        ),
        check(
            "bottleneck parameters: 2·C·C/4 + 9·(C/4)² + BN 2·(C/4 + C/4 + C)",
            expected=2 * c * d + 9 * d * d + 2 * (2 * d + c),
            measured=_params(bottleneck),
            source="formula",
        ),
    ]
    return DemoResult(
        demo_id="bottleneck-cost",
        title="Bottleneck block vs two 3x3 convs",
        explanation=(
            f"A bottleneck squeezes C = {c} channels to {d} with a 1x1 conv, runs the 3x3 conv at "
            f"{d} channels, and expands back to {c} with another 1x1. The 3x3, the costly part, "
            "sees 16x fewer channel pairs.",
            f"Two 3x3 convs at {c} channels would cost {ratio:.2f}x the MACs. That is why "
            "ResNet-50/101/152 use bottlenecks: deeper for about the same compute as ResNet-34.",
            "He et al. (Fig. 5) compare the 256-d bottleneck with the 64-d basic block: similar "
            "time complexity, checked here at any C against the basic block at C/4.",
            "Counted on the meta device; the shortcut add, BN and ReLU are not counted.",
        ),
        tables=(
            Table(
                f"Bottleneck layers at {size}x{size}",
                ("layer", "kind", "output", "params", "MACs"),
                layer_rows,
            ),
            Table(
                f"Blocks at {size}x{size} (C = {c})",
                ("block", "params", "MACs formula", "MACs analytic", "MACs counter"),
                tuple(rows),
                note="bottleneck: 1x1 reduce, 3x3, 1x1 expand; 2 × 3x3 at C/4 is ResNet-34's block. "
                f"Two 3x3 convs / bottleneck = {ratio:.2f}x MACs, "
                f"{_params(basic_wide) / _params(bottleneck):.2f}x params.",
            ),
        ),
        checks=tuple(checks_list),
        convention=MACS,
    )


# Q8: the common depths.

# He et al. 2015, Table 1: blocks per stage (conv2_x .. conv5_x).
DEPTHS: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
    "resnet101": ("bottleneck", (3, 4, 23, 3)),
    "resnet152": ("bottleneck", (3, 8, 36, 3)),
}


@demo(
    "resnet-depths",
    title="ResNet-18/34/50/101/152: blocks, parameters, MACs",
    summary="Builds all five on the meta device: exact params, V1.5 and V1 (paper) MACs.",
)
def resnet_depths(ctx: DemoContext) -> DemoResult:
    from cvquiz.demos import zoo

    delta, first_block_rows, same_params = _v1_vs_v15()
    arch_rows, mac_rows, checks = [], [], []
    for name, (kind, stages) in DEPTHS.items():
        spec = zoo.MODELS[name]
        depth = int(name.removeprefix("resnet"))
        model = _meta(spec.builder)
        params = _params(model)
        analytic, counted = _macs_pair(model, (1, 3, 224, 224))
        convs_per_block = 2 if kind == "basic" else 3
        # Weighted layers as the paper counts them: stem conv + block convs + FC (no projections).
        layers = 1 + convs_per_block * sum(_stage_blocks(model)) + 1
        # V1 and V1.5 differ only in the first bottleneck of stages 2-4, the same in every depth.
        v1 = analytic if kind == "basic" else analytic - delta
        arch_rows.append(
            (f"ResNet-{depth}", kind, "-".join(map(str, _stage_blocks(model))), layers, params)
        )
        mac_rows.append(
            (
                f"ResNet-{depth}",
                _gmacs(analytic),
                spec.reference_gmacs,
                _gmacs(v1),
                PAPER_GMACS[name],
            )
        )
        checks += [
            check(
                f"ResNet-{depth}: {kind} blocks per stage",
                expected="-".join(map(str, stages)),
                measured="-".join(map(str, _stage_blocks(model))),
                source=f"{HE_2015}, Table 1",
            ),
            check(
                f"ResNet-{depth}: {depth} weighted layers",
                expected=depth,
                measured=layers,
                source="1 stem conv + convs per block × blocks + 1 FC",
            ),
            check(
                f"ResNet-{depth}: parameters",
                expected=spec.reference_params,
                measured=params,
                source=TORCHVISION,
            ),
            check(
                f"ResNet-{depth}: analytic MACs == FlopCounterMode / 2",
                expected=analytic,
                measured=counted,
                source=COUNTER,
            ),
            check(
                f"ResNet-{depth}: GMACs (V1.5)",
                expected=spec.reference_gmacs,
                measured=analytic / 1e9,
                source=TORCHVISION,
                abs_tol=0.0005,
            ),
            check(
                f"ResNet-{depth}: GMACs (V1, paper)",
                expected=PAPER_GMACS[name],
                measured=_gmacs(v1),
                source=f"{HE_2015}, Table 1 (one decimal)",
                abs_tol=PAPER_TOL,
            ),
        ]
    checks.append(
        check(
            "V1 and V1.5 blocks have the same parameters (only the stride moves)",
            expected=True,
            measured=same_params,
            source="parameter count of each first block, both variants",
        )
    )
    return DemoResult(
        demo_id="resnet-depths",
        title="ResNet-18/34/50/101/152: blocks, parameters, MACs",
        explanation=(
            "ResNet-18 and -34 stack basic blocks (two 3x3 convs); ResNet-50, -101 and -152 stack "
            "bottlenecks (1x1, 3x3, 1x1) and grow only the number of blocks in stages 3 and 4.",
            "V1 is the paper's bottleneck: the stage's first block strides its first 1x1 conv. "
            "V1.5 (torchvision, NVIDIA) strides the 3x3 instead, so the 1x1 reads the full-size map: "
            "about 6% more MACs for ResNet-50 and, per NVIDIA's model card, about 0.5% better top-1. "
            "The parameters are the same. Basic-block ResNets have no such difference.",
            "The paper prints MACs to one decimal and is off by up to 0.064e9 (ResNet-34: 3.664 "
            "printed as 3.6); the check allows one unit in that last digit.",
            "All models are built on the meta device, so nothing is allocated.",
        ),
        tables=(
            Table(
                "ResNets (He et al. 2015, Table 1)",
                ("model", "block", "blocks per stage", "layers", "params"),
                tuple(arch_rows),
                note=f"params: all equal the {TORCHVISION}.",
            ),
            Table(
                "GMACs at 224x224",
                ("model", "V1.5", "torchvision", "V1", "paper"),
                tuple(mac_rows),
                note="V1.5: torchvision 0.29.1's ResNets; V1: the paper's (He et al. 2015, Table 1).",
            ),
            Table(
                "Where V1 and V1.5 differ: the first bottleneck of stages 2-4",
                ("block", "conv", "V1 stride", "V1 MACs", "V1.5 stride", "V1.5 MACs"),
                first_block_rows,
                note=f"V1.5 − V1 = {delta:,} MACs in every bottleneck ResNet.",
            ),
        ),
        checks=tuple(checks),
        convention=MACS,
    )


def _v1_vs_v15() -> tuple[int, tuple[tuple[Any, ...], ...], bool]:
    """MACs V1.5 adds over V1 (per-conv rows), from the first bottleneck of stages 2-4."""
    from torch import nn

    from cvquiz.demos import zoo

    delta, rows, same_params = 0, [], True
    for stage, (in_ch, planes, size) in enumerate(
        ((256, 128, 56), (512, 256, 28), (1024, 512, 14)), 2
    ):
        costs = {}
        for variant in ("v1", "v1.5"):

            def first_block(in_ch: int, planes: int, variant: str) -> nn.Module:
                downsample = nn.Sequential(
                    zoo.conv1x1(in_ch, 4 * planes, stride=2), nn.BatchNorm2d(4 * planes)
                )
                return zoo.Bottleneck(
                    in_ch, planes, stride=2, downsample=downsample, variant=variant
                )

            block = _meta(first_block, in_ch=in_ch, planes=planes, variant=variant)
            costs[variant] = (zoo.layer_macs(block, (1, in_ch, size, size)), block)
        (v1_rows, v1_block), (v15_rows, v15_block) = costs["v1"], costs["v1.5"]
        same_params = same_params and _params(v1_block) == _params(v15_block)
        for r1, r15 in zip(v1_rows, v15_rows, strict=True):
            c1, c15 = v1_block.get_submodule(r1.name), v15_block.get_submodule(r15.name)
            delta += r15.macs - r1.macs
            if c1.stride != c15.stride:
                rows.append(
                    (f"layer{stage}.0", r1.name, c1.stride[0], r1.macs, c15.stride[0], r15.macs)
                )
    return delta, tuple(rows), same_params


# Q10: BN ordering, post- vs pre-activation.


@demo(
    "pre-activation",
    title="Post-activation vs pre-activation blocks",
    summary="Same params; pre-activation keeps ReLU off the identity path.",
    params=(
        # Ranges keep forward + backward through the stack under a second on two CPU cores.
        Param("channels", int, 64, "channels C of the blocks", min=1, max=64),
        Param("size", int, 16, "height and width of x", min=1, max=32),
        Param("depth", int, 8, "blocks stacked for the identity-path check", min=1, max=16),
    ),
)
def pre_activation(ctx: DemoContext, *, channels: int, size: int, depth: int) -> DemoResult:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from cvquiz.demos import zoo

    gen = torch.Generator().manual_seed(ctx.seed)
    post = zoo.BasicBlock(channels, channels)
    pre = zoo.PreActBasicBlock(channels, channels)
    for block in (post, pre):
        _randomize_bn(block, gen)
        block.to(ctx.device).eval()
    x = torch.randn(2, channels, size, size, generator=gen).to(ctx.device)  # (N, C, H, W)
    with torch.no_grad():
        y_post, y_pre = post(x), pre(x)

    # Zero F: post-activation F ends in BN (gamma = beta = 0 makes it output 0 exactly);
    # pre-activation F ends in a bias-free conv (zero weights make it output 0 exactly).
    with torch.no_grad():
        nn.init.zeros_(post.bn2.weight)
        nn.init.zeros_(post.bn2.bias)
        nn.init.zeros_(pre.conv2.weight)
    xg = x.clone().requires_grad_(True)
    z_post = xg
    for _ in range(depth):
        z_post = post(z_post)
    z_post.sum().backward()
    grad_post = xg.grad.clone()
    xg.grad = None
    z_pre = xg
    for _ in range(depth):
        z_pre = pre(z_pre)
    z_pre.sum().backward()
    grad_pre = xg.grad
    negative = round((x < 0).float().mean().item(), 4)

    order_rows = (
        ("post-activation", "conv-BN-ReLU-conv-BN", "ReLU", round(y_post.min().item(), 4)),
        (
            "pre-activation (v2)",
            "BN-ReLU-conv-BN-ReLU-conv",
            "nothing",
            round(y_pre.min().item(), 4),
        ),
    )
    zero_rows = (
        ("post-activation", "ReLU(x)", _ok(torch.equal(z_post, F.relu(x))), negative,
         round((grad_post == 0).float().mean().item(), 4)),
        ("pre-activation (v2)", "x", _ok(torch.equal(z_pre, x)), 0.0, round((grad_pre == 0).float().mean().item(), 4)),
    )  # fmt: skip
    checks = (
        check(
            "both orderings have the same parameters, 2·(9·C²) + 4·C",
            expected=_params(post),
            measured=_params(pre),
            source="formula 2·(9·C²) + 4·C; the BNs just move",
        ),
        check(
            "a post-activation block never outputs a negative value",
            expected=True,
            measured=bool(y_post.min().item() >= 0),
            source="ReLU after the add",
        ),
        check(
            "a pre-activation block can output negative values",
            expected=True,
            measured=bool(y_pre.min().item() < 0),
            source=f"{HE_2016}: no activation after the add",
        ),
        check(
            f"F zeroed, {depth} pre-activation blocks: output == x exactly",
            expected=True,
            measured=bool(torch.equal(z_pre, x)),
            source="torch.equal; the identity path has no op on it",
        ),
        check(
            f"F zeroed, {depth} post-activation blocks: output == ReLU(x) exactly",
            expected=True,
            measured=bool(torch.equal(z_post, F.relu(x))),
            source="torch.equal; the ReLU after each add sits on the path",
        ),
        check(
            "F zeroed, pre-activation: gradient to x is exactly 1 everywhere",
            expected=True,
            measured=bool(torch.equal(grad_pre, torch.ones_like(grad_pre))),
            source=f"{HE_2016}, eq. (5): ∂E/∂x_l = ∂E/∂x_L·(1 + ∂/∂x_l Σ F)",
        ),
        check(
            "F zeroed, post-activation: gradient is 0 where x < 0",
            expected=negative,
            measured=round((grad_post == 0).float().mean().item(), 4),
            source="fraction of elements; ReLU's derivative is 0 below zero",
        ),
    )
    return DemoResult(
        demo_id="pre-activation",
        title="Post-activation vs pre-activation blocks",
        explanation=(
            "The original block (He et al. 2015) is conv → BN → ReLU inside F, then ReLU after the "
            "add. ResNet v2 (He et al. 2016, 'Identity Mappings') moves BN and ReLU before each conv "
            "(pre-activation) and puts nothing after the add.",
            "Same layers, same parameters; the difference is what lies on the shortcut. With F "
            f"zeroed, a stack of {depth} pre-activation blocks passes x through bit for bit, and the "
            "gradient reaching x is exactly 1; post-activation blocks apply ReLU each time.",
            "Interviewers usually accept conv-BN-ReLU; knowing why v2 moved them is the bonus.",
            f"Ran on real tensors of shape {_shape(x)} with random BN statistics (eval mode).",
        ),
        tables=(
            Table(
                "Where BN and ReLU sit",
                ("block", "residual branch F", "after the add", "min output"),
                order_rows,
            ),
            Table(
                f"F zeroed, {depth} blocks stacked",
                ("block", "output", "exact", "share ≠ x", "zero gradients"),
                zero_rows,
                note="share ≠ x: elements where the output differs from x; zero gradients: share "
                "of elements of ∂Σy/∂x that are 0.",
            ),
        ),
        checks=checks,
    )


# Q19: zero-initialised last BN in each residual branch.


@demo(
    "zero-init-residual",
    title="Zero-init the last BN: every block starts as the identity",
    summary="Last BN γ = 0: block(x) == ReLU(x) exactly; all ResNet-50 branches output 0.",
    params=(
        # Lower bounds keep the default-init branch from being all zeros by chance (a few
        # channels on a 1x1 map can all fall below ReLU's threshold).
        Param(
            "channels",
            int,
            64,
            "channels C of the single blocks (a multiple of 4)",
            min=16,
            max=128,
        ),
        Param("size", int, 32, "height and width of x for the single blocks", min=4, max=64),
        Param("image_size", int, 64, "input size for the full ResNet-50", min=32, max=224),
    ),
)
def zero_init_residual(
    ctx: DemoContext, *, channels: int, size: int, image_size: int
) -> DemoResult:
    import torch
    import torch.nn.functional as F

    from cvquiz.demos import zoo

    if channels % 4:
        raise CvquizError(
            f"--set channels={channels}: must be a multiple of 4 (bottleneck width C/4)"
        )
    gen = torch.Generator().manual_seed(ctx.seed)
    x = torch.randn(2, channels, size, size, generator=gen).to(ctx.device)  # (N, C, H, W)
    relu_x = F.relu(x)

    block_rows, checks = [], []
    for name, block in (
        ("basic block", zoo.BasicBlock(channels, channels)),
        ("bottleneck", zoo.Bottleneck(channels, channels // 4)),
    ):
        block.to(ctx.device).eval()  # freshly initialised: BN β = 0, running mean 0, var 1
        with torch.no_grad():
            before = block(x)
            block.zero_init_residual()  # last BN: γ = 0
            after = block(x)
        block_rows += [
            (name, init, _ok(torch.equal(y, relu_x)), round((y - relu_x).abs().max().item(), 4))
            for init, y in (("default (γ = 1)", before), ("last BN γ = 0", after))
        ]
        checks += [
            check(
                f"{name}, last BN γ = 0: block(x) == ReLU(x) exactly",
                expected=True,
                measured=bool(torch.equal(after, relu_x)),
                source="torch.equal; BN output γ·x̂ + β = 0 when γ = β = 0",
            ),
            check(
                f"{name}, default init: block(x) ≠ ReLU(x)",
                expected=False,
                measured=bool(torch.equal(before, relu_x)),
                source="torch.equal",
            ),
        ]

    # A whole ResNet-50 at init: hook every bottleneck's last BN, the end of its residual branch.
    model = zoo.resnet50(zero_init_residual=True).to(ctx.device).eval()
    blocks = [m for m in model.modules() if isinstance(m, zoo.Bottleneck)]
    zero_branches: list[bool] = []
    handles = [
        b.bn3.register_forward_hook(
            lambda _m, _i, out: zero_branches.append(bool((out == 0).all()))
        )
        for b in blocks
    ]
    image = torch.randn(1, 3, image_size, image_size, generator=gen).to(ctx.device)
    with torch.no_grad():
        model(image)
        zero_init = list(zero_branches)
        zero_branches.clear()
        for b in blocks:
            torch.nn.init.ones_(b.bn3.weight)  # back to the default γ = 1
        model(image)
        default = list(zero_branches)
    for handle in handles:
        handle.remove()

    checks += [
        check(
            "ResNet-50 has 16 residual branches (3 + 4 + 6 + 3 bottlenecks)",
            expected=16,
            measured=len(blocks),
            source=f"{HE_2015}, Table 1",
        ),
        check(
            "ResNet-50, zero_init_residual: every branch outputs exactly 0 at init",
            expected=len(blocks),
            measured=sum(zero_init),
            source="forward hooks on each bottleneck's last BN",
        ),
        check(
            "ResNet-50, default init: no branch outputs all zeros",
            expected=0,
            measured=sum(default),
            source="forward hooks on each bottleneck's last BN",
        ),
    ]
    return DemoResult(
        demo_id="zero-init-residual",
        title="Zero-init the last BN: every block starts as the identity",
        explanation=(
            "Each residual branch ends in a BN whose output is γ·x̂ + β. Initialise γ = 0 (β is 0 "
            "already) and the branch outputs exactly 0, so the block computes ReLU(0 + x): the "
            "shortcut alone (Goyal et al. 2017, 'Accurate, Large Minibatch SGD'; torchvision's "
            "zero_init_residual).",
            "The network then starts as a shallow one, signals and gradients pass through the "
            "shortcuts unchanged, and each block learns its residual from zero: steadier early "
            "training, especially with large batches and learning rates.",
            "γ still receives gradients, so the branches switch on as training starts.",
            f"Single blocks ran on real tensors of shape {_shape(x)} (eval mode, as initialised); "
            f"the ResNet-50 on a real random {image_size}x{image_size} image.",
        ),
        tables=(
            Table(
                "Single blocks: does block(x) equal ReLU(x)?",
                ("block", "init", "equal", "max |block(x) − ReLU(x)|"),
                tuple(block_rows),
            ),
            Table(
                "ResNet-50 residual branches at init",
                ("init", "branches", "output exactly 0"),
                (
                    ("zero_init_residual=True", len(blocks), sum(zero_init)),
                    ("default (γ = 1)", len(blocks), sum(default)),
                ),
            ),
        ),
        checks=tuple(checks),
    )


# Q12: ResNeXt, grouped convolutions.


@demo(
    "resnext-groups",
    title="ResNeXt-50 32x4d vs ResNet-50",
    summary="Cardinality 32: a grouped 3x3 costs 1/32 of a dense one; similar total FLOPs.",
    params=(
        Param(
            "groups",
            int,
            32,
            "cardinality of the 128-channel grouped 3x3 conv",
            choices=(1, 2, 4, 8, 16, 32, 64, 128),
        ),
    ),
)
def resnext_groups(ctx: DemoContext, *, groups: int) -> DemoResult:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    width, size = 128, 56
    models = {}
    model_rows = []
    checks = []
    for name, label in (("resnet50", "ResNet-50"), ("resnext50_32x4d", "ResNeXt-50 32x4d")):
        spec = zoo.MODELS[name]
        model = _meta(spec.builder)
        analytic, counted = _macs_pair(model, (1, 3, 224, 224))
        models[name] = (model, analytic)
        model_rows.append(
            (label, _params(model), spec.reference_params, _gmacs(analytic), spec.reference_gmacs)
        )
        checks += [
            check(
                f"{label}: parameters",
                expected=spec.reference_params,
                measured=_params(model),
                source=TORCHVISION,
            ),
            check(
                f"{label}: analytic MACs == FlopCounterMode / 2",
                expected=analytic,
                measured=counted,
                source=COUNTER,
            ),
            check(
                f"{label}: GMACs",
                expected=spec.reference_gmacs,
                measured=analytic / 1e9,
                source=TORCHVISION,
                abs_tol=0.0005 if name == "resnet50" else 0.005,
            ),
        ]
    (r50, r50_macs), (rx50, rx50_macs) = models["resnet50"], models["resnext50_32x4d"]

    # The same position in both: the second bottleneck of stage 1 (256 channels in and out).
    block_rows = []
    block_macs = {}
    for label, model in (("ResNet-50", r50), ("ResNeXt-50 32x4d", rx50)):
        block = model.layer1[1]
        for r in zoo.layer_macs(block, (1, 256, size, size)):
            conv = block.get_submodule(r.name)
            block_rows.append(
                (label, r.name, f"{conv.kernel_size[0]}x{conv.kernel_size[1]} {conv.in_channels}→{conv.out_channels}",
                 conv.groups, r.params, r.macs)
            )  # fmt: skip
        block_macs[label] = zoo.analytic_macs(block, (1, 256, size, size))

    # A lone 3x3 conv at the ResNeXt width, dense vs grouped, counted by torch.
    with torch.device("meta"):
        dense = nn.Conv2d(width, width, 3, padding=1, bias=False)
        grouped = nn.Conv2d(width, width, 3, padding=1, groups=groups, bias=False)
    shape = (1, width, size, size)
    dense_macs, grouped_macs = zoo.counter_macs(dense, shape), zoo.counter_macs(grouped, shape)
    conv_rows = (
        ("dense", 1, width, _params(dense), dense_macs),
        (
            f"grouped ({groups} x {width // groups})",
            groups,
            width // groups,
            _params(grouped),
            grouped_macs,
        ),
    )
    checks += [
        check(
            f"a grouped 3x3 conv has 1/{groups} of the dense conv's parameters",
            expected=9 * width * width // groups,
            measured=_params(grouped),
            source="formula 9·C·C / groups",
        ),
        check(
            f"…and 1/{groups} of its MACs",
            expected=dense_macs // groups,
            measured=grouped_macs,
            source=f"{COUNTER}; formula H·W·9·C·C / groups",
        ),
        check(
            "ResNeXt-50 32x4d costs about the same MACs as ResNet-50",
            expected=1.0,
            measured=round(rx50_macs / r50_macs, 4),
            source="Xie et al. 2017, Table 1 (4.2e9 vs 4.1e9 FLOPs)",
            rel_tol=0.05,
        ),
        check(
            "ResNeXt-50 32x4d has slightly fewer parameters than ResNet-50",
            expected=True,
            measured=_params(rx50) < _params(r50),
            source="Xie et al. 2017, Table 1 (25.0M vs 25.5M)",
        ),
    ]
    return DemoResult(
        demo_id="resnext-groups",
        title="ResNeXt-50 32x4d vs ResNet-50",
        explanation=(
            "ResNeXt (Xie et al. 2017) keeps ResNet-50's layout but splits the bottleneck's 3x3 conv "
            "into 32 parallel paths (cardinality) of 4 channels each: one grouped conv over "
            "32 × 4 = 128 channels instead of a dense conv over 64.",
            f"A grouped conv connects each output only to its own group's inputs, so it costs "
            f"1/groups of a dense conv at the same width. The saving pays for a wider block "
            f"(128 vs 64 channels): {block_macs['ResNeXt-50 32x4d']:,} vs "
            f"{block_macs['ResNet-50']:,} MACs for the stage-1 block.",
            "Same depth, similar FLOPs and parameters; Xie et al. report 22.2% vs 23.9% top-1 "
            "error on ImageNet (Table 3); raising cardinality gains more than going deeper or "
            "wider at the same cost (Table 4).",
            "Counted on the meta device.",
        ),
        tables=(
            Table(
                "Whole models at 224x224",
                ("model", "params", "reference", "GMACs", "reference"),
                tuple(model_rows),
                note=f"ResNeXt / ResNet MACs = {rx50_macs / r50_macs:.3f}; params = "
                f"{_params(rx50) / _params(r50):.3f}. Reference: {TORCHVISION}.",
            ),
            Table(
                f"Stage-1 bottleneck (layer1.1) at {size}x{size}",
                ("model", "conv", "shape", "groups", "params", "MACs"),
                tuple(block_rows),
            ),
            Table(
                f"A {width}-channel 3x3 conv at {size}x{size}",
                ("conv", "groups", "channels per group", "params", "MACs"),
                conv_rows,
            ),
        ),
        checks=tuple(checks),
        convention=MACS,
    )


# Q13: ResNet as a detection backbone.

FPN_CHANNELS = 256  # Lin et al. 2017, "Feature Pyramid Networks": d = 256 everywhere
BACKBONES = ("resnet18", "resnet34", "resnet50", "resnet101")


def _stage_features(model: nn.Module, size: int) -> dict[str, torch.Tensor]:
    """C1 (stem, stride 2) and C2-C5 (stages 1-4) of a zoo ResNet, on the model's device."""
    features: dict[str, torch.Tensor] = {}
    handles = [model.relu.register_forward_hook(lambda _m, _i, out: features.setdefault("C1", out))]
    handles += [
        getattr(model, f"layer{i}").register_forward_hook(
            lambda _m, _i, out, key=f"C{i + 1}": features.__setitem__(key, out)
        )
        for i in range(1, 5)
    ]
    try:
        model(_zeros_like_model(model, (1, 3, size, size)))
    finally:
        for handle in handles:
            handle.remove()
    return features


def _zeros_like_model(model: nn.Module, shape: tuple[int, ...]) -> torch.Tensor:
    import torch

    return torch.zeros(shape, device=next(model.parameters()).device)


def _check_size(size: int) -> None:
    if size % 32:
        raise CvquizError(f"--set size={size}: must be a multiple of 32 (the backbone's stride)")


@demo(
    "fpn-features",
    title="ResNet as a detection backbone: C2-C5 and an FPN",
    summary="C2-C5 at strides 4/8/16/32, their channels, and what an FPN costs.",
    params=(
        Param(
            "size",
            int,
            224,
            "input height and width (a multiple of 32; detectors use ~800)",
            min=32,
            max=1344,
        ),
        Param("backbone", str, "resnet50", "the ResNet backbone", choices=BACKBONES),
    ),
)
def fpn_features(ctx: DemoContext, *, size: int, backbone: str) -> DemoResult:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from cvquiz.demos import zoo

    _check_size(size)
    model = _meta(zoo.MODELS[backbone].builder)
    expansion = model.block.expansion
    with torch.no_grad():
        feats = _stage_features(model, size)
    levels = ("C2", "C3", "C4", "C5")
    channels = [feats[c].shape[1] for c in levels]

    with torch.device("meta"):
        laterals = nn.ModuleList(nn.Conv2d(c, FPN_CHANNELS, 1) for c in channels)
        outputs = nn.ModuleList(
            nn.Conv2d(FPN_CHANNELS, FPN_CHANNELS, 3, padding=1) for _ in channels
        )
    # Top-down pathway: upsample the coarser level 2x (nearest) and add the lateral 1x1.
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        lat = [conv(feats[c]) for conv, c in zip(laterals, levels, strict=True)]
        merged = [lat[-1]]
        for level in reversed(lat[:-1]):
            merged.insert(0, level + F.interpolate(merged[0], scale_factor=2.0, mode="nearest"))
        pyramid = [conv(p) for conv, p in zip(outputs, merged, strict=True)]
    fpn_macs = counter.get_total_flops() // 2

    used_by = {
        "C2": "FPN P2",
        "C3": "FPN P3, RetinaNet",
        "C4": "FPN P4, Faster R-CNN C4",
        "C5": "FPN P5, RetinaNet",
    }
    rows = []
    checks = []
    for i, (c, p) in enumerate(zip(levels, pyramid, strict=True)):
        f = feats[c]
        stride = size // f.shape[-1]
        rows.append(
            (c, stride, f.shape[1], f"{f.shape[-2]}x{f.shape[-1]}", _shape(p.shape[1:]), used_by[c])
        )
        checks += [
            check(
                f"{c} has stride {2 ** (i + 2)} (input / feature size)",
                expected=2 ** (i + 2),
                measured=stride,
                source=f"{HE_2015}, Table 1 (output sizes 56, 28, 14, 7 at 224)",
            ),
            check(
                f"{c} has {64 * 2**i * expansion} channels",
                expected=64 * 2**i * expansion,
                measured=f.shape[1],
                source=f"{HE_2015}, Table 1: 64·2^i · expansion {expansion}",
            ),
        ]
    lateral_params = sum(_params(m) for m in laterals)
    output_params = sum(_params(m) for m in outputs)
    lateral_formula = sum(channels) * FPN_CHANNELS + len(channels) * FPN_CHANNELS
    checks += [
        check(
            "FPN lateral 1x1 convs (with bias): Σ C_i·256 + 4·256 parameters",
            expected=lateral_formula,
            measured=lateral_params,
            source="formula; Lin et al. 2017, d = 256",
        ),
        check(
            "every pyramid level P2-P5 has 256 channels at its C level's size",
            expected=str([(FPN_CHANNELS, *feats[c].shape[-2:]) for c in levels]),
            measured=str([tuple(p.shape[1:]) for p in pyramid]),
            source="Lin et al. 2017, sec. 3",
        ),
        check(
            "FPN MACs: lateral 1x1s + 3x3 outputs by formula",
            expected=sum(
                (c + 9 * FPN_CHANNELS) * FPN_CHANNELS * feats[lv].shape[-2] * feats[lv].shape[-1]
                for c, lv in zip(channels, levels, strict=True)
            ),
            measured=fpn_macs,
            source=f"{COUNTER}; formula Σ H_i·W_i·(C_i + 9·256)·256",
        ),
    ]
    return DemoResult(
        demo_id="fpn-features",
        title="ResNet as a detection backbone: C2-C5 and an FPN",
        explanation=(
            "Detectors cut the classifier off a ResNet and read the outputs of its four stages, "
            "C2-C5, at strides 4, 8, 16, 32. Faster R-CNN's original ResNet version uses C4 for "
            "proposals and runs stage 5 on each RoI; FPN and RetinaNet use the whole pyramid.",
            "FPN (Lin et al. 2017) brings each C_i to 256 channels with a lateral 1x1 conv, adds "
            "the 2x-upsampled coarser level (top-down pathway), then smooths with a 3x3 conv: "
            "strong semantics at every scale.",
            f"The {backbone} backbone has {_params(model) - _params(model.fc):,} parameters without "
            f"its FC; the FPN adds {lateral_params + output_params:,} "
            f"({lateral_params:,} lateral + {output_params:,} output convs).",
            "Shapes come from a forward pass on the meta device: nothing is allocated.",
        ),
        tables=(
            Table(
                f"{backbone} features at {size}x{size}",
                ("level", "stride", "channels", "H×W", "FPN output", "used by"),
                tuple(rows),
                note="C2-C5: outputs of layer1-layer4. RetinaNet builds P3-P7 (P6, P7 from C5).",
            ),
            Table(
                "FPN cost",
                ("part", "params", "formula"),
                (
                    ("lateral 1x1 convs", lateral_params, f"Σ C_i·256 + 4·256 = {lateral_formula}"),
                    ("output 3x3 convs", output_params, "4·(9·256·256 + 256)"),
                    ("FPN total", lateral_params + output_params, ""),
                    (f"FPN MACs at {size}x{size}", fpn_macs, "counted by FlopCounterMode"),
                ),
            ),
        ),
        checks=tuple(checks),
        convention=MACS,
    )


# Q14: ResNet as a segmentation encoder.

DECODER_CHANNELS = (256, 128, 64, 32, 16)  # as in segmentation_models_pytorch's U-Net


@demo(
    "segmentation-decoder",
    title="ResNet encoder + U-Net decoder for segmentation",
    summary="Encoder down to stride 32, decoder with skip concats back to full resolution.",
    params=(
        Param(
            "backbone",
            str,
            "resnet50",
            "the ResNet encoder",
            choices=("resnet18", "resnet34", "resnet50"),
        ),
        Param("size", int, 224, "input height and width (a multiple of 32)", min=32, max=1024),
        Param("classes", int, 21, "segmentation classes (21 for PASCAL VOC)", min=1, max=1000),
    ),
)
def segmentation_decoder(ctx: DemoContext, *, backbone: str, size: int, classes: int) -> DemoResult:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from cvquiz.demos import zoo

    _check_size(size)
    encoder = _meta(zoo.MODELS[backbone].builder)
    with torch.no_grad():
        feats = _stage_features(encoder, size)
    # Decoder stage i: upsample 2x, concat the skip of the same stride, two conv-BN-ReLU.
    skips = ["C4", "C3", "C2", "C1", None]
    in_ch = feats["C5"].shape[1]
    specs = []
    for out_ch, skip in zip(DECODER_CHANNELS, skips, strict=True):
        skip_ch = feats[skip].shape[1] if skip else 0
        specs.append((in_ch, skip_ch, out_ch, skip))
        in_ch = out_ch
    with torch.device("meta"):
        stages = nn.ModuleList(
            nn.Sequential(zoo.conv_bn_act(i + s, o), zoo.conv_bn_act(o, o)) for i, s, o, _ in specs
        )
        head = nn.Conv2d(DECODER_CHANNELS[-1], classes, 3, padding=1)
    stages.eval()

    rows = [("input", "", 1, 3, f"{size}x{size}")]
    rows += [
        (
            c,
            "encoder",
            size // feats[c].shape[-1],
            feats[c].shape[1],
            f"{feats[c].shape[-2]}x{feats[c].shape[-1]}",
        )
        for c in ("C1", "C2", "C3", "C4", "C5")
    ]
    with torch.no_grad():
        y = feats["C5"]  # (N, C5, H/32, W/32)
        for stage, (_, _, _, skip) in zip(stages, specs, strict=True):
            y = F.interpolate(y, scale_factor=2.0, mode="nearest")  # (N, C, 2H, 2W)
            if skip:
                y = torch.cat([y, feats[skip]], dim=1)  # (N, C + C_skip, 2H, 2W)
            y = stage(y)
            rows.append(
                (f"D{size // y.shape[-1]}", f"decoder (+{skip})" if skip else "decoder", size // y.shape[-1],
                 y.shape[1], f"{y.shape[-2]}x{y.shape[-1]}")
            )  # fmt: skip
        logits = head(y)  # (N, classes, H, W)
    rows.append(
        (
            "logits",
            "3x3 head",
            size // logits.shape[-1],
            logits.shape[1],
            f"{logits.shape[-2]}x{logits.shape[-1]}",
        )
    )

    def conv_bn(c_in: int, c_out: int) -> int:
        return 9 * c_in * c_out + 2 * c_out

    decoder_formula = sum(conv_bn(i + s, o) + conv_bn(o, o) for i, s, o, _ in specs)
    decoder_params = _params(stages)
    encoder_params = _params(encoder) - _params(encoder.fc)
    checks = (
        check(
            "the encoder's last feature map has output stride 32",
            expected=32,
            measured=size // feats["C5"].shape[-1],
            source=f"{HE_2015}, Table 1",
        ),
        check(
            "the decoder restores the input resolution: logits H×W == input H×W",
            expected=f"{size}x{size}",
            measured=f"{logits.shape[-2]}x{logits.shape[-1]}",
            source="5 upsamplings × 2 = 32",
        ),
        check(
            f"one score per class per pixel: {classes} output channels",
            expected=classes,
            measured=logits.shape[1],
            source="3x3 conv head",
        ),
        check(
            "decoder parameters: Σ 9·(C_in + C_skip)·C_out + 9·C_out² + BN",
            expected=decoder_formula,
            measured=decoder_params,
            source="formula, two conv-BN-ReLU per stage",
        ),
    )
    return DemoResult(
        demo_id="segmentation-decoder",
        title="ResNet encoder + U-Net decoder for segmentation",
        explanation=(
            f"The encoder is {backbone} without its pooling and FC, usually with ImageNet-pretrained "
            "weights: it downsamples to stride 32 while building semantic features.",
            "A U-Net-style decoder climbs back: each stage upsamples 2x, concatenates the encoder "
            "feature map of the same stride (the skip connection that restores detail), and mixes "
            "with two 3x3 conv-BN-ReLU. A 3x3 head gives per-pixel class scores.",
            "DeepLab takes the other route: dilated convs keep the last stages at stride 8 or 16 and "
            "ASPP (parallel dilated 3x3 convs) gathers context before a light decoder.",
            "Shapes come from a forward pass on the meta device: nothing is allocated.",
        ),
        tables=(
            Table(
                f"{backbone} U-Net at {size}x{size}",
                ("tensor", "part", "stride", "channels", "H×W"),
                tuple(rows),
            ),
            Table(
                "Parameters",
                ("part", "params"),
                (
                    (f"encoder ({backbone} without FC)", encoder_params),
                    (f"decoder ({', '.join(map(str, DECODER_CHANNELS))} channels)", decoder_params),
                    (f"head (3x3 conv to {classes} classes)", _params(head)),
                ),
            ),
        ),
        checks=checks,
    )


# Q15: ResNet vs VGG.


@demo(
    "vgg-vs-resnet",
    title="VGG-16 vs ResNet-50: parameters and MACs",
    summary="5.4x the parameters (89% in VGG's FC layers) and 3.8x the MACs of ResNet-50.",
)
def vgg_vs_resnet(ctx: DemoContext) -> DemoResult:
    from cvquiz.demos import zoo

    found = {}
    for name in ("vgg16", "resnet50"):
        model = _meta(zoo.MODELS[name].builder)
        layers, counted = _costed(model, (1, 3, 224, 224))
        found[name] = (model, layers, counted)
    vgg, vgg_layers, vgg_counted = found["vgg16"]
    r50, r50_layers, r50_counted = found["resnet50"]
    vgg_macs = sum(r.macs for r in vgg_layers)
    vgg_conv_macs = sum(r.macs for r in vgg_layers if r.kind == "conv")
    r50_macs = sum(r.macs for r in r50_layers)
    r50_v1_macs = r50_macs - _v1_vs_v15()[0]
    vgg_fc = _params(vgg.classifier)
    vgg_fc_formula = (512 * 7 * 7 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    r50_fc = _params(r50.fc)

    def share(part: int, whole: int) -> float:
        return round(part / whole, 4)

    param_rows = (
        ("VGG-16", 16, _params(vgg), vgg_fc, share(vgg_fc, _params(vgg))),
        ("ResNet-50", 50, _params(r50), r50_fc, share(r50_fc, _params(r50))),
    )
    mac_rows = (
        ("VGG-16", _gmacs(vgg_macs), _gmacs(vgg_conv_macs), 15.3),
        (
            "ResNet-50 (V1.5)",
            _gmacs(r50_macs),
            _gmacs(sum(r.macs for r in r50_layers if r.kind != "linear")),
            None,
        ),
        ("ResNet-50 (V1)", _gmacs(r50_v1_macs), None, 3.8),
    )
    stage_rows = []
    for label, layers in (("VGG-16", vgg_layers), ("ResNet-50", r50_layers)):
        by_size: dict[int, list[int]] = {}
        for r in layers:
            if r.kind != "linear":
                entry = by_size.setdefault(r.output_shape[-1], [0, 0])
                entry[0] += r.params
                entry[1] += r.macs
        stage_rows += [(label, f"{s}x{s}", p, m) for s, (p, m) in by_size.items()]

    checks = (
        check(
            "VGG-16: parameters", expected=138_357_544, measured=_params(vgg), source=TORCHVISION
        ),
        check(
            "ResNet-50: parameters", expected=25_557_032, measured=_params(r50), source=TORCHVISION
        ),
        check(
            "VGG-16: analytic MACs == FlopCounterMode / 2",
            expected=vgg_macs,
            measured=vgg_counted,
            source=COUNTER,
        ),
        check(
            "ResNet-50: analytic MACs == FlopCounterMode / 2",
            expected=r50_macs,
            measured=r50_counted,
            source=COUNTER,
        ),
        check(
            "VGG-16: GMACs",
            expected=15.47,
            measured=vgg_macs / 1e9,
            source=TORCHVISION,
            abs_tol=0.005,
        ),
        check(
            "ResNet-50: GMACs",
            expected=4.089,
            measured=r50_macs / 1e9,
            source=TORCHVISION,
            abs_tol=0.0005,
        ),
        check(
            "VGG-16: 15.3e9 multiply-adds (the paper counts its conv layers)",
            expected=15.3,
            measured=_gmacs(vgg_conv_macs),
            source=f"{HE_2015}, sec. 4.1 ('VGG-16/19 nets (15.3/19.6 billion FLOPs)')",
            abs_tol=0.05,
        ),
        check(
            "ResNet-50 (V1): 3.8e9 multiply-adds",
            expected=3.8,
            measured=_gmacs(r50_v1_macs),
            source=f"{HE_2015}, Table 1 (one decimal)",
            abs_tol=PAPER_TOL,
        ),
        check(
            "VGG-16's three FC layers hold its parameters: (25088+1)·4096 + (4096+1)·4096 + (4096+1)·1000",
            expected=vgg_fc_formula,
            measured=vgg_fc,
            source="formula, weights + biases",
        ),
        check(
            "VGG-16 needs more MACs than ResNet-50 (and even ResNet-152's 11.3e9)",
            expected=True,
            measured=vgg_macs > r50_macs and vgg_conv_macs > 11.3e9,
            source=f"{HE_2015}, sec. 4.1",
        ),
    )
    return DemoResult(
        demo_id="vgg-vs-resnet",
        title="VGG-16 vs ResNet-50: parameters and MACs",
        explanation=(
            f"VGG-16 has {_params(vgg) / _params(r50):.1f}x ResNet-50's parameters and "
            f"{vgg_macs / r50_macs:.1f}x its MACs, yet ResNet-50 is more accurate: He et al. report "
            "22.85% vs 28.07% top-1 error (10-crop, Table 3).",
            f"{share(vgg_fc, _params(vgg)):.0%} of VGG-16's parameters sit in its three FC layers (the "
            "first alone maps 512x7x7 to 4096). ResNet replaces them with global average pooling "
            "and a single 2048→1000 FC.",
            "VGG's compute is 3x3 convs at full width on large maps (64 channels at 224x224); "
            "ResNet shrinks the map fast in the stem (7x7 stride 2, max pool) and its bottlenecks "
            "run the 3x3s at a quarter of the block width.",
            "The paper's 15.3e9 for VGG-16 matches its conv layers (the FCs add 0.12e9 more).",
        ),
        tables=(
            Table(
                "Parameters",
                ("model", "layers", "params", "in FC layers", "FC share"),
                param_rows,
            ),
            Table(
                "GMACs at 224x224",
                ("model", "all layers", "conv layers", "paper"),
                mac_rows,
                note="paper: He et al. 2015, sec. 4.1 (VGG-16) and Table 1 (ResNet-50, V1).",
            ),
            Table(
                "Where the conv work happens (by output size)",
                ("model", "output size", "params", "MACs"),
                tuple(stage_rows),
            ),
        ),
        checks=checks,
        convention=MACS,
    )


# Q17: ResNet vs DenseNet.


@demo(
    "densenet-vs-resnet",
    title="DenseNet-121 vs ResNet-50: concatenate vs add",
    summary="Concatenation grows channels k0 + l·k: fewer params and MACs, more activations.",
)
def densenet_vs_resnet(ctx: DemoContext) -> DemoResult:

    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.classic import DenseBlock, DenseLayer

    dense = _meta(zoo.densenet121)
    r50 = _meta(zoo.resnet50)
    # What each dense layer reads: the concatenation of everything before it in its block.
    blocks = [m for m in dense.modules() if isinstance(m, DenseBlock)]
    layer_reads: dict[int, list[tuple[int, ...]]] = {i: [] for i in range(len(blocks))}
    handles = [
        layer.register_forward_pre_hook(
            lambda _m, inp, i=i: layer_reads[i].append(tuple(inp[0].shape))
        )
        for i, block in enumerate(blocks)
        for layer in block.modules()
        if isinstance(layer, DenseLayer)
    ]
    d_layers, d_counted = _costed(dense, (1, 3, 224, 224))
    for handle in handles:
        handle.remove()
    # What each ResNet-50 bottleneck reads and writes, stage by stage.
    stage_io: dict[int, list[tuple[tuple[int, ...], tuple[int, ...]]]] = {i: [] for i in range(4)}
    handles = [
        block.register_forward_hook(
            lambda _m, inp, out, i=i: stage_io[i].append((tuple(inp[0].shape), tuple(out.shape)))
        )
        for i in range(4)
        for block in getattr(r50, f"layer{i + 1}")
    ]
    r_layers, r_counted = _costed(r50, (1, 3, 224, 224))
    for handle in handles:
        handle.remove()

    def numel(shape: tuple[int, ...]) -> int:
        n = 1
        for d in shape:
            n *= d
        return n

    k, rows, checks = 32, [], []
    for i, block in enumerate(blocks):
        reads = layer_reads[i]
        n, (_, k0, h, w) = len(block.layers), reads[0]
        concat_elems = sum(numel(shape) for shape in reads)
        resnet_elems = sum(numel(inp) for inp, _ in stage_io[i])
        rows.append((f"block {i + 1}", n, k0, k0 + n * k, f"{h}x{w}", concat_elems, resnet_elems))
        checks += [
            check(
                f"dense block {i + 1}: channels grow to k0 + L·k = {k0} + {n}·{k}",
                expected=k0 + n * k,
                measured=reads[-1][1] + k,
                source="Huang et al. 2017, eq. (2): x_l = H_l(x_0 ‖ … ‖ x_(l-1))",
            ),
            check(
                f"dense block {i + 1}: its layers read Σ (k0 + l·k)·H·W elements",
                expected=sum((k0 + layer * k) * h * w for layer in range(n)),
                measured=concat_elems,
                source="formula; each concat is a new tensor unless memory is shared",
            ),
        ]
    widths = [sorted({out[1] for _, out in stage_io[i]}) for i in range(4)]
    d_params, r_params = _params(dense), _params(r50)
    d_macs, r_macs = sum(r.macs for r in d_layers), sum(r.macs for r in r_layers)
    checks += [
        check(
            "DenseNet-121: parameters", expected=7_978_856, measured=d_params, source=TORCHVISION
        ),
        check("ResNet-50: parameters", expected=25_557_032, measured=r_params, source=TORCHVISION),
        check(
            "DenseNet-121: analytic MACs == FlopCounterMode / 2",
            expected=d_macs,
            measured=d_counted,
            source=COUNTER,
        ),
        check(
            "ResNet-50: analytic MACs == FlopCounterMode / 2",
            expected=r_macs,
            measured=r_counted,
            source=COUNTER,
        ),
        check(
            "DenseNet-121: GMACs",
            expected=2.834,
            measured=d_macs / 1e9,
            source=TORCHVISION,
            abs_tol=0.0005,
        ),
        check(
            "ResNet-50: GMACs",
            expected=4.089,
            measured=r_macs / 1e9,
            source=TORCHVISION,
            abs_tol=0.0005,
        ),
        check(
            "ResNet's addition keeps the width: every block of a stage outputs the same channels",
            expected=str([[256], [512], [1024], [2048]]),
            measured=str(widths),
            source=f"{HE_2015}: y = F(x) + x",
        ),
    ]
    d_total, r_total = sum(r[5] for r in rows), sum(r[6] for r in rows)
    return DemoResult(
        demo_id="densenet-vs-resnet",
        title="DenseNet-121 vs ResNet-50: concatenate vs add",
        explanation=(
            "ResNet adds: y = F(x) + x keeps the width, one skip per block. DenseNet (Huang et al. "
            "2017) concatenates: layer l reads x_0 ‖ x_1 ‖ … ‖ x_(l-1) (‖: concatenation), so a "
            "block's width grows by the growth rate k = 32 with every layer (64 + 6·32 = 256 in "
            "block 1).",
            f"Reusing features makes DenseNet-121 small: {d_params:,} parameters "
            f"({r_params / d_params:.1f}x fewer than ResNet-50) and {d_macs / 1e9:.2f} vs "
            f"{r_macs / 1e9:.2f} GMACs.",
            "The price is memory: each concatenation is a fresh tensor in a naive implementation, "
            f"so the dense layers read {d_total:,} elements against {r_total:,} for ResNet-50's "
            "blocks, and those maps are kept for backprop. Memory-efficient DenseNets share the "
            "concat storage and recompute BN-ReLU (Pleiss et al. 2017).",
            "Counted on the meta device: shapes only.",
        ),
        tables=(
            Table(
                "Dense blocks of DenseNet-121 at 224x224 (k = 32)",
                ("block", "layers L", "in k0", "out k0 + L·k", "H×W", "concat reads", "ResNet-50"),
                tuple(rows),
                note="concat reads: elements of every dense layer's concatenated input, summed; "
                "ResNet-50: elements of its block inputs in the stage at the same resolution.",
            ),
            Table(
                "Whole models at 224x224",
                ("model", "params", "GMACs", "combines by"),
                (
                    ("DenseNet-121", d_params, _gmacs(d_macs), "concatenation"),
                    ("ResNet-50", r_params, _gmacs(r_macs), "addition"),
                ),
            ),
        ),
        checks=tuple(checks),
        convention=MACS,
    )


# Q2, Q5: CIFAR-10 ResNets and their plain twins (the degradation experiment's models).

# He et al. 2015, Table 6: parameters of the CIFAR-10 ResNets, as printed (millions).
CIFAR_PAPER_PARAMS = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}
FIG1_DEPTHS = (20, 56)  # He et al. 2015, Fig. 1: the 56-layer plain net trains worse than the 20


@demo(
    "cifar-resnets",
    title="CIFAR-10 ResNets 20-110 and their plain twins",
    summary="CIFAR ResNets 20-110: option A shortcuts add no params or MACs to the plain twin.",
)
def cifar_resnets(ctx: DemoContext) -> DemoResult:
    from cvquiz.demos import zoo

    rows, checks = [], []
    shape = (1, 3, 32, 32)
    for depth, paper in CIFAR_PAPER_PARAMS.items():
        resnet = _meta(zoo.cifar_resnet, depth=depth)
        plain = _meta(zoo.cifar_resnet, depth=depth, plain=True)
        macs, counted = _macs_pair(resnet, shape)
        # The MAC comparison runs for the pair of the paper's Fig. 1 (20 and 56 layers) only,
        # which keeps the demo under a second; the parameter comparison runs for every depth.
        plain_macs = zoo.analytic_macs(plain, shape) if depth in FIG1_DEPTHS else None
        params = _params(resnet)
        rows.append((f"ResNet-{depth}", params, _params(plain), macs, plain_macs, paper))
        digits = 2 if paper < 1 else 1
        checks += [
            check(
                f"ResNet-{depth}: {paper}M parameters",
                expected=paper,
                measured=round(params / 1e6, digits),
                source="He et al. 2015, Table 6 (rounded as printed)",
            ),
            check(
                f"ResNet-{depth}: parameters by formula",
                expected=zoo.cifar_resnet_params(depth),
                measured=params,
                source="formula: convs + BN γ, β + FC; option A adds none",
            ),
            check(
                f"ResNet-{depth}: the plain twin has exactly the same parameters",
                expected=params,
                measured=_params(plain),
                source="option A shortcuts (zero padding) are parameter-free",
            ),
            check(
                f"ResNet-{depth}: analytic MACs == FlopCounterMode / 2",
                expected=macs,
                measured=counted,
                source=COUNTER,
            ),
        ]
        if plain_macs is not None:
            checks.append(
                check(
                    f"ResNet-{depth}: the plain twin has exactly the same MACs",
                    expected=macs,
                    measured=plain_macs,
                    source="the identity add and zero padding are no multiply-accumulates",
                )
            )
    option_b = _meta(zoo.cifar_resnet, depth=20, shortcut="B")
    checks.append(
        check(
            "option B (1x1 projections where the shape changes) adds 16·32 + 2·32 + 32·64 + 2·64",
            expected=_projection_params(16, 32) + _projection_params(32, 64),
            measured=_params(option_b) - rows[0][1],
            source=f"{HE_2015}, sec. 3.3; ResNet-20 built with option B",
        )
    )
    return DemoResult(
        demo_id="cifar-resnets",
        title="CIFAR-10 ResNets 20-110 and their plain twins",
        explanation=(
            "He et al. (sec. 4.2) ran their degradation study on CIFAR-10 with 6n+2-layer nets: a "
            "3x3 conv, three stages of n basic blocks at 16, 32 and 64 channels, pooling and an FC.",
            "The shortcuts are option A: identity, and where the shape changes, subsampling plus "
            "zero-padded channels. They add no parameters and no multiply-accumulates, so each "
            "ResNet and its plain twin are the same size and cost: the comparison isolates the "
            "shortcut itself.",
            "Yet the deeper plain nets reach higher training error (degradation: an optimisation "
            "problem, not overfitting), while the ResNets keep improving with depth: learning a "
            "residual around the identity is easier than learning the whole mapping.",
            "No training here; counted on the meta device.",
        ),
        tables=(
            Table(
                "CIFAR-10 nets at 32x32 (He et al. 2015, sec. 4.2)",
                ("model", "params", "plain twin", "MACs", "plain MACs", "paper M"),
                tuple(rows),
                note=f"Option B's two 1x1 projections + BN would add {checks[-1].measured:,} parameters "
                "at any depth. plain MACs: measured for the Fig. 1 pair (20, 56). paper: millions "
                "of parameters, Table 6.",
            ),
        ),
        checks=tuple(checks),
        convention=MACS,
    )


# Q11 and Q9: signal propagation through deep stacks (He init; shortcuts as gradient highways).

# 64 channels keep each layer's random gain close to its expectation; a 4x4 map with circular
# padding keeps the work small (fan-in does not depend on the map size).
STACK_WIDTH, STACK_SIZE, STACK_BATCH = 64, 4, 2
SMALL_STD = 0.01  # the fixed Gaussian of pre-2015 practice (AlexNet, early VGG attempts)
HE_2015B = "He et al. 2015, 'Delving Deep into Rectifiers'"


def _stack_weights(
    depth: int, *, var: float, generator: torch.Generator, dtype: torch.dtype
) -> list[torch.Tensor]:
    """`depth` 3x3 conv kernels (width → width) drawn from N(0, var)."""
    import torch

    shape = (STACK_WIDTH, STACK_WIDTH, 3, 3)
    return [torch.randn(shape, generator=generator, dtype=dtype) * var**0.5 for _ in range(depth)]


def _conv(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """3x3 conv with circular padding: every output sees all 9·C inputs, so fan-in is exact."""
    import torch.nn.functional as F

    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="circular"), w)


def _run_stack(
    x: torch.Tensor, weights: list[torch.Tensor], *, residual: bool
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Plain: h = ReLU(conv(h)) per weight. Residual: h = h + conv(ReLU(conv(ReLU(h)))) per pair."""
    import torch.nn.functional as F

    h, outputs = x, []
    if residual:
        for w1, w2 in zip(weights[::2], weights[1::2], strict=True):
            h = h + _conv(F.relu(_conv(F.relu(h), w1)), w2)  # identity path: nothing on it
            outputs.append(h)
    else:
        for w in weights:
            h = F.relu(_conv(h, w))  # (N, C, H, W)
            outputs.append(h)
    return outputs, h


def _mean_square(t: torch.Tensor) -> float:
    return t.pow(2).mean().item()


@demo(
    "he-init",
    title="He initialisation keeps the signal's scale through ReLU layers",
    summary="Var(w) = 2/fan_in keeps a deep ReLU stack's signal at scale; Xavier halves it per layer.",
    params=(Param("depth", int, 30, "conv-ReLU layers in the stack", min=20, max=50),),
)
def he_init(ctx: DemoContext, *, depth: int) -> DemoResult:

    import torch

    gen = torch.Generator().manual_seed(ctx.seed)
    dtype = torch.float64  # N(0, 0.01²) shrinks the signal below float32's range by layer ~20
    fan_in = 9 * STACK_WIDTH
    inits = (
        ("N(0, 0.01²)", SMALL_STD**2, "fixed small Gaussian"),
        ("Xavier", 1 / fan_in, "Glorot & Bengio 2010: 2/(fan_in + fan_out)"),
        ("He", 2 / fan_in, "He init: 2/fan_in"),
    )
    x = torch.randn(STACK_BATCH, STACK_WIDTH, STACK_SIZE, STACK_SIZE, generator=gen, dtype=dtype)
    shown = sorted({0, *range(5, depth, 5), depth})
    rows, checks, trace = [], [], {}
    for name, var, source in inits:
        weights = _stack_weights(depth, var=var, generator=gen, dtype=dtype)
        xg = x.clone().to(ctx.device).requires_grad_(True)
        outputs, out = _run_stack(xg, [w.to(ctx.device) for w in weights], residual=False)
        g = torch.randn(out.shape, generator=gen, dtype=dtype).to(ctx.device)
        (out * g).sum().backward()
        expected = fan_in * var / 2  # E[h_l²] = fan_in·Var(w)·E[h_(l-1)²] / 2 (ReLU halves it)
        forward = (_mean_square(out) / _mean_square(x)) ** (1 / depth)
        backward = (_mean_square(xg.grad) / _mean_square(g)) ** (1 / depth)
        trace[name] = [_mean_square(x), *(_mean_square(h) for h in outputs)]
        rows.append((name, f"{var:.3g}", round(expected, 4), round(forward, 4), round(backward, 4)))
        checks += [
            check(
                f"{name}: each layer scales the mean square by fan_in·Var(w)/2 = {expected:.4g}",
                expected=round(expected, 4),
                measured=round(forward, 4),
                source=f"{HE_2015B}, eq. (10); {source}",
                rel_tol=0.15,
            ),
            check(
                f"{name}: gradients scale by the same factor going back (fan_out = fan_in)",
                expected=round(expected, 4),
                measured=round(backward, 4),
                source=f"{HE_2015B}, eq. (14)",
                rel_tol=0.15,
            ),
        ]
    trace_rows = tuple(
        (layer, *(f"{trace[name][layer]:.2e}" for name, _, _ in inits)) for layer in shown
    )
    return DemoResult(
        demo_id="he-init",
        title="He initialisation keeps the signal's scale through ReLU layers",
        explanation=(
            "A conv layer multiplies the variance of its input by fan_in·Var(w); ReLU then zeroes "
            "half of it. So each conv-ReLU layer scales the mean square by fan_in·Var(w)/2.",
            "He init (Kaiming) picks Var(w) = 2/fan_in to make that factor exactly 1, forward and "
            "(with fan_out = fan_in) backward. Xavier's 1/fan_in, derived for linear/tanh units, "
            "halves the signal at every ReLU layer; a fixed N(0, 0.01²) kills it within a few "
            "layers. He et al. report a 30-layer plain net that trains with their init and stalls "
            "with Xavier.",
            "ResNet trains with He init (torchvision: kaiming_normal_, mode fan_out) plus BN, and "
            "the shortcuts add a path on which the scale is not multiplied at all.",
            f"Ran on real tensors: {depth} 3x3 convs of {STACK_WIDTH} channels (fan_in "
            f"{fan_in}), circular padding so every output has the full fan-in, float64.",
        ),
        tables=(
            Table(
                f"Per-layer factor of the mean square, {depth} conv-ReLU layers",
                ("init", "Var(w)", "expected", "forward", "backward"),
                tuple(rows),
                note="forward, backward: geometric mean over the layers of the measured ratio.",
            ),
            Table(
                "Mean square of the activations, layer by layer",
                ("layer", *(name for name, _, _ in inits)),
                trace_rows,
            ),
        ),
        checks=tuple(checks),
    )


@demo(
    "gradient-highway",
    title="Shortcuts as gradient highways",
    summary="Same small init: a plain stack's input gradient vanishes, a residual one's doesn't.",
    params=(
        Param(
            "depth", int, 20, "conv layers (the residual stack has depth/2 blocks)", min=10, max=50
        ),
    ),
)
def gradient_highway(ctx: DemoContext, *, depth: int) -> DemoResult:
    import math

    import torch

    if depth % 2:
        raise CvquizError(f"--set depth={depth}: must be even (two convs per residual block)")
    gen = torch.Generator().manual_seed(ctx.seed)
    dtype = torch.float64  # the plain stack's gradient falls below float32's range
    fan = 9 * STACK_WIDTH
    x = torch.randn(STACK_BATCH, STACK_WIDTH, STACK_SIZE, STACK_SIZE, generator=gen, dtype=dtype)
    configs = (
        ("plain", "N(0, 0.01²)", SMALL_STD**2, False),
        ("plain", "He", 2 / fan, False),
        ("residual", "N(0, 0.01²)", SMALL_STD**2, True),
    )
    rows, ratios, mids = [], {}, {}
    for kind, init, var, residual in configs:
        weights = [
            w.to(ctx.device) for w in _stack_weights(depth, var=var, generator=gen, dtype=dtype)
        ]
        xg = x.clone().to(ctx.device).requires_grad_(True)
        outputs, out = _run_stack(xg, weights, residual=residual)
        mid = outputs[len(outputs) // 2 - 1]
        mid.retain_grad()
        g = torch.randn(out.shape, generator=gen, dtype=dtype).to(ctx.device)
        (out * g).sum().backward()
        ratio = (xg.grad.norm() / g.norm()).item()
        ratios[(kind, init)] = ratio
        mids[(kind, init)] = (mid.grad.norm() / g.norm()).item()
        rows.append((kind, init, f"{mids[(kind, init)]:.2e}", f"{ratio:.2e}"))

    # Each plain layer scales the gradient's mean square by fan·Var(w)/2, its norm by the root.
    expected_log = depth / 2 * math.log10(fan * SMALL_STD**2 / 2)
    checks = (
        check(
            f"plain, small init: the gradient norm at the input is 10^{expected_log:.1f} of the output's",
            expected=round(expected_log, 1),
            measured=round(math.log10(ratios[("plain", "N(0, 0.01²)")]), 1),
            source=f"formula (depth/2)·log10(fan·Var(w)/2); {HE_2015B}",
            abs_tol=1.0,
        ),
        check(
            f"plain, small init: halfway down, 10^{expected_log / 2:.1f}: the decay is exponential in depth",
            expected=round(expected_log / 2, 1),
            measured=round(math.log10(mids[("plain", "N(0, 0.01²)")]), 1),
            source="formula (depth/4)·log10(fan·Var(w)/2)",
            abs_tol=1.0,
        ),
        check(
            "residual, same init: the gradient reaches the input at full strength",
            expected=1.0,
            measured=round(ratios[("residual", "N(0, 0.01²)")], 4),
            source=f"{HE_2016}, eq. (5): ∂E/∂x_l = ∂E/∂x_L·(1 + ∂/∂x_l Σ F)",
            rel_tol=0.05,
        ),
        check(
            "plain, He init: good init alone also keeps the gradient's scale (within 10x)",
            expected=0.0,
            measured=round(math.log10(ratios[("plain", "He")]), 2),
            source=f"{HE_2015B}, eq. (14)",
            abs_tol=1.0,
        ),
    )
    return DemoResult(
        demo_id="gradient-highway",
        title="Shortcuts as gradient highways",
        explanation=(
            "Backprop through a plain layer multiplies the gradient by the layer's Jacobian; with "
            "small weights each factor is below 1 and the product over many layers vanishes.",
            "A residual block computes x + F(x), so its Jacobian is I + ∂F/∂x: the identity term "
            "carries the gradient to earlier blocks even when F's own gradient is tiny.",
            "Good init (He) and BN also keep gradients healthy; He et al. note their plain nets "
            "with BN did not suffer vanishing gradients and still degraded. Shortcuts complement "
            "them rather than replace them.",
            f"Ran on real tensors: {depth} 3x3 convs of {STACK_WIDTH} channels, circular padding, "
            "float64; the residual stack uses pre-activation blocks of two convs.",
        ),
        tables=(
            Table(
                f"Gradient norm relative to the output's, {depth} convs",
                ("stack", "init", "at the middle", "at the input"),
                tuple(rows),
            ),
        ),
        checks=checks,
    )
