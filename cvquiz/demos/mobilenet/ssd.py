"""MobileNet as a detection backbone: SSD's feature maps, default boxes and heads."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import MACS_CONVENTION, Presentation, Table, check
from cvquiz.demos.runner import DemoContext

if TYPE_CHECKING:
    import torch
    from torch import nn

# MobileNet + SSD (Q30, Q38)

# SSD MobileNetV1 (TF object detection API, samples/configs/ssd_mobilenet_v1_coco.config): taps at
# conv11 (stride 16) and conv13 (stride 32), then four extra 1x1 -> 3x3 stride-2 pairs; 3 default
# boxes on the first map, 6 on the others (reduce_boxes_in_lowest_layer); and its
# convolutional_box_predictor has kernel_size: 1, so each head is a 1x1 conv per map.
TF_CONFIG = "TF object detection API, ssd_mobilenet_v1_coco.config (box predictor kernel_size: 1)"
SSD_TAPS = (11, 13)

SSD_EXTRAS = ((256, 512), (128, 256), (128, 256), (64, 128))

SSD_BOXES = (3, 6, 6, 6, 6, 6)

SSD = demo(
    "ssd-feature-maps",
    stochastic=False,  # the same numbers at every seed
    title="MobileNet as an SSD backbone: feature maps, default boxes, head cost",
    summary="MobileNetV1-SSD at 300×300: 19×19 and 10×10 taps plus extra layers, 1917 default boxes, 1×1 heads' cost",
    params=(
        Param("image_size", int, 300, "input height and width", min=64, max=1024),
        Param("num_classes", int, 91, "classes including background (COCO: 91)", min=2, max=200),
    ),
)


@dataclass(frozen=True)
class FeatureMap:
    """One map SSD predicts from, with its default boxes and the head on it."""

    name: str
    channels: int
    height: int
    width: int
    boxes_per_cell: int
    boxes: int  # H·W·boxes per cell, as the head's output lays them out
    head_params: int  # one 1×1 conv (box offsets and class scores), as in TF's config
    head_macs: int
    wide_params: int  # a 3×3 conv instead, for comparison


@dataclass(frozen=True)
class SsdNumbers:
    """The feature maps on meta, the heads' concatenated outputs, and where the params are."""

    maps: tuple[FeatureMap, ...]
    loc_shape: tuple[int, int, int]  # (1, boxes, 4)
    cls_shape: tuple[int, int, int]  # (1, boxes, classes)
    backbone_params: int
    backbone_macs: int
    extra_params: int
    extra_macs: int


def ssd_map_sizes(image_size: int) -> list[int]:
    """⌈size/16⌉, ⌈size/32⌉, then halved by each extra layer (a stride-2 3×3 conv rounds up)."""
    sizes = [math.ceil(image_size / 16), math.ceil(image_size / 32)]
    for _ in SSD_EXTRAS:
        sizes.append(math.ceil(sizes[-1] / 2))
    return sizes


@SSD.measure
def measure_ssd(s: Settings, ctx: DemoContext) -> SsdNumbers:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    k, size = s.num_classes, s.image_size

    def build_extras() -> nn.ModuleList:
        extras, in_ch = nn.ModuleList(), 1024
        for mid, out in SSD_EXTRAS:
            extras.append(
                nn.Sequential(
                    zoo.conv_bn_act(in_ch, mid, kernel_size=1), zoo.conv_bn_act(mid, out, stride=2)
                )
            )
            in_ch = out
        return extras

    # On meta, in eval mode (inference: BN uses running statistics, even on a 1x1 map).
    backbone = zoo.build_meta(zoo.mobilenet_v1).features
    extras = zoo.build_meta(build_extras)
    x = torch.empty(1, 3, size, size, device="meta")  # (1, 3, H, W)
    taps = _feature_maps(backbone, extras, x)
    maps, loc, cls = [], [], []
    for (name, fmap), boxes in zip(taps, SSD_BOXES, strict=True):
        _, ch, hh, ww = fmap.shape
        head = zoo.build_meta(
            nn.Conv2d, in_channels=ch, out_channels=boxes * (4 + k), kernel_size=1
        )
        wide = zoo.build_meta(
            nn.Conv2d, in_channels=ch, out_channels=boxes * (4 + k), kernel_size=3, padding=1
        )
        # The head on an empty batch: (0, B·(4+K), H, W) -> (0, H·W·B, 4+K), as SSD lays it out
        # (unflatten, not reshape(-1): an empty batch leaves -1 undetermined).
        out = zoo.empty_pass(head, fmap).permute(0, 2, 3, 1).unflatten(3, (boxes, 4 + k))
        out = out.flatten(1, 3)
        loc.append(out[..., :4])
        cls.append(out[..., 4:])
        maps.append(
            FeatureMap(
                name,
                ch,
                hh,
                ww,
                boxes,
                int(out.shape[1]),
                zoo.count_params(head),
                zoo.analytic_macs(
                    head, (1, ch, hh, ww), label=f"SSD 1×1 head on {name} ({ch}×{hh}×{ww})"
                ),
                zoo.count_params(wide),
            )
        )
    return SsdNumbers(
        maps=tuple(maps),
        loc_shape=(1, *torch.cat(loc, 1).shape[1:]),
        cls_shape=(1, *torch.cat(cls, 1).shape[1:]),
        backbone_params=zoo.count_params(backbone),
        backbone_macs=zoo.analytic_macs(
            backbone,
            (1, 3, size, size),
            label=f"SSD backbone (MobileNetV1 features) at {size}×{size}",
        ),
        extra_params=zoo.count_params(extras),
        extra_macs=sum(
            zoo.analytic_macs(
                layer, (1, layer[0][0].in_channels, m, m), label=f"SSD extra layer {i} on {m}×{m}"
            )
            for i, (layer, m) in enumerate(
                zip(extras, ssd_map_sizes(size)[1:], strict=False), start=1
            )
        ),
    )


def _feature_maps(
    backbone: nn.Module, extras: nn.ModuleList, x: torch.Tensor
) -> list[tuple[str, torch.Tensor]]:
    """The maps SSD predicts from, as empty-batch tensors (0, C, H, W): conv11 (512 channels,
    stride 16), conv13 (1024, stride 32), then each extra layer's output."""
    from torch import nn

    from cvquiz.demos import zoo

    trunk = nn.Sequential(*backbone, *extras)
    names = {i: f"conv{i}" for i in SSD_TAPS}
    names |= {len(backbone) + i: f"extra {i + 1}" for i in range(len(extras))}
    seen: dict[str, torch.Tensor] = {}
    hooks = [
        trunk[i].register_forward_hook(lambda _m, _i, out, name=name: seen.update({name: out}))
        for i, name in names.items()
    ]
    try:
        zoo.empty_pass(trunk, x)  # one pass, nothing computed: hooks see every shape
    finally:
        for hook in hooks:
            hook.remove()
    return [(name, seen[name]) for name in names.values()]


@SSD.present
def present_ssd(r: SsdNumbers, s: Settings) -> Presentation:
    size, k = s.image_size, s.num_classes
    expected_maps = ssd_map_sizes(size)
    total_boxes = sum(m * m * b for m, b in zip(expected_maps, SSD_BOXES, strict=True))
    heads = sum(m.head_params for m in r.maps)
    head_macs = sum(m.head_macs for m in r.maps)
    wides = sum(m.wide_params for m in r.maps)
    detector_macs = r.backbone_macs + r.extra_macs + head_macs
    rows = tuple(
        (
            m.name,
            m.channels,
            f"{m.height}×{m.width}",
            m.boxes_per_cell,
            m.boxes,
            m.head_params,
            m.head_macs,
            m.wide_params,
        )
        for m in r.maps
    )
    return Presentation(
        explanation=(
            "SSD predicts boxes from several feature maps at once: fine maps find small objects, coarse maps large ones.",
            f"MobileNetV1 supplies two of them (stride 16 and 32), four cheap extra layers add coarser ones; at "
            f"{size}×{size} that is {', '.join(f'{m}×{m}' for m in expected_maps)}.",
            "Each map gets a 1×1 conv head (TF's ssd_mobilenet_v1 config) predicting, per default box, 4 offsets "
            f"and a score per class: {heads:,} parameters against the backbone's {r.backbone_params:,}, "
            f"{head_macs / detector_macs:.0%} of the detector's MACs. The ImageNet-pretrained backbone is "
            f"reused; the heads are new. With 3×3 heads they would hold {wides:,} parameters.",
        ),
        tables=(
            Table(
                title=f"MobileNetV1-SSD at {size}×{size}, {k} classes",
                columns=(
                    "feature map",
                    "channels",
                    "size",
                    "boxes/cell",
                    "boxes",
                    "1×1 head",
                    "head MACs",
                    "3×3 instead",
                ),
                rows=rows + (("total", "", "", "", total_boxes, heads, head_macs, wides),),
                note="one conv per map predicting boxes·(4 + classes) values",
            ),
            Table(
                title="Where the parameters and MACs are",
                columns=("part", "params", "MACs"),
                rows=(
                    ("MobileNetV1 backbone (no classifier)", r.backbone_params, r.backbone_macs),
                    ("extra layers", r.extra_params, r.extra_macs),
                    ("1×1 box predictors (heads)", heads, head_macs),
                ),
            ),
        ),
        checks=(
            check(
                "feature-map sizes: ⌈size/16⌉, ⌈size/32⌉, then halved (rounding up)",
                expected=", ".join(str(m) for m in expected_maps),
                measured=", ".join(str(m.height) for m in r.maps),
                source="conv output size formula; measured: the zoo's MobileNetV1 and the extra layers "
                "(a pass on an empty batch)",
            ),
            check(
                "default boxes: Σ H·W·boxes per cell (1917 at 300×300)",
                expected=total_boxes,
                measured=r.loc_shape[1],
                source=f"SSD (Liu et al. 2016); {TF_CONFIG}; measured: rows of the heads' concatenated output",
            ),
            check(
                "SSD heads are small: the 1×1 box predictors hold fewer parameters than the backbone",
                expected=True,
                measured=heads < r.backbone_params,
                source=f"{TF_CONFIG}; measured: {heads:,} vs {r.backbone_params:,} parameters",
            ),
            check(
                "SSD heads are small: the box predictors take under a fifth of the detector's MACs",
                expected=True,
                measured=head_macs < detector_macs / 5,
                source=f"measured: {head_macs:,} of {detector_macs:,} MACs (backbone, extras, heads)",
            ),
        ),
        convention=MACS_CONVENTION,
    )
