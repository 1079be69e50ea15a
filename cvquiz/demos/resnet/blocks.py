"""The residual block on real tensors: y = F(x) + x, and post- vs pre-activation ordering.

Blocks come from the zoo and run their own forward; F(x) is read by a hook on its last layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import (
    HE_2015,
    HE_2016,
    _basic_branch_params,
    _ok,
    _randomize_bn,
    _with_branch,
    on_one_thread,
    ordering_of,
)
from cvquiz.demos.result import Presentation, Table, check, format_shape
from cvquiz.demos.runner import DemoContext

# Q1, Q3, Q18: the residual block and its equation.

RESIDUAL = demo(
    "residual-block",
    title="Residual block: y = F(x) + x and its variants",
    summary="Runs a basic block on real tensors: output shape, y − x == F(x), params of F.",
    params=(
        Param("channels", int, 64, "channels C of x and of both 3x3 convs", min=1, max=128),
        Param("size", int, 56, "height and width of x", min=1, max=64),
    ),
)

# The three ways of writing the equation, in the order of every per-variant field below.
VARIANTS = (
    ("original (2015)", "ReLU(F(x) + x)"),
    ("no ReLU after add", "F(x) + x"),
    ("pre-activation (v2)", "x + F'(x)"),
)


@dataclass(frozen=True)
class ResidualNumbers:
    """One basic block and one pre-activation block run on the same x."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]  # of the original block
    min_y: tuple[float, ...]  # per variant
    residual_is_f: tuple[bool, ...]  # per variant: y − x == F(x) (allclose)
    share_differing: tuple[float, ...]  # per variant: elements where y − x ≠ F(x), 4 decimals
    clipped_share: float  # elements where F(x) + x < 0, 4 decimals
    relu_of_sum: bool  # the original block's output == ReLU(F(x) + x)
    post_order: str  # which order, composed by hand from its weights, the original block computes
    pre_order: str  # the same for the pre-activation block
    layer_params: tuple[int, int, int, int]  # conv1, bn1, conv2, bn2 of F
    params: int
    preact_params: int


@RESIDUAL.measure
@on_one_thread
def measure_residual(s: Settings, ctx: DemoContext) -> ResidualNumbers:
    import torch
    import torch.nn.functional as F

    from cvquiz.demos import zoo

    post = zoo.BasicBlock(s.channels, s.channels)
    pre = zoo.PreActBasicBlock(s.channels, s.channels)
    for block in (post, pre):
        _randomize_bn(block, ctx.rng)
        block.to(ctx.device).eval()
    x = torch.randn(2, s.channels, s.size, s.size, generator=ctx.rng).to(ctx.device)
    with torch.no_grad():
        y_orig, fx = _with_branch(post, post.bn2, x)  # (N, C, H, W) both
        y_pre, gx = _with_branch(pre, pre.conv2, x)
        order = (ordering_of(post, x), ordering_of(pre, x))
    variants = ((y_orig, fx), (fx + x, fx), (y_pre, gx))

    def differ(y: torch.Tensor, f: torch.Tensor) -> float:
        return round(((y - x - f).abs() > 1e-5).float().mean().item(), 4)

    return ResidualNumbers(
        input_shape=tuple(x.shape),
        output_shape=tuple(y_orig.shape),
        min_y=tuple(y.min().item() for y, _ in variants),
        residual_is_f=tuple(
            bool(torch.allclose(y - x, f, rtol=1e-5, atol=1e-5)) for y, f in variants
        ),
        share_differing=tuple(differ(y, f) for y, f in variants),
        clipped_share=round(((fx + x) < -1e-5).float().mean().item(), 4),
        relu_of_sum=bool(torch.allclose(y_orig, F.relu(fx + x), rtol=1e-5, atol=1e-6)),
        post_order=order[0],
        pre_order=order[1],
        layer_params=tuple(
            zoo.count_params(m) for m in (post.conv1, post.bn1, post.conv2, post.bn2)
        ),
        params=zoo.count_params(post),
        preact_params=zoo.count_params(pre),
    )


@RESIDUAL.present
def present_residual(n: ResidualNumbers, s: Settings) -> Presentation:
    c = s.channels
    expected_params = _basic_branch_params(c, c)
    equation_rows = tuple(
        (name, eq, round(low, 4), _ok(same), share)
        for (name, eq), low, same, share in zip(
            VARIANTS, n.min_y, n.residual_is_f, n.share_differing, strict=True
        )
    )
    formulas = (
        ("conv1", "3x3 conv C→C, no bias", f"9·C² = {9 * c**2}"),
        ("bn1", "BN (γ, β)", f"2·C = {2 * c}"),
        ("conv2", "3x3 conv C→C, no bias", f"9·C² = {9 * c**2}"),
        ("bn2", "BN (γ, β)", f"2·C = {2 * c}"),
    )
    layer_rows = tuple(
        (name, kind, params, formula)
        for (name, kind, formula), params in zip(formulas, n.layer_params, strict=True)
    )
    layer_rows += (("F total", "", n.params, f"2·(9·C²) + 4·C = {expected_params}"),)
    checks = (
        check(
            "the block's output has the input's shape (needed for the identity add)",
            expected=format_shape(n.input_shape),
            measured=format_shape(n.output_shape),
            source=f"{HE_2015}, eq. (1)",
        ),
        check(
            "the original block computes ReLU(F(x) + x), F = BN(conv(ReLU(BN(conv(x))))) by hand",
            expected="post-activation",
            measured=n.post_order,
            source=f"F.conv2d and the BN formula on the block's own weights; {HE_2015}, Fig. 2",
        ),
        check(
            "with ReLU after the add, y − x differs from F(x) wherever F(x) + x < 0",
            expected=n.clipped_share,
            measured=n.share_differing[0],
            source="fraction of elements; ReLU clips exactly those",
        ),
        check(
            "the pre-activation block computes x + conv(ReLU(BN(conv(ReLU(BN(x)))))) by hand",
            expected="pre-activation",
            measured=n.pre_order,
            source=f"F.conv2d and the BN formula on the block's own weights; {HE_2016}, eq. (3)",
        ),
        check(
            "parameters of F (two 3x3 convs + two BNs)",
            expected=expected_params,
            measured=n.params,
            source="formula 2·(9·C²) + 4·C",
        ),
        check(
            "the pre-activation block has the same parameter count",
            expected=expected_params,
            measured=n.preact_params,
            source="formula 2·(9·C²) + 4·C",
        ),
    )
    return Presentation(
        explanation=(
            "A residual block learns F(x) and adds the input back: y = F(x) + x. F is two 3x3 "
            "convs with BN (and ReLU between them), padded so the output has x's shape.",
            "The variants differ only in where the activation sits: the original puts ReLU after "
            "the add; pre-activation (ResNet v2) moves BN and ReLU into F, so nothing touches x.",
            f"Ran on real tensors of shape {format_shape(n.input_shape)} with random BN "
            "statistics (eval mode).",
        ),
        tables=(
            Table(
                "The residual equation, three ways",
                ("variant", "y =", "min y", "y − x == F(x)", "share differing"),
                equation_rows,
                note=f"All outputs are {format_shape(n.output_shape)}, like x. "
                "F'(x) = conv(ReLU(BN(conv(ReLU(BN(x)))))). "
                "The original's ReLU clips negatives: there y − x ≠ F(x).",
            ),
            Table("Parameters of F", ("layer", "kind", "params", "formula"), layer_rows),
        ),
        checks=checks,
    )


# Q10: BN ordering, post- vs pre-activation.

PRE_ACTIVATION = demo(
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


# The check that proves Q10's erratum: the source calls ResNet v2 "post-activation".
V2_CHECK = (
    "ResNet v2 (He et al. 2016) is PRE-activation: BN → ReLU → conv before each conv, "
    "nothing after the add"
)


@dataclass(frozen=True)
class PreActivationNumbers:
    """A post- and a pre-activation block on the same x, then each stacked with F zeroed."""

    input_shape: tuple[int, ...]
    params: int  # post-activation block
    preact_params: int
    min_post: float
    min_pre: float
    # F zeroed, `depth` blocks stacked: does the stack pass x through, and its input gradient.
    post_is_relu_x: bool  # output == ReLU(x) exactly
    pre_is_x: bool  # output == x exactly
    post_changed_share: float  # elements where the output ≠ x, 4 decimals
    pre_changed_share: float
    negative_share: float  # elements of x below 0, 4 decimals
    post_zero_grad_share: float  # elements of ∂Σy/∂x that are 0, 4 decimals
    pre_zero_grad_share: float
    pre_grad_is_one: bool  # ∂Σy/∂x == 1 everywhere, exactly
    # Which order, composed by hand from each block's weights, the block computes.
    post_order: str
    pre_order: str


@PRE_ACTIVATION.measure
@on_one_thread
def measure_pre_activation(s: Settings, ctx: DemoContext) -> PreActivationNumbers:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from cvquiz.demos import zoo

    post = zoo.BasicBlock(s.channels, s.channels)
    pre = zoo.PreActBasicBlock(s.channels, s.channels)
    for block in (post, pre):
        _randomize_bn(block, ctx.rng)
        block.to(ctx.device).eval()
    x = torch.randn(2, s.channels, s.size, s.size, generator=ctx.rng).to(ctx.device)
    with torch.no_grad():
        y_post, y_pre = post(x), pre(x)  # (N, C, H, W) both
        order = (ordering_of(post, x), ordering_of(pre, x))

    # Zero F: post-activation F ends in BN (gamma = beta = 0 makes it output 0 exactly);
    # pre-activation F ends in a bias-free conv (zero weights make it output 0 exactly).
    with torch.no_grad():
        nn.init.zeros_(post.bn2.weight)
        nn.init.zeros_(post.bn2.bias)
        nn.init.zeros_(pre.conv2.weight)

    def stacked(block: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """The output of `depth` copies of `block` and the gradient of its sum at x."""
        xg = x.clone().requires_grad_(True)
        z = xg
        for _ in range(s.depth):
            z = block(z)
        z.sum().backward()
        return z, xg.grad

    def share(mask: torch.Tensor) -> float:
        return round(mask.float().mean().item(), 4)

    z_post, grad_post = stacked(post)
    z_pre, grad_pre = stacked(pre)
    return PreActivationNumbers(
        input_shape=tuple(x.shape),
        params=zoo.count_params(post),
        preact_params=zoo.count_params(pre),
        min_post=y_post.min().item(),
        min_pre=y_pre.min().item(),
        post_is_relu_x=bool(torch.equal(z_post, F.relu(x))),
        pre_is_x=bool(torch.equal(z_pre, x)),
        post_changed_share=share(z_post != x),
        pre_changed_share=share(z_pre != x),
        negative_share=share(x < 0),
        post_zero_grad_share=share(grad_post == 0),
        pre_zero_grad_share=share(grad_pre == 0),
        pre_grad_is_one=bool(torch.equal(grad_pre, torch.ones_like(grad_pre))),
        post_order=order[0],
        pre_order=order[1],
    )


@PRE_ACTIVATION.present
def present_pre_activation(n: PreActivationNumbers, s: Settings) -> Presentation:
    order_rows = (
        ("post-activation", "conv-BN-ReLU-conv-BN", "ReLU", round(n.min_post, 4)),
        ("pre-activation (v2)", "BN-ReLU-conv-BN-ReLU-conv", "nothing", round(n.min_pre, 4)),
    )
    zero_rows = (
        ("post-activation", "ReLU(x)", _ok(n.post_is_relu_x), n.post_changed_share, n.post_zero_grad_share),
        ("pre-activation (v2)", "x", _ok(n.pre_is_x), n.pre_changed_share, n.pre_zero_grad_share),
    )  # fmt: skip
    checks = (
        check(
            V2_CHECK,
            expected="pre-activation",
            measured=n.pre_order,
            source=f"{HE_2016}, Fig. 1(b) and Fig. 4(e) 'full pre-activation'; the block's output "
            "against both orders composed by hand from its weights",
        ),
        check(
            "the original ResNet block (He et al. 2015) is post-activation: conv → BN → ReLU, "
            "ReLU after the add",
            expected="post-activation",
            measured=n.post_order,
            source=f"{HE_2015}, Fig. 2; the same comparison",
        ),
        check(
            "both orderings have the same parameters, 2·(9·C²) + 4·C",
            expected=n.params,
            measured=n.preact_params,
            source="formula 2·(9·C²) + 4·C; the BNs just move",
        ),
        check(
            "a post-activation block never outputs a negative value",
            expected=True,
            measured=n.min_post >= 0,
            source="ReLU after the add",
        ),
        check(
            "a pre-activation block can output negative values",
            expected=True,
            measured=n.min_pre < 0,
            source=f"{HE_2016}: no activation after the add",
        ),
        check(
            f"F zeroed, {s.depth} pre-activation blocks: output == x exactly",
            expected=True,
            measured=n.pre_is_x,
            source="torch.equal; the identity path has no op on it",
        ),
        check(
            f"F zeroed, {s.depth} post-activation blocks: output == ReLU(x) exactly",
            expected=True,
            measured=n.post_is_relu_x,
            source="torch.equal; the ReLU after each add sits on the path",
        ),
        check(
            "F zeroed, pre-activation: gradient to x is exactly 1 everywhere",
            expected=True,
            measured=n.pre_grad_is_one,
            source=f"{HE_2016}, eq. (5): ∂E/∂x_l = ∂E/∂x_L·(1 + ∂/∂x_l Σ F)",
        ),
        check(
            "F zeroed, post-activation: gradient is 0 where x < 0",
            expected=n.negative_share,
            measured=n.post_zero_grad_share,
            source="fraction of elements; ReLU's derivative is 0 below zero",
        ),
    )
    return Presentation(
        explanation=(
            "The original block (He et al. 2015) is conv → BN → ReLU inside F, then ReLU after the "
            "add. ResNet v2 (He et al. 2016, 'Identity Mappings') moves BN and ReLU before each conv "
            "(pre-activation) and puts nothing after the add.",
            "Same layers, same parameters; the difference is what lies on the shortcut. With F "
            f"zeroed, a stack of {s.depth} pre-activation blocks passes x through bit for bit, and "
            "the gradient reaching x is exactly 1; post-activation blocks apply ReLU each time.",
            "Interviewers usually accept conv-BN-ReLU; knowing why v2 moved them is the bonus.",
            f"Ran on real tensors of shape {format_shape(n.input_shape)} with random BN "
            "statistics (eval mode).",
        ),
        tables=(
            Table(
                "Where BN and ReLU sit",
                ("block", "residual branch F", "after the add", "min output"),
                order_rows,
            ),
            Table(
                f"F zeroed, {s.depth} blocks stacked",
                ("block", "output", "exact", "share ≠ x", "zero gradients"),
                zero_rows,
                note="share ≠ x: elements where the output differs from x; zero gradients: share "
                "of elements of ∂Σy/∂x that are 0.",
            ),
        ),
        checks=checks,
    )
