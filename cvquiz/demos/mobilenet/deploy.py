"""Deploying MobileNets: BN folded into the convs, and latency measured rather than read off MACs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cvquiz.demos.mobilenet.common import LAYER_COUNT
from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import MACS_CONVENTION, Presentation, Table, check
from cvquiz.demos.runner import DemoContext

if TYPE_CHECKING:
    import torch
    from torch import nn


def _times(ratio: float, more: str, less: str) -> str:
    """'8.4× fewer' for a ratio above 1, '1.1× more' (its inverse) below: never '0.9× fewer'."""
    return f"{ratio:.1f}× {more}" if ratio >= 1 else f"{1 / ratio:.1f}× {less}"


# Deployment: fold BN, and FLOPs are not latency (Q40)

DEPLOY = demo(
    "deployment",
    title="Deployment: fuse BN into the convs, then measure latency, not just MACs",
    summary="conv+BN folded into one conv (same output, fewer ops); dw+pw vs standard conv: MAC ratio vs measured time",
    params=(
        Param("in_channels", int, 64, "input channels M", min=1, max=512),
        Param("out_channels", int, 128, "output channels N", min=1, max=512),
        Param("size", int, 28, "height and width", min=4, max=112),
        Param("repeats", int, 21, "timed runs after 3 warm-ups (median and IQR)", min=5, max=200),
    ),
)


@dataclass(frozen=True)
class DeployNumbers:
    """A dw+pw block before and after folding BN, and a standard conv: counts and median times."""

    block_params: int
    fused_params: int
    macs_block: int  # by the zoo's per-layer count, before folding
    macs_separable: int  # after folding
    macs_standard: int  # the standard 3×3 conv M → N
    diff: float  # max |fused(x) − block(x)|
    torch_gap: float  # max |folded weights and biases − torch's fuse_conv_bn_eval|
    ms_standard: tuple[float, float, float]  # quartiles of the times (q1, median, q3), ms
    ms_separable: tuple[float, float, float]
    device: str

    @property
    def mac_ratio(self) -> float:
        """Standard conv MACs over the folded block's."""
        return self.macs_standard / self.macs_separable

    @property
    def time_ratio(self) -> float:
        """Standard conv median time over the folded block's (never divided by zero)."""
        return self.ms_standard[1] / max(self.ms_separable[1], 1e-9)

    @property
    def time_ratio_range(self) -> tuple[float, float]:
        """The ratio the quartiles allow: slowest plausible standard over fastest separable, and back."""
        low = self.ms_standard[0] / max(self.ms_separable[2], 1e-9)
        return low, self.ms_standard[2] / max(self.ms_separable[0], 1e-9)


def fold_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """w' = w·γ/√(var+ε), b' = β − γ·mean/√(var+ε) (BN in eval mode is an affine map per channel)."""
    import torch
    from torch import nn

    fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                      padding=conv.padding, groups=conv.groups, bias=True).to(conv.weight.device)  # fmt: skip
    factor = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    with torch.no_grad():
        fused.weight.copy_(conv.weight * factor.view(-1, 1, 1, 1))
        fused.bias.copy_(bn.bias - bn.running_mean * factor)
    return fused


WARM_UPS = 3


def quartiles_ms(module: nn.Module, x: torch.Tensor, repeats: int) -> tuple[float, float, float]:
    """Wall time of `repeats` forward passes after WARM_UPS, in ms: (q1, median, q3)."""
    import statistics
    import time

    import torch

    for _ in range(WARM_UPS):
        module(x)
    times = []
    for _ in range(repeats):
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        module(x)
        if x.device.type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    q1, median, q3 = statistics.quantiles(times, n=4, method="inclusive")
    return q1, median, q3


@DEPLOY.measure
def measure_deploy(s: Settings, ctx: DemoContext) -> DeployNumbers:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    m, n, dev = s.in_channels, s.out_channels, ctx.device
    block = nn.Sequential(
        zoo.conv_bn_act(m, m, groups=m, activation=None),  # dw
        zoo.conv_bn_act(m, n, kernel_size=1, activation=None),  # pw
    )
    with torch.no_grad():
        for bn in (block[0][1], block[1][1]):  # trained-looking statistics: folding has work to do
            bn.weight.uniform_(0.5, 1.5, generator=ctx.rng)
            bn.bias.uniform_(-0.5, 0.5, generator=ctx.rng)
            bn.running_mean.uniform_(-1, 1, generator=ctx.rng)
            bn.running_var.uniform_(0.5, 2, generator=ctx.rng)
    block = block.to(dev).eval()

    with torch.no_grad():
        fused = nn.Sequential(
            fold_bn(block[0][0], block[0][1]), fold_bn(block[1][0], block[1][1])
        ).eval()
        x = torch.randn(1, m, s.size, s.size, generator=ctx.rng).to(dev)  # (1, M, H, W)
        diff = float((fused(x) - block(x)).abs().max())
        standard = nn.Conv2d(m, n, 3, padding=1, bias=False).to(dev).eval()
        ms_standard = quartiles_ms(standard, x, s.repeats)
        ms_separable = quartiles_ms(fused, x, s.repeats)
        # torch's own folding, as an independent oracle for fold_bn
        from torch.nn.utils.fusion import fuse_conv_bn_eval

        oracle = [fuse_conv_bn_eval(b[0], b[1]) for b in block]
        torch_gap = max(
            float((mine.weight - ref.weight).abs().max().max((mine.bias - ref.bias).abs().max()))
            for mine, ref in zip(fused, oracle, strict=True)
        )

    # By formula, on an empty batch: no further real forward pass on a busy machine.
    at = f"{m}→{n} at {s.size}×{s.size}"
    return DeployNumbers(
        block_params=zoo.count_params(block),
        fused_params=zoo.count_params(fused),
        macs_block=zoo.formula_macs(block, x, label=f"dw+pw block with BN, {at}"),
        macs_separable=zoo.formula_macs(fused, x, label=f"folded dw+pw block, {at}"),
        macs_standard=zoo.formula_macs(standard, x, label=f"standard 3×3 conv, {at}"),
        diff=diff,
        torch_gap=torch_gap,
        ms_standard=ms_standard,
        ms_separable=ms_separable,
        device=str(dev),
    )


@DEPLOY.present
def present_deploy(r: DeployNumbers, s: Settings) -> Presentation:
    m, n, size, repeats = s.in_channels, s.out_channels, s.size, s.repeats
    mac_ratio, time_ratio = r.mac_ratio, r.time_ratio
    low, high = r.time_ratio_range
    if high < mac_ratio:
        verdict = ": even the most favourable quartiles fall short of the MAC ratio, so MACs overstate the speed-up here."
    elif low > mac_ratio:
        verdict = ": faster than its MAC count predicts, this time (it varies by device and size)."
    else:
        verdict = ": the spread of the timings is too wide here to say more."
    return Presentation(
        explanation=(
            "Runtimes (Core ML, NNAPI, TensorRT, ...) fold each BatchNorm into the conv before it and fuse "
            "conv + activation into one kernel, so a dw+pw block runs as two fused kernels.",
            "MACs are a proxy. A depthwise conv does few MACs per byte it reads, so it tends to be "
            f"memory-bound: here the separable block has {_times(mac_ratio, 'fewer', 'more')} MACs and ran "
            f"{_times(time_ratio, 'faster', 'slower')} than the standard conv (median of {repeats}; the "
            f"quartiles allow {low:.1f}× to {high:.1f}×)"
            + verdict
            + " Profile latency on the target device.",
        ),
        tables=(
            Table(
                title=f"Folding BN into a dw+pw block ({m}→{n}, {size}×{size})",
                columns=("form", "layers", "params", "MACs"),
                rows=(
                    ("conv → BN → conv → BN", 4, r.block_params, r.macs_block),
                    ("folded conv → conv", 2, r.fused_params, r.macs_separable),
                ),
                note=f"largest output difference after folding: {r.diff:.1e} (BN's 4N running statistics are buffers, not params)",
            ),
            Table(
                title=f"MACs vs measured time on {r.device} ({repeats} runs after {WARM_UPS} warm-ups)",
                columns=("block", "MACs", "MACs ÷ separable", "median ms", "IQR ms"),
                rows=(
                    (
                        f"standard 3×3 conv {m}→{n}",
                        r.macs_standard,
                        round(mac_ratio, 2),
                        round(r.ms_standard[1], 3),
                        f"{r.ms_standard[0]:.3f}–{r.ms_standard[2]:.3f}",
                    ),
                    (
                        "folded dw 3×3 + pw 1×1",
                        r.macs_separable,
                        1.0,
                        round(r.ms_separable[1], 3),
                        f"{r.ms_separable[0]:.3f}–{r.ms_separable[2]:.3f}",
                    ),
                ),
                note="times are measurements on this machine and vary run to run; no check depends on them",
            ),
        ),
        checks=(
            check(
                "folded block gives the same output",
                expected=0.0,
                measured=r.diff,
                source="w·γ/√(var+ε), β − γ·mean/√(var+ε)",
                abs_tol=1e-4,
            ),
            check(
                "folded weights and biases equal torch's fuse_conv_bn_eval",
                expected=0.0,
                measured=r.torch_gap,
                source="torch.nn.utils.fusion.fuse_conv_bn_eval on each conv-BN pair (float32 round-off)",
                abs_tol=1e-6,
            ),
            check(
                "folded block MACs: 9·M·H·W + M·N·H·W",
                expected=9 * m * size * size + m * n * size * size,
                measured=r.macs_separable,
                source=f"formula; measured: {LAYER_COUNT}",
            ),
        ),
        convention=MACS_CONVENTION,
    )
