"""MobileNetV1, V2 and V3, built from depthwise separable convs and inverted residuals."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .layers import (
    HSigmoid,
    HSwish,
    SqueezeExcitation,
    _make_divisible,
    conv_bn_act,
    depthwise_separable,
    init_weights,
)

# MobileNetV1 body (Howard et al. 2017, Table 1) after the stem: (out channels, stride).
# The paper marks the last depthwise conv stride 2, but its input is already 7x7: stride 1 here.
V1_CONFIG: tuple[tuple[int, int], ...] = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)

# MobileNetV2 (Sandler et al. 2018, Table 2): expansion t, channels c, repeats n, first stride s.
V2_CONFIG: tuple[tuple[int, int, int, int], ...] = (
    # t, c, n, s
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


class V3Block(NamedTuple):
    """One MobileNetV3 bneck row (Howard et al. 2019, Tables 1 and 2)."""

    kernel: int
    expanded: int
    out: int
    se: bool
    hswish: bool  # False: ReLU
    stride: int


V3_LARGE: tuple[V3Block, ...] = (
    # k, exp, out, SE, HS, s
    V3Block(3, 16, 16, False, False, 1),
    V3Block(3, 64, 24, False, False, 2),
    V3Block(3, 72, 24, False, False, 1),
    V3Block(5, 72, 40, True, False, 2),
    V3Block(5, 120, 40, True, False, 1),
    V3Block(5, 120, 40, True, False, 1),
    V3Block(3, 240, 80, False, True, 2),
    V3Block(3, 200, 80, False, True, 1),
    V3Block(3, 184, 80, False, True, 1),
    V3Block(3, 184, 80, False, True, 1),
    V3Block(3, 480, 112, True, True, 1),
    V3Block(3, 672, 112, True, True, 1),
    V3Block(5, 672, 160, True, True, 2),
    V3Block(5, 960, 160, True, True, 1),
    V3Block(5, 960, 160, True, True, 1),
)

V3_SMALL: tuple[V3Block, ...] = (
    # k, exp, out, SE, HS, s
    V3Block(3, 16, 16, True, False, 2),
    V3Block(3, 72, 24, False, False, 2),
    V3Block(3, 88, 24, False, False, 1),
    V3Block(5, 96, 40, True, True, 2),
    V3Block(5, 240, 40, True, True, 1),
    V3Block(5, 240, 40, True, True, 1),
    V3Block(5, 120, 48, True, True, 1),
    V3Block(5, 144, 48, True, True, 1),
    V3Block(5, 288, 96, True, True, 2),
    V3Block(5, 576, 96, True, True, 1),
    V3Block(5, 576, 96, True, True, 1),
)


class MobileNetV1(nn.Module):
    """MobileNetV1 (Howard et al. 2017): a 3x3 stem then 13 depthwise separable convs."""

    def __init__(self, *, width_mult: float = 1.0, num_classes: int = 1000) -> None:
        super().__init__()
        in_ch = _make_divisible(32 * width_mult, 8)
        layers: list[nn.Module] = [conv_bn_act(3, in_ch, stride=2)]  # (N, 32a, H/2, W/2)
        for c, s in V1_CONFIG:
            out_ch = _make_divisible(c * width_mult, 8)
            layers.append(depthwise_separable(in_ch, out_ch, stride=s))
            in_ch = out_ch
        self.features = nn.Sequential(*layers)  # (N, 1024a, H/32, W/32)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_ch, num_classes)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 1024a, H/32, W/32)
        x = torch.flatten(self.avgpool(x), 1)  # (N, 1024a)
        return self.fc(x)  # (N, num_classes)


class InvertedResidual(nn.Module):
    """Expand 1x1, depthwise kxk, optional SE, linear 1x1 projection (Sandler et al. 2018).

    With the defaults it computes the MobileNetV2 block (which MobileNetV2Block lays out as
    torchvision does); MobileNetV3 adds SE and h-swish, and EfficientNet's MBConv is the same block
    with SiLU and a sigmoid-gated SE. `block`'s names are torchvision's for V3 and EfficientNet.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        *,
        stride: int = 1,
        expand_ratio: float = 6,
        expanded_ch: int | None = None,
        kernel_size: int = 3,
        activation: type[nn.Module] = nn.ReLU6,
        se_channels: int | None = None,
        se_activation: type[nn.Module] = nn.ReLU,
        se_gate: type[nn.Module] = HSigmoid,
        bn_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        hidden = round(in_ch * expand_ratio) if expanded_ch is None else expanded_ch
        # The skip only exists where input and output shapes match.
        self.use_residual = stride == 1 and in_ch == out_ch
        layers: list[nn.Module] = []
        if hidden != in_ch:
            layers.append(
                conv_bn_act(in_ch, hidden, kernel_size=1, activation=activation, bn_eps=bn_eps)
            )  # pw
        layers.append(
            conv_bn_act(
                hidden,
                hidden,
                kernel_size=kernel_size,
                stride=stride,
                groups=hidden,
                activation=activation,
                bn_eps=bn_eps,
            )
        )  # dw
        if se_channels is not None:
            layers.append(
                SqueezeExcitation(hidden, se_channels, activation=se_activation, gate=se_gate)
            )  # se
        # No activation after the projection: ReLU in a narrow space destroys information.
        layers.append(
            conv_bn_act(hidden, out_ch, kernel_size=1, activation=None, bn_eps=bn_eps)
        )  # pw-linear
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)  # (N, out_ch, H/stride, W/stride)
        return x + out if self.use_residual else out


class MobileNetV2Block(nn.Module):
    """MobileNetV2's inverted residual (Sandler et al. 2018, Table 1) in torchvision's layout.

    `conv` holds expand 1x1 (when t > 1), depthwise 3x3, then the linear 1x1 and its BN as two
    layers, so the state_dict names are torchvision's (`features.2.conv.3.weight`, ...).
    """

    def __init__(self, in_ch: int, out_ch: int, *, stride: int = 1, expand_ratio: int = 6) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        hidden = round(in_ch * expand_ratio)
        self.use_residual = stride == 1 and in_ch == out_ch
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(conv_bn_act(in_ch, hidden, kernel_size=1, activation=nn.ReLU6))  # pw
        layers += [
            conv_bn_act(hidden, hidden, stride=stride, groups=hidden, activation=nn.ReLU6),  # dw
            nn.Conv2d(hidden, out_ch, 1, bias=False),  # pw-linear: no activation after it
            nn.BatchNorm2d(out_ch),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv(x)  # (N, out_ch, H/stride, W/stride)
        return x + out if self.use_residual else out


class MobileNetV2(nn.Module):
    """MobileNetV2 (Sandler et al. 2018): inverted residuals with linear bottlenecks."""

    def __init__(self, *, width_mult: float = 1.0, num_classes: int = 1000) -> None:
        super().__init__()
        in_ch = _make_divisible(32 * width_mult, 8)
        self.last_channel = _make_divisible(1280 * max(1.0, width_mult), 8)
        # (N, 32a, H/2, W/2)
        layers: list[nn.Module] = [conv_bn_act(3, in_ch, stride=2, activation=nn.ReLU6)]
        for t, c, n, s in V2_CONFIG:
            out_ch = _make_divisible(c * width_mult, 8)
            for i in range(n):
                stride = s if i == 0 else 1
                layers.append(MobileNetV2Block(in_ch, out_ch, stride=stride, expand_ratio=t))
                in_ch = out_ch
        layers.append(
            conv_bn_act(in_ch, self.last_channel, kernel_size=1, activation=nn.ReLU6)
        )  # (N, 1280, H/32, W/32)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.last_channel, num_classes))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 1280, H/32, W/32)
        x = torch.flatten(self.avgpool(x), 1)  # (N, 1280)
        return self.classifier(x)  # (N, num_classes)


class MobileNetV3(nn.Module):
    """MobileNetV3 (Howard et al. 2019, "Searching for MobileNetV3"): NAS'd bnecks, SE, h-swish."""

    def __init__(
        self,
        config: tuple[V3Block, ...],
        *,
        last_channel: int,
        width_mult: float = 1.0,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        bn_eps = 1e-3
        in_ch = _make_divisible(16 * width_mult, 8)
        layers: list[nn.Module] = [
            conv_bn_act(3, in_ch, stride=2, activation=HSwish, bn_eps=bn_eps)
        ]  # (N, 16, H/2, W/2)
        for row in config:
            expanded = _make_divisible(row.expanded * width_mult, 8)
            out_ch = _make_divisible(row.out * width_mult, 8)
            layers.append(
                InvertedResidual(
                    in_ch,
                    out_ch,
                    stride=row.stride,
                    expanded_ch=expanded,
                    kernel_size=row.kernel,
                    activation=HSwish if row.hswish else nn.ReLU,
                    se_channels=_make_divisible(expanded // 4, 8) if row.se else None,
                    se_activation=nn.ReLU,
                    se_gate=HSigmoid,
                    bn_eps=bn_eps,
                )
            )
            in_ch = out_ch
        last_conv = 6 * in_ch
        layers.append(
            conv_bn_act(in_ch, last_conv, kernel_size=1, activation=HSwish, bn_eps=bn_eps)
        )  # (N, 6C, H/32, W/32)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_conv, last_channel),
            HSwish(),
            nn.Dropout(0.2),
            nn.Linear(last_channel, num_classes),
        )
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 6C, H/32, W/32)
        x = torch.flatten(self.avgpool(x), 1)  # (N, 6C)
        return self.classifier(x)  # (N, num_classes)


def mobilenet_v1(*, width_mult: float = 1.0, num_classes: int = 1000) -> MobileNetV1:
    """MobileNetV1 (Howard et al. 2017); pick the resolution multiplier by the input size."""
    return MobileNetV1(width_mult=width_mult, num_classes=num_classes)


def mobilenet_v2(*, width_mult: float = 1.0, num_classes: int = 1000) -> MobileNetV2:
    """MobileNetV2 (Sandler et al. 2018)."""
    return MobileNetV2(width_mult=width_mult, num_classes=num_classes)


def mobilenet_v3_large(*, width_mult: float = 1.0, num_classes: int = 1000) -> MobileNetV3:
    """MobileNetV3-Large (Howard et al. 2019)."""
    return MobileNetV3(
        V3_LARGE,
        last_channel=_make_divisible(1280 * width_mult, 8),
        width_mult=width_mult,
        num_classes=num_classes,
    )


def mobilenet_v3_small(*, width_mult: float = 1.0, num_classes: int = 1000) -> MobileNetV3:
    """MobileNetV3-Small (Howard et al. 2019)."""
    return MobileNetV3(
        V3_SMALL,
        last_channel=_make_divisible(1024 * width_mult, 8),
        width_mult=width_mult,
        num_classes=num_classes,
    )
