"""ResNet as a backbone: FPN feature pyramids for detection, an encoder for segmentation.

Shapes come from forward passes of meta-device models on an empty batch: any input size
allocates nothing. MACs are counted by formula (`cvquiz verify` counts them again with
FlopCounterMode).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import HE_2015, _stage_features
from cvquiz.demos.result import MACS_CONVENTION, Presentation, Table, check, format_shape
from cvquiz.demos.runner import DemoContext

if TYPE_CHECKING:
    import torch
    from torch import nn


def _size_param(default: int, help: str, *, max: int) -> Param:
    """The input size: the backbone halves it five times, so it must divide by 32."""
    return Param(
        "size", int, default, help, min=32, max=max, multiple_of=32, why="the backbone's stride"
    )


# Q13: ResNet as a detection backbone.

FPN = demo(
    "fpn-features",
    stochastic=False,  # the same numbers at every seed
    title="ResNet as a detection backbone: C2-C5 and an FPN",
    summary="C2-C5 at strides 4/8/16/32, their channels, and what an FPN costs.",
    params=(
        _size_param(224, "input height and width (a multiple of 32; detectors use ~800)", max=1344),
        Param(
            "backbone",
            str,
            "resnet50",
            "the ResNet backbone",
            choices=("resnet18", "resnet34", "resnet50", "resnet101"),
        ),
    ),
)

FPN_CHANNELS = 256  # Lin et al. 2017, "Feature Pyramid Networks": d = 256 everywhere

LEVELS = ("C2", "C3", "C4", "C5")

USED_BY = {
    "C2": "FPN P2",
    "C3": "FPN P3, RetinaNet",
    "C4": "FPN P4, Faster R-CNN C4",
    "C5": "FPN P5, RetinaNet",
}


class Level(NamedTuple):
    """One backbone stage output C_i and the FPN level P_i built on it."""

    name: str
    channels: int
    height: int
    width: int
    pyramid_shape: tuple[int, ...]  # P_i as (C, H, W)


@dataclass(frozen=True)
class FpnNumbers:
    """The backbone's C2-C5, and the FPN's parameters and MACs on them."""

    expansion: int  # channels of a stage's output per plane: 1 basic, 4 bottleneck
    backbone_params: int  # without the FC
    levels: tuple[Level, ...]
    lateral_params: int
    output_params: int
    fpn_macs: int  # of the FPN's forward, by formula per conv


def _fpn(channels: Sequence[int]) -> nn.Module:
    """An FPN on C2-C5 of these channels, on the meta device: lateral 1x1s, output 3x3s.

    Its forward is the top-down pathway (Lin et al. 2017, Fig. 3): upsample the coarser level 2x
    (nearest) and add the lateral 1x1; a 3x3 then smooths each sum. It returns P2-P5.
    """
    import torch.nn.functional as F
    from torch import nn

    from cvquiz.demos import zoo

    class FPN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.laterals = nn.ModuleList(nn.Conv2d(c, FPN_CHANNELS, 1) for c in channels)
            self.outputs = nn.ModuleList(
                nn.Conv2d(FPN_CHANNELS, FPN_CHANNELS, 3, padding=1) for _ in channels
            )

        def forward(self, *features: torch.Tensor) -> list[torch.Tensor]:
            lat = [conv(f) for conv, f in zip(self.laterals, features, strict=True)]
            merged = [lat[-1]]  # (N, 256, H_i, W_i) each
            for level in reversed(lat[:-1]):
                merged.insert(0, level + F.interpolate(merged[0], scale_factor=2.0, mode="nearest"))
            return [conv(p) for conv, p in zip(self.outputs, merged, strict=True)]

    return zoo.build_meta(FPN)


@FPN.measure
def measure_fpn(s: Settings, ctx: DemoContext) -> FpnNumbers:
    import torch

    from cvquiz.demos import zoo

    model = zoo.build_meta(zoo.MODELS[s.backbone].builder)
    feats = _stage_features(model, s.size)  # empty batches: only the shapes are real
    fpn = _fpn([feats[c].shape[1] for c in LEVELS])
    # One image per level, (1, C_i, H_i, W_i), on the meta device: counted by formula.
    levels = [torch.empty((1, *feats[c].shape[1:]), device="meta") for c in LEVELS]
    rows = zoo.formula_layers(fpn, *levels, label=f"FPN on {s.backbone} C2-C5 at {s.size}x{s.size}")
    output_shapes = {r.name: r.output_shape for r in rows}  # outputs.i gives P_i as (N, C, H, W)
    return FpnNumbers(
        expansion=model.block.expansion,
        backbone_params=zoo.count_params(model) - zoo.count_params(model.fc),
        levels=tuple(
            Level(
                c,
                feats[c].shape[1],
                feats[c].shape[-2],
                feats[c].shape[-1],
                output_shapes[f"outputs.{i}"][1:],
            )
            for i, c in enumerate(LEVELS)
        ),
        lateral_params=zoo.count_params(fpn.laterals),
        output_params=zoo.count_params(fpn.outputs),
        fpn_macs=sum(r.macs for r in rows),
    )


@FPN.present
def present_fpn(n: FpnNumbers, s: Settings) -> Presentation:
    size, d = s.size, FPN_CHANNELS
    rows, checks = [], []
    for i, lv in enumerate(n.levels):
        stride = size // lv.width
        rows.append(
            (lv.name, stride, lv.channels, f"{lv.height}x{lv.width}", format_shape(lv.pyramid_shape),
             USED_BY[lv.name])
        )  # fmt: skip
        channels = 64 * 2**i * n.expansion  # He et al. 2015, Table 1
        checks += [
            check(
                f"{lv.name} has stride {2 ** (i + 2)} (input / feature size)",
                expected=2 ** (i + 2),
                measured=stride,
                source=f"{HE_2015}, Table 1 (output sizes 56, 28, 14, 7 at 224)",
            ),
            check(
                f"{lv.name} has {channels} channels",
                expected=channels,
                measured=lv.channels,
                source=f"{HE_2015}, Table 1: 64·2^i · expansion {n.expansion}",
            ),
        ]
    # Lateral 1x1s with bias: Σ C_i·d + 4·d; MACs Σ H_i·W_i·(C_i + 9·d)·d (Lin et al. 2017).
    lateral_formula = sum(lv.channels for lv in n.levels) * d + len(n.levels) * d
    macs_formula = sum((lv.channels + 9 * d) * d * lv.height * lv.width for lv in n.levels)
    fpn_params = n.lateral_params + n.output_params
    checks += [
        check(
            "FPN lateral 1x1 convs (with bias): Σ C_i·256 + 4·256 parameters",
            expected=lateral_formula,
            measured=n.lateral_params,
            source="formula; Lin et al. 2017, d = 256",
        ),
        check(
            "FPN builds P2-P5 from all of C2-C5, not only C4/C5: pyramid strides 4, 8, 16, 32",
            expected="4, 8, 16, 32",
            measured=", ".join(str(size // lv.pyramid_shape[-1]) for lv in n.levels),
            source="Lin et al. 2017, sec. 3: the pyramid is built on the last outputs of conv2-conv5 "
            "({C2, C3, C4, C5}) and gives {P2, P3, P4, P5}; conv1 is left out for its memory",
        ),
        check(
            "every pyramid level P2-P5 has 256 channels at its C level's size",
            expected=str([(d, lv.height, lv.width) for lv in n.levels]),
            measured=str([lv.pyramid_shape for lv in n.levels]),
            source="Lin et al. 2017, sec. 3",
        ),
        check(
            "FPN MACs: lateral 1x1s + 3x3 outputs by formula",
            expected=macs_formula,
            measured=n.fpn_macs,
            source="formula Σ H_i·W_i·(C_i + 9·256)·256",
        ),
    ]
    return Presentation(
        explanation=(
            "Detectors cut the classifier off a ResNet and read the outputs of its four stages, "
            "C2-C5, at strides 4, 8, 16, 32. Faster R-CNN's original ResNet version uses C4 for "
            "proposals and runs stage 5 on each RoI; FPN and RetinaNet use the whole pyramid.",
            "FPN (Lin et al. 2017) brings each C_i to 256 channels with a lateral 1x1 conv, adds "
            "the 2x-upsampled coarser level (top-down pathway), then smooths with a 3x3 conv: "
            "strong semantics at every scale.",
            f"The {s.backbone} backbone has {n.backbone_params:,} parameters without "
            f"its FC; the FPN adds {fpn_params:,} "
            f"({n.lateral_params:,} lateral + {n.output_params:,} output convs).",
            "Shapes come from a forward pass on an empty batch: nothing is allocated.",
        ),
        tables=(
            Table(
                f"{s.backbone} features at {size}x{size}",
                ("level", "stride", "channels", "H×W", "FPN output", "used by"),
                tuple(rows),
                note="C2-C5: outputs of layer1-layer4. RetinaNet builds P3-P7 (P6, P7 from C5).",
            ),
            Table(
                "FPN cost",
                ("part", "params", "formula"),
                (
                    (
                        "lateral 1x1 convs",
                        n.lateral_params,
                        f"Σ C_i·256 + 4·256 = {lateral_formula}",
                    ),
                    ("output 3x3 convs", n.output_params, "4·(9·256·256 + 256)"),
                    ("FPN total", fpn_params, ""),
                    (f"FPN MACs at {size}x{size}", n.fpn_macs, "counted per conv, by formula"),
                ),
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )


# Q14: ResNet as a segmentation encoder.

SEGMENTATION = demo(
    "segmentation-decoder",
    stochastic=False,  # the same numbers at every seed
    title="ResNet encoder + U-Net decoder for segmentation",
    summary="Encoder down to stride 32, decoder with skip concats back to full resolution.",
    params=(
        Param(
            "backbone",
            str,
            "resnet50",
            "the ResNet encoder",
            choices=("resnet18", "resnet34", "resnet50"),
        ),
        _size_param(224, "input height and width (a multiple of 32)", max=1024),
        Param("classes", int, 21, "segmentation classes (21 for PASCAL VOC)", min=1, max=1000),
    ),
)

DECODER_CHANNELS = (256, 128, 64, 32, 16)  # as in segmentation_models_pytorch's U-Net

SKIPS = ("C4", "C3", "C2", "C1", None)  # the encoder map each decoder stage concatenates


class FeatureMap(NamedTuple):
    """One tensor on the way down and back up."""

    tensor: str
    part: str
    channels: int
    height: int
    width: int


class DecoderStage(NamedTuple):
    """A decoder stage's channels: upsampled input, concatenated skip, output."""

    in_channels: int
    skip_channels: int
    out_channels: int


@dataclass(frozen=True)
class SegmentationNumbers:
    """Every feature map from input to logits, and each part's parameters."""

    maps: tuple[FeatureMap, ...]  # input, C1-C5, decoder stages, logits
    stages: tuple[DecoderStage, ...]
    encoder_params: int  # without the FC
    decoder_params: int
    head_params: int


@SEGMENTATION.measure
def measure_segmentation(s: Settings, ctx: DemoContext) -> SegmentationNumbers:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from cvquiz.demos import zoo

    encoder = zoo.build_meta(zoo.MODELS[s.backbone].builder)
    feats = _stage_features(encoder, s.size)  # empty batches: only the shapes are real
    # Decoder stage i: upsample 2x, concat the skip of the same stride, two conv-BN-ReLU.
    stages, in_ch = [], feats["C5"].shape[1]
    for out_ch, skip in zip(DECODER_CHANNELS, SKIPS, strict=True):
        stages.append(DecoderStage(in_ch, feats[skip].shape[1] if skip else 0, out_ch))
        in_ch = out_ch

    def build_decoder() -> nn.ModuleList:
        return nn.ModuleList(
            nn.Sequential(zoo.conv_bn_act(i + k, o), zoo.conv_bn_act(o, o)) for i, k, o in stages
        )

    decoder = zoo.build_meta(build_decoder)
    head = zoo.build_meta(
        nn.Conv2d,
        in_channels=DECODER_CHANNELS[-1],
        out_channels=s.classes,
        kernel_size=3,
        padding=1,
    )

    def found(tensor: str, part: str, t: torch.Tensor) -> FeatureMap:
        return FeatureMap(tensor, part, t.shape[1], t.shape[-2], t.shape[-1])

    maps = [FeatureMap("input", "", 3, s.size, s.size)]
    maps += [found(c, "encoder", feats[c]) for c in ("C1", "C2", "C3", "C4", "C5")]
    # The decoder on the encoder's empty batch (N = 0): its meta layers run as zoo.empty_pass.
    y = feats["C5"]  # (N, C5, H/32, W/32)
    for stage, skip in zip(decoder, SKIPS, strict=True):
        y = F.interpolate(y, scale_factor=2.0, mode="nearest")  # (N, C, 2H, 2W)
        if skip:
            y = torch.cat([y, feats[skip]], dim=1)  # (N, C + C_skip, 2H, 2W)
        y = zoo.empty_pass(stage, y)
        name = f"D{s.size // y.shape[-1]}"
        maps.append(found(name, f"decoder (+{skip})" if skip else "decoder", y))
    maps.append(found("logits", "3x3 head", zoo.empty_pass(head, y)))  # (N, classes, H, W)
    return SegmentationNumbers(
        maps=tuple(maps),
        stages=tuple(stages),
        encoder_params=zoo.count_params(encoder) - zoo.count_params(encoder.fc),
        decoder_params=zoo.count_params(decoder),
        head_params=zoo.count_params(head),
    )


_STAGE_WIDTHS = {"basic": (64, 128, 256, 512), "bottleneck": (256, 512, 1024, 2048)}


@SEGMENTATION.present
def present_segmentation(n: SegmentationNumbers, s: Settings) -> Presentation:
    size = s.size
    by_name = {m.tensor: m for m in n.maps}
    c5, logits = by_name["C5"], by_name["logits"]

    def conv_bn(c_in: int, c_out: int) -> int:
        """A 3x3 conv without bias and its BN: 9·C_in·C_out + 2·C_out."""
        return 9 * c_in * c_out + 2 * c_out

    decoder_formula = sum(
        conv_bn(st.in_channels + st.skip_channels, st.out_channels)
        + conv_bn(st.out_channels, st.out_channels)
        for st in n.stages
    )
    rows = tuple(
        (m.tensor, m.part, size // m.width, m.channels, f"{m.height}x{m.width}") for m in n.maps
    )
    checks = (
        check(
            "the encoder's last feature map has output stride 32",
            expected=32,
            measured=size // c5.width,
            source=f"{HE_2015}, Table 1",
        ),
        check(
            "the encoder stages the skips come from have Table 1's widths (C2-C5)",
            expected=_STAGE_WIDTHS[
                "basic" if s.backbone in ("resnet18", "resnet34") else "bottleneck"
            ],
            measured=tuple(by_name[c].channels for c in ("C2", "C3", "C4", "C5")),
            source=f"{HE_2015}, Table 1: 64·2^k (basic blocks), 256·2^k (bottlenecks)",
        ),
        check(
            "the decoder restores the input resolution: logits H×W == input H×W",
            expected=f"{size}x{size}",
            measured=f"{logits.height}x{logits.width}",
            source="5 upsamplings × 2 = 32",
        ),
        check(
            "decoder parameters: Σ 9·(C_in + C_skip)·C_out + 9·C_out² + BN",
            expected=decoder_formula,
            measured=n.decoder_params,
            source="formula, two conv-BN-ReLU per stage",
        ),
    )
    return Presentation(
        explanation=(
            f"The encoder is {s.backbone} without its pooling and FC, usually with ImageNet-pretrained "
            "weights: it downsamples to stride 32 while building semantic features.",
            "A U-Net-style decoder climbs back: each stage upsamples 2x, concatenates the encoder "
            "feature map of the same stride (the skip connection that restores detail), and mixes "
            "with two 3x3 conv-BN-ReLU. A 3x3 head gives per-pixel class scores.",
            "DeepLab takes the other route: dilated convs keep the last stages at stride 8 or 16 and "
            "ASPP (parallel dilated 3x3 convs) gathers context before a light decoder.",
            "Shapes come from a forward pass on an empty batch: nothing is allocated.",
        ),
        tables=(
            Table(
                f"{s.backbone} U-Net at {size}x{size}",
                ("tensor", "part", "stride", "channels", "H×W"),
                rows,
            ),
            Table(
                "Parameters",
                ("part", "params"),
                (
                    (f"encoder ({s.backbone} without FC)", n.encoder_params),
                    (
                        f"decoder ({', '.join(map(str, DECODER_CHANNELS))} channels)",
                        n.decoder_params,
                    ),
                    (f"head (3x3 conv to {s.classes} classes)", n.head_params),
                ),
            ),
        ),
        checks=checks,
    )
