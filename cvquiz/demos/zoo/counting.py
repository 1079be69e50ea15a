"""Parameter and MAC counting, by hand-written formula and by torch's own FLOP counter.

Convention (cvquiz.demos.result.MACS_CONVENTION): MACs (multiply-accumulates) of convolutions and
linear layers only, the one in torchvision's tables. BN, activations, pooling and residual adds
are not counted.
Build on the meta device (`build_meta`) and nothing is allocated, so even VGG-16 counts fast.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

Shape = tuple[int, ...]
DEFAULT_INPUT: Shape = (1, 3, 224, 224)


@dataclass(frozen=True)
class LayerCost:
    """One conv or linear layer's place in a cost table."""

    name: str
    kind: str  # "conv", "dwconv", "gconv" or "linear"
    output_shape: Shape
    params: int
    macs: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "output_shape": list(self.output_shape),
            "params": self.params,
            "macs": self.macs,
        }


@contextlib.contextmanager
def _skip_weight_init() -> Iterator[None]:
    """Make torch.nn.init's in-place initialisers no-ops for a while.

    Initialising meta tensors has no effect, yet normal_() on meta goes through torch._refs and
    imports torch._dynamo (about 1 s, once per process): skipping it keeps a first count cheap.
    """
    names = [
        n
        for n in dir(nn.init)
        if n.endswith("_") and not n.startswith("_") and callable(getattr(nn.init, n))
    ]
    saved = {n: getattr(nn.init, n) for n in names}
    try:
        for n in names:
            setattr(nn.init, n, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for n, fn in saved.items():
            setattr(nn.init, n, fn)


def build_meta(builder: Callable[..., nn.Module], /, **kwargs: Any) -> nn.Module:
    """Build a model on the meta device in eval mode: shapes only, no memory, no init cost."""
    with torch.device("meta"), _skip_weight_init():
        model = builder(**kwargs)
    return model.eval()


def count_params(model: nn.Module) -> int:
    """Number of learnable parameters (BN running statistics are buffers, not counted)."""
    return sum(p.numel() for p in model.parameters())


def _input_like(model: nn.Module, input_shape: Shape) -> torch.Tensor:
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    return torch.zeros(input_shape, device=device)


def conv_macs(conv: nn.Conv2d, output_shape: Shape) -> int:
    """Every output element costs (C_in / groups) * kh * kw multiply-accumulates."""
    kh, kw = conv.kernel_size
    return _numel(output_shape) * (conv.in_channels // conv.groups) * kh * kw


def linear_macs(linear: nn.Linear, output_shape: Shape) -> int:
    """Every output element costs in_features multiply-accumulates."""
    return _numel(output_shape) * linear.in_features


def _numel(shape: Shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _kind(module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return "linear"
    assert isinstance(module, nn.Conv2d)
    if module.groups == 1:
        return "conv"
    return "dwconv" if module.groups == module.in_channels else "gconv"


def layer_macs(model: nn.Module, input_shape: Shape = DEFAULT_INPUT) -> list[LayerCost]:
    """Run one forward pass with hooks and cost every conv and linear call, in call order."""
    names = {module: name for name, module in model.named_modules()}
    rows: list[LayerCost] = []

    def hook(module: nn.Module, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        shape = tuple(output.shape)
        if isinstance(module, nn.Conv2d):
            macs = conv_macs(module, shape)
        else:
            assert isinstance(module, nn.Linear)
            macs = linear_macs(module, shape)
        params = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append(LayerCost(names[module], _kind(module), shape, params, macs))

    handles = [
        m.register_forward_hook(hook)
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(_input_like(model, input_shape))
    finally:
        for handle in handles:
            handle.remove()
        model.train(was_training)
    return rows


def analytic_macs(model: nn.Module, input_shape: Shape = DEFAULT_INPUT) -> int:
    """Total conv + linear MACs by the formula, summed over `layer_macs`."""
    return sum(row.macs for row in layer_macs(model, input_shape))


def forward_macs(module: nn.Module, *inputs: torch.Tensor) -> int:
    """MACs of one forward pass on `inputs` as torch.utils.flop_counter sees it (2 FLOPs per MAC)."""
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(*inputs)
    return counter.get_total_flops() // 2


def counter_macs(model: nn.Module, input_shape: Shape = DEFAULT_INPUT) -> int:
    """Total MACs according to torch.utils.flop_counter (2 FLOPs per MAC, conv and matmul only)."""
    was_training = model.training
    try:
        model.eval()
        return forward_macs(model, _input_like(model, input_shape))
    finally:
        model.train(was_training)


def costed(model: nn.Module, input_shape: Shape = DEFAULT_INPUT) -> tuple[list[LayerCost], int]:
    """Per-layer costs by formula and torch's counter total, from one forward pass."""
    with FlopCounterMode(display=False) as counter:
        rows = layer_macs(model, input_shape)
    return rows, counter.get_total_flops() // 2
