"""CIFAR-10 ResNets and their plain twins (He et al. 2015, section 4.2)."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from .layers import conv3x3, init_weights
from .resnet import BasicBlock, projection

CIFAR_DEPTHS = (20, 32, 44, 56, 110)


class ZeroPadShortcut(nn.Module):
    """Option A shortcut: subsample by striding and zero-pad the new channels; no parameters."""

    def __init__(self, in_ch: int, out_ch: int, *, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self.extra = out_ch - in_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]  # (N, C, H/stride, W/stride)
        front = self.extra // 2
        return F.pad(x, (0, 0, 0, 0, front, self.extra - front))  # (N, C + extra, H', W')


class PlainBlock(BasicBlock):
    """Two 3x3 conv-BN layers with no shortcut: the "plain" network of the degradation study."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)))


class CifarResNet(nn.Module):
    """CIFAR ResNet (He et al. 2015, sec. 4.2): 6n+2 layers, 3 stages of n blocks at 16/32/64."""

    def __init__(
        self,
        depth: int,
        *,
        plain: bool = False,
        shortcut: Literal["A", "B"] = "A",
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2 with n >= 1, got {depth}")
        if shortcut not in ("A", "B"):
            raise ValueError(f"unknown shortcut option {shortcut!r}; use 'A' or 'B'")
        self.n = (depth - 2) // 6
        self.plain = plain
        self.shortcut = shortcut
        self.in_ch = 16
        self.conv1 = conv3x3(3, 16)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(16, stride=1)
        self.layer2 = self._make_layer(32, stride=2)
        self.layer3 = self._make_layer(64, stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)
        init_weights(self, linear_std=None)

    def _make_layer(self, planes: int, *, stride: int) -> nn.Sequential:
        block = PlainBlock if self.plain else BasicBlock
        blocks: list[nn.Module] = []
        for s in [stride] + [1] * (self.n - 1):
            downsample: nn.Module | None = None
            if not self.plain and (s != 1 or self.in_ch != planes):
                downsample = (
                    ZeroPadShortcut(self.in_ch, planes, stride=s)
                    if self.shortcut == "A"
                    else projection(self.in_ch, planes, stride=s)
                )
            blocks.append(block(self.in_ch, planes, stride=s, downsample=downsample))
            self.in_ch = planes
        return nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))  # (N, 16, 32, 32)
        x = self.layer1(x)  # (N, 16, 32, 32)
        x = self.layer2(x)  # (N, 32, 16, 16)
        x = self.layer3(x)  # (N, 64, 8, 8)
        x = torch.flatten(self.avgpool(x), 1)  # (N, 64)
        return self.fc(x)  # (N, num_classes)


def cifar_resnet(
    depth: int,
    *,
    plain: bool = False,
    shortcut: Literal["A", "B"] = "A",
    num_classes: int = 10,
) -> CifarResNet:
    """CIFAR-10 ResNet-`depth` (He et al. 2015, sec. 4.2); `plain=True` drops every shortcut."""
    return CifarResNet(depth, plain=plain, shortcut=shortcut, num_classes=num_classes)


def cifar_resnet_params(
    depth: int, *, shortcut: Literal["A", "B"] = "A", num_classes: int = 10
) -> int:
    """Parameter count of `cifar_resnet(depth)` by hand: conv weights + BN (gamma, beta) + FC."""
    n = (depth - 2) // 6

    def conv_bn(c_in: int, c_out: int, k: int = 3) -> int:
        return c_in * c_out * k * k + 2 * c_out

    total = conv_bn(3, 16)  # stem
    for c_in, c in ((16, 16), (16, 32), (32, 64)):
        total += conv_bn(c_in, c) + conv_bn(c, c)  # first block of the stage
        total += (n - 1) * 2 * conv_bn(c, c)  # the other n - 1 blocks
        if shortcut == "B" and c_in != c:
            total += conv_bn(c_in, c, k=1)  # projection shortcut
    return total + 64 * num_classes + num_classes  # FC weights and bias
