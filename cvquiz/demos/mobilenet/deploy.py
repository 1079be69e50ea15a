"""Deploying MobileNets: an SSD detection head, INT8 quantization, BN folding and latency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cvquiz.demos.registry import DemoContext, Param, demo
from cvquiz.demos.result import (
    COUNTER_SOURCE,
    MACS_CONVENTION,
    DemoResult,
    Table,
    check,
    format_shape,
)

if TYPE_CHECKING:
    import torch
    from torch import nn


def _times(ratio: float, more: str, less: str) -> str:
    """'8.4× fewer' for a ratio above 1, '1.1× more' (its inverse) below: never '0.9× fewer'."""
    return f"{ratio:.1f}× {more}" if ratio >= 1 else f"{1 / ratio:.1f}× {less}"


# MobileNet + SSD (Q30, Q38)

# SSD MobileNetV1 (TF object detection API): taps at conv11 (stride 16) and conv13 (stride 32),
# then four extra 1x1 -> 3x3 stride-2 pairs; 3 default boxes on the first map, 6 on the others.
SSD_EXTRAS = ((256, 512), (128, 256), (128, 256), (64, 128))

SSD_BOXES = (3, 6, 6, 6, 6, 6)


@demo(
    "ssd-feature-maps",
    title="MobileNet as an SSD backbone: feature maps, default boxes, head cost",
    summary="MobileNetV1-SSD at 300×300: 19×19 and 10×10 taps plus extra layers, 1917 default boxes, head params",
    params=(
        Param("image_size", int, 300, "input height and width", min=64, max=1024),
        Param("num_classes", int, 91, "classes including background (COCO: 91)", min=2, max=1000),
    ),
)
def ssd_feature_maps(ctx: DemoContext, *, image_size: int, num_classes: int) -> DemoResult:
    import math

    import torch
    from torch import nn

    from cvquiz.demos import zoo

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
        x = torch.empty(1, 3, image_size, image_size)
    # Inference: BN uses running statistics, even on a 1x1 map.
    backbone.eval()
    extras.eval()
    maps = []
    h = x
    for i, layer in enumerate(backbone):
        h = layer(h)
        if i in (11, 13):  # conv11 (512 channels, stride 16) and conv13 (1024, stride 32)
            maps.append((f"conv{i}", h))
    for i, layer in enumerate(extras):
        h = layer(h)
        maps.append((f"extra {i + 1}", h))
    with torch.device("meta"):
        heads = nn.ModuleList()
        lite_heads = nn.ModuleList()
        for (_, fmap), boxes in zip(maps, SSD_BOXES, strict=True):
            ch = fmap.shape[1]
            heads.append(
                nn.Conv2d(ch, boxes * (4 + num_classes), 3, padding=1)
            )  # loc + cls in one conv
            lite_heads.append(
                nn.Sequential(
                    nn.Conv2d(ch, ch, 3, padding=1, groups=ch),
                    nn.Conv2d(ch, boxes * (4 + num_classes), 1),
                )
            )
    rows, loc, cls = [], [], []
    for (name, fmap), boxes, head, lite in zip(maps, SSD_BOXES, heads, lite_heads, strict=True):
        out = head(fmap)  # (1, B·(4+K), H, W)
        out = out.permute(0, 2, 3, 1).reshape(1, -1, 4 + num_classes)  # (1, H·W·B, 4+K)
        loc.append(out[..., :4])
        cls.append(out[..., 4:])
        _, ch, hh, ww = fmap.shape
        rows.append(
            (
                name,
                ch,
                f"{hh}×{ww}",
                boxes,
                hh * ww * boxes,
                zoo.count_params(head),
                zoo.count_params(lite),
            )
        )
    loc_all, cls_all = torch.cat(loc, 1), torch.cat(cls, 1)
    # Expected map sizes: each stride-2 3x3 conv with padding 1 rounds up.
    expected_maps = [math.ceil(image_size / 16), math.ceil(image_size / 32)]
    for _ in SSD_EXTRAS:
        expected_maps.append(math.ceil(expected_maps[-1] / 2))
    total_boxes = sum(s * s * b for s, b in zip(expected_maps, SSD_BOXES, strict=True))
    head_params = sum(r[5] for r in rows)
    lite_params = sum(r[6] for r in rows)
    backbone_params, extra_params = zoo.count_params(backbone), zoo.count_params(extras)
    head_formula = sum(
        9 * r[1] * b * (4 + num_classes) + b * (4 + num_classes)
        for r, b in zip(rows, SSD_BOXES, strict=True)
    )
    return DemoResult(
        demo_id="ssd-feature-maps",
        title="MobileNet as an SSD backbone: feature maps, default boxes, head cost",
        explanation=(
            "SSD predicts boxes from several feature maps at once: fine maps find small objects, coarse maps large ones.",
            f"MobileNetV1 supplies two of them (stride 16 and 32), four cheap extra layers add coarser ones; at "
            f"{image_size}×{image_size} that is {', '.join(f'{s}×{s}' for s in expected_maps)}.",
            "Each map gets a small conv head predicting, per default box, 4 offsets and a score per class. "
            "The ImageNet-pretrained backbone is reused; only the small heads are new.",
        ),
        tables=(
            Table(
                title=f"MobileNetV1-SSD at {image_size}×{image_size}, {num_classes} classes",
                columns=(
                    "feature map",
                    "channels",
                    "size",
                    "boxes/cell",
                    "boxes",
                    "3×3 head",
                    "SSDLite head",
                ),
                rows=tuple(rows) + (("total", "", "", "", total_boxes, head_params, lite_params),),
                note="head params: one conv per map predicting boxes·(4 + classes); SSDLite uses depthwise + 1×1",
            ),
            Table(
                title="Where the parameters are",
                columns=("part", "params"),
                rows=(
                    ("MobileNetV1 backbone (no classifier)", backbone_params),
                    ("extra layers", extra_params),
                    ("3×3 conv heads", head_params),
                    ("SSDLite heads (instead)", lite_params),
                ),
            ),
        ),
        checks=(
            check(
                "feature-map sizes: ⌈size/16⌉, ⌈size/32⌉, then halved (rounding up)",
                expected=", ".join(str(s) for s in expected_maps),
                measured=", ".join(str(int(f.shape[2])) for _, f in maps),
                source="conv output size formula",
            ),
            check(
                "default boxes: Σ H·W·boxes per cell",
                expected=total_boxes,
                measured=int(loc_all.shape[1]),
                source="SSD (Liu et al. 2016); 1917 at 300×300 in TF's ssd_mobilenet_v1",
            ),
            check(
                "head outputs: (1, boxes, 4) offsets and (1, boxes, classes) scores",
                expected=f"1×{total_boxes}×4, 1×{total_boxes}×{num_classes}",
                measured=f"{format_shape(tuple(loc_all.shape))}, {format_shape(tuple(cls_all.shape))}",
                source="head forward pass",
            ),
            check(
                "3×3 head params: Σ 9·C·B·(4+K) + B·(4+K)",
                expected=head_formula,
                measured=head_params,
                source="formula; sum(p.numel())",
            ),
        ),
    )


# Quantization (Q35)


@demo(
    "quantization",
    title="INT8 weights for a depthwise conv: 4× smaller, and why per-channel scales matter",
    summary="int8 weights take 1/4 of float32; per-tensor vs per-channel scales on a depthwise conv with uneven channels",
    params=(
        Param("channels", int, 64, "depthwise channels", min=2, max=2048),
        # From 10: closer ranges make which scheme wins on a few random filters a matter of chance.
        Param(
            "spread",
            float,
            100.0,
            "largest / smallest channel weight range",
            min=10.0,
            max=10_000.0,
        ),
        Param("size", int, 28, "input height and width", min=3, max=224),
    ),
)
def quantization(ctx: DemoContext, *, channels: int, spread: float, size: int) -> DemoResult:
    import torch
    from torch import nn
    from torch.nn import functional as F

    from cvquiz.demos import zoo

    c = channels
    g = torch.Generator().manual_seed(ctx.seed)
    # Trained depthwise filters (after BN folding) differ in range from channel to channel; spread sets
    # how much: channel i's largest |weight| is exactly spread^(-i/(C-1)), from 1 down to 1/spread.
    ranges = spread ** -torch.linspace(0, 1, c, dtype=torch.float64)
    raw = torch.randn(c, 1, 3, 3, generator=g, dtype=torch.float64)
    weight = (raw / raw.abs().amax(dim=(1, 2, 3), keepdim=True) * ranges.view(c, 1, 1, 1)).float()
    x = torch.randn(1, c, size, size, generator=g)
    dev = ctx.device
    weight, x = weight.to(dev), x.to(dev)
    # Quantize in float64, so a measured error is the rounding's, not float32 round-off's.
    w64 = weight.double()

    def quantize(scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        codes = torch.clamp(torch.round(w64 / scale), -127, 127).to(torch.int8)  # symmetric int8
        return codes, codes.double() * scale

    per_tensor_scale = w64.abs().max() / 127
    per_channel_scale = w64.abs().amax(dim=(1, 2, 3), keepdim=True) / 127  # (C, 1, 1, 1)
    reference = F.conv2d(x, weight, padding=1, groups=c)  # float32: output noise ≫ its round-off

    def sqnr(signal: torch.Tensor, approx: torch.Tensor) -> float:
        noise = (signal - approx).pow(2).sum().clamp_min(1e-30)
        return float(10 * torch.log10(signal.pow(2).sum() / noise))

    rows, codes_by = [], {}
    for name, scale in (("per-tensor", per_tensor_scale), ("per-channel", per_channel_scale)):
        codes, deq = quantize(scale)
        codes_by[name] = (codes, deq, scale)
        smallest_levels = int(
            torch.unique(codes[-1]).numel()
        )  # the channel with the smallest range
        dead = int((codes.abs().amax(dim=(1, 2, 3)) == 0).sum())
        out = F.conv2d(x, deq.float(), padding=1, groups=c)
        rows.append(
            (name, int(scale.numel()), sqnr(w64, deq), sqnr(reference, out), smallest_levels, dead)
        )
    params = weight.numel()
    with torch.device("meta"):
        dw = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
    macs = zoo.forward_macs(dw, torch.empty(1, c, size, size, device="meta"))
    (_, _, w_tensor, o_tensor, _, _), (_, _, w_channel, o_channel, _, _) = rows
    codes, deq, scale = codes_by["per-channel"]
    max_err_ratio = float(((deq - w64).abs() / scale).max())
    # Real storage: bytes of the float32 weight tensor and of the int8 code tensor.
    float_bytes = weight.element_size() * weight.numel()
    int8_bytes = codes.element_size() * codes.numel()
    lowest, highest = int(codes.min()), int(codes.max())
    full_channels = int((codes.abs().amax(dim=(1, 2, 3)) == 127).sum())
    return DemoResult(
        demo_id="quantization",
        title="INT8 weights for a depthwise conv: 4× smaller, and why per-channel scales matter",
        explanation=(
            "INT8 stores each weight as an 8-bit code times a float scale: a quarter of float32's memory, and "
            "integer MACs that mobile hardware runs faster.",
            "Depthwise convs are the delicate part: each channel has its own filter, and their ranges differ. "
            "One scale for the whole tensor leaves small channels with a handful of levels (or none).",
            "Per-channel scales fix most of it. Either way, measure accuracy after post-training quantization "
            "(PTQ), and use quantization-aware training (QAT) when it drops.",
        ),
        tables=(
            Table(
                title=f"Depthwise 3×3, {c} channels, ranges spread {spread:g}×, input {size}×{size}",
                columns=(
                    "scales",
                    "count",
                    "weight SQNR dB",
                    "output SQNR dB",
                    "min levels",
                    "dead ch.",
                ),
                rows=tuple(rows),
                note="SQNR: signal-to-quantization-noise ratio, higher is better; min levels: distinct codes in the "
                "smallest channel; dead ch.: channels whose codes are all 0",
            ),
            Table(
                title="Memory for the weights",
                columns=("format", "bytes"),
                rows=(
                    ("float32", 4 * params),
                    ("int8 + 1 float32 scale", params + 4),
                    (f"int8 + {c} float32 scales", params + 4 * c),
                ),
                note=f"MACs are unchanged by quantization ({macs:,} here); each becomes an int8 multiply, int32 accumulate",
            ),
        ),
        checks=(
            check(
                "float32 weights take 4 bytes each, int8 one",
                expected=f"{4 * params:,}, {params:,}",
                measured=f"{float_bytes:,}, {int8_bytes:,}",
                source="formula 4·n and n; measured: element_size() × numel() of the float32 and int8 tensors",
            ),
            check(
                "codes stay inside [-127, 127], and every channel uses ±127 (its own max |w| / 127 scale)",
                expected=f"≥ -127, ≤ 127, {c} of {c} channels reach 127",
                measured=f"{'≥ -127' if lowest >= -127 else lowest}, {'≤ 127' if highest <= 127 else highest}, "
                f"{full_channels} of {c} channels reach 127",
                source="symmetric scaling: round(w / s), s = max|w| / 127 per channel",
            ),
            check(
                f"per-channel rounding error ≤ half a step in every channel (max {max_err_ratio:.6f} steps)",
                expected=True,
                measured=max_err_ratio <= 0.5 + 1e-9,
                source="uniform quantization bound |w − q·s| ≤ s/2, computed in float64 (+1e-9 round-off)",
            ),
            check(
                "per-channel scales keep more of the weights than one per-tensor scale",
                expected=True,
                measured=w_channel > w_tensor,
                source=f"weight SQNR {w_channel:.1f} dB vs {w_tensor:.1f} dB",
            ),
            check(
                "... and of the depthwise conv's output",
                expected=True,
                measured=o_channel > o_tensor,
                source=f"output SQNR {o_channel:.1f} dB vs {o_tensor:.1f} dB",
            ),
        ),
        convention=MACS_CONVENTION,
    )


# Deployment: fold BN, and FLOPs are not latency (Q40)


@demo(
    "deployment",
    title="Deployment: fuse BN into the convs, then measure latency, not just MACs",
    summary="conv+BN folded into one conv (same output, fewer ops); dw+pw vs standard conv: MAC ratio vs measured time",
    params=(
        Param("in_channels", int, 64, "input channels M", min=1, max=512),
        Param("out_channels", int, 128, "output channels N", min=1, max=512),
        Param("size", int, 28, "height and width", min=4, max=112),
        Param("repeats", int, 3, "timed runs (median reported)", min=1, max=50),
    ),
)
def deployment(
    ctx: DemoContext, *, in_channels: int, out_channels: int, size: int, repeats: int
) -> DemoResult:
    import copy
    import statistics
    import time

    import torch
    from torch import nn

    from cvquiz.demos import zoo

    m, n = in_channels, out_channels
    dev = ctx.device
    block = nn.Sequential(
        zoo.conv_bn_act(m, m, groups=m, activation=None),  # dw
        zoo.conv_bn_act(m, n, kernel_size=1, activation=None),  # pw
    ).to(dev)
    with torch.no_grad():
        for bn in (
            block[0][1],
            block[1][1],
        ):  # trained-looking statistics, so folding has work to do
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
    block.eval()

    def fold(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
        """w' = w·γ/√(var+ε), b' = β − γ·mean/√(var+ε) (BN in eval mode is an affine map per channel)."""
        fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                          padding=conv.padding, groups=conv.groups, bias=True).to(dev)  # fmt: skip
        factor = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        fused.weight.copy_(conv.weight * factor.view(-1, 1, 1, 1))
        fused.bias.copy_(bn.bias - bn.running_mean * factor)
        return fused

    with torch.no_grad():
        fused = nn.Sequential(fold(block[0][0], block[0][1]), fold(block[1][0], block[1][1])).eval()
        x = torch.randn(1, m, size, size, device=dev)
        diff = float((fused(x) - block(x)).abs().max())
        standard = nn.Conv2d(m, n, 3, padding=1, bias=False).to(dev).eval()

        def median_ms(module: nn.Module) -> float:
            module(x)  # warm-up
            times = []
            for _ in range(repeats):
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                module(x)
                if dev.type == "cuda":
                    torch.cuda.synchronize()
                times.append((time.perf_counter() - start) * 1000)
            return statistics.median(times)

        t_standard, t_separable = median_ms(standard), median_ms(fused)

    def count(module: nn.Module) -> int:
        """Count on a meta copy: no second real forward pass on a busy machine."""
        return zoo.forward_macs(
            copy.deepcopy(module).to("meta"), torch.empty(x.shape, device="meta")
        )

    macs_standard, macs_separable, macs_block = count(standard), count(fused), count(block)
    mac_ratio, time_ratio = macs_standard / macs_separable, t_standard / max(t_separable, 1e-9)
    bn_count = sum(isinstance(mod, nn.BatchNorm2d) for mod in fused.modules())
    return DemoResult(
        demo_id="deployment",
        title="Deployment: fuse BN into the convs, then measure latency, not just MACs",
        explanation=(
            "Runtimes (Core ML, NNAPI, TensorRT, ...) fold each BatchNorm into the conv before it and fuse "
            "conv + activation into one kernel, so a dw+pw block runs as two fused kernels.",
            "MACs are a proxy. A depthwise conv does few MACs per byte it reads, so it tends to be "
            f"memory-bound: here the separable block has {_times(mac_ratio, 'fewer', 'more')} MACs and ran "
            f"{_times(time_ratio, 'faster', 'slower')} than the standard conv"
            + (
                ": its time did worse than its MAC count predicts."
                if time_ratio < mac_ratio
                else ": this time at least as well as its MAC count predicts (it varies by device and size)."
            )
            + " Profile latency on the target device.",
        ),
        tables=(
            Table(
                title=f"Folding BN into a dw+pw block ({m}→{n}, {size}×{size})",
                columns=("form", "layers", "params", "MACs"),
                rows=(
                    ("conv → BN → conv → BN", 4, zoo.count_params(block), macs_block),
                    ("folded conv → conv", 2, zoo.count_params(fused), macs_separable),
                ),
                note=f"largest output difference after folding: {diff:.1e} (BN's 4N running statistics are buffers, not params)",
            ),
            Table(
                title=f"MACs vs measured time on {dev} (median of {repeats})",
                columns=("block", "MACs", "MACs ÷ separable", "time ms", "time ÷ separable"),
                rows=(
                    (
                        f"standard 3×3 conv {m}→{n}",
                        macs_standard,
                        round(mac_ratio, 2),
                        round(t_standard, 3),
                        round(time_ratio, 2),
                    ),
                    ("folded dw 3×3 + pw 1×1", macs_separable, 1.0, round(t_separable, 3), 1.0),
                ),
                note="times are measurements on this machine and vary run to run; no check depends on them",
            ),
        ),
        checks=(
            check(
                "folded block gives the same output",
                expected=0.0,
                measured=diff,
                source="w·γ/√(var+ε), β − γ·mean/√(var+ε)",
                abs_tol=1e-4,
            ),
            check(
                "no BatchNorm left after folding",
                expected=0,
                measured=bn_count,
                source="module count",
            ),
            check(
                "params: BN's 2 per channel (γ, β) become 1 bias per channel",
                expected=zoo.count_params(block) - m - n,
                measured=zoo.count_params(fused),
                source="formula: −M − N",
            ),
            check(
                "MACs unchanged by folding (BN is not a MAC)",
                expected=macs_block,
                measured=macs_separable,
                source=f"{COUNTER_SOURCE} on the block before folding (expected) and after (measured)",
            ),
            check(
                "folded block MACs: 9·M·H·W + M·N·H·W",
                expected=9 * m * size * size + m * n * size * size,
                measured=macs_separable,
                source=f"formula; {COUNTER_SOURCE}",
            ),
        ),
        convention=MACS_CONVENTION,
    )
