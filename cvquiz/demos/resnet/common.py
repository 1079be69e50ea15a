"""What the ResNet demos share: published figures, their sources, and small counting helpers."""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from cvquiz.demos.result import Check, check

if TYPE_CHECKING:
    import torch
    from torch import nn


T = TypeVar("T")

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


# The paper's one-decimal figures round most counts (1.814 → 1.8, 7.570 → 7.6, 11.282 → 11.3) but
# truncate two (ResNet-34: 3.664 → 3.6; ResNet-50: 3.858 → 3.8). Each is checked the way it was printed:
# rounded ones to ±0.05, truncated ones by truncating the exact count to one decimal.
PAPER_TRUNCATED = frozenset({"resnet34", "resnet50"})

PAPER_TOL = 0.05


def _paper_gmacs_check(claim: str, *, name: str, macs: int) -> Check:
    """He et al. 2015, Table 1's one-decimal figure for `name` against an exact V1 count."""
    printed = PAPER_GMACS[name]
    if name in PAPER_TRUNCATED:
        return check(
            f"{claim} ({macs / 1e9:.3f} truncated)",
            expected=printed,
            measured=math.floor(macs / 1e8) / 10,
            source=f"{HE_2015}, Table 1 (this figure is truncated to one decimal, not rounded)",
        )
    return check(
        claim,
        expected=printed,
        measured=_gmacs(macs),
        source=f"{HE_2015}, Table 1 (one decimal)",
        abs_tol=PAPER_TOL,
    )


# Formulas, each written once (He et al. 2015: convs have no bias; a BN learns γ and β).


def _gmacs(macs: int) -> float:
    """MACs in units of 1e9, to three decimals as torchvision's tables print them."""
    return round(macs / 1e9, 3)


def _projection_params(c_in: int, c_out: int) -> int:
    """A 1x1 projection (no bias) and its BN, option B of He et al. 2015: C_in·C_out + 2·C_out."""
    return c_in * c_out + 2 * c_out


def _basic_branch_params(c_in: int, c_out: int) -> int:
    """Two 3x3 convs (no bias) and two BNs (γ, β): 9·C_in·C_out + 9·C_out² + 4·C_out."""
    return 9 * c_in * c_out + 9 * c_out * c_out + 4 * c_out


# Checks every model-counting demo makes, each worded once.


def _params_check(label: str, *, expected: int, measured: int) -> Check:
    """A model's parameter count against torchvision's."""
    return check(f"{label}: parameters", expected=expected, measured=measured, source=TORCHVISION)


def _gmacs_check(
    label: str, *, expected: float, macs: int, abs_tol: float, variant: str = ""
) -> Check:
    """A model's MACs against torchvision's GMACs, to the decimals torchvision prints."""
    return check(
        f"{label}: GMACs" + (f" ({variant})" if variant else ""),
        expected=expected,
        measured=macs / 1e9,
        source=TORCHVISION,
        abs_tol=abs_tol,
    )


def _ok(flag: bool) -> str:
    """A flag as the tables show it."""
    return "yes" if flag else "no"


# Measuring helpers (torch is imported inside them: listing demos must not import it).


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one CPU thread for a while, then restore the caller's thread count.

    The demos' tensors are small: on a busy 2-core machine, two threads spin against each other
    and a training step took 9x as long as on one thread.
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def on_one_thread(measure: Callable[..., T]) -> Callable[..., T]:
    """A measure step run inside `single_thread()`."""

    @functools.wraps(measure)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with single_thread():
            return measure(*args, **kwargs)

    return wrapper


def _with_branch(
    block: nn.Module, last: nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """block(x) and its residual branch F(x), read by a hook on F's last layer `last`."""
    seen: list[torch.Tensor] = []
    handle = last.register_forward_hook(lambda _m, _i, out: seen.append(out))
    try:
        y = block(x)
    finally:
        handle.remove()
    return y, seen[-1]


def _bn(x: torch.Tensor, bn: nn.BatchNorm2d) -> torch.Tensor:
    """BN in eval mode, by its formula γ·(x − μ)/√(σ² + ε) + β, from `bn`'s own tensors."""
    shape = (1, -1, 1, 1)
    scale = bn.weight.view(shape) / (bn.running_var.view(shape) + bn.eps).sqrt()
    return (x - bn.running_mean.view(shape)) * scale + bn.bias.view(shape)


def _conv(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """`conv`'s weights applied with F.conv2d (no bias, as in every ResNet conv)."""
    import torch.nn.functional as F

    return F.conv2d(x, conv.weight, None, conv.stride, conv.padding, groups=conv.groups)


def orderings(block: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """A two-conv block's weights (conv1, bn1, conv2, bn2) composed in both orders, by hand.

    post-activation (He et al. 2015): ReLU(x + BN(conv(ReLU(BN(conv(x)))))).
    pre-activation (He et al. 2016, ResNet v2): x + conv(ReLU(BN(conv(ReLU(BN(x)))))).
    Needs in = out channels and stride 1, so both orders fit the same BN sizes.
    """
    import torch.nn.functional as F

    b = block
    post = F.relu(x + _bn(_conv(F.relu(_bn(_conv(x, b.conv1), b.bn1)), b.conv2), b.bn2))
    pre = x + _conv(F.relu(_bn(_conv(F.relu(_bn(x, b.bn1)), b.conv1), b.bn2)), b.conv2)
    return {"post-activation": post, "pre-activation": pre}


def ordering_of(block: nn.Module, x: torch.Tensor) -> str:
    """Which hand-composed order `block(x)` computes: 'post-activation', 'pre-activation' or 'neither'."""
    import torch

    y = block(x)
    found = [
        name
        for name, z in orderings(block, x).items()
        if torch.allclose(y, z, rtol=1e-4, atol=1e-5)
    ]
    return found[0] if len(found) == 1 else "neither"


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


def _stage_features(model: nn.Module, size: int) -> dict[str, torch.Tensor]:
    """C1 (stem, stride 2) and C2-C5 (stages 1-4) of a zoo ResNet, read by hooks on its forward.

    The forward runs on an empty batch (zoo.empty_pass): each feature is an empty CPU tensor of
    batch 0 with the real channels, height and width, so even a meta model at a detector's input
    size allocates and computes nothing, and torch._dynamo (which meta kernels import) stays out.
    """
    import torch

    from cvquiz.demos import zoo

    features: dict[str, torch.Tensor] = {}
    handles = [model.relu.register_forward_hook(lambda _m, _i, out: features.setdefault("C1", out))]
    handles += [
        getattr(model, f"layer{i}").register_forward_hook(
            lambda _m, _i, out, key=f"C{i + 1}": features.__setitem__(key, out)
        )
        for i in range(1, 5)
    ]
    try:
        zoo.empty_pass(model, torch.empty((1, 3, size, size), device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    return features


class FirstBlockConv(NamedTuple):
    """A conv of a stage's first bottleneck whose stride V1 and V1.5 place differently."""

    block: str
    conv: str
    v1_stride: int
    v1_macs: int
    v15_stride: int
    v15_macs: int


def _v1_vs_v15() -> tuple[int, tuple[FirstBlockConv, ...], bool]:
    """MACs V1.5 adds over V1 (per-conv rows), from the first bottleneck of stages 2-4."""
    from cvquiz.demos import zoo

    def first_block(in_ch: int, planes: int, variant: str) -> nn.Module:
        downsample = zoo.projection(in_ch, 4 * planes, stride=2)
        return zoo.Bottleneck(in_ch, planes, stride=2, downsample=downsample, variant=variant)

    delta, rows, same_params = 0, [], True
    for stage, (in_ch, planes, size) in enumerate(
        ((256, 128, 56), (512, 256, 28), (1024, 512, 14)), 2
    ):
        costs = {}
        for variant in ("v1", "v1.5"):
            block = zoo.build_meta(first_block, in_ch=in_ch, planes=planes, variant=variant)
            layer_rows = zoo.layer_macs(
                block, (1, in_ch, size, size), label=f"layer{stage}.0 bottleneck ({variant})"
            )
            costs[variant] = (layer_rows, block)
        (v1_rows, v1_block), (v15_rows, v15_block) = costs["v1"], costs["v1.5"]
        same_params = same_params and zoo.count_params(v1_block) == zoo.count_params(v15_block)
        for r1, r15 in zip(v1_rows, v15_rows, strict=True):
            c1, c15 = v1_block.get_submodule(r1.name), v15_block.get_submodule(r15.name)
            delta += r15.macs - r1.macs
            if c1.stride != c15.stride:
                rows.append(
                    FirstBlockConv(
                        f"layer{stage}.0", r1.name, c1.stride[0], r1.macs, c15.stride[0], r15.macs
                    )
                )
    return delta, tuple(rows), same_params
