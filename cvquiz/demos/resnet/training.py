"""Signal through deep stacks: He initialisation, and shortcuts as gradient highways."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import HE_2016, on_one_thread
from cvquiz.demos.result import Presentation, Table, check
from cvquiz.demos.runner import DemoContext

if TYPE_CHECKING:
    import torch


# Q11 and Q9: signal propagation through deep stacks (He init; shortcuts as gradient highways).

# 64 channels keep each layer's random gain close to its expectation; a 4x4 map with circular
# padding keeps the work small (fan-in does not depend on the map size).
STACK_WIDTH, STACK_SIZE, STACK_BATCH = 64, 4, 2

SMALL_STD = 0.01  # the fixed Gaussian of pre-2015 practice (AlexNet, early VGG attempts)


# A random stack's gain is a product of random per-layer gains, so its log spreads as √depth. Over
# 100 seeds (depth 10 to 50) one standard deviation was about 0.03·√depth decades for a gradient
# norm; checks allow 5σ = 0.14·√depth. Geometric means over the layers spread as 1/√depth: about
# 0.22/√depth (forward) and 0.1/√depth (backward) relative; checks allow 5σ.
DECADES_PER_ROOT_LAYER = 0.14

FORWARD_REL_ROOT, BACKWARD_REL_ROOT = 1.1, 0.5

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
    """E[t²] over every element."""
    return t.pow(2).mean().item()


HE_INIT = demo(
    "he-init",
    title="He initialisation keeps the signal's scale through ReLU layers",
    summary="Var(w) = 2/fan_in keeps a deep ReLU stack's signal at scale; Xavier halves it per layer.",
    params=(Param("depth", int, 30, "conv-ReLU layers in the stack", min=20, max=50),),
)

FAN_IN = 9 * STACK_WIDTH  # a 3x3 conv over STACK_WIDTH channels; fan_out is the same

# Each init: its name, Var(w), and where the variance comes from.
INITS = (
    ("N(0, 0.01²)", SMALL_STD**2, "fixed small Gaussian"),
    ("Xavier", 1 / FAN_IN, "Glorot & Bengio 2010: 2/(fan_in + fan_out)"),
    ("He", 2 / FAN_IN, "He init: 2/fan_in"),
)


def _layer_gain(var: float) -> float:
    """E[h_l²] / E[h_(l-1)²] = fan_in·Var(w)/2: ReLU halves it (He et al. 2015b, eq. 10)."""
    return FAN_IN * var / 2


class InitRun(NamedTuple):
    """One init's stack: the measured per-layer factors and the mean square layer by layer."""

    init: str
    var: float
    forward: float  # geometric mean over the layers of the mean square's ratio
    backward: float  # the same for the gradient, going back
    trace: tuple[float, ...]  # mean square of the activations at `trace_layers`


@dataclass(frozen=True)
class HeInitNumbers:
    """The same input through a plain conv-ReLU stack under each init."""

    runs: tuple[InitRun, ...]
    trace_layers: tuple[int, ...]  # 0 (the input), every fifth layer, and the last


@HE_INIT.measure
@on_one_thread
def measure_he_init(s: Settings, ctx: DemoContext) -> HeInitNumbers:
    import torch

    depth = s.depth
    dtype = torch.float64  # N(0, 0.01²) shrinks the signal below float32's range by layer ~20
    x = torch.randn(
        STACK_BATCH, STACK_WIDTH, STACK_SIZE, STACK_SIZE, generator=ctx.rng, dtype=dtype
    )  # (N, C, H, W)
    trace_layers = tuple(sorted({0, *range(5, depth, 5), depth}))
    runs = []
    for name, var, _ in INITS:
        weights = _stack_weights(depth, var=var, generator=ctx.rng, dtype=dtype)
        xg = x.clone().to(ctx.device).requires_grad_(True)
        outputs, out = _run_stack(xg, [w.to(ctx.device) for w in weights], residual=False)
        g = torch.randn(out.shape, generator=ctx.rng, dtype=dtype).to(ctx.device)
        (out * g).sum().backward()
        trace = [_mean_square(x), *(_mean_square(h) for h in outputs)]
        runs.append(
            InitRun(
                init=name,
                var=var,
                forward=(_mean_square(out) / _mean_square(x)) ** (1 / depth),
                backward=(_mean_square(xg.grad) / _mean_square(g)) ** (1 / depth),
                trace=tuple(trace[layer] for layer in trace_layers),
            )
        )
    return HeInitNumbers(tuple(runs), trace_layers)


@HE_INIT.present
def present_he_init(n: HeInitNumbers, s: Settings) -> Presentation:
    depth, rows, checks = s.depth, [], []
    for run, (_, _, source) in zip(n.runs, INITS, strict=True):
        expected = _layer_gain(run.var)
        rows.append(
            (run.init, f"{run.var:.3g}", round(expected, 4), round(run.forward, 4),
             round(run.backward, 4))
        )  # fmt: skip
        checks += [
            check(
                f"{run.init}: each layer scales the mean square by fan_in·Var(w)/2 = {expected:.4g}",
                expected=round(expected, 4),
                measured=round(run.forward, 4),
                source=f"{HE_2015B}, eq. (10); {source}; ±5σ of a random stack, 1.1/√depth",
                rel_tol=round(FORWARD_REL_ROOT / depth**0.5, 3),
            ),
            check(
                f"{run.init}: gradients scale by the same factor going back (fan_out = fan_in)",
                expected=round(expected, 4),
                measured=round(run.backward, 4),
                source=f"{HE_2015B}, eq. (14); ±5σ of a random stack, 0.5/√depth",
                rel_tol=round(BACKWARD_REL_ROOT / depth**0.5, 3),
            ),
        ]
    trace_rows = tuple(
        (layer, *(f"{run.trace[i]:.2e}" for run in n.runs))
        for i, layer in enumerate(n.trace_layers)
    )
    return Presentation(
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
            f"{FAN_IN}), circular padding so every output has the full fan-in, float64.",
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
                ("layer", *(run.init for run in n.runs)),
                trace_rows,
            ),
        ),
        checks=tuple(checks),
    )


HIGHWAY = demo(
    "gradient-highway",
    title="Shortcuts as gradient highways",
    summary="Same small init: a plain stack's input gradient vanishes, a residual one's doesn't.",
    params=(
        Param(
            "depth",
            int,
            20,
            "conv layers (the residual stack has depth/2 blocks)",
            min=10,
            max=50,
            multiple_of=2,
            why="two convs per residual block",
        ),
    ),
)

# Each stack: plain or residual, its init's name, Var(w).
STACKS = (
    ("plain", "N(0, 0.01²)", SMALL_STD**2),
    ("plain", "He", 2 / FAN_IN),
    ("residual", "N(0, 0.01²)", SMALL_STD**2),
)


class StackRun(NamedTuple):
    """One stack's gradient norm, relative to the output's, halfway down and at the input."""

    stack: str
    init: str
    middle: float
    input: float


@dataclass(frozen=True)
class HighwayNumbers:
    """The same input and output gradient through a plain and a residual stack."""

    runs: tuple[StackRun, ...]  # in the order of STACKS


@HIGHWAY.measure
@on_one_thread
def measure_highway(s: Settings, ctx: DemoContext) -> HighwayNumbers:
    import torch

    dtype = torch.float64  # the plain stack's gradient falls below float32's range
    x = torch.randn(
        STACK_BATCH, STACK_WIDTH, STACK_SIZE, STACK_SIZE, generator=ctx.rng, dtype=dtype
    )  # (N, C, H, W)
    runs = []
    for kind, init, var in STACKS:
        weights = [
            w.to(ctx.device)
            for w in _stack_weights(s.depth, var=var, generator=ctx.rng, dtype=dtype)
        ]
        xg = x.clone().to(ctx.device).requires_grad_(True)
        outputs, out = _run_stack(xg, weights, residual=kind == "residual")
        mid = outputs[len(outputs) // 2 - 1]
        mid.retain_grad()
        g = torch.randn(out.shape, generator=ctx.rng, dtype=dtype).to(ctx.device)
        (out * g).sum().backward()
        runs.append(
            StackRun(
                kind, init, (mid.grad.norm() / g.norm()).item(), (xg.grad.norm() / g.norm()).item()
            )
        )
    return HighwayNumbers(tuple(runs))


@HIGHWAY.present
def present_highway(n: HighwayNumbers, s: Settings) -> Presentation:
    depth = s.depth
    plain_small, plain_he, residual = n.runs
    # Each plain layer scales the gradient's mean square by fan·Var(w)/2, its norm by the root.
    expected_log = depth / 2 * math.log10(_layer_gain(SMALL_STD**2))
    # Random per-layer gains: the log of their product spreads as √layers (see DECADES_PER_ROOT_LAYER).
    spread_full = round(DECADES_PER_ROOT_LAYER * depth**0.5, 2)
    spread_half = round(DECADES_PER_ROOT_LAYER * (depth / 2) ** 0.5, 2)
    checks = (
        check(
            f"plain, small init: the gradient norm at the input is 10^{expected_log:.1f} of the output's",
            expected=round(expected_log, 2),
            measured=round(math.log10(plain_small.input), 2),
            source=f"formula (depth/2)·log10(fan·Var(w)/2); {HE_2015B}; ±5σ of a random stack, 0.14·√depth",
            abs_tol=spread_full,
        ),
        check(
            f"plain, small init: halfway down, 10^{expected_log / 2:.1f}: the decay is exponential in depth",
            expected=round(expected_log / 2, 2),
            measured=round(math.log10(plain_small.middle), 2),
            source="formula (depth/4)·log10(fan·Var(w)/2); ±5σ, 0.14·√(depth/2)",
            abs_tol=spread_half,
        ),
        check(
            "residual, same init: the gradient reaches the input at full strength",
            expected=1.0,
            measured=round(residual.input, 4),
            source=f"{HE_2016}, eq. (5): ∂E/∂x_l = ∂E/∂x_L·(1 + ∂/∂x_l Σ F)",
            rel_tol=0.05,
        ),
        check(
            f"plain, He init: good init alone also keeps the gradient's scale (log10 within ±{spread_full})",
            expected=0.0,
            measured=round(math.log10(plain_he.input), 2),
            source=f"{HE_2015B}, eq. (14); ±5σ of a random stack, 0.14·√depth",
            abs_tol=spread_full,
        ),
    )
    return Presentation(
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
                tuple((r.stack, r.init, f"{r.middle:.2e}", f"{r.input:.2e}") for r in n.runs),
            ),
        ),
        checks=checks,
    )
