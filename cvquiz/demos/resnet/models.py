"""ResNet model demos: the five ImageNet depths, ResNeXt's groups, the CIFAR-10 ResNets.

Every model is built on the meta device, so counting allocates nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cvquiz.demos.registry import Param, demo
from cvquiz.demos.resnet.common import (
    HE_2015,
    PAPER_GMACS,
    TORCHVISION,
    _gmacs,
    _macs_pair,
    _paper_gmacs_check,
    _projection_params,
    _v1_vs_v15,
)
from cvquiz.demos.result import COUNTER_SOURCE, MACS_CONVENTION, DemoResult, Table, check

if TYPE_CHECKING:
    from torch import nn

    from cvquiz.demos.registry import DemoContext


def _stage_blocks(model: nn.Module) -> list[int]:
    return [len(getattr(model, f"layer{i}")) for i in range(1, 5)]


# Q8: the common depths.

# He et al. 2015, Table 1: blocks per stage (conv2_x .. conv5_x).
DEPTHS: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
    "resnet101": ("bottleneck", (3, 4, 23, 3)),
    "resnet152": ("bottleneck", (3, 8, 36, 3)),
}


@demo(
    "resnet-depths",
    title="ResNet-18/34/50/101/152: blocks, parameters, MACs",
    summary="Builds all five on the meta device: exact params, V1.5 and V1 (paper) MACs.",
)
def resnet_depths(ctx: DemoContext) -> DemoResult:
    from cvquiz.demos import zoo

    delta, first_block_rows, same_params = _v1_vs_v15()
    arch_rows, mac_rows, checks = [], [], []
    for name, (kind, stages) in DEPTHS.items():
        spec = zoo.MODELS[name]
        depth = int(name.removeprefix("resnet"))
        model = zoo.build_meta(spec.builder)
        params = zoo.count_params(model)
        analytic, counted = _macs_pair(model, (1, 3, 224, 224))
        convs_per_block = 2 if kind == "basic" else 3
        # Weighted layers as the paper counts them: stem conv + block convs + FC (no projections).
        layers = 1 + convs_per_block * sum(_stage_blocks(model)) + 1
        # V1 and V1.5 differ only in the first bottleneck of stages 2-4, the same in every depth.
        v1 = analytic if kind == "basic" else analytic - delta
        arch_rows.append(
            (f"ResNet-{depth}", kind, "-".join(map(str, _stage_blocks(model))), layers, params)
        )
        mac_rows.append(
            (
                f"ResNet-{depth}",
                _gmacs(analytic),
                spec.reference_gmacs,
                _gmacs(v1),
                PAPER_GMACS[name],
            )
        )
        checks += [
            check(
                f"ResNet-{depth}: {kind} blocks per stage",
                expected="-".join(map(str, stages)),
                measured="-".join(map(str, _stage_blocks(model))),
                source=f"{HE_2015}, Table 1",
            ),
            check(
                f"ResNet-{depth}: {depth} weighted layers",
                expected=depth,
                measured=layers,
                source="1 stem conv + convs per block × blocks + 1 FC",
            ),
            check(
                f"ResNet-{depth}: parameters",
                expected=spec.reference_params,
                measured=params,
                source=TORCHVISION,
            ),
            check(
                f"ResNet-{depth}: analytic MACs == FlopCounterMode / 2",
                expected=analytic,
                measured=counted,
                source=COUNTER_SOURCE,
            ),
            check(
                f"ResNet-{depth}: GMACs (V1.5)",
                expected=spec.reference_gmacs,
                measured=analytic / 1e9,
                source=TORCHVISION,
                abs_tol=0.0005,
            ),
            _paper_gmacs_check(f"ResNet-{depth}: GMACs (V1, paper)", name=name, macs=v1),
        ]
    checks.append(
        check(
            "V1 and V1.5 blocks have the same parameters (only the stride moves)",
            expected=True,
            measured=same_params,
            source="parameter count of each first block, both variants",
        )
    )
    return DemoResult(
        demo_id="resnet-depths",
        title="ResNet-18/34/50/101/152: blocks, parameters, MACs",
        explanation=(
            "ResNet-18 and -34 stack basic blocks (two 3x3 convs); ResNet-50, -101 and -152 stack "
            "bottlenecks (1x1, 3x3, 1x1) and grow only the number of blocks in stages 3 and 4.",
            "V1 is the paper's bottleneck: the stage's first block strides its first 1x1 conv. "
            "V1.5 (torchvision, NVIDIA) strides the 3x3 instead, so the 1x1 reads the full-size map: "
            "about 6% more MACs for ResNet-50 and, per NVIDIA's model card, about 0.5% better top-1. "
            "The parameters are the same. Basic-block ResNets have no such difference.",
            "The paper prints MACs to one decimal: it rounds most (7.570 → 7.6) but truncates ResNet-34 "
            "(3.664 → 3.6) and ResNet-50 (3.858 → 3.8); the checks allow ±0.05 for rounded figures and "
            "truncate the count for those two.",
            "All models are built on the meta device, so nothing is allocated.",
        ),
        tables=(
            Table(
                "ResNets (He et al. 2015, Table 1)",
                ("model", "block", "blocks per stage", "layers", "params"),
                tuple(arch_rows),
                note=f"params: all equal the {TORCHVISION}.",
            ),
            Table(
                "GMACs at 224x224",
                ("model", "V1.5", "torchvision", "V1", "paper"),
                tuple(mac_rows),
                note="V1.5: torchvision 0.29.1's ResNets; V1: the paper's (He et al. 2015, Table 1).",
            ),
            Table(
                "Where V1 and V1.5 differ: the first bottleneck of stages 2-4",
                ("block", "conv", "V1 stride", "V1 MACs", "V1.5 stride", "V1.5 MACs"),
                first_block_rows,
                note=f"V1.5 − V1 = {delta:,} MACs in every bottleneck ResNet.",
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )


# Q12: ResNeXt, grouped convolutions.


@demo(
    "resnext-groups",
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
def resnext_groups(ctx: DemoContext, *, groups: int) -> DemoResult:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    width, size = 128, 56
    models = {}
    model_rows = []
    checks = []
    for name, label in (("resnet50", "ResNet-50"), ("resnext50_32x4d", "ResNeXt-50 32x4d")):
        spec = zoo.MODELS[name]
        model = zoo.build_meta(spec.builder)
        analytic, counted = _macs_pair(model, (1, 3, 224, 224))
        models[name] = (model, analytic)
        model_rows.append(
            (
                label,
                zoo.count_params(model),
                spec.reference_params,
                _gmacs(analytic),
                spec.reference_gmacs,
            )
        )
        checks += [
            check(
                f"{label}: parameters",
                expected=spec.reference_params,
                measured=zoo.count_params(model),
                source=TORCHVISION,
            ),
            check(
                f"{label}: analytic MACs == FlopCounterMode / 2",
                expected=analytic,
                measured=counted,
                source=COUNTER_SOURCE,
            ),
            check(
                f"{label}: GMACs",
                expected=spec.reference_gmacs,
                measured=analytic / 1e9,
                source=TORCHVISION,
                abs_tol=0.0005 if name == "resnet50" else 0.005,
            ),
        ]
    (r50, r50_macs), (rx50, rx50_macs) = models["resnet50"], models["resnext50_32x4d"]

    # The same position in both: the second bottleneck of stage 1 (256 channels in and out).
    block_rows = []
    block_macs = {}
    for label, model in (("ResNet-50", r50), ("ResNeXt-50 32x4d", rx50)):
        block = model.layer1[1]
        for r in zoo.layer_macs(block, (1, 256, size, size)):
            conv = block.get_submodule(r.name)
            block_rows.append(
                (label, r.name, f"{conv.kernel_size[0]}x{conv.kernel_size[1]} {conv.in_channels}→{conv.out_channels}",
                 conv.groups, r.params, r.macs)
            )  # fmt: skip
        block_macs[label] = zoo.analytic_macs(block, (1, 256, size, size))

    # A lone 3x3 conv at the ResNeXt width, dense vs grouped, counted by torch.
    with torch.device("meta"):
        dense = nn.Conv2d(width, width, 3, padding=1, bias=False)
        grouped = nn.Conv2d(width, width, 3, padding=1, groups=groups, bias=False)
    shape = (1, width, size, size)
    dense_macs, grouped_macs = zoo.counter_macs(dense, shape), zoo.counter_macs(grouped, shape)
    conv_rows = (
        ("dense", 1, width, zoo.count_params(dense), dense_macs),
        (
            f"grouped ({groups} x {width // groups})",
            groups,
            width // groups,
            zoo.count_params(grouped),
            grouped_macs,
        ),
    )
    checks += [
        check(
            f"a grouped 3x3 conv has 1/{groups} of the dense conv's parameters",
            expected=9 * width * width // groups,
            measured=zoo.count_params(grouped),
            source="formula 9·C·C / groups",
        ),
        check(
            f"…and 1/{groups} of its MACs",
            expected=dense_macs // groups,
            measured=grouped_macs,
            source=f"{COUNTER_SOURCE}; formula H·W·9·C·C / groups",
        ),
        check(
            "ResNeXt-50 32x4d costs about the same MACs as ResNet-50",
            expected=1.0,
            measured=round(rx50_macs / r50_macs, 4),
            source="Xie et al. 2017, Table 1 (4.2e9 vs 4.1e9 FLOPs)",
            rel_tol=0.05,
        ),
        check(
            "ResNeXt-50 32x4d has slightly fewer parameters than ResNet-50",
            expected=True,
            measured=zoo.count_params(rx50) < zoo.count_params(r50),
            source="Xie et al. 2017, Table 1 (25.0M vs 25.5M)",
        ),
    ]
    return DemoResult(
        demo_id="resnext-groups",
        title="ResNeXt-50 32x4d vs ResNet-50",
        explanation=(
            "ResNeXt (Xie et al. 2017) keeps ResNet-50's layout but splits the bottleneck's 3x3 conv "
            "into 32 parallel paths (cardinality) of 4 channels each: one grouped conv over "
            "32 × 4 = 128 channels instead of a dense conv over 64.",
            f"A grouped conv connects each output only to its own group's inputs, so it costs "
            f"1/groups of a dense conv at the same width. The saving pays for a wider block "
            f"(128 vs 64 channels): {block_macs['ResNeXt-50 32x4d']:,} vs "
            f"{block_macs['ResNet-50']:,} MACs for the stage-1 block.",
            "Same depth, similar FLOPs and parameters; Xie et al. report 22.2% vs 23.9% top-1 "
            "error on ImageNet (Table 3); raising cardinality gains more than going deeper or "
            "wider at the same cost (Table 4).",
            "Counted on the meta device.",
        ),
        tables=(
            Table(
                "Whole models at 224x224",
                ("model", "params", "reference", "GMACs", "reference"),
                tuple(model_rows),
                note=f"ResNeXt / ResNet MACs = {rx50_macs / r50_macs:.3f}; params = "
                f"{zoo.count_params(rx50) / zoo.count_params(r50):.3f}. Reference: {TORCHVISION}.",
            ),
            Table(
                f"Stage-1 bottleneck (layer1.1) at {size}x{size}",
                ("model", "conv", "shape", "groups", "params", "MACs"),
                tuple(block_rows),
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


# Q2, Q5: CIFAR-10 ResNets and their plain twins (the degradation experiment's models).

# He et al. 2015, Table 6: parameters of the CIFAR-10 ResNets, as printed (millions).
CIFAR_PAPER_PARAMS = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}

FIG1_DEPTHS = (20, 56)  # He et al. 2015, Fig. 1: the 56-layer plain net trains worse than the 20


@demo(
    "cifar-resnets",
    title="CIFAR-10 ResNets 20-110 and their plain twins",
    summary="CIFAR ResNets 20-110: option A shortcuts add no params or MACs to the plain twin.",
)
def cifar_resnets(ctx: DemoContext) -> DemoResult:
    from cvquiz.demos import zoo

    rows, checks = [], []
    shape = (1, 3, 32, 32)
    for depth, paper in CIFAR_PAPER_PARAMS.items():
        resnet = zoo.build_meta(zoo.cifar_resnet, depth=depth)
        plain = zoo.build_meta(zoo.cifar_resnet, depth=depth, plain=True)
        macs, counted = _macs_pair(resnet, shape)
        # The MAC comparison runs for the pair of the paper's Fig. 1 (20 and 56 layers) only,
        # which keeps the demo under a second; the parameter comparison runs for every depth.
        plain_macs = zoo.analytic_macs(plain, shape) if depth in FIG1_DEPTHS else None
        params = zoo.count_params(resnet)
        rows.append((f"ResNet-{depth}", params, zoo.count_params(plain), macs, plain_macs, paper))
        digits = 2 if paper < 1 else 1
        checks += [
            check(
                f"ResNet-{depth}: {paper}M parameters",
                expected=paper,
                measured=round(params / 1e6, digits),
                source="He et al. 2015, Table 6 (rounded as printed)",
            ),
            check(
                f"ResNet-{depth}: parameters by formula",
                expected=zoo.cifar_resnet_params(depth),
                measured=params,
                source="formula: convs + BN γ, β + FC; option A adds none",
            ),
            check(
                f"ResNet-{depth}: the plain twin has exactly the same parameters",
                expected=params,
                measured=zoo.count_params(plain),
                source="option A shortcuts (zero padding) are parameter-free",
            ),
            check(
                f"ResNet-{depth}: analytic MACs == FlopCounterMode / 2",
                expected=macs,
                measured=counted,
                source=COUNTER_SOURCE,
            ),
        ]
        if plain_macs is not None:
            checks.append(
                check(
                    f"ResNet-{depth}: the plain twin has exactly the same MACs",
                    expected=macs,
                    measured=plain_macs,
                    source="the identity add and zero padding are no multiply-accumulates",
                )
            )
    option_b = zoo.build_meta(zoo.cifar_resnet, depth=20, shortcut="B")
    checks.append(
        check(
            "option B (1x1 projections where the shape changes) adds 16·32 + 2·32 + 32·64 + 2·64",
            expected=_projection_params(16, 32) + _projection_params(32, 64),
            measured=zoo.count_params(option_b) - rows[0][1],
            source=f"{HE_2015}, sec. 3.3; ResNet-20 built with option B",
        )
    )
    return DemoResult(
        demo_id="cifar-resnets",
        title="CIFAR-10 ResNets 20-110 and their plain twins",
        explanation=(
            "He et al. (sec. 4.2) ran their degradation study on CIFAR-10 with 6n+2-layer nets: a "
            "3x3 conv, three stages of n basic blocks at 16, 32 and 64 channels, pooling and an FC.",
            "The shortcuts are option A: identity, and where the shape changes, subsampling plus "
            "zero-padded channels. They add no parameters and no multiply-accumulates, so each "
            "ResNet and its plain twin are the same size and cost: the comparison isolates the "
            "shortcut itself.",
            "Yet the deeper plain nets reach higher training error (degradation: an optimisation "
            "problem, not overfitting), while the ResNets keep improving with depth: learning a "
            "residual around the identity is easier than learning the whole mapping.",
            "No training here; counted on the meta device.",
        ),
        tables=(
            Table(
                "CIFAR-10 nets at 32x32 (He et al. 2015, sec. 4.2)",
                ("model", "params", "plain twin", "MACs", "plain MACs", "paper M"),
                tuple(rows),
                note=f"Option B's two 1x1 projections + BN would add {checks[-1].measured:,} parameters "
                "at any depth. plain MACs: measured for the Fig. 1 pair (20, 56). paper: millions "
                "of parameters, Table 6.",
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )
