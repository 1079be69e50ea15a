"""Whole ResNets: the five ImageNet depths, and the CIFAR-10 ResNets beside their plain twins.

Every model is built on the meta device and counted by formula, so counting allocates nothing
(`cvquiz verify` counts each again with FlopCounterMode).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from cvquiz.demos.params import Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import (
    HE_2015,
    PAPER_GMACS,
    TORCHVISION,
    FirstBlockConv,
    _gmacs,
    _gmacs_check,
    _paper_gmacs_check,
    _params_check,
    _projection_params,
    _v1_vs_v15,
)
from cvquiz.demos.result import MACS_CONVENTION, Presentation, Table, check
from cvquiz.demos.runner import DemoContext

# Q8: the common depths.

DEPTHS_DEMO = demo(
    "resnet-depths",
    stochastic=False,  # the same numbers at every seed
    title="ResNet-18/34/50/101/152: blocks, parameters, MACs",
    summary="Builds all five on the meta device: exact params, V1.5 and V1 (paper) MACs.",
)

# He et al. 2015, Table 1: blocks per stage (conv2_x .. conv5_x).
DEPTHS: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    "resnet18": ("basic", (2, 2, 2, 2)),
    "resnet34": ("basic", (3, 4, 6, 3)),
    "resnet50": ("bottleneck", (3, 4, 6, 3)),
    "resnet101": ("bottleneck", (3, 4, 23, 3)),
    "resnet152": ("bottleneck", (3, 8, 36, 3)),
}


class DepthCount(NamedTuple):
    """One ImageNet ResNet at 224x224, and torchvision's reference figures for it."""

    name: str  # zoo name, like "resnet50"
    depth: int
    kind: str  # "basic" or "bottleneck"
    stage_blocks: tuple[int, ...]  # blocks in layer1..layer4
    layers: int  # weighted layers as the paper counts them
    params: int
    macs: int  # V1.5 (torchvision), by formula
    v1_macs: int  # V1 (the paper)
    reference_params: int
    reference_gmacs: float


@dataclass(frozen=True)
class DepthsNumbers:
    """The five depths, and where V1 and V1.5 differ."""

    models: tuple[DepthCount, ...]
    v1_delta: int  # MACs V1.5 adds over V1, the same in every bottleneck ResNet
    first_block_convs: tuple[FirstBlockConv, ...]
    same_params: bool  # V1 and V1.5 first blocks have the same parameters


@DEPTHS_DEMO.measure
def measure_depths(s: Settings, ctx: DemoContext) -> DepthsNumbers:
    from cvquiz.demos import zoo

    delta, first_block_convs, same_params = _v1_vs_v15()
    models = []
    for name, (kind, _) in DEPTHS.items():
        spec = zoo.MODELS[name]
        model = zoo.build_meta(spec.builder)
        label = f"ResNet-{name.removeprefix('resnet')}"
        analytic = zoo.analytic_macs(model, (1, 3, 224, 224), label=label)
        stage_blocks = tuple(len(getattr(model, f"layer{i}")) for i in range(1, 5))
        convs_per_block = 2 if kind == "basic" else 3
        models.append(
            DepthCount(
                name=name,
                depth=int(name.removeprefix("resnet")),
                kind=kind,
                stage_blocks=stage_blocks,
                # Weighted layers as the paper counts them: stem conv + block convs + FC (no projections).
                layers=1 + convs_per_block * sum(stage_blocks) + 1,
                params=zoo.count_params(model),
                macs=analytic,
                # V1 and V1.5 differ only in the first bottleneck of stages 2-4, the same in every depth.
                v1_macs=analytic if kind == "basic" else analytic - delta,
                reference_params=spec.reference_params,
                reference_gmacs=spec.reference_gmacs,
            )
        )
    return DepthsNumbers(tuple(models), delta, first_block_convs, same_params)


def _stages(blocks: tuple[int, ...]) -> str:
    """Blocks per stage as the paper writes them: '3-4-6-3'."""
    return "-".join(map(str, blocks))


@DEPTHS_DEMO.present
def present_depths(n: DepthsNumbers, s: Settings) -> Presentation:
    checks = []
    for m in n.models:
        label = f"ResNet-{m.depth}"
        checks += [
            check(
                f"{label}: {m.kind} blocks per stage",
                expected=_stages(DEPTHS[m.name][1]),
                measured=_stages(m.stage_blocks),
                source=f"{HE_2015}, Table 1",
            ),
            check(
                f"{label}: {m.depth} weighted layers",
                expected=m.depth,
                measured=m.layers,
                source="1 stem conv + convs per block × blocks + 1 FC",
            ),
            _params_check(label, expected=m.reference_params, measured=m.params),
            _gmacs_check(
                label, expected=m.reference_gmacs, macs=m.macs, abs_tol=0.0005, variant="V1.5"
            ),
            _paper_gmacs_check(f"{label}: GMACs (V1, paper)", name=m.name, macs=m.v1_macs),
        ]
    checks.append(
        check(
            "V1 and V1.5 blocks have the same parameters (only the stride moves)",
            expected=True,
            measured=n.same_params,
            source="parameter count of each first block, both variants",
        )
    )
    arch_rows = tuple(
        (f"ResNet-{m.depth}", m.kind, _stages(m.stage_blocks), m.layers, m.params) for m in n.models
    )
    mac_rows = tuple(
        (f"ResNet-{m.depth}", _gmacs(m.macs), m.reference_gmacs, _gmacs(m.v1_macs),
         PAPER_GMACS[m.name])
        for m in n.models
    )  # fmt: skip
    return Presentation(
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
                arch_rows,
                note=f"params: all equal the {TORCHVISION}.",
            ),
            Table(
                "GMACs at 224x224",
                ("model", "V1.5", "torchvision", "V1", "paper"),
                mac_rows,
                note="V1.5: torchvision 0.29.1's ResNets; V1: the paper's (He et al. 2015, Table 1).",
            ),
            Table(
                "Where V1 and V1.5 differ: the first bottleneck of stages 2-4",
                ("block", "conv", "V1 stride", "V1 MACs", "V1.5 stride", "V1.5 MACs"),
                n.first_block_convs,
                note=f"V1.5 − V1 = {n.v1_delta:,} MACs in every bottleneck ResNet.",
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )


# Q2, Q5: CIFAR-10 ResNets and their plain twins (the degradation experiment's models).

CIFAR = demo(
    "cifar-resnets",
    stochastic=False,  # the same numbers at every seed
    title="CIFAR-10 ResNets 20-110 and their plain twins",
    summary="CIFAR ResNets 20-110: option A shortcuts add no params or MACs to the plain twin.",
)

# He et al. 2015, Table 6: parameters of the CIFAR-10 ResNets, as printed (millions).
CIFAR_PAPER_PARAMS = {20: 0.27, 32: 0.46, 44: 0.66, 56: 0.85, 110: 1.7}

FIG1_DEPTHS = (20, 56)  # He et al. 2015, Fig. 1: the 56-layer plain net trains worse than the 20


class CifarCount(NamedTuple):
    """A CIFAR-10 ResNet and its plain twin at 32x32."""

    depth: int
    params: int
    formula_params: int  # zoo.cifar_resnet_params: convs + BN γ, β + FC, by hand
    plain_params: int
    macs: int
    plain_macs: int | None  # counted for the Fig. 1 pair only


@dataclass(frozen=True)
class CifarNumbers:
    """Every CIFAR depth, and what option B's projections add to ResNet-20."""

    models: tuple[CifarCount, ...]
    option_b_extra: int  # parameters of ResNet-20 with option B minus option A


@CIFAR.measure
def measure_cifar(s: Settings, ctx: DemoContext) -> CifarNumbers:
    from cvquiz.demos import zoo

    shape = (1, 3, 32, 32)
    models = []
    for depth in CIFAR_PAPER_PARAMS:
        resnet = zoo.build_meta(zoo.cifar_resnet, depth=depth)
        plain = zoo.build_meta(zoo.cifar_resnet, depth=depth, plain=True)
        macs = zoo.analytic_macs(resnet, shape, label=f"CIFAR ResNet-{depth}")
        # The MAC comparison runs for the pair the paper's Fig. 1 compares (20 and 56 layers);
        # the parameter comparison runs for every depth.
        plain_macs = (
            zoo.analytic_macs(plain, shape, label=f"CIFAR plain-{depth}")
            if depth in FIG1_DEPTHS
            else None
        )
        models.append(
            CifarCount(
                depth,
                zoo.count_params(resnet),
                zoo.cifar_resnet_params(depth),
                zoo.count_params(plain),
                macs,
                plain_macs,
            )
        )
    option_b = zoo.build_meta(zoo.cifar_resnet, depth=20, shortcut="B")
    return CifarNumbers(tuple(models), zoo.count_params(option_b) - models[0].params)


@CIFAR.present
def present_cifar(n: CifarNumbers, s: Settings) -> Presentation:
    checks = []
    for m in n.models:
        paper = CIFAR_PAPER_PARAMS[m.depth]
        digits = 2 if paper < 1 else 1
        checks += [
            check(
                f"ResNet-{m.depth}: {paper}M parameters",
                expected=paper,
                measured=round(m.params / 1e6, digits),
                source="He et al. 2015, Table 6 (rounded as printed)",
            ),
            check(
                f"ResNet-{m.depth}: parameters by formula",
                expected=m.formula_params,
                measured=m.params,
                source="formula: convs + BN γ, β + FC; option A adds none",
            ),
            check(
                f"ResNet-{m.depth}: the plain twin has exactly the same parameters",
                expected=m.params,
                measured=m.plain_params,
                source="option A shortcuts (zero padding) are parameter-free",
            ),
        ]
        if m.plain_macs is not None:
            checks.append(
                check(
                    f"ResNet-{m.depth}: the plain twin has exactly the same MACs",
                    expected=m.macs,
                    measured=m.plain_macs,
                    source="the identity add and zero padding are no multiply-accumulates",
                )
            )
    checks.append(
        check(
            "option B (1x1 projections where the shape changes) adds 16·32 + 2·32 + 32·64 + 2·64",
            expected=_projection_params(16, 32) + _projection_params(32, 64),
            measured=n.option_b_extra,
            source=f"{HE_2015}, sec. 3.3; ResNet-20 built with option B",
        )
    )
    rows = tuple(
        (f"ResNet-{m.depth}", m.params, m.plain_params, m.macs, m.plain_macs,
         CIFAR_PAPER_PARAMS[m.depth])
        for m in n.models
    )  # fmt: skip
    return Presentation(
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
                rows,
                note=f"Option B's two 1x1 projections + BN would add {n.option_b_extra:,} "
                "parameters at any depth. plain MACs: measured for the Fig. 1 pair (20, 56). "
                "paper: millions of parameters, Table 6.",
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )
