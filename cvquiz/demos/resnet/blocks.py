"""ResNet block demos: the residual block, shortcuts, the bottleneck, pre-activation, zero-init.

Whole models are built on the meta device (shapes only); experiments use small real tensors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cvquiz.demos.registry import Param, demo
from cvquiz.demos.resnet.common import HE_2015, HE_2016, TORCHVISION, _macs_pair, _projection_params
from cvquiz.demos.result import (
    COUNTER_SOURCE,
    MACS_CONVENTION,
    DemoResult,
    Table,
    check,
    format_shape,
)
from cvquiz.errors import CvquizError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from cvquiz.demos.registry import DemoContext


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
        (name, kind, zoo.count_params(getattr(post, name)), formula)
        for name, kind, formula in (
            ("conv1", "3x3 conv C→C, no bias", f"9·C² = {9 * channels**2}"),
            ("bn1", "BN (γ, β)", f"2·C = {2 * channels}"),
            ("conv2", "3x3 conv C→C, no bias", f"9·C² = {9 * channels**2}"),
            ("bn2", "BN (γ, β)", f"2·C = {2 * channels}"),
        )
    )
    expected_params = _basic_branch_params(channels, channels)
    layer_rows += (("F total", "", zoo.count_params(post), f"2·(9·C²) + 4·C = {expected_params}"),)

    checks = (
        check(
            "the block's output has the input's shape (needed for the identity add)",
            expected=format_shape(x),
            measured=format_shape(y_orig),
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
            measured=zoo.count_params(post),
            source="formula 2·(9·C²) + 4·C",
        ),
        check(
            "the pre-activation block has the same parameter count",
            expected=expected_params,
            measured=zoo.count_params(pre),
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
            f"Ran on real tensors of shape {format_shape(x)} with random BN statistics (eval mode).",
        ),
        tables=(
            Table(
                "The residual equation, three ways",
                ("variant", "y =", "min y", "y − x == F(x)", "share differing"),
                equation_rows,
                note=f"All outputs are {format_shape(y_orig)}, like x. F'(x) = conv(ReLU(BN(conv(ReLU(BN(x)))))). "
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
        ("x", format_shape(x), "block input"),
        ("F(x)", format_shape(fx), f"two 3x3 convs, the first with stride {stride}"),
        ("identity add F(x) + x", "works" if identity_ok else "shape mismatch", ""),
        (
            "projection W_s·x",
            format_shape(px) if needs_projection else "not needed",
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
    )

    r34 = zoo.build_meta(zoo.resnet34)
    blocks = [m for m in r34.modules() if isinstance(m, zoo.BasicBlock)]
    proj_rows = []
    for name, m in r34.named_modules():
        if name.endswith("downsample"):
            conv = m[0]
            proj_rows.append(
                (
                    name,
                    f"{conv.in_channels}→{conv.out_channels}",
                    conv.stride[0],
                    zoo.count_params(m),
                )
            )
    option_b = sum(row[3] for row in proj_rows)
    option_c = sum(_projection_params(b.conv1.in_channels, b.conv2.out_channels) for b in blocks)
    r34_params = zoo.count_params(r34)
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
            expected=format_shape(fx),
            measured=format_shape(px),
            source="1x1 conv, stride s: H_out = ⌊(H − 1)/s⌋ + 1, as the padded 3x3",
        ),
        check(
            "projection shortcut parameters (1x1 conv + BN)",
            expected=_projection_params(in_channels, out_channels),
            measured=zoo.count_params(projection),
            source="formula C_in·C_out + 2·C_out",
        ),
        check(
            "residual branch parameters",
            expected=branch,
            measured=zoo.count_params(block),
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
            Table(
                "Parameter cost",
                ("part", "params", "formula"),
                cost_rows,
                note=f"the projection is {extra / (branch + extra):.2%} of the block's parameters",
            ),
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
    bottleneck = zoo.build_meta(zoo.Bottleneck, in_ch=c, planes=d)
    basic_wide = zoo.build_meta(zoo.BasicBlock, in_ch=c, planes=c)
    basic_narrow = zoo.build_meta(zoo.BasicBlock, in_ch=d, planes=d)

    layers, _ = zoo.costed(bottleneck, shape)
    layer_rows = tuple(
        (r.name, kind, format_shape(r.output_shape[1:]), r.params, r.macs)
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
        rows.append((name, zoo.count_params(block), formula, analytic, counted))
        checks_list.append(
            check(
                f"{name}: formula MACs == FlopCounterMode / 2",
                expected=formula,
                measured=counted,
                source=COUNTER_SOURCE,
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
            measured=zoo.count_params(bottleneck),
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
                f"{zoo.count_params(basic_wide) / zoo.count_params(bottleneck):.2f}x params.",
            ),
        ),
        checks=tuple(checks_list),
        convention=MACS_CONVENTION,
    )


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
            expected=zoo.count_params(post),
            measured=zoo.count_params(pre),
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
            f"Ran on real tensors of shape {format_shape(x)} with random BN statistics (eval mode).",
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
            f"Single blocks ran on real tensors of shape {format_shape(x)} (eval mode, as initialised); "
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
