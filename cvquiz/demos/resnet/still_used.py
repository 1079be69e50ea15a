"""Q20, "Still used?": ResNet-50 beside ConvNeXt-T and ViT-B/16, counted exactly, with top-1 sourced.

All three are built from scratch in the zoo (on the meta device) and load torchvision's
state_dict layout (tests/test_resnet_function.py). MACs are counted by formula, per layer
(`cvquiz verify` counts them again with FlopCounterMode); ViT-B/16's attention declares its
matmuls (own_macs), and its per-layer count is checked against the zoo's closed form (vit_macs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from cvquiz.demos.params import Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import TORCHVISION, _gmacs, _params_check
from cvquiz.demos.result import MACS_CONVENTION, Presentation, Table, check
from cvquiz.demos.runner import DemoContext

STILL_USED = demo(
    "still-used",
    stochastic=False,  # the same numbers at every seed
    title="Still used? ResNet-50 beside ConvNeXt-T and ViT-B/16",
    summary="Exact params and MACs of ResNet-50, ConvNeXt-T, ViT-B/16; published ImageNet top-1.",
)


class Published(NamedTuple):
    """A model's ImageNet-1k top-1 accuracy (%), as its paper and torchvision's weights print it."""

    paper_top1: float
    paper_source: str
    torchvision_top1: float
    torchvision_weights: str


# Paper figures: the ones each paper prints for its own ImageNet-1k-trained model at 224x224 where
# it has one; torchvision's from its weights tables (single 224 crop), trained with newer recipes.
PUBLISHED = {
    "resnet50": Published(
        77.15,
        "He et al. 2015, Table 3: 22.85% top-1 error, 10-crop testing",
        76.13,
        "IMAGENET1K_V1 (the original recipe; V2's newer recipe reaches 80.858)",
    ),
    "convnext_tiny": Published(
        82.1, "Liu et al. 2022, Table 1: ImageNet-1K trained, 224²", 82.52, "IMAGENET1K_V1"
    ),
    "vit_b_16": Published(
        77.9,
        "Dosovitskiy et al. 2021, Table 5: ImageNet-1k pre-training only, fine-tuned at 384²",
        81.072,
        "IMAGENET1K_V1 (224², trained on ImageNet-1k with a DeiT-style recipe)",
    ),
}
LABELS = {"resnet50": "ResNet-50", "convnext_tiny": "ConvNeXt-T", "vit_b_16": "ViT-B/16"}


class ModelRow(NamedTuple):
    """One model's exact counts."""

    name: str
    params: int
    macs: int  # by formula
    reference_params: int
    reference_gmacs: float
    closed_form: int | None = None  # the zoo's whole-model formula, where it has one (ViT)


@dataclass(frozen=True)
class StillUsedNumbers:
    models: tuple[ModelRow, ...]


@STILL_USED.measure
def measure_still_used(s: Settings, ctx: DemoContext) -> StillUsedNumbers:
    from cvquiz.demos import zoo

    rows = []
    for name, label in LABELS.items():
        spec = zoo.MODELS[name]
        model = zoo.build_meta(spec.builder)
        # Per layer, with a label for the oracle's check; ViT's attention declares its matmuls.
        rows.append(
            ModelRow(
                name,
                zoo.count_params(model),
                zoo.analytic_macs(model, spec.input_shape, label=label),
                spec.reference_params,
                spec.reference_gmacs,
                spec.macs_formula(spec.input_shape) if spec.macs_formula is not None else None,
            )
        )
    return StillUsedNumbers(tuple(rows))


@STILL_USED.present
def present_still_used(n: StillUsedNumbers, s: Settings) -> Presentation:
    checks = []
    for m in n.models:
        label = LABELS[m.name]
        decimals = len(str(m.reference_gmacs).split(".")[1])
        checks += [
            _params_check(label, expected=m.reference_params, measured=m.params),
            check(
                f"{label}: GMACs",
                expected=m.reference_gmacs,
                measured=round(m.macs / 1e9, decimals),
                source=f"{TORCHVISION} (rounded as printed)",
            ),
        ]
        if m.closed_form is not None:
            checks.append(
                check(
                    f"{label}: MACs per layer == the closed form "
                    "T·D·3P² + L·(4·T·D² + 2·T²·D + 2·T·D·D_mlp) + D·classes",
                    expected=m.closed_form,
                    measured=m.macs,
                    source="Dosovitskiy et al. 2021, eqs. 1-3; Vaswani et al. 2017, eq. 1",
                )
            )
    by_name = {m.name: m for m in n.models}
    r50, cnx, vit = by_name["resnet50"], by_name["convnext_tiny"], by_name["vit_b_16"]
    checks += [
        check(
            "ConvNeXt-T costs about what ResNet-50 costs (MACs within 10%)",
            expected=True,
            measured=abs(cnx.macs / r50.macs - 1) < 0.10,
            source="Liu et al. 2022, Table 1: 4.5G FLOPs vs ResNet-50's 4.1G",
        ),
        check(
            "ViT-B/16 needs over 4x ResNet-50's MACs and over 3x its parameters",
            expected=True,
            measured=vit.macs > 4 * r50.macs and vit.params > 3 * r50.params,
            source="Dosovitskiy et al. 2021, Table 1 (86M parameters)",
        ),
    ]
    rows = tuple(
        (LABELS[m.name], m.params, _gmacs(m.macs), PUBLISHED[m.name].paper_top1,
         PUBLISHED[m.name].torchvision_top1)
        for m in n.models
    )  # fmt: skip
    sources = tuple(
        (LABELS[name], p.paper_source, p.torchvision_weights) for name, p in PUBLISHED.items()
    )
    return Presentation(
        explanation=(
            "Yes: ResNet-50 is still the default baseline and backbone. ConvNeXt-T (a ResNet "
            "modernised: patchify stem, 7x7 depthwise convs, LayerNorm, inverted MLP) and ViT-B/16 "
            "(a Transformer on 16x16 patches) beat it on ImageNet, at a similar (ConvNeXt) or "
            "4x (ViT) cost.",
            "Accuracy depends on the training recipe as much as on the architecture: the same "
            "ResNet-50 reaches 76.1% with the 2015 recipe and 80.9% with torchvision's 2021 one. "
            "Top-1 figures are quoted from the papers and torchvision, not measured here.",
            "Counted on the meta device: nothing is allocated.",
        ),
        tables=(
            Table(
                "At 224x224, ImageNet-1k, 1000 classes",
                ("model", "params", "GMACs", "paper top-1 %", "torchvision top-1 %"),
                rows,
                note=f"params and GMACs: exactly the {TORCHVISION}s. ViT's MACs include the "
                "attention products Q·Kᵀ and attention·V (2·T²·D per block, T = 197 tokens).",
            ),
            Table("Where the top-1 figures come from", ("model", "paper", "torchvision"), sources),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )
