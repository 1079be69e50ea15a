"""ResNet as a backbone: FPN feature pyramids for detection, an encoder for segmentation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cvquiz.demos.registry import Param, demo
from cvquiz.demos.resnet.common import HE_2015
from cvquiz.demos.result import (
    COUNTER_SOURCE,
    MACS_CONVENTION,
    DemoResult,
    Table,
    check,
    format_shape,
)
from cvquiz.errors import CvquizError

if TYPE_CHECKING:
    import torch
    from torch import nn

    from cvquiz.demos.registry import DemoContext


# Q13: ResNet as a detection backbone.

FPN_CHANNELS = 256  # Lin et al. 2017, "Feature Pyramid Networks": d = 256 everywhere

BACKBONES = ("resnet18", "resnet34", "resnet50", "resnet101")


def _stage_features(model: nn.Module, size: int) -> dict[str, torch.Tensor]:
    """C1 (stem, stride 2) and C2-C5 (stages 1-4) of a zoo ResNet, on the model's device."""
    features: dict[str, torch.Tensor] = {}
    handles = [model.relu.register_forward_hook(lambda _m, _i, out: features.setdefault("C1", out))]
    handles += [
        getattr(model, f"layer{i}").register_forward_hook(
            lambda _m, _i, out, key=f"C{i + 1}": features.__setitem__(key, out)
        )
        for i in range(1, 5)
    ]
    try:
        model(_zeros_like_model(model, (1, 3, size, size)))
    finally:
        for handle in handles:
            handle.remove()
    return features


def _zeros_like_model(model: nn.Module, shape: tuple[int, ...]) -> torch.Tensor:
    import torch

    return torch.zeros(shape, device=next(model.parameters()).device)


def _check_size(size: int) -> None:
    if size % 32:
        raise CvquizError(f"--set size={size}: must be a multiple of 32 (the backbone's stride)")


@demo(
    "fpn-features",
    title="ResNet as a detection backbone: C2-C5 and an FPN",
    summary="C2-C5 at strides 4/8/16/32, their channels, and what an FPN costs.",
    params=(
        Param(
            "size",
            int,
            224,
            "input height and width (a multiple of 32; detectors use ~800)",
            min=32,
            max=1344,
        ),
        Param("backbone", str, "resnet50", "the ResNet backbone", choices=BACKBONES),
    ),
)
def fpn_features(ctx: DemoContext, *, size: int, backbone: str) -> DemoResult:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from cvquiz.demos import zoo

    _check_size(size)
    model = zoo.build_meta(zoo.MODELS[backbone].builder)
    expansion = model.block.expansion
    with torch.no_grad():
        feats = _stage_features(model, size)
    levels = ("C2", "C3", "C4", "C5")
    channels = [feats[c].shape[1] for c in levels]

    with torch.device("meta"):
        laterals = nn.ModuleList(nn.Conv2d(c, FPN_CHANNELS, 1) for c in channels)
        outputs = nn.ModuleList(
            nn.Conv2d(FPN_CHANNELS, FPN_CHANNELS, 3, padding=1) for _ in channels
        )
    # Top-down pathway: upsample the coarser level 2x (nearest) and add the lateral 1x1.
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        lat = [conv(feats[c]) for conv, c in zip(laterals, levels, strict=True)]
        merged = [lat[-1]]
        for level in reversed(lat[:-1]):
            merged.insert(0, level + F.interpolate(merged[0], scale_factor=2.0, mode="nearest"))
        pyramid = [conv(p) for conv, p in zip(outputs, merged, strict=True)]
    fpn_macs = counter.get_total_flops() // 2

    used_by = {
        "C2": "FPN P2",
        "C3": "FPN P3, RetinaNet",
        "C4": "FPN P4, Faster R-CNN C4",
        "C5": "FPN P5, RetinaNet",
    }
    rows = []
    checks = []
    for i, (c, p) in enumerate(zip(levels, pyramid, strict=True)):
        f = feats[c]
        stride = size // f.shape[-1]
        rows.append(
            (
                c,
                stride,
                f.shape[1],
                f"{f.shape[-2]}x{f.shape[-1]}",
                format_shape(p.shape[1:]),
                used_by[c],
            )
        )
        checks += [
            check(
                f"{c} has stride {2 ** (i + 2)} (input / feature size)",
                expected=2 ** (i + 2),
                measured=stride,
                source=f"{HE_2015}, Table 1 (output sizes 56, 28, 14, 7 at 224)",
            ),
            check(
                f"{c} has {64 * 2**i * expansion} channels",
                expected=64 * 2**i * expansion,
                measured=f.shape[1],
                source=f"{HE_2015}, Table 1: 64·2^i · expansion {expansion}",
            ),
        ]
    lateral_params = sum(zoo.count_params(m) for m in laterals)
    output_params = sum(zoo.count_params(m) for m in outputs)
    lateral_formula = sum(channels) * FPN_CHANNELS + len(channels) * FPN_CHANNELS
    checks += [
        check(
            "FPN lateral 1x1 convs (with bias): Σ C_i·256 + 4·256 parameters",
            expected=lateral_formula,
            measured=lateral_params,
            source="formula; Lin et al. 2017, d = 256",
        ),
        check(
            "every pyramid level P2-P5 has 256 channels at its C level's size",
            expected=str([(FPN_CHANNELS, *feats[c].shape[-2:]) for c in levels]),
            measured=str([tuple(p.shape[1:]) for p in pyramid]),
            source="Lin et al. 2017, sec. 3",
        ),
        check(
            "FPN MACs: lateral 1x1s + 3x3 outputs by formula",
            expected=sum(
                (c + 9 * FPN_CHANNELS) * FPN_CHANNELS * feats[lv].shape[-2] * feats[lv].shape[-1]
                for c, lv in zip(channels, levels, strict=True)
            ),
            measured=fpn_macs,
            source=f"{COUNTER_SOURCE}; formula Σ H_i·W_i·(C_i + 9·256)·256",
        ),
    ]
    return DemoResult(
        demo_id="fpn-features",
        title="ResNet as a detection backbone: C2-C5 and an FPN",
        explanation=(
            "Detectors cut the classifier off a ResNet and read the outputs of its four stages, "
            "C2-C5, at strides 4, 8, 16, 32. Faster R-CNN's original ResNet version uses C4 for "
            "proposals and runs stage 5 on each RoI; FPN and RetinaNet use the whole pyramid.",
            "FPN (Lin et al. 2017) brings each C_i to 256 channels with a lateral 1x1 conv, adds "
            "the 2x-upsampled coarser level (top-down pathway), then smooths with a 3x3 conv: "
            "strong semantics at every scale.",
            f"The {backbone} backbone has {zoo.count_params(model) - zoo.count_params(model.fc):,} parameters without "
            f"its FC; the FPN adds {lateral_params + output_params:,} "
            f"({lateral_params:,} lateral + {output_params:,} output convs).",
            "Shapes come from a forward pass on the meta device: nothing is allocated.",
        ),
        tables=(
            Table(
                f"{backbone} features at {size}x{size}",
                ("level", "stride", "channels", "H×W", "FPN output", "used by"),
                tuple(rows),
                note="C2-C5: outputs of layer1-layer4. RetinaNet builds P3-P7 (P6, P7 from C5).",
            ),
            Table(
                "FPN cost",
                ("part", "params", "formula"),
                (
                    ("lateral 1x1 convs", lateral_params, f"Σ C_i·256 + 4·256 = {lateral_formula}"),
                    ("output 3x3 convs", output_params, "4·(9·256·256 + 256)"),
                    ("FPN total", lateral_params + output_params, ""),
                    (f"FPN MACs at {size}x{size}", fpn_macs, "counted by FlopCounterMode"),
                ),
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )


# Q14: ResNet as a segmentation encoder.

DECODER_CHANNELS = (256, 128, 64, 32, 16)  # as in segmentation_models_pytorch's U-Net


@demo(
    "segmentation-decoder",
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
        Param("size", int, 224, "input height and width (a multiple of 32)", min=32, max=1024),
        Param("classes", int, 21, "segmentation classes (21 for PASCAL VOC)", min=1, max=1000),
    ),
)
def segmentation_decoder(ctx: DemoContext, *, backbone: str, size: int, classes: int) -> DemoResult:
    import torch
    import torch.nn.functional as F
    from torch import nn

    from cvquiz.demos import zoo

    _check_size(size)
    encoder = zoo.build_meta(zoo.MODELS[backbone].builder)
    with torch.no_grad():
        feats = _stage_features(encoder, size)
    # Decoder stage i: upsample 2x, concat the skip of the same stride, two conv-BN-ReLU.
    skips = ["C4", "C3", "C2", "C1", None]
    in_ch = feats["C5"].shape[1]
    specs = []
    for out_ch, skip in zip(DECODER_CHANNELS, skips, strict=True):
        skip_ch = feats[skip].shape[1] if skip else 0
        specs.append((in_ch, skip_ch, out_ch, skip))
        in_ch = out_ch
    with torch.device("meta"):
        stages = nn.ModuleList(
            nn.Sequential(zoo.conv_bn_act(i + s, o), zoo.conv_bn_act(o, o)) for i, s, o, _ in specs
        )
        head = nn.Conv2d(DECODER_CHANNELS[-1], classes, 3, padding=1)
    stages.eval()

    rows = [("input", "", 1, 3, f"{size}x{size}")]
    rows += [
        (
            c,
            "encoder",
            size // feats[c].shape[-1],
            feats[c].shape[1],
            f"{feats[c].shape[-2]}x{feats[c].shape[-1]}",
        )
        for c in ("C1", "C2", "C3", "C4", "C5")
    ]
    with torch.no_grad():
        y = feats["C5"]  # (N, C5, H/32, W/32)
        for stage, (_, _, _, skip) in zip(stages, specs, strict=True):
            y = F.interpolate(y, scale_factor=2.0, mode="nearest")  # (N, C, 2H, 2W)
            if skip:
                y = torch.cat([y, feats[skip]], dim=1)  # (N, C + C_skip, 2H, 2W)
            y = stage(y)
            rows.append(
                (f"D{size // y.shape[-1]}", f"decoder (+{skip})" if skip else "decoder", size // y.shape[-1],
                 y.shape[1], f"{y.shape[-2]}x{y.shape[-1]}")
            )  # fmt: skip
        logits = head(y)  # (N, classes, H, W)
    rows.append(
        (
            "logits",
            "3x3 head",
            size // logits.shape[-1],
            logits.shape[1],
            f"{logits.shape[-2]}x{logits.shape[-1]}",
        )
    )

    def conv_bn(c_in: int, c_out: int) -> int:
        return 9 * c_in * c_out + 2 * c_out

    decoder_formula = sum(conv_bn(i + s, o) + conv_bn(o, o) for i, s, o, _ in specs)
    decoder_params = zoo.count_params(stages)
    encoder_params = zoo.count_params(encoder) - zoo.count_params(encoder.fc)
    checks = (
        check(
            "the encoder's last feature map has output stride 32",
            expected=32,
            measured=size // feats["C5"].shape[-1],
            source=f"{HE_2015}, Table 1",
        ),
        check(
            "the decoder restores the input resolution: logits H×W == input H×W",
            expected=f"{size}x{size}",
            measured=f"{logits.shape[-2]}x{logits.shape[-1]}",
            source="5 upsamplings × 2 = 32",
        ),
        check(
            f"one score per class per pixel: {classes} output channels",
            expected=classes,
            measured=logits.shape[1],
            source="3x3 conv head",
        ),
        check(
            "decoder parameters: Σ 9·(C_in + C_skip)·C_out + 9·C_out² + BN",
            expected=decoder_formula,
            measured=decoder_params,
            source="formula, two conv-BN-ReLU per stage",
        ),
    )
    return DemoResult(
        demo_id="segmentation-decoder",
        title="ResNet encoder + U-Net decoder for segmentation",
        explanation=(
            f"The encoder is {backbone} without its pooling and FC, usually with ImageNet-pretrained "
            "weights: it downsamples to stride 32 while building semantic features.",
            "A U-Net-style decoder climbs back: each stage upsamples 2x, concatenates the encoder "
            "feature map of the same stride (the skip connection that restores detail), and mixes "
            "with two 3x3 conv-BN-ReLU. A 3x3 head gives per-pixel class scores.",
            "DeepLab takes the other route: dilated convs keep the last stages at stride 8 or 16 and "
            "ASPP (parallel dilated 3x3 convs) gathers context before a light decoder.",
            "Shapes come from a forward pass on the meta device: nothing is allocated.",
        ),
        tables=(
            Table(
                f"{backbone} U-Net at {size}x{size}",
                ("tensor", "part", "stride", "channels", "H×W"),
                tuple(rows),
            ),
            Table(
                "Parameters",
                ("part", "params"),
                (
                    (f"encoder ({backbone} without FC)", encoder_params),
                    (f"decoder ({', '.join(map(str, DECODER_CHANNELS))} channels)", decoder_params),
                    (f"head (3x3 conv to {classes} classes)", zoo.count_params(head)),
                ),
            ),
        ),
        checks=checks,
    )
