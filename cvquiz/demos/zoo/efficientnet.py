"""EfficientNet-B0 (Tan & Le 2019): MBConv blocks with SE and SiLU, found by NAS then scaled."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from .layers import _make_divisible, conv_bn_act, init_weights
from .mobilenet import InvertedResidual


class MBConvStage(NamedTuple):
    """One row of EfficientNet-B0's Table 1."""

    expand_ratio: int
    kernel: int
    stride: int
    out: int
    repeats: int


B0_CONFIG: tuple[MBConvStage, ...] = (
    # t, k, s, c, n
    MBConvStage(1, 3, 1, 16, 1),
    MBConvStage(6, 3, 2, 24, 2),
    MBConvStage(6, 5, 2, 40, 2),
    MBConvStage(6, 3, 2, 80, 3),
    MBConvStage(6, 5, 1, 112, 3),
    MBConvStage(6, 5, 2, 192, 4),
    MBConvStage(6, 3, 1, 320, 1),
)

# Compound scaling (Tan & Le 2019, eq. 3): depth 1.2^phi, width 1.1^phi, resolution 1.15^phi.
ALPHA_DEPTH, BETA_WIDTH, GAMMA_RESOLUTION = 1.2, 1.1, 1.15


def mbconv(
    in_ch: int, out_ch: int, *, expand_ratio: int, kernel_size: int, stride: int
) -> nn.Module:
    """MBConv: an inverted residual with SiLU and an SE squeezing to a quarter of the input."""
    return InvertedResidual(
        in_ch,
        out_ch,
        stride=stride,
        expanded_ch=_make_divisible(in_ch * expand_ratio, 8),
        kernel_size=kernel_size,
        activation=nn.SiLU,
        se_channels=max(1, in_ch // 4),
        se_activation=nn.SiLU,
        se_gate=nn.Sigmoid,
    )


class EfficientNet(nn.Module):
    """EfficientNet (Tan & Le 2019): stem, MBConv stages, 1x1 head to 1280, pool, FC."""

    def __init__(
        self,
        config: tuple[MBConvStage, ...] = B0_CONFIG,
        *,
        dropout: float = 0.2,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        in_ch = 32
        # (N, 32, H/2, W/2)
        layers: list[nn.Module] = [conv_bn_act(3, in_ch, stride=2, activation=nn.SiLU)]
        for stage in config:  # one Sequential per stage, as torchvision nests them
            blocks = []
            for i in range(stage.repeats):
                blocks.append(
                    mbconv(
                        in_ch,
                        stage.out,
                        expand_ratio=stage.expand_ratio,
                        kernel_size=stage.kernel,
                        stride=stage.stride if i == 0 else 1,
                    )
                )
                in_ch = stage.out
            layers.append(nn.Sequential(*blocks))
        head_ch = 4 * in_ch
        layers.append(conv_bn_act(in_ch, head_ch, kernel_size=1, activation=nn.SiLU))
        self.features = nn.Sequential(*layers)  # (N, 1280, H/32, W/32)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(head_ch, num_classes))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 1280, H/32, W/32)
        x = torch.flatten(self.avgpool(x), 1)  # (N, 1280)
        return self.classifier(x)  # (N, num_classes)


def compound_config(phi: int) -> tuple[MBConvStage, ...]:
    """B0's stages scaled by compound coefficient phi: repeats × 1.2^phi (rounded up), widths × 1.1^phi.

    Widths round to multiples of 8 (_make_divisible), as in torchvision; the stem stays at 32 and
    the head follows the last stage (4×), so phi = 0 is B0 exactly.
    """
    depth, width = ALPHA_DEPTH**phi, BETA_WIDTH**phi
    return tuple(
        stage._replace(
            out=_make_divisible(stage.out * width, 8), repeats=math.ceil(stage.repeats * depth)
        )
        for stage in B0_CONFIG
    )


def compound_resolution(phi: int) -> int:
    """224 × 1.15^phi, rounded to a multiple of 32 so every stride-2 stage halves the map exactly."""
    return 32 * round(224 * GAMMA_RESOLUTION**phi / 32)


def efficientnet_b0(*, num_classes: int = 1000) -> EfficientNet:
    """EfficientNet-B0 (Tan & Le 2019), the baseline the compound scaling starts from."""
    return EfficientNet(B0_CONFIG, num_classes=num_classes)
