"""Parameter and MAC counting: by formula on the interactive path, by torch's FLOP counter as the oracle.

Convention (cvquiz.demos.result.MACS_CONVENTION): MACs (multiply-accumulates) of convolutions,
linear layers and attention's matmuls only, the one in torchvision's tables. BN, activations,
pooling and residual adds are not counted.

    analytic_macs(build_meta(resnet50))      # 4,089,184,256, by formula, nothing allocated
    formula_macs(block, x)                   # one forward pass on given inputs, by formula
    with oracle() as counts: ...             # verify and tests: each formula count is also
                                             # counted by FlopCounterMode, both kept in `counts`

The formula runs on an *empty batch*: the same model with uninitialised CPU tensors standing in
for meta ones, fed a batch of 0, so every layer's output shape is known and nothing is computed
(the batch is put back into the shapes). A forward pass on meta tensors would do, but its python
kernels import torch._dynamo on first use (about 1 s), as FlopCounterMode does: both stay off the
interactive path. The oracle runs the caller's model as given, so it does not share that trick.

A module whose forward does MACs outside conv and linear submodules (a functional linear, a
matmul) declares them with a method `own_macs(self, input_shapes, output_shape) -> int`.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

Shape = tuple[int, ...]
DEFAULT_INPUT: Shape = (1, 3, 224, 224)


@dataclass(frozen=True)
class LayerCost:
    """One conv, linear or attention layer's place in a cost table."""

    name: str
    kind: str  # "conv", "dwconv", "gconv", "convT", "linear", "attention" or "own"
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


@dataclass(frozen=True)
class OracleCount:
    """One formula count and FlopCounterMode's count of the same forward pass (÷ 2)."""

    label: str
    formula: int
    counter: int

    @property
    def agrees(self) -> bool:
        return self.formula == self.counter


_ORACLE: contextvars.ContextVar[list[OracleCount] | None] = contextvars.ContextVar(
    "cvquiz_macs_oracle", default=None
)


@contextlib.contextmanager
def oracle() -> Iterator[list[OracleCount]]:
    """While active, every formula count is also made by FlopCounterMode and kept in the list."""
    counts: list[OracleCount] = []
    token = _ORACLE.set(counts)
    try:
        yield counts
    finally:
        _ORACLE.reset(token)


def oracle_active() -> bool:
    """Whether formula counts are being recounted by FlopCounterMode (a cache must not skip them)."""
    return _ORACLE.get() is not None


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


def _numel(shape: Shape) -> int:
    return math.prod(shape)


def conv_macs(conv: nn.modules.conv._ConvNd, output_shape: Shape, input_shape: Shape = ()) -> int:
    """Every output element costs (C_in / groups) · kernel multiply-accumulates; a transposed
    conv, every *input* element costs (C_out / groups) · kernel (torch counts it that way too)."""
    kernel = _numel(conv.kernel_size)
    if conv.transposed:
        return _numel(input_shape) * (conv.out_channels // conv.groups) * kernel
    return _numel(output_shape) * (conv.in_channels // conv.groups) * kernel


def linear_macs(linear: nn.Linear, output_shape: Shape) -> int:
    """Every output element costs in_features multiply-accumulates."""
    return _numel(output_shape) * linear.in_features


def attention_macs(attn: nn.MultiheadAttention, query: Shape, key: Shape) -> int:
    """Q, K, V projections, Q·Kᵀ and attention·V (L·S·E each), the output projection."""
    if len(query) == 2:  # unbatched (L, E)
        query, key = (1, *query), (1, *key)
    elif not attn.batch_first:  # (L, N, E) -> (N, L, E)
        query, key = (query[1], query[0], query[2]), (key[1], key[0], key[2])
    n, length, e = query
    source = key[1]
    projections = n * length * e * e + n * source * (attn.kdim + attn.vdim) * e
    return projections + 2 * n * length * source * e + n * length * e * e


def _kind(module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return "linear"
    if isinstance(module, nn.MultiheadAttention):
        return "attention"
    if not isinstance(module, nn.modules.conv._ConvNd):
        return "own"
    if module.transposed:
        return "convT"
    if module.groups == 1:
        return "conv"
    return "dwconv" if module.groups == module.in_channels else "gconv"


def _counted(module: nn.Module) -> bool:
    return isinstance(
        module, nn.modules.conv._ConvNd | nn.Linear | nn.MultiheadAttention
    ) or callable(getattr(module, "own_macs", None))


def _layer_cost(
    name: str, module: nn.Module, inputs: tuple[Shape, ...], output: Shape
) -> LayerCost:
    own = getattr(module, "own_macs", None)
    if callable(own):
        macs = int(own(inputs, output))
        params = sum(p.numel() for p in module.parameters(recurse=False))
    elif isinstance(module, nn.modules.conv._ConvNd):
        macs = conv_macs(module, output, inputs[0])
        params = sum(p.numel() for p in module.parameters(recurse=False))
    elif isinstance(module, nn.Linear):
        macs = linear_macs(module, output)
        params = sum(p.numel() for p in module.parameters(recurse=False))
    else:
        assert isinstance(module, nn.MultiheadAttention)
        macs = attention_macs(module, inputs[0], inputs[1] if len(inputs) > 1 else inputs[0])
        params = sum(p.numel() for p in module.parameters())  # out_proj is called functionally
    return LayerCost(name, _kind(module), output, params, macs)


def _shape(value: Any) -> Shape | None:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def _empty_batch(value: Any) -> Any:
    """An input's stand-in: the same shape with a batch of 0, on the CPU when it was on meta."""
    if not isinstance(value, torch.Tensor) or value.dim() == 0:
        return value
    device = torch.device("cpu") if value.is_meta else value.device
    return torch.empty((0, *value.shape[1:]), dtype=value.dtype, device=device)


def _stand_ins(model: nn.Module) -> dict[str, torch.Tensor]:
    """Uninitialised CPU tensors for a meta model's parameters and buffers (untouched pages: free)."""
    named = [*model.named_parameters(remove_duplicate=False), *model.named_buffers()]
    return {
        name: torch.empty(t.shape, dtype=t.dtype, device="cpu") for name, t in named if t.is_meta
    }


def _run(model: nn.Module, inputs: tuple[Any, ...], *, empty: bool) -> list[LayerCost]:
    """One forward pass in eval mode with hooks on every counted layer; `empty`: an empty batch."""
    names = {module: name for name, module in model.named_modules()}
    batch = next((x.shape[0] for x in inputs if isinstance(x, torch.Tensor) and x.dim()), 1)
    rows: list[LayerCost] = []

    def restored(shape: Shape) -> Shape:
        return tuple(batch if d == 0 else d for d in shape) if empty else shape

    def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any) -> None:
        values = [*args, *(kwargs.get(k) for k in ("key", "value") if k in kwargs)]
        shapes = tuple(restored(s) for s in map(_shape, values) if s is not None)
        out = output[0] if isinstance(output, tuple) else output
        rows.append(_layer_cost(names[module], module, shapes, restored(tuple(out.shape))))

    handles = [
        m.register_forward_hook(hook, with_kwargs=True) for m in model.modules() if _counted(m)
    ]
    try:
        if empty:
            empty_pass(model, *inputs)
        else:
            was_training = model.training
            try:
                with torch.no_grad():
                    model.eval()(*inputs)
            finally:
                model.train(was_training)
    finally:
        for handle in handles:
            handle.remove()
    return rows


def empty_pass(model: nn.Module, *inputs: Any) -> Any:
    """One forward pass in eval mode on an *empty batch*, for its hooks: nothing is computed.

    Each input becomes an empty CPU tensor of its shape with batch 0; a meta model's parameters
    and buffers get uninitialised CPU stand-ins. Hooks see every shape with batch 0 (the other
    dimensions are the real ones). Unlike a forward pass on meta tensors, this never imports
    torch._dynamo. A forward that refuses an empty batch (x.view(N, -1)) raises.
    """
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            stand_ins = _stand_ins(model)
            args = tuple(_empty_batch(x) for x in inputs)
            if stand_ins:
                return torch.func.functional_call(model, stand_ins, args, strict=False)
            return model(*args)
    finally:
        model.train(was_training)


def formula_layers(module: nn.Module, *inputs: Any, label: str | None = None) -> list[LayerCost]:
    """Every counted layer of one forward pass on `inputs`, in call order, by formula."""
    try:
        rows = _run(module, inputs, empty=True)
    except Exception:  # a forward that refuses an empty batch: the pass as given (slower on meta)
        rows = _run(module, inputs, empty=False)
    counts = _ORACLE.get()
    if counts is not None:
        shapes = ", ".join("×".join(map(str, s)) for s in map(_shape, inputs) if s is not None)
        counts.append(
            OracleCount(
                label or f"{type(module).__name__}({shapes})",
                sum(row.macs for row in rows),
                forward_macs(module, *inputs),
            )
        )
    return rows


def formula_macs(module: nn.Module, *inputs: Any, label: str | None = None) -> int:
    """MACs of one forward pass on `inputs`, by formula (meta inputs are fine)."""
    return sum(row.macs for row in formula_layers(module, *inputs, label=label))


def _input_like(model: nn.Module, input_shape: Shape) -> torch.Tensor:
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    return (
        torch.empty(input_shape, device=device)
        if device.type == "meta"
        else torch.zeros(input_shape, device=device)
    )


def layer_macs(
    model: nn.Module, input_shape: Shape = DEFAULT_INPUT, *, label: str | None = None
) -> list[LayerCost]:
    """Every counted layer of one forward pass on an input of `input_shape`, by formula."""
    return formula_layers(model, _input_like(model, input_shape), label=label)


def analytic_macs(
    model: nn.Module, input_shape: Shape = DEFAULT_INPUT, *, label: str | None = None
) -> int:
    """Total MACs by the formula, summed over `layer_macs`."""
    return sum(row.macs for row in layer_macs(model, input_shape, label=label))


# The oracle: torch's own count. Its first use imports torch._dynamo (about 1 s): verify and the
# tests use it; the interactive path counts by formula.


def forward_macs(module: nn.Module, *inputs: torch.Tensor) -> int:
    """MACs of one forward pass on `inputs` as torch.utils.flop_counter sees it (2 FLOPs per MAC)."""
    from torch.utils.flop_counter import FlopCounterMode

    was_training, fastpath = module.training, torch.backends.mha.get_fastpath_enabled()
    try:
        module.eval()
        # nn.MultiheadAttention's fused inference kernel is invisible to the counter: count the
        # matmuls it stands for.
        torch.backends.mha.set_fastpath_enabled(False)
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            module(*inputs)
    finally:
        module.train(was_training)
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return counter.get_total_flops() // 2


def counter_macs(model: nn.Module, input_shape: Shape = DEFAULT_INPUT) -> int:
    """Total MACs according to torch.utils.flop_counter (2 FLOPs per MAC, conv and matmul only)."""
    return forward_macs(model, _input_like(model, input_shape))
