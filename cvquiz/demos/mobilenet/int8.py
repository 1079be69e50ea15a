"""MobileNets in int8: ReLU6's bounded activations, and per-channel scales for depthwise weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cvquiz.demos.mobilenet.common import LAYER_COUNT
from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import on_one_thread
from cvquiz.demos.result import MACS_CONVENTION, Presentation, Table, check
from cvquiz.demos.runner import DemoContext

if TYPE_CHECKING:
    import torch

# ReLU6 (Q29)

RELU6 = demo(
    "relu6",
    title="ReLU6: a ReLU clipped at 6, and why a bounded range suits int8",
    summary="ReLU6 = min(max(0, x), 6) on values; uint8 quantization step for [0, 6] vs an unbounded observed max",
    params=(
        Param(
            "outlier",
            float,
            40.0,
            "one large activation (the others lie in ±5.9)",
            min=12.0,
            max=10_000.0,
        ),
        Param("samples", int, 10_000, "activations to quantize", min=100, max=1_000_000),
    ),
)

RELU6_INPUTS = (-3.0, -0.5, 0.0, 2.5, 5.9, 6.0, 7.5, 100.0)
UINT8_LEVELS = 255  # uint8 has 256 levels: 0..255
# MobileNetV2: a ReLU6 after the stem, after each expand and depthwise conv, and after the last 1×1.
V2_ACTIVATIONS = 35
FLOAT32_BYTES = 4


@dataclass(frozen=True)
class Uint8Error:
    """One activation's outputs quantized to uint8 over their observed range [0, top]."""

    name: str
    top: float  # the largest activation: what a min/max observer records
    step: float  # top / 255
    mean_error: float  # over activations inside [0, 6]
    max_error: float


@dataclass(frozen=True)
class Relu6Numbers:
    """ReLU6 on a few values, and uint8 rounding errors with ReLU6 and with a plain ReLU."""

    inputs: tuple[float, ...]  # RELU6_INPUTS as float32
    clipped: tuple[float, ...]  # F.relu6
    by_hand: tuple[float, ...]  # clamp(x, 0, 6)
    identical: bool  # torch.equal of the two
    relu6: Uint8Error
    relu: Uint8Error
    grid_levels: int  # distinct fake-quantized levels over ReLU6's range
    grid_step: float  # their spacing
    v2_activations: int  # activation modules in the zoo's MobileNetV2
    v2_relu6: int  # of them, those that act as min(max(0, x), 6) on probe inputs


@RELU6.measure
def measure_relu6(s: Settings, ctx: DemoContext) -> Relu6Numbers:
    import torch
    from torch.nn import functional as F

    values = torch.tensor(RELU6_INPUTS)
    clipped = F.relu6(values)
    by_hand = torch.clamp(values, min=0.0, max=6.0)  # min(max(0, x), 6)

    # Activations: mostly small, one outlier; an unbounded ReLU must stretch its int8 grid to reach it.
    pre = (torch.randn(s.samples, generator=ctx.rng).to(ctx.device) * 2.0).clamp(-5.9, 5.9)
    pre[0] = s.outlier
    errors = []
    for name, act in (("ReLU6", F.relu6(pre)), ("ReLU", F.relu(pre))):
        # The range a min/max observer would record; zero point 0 since a ReLU output is never negative.
        top = float(act.max())
        scale = top / UINT8_LEVELS
        # Float64, so the measured rounding error is not swamped by float32 round-off (eps32·6 ≈ 7e-7).
        act64 = act.double()
        q = torch.clamp(torch.round(act64 / scale), 0, UINT8_LEVELS)  # uint8 codes
        err = (q * scale - act64).abs()
        inside = act64 <= 6.0
        errors.append(
            Uint8Error(name, top, scale, float(err[inside].mean()), float(err[inside].max()))
        )
    relu6, relu = errors
    # The grid itself, measured: fake-quantize a ramp over the observed range with torch and read the
    # distinct levels it produces (their count, and their spacing from first to last).
    ramp = torch.linspace(0.0, relu6.top, 4 * UINT8_LEVELS + 1, device=ctx.device)
    grid = torch.fake_quantize_per_tensor_affine(ramp, relu6.step, 0, 0, UINT8_LEVELS)
    grid = torch.unique(grid).double()
    # The zoo's MobileNetV2, probed: which of its activations clip at 6?
    from cvquiz.demos import zoo

    probes = torch.tensor((-2.0, 0.5, 3.0, 5.5, 6.5, 40.0))
    acts = [
        m
        for m in zoo.build_meta(zoo.mobilenet_v2).features.modules()
        if not list(m.children()) and not isinstance(m, torch.nn.Conv2d | torch.nn.BatchNorm2d)
    ]
    clips = [torch.equal(a(probes.clone()), probes.clamp(0.0, 6.0)) for a in acts]
    return Relu6Numbers(
        inputs=tuple(float(v) for v in values),
        clipped=tuple(float(v) for v in clipped),
        by_hand=tuple(float(v) for v in by_hand),
        identical=bool(torch.equal(clipped, by_hand)),
        relu6=relu6,
        relu=relu,
        grid_levels=int(grid.numel()),
        grid_step=float(grid[-1] - grid[0]) / (grid.numel() - 1),
        v2_activations=len(acts),
        v2_relu6=sum(clips),
    )


@RELU6.present
def present_relu6(r: Relu6Numbers, s: Settings) -> Presentation:
    six, relu = r.relu6, r.relu
    return Presentation(
        explanation=(
            "ReLU6(x) = min(max(0, x), 6): a ReLU whose output never exceeds 6.",
            "Int8 (uint8) quantization maps a range [0, max] onto 256 levels. With ReLU6 the range is known in "
            "advance, [0, 6], so the step is 6/255 ≈ 0.0235 whatever the data.",
            f"An unbounded ReLU's range is set by its largest observed activation ({relu.top:g} here): the step "
            f"grows {relu.step / r.grid_step:.1f}× and every ordinary value loses precision. "
            "(Originally claimed helpful for quantized deployment; later nets use it less.)",
        ),
        tables=(
            Table(
                title="ReLU6 on a few values",
                columns=("x", "ReLU6(x)", "min(max(0, x), 6)"),
                rows=tuple(zip(r.inputs, r.clipped, r.by_hand, strict=True)),
            ),
            Table(
                title=f"uint8 quantization of {s.samples:,} activations (one outlier at {s.outlier:g})",
                columns=("activation", "range", "step", "mean error", "max error"),
                rows=tuple(
                    (e.name, f"[0, {e.top:g}]", e.step, e.mean_error, e.max_error)
                    for e in (six, relu)
                ),
                note="errors measured on activations inside [0, 6]; code = round(x / step), zero point 0",
            ),
        ),
        checks=(
            check(
                "MobileNetV2's activations all clip at 6: stem, expand and depthwise layers, last 1×1",
                expected=f"{V2_ACTIVATIONS} of {V2_ACTIVATIONS}",
                measured=f"{r.v2_relu6} of {r.v2_activations}",
                source="Sandler et al. 2018, sec. 3.2 and Table 2 (17 bottlenecks, the first with t = 1: "
                "1 + 1 + 2·16 + 1 = 35); measured: each activation module of the zoo's MobileNetV2 on "
                "probes -2, 0.5, 3, 5.5, 6.5, 40 against min(max(0, x), 6)",
            ),
        ),
    )


# Quantization (Q35)

QUANT = demo(
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


@dataclass(frozen=True)
class Scheme:
    """Symmetric int8 weights with one scale, or one per channel."""

    name: str
    scales: int
    weight_sqnr: float  # dB
    output_sqnr: float  # dB, of the depthwise conv's output
    min_levels: int  # distinct codes in the channel with the smallest range
    dead: int  # channels whose codes are all 0


@dataclass(frozen=True)
class QuantNumbers:
    """Both schemes on the same filters, the tensors' real sizes, and the per-channel codes' range."""

    per_tensor: Scheme
    per_channel: Scheme
    weights: int  # C·3·3
    macs: int  # of the float depthwise conv, by the zoo's per-layer count
    float_bytes: int  # element_size() × numel() of the float32 weights
    int8_bytes: int  # and of the int8 codes
    lowest: int  # per-channel codes
    highest: int
    full_channels: int  # channels whose codes reach ±127
    max_err_steps: float  # largest per-channel rounding error, in steps
    int_macs: int  # MACs of the integer conv (int8 codes × int8 codes, summed exactly)
    int_gap: float  # max |integer path rescaled − float conv of the dequantized tensors|, relative

    @property
    def memory(self) -> dict[str, int]:
        """Bytes for the weights: float32, or int8 codes plus one float32 per scale."""
        return {
            "float32": self.float_bytes,
            "per-tensor": self.int8_bytes + FLOAT32_BYTES * self.per_tensor.scales,
            "per-channel": self.int8_bytes + FLOAT32_BYTES * self.per_channel.scales,
        }


def sqnr_db(signal: torch.Tensor, approx: torch.Tensor) -> float:
    """Signal-to-quantization-noise ratio in dB: 10·log10(Σ signal² / Σ (signal − approx)²)."""
    import torch

    noise = (signal - approx).pow(2).sum().clamp_min(1e-30)
    return float(10 * torch.log10(signal.pow(2).sum() / noise))


def _quantize(w: torch.Tensor, scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8: codes round(w / s) clipped to ±127, and the weights they stand for."""
    import torch

    codes = torch.clamp(torch.round(w / scale), -127, 127).to(torch.int8)
    return codes, codes.double() * scale


@QUANT.measure
@on_one_thread  # small convs: on a busy 2-core machine a second thread made runs up to 10x slower
def measure_quant(s: Settings, ctx: DemoContext) -> QuantNumbers:
    import torch
    from torch import nn
    from torch.nn import functional as F

    from cvquiz.demos import zoo

    c = s.channels
    # Trained depthwise filters (after BN folding) differ in range from channel to channel; spread sets
    # how much: channel i's largest |weight| is exactly spread^(-i/(C-1)), from 1 down to 1/spread.
    ranges = s.spread ** -torch.linspace(0, 1, c, dtype=torch.float64)
    raw = torch.randn(c, 1, 3, 3, generator=ctx.rng, dtype=torch.float64)  # (C, 1, 3, 3)
    weight = (raw / raw.abs().amax(dim=(1, 2, 3), keepdim=True) * ranges.view(c, 1, 1, 1)).float()
    x = torch.randn(1, c, s.size, s.size, generator=ctx.rng)  # (1, C, H, W)
    weight, x = weight.to(ctx.device), x.to(ctx.device)
    # Quantize in float64, so a measured error is the rounding's, not float32 round-off's.
    w64 = weight.double()
    reference = F.conv2d(x, weight, padding=1, groups=c)  # float32: output noise ≫ its round-off
    scales = {
        "per-tensor": w64.abs().max() / 127,
        "per-channel": w64.abs().amax(dim=(1, 2, 3), keepdim=True) / 127,  # (C, 1, 1, 1)
    }
    schemes, quantized = {}, {}
    for name, scale in scales.items():
        codes, deq = quantized[name] = _quantize(w64, scale)
        out = F.conv2d(x, deq.float(), padding=1, groups=c)
        schemes[name] = Scheme(
            name,
            int(scale.numel()),
            sqnr_db(w64, deq),
            sqnr_db(reference, out),
            int(torch.unique(codes[-1]).numel()),  # the channel with the smallest range
            int((codes.abs().amax(dim=(1, 2, 3)) == 0).sum()),
        )
    scale, (codes, deq) = scales["per-channel"], quantized["per-channel"]
    dw = zoo.build_meta(
        nn.Conv2d, in_channels=c, out_channels=c, kernel_size=3, padding=1, groups=c, bias=False
    )
    # The integer path: int8 activations too (one symmetric scale), int8 × int8 products summed
    # exactly (integers in float64, as an int32 accumulator would), then one rescale per channel.
    x_scale = x.double().abs().max() / 127
    x_codes = torch.clamp(torch.round(x.double() / x_scale), -127, 127)
    int_conv = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False).double().to(ctx.device)
    with torch.no_grad():
        int_conv.weight.copy_(codes.double())
        acc = int_conv(x_codes)  # (1, C, H, W): exact integer sums
    int_out = acc * scale.view(1, c, 1, 1) * x_scale
    float_out = F.conv2d(x_codes * x_scale, deq, padding=1, groups=c)
    int_gap = float((int_out - float_out).abs().max() / float_out.abs().max())
    return QuantNumbers(
        per_tensor=schemes["per-tensor"],
        per_channel=schemes["per-channel"],
        weights=weight.numel(),
        macs=zoo.formula_macs(
            dw,
            torch.empty(1, c, s.size, s.size, device="meta"),
            label=f"float depthwise 3×3 conv, {c} channels at {s.size}×{s.size}",
        ),
        float_bytes=weight.element_size() * weight.numel(),
        int8_bytes=codes.element_size() * codes.numel(),
        lowest=int(codes.min()),
        highest=int(codes.max()),
        full_channels=int((codes.abs().amax(dim=(1, 2, 3)) == 127).sum()),
        max_err_steps=float(((deq - w64).abs() / scale).max()),
        int_macs=zoo.formula_macs(
            int_conv,
            x_codes,
            label=f"int8-code depthwise 3×3 conv, {c} channels at {s.size}×{s.size}",
        ),
        int_gap=int_gap,
    )


@QUANT.present
def present_quant(r: QuantNumbers, s: Settings) -> Presentation:
    c = s.channels
    tensor, channel = r.per_tensor, r.per_channel
    return Presentation(
        explanation=(
            "INT8 stores each weight as an 8-bit code times a float scale: a quarter of float32's memory. The "
            "MAC count stays the same; each MAC becomes an int8 multiply and int32 add, which mobile hardware "
            "runs faster (quantization does not remove MACs).",
            "Depthwise convs are the delicate part: each channel has its own filter, and their ranges differ. "
            "One scale for the whole tensor leaves small channels with a handful of levels (or none).",
            "Per-channel scales fix most of it. Either way, measure accuracy after post-training quantization "
            "(PTQ), and use quantization-aware training (QAT) when it drops.",
        ),
        tables=(
            Table(
                title=f"Depthwise 3×3, {c} channels, ranges spread {s.spread:g}×, input {s.size}×{s.size}",
                columns=(
                    "scales",
                    "count",
                    "weight SQNR dB",
                    "output SQNR dB",
                    "min levels",
                    "dead ch.",
                ),
                rows=tuple(
                    (q.name, q.scales, q.weight_sqnr, q.output_sqnr, q.min_levels, q.dead)
                    for q in (tensor, channel)
                ),
                note="SQNR: signal-to-quantization-noise ratio, higher is better; min levels: distinct codes in the "
                "smallest channel; dead ch.: channels whose codes are all 0",
            ),
            Table(
                title="Memory for the weights",
                columns=("format", "bytes"),
                rows=(
                    ("float32", r.memory["float32"]),
                    ("int8 + 1 float32 scale", r.memory["per-tensor"]),
                    (f"int8 + {c} float32 scales", r.memory["per-channel"]),
                ),
                note=f"MACs are unchanged by quantization ({r.macs:,} here); each becomes an int8 multiply, int32 accumulate",
            ),
        ),
        checks=(
            check(
                "INT8 keeps the MAC count: the integer conv does as many multiply-accumulates as the float conv",
                expected=r.macs,
                measured=r.int_macs,
                source=f"{LAYER_COUNT}: the float conv (expected) and the int8-code conv (measured); "
                "each MAC becomes an int8 multiply with an int32 accumulate: cheaper, not fewer",
            ),
            check(
                "INT8 cuts weight memory to a quarter of float32's",
                expected=r.float_bytes // 4,
                measured=r.int8_bytes,
                source="measured: element_size() × numel() of the float32 weights and of the int8 codes",
            ),
            check(
                "int8 × int8 summed in integers, rescaled once per channel, equals the float conv of the "
                "dequantized tensors",
                expected=0.0,
                measured=r.int_gap,
                source="measured in float64 (integer sums are exact there): max |difference| / max |output|",
                abs_tol=1e-12,
            ),
            check(
                "per-channel scales keep more of the depthwise conv's output than one per-tensor scale",
                expected=True,
                measured=channel.output_sqnr > tensor.output_sqnr,
                source=f"output SQNR {channel.output_sqnr:.1f} dB vs {tensor.output_sqnr:.1f} dB",
            ),
        ),
        convention=MACS_CONVENTION,
    )
