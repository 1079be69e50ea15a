"""Zero-initialised last BN: every residual block, and a whole ResNet-50, starts as the identity.

Runs small real tensors and a real ResNet-50 forward pass on a random image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import HE_2015, _ok, on_one_thread
from cvquiz.demos.result import Presentation, Table, check, format_shape
from cvquiz.demos.runner import DemoContext

# Q19: zero-initialised last BN in each residual branch.

ZERO_INIT = demo(
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
            multiple_of=4,
            why="bottleneck width C/4",
        ),
        Param("size", int, 32, "height and width of x for the single blocks", min=4, max=64),
        Param("image_size", int, 64, "input size for the full ResNet-50", min=32, max=224),
    ),
)


class BlockInit(NamedTuple):
    """A single block before and after zeroing its last BN's γ: does block(x) equal ReLU(x)?"""

    block: str
    default_equal: bool
    zeroed_equal: bool
    default_max_diff: float  # max |block(x) − ReLU(x)|, 4 decimals
    zeroed_max_diff: float


@dataclass(frozen=True)
class ZeroInitNumbers:
    """Single blocks, then every residual branch of a ResNet-50 at init."""

    input_shape: tuple[int, ...]
    blocks: tuple[BlockInit, ...]  # basic block, bottleneck
    branches: int  # bottlenecks in ResNet-50
    zero_branches_zero_init: int  # branches whose output is exactly 0, zero_init_residual=True
    zero_branches_default: int  # the same with γ = 1


@ZERO_INIT.measure
@on_one_thread
def measure_zero_init(s: Settings, ctx: DemoContext) -> ZeroInitNumbers:
    import torch
    import torch.nn.functional as F

    from cvquiz.demos import zoo

    c = s.channels
    x = torch.randn(2, c, s.size, s.size, generator=ctx.rng).to(ctx.device)  # (N, C, H, W)
    relu_x = F.relu(x)

    def gap(y: torch.Tensor) -> float:
        return round((y - relu_x).abs().max().item(), 4)

    blocks = []
    for name, block in (
        ("basic block", zoo.BasicBlock(c, c)),
        ("bottleneck", zoo.Bottleneck(c, c // 4)),
    ):
        block.to(ctx.device).eval()  # freshly initialised: BN β = 0, running mean 0, var 1
        with torch.no_grad():
            before = block(x)
            block.zero_init_residual()  # last BN: γ = 0
            after = block(x)
        blocks.append(
            BlockInit(
                name,
                torch.equal(before, relu_x),
                torch.equal(after, relu_x),
                gap(before),
                gap(after),
            )
        )

    # A whole ResNet-50 at init: hook every bottleneck's last BN, the end of its residual branch.
    model = zoo.resnet50(zero_init_residual=True).to(ctx.device).eval()
    bottlenecks = [m for m in model.modules() if isinstance(m, zoo.Bottleneck)]
    zero_branches: list[bool] = []
    handles = [
        b.bn3.register_forward_hook(
            lambda _m, _i, out: zero_branches.append(bool((out == 0).all()))
        )
        for b in bottlenecks
    ]
    image = torch.randn(1, 3, s.image_size, s.image_size, generator=ctx.rng).to(ctx.device)
    try:
        with torch.no_grad():
            model(image)
            zero_init = sum(zero_branches)
            zero_branches.clear()
            for b in bottlenecks:
                torch.nn.init.ones_(b.bn3.weight)  # back to the default γ = 1
            model(image)
            default = sum(zero_branches)
    finally:
        for handle in handles:
            handle.remove()
    return ZeroInitNumbers(
        input_shape=tuple(x.shape),
        blocks=tuple(blocks),
        branches=len(bottlenecks),
        zero_branches_zero_init=zero_init,
        zero_branches_default=default,
    )


@ZERO_INIT.present
def present_zero_init(n: ZeroInitNumbers, s: Settings) -> Presentation:
    block_rows = tuple(
        row
        for b in n.blocks
        for row in (
            (b.block, "default (γ = 1)", _ok(b.default_equal), b.default_max_diff),
            (b.block, "last BN γ = 0", _ok(b.zeroed_equal), b.zeroed_max_diff),
        )
    )
    checks = [
        c
        for b in n.blocks
        for c in (
            check(
                f"{b.block}, last BN γ = 0: block(x) == ReLU(x) exactly",
                expected=True,
                measured=b.zeroed_equal,
                source="torch.equal; BN output γ·x̂ + β = 0 when γ = β = 0",
            ),
            check(
                f"{b.block}, default init: block(x) ≠ ReLU(x)",
                expected=False,
                measured=b.default_equal,
                source="torch.equal",
            ),
        )
    ]
    checks += [
        check(
            "ResNet-50 has 16 residual branches (3 + 4 + 6 + 3 bottlenecks)",
            expected=16,
            measured=n.branches,
            source=f"{HE_2015}, Table 1",
        ),
        check(
            "ResNet-50, zero_init_residual: every branch outputs exactly 0 at init",
            expected=n.branches,
            measured=n.zero_branches_zero_init,
            source="forward hooks on each bottleneck's last BN",
        ),
        check(
            "ResNet-50, default init: no branch outputs all zeros",
            expected=0,
            measured=n.zero_branches_default,
            source="forward hooks on each bottleneck's last BN",
        ),
    ]
    return Presentation(
        explanation=(
            "Each residual branch ends in a BN whose output is γ·x̂ + β. Initialise γ = 0 (β is 0 "
            "already) and the branch outputs exactly 0, so the block computes ReLU(0 + x): the "
            "shortcut alone (Goyal et al. 2017, 'Accurate, Large Minibatch SGD'; torchvision's "
            "zero_init_residual).",
            "The network then starts as a shallow one, signals and gradients pass through the "
            "shortcuts unchanged, and each block learns its residual from zero: steadier early "
            "training, especially with large batches and learning rates.",
            "γ still receives gradients, so the branches switch on as training starts.",
            f"Single blocks ran on real tensors of shape {format_shape(n.input_shape)} (eval mode, "
            f"as initialised); the ResNet-50 on a real random {s.image_size}x{s.image_size} image.",
        ),
        tables=(
            Table(
                "Single blocks: does block(x) equal ReLU(x)?",
                ("block", "init", "equal", "max |block(x) − ReLU(x)|"),
                block_rows,
            ),
            Table(
                "ResNet-50 residual branches at init",
                ("init", "branches", "output exactly 0"),
                (
                    ("zero_init_residual=True", n.branches, n.zero_branches_zero_init),
                    ("default (γ = 1)", n.branches, n.zero_branches_default),
                ),
            ),
        ),
        checks=tuple(checks),
    )
