"""The bottleneck block and its grouped version: what 1x1 reduce → 3x3 → 1x1 and ResNeXt cost.

Every block and model is built on the meta device and counted by formula, so counting allocates
nothing (`cvquiz verify` counts each again with FlopCounterMode).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import (
    HE_2015,
    TORCHVISION,
    _gmacs,
    _gmacs_check,
    _params_check,
)
from cvquiz.demos.result import MACS_CONVENTION, Presentation, Table, check, format_shape
from cvquiz.demos.runner import DemoContext

# Q7: the bottleneck block.

BOTTLENECK = demo(
    "bottleneck-cost",
    stochastic=False,  # the same numbers at every seed
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
            multiple_of=4,
            why="bottleneck width C/4",
        ),
        Param("size", int, 56, "height and width of the feature map", min=1, max=224),
    ),
)


class ConvCost(NamedTuple):
    """One conv of a block: its output shape (C, H, W), parameters and MACs."""

    name: str
    output_shape: tuple[int, ...]
    params: int
    macs: int


class BlockCost(NamedTuple):
    """A block's parameters and MACs, by the zoo's per-layer formula."""

    params: int
    analytic_macs: int


@dataclass(frozen=True)
class BottleneckNumbers:
    """A bottleneck at C against two 3x3 convs at C and at C/4."""

    layers: tuple[ConvCost, ...]  # the bottleneck's reduce, 3x3 and expand convs
    bottleneck: BlockCost
    wide: BlockCost  # basic block at C
    narrow: BlockCost  # basic block at C/4


@BOTTLENECK.measure
def measure_bottleneck(s: Settings, ctx: DemoContext) -> BottleneckNumbers:
    from cvquiz.demos import zoo

    c, d = s.channels, s.channels // 4

    def cost(
        label: str, builder: type, width: int, **kwargs: int
    ) -> tuple[BlockCost, list[zoo.LayerCost]]:
        """The block's counts and its per-conv rows, from one forward pass counted by formula."""
        block = zoo.build_meta(builder, **kwargs)
        shape = (1, width, s.size, s.size)  # (N, C, H, W) in
        rows = zoo.layer_macs(block, shape, label=f"{label} at {s.size}x{s.size}")
        return BlockCost(zoo.count_params(block), sum(r.macs for r in rows)), rows

    bottleneck, layers = cost(f"bottleneck at C = {c}", zoo.Bottleneck, c, in_ch=c, planes=d)
    return BottleneckNumbers(
        layers=tuple(ConvCost(r.name, r.output_shape[1:], r.params, r.macs) for r in layers),
        bottleneck=bottleneck,
        wide=cost(f"2 × 3x3 at C = {c}", zoo.BasicBlock, c, in_ch=c, planes=c)[0],
        narrow=cost(f"2 × 3x3 at C/4 = {d}", zoo.BasicBlock, d, in_ch=d, planes=d)[0],
    )


@BOTTLENECK.present
def present_bottleneck(n: BottleneckNumbers, s: Settings) -> Presentation:
    c, d, size = s.channels, s.channels // 4, s.size
    hw = size * size
    # MACs per conv: H·W·C_in·C_out·k² (He et al. 2015, Fig. 5's blocks at stride 1).
    blocks = (
        ("bottleneck at C", n.bottleneck, hw * (2 * c * d + 9 * d * d), "H·W·(2·C·C/4 + 9·(C/4)²)"),
        ("2 × 3x3 at C", n.wide, hw * 18 * c * c, "H·W·18·C²"),
        ("2 × 3x3 at C/4", n.narrow, hw * 18 * d * d, "H·W·18·(C/4)²"),
    )
    ratio = n.wide.analytic_macs / n.bottleneck.analytic_macs
    kinds = (f"1x1 reduce {c}→{d}", f"3x3 {d}→{d}", f"1x1 expand {d}→{c}")
    layer_rows = tuple(
        (r.name, kind, format_shape(r.output_shape), r.params, r.macs)
        for r, kind in zip(n.layers, kinds, strict=True)
    )
    rows = tuple((name, b.params, formula, b.analytic_macs) for name, b, formula, _ in blocks)
    # Each block's closed form against the zoo's per-layer count of the block as built.
    checks = [
        check(
            f"{name.removesuffix(' at C')} MACs by formula {written}",
            expected=formula,
            measured=b.analytic_macs,
            source="formula, per conv: H·W·C_in·C_out·k²",
        )
        for name, b, formula, written in blocks
    ]
    checks += [
        check(
            "two 3x3 convs cost 18 / (1/2 + 9/16) = 288/17 ≈ 16.94x the bottleneck's MACs",
            expected=round(288 / 17, 6),
            measured=round(ratio, 6),
            source="formula 18·C² / (C²/2 + 9·C²/16), independent of C",
        ),
        check(
            "bottleneck at 4d has similar time complexity to a basic block at d",
            expected=1.0,
            measured=round(n.bottleneck.analytic_macs / n.narrow.analytic_macs, 4),
            source=f"{HE_2015}, Fig. 5 and sec. 4.1 ('similar time complexity')",
            rel_tol=0.1,
        ),
        check(
            "bottleneck parameters: 2·C·C/4 + 9·(C/4)² + BN 2·(C/4 + C/4 + C)",
            expected=2 * c * d + 9 * d * d + 2 * (2 * d + c),
            measured=n.bottleneck.params,
            source="formula",
        ),
    ]
    return Presentation(
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
                ("block", "params", "MACs formula", "MACs analytic"),
                rows,
                note="bottleneck: 1x1 reduce, 3x3, 1x1 expand; 2 × 3x3 at C/4 is ResNet-34's block. "
                f"Two 3x3 convs / bottleneck = {ratio:.2f}x MACs, "
                f"{n.wide.params / n.bottleneck.params:.2f}x params.",
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )


# Q12: ResNeXt, grouped convolutions.

RESNEXT = demo(
    "resnext-groups",
    stochastic=False,  # the same numbers at every seed
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

# ResNeXt's stage-1 grouped 3x3: 32 groups × 4 channels at 56x56 (Xie et al. 2017, Table 1).
GROUPED_WIDTH, GROUPED_SIZE = 128, 56

MODELS = (("resnet50", "ResNet-50"), ("resnext50_32x4d", "ResNeXt-50 32x4d"))


class ModelCost(NamedTuple):
    """A whole model at 224x224 and torchvision's reference figures for it."""

    label: str
    params: int
    analytic_macs: int
    reference_params: int
    reference_gmacs: float


class BlockConv(NamedTuple):
    """One conv of the stage-1 bottleneck (layer1.1)."""

    model: str
    conv: str
    kernel: int
    in_channels: int
    out_channels: int
    groups: int
    params: int
    macs: int


@dataclass(frozen=True)
class ResNeXtNumbers:
    """ResNet-50 and ResNeXt-50 whole, their stage-1 block, and one 3x3 conv dense vs grouped."""

    models: tuple[ModelCost, ...]  # ResNet-50, ResNeXt-50
    block_convs: tuple[BlockConv, ...]
    block_macs: tuple[int, ...]  # of layer1.1, per model
    dense_params: int
    dense_macs: int
    grouped_params: int
    grouped_macs: int


@RESNEXT.measure
def measure_resnext(s: Settings, ctx: DemoContext) -> ResNeXtNumbers:
    from torch import nn

    from cvquiz.demos import zoo

    width, size = GROUPED_WIDTH, GROUPED_SIZE
    models, block_convs, block_macs = [], [], []
    for name, label in MODELS:
        spec = zoo.MODELS[name]
        model = zoo.build_meta(spec.builder)
        analytic = zoo.analytic_macs(model, (1, 3, 224, 224), label=label)
        models.append(
            ModelCost(
                label,
                zoo.count_params(model),
                analytic,
                spec.reference_params,
                spec.reference_gmacs,
            )
        )
        # The same position in both: the second bottleneck of stage 1 (256 channels in and out).
        block = model.layer1[1]
        layers = zoo.layer_macs(block, (1, 256, size, size), label=f"{label} layer1.1")
        for r in layers:
            conv = block.get_submodule(r.name)
            block_convs.append(
                BlockConv(label, r.name, conv.kernel_size[0], conv.in_channels, conv.out_channels,
                          conv.groups, r.params, r.macs)
            )  # fmt: skip
        block_macs.append(sum(r.macs for r in layers))

    # A lone 3x3 conv at the ResNeXt width, dense vs grouped, counted by formula.
    def conv3x3(groups: int) -> nn.Module:
        return zoo.build_meta(
            nn.Conv2d,
            in_channels=width,
            out_channels=width,
            kernel_size=3,
            padding=1,
            groups=groups,
            bias=False,
        )

    dense, grouped = conv3x3(1), conv3x3(s.groups)
    shape = (1, width, size, size)
    return ResNeXtNumbers(
        models=tuple(models),
        block_convs=tuple(block_convs),
        block_macs=tuple(block_macs),
        dense_params=zoo.count_params(dense),
        dense_macs=zoo.analytic_macs(dense, shape, label=f"dense 3x3 conv {width}→{width}"),
        grouped_params=zoo.count_params(grouped),
        grouped_macs=zoo.analytic_macs(
            grouped, shape, label=f"grouped 3x3 conv {width}→{width}, {s.groups} groups"
        ),
    )


@RESNEXT.present
def present_resnext(n: ResNeXtNumbers, s: Settings) -> Presentation:
    groups, width, size = s.groups, GROUPED_WIDTH, GROUPED_SIZE
    r50, rx50 = n.models
    checks = [
        c
        for m in n.models
        for c in (
            _params_check(m.label, expected=m.reference_params, measured=m.params),
            _gmacs_check(
                m.label,
                expected=m.reference_gmacs,
                macs=m.analytic_macs,
                # torchvision prints ResNet-50's GMACs to 3 decimals, ResNeXt's to 2 (4.23).
                abs_tol=0.0005 if m is r50 else 0.005,
            ),
        )
    ]
    checks += [
        check(
            f"a grouped 3x3 conv has 1/{groups} of the dense conv's parameters",
            expected=9 * width * width // groups,
            measured=n.grouped_params,
            source="formula 9·C·C / groups",
        ),
        check(
            f"…and 1/{groups} of its MACs",
            expected=n.dense_macs // groups,
            measured=n.grouped_macs,
            source="formula H·W·9·C·C / groups",
        ),
        check(
            "ResNeXt-50 32x4d costs about the same MACs as ResNet-50",
            expected=1.0,
            measured=round(rx50.analytic_macs / r50.analytic_macs, 4),
            source="Xie et al. 2017, Table 1 (4.2e9 vs 4.1e9 FLOPs)",
            rel_tol=0.05,
        ),
        check(
            "ResNeXt-50 32x4d has slightly fewer parameters than ResNet-50",
            expected=True,
            measured=rx50.params < r50.params,
            source="Xie et al. 2017, Table 1 (25.0M vs 25.5M)",
        ),
    ]
    model_rows = tuple(
        (m.label, m.params, m.reference_params, _gmacs(m.analytic_macs), m.reference_gmacs)
        for m in n.models
    )
    block_rows = tuple(
        (b.model, b.conv, f"{b.kernel}x{b.kernel} {b.in_channels}→{b.out_channels}", b.groups,
         b.params, b.macs)
        for b in n.block_convs
    )  # fmt: skip
    conv_rows = (
        ("dense", 1, width, n.dense_params, n.dense_macs),
        (f"grouped ({groups} x {width // groups})", groups, width // groups, n.grouped_params,
         n.grouped_macs),
    )  # fmt: skip
    return Presentation(
        explanation=(
            "ResNeXt (Xie et al. 2017) keeps ResNet-50's layout but splits the bottleneck's 3x3 conv "
            "into 32 parallel paths (cardinality) of 4 channels each: one grouped conv over "
            "32 × 4 = 128 channels instead of a dense conv over 64.",
            f"A grouped conv connects each output only to its own group's inputs, so it costs "
            f"1/groups of a dense conv at the same width. The saving pays for a wider block "
            f"(128 vs 64 channels): {n.block_macs[1]:,} vs "
            f"{n.block_macs[0]:,} MACs for the stage-1 block.",
            "Same depth, similar FLOPs and parameters; Xie et al. report 22.2% vs 23.9% top-1 "
            "error on ImageNet (Table 3); raising cardinality gains more than going deeper or "
            "wider at the same cost (Table 4).",
            "Counted on the meta device.",
        ),
        tables=(
            Table(
                "Whole models at 224x224",
                ("model", "params", "reference", "GMACs", "reference"),
                model_rows,
                note=f"ResNeXt / ResNet MACs = {rx50.analytic_macs / r50.analytic_macs:.3f}; "
                f"params = {rx50.params / r50.params:.3f}. Reference: {TORCHVISION}.",
            ),
            Table(
                f"Stage-1 bottleneck (layer1.1) at {size}x{size}",
                ("model", "conv", "shape", "groups", "params", "MACs"),
                block_rows,
            ),
            Table(
                f"A {width}-channel 3x3 conv at {size}x{size}",
                ("conv", "groups", "channels per group", "params", "MACs"),
                conv_rows,
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )
