"""MobileNet as a detection backbone: SSD's feature maps, default boxes and heads."""

from __future__ import annotations

import math
from dataclasses import dataclass

from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import Presentation, Table, check, format_shape
from cvquiz.demos.runner import DemoContext

# MobileNet + SSD (Q30, Q38)

# SSD MobileNetV1 (TF object detection API): taps at conv11 (stride 16) and conv13 (stride 32),
# then four extra 1x1 -> 3x3 stride-2 pairs; 3 default boxes on the first map, 6 on the others.
SSD_TAPS = (11, 13)

SSD_EXTRAS = ((256, 512), (128, 256), (128, 256), (64, 128))

SSD_BOXES = (3, 6, 6, 6, 6, 6)

SSD = demo(
    "ssd-feature-maps",
    title="MobileNet as an SSD backbone: feature maps, default boxes, head cost",
    summary="MobileNetV1-SSD at 300×300: 19×19 and 10×10 taps plus extra layers, 1917 default boxes, head params",
    params=(
        Param("image_size", int, 300, "input height and width", min=64, max=1024),
        Param("num_classes", int, 91, "classes including background (COCO: 91)", min=2, max=1000),
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
    head_params: int  # one 3×3 conv
    lite_params: int  # SSDLite: depthwise 3×3 + 1×1


@dataclass(frozen=True)
class SsdNumbers:
    """The feature maps on meta, the heads' concatenated outputs, and where the params are."""

    maps: tuple[FeatureMap, ...]
    loc_shape: tuple[int, int, int]  # (1, boxes, 4)
    cls_shape: tuple[int, int, int]  # (1, boxes, classes)
    backbone_params: int
    extra_params: int


def ssd_map_sizes(image_size: int) -> list[int]:
    """⌈size/16⌉, ⌈size/32⌉, then halved by each extra layer (a stride-2 3×3 conv rounds up)."""
    sizes = [math.ceil(image_size / 16), math.ceil(image_size / 32)]
    for _ in SSD_EXTRAS:
        sizes.append(math.ceil(sizes[-1] / 2))
    return sizes


def head_params(channels: int, boxes: int, classes: int) -> int:
    """A 3×3 conv predicting boxes·(4 + classes) values: 9·C·B·(4+K) weights + B·(4+K) biases."""
    return 9 * channels * boxes * (4 + classes) + boxes * (4 + classes)


@SSD.measure
def measure_ssd(s: Settings, ctx: DemoContext) -> SsdNumbers:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    k = s.num_classes
    with torch.device("meta"):
        backbone = zoo.mobilenet_v1().features
        extras = nn.ModuleList()
        in_ch = 1024
        for mid, out in SSD_EXTRAS:
            extras.append(
                nn.Sequential(
                    zoo.conv_bn_act(in_ch, mid, kernel_size=1), zoo.conv_bn_act(mid, out, stride=2)
                )
            )
            in_ch = out
        x = torch.empty(1, 3, s.image_size, s.image_size)  # (1, 3, H, W)
    # Inference: BN uses running statistics, even on a 1x1 map.
    backbone.eval()
    extras.eval()
    taps = []
    h = x
    for i, layer in enumerate(backbone):
        h = layer(h)
        if i in SSD_TAPS:  # conv11 (512 channels, stride 16) and conv13 (1024, stride 32)
            taps.append((f"conv{i}", h))
    for i, layer in enumerate(extras):
        h = layer(h)  # (1, C, ⌈H/2⌉, ⌈W/2⌉)
        taps.append((f"extra {i + 1}", h))
    maps, loc, cls = [], [], []
    for (name, fmap), boxes in zip(taps, SSD_BOXES, strict=True):
        _, ch, hh, ww = fmap.shape
        with torch.device("meta"):
            head = nn.Conv2d(ch, boxes * (4 + k), 3, padding=1)  # loc + cls in one conv
            lite = nn.Sequential(
                nn.Conv2d(ch, ch, 3, padding=1, groups=ch), nn.Conv2d(ch, boxes * (4 + k), 1)
            )
        out = head(fmap)  # (1, B·(4+K), H, W)
        out = out.permute(0, 2, 3, 1).reshape(1, -1, 4 + k)  # (1, H·W·B, 4+K)
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
                zoo.count_params(lite),
            )
        )
    return SsdNumbers(
        maps=tuple(maps),
        loc_shape=tuple(torch.cat(loc, 1).shape),
        cls_shape=tuple(torch.cat(cls, 1).shape),
        backbone_params=zoo.count_params(backbone),
        extra_params=zoo.count_params(extras),
    )


@SSD.present
def present_ssd(r: SsdNumbers, s: Settings) -> Presentation:
    size, k = s.image_size, s.num_classes
    expected_maps = ssd_map_sizes(size)
    total_boxes = sum(m * m * b for m, b in zip(expected_maps, SSD_BOXES, strict=True))
    heads = sum(m.head_params for m in r.maps)
    lites = sum(m.lite_params for m in r.maps)
    rows = tuple(
        (
            m.name,
            m.channels,
            f"{m.height}×{m.width}",
            m.boxes_per_cell,
            m.boxes,
            m.head_params,
            m.lite_params,
        )
        for m in r.maps
    )
    return Presentation(
        explanation=(
            "SSD predicts boxes from several feature maps at once: fine maps find small objects, coarse maps large ones.",
            f"MobileNetV1 supplies two of them (stride 16 and 32), four cheap extra layers add coarser ones; at "
            f"{size}×{size} that is {', '.join(f'{m}×{m}' for m in expected_maps)}.",
            "Each map gets a small conv head predicting, per default box, 4 offsets and a score per class. "
            "The ImageNet-pretrained backbone is reused; only the small heads are new.",
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
                    "3×3 head",
                    "SSDLite head",
                ),
                rows=rows + (("total", "", "", "", total_boxes, heads, lites),),
                note="head params: one conv per map predicting boxes·(4 + classes); SSDLite uses depthwise + 1×1",
            ),
            Table(
                title="Where the parameters are",
                columns=("part", "params"),
                rows=(
                    ("MobileNetV1 backbone (no classifier)", r.backbone_params),
                    ("extra layers", r.extra_params),
                    ("3×3 conv heads", heads),
                    ("SSDLite heads (instead)", lites),
                ),
            ),
        ),
        checks=(
            check(
                "feature-map sizes: ⌈size/16⌉, ⌈size/32⌉, then halved (rounding up)",
                expected=", ".join(str(m) for m in expected_maps),
                measured=", ".join(str(m.height) for m in r.maps),
                source="conv output size formula",
            ),
            check(
                "default boxes: Σ H·W·boxes per cell",
                expected=total_boxes,
                measured=r.loc_shape[1],
                source="SSD (Liu et al. 2016); 1917 at 300×300 in TF's ssd_mobilenet_v1",
            ),
            check(
                "head outputs: (1, boxes, 4) offsets and (1, boxes, classes) scores",
                expected=f"1×{total_boxes}×4, 1×{total_boxes}×{k}",
                measured=f"{format_shape(r.loc_shape)}, {format_shape(r.cls_shape)}",
                source="head forward pass",
            ),
            check(
                "3×3 head params: Σ 9·C·B·(4+K) + B·(4+K)",
                expected=sum(head_params(m.channels, m.boxes_per_cell, k) for m in r.maps),
                measured=heads,
                source="formula; sum(p.numel())",
            ),
        ),
    )
