"""MobileNetV3's additions to the V2 block: h-swish, and squeeze-and-excitation gates."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cvquiz.demos.mobilenet.common import LAYER_COUNT, TORCHVISION
from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import (
    MACS_CONVENTION,
    Check,
    Presentation,
    Table,
    check,
    format_shape,
)
from cvquiz.demos.runner import DemoContext, refuse_large

if TYPE_CHECKING:
    import torch

# MobileNetV3 (Q33)

V3 = demo(
    "mobilenetv3",
    stochastic=False,  # the same numbers at every seed
    title="MobileNetV3: h-swish, squeeze-excitation, NAS-chosen blocks",
    summary="h-swish = x·ReLU6(x+3)/6 vs torch's hardswish, SE blocks, V3-Large/Small params and MACs",
)

V3_MODELS = ("mobilenet_v3_large", "mobilenet_v3_small", "mobilenet_v2")
HSWISH_POINTS = (-4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 4.0)
# Probe inputs that tell ReLU, h-swish and sigmoid-like gates apart (they differ at ±1 and ±2).
PROBES = (-4.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 4.0)

# The paper's tables, transcribed here on their own (not read from the zoo's config), so a zoo that
# swaps an activation or moves an SE disagrees with them. NL: RE = ReLU, HS = h-swish.
PAPER_BNECKS = {
    # Howard et al. 2019, Table 1 (V3-Large): 15 bnecks
    "mobilenet_v3_large": {
        "nl": "RE RE RE RE RE RE HS HS HS HS HS HS HS HS HS",
        "se": "- - - SE SE SE - - - - SE SE SE SE SE",
    },
    # Table 2 (V3-Small): 11 bnecks
    "mobilenet_v3_small": {
        "nl": "RE RE RE HS HS HS HS HS HS HS HS",
        "se": "SE - - SE SE SE SE SE SE SE SE",
    },
}


@dataclass(frozen=True)
class V3Model:
    """A zoo model at 224×224: its counts, its SE gates, and the published figures."""

    name: str
    params: int
    macs: int  # by the zoo's per-layer count
    se_blocks: int
    se_params: int
    reference_params: int
    reference_gmacs: float
    stem: str  # the stem conv's activation, identified by behaviour
    nl: str  # each bneck's activation, identified by behaviour ("RE", "HS", or "?")
    se: str  # which bnecks hold an SE gate
    gate_gap: float  # max |gate(p) − ReLU6(p+3)/6| over every SE gate and probe p


@dataclass(frozen=True)
class V3Numbers:
    """h-swish against torch and swish on [-6, 6], a few sample values, and the models' counts."""

    hswish_diff: float  # max |h_swish − F.hardswish|
    hsigmoid_diff: float  # max |h_sigmoid − F.hardsigmoid|
    swish_gap: float  # max |h_swish − F.silu|
    samples: tuple[tuple[float, float, float, float], ...]  # x, h-swish, swish, x·ReLU6(x+3)/6
    models: tuple[V3Model, ...]  # V3_MODELS, in order

    def model(self, name: str) -> V3Model:
        """The counts of zoo model `name`."""
        return next(m for m in self.models if m.name == name)


@V3.measure
def measure_v3(s: Settings, ctx: DemoContext) -> V3Numbers:
    import torch
    from torch.nn import functional as F

    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.registry import spec_macs

    x = torch.linspace(-6.0, 6.0, 1201, device=ctx.device)
    ours = zoo.h_swish(x)
    points = torch.tensor(HSWISH_POINTS)
    probes = torch.tensor(PROBES, device=ctx.device)
    hard_sigmoid = F.relu6(probes + 3) / 6  # the paper's formula, not the zoo's h_sigmoid
    models = []
    for name in V3_MODELS:
        spec = zoo.MODELS[name]
        model = zoo.build_meta(spec.builder)
        gates = [m for m in model.modules() if isinstance(m, zoo.SqueezeExcitation)]
        bnecks = [m for m in model.features if isinstance(m, zoo.InvertedResidual)]
        assert spec.reference_params is not None and spec.reference_gmacs is not None
        models.append(
            V3Model(
                name,
                zoo.count_params(model),
                spec_macs(spec, model),  # as zoo.model_counts would, on the model built here
                len(gates),
                sum(zoo.count_params(m) for m in gates),
                spec.reference_params,
                spec.reference_gmacs,
                stem=_identify(model.features[0][-1], probes),
                nl=" ".join(_block_activation(b, probes) for b in bnecks),
                se=" ".join(
                    "SE" if any(isinstance(m, zoo.SqueezeExcitation) for m in b.modules()) else "-"
                    for b in bnecks
                ),
                gate_gap=max(
                    (float((g.gate(probes.clone()) - hard_sigmoid).abs().max()) for g in gates),
                    default=0.0,
                ),
            )
        )
    return V3Numbers(
        hswish_diff=float((ours - F.hardswish(x)).abs().max()),
        hsigmoid_diff=float((zoo.h_sigmoid(x) - F.hardsigmoid(x)).abs().max()),
        swish_gap=float((ours - F.silu(x)).abs().max()),
        # The last column is the formula itself, next to the zoo's h_swish.
        samples=tuple(
            (float(p), float(zoo.h_swish(p)), float(F.silu(p)), float(p * F.relu6(p + 3) / 6))
            for p in points
        ),
        models=tuple(models),
    )


def _identify(activation: torch.nn.Module, probes: torch.Tensor) -> str:
    """'RE' if the module acts as ReLU on the probes, 'HS' if as x·ReLU6(x+3)/6, else '?'."""
    import torch
    from torch.nn import functional as F

    with torch.no_grad():
        out = activation(probes.clone())  # a clone: the zoo's ReLUs work in place
    for label, expected in (("RE", F.relu(probes)), ("HS", probes * F.relu6(probes + 3) / 6)):
        if torch.allclose(out, expected, atol=1e-6):
            return label
    return "?"


def _block_activation(block: torch.nn.Module, probes: torch.Tensor) -> str:
    """The activation after a bneck's expand and depthwise convs, or 'mixed' if they differ."""
    from torch import nn

    found = {
        _identify(layer[2], probes)
        for layer in block.block
        if isinstance(layer, nn.Sequential) and len(layer) == 3
    }
    return found.pop() if len(found) == 1 else "mixed"


def _reference_checks(m: V3Model) -> tuple[Check, Check]:
    """A model's params and MACs against the published table."""
    return (
        check(
            f"{m.name} params", expected=m.reference_params, measured=m.params, source=TORCHVISION
        ),
        check(
            f"{m.name}: {m.reference_gmacs} GMACs",
            expected=round(m.reference_gmacs * 1e9),
            measured=m.macs,
            source=f"{TORCHVISION}; measured: {LAYER_COUNT}",
            abs_tol=500_000,
        ),
    )


def _function_checks(m: V3Model) -> Check:
    """Each bneck's activation and SE, identified by behaviour, against the paper's table."""
    paper = PAPER_BNECKS[m.name]
    table = "Table 1" if m.name.endswith("large") else "Table 2"
    return check(
        f"{m.name}: stem and each bneck's activation (NL) and SE as in the paper's table",
        expected=f"stem HS; NL {paper['nl']}; {paper['se']}",
        measured=f"stem {m.stem}; NL {m.nl}; {m.se}",
        source=f"Howard et al. 2019, {table}; measured: each block's activation modules on probe "
        "inputs (ReLU or x·ReLU6(x+3)/6), and whether it holds an SE",
    )


@V3.present
def present_v3(r: V3Numbers, s: Settings) -> Presentation:
    large, small, v2 = (r.model(name) for name in V3_MODELS)
    return Presentation(
        explanation=(
            "MobileNetV3 keeps V2's inverted residual but lets a search choose each block: platform-aware NAS "
            "for the blocks, NetAdapt for per-layer widths, measured on phone latency.",
            "Two additions: squeeze-and-excitation gates in some blocks, and h-swish(x) = x·ReLU6(x+3)/6, a "
            "piecewise-linear swish that is cheap and quantizes well (used in the later, deeper layers).",
            f"Result: V3-Large has {large.macs / v2.macs:.0%} of V2's MACs with better published accuracy.",
        ),
        tables=(
            Table(
                title="h-swish vs swish (x·sigmoid x)",
                columns=("x", "h-swish(x)", "swish(x)", "x·ReLU6(x+3)/6"),
                rows=r.samples,
            ),
            Table(
                title="Each bneck's activation and SE, identified by probing the built model",
                columns=("model", "stem", "bneck activations (RE = ReLU, HS = h-swish)", "SE"),
                rows=tuple((m.name, m.stem, m.nl, m.se) for m in (large, small)),
            ),
            Table(
                title="MobileNetV3 at 224×224 (V2 for comparison)",
                columns=("model", "params", "MACs", "SE blocks", "SE params"),
                rows=tuple((m.name, m.params, m.macs, m.se_blocks, m.se_params) for m in r.models),
            ),
        ),
        checks=(
            check(
                "h-swish x·ReLU6(x+3)/6 = torch's F.hardswish on [-6, 6]",
                expected=0.0,
                measured=r.hswish_diff,
                source="torch.nn.functional.hardswish",
                abs_tol=1e-6,
            ),
            check(
                "h-sigmoid ReLU6(x+3)/6 = torch's F.hardsigmoid",
                expected=0.0,
                measured=r.hsigmoid_diff,
                source="torch.nn.functional.hardsigmoid",
                abs_tol=1e-6,
            ),
            check(
                "h-swish stays close to swish: the largest gap is 3·σ(−3) ≈ 0.1423, at the kinks x = ±3",
                expected=3 / (1 + math.exp(3)),
                measured=r.swish_gap,
                source="formula: for |x| ≥ 3 the gap is |x|·σ(−|x|), largest at 3 (a dense float64 grid "
                "on [-10, 10] finds no larger one inside); measured on [-6, 6] with F.silu, float32 (±1e-6)",
                abs_tol=1e-6,
            ),
            check(
                "SE blocks: 8 in V3-Large, 9 in V3-Small",
                expected="8, 9",
                measured=f"{large.se_blocks}, {small.se_blocks}",
                source="Howard et al. 2019, Tables 1 and 2",
            ),
            *(_function_checks(m) for m in (large, small)),
            check(
                "every V3 SE gate is a hard sigmoid ReLU6(x+3)/6, not a sigmoid",
                expected=0.0,
                measured=max(large.gate_gap, small.gate_gap),
                source="Howard et al. 2019, sec. 5.2 and Fig. 4; measured: each SE gate module of V3-Large and "
                f"-Small on the probes {', '.join(f'{p:g}' for p in PROBES)}",
                abs_tol=1e-6,
            ),
            *_reference_checks(large),
            *_reference_checks(small),
            check(
                "V3-Large params > V2 params, yet fewer MACs",
                expected=True,
                measured=large.params > v2.params and large.macs < v2.macs,
                source="counts above",
            ),
        ),
        convention=MACS_CONVENTION,
    )


# Squeeze-and-excitation cost (Q34)

SE = demo(
    "squeeze-excitation-cost",
    stochastic=False,  # the same numbers at every seed
    title="Squeeze-and-excitation: what the channel gates cost",
    summary="global pool → FC reduce → FC expand → gates; SE params and MACs vs the MobileNetV3 block it sits in",
    params=(
        Param("channels", int, 120, "expanded channels C where SE sits", min=8, max=2048),
        Param("block_channels", int, 40, "block input/output channels", min=1, max=1024),
        Param("reduction", int, 4, "squeeze ratio r (C → C/r)", min=1, max=64),
        Param("size", int, 28, "height and width", min=1, max=224),
    ),
)


@dataclass(frozen=True)
class SENumbers:
    """SE's cost inside a bneck on meta, and one real SE's shapes and gates (batch 2)."""

    squeezed: int  # C/r, at least 1
    se_params: int
    se_macs: int  # by the zoo's per-layer count
    block_params: int
    block_macs: int
    shapes: tuple[tuple[int, ...], ...]  # input, pooled, gates, output
    gates_in_range: bool  # every gate in (0, 1)
    scale_gap: float  # max |SE(x) − x × gates|


@SE.measure
def measure_se(s: Settings, ctx: DemoContext) -> SENumbers:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    c, size = s.channels, s.size
    squeezed = max(1, c // s.reduction)
    refuse_large(2 * c * size * size, what=f"a 2×{c}×{size}×{size} tensor")
    se = zoo.SqueezeExcitation(c, squeezed, gate=nn.Sigmoid).to(ctx.device).eval()
    # The zoo's forward, watched: fc1 sees the squeezed map, the gate gives the excitation.
    seen: dict[str, torch.Tensor] = {}
    hooks = (
        se.fc1.register_forward_hook(lambda _m, inputs, _o: seen.update(pooled=inputs[0])),
        se.gate.register_forward_hook(lambda _m, _i, output: seen.update(gates=output)),
    )
    x = torch.randn(2, c, size, size, generator=ctx.rng).to(ctx.device)  # (N, C, H, W)
    with torch.no_grad():
        out = se(x)  # (N, C, H, W)
    for hook in hooks:
        hook.remove()
    pooled, gates = seen["pooled"], seen["gates"]  # squeeze and excitation: (N, C, 1, 1)
    block = zoo.build_meta(
        zoo.InvertedResidual,
        in_ch=s.block_channels,
        out_ch=s.block_channels,
        expanded_ch=c,
        kernel_size=5,
        activation=nn.ReLU,
        se_channels=squeezed,
        se_gate=nn.Sigmoid,
    )
    se_meta = next(m for m in block.modules() if isinstance(m, zoo.SqueezeExcitation))
    x_meta = torch.empty(1, s.block_channels, size, size, device="meta")
    at = f"{size}×{size}"
    se_macs = zoo.formula_macs(
        se_meta,
        torch.empty(1, c, size, size, device="meta"),
        label=f"SE {c}→{squeezed}→{c} at {at}",
    )
    block_macs = zoo.formula_macs(
        block, x_meta, label=f"5×5 bneck {s.block_channels}→{c}→{s.block_channels} with SE at {at}"
    )
    return SENumbers(
        squeezed=squeezed,
        se_params=zoo.count_params(se_meta),
        se_macs=se_macs,
        block_params=zoo.count_params(block),
        block_macs=block_macs,
        shapes=tuple(tuple(t.shape) for t in (x, pooled, gates, out)),
        gates_in_range=bool(((gates > 0) & (gates < 1)).all()),
        scale_gap=float((out - x * gates).abs().max()),
    )


SE_STEPS = (
    "input",
    "squeeze: global average pool",
    "excite: FC, ReLU, FC, sigmoid",
    "scale: input × gates",
)


@SE.present
def present_se(r: SENumbers, s: Settings) -> Presentation:
    c, sq, size, bc = s.channels, r.squeezed, s.size, s.block_channels
    param_share, mac_share = r.se_params / r.block_params, r.se_macs / r.block_macs
    return Presentation(
        explanation=(
            "SE recalibrates channels: global average pool (squeeze each channel to one number), a small FC "
            "C → C/r → C (excitation), then a sigmoid gate in (0, 1) that rescales every channel.",
            f"The FCs act on a 1×1 map, so their MACs do not grow with the image: here SE is {mac_share:.2%} "
            f"of the block's MACs but {param_share:.0%} of its parameters (2C²/r), and the global pool "
            "adds latency (it must see the whole map before any channel can be scaled).",
        ),
        tables=(
            Table(
                title=f"SE on C={c} (r={s.reduction}, C/r={sq}) inside a 5×5 bneck {bc}→{c}→{bc}, {size}×{size}",
                columns=("part", "params", "MACs", "share of block"),
                rows=(
                    (
                        "SE: FC reduce + FC expand",
                        r.se_params,
                        r.se_macs,
                        f"{param_share:.1%} params, {mac_share:.2%} MACs",
                    ),
                    ("whole block (with SE)", r.block_params, r.block_macs, "100%"),
                ),
                note="SE's pooling and channel scaling are C·H·W additions and multiplies each, not MACs in this convention",
            ),
            Table(
                title="Shapes through SE (batch 2)",
                columns=("step", "shape"),
                rows=tuple(
                    (step, format_shape(shape))
                    for step, shape in zip(SE_STEPS, r.shapes, strict=True)
                ),
            ),
        ),
        checks=(
            check(
                "SE params: 2·C·C/r + C/r + C",
                expected=2 * c * sq + sq + c,
                measured=r.se_params,
                source="formula",
            ),
            check(
                "SE MACs: 2·C·C/r, independent of H×W",
                expected=2 * c * sq,
                measured=r.se_macs,
                source=f"formula; measured: {LAYER_COUNT}",
            ),
            check(
                "gates have shape (N, C, 1, 1)",
                expected=f"2×{c}×1×1",
                measured=format_shape(r.shapes[2]),
                source="experiment",
            ),
            check(
                "gates lie in (0, 1)",
                expected=True,
                measured=r.gates_in_range,
                source="sigmoid range",
            ),
            check(
                "SE output = input × gates, channel by channel",
                expected=0.0,
                measured=r.scale_gap,
                source="torch",
                abs_tol=1e-6,
            ),
        ),
        convention=MACS_CONVENTION,
    )
