"""ResNet beside VGG-16 and DenseNet-121: where the parameters and MACs go.

Every model is built on the meta device and counted by the zoo's per-layer formula (`cvquiz
verify` counts each again with FlopCounterMode).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from cvquiz.demos.params import Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import (
    HE_2015,
    PAPER_GMACS,
    _gmacs,
    _gmacs_check,
    _paper_gmacs_check,
    _params_check,
    _v1_vs_v15,
)
from cvquiz.demos.result import MACS_CONVENTION, Presentation, Table, check
from cvquiz.demos.runner import DemoContext

if TYPE_CHECKING:
    from torch import nn
    from torch.utils.hooks import RemovableHandle

# torchvision 0.29.1's weights tables.
VGG16_PARAMS, VGG16_GMACS = 138_357_544, 15.47
RESNET50_PARAMS, RESNET50_GMACS = 25_557_032, 4.089
DENSENET121_PARAMS, DENSENET121_GMACS = 7_978_856, 2.834

# Q15: ResNet vs VGG.

VGG = demo(
    "vgg-vs-resnet",
    stochastic=False,  # the same numbers at every seed
    title="VGG-16 vs ResNet-50: parameters and MACs",
    summary="5.4x the parameters (89% in VGG's FC layers) and 3.8x the MACs of ResNet-50.",
)

VGG16_PAPER_GMACS = 15.3  # He et al. 2015, sec. 4.1: "VGG-16/19 nets (15.3/19.6 billion FLOPs)"


class ConvWork(NamedTuple):
    """A model's conv layers whose outputs share one size: their parameters and MACs."""

    model: str
    size: int  # output height and width
    params: int
    macs: int


@dataclass(frozen=True)
class VggNumbers:
    """VGG-16 and ResNet-50 at 224x224: parameters, MACs, and where the conv work happens."""

    vgg_params: int
    vgg_fc_params: int  # the three FC layers
    vgg_macs: int
    vgg_conv_macs: int
    r50_params: int
    r50_fc_params: int
    r50_macs: int  # V1.5
    r50_conv_macs: int
    r50_v1_macs: int
    r34_macs: int  # basic blocks only: no bottleneck anywhere
    conv_work: tuple[ConvWork, ...]


@VGG.measure
def measure_vgg(s: Settings, ctx: DemoContext) -> VggNumbers:
    from cvquiz.demos import zoo

    found, conv_work = {}, []
    for name, label in (("vgg16", "VGG-16"), ("resnet50", "ResNet-50")):
        model = zoo.build_meta(zoo.MODELS[name].builder)
        layers = zoo.layer_macs(model, (1, 3, 224, 224), label=label)
        convs = [r for r in layers if r.kind != "linear"]
        found[name] = (model, sum(r.macs for r in layers), sum(r.macs for r in convs))
        by_size: dict[int, list[int]] = {}
        for r in convs:
            entry = by_size.setdefault(r.output_shape[-1], [0, 0])
            entry[0] += r.params
            entry[1] += r.macs
        conv_work += [ConvWork(label, size, p, m) for size, (p, m) in by_size.items()]
    (vgg, vgg_macs, vgg_conv), (r50, r50_macs, r50_conv) = found["vgg16"], found["resnet50"]
    return VggNumbers(
        vgg_params=zoo.count_params(vgg),
        vgg_fc_params=zoo.count_params(vgg.classifier),
        vgg_macs=vgg_macs,
        vgg_conv_macs=vgg_conv,
        r50_params=zoo.count_params(r50),
        r50_fc_params=zoo.count_params(r50.fc),
        r50_macs=r50_macs,
        r50_conv_macs=r50_conv,
        r50_v1_macs=r50_macs - _v1_vs_v15()[0],
        r34_macs=zoo.analytic_macs(zoo.build_meta(zoo.resnet34), label="ResNet-34"),
        conv_work=tuple(conv_work),
    )


def _share(part: int, whole: int) -> float:
    """part / whole to 4 decimals, as the tables show shares."""
    return round(part / whole, 4)


@VGG.present
def present_vgg(n: VggNumbers, s: Settings) -> Presentation:
    # Weights + biases of VGG's three FC layers (Simonyan & Zisserman 2014, Table 1).
    vgg_fc_formula = (512 * 7 * 7 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    checks = (
        _params_check("VGG-16", expected=VGG16_PARAMS, measured=n.vgg_params),
        _params_check("ResNet-50", expected=RESNET50_PARAMS, measured=n.r50_params),
        _gmacs_check("VGG-16", expected=VGG16_GMACS, macs=n.vgg_macs, abs_tol=0.005),
        _gmacs_check("ResNet-50", expected=RESNET50_GMACS, macs=n.r50_macs, abs_tol=0.0005),
        check(
            "VGG-16: 15.3e9 multiply-adds (the paper counts its conv layers)",
            expected=VGG16_PAPER_GMACS,
            measured=_gmacs(n.vgg_conv_macs),
            source=f"{HE_2015}, sec. 4.1 ('VGG-16/19 nets (15.3/19.6 billion FLOPs)')",
            abs_tol=0.05,
        ),
        _paper_gmacs_check(
            "ResNet-50 (V1): 3.8e9 multiply-adds", name="resnet50", macs=n.r50_v1_macs
        ),
        check(
            "VGG-16's three FC layers hold its parameters: (25088+1)·4096 + (4096+1)·4096 + (4096+1)·1000",
            expected=vgg_fc_formula,
            measured=n.vgg_fc_params,
            source="formula, weights + biases",
        ),
        check(
            "VGG-16 needs more MACs than ResNet-50 (and even ResNet-152's 11.3e9)",
            expected=True,
            measured=n.vgg_macs > n.r50_macs and n.vgg_conv_macs > 11.3e9,
            source=f"{HE_2015}, sec. 4.1",
        ),
        check(
            "ResNet-34 has no bottleneck block, yet needs under a quarter of VGG-16's MACs",
            expected=True,
            measured=n.r34_macs < n.vgg_conv_macs / 4,
            source=f"{HE_2015}, sec. 3.3: the 34-layer net's 3.6e9 multiply-adds are 18% of "
            f"VGG-19's 19.6e9; measured {_gmacs(n.r34_macs)}e9 vs {_gmacs(n.vgg_conv_macs)}e9",
        ),
        check(
            "bottlenecks buy depth, not a lower cost: ResNet-50 needs more MACs than ResNet-34",
            expected=True,
            measured=n.r50_v1_macs > n.r34_macs,
            source=f"{HE_2015}, Table 1: 3.6e9 (34 layers) vs 3.8e9 (50 layers, V1)",
        ),
    )
    param_rows = (
        ("VGG-16", 16, n.vgg_params, n.vgg_fc_params, _share(n.vgg_fc_params, n.vgg_params)),
        ("ResNet-50", 50, n.r50_params, n.r50_fc_params, _share(n.r50_fc_params, n.r50_params)),
    )
    mac_rows = (
        ("VGG-16", _gmacs(n.vgg_macs), _gmacs(n.vgg_conv_macs), VGG16_PAPER_GMACS),
        ("ResNet-50 (V1.5)", _gmacs(n.r50_macs), _gmacs(n.r50_conv_macs), None),
        ("ResNet-50 (V1)", _gmacs(n.r50_v1_macs), None, PAPER_GMACS["resnet50"]),
        ("ResNet-34 (basic blocks)", _gmacs(n.r34_macs), None, PAPER_GMACS["resnet34"]),
    )
    return Presentation(
        explanation=(
            f"VGG-16 has {n.vgg_params / n.r50_params:.1f}x ResNet-50's parameters and "
            f"{n.vgg_macs / n.r50_macs:.1f}x its MACs, yet ResNet-50 is more accurate: He et al. "
            "report 22.85% vs 28.07% top-1 error (10-crop, Table 3).",
            f"{_share(n.vgg_fc_params, n.vgg_params):.0%} of VGG-16's parameters sit in its three "
            "FC layers (the first alone maps 512x7x7 to 4096). ResNet replaces them with global "
            "average pooling and a single 2048→1000 FC.",
            "VGG's compute is 3x3 convs at full width on large maps (64 channels at 224x224); "
            "ResNet shrinks the map fast in the stem (7x7 stride 2, max pool) before any 3x3 "
            "stage, and keeps its widest layers for the smallest maps.",
            f"Bottlenecks are not where the saving comes from: ResNet-34, with basic blocks only, "
            f"already needs {_gmacs(n.r34_macs)}e9 MACs, less than ResNet-50's; the stem's early "
            "downsampling, fewer filters and global pooling do it (He et al. 2015, sec. 3.3).",
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
                note="paper: He et al. 2015, sec. 4.1 (VGG-16) and Table 1 (ResNet-34 and -50, V1).",
            ),
            Table(
                "Where the conv work happens (by output size)",
                ("model", "output size", "params", "MACs"),
                tuple((w.model, f"{w.size}x{w.size}", w.params, w.macs) for w in n.conv_work),
            ),
        ),
        checks=checks,
        convention=MACS_CONVENTION,
    )


# Q17: ResNet vs DenseNet.

DENSENET = demo(
    "densenet-vs-resnet",
    stochastic=False,  # the same numbers at every seed
    title="DenseNet-121 vs ResNet-50: concatenate vs add",
    summary="Concatenation grows channels k0 + l·k: fewer params and MACs, more activations.",
)

GROWTH_RATE = 32  # DenseNet-121's k (Huang et al. 2017, Table 1)


class DenseBlockReads(NamedTuple):
    """What one dense block's layers read, beside ResNet-50's stage at the same resolution."""

    layers: int  # L
    in_channels: int  # k0
    last_in_channels: int  # what the block's last layer reads: k0 + (L − 1)·k
    height: int
    width: int
    concat_reads: int  # elements of every layer's concatenated input, summed
    resnet_reads: int  # elements of ResNet-50's block inputs in the matching stage


@dataclass(frozen=True)
class DenseNumbers:
    """DenseNet-121's blocks against ResNet-50's stages, and both whole models."""

    blocks: tuple[DenseBlockReads, ...]
    resnet_stage_widths: tuple[tuple[int, ...], ...]  # distinct output channels per stage
    dense_params: int
    dense_macs: int
    r50_params: int
    r50_macs: int


def _forward_empty(model: nn.Module, hooks: Sequence[RemovableHandle]) -> None:
    """One forward pass of a meta-device model on a 224x224 image for its `hooks`, then removed.

    It runs on an empty batch (zoo.empty_pass): hooks see batch 0, every other dimension real. A
    forward on meta tensors would import torch._dynamo, about 1 s.
    """
    import torch

    from cvquiz.demos import zoo

    try:
        zoo.empty_pass(model, torch.empty((1, 3, 224, 224), device="meta"))
    finally:
        for handle in hooks:
            handle.remove()


def _one_image(shape: Sequence[int]) -> tuple[int, ...]:
    """A shape seen on the empty batch, given back its batch of one image."""
    return (1, *shape[1:])


@DENSENET.measure
def measure_densenet(s: Settings, ctx: DemoContext) -> DenseNumbers:
    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.classic import DenseBlock, DenseLayer

    dense = zoo.build_meta(zoo.densenet121)
    r50 = zoo.build_meta(zoo.resnet50)
    # What each dense layer reads: the concatenation of everything before it in its block.
    blocks = [m for m in dense.modules() if isinstance(m, DenseBlock)]
    layer_reads: dict[int, list[tuple[int, ...]]] = {i: [] for i in range(len(blocks))}
    handles = [
        layer.register_forward_pre_hook(
            lambda _m, inp, i=i: layer_reads[i].append(_one_image(inp[0].shape))
        )
        for i, block in enumerate(blocks)
        for layer in block.modules()
        if isinstance(layer, DenseLayer)
    ]
    _forward_empty(dense, handles)
    d_layers = zoo.layer_macs(dense, (1, 3, 224, 224), label="DenseNet-121")
    # What each ResNet-50 bottleneck reads and writes, stage by stage.
    stage_io: dict[int, list[tuple[tuple[int, ...], tuple[int, ...]]]] = {i: [] for i in range(4)}
    handles = [
        block.register_forward_hook(
            lambda _m, inp, out, i=i: stage_io[i].append(
                (_one_image(inp[0].shape), _one_image(out.shape))
            )
        )
        for i in range(4)
        for block in getattr(r50, f"layer{i + 1}")
    ]
    _forward_empty(r50, handles)
    r_layers = zoo.layer_macs(r50, (1, 3, 224, 224), label="ResNet-50")

    reads = []
    for i, block in enumerate(blocks):
        shapes = layer_reads[i]
        _, k0, h, w = shapes[0]  # (N, k0, H, W)
        reads.append(
            DenseBlockReads(
                layers=len(block.layers),
                in_channels=k0,
                last_in_channels=shapes[-1][1],
                height=h,
                width=w,
                concat_reads=sum(math.prod(shape) for shape in shapes),
                resnet_reads=sum(math.prod(inp) for inp, _ in stage_io[i]),
            )
        )
    return DenseNumbers(
        blocks=tuple(reads),
        resnet_stage_widths=tuple(
            tuple(sorted({out[1] for _, out in stage_io[i]})) for i in range(4)
        ),
        dense_params=zoo.count_params(dense),
        dense_macs=sum(r.macs for r in d_layers),
        r50_params=zoo.count_params(r50),
        r50_macs=sum(r.macs for r in r_layers),
    )


@DENSENET.present
def present_densenet(n: DenseNumbers, s: Settings) -> Presentation:
    k, checks = GROWTH_RATE, []
    for i, b in enumerate(n.blocks, 1):
        checks += [
            check(
                f"dense block {i}: channels grow to k0 + L·k = {b.in_channels} + {b.layers}·{k}",
                expected=b.in_channels + b.layers * k,
                measured=b.last_in_channels + k,
                source="Huang et al. 2017, eq. (2): x_l = H_l(x_0 ‖ … ‖ x_(l-1))",
            ),
            check(
                f"dense block {i}: its layers read Σ (k0 + l·k)·H·W elements",
                expected=sum(
                    (b.in_channels + layer * k) * b.height * b.width for layer in range(b.layers)
                ),
                measured=b.concat_reads,
                source="formula; each concat is a new tensor unless memory is shared",
            ),
        ]
    checks += [
        _params_check("DenseNet-121", expected=DENSENET121_PARAMS, measured=n.dense_params),
        _params_check("ResNet-50", expected=RESNET50_PARAMS, measured=n.r50_params),
        _gmacs_check("DenseNet-121", expected=DENSENET121_GMACS, macs=n.dense_macs, abs_tol=0.0005),
        _gmacs_check("ResNet-50", expected=RESNET50_GMACS, macs=n.r50_macs, abs_tol=0.0005),
        check(
            "ResNet's addition keeps the width: every block of a stage outputs the same channels",
            expected=str([[256], [512], [1024], [2048]]),
            measured=str([list(w) for w in n.resnet_stage_widths]),
            source=f"{HE_2015}: y = F(x) + x",
        ),
    ]
    rows = tuple(
        (f"block {i}", b.layers, b.in_channels, b.in_channels + b.layers * k, f"{b.height}x{b.width}",
         b.concat_reads, b.resnet_reads)
        for i, b in enumerate(n.blocks, 1)
    )  # fmt: skip
    d_total, r_total = sum(b.concat_reads for b in n.blocks), sum(b.resnet_reads for b in n.blocks)
    return Presentation(
        explanation=(
            "ResNet adds: y = F(x) + x keeps the width, one skip per block. DenseNet (Huang et al. "
            "2017) concatenates: layer l reads x_0 ‖ x_1 ‖ … ‖ x_(l-1) (‖: concatenation), so a "
            "block's width grows by the growth rate k = 32 with every layer (64 + 6·32 = 256 in "
            "block 1).",
            f"Reusing features makes DenseNet-121 small: {n.dense_params:,} parameters "
            f"({n.r50_params / n.dense_params:.1f}x fewer than ResNet-50) and "
            f"{n.dense_macs / 1e9:.2f} vs {n.r50_macs / 1e9:.2f} GMACs.",
            "The price is memory: each concatenation is a fresh tensor in a naive implementation, "
            f"so the dense layers read {d_total:,} elements against {r_total:,} for ResNet-50's "
            "blocks, and those maps are kept for backprop. Memory-efficient DenseNets share the "
            "concat storage and recompute BN-ReLU (Pleiss et al. 2017).",
            "Counted on the meta device, on an empty batch: shapes only.",
        ),
        tables=(
            Table(
                "Dense blocks of DenseNet-121 at 224x224 (k = 32)",
                ("block", "layers L", "in k0", "out k0 + L·k", "H×W", "concat reads", "ResNet-50"),
                rows,
                note="concat reads: elements of every dense layer's concatenated input, summed; "
                "ResNet-50: elements of its block inputs in the stage at the same resolution.",
            ),
            Table(
                "Whole models at 224x224",
                ("model", "params", "GMACs", "combines by"),
                (
                    ("DenseNet-121", n.dense_params, _gmacs(n.dense_macs), "concatenation"),
                    ("ResNet-50", n.r50_params, _gmacs(n.r50_macs), "addition"),
                ),
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )
