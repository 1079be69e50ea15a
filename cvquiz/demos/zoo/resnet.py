"""ResNet and ResNeXt for ImageNet, with basic, bottleneck and pre-activation blocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch import nn

from .layers import conv1x1, conv3x3, convs_left_for_init_weights, init_weights

Variant = Literal["v1", "v1.5"]


class BasicBlock(nn.Module):
    """Two 3x3 convs plus a shortcut (He et al. 2015, "Deep Residual Learning", Fig. 2)."""

    expansion = 1

    def __init__(
        self,
        in_ch: int,
        planes: int,
        *,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        variant: Variant = "v1.5",
    ) -> None:
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock supports only groups=1 and base_width=64")
        self.conv1 = conv3x3(in_ch, planes, stride=stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))  # (N, planes, H/stride, W/stride)
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)

    def zero_init_residual(self) -> None:
        """Zero the last BN gamma so the block starts as identity-plus-ReLU (Goyal et al. 2017)."""
        nn.init.zeros_(self.bn2.weight)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand, plus a shortcut (He et al. 2015); ResNeXt when groups > 1.

    variant "v1.5" (torchvision) strides the 3x3 conv; "v1" (the paper) strides the first 1x1.
    """

    expansion = 4

    def __init__(
        self,
        in_ch: int,
        planes: int,
        *,
        stride: int = 1,
        downsample: nn.Module | None = None,
        groups: int = 1,
        base_width: int = 64,
        variant: Variant = "v1.5",
    ) -> None:
        super().__init__()
        if variant not in ("v1", "v1.5"):
            raise ValueError(f"unknown ResNet variant {variant!r}; use 'v1' or 'v1.5'")
        # ResNeXt (Xie et al. 2017): cardinality `groups`, `base_width` channels per group.
        width = int(planes * (base_width / 64.0)) * groups
        stride_1x1, stride_3x3 = (stride, 1) if variant == "v1" else (1, stride)
        self.conv1 = conv1x1(in_ch, width, stride=stride_1x1)  # reduce
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride=stride_3x3, groups=groups)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)  # expand
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))  # (N, width, H', W')
        out = self.relu(self.bn2(self.conv2(out)))  # (N, width, H/stride, W/stride)
        out = self.bn3(self.conv3(out))  # (N, 4*planes, H/stride, W/stride)
        return self.relu(out + identity)

    def zero_init_residual(self) -> None:
        """As BasicBlock.zero_init_residual: the last BN here is bn3."""
        nn.init.zeros_(self.bn3.weight)


class PreActBasicBlock(nn.Module):
    """Pre-activation basic block, BN-ReLU-conv twice (He et al. 2016, "Identity Mappings")."""

    expansion = 1

    def __init__(self, in_ch: int, planes: int, *, stride: int = 1) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.conv1 = conv3x3(in_ch, planes, stride=stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.relu = nn.ReLU(inplace=False)
        self.shortcut: nn.Module | None = None
        if stride != 1 or in_ch != planes:
            self.shortcut = conv1x1(in_ch, planes, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(x))
        # A projection shortcut reads the pre-activated tensor; an identity one reads x untouched,
        # so the signal path from block to block has no ReLU on it.
        identity = x if self.shortcut is None else self.shortcut(out)
        out = self.conv1(out)  # (N, planes, H/stride, W/stride)
        out = self.conv2(self.relu(self.bn2(out)))
        return out + identity


Block = type[BasicBlock] | type[Bottleneck]


def projection(in_ch: int, out_ch: int, *, stride: int) -> nn.Sequential:
    """Option B shortcut (He et al. 2015, sec. 3.3): 1x1 conv-BN, used only where shapes change."""
    return nn.Sequential(conv1x1(in_ch, out_ch, stride=stride), nn.BatchNorm2d(out_ch))


class ResNet(nn.Module):
    """ImageNet ResNet (He et al. 2015, Table 1): 7x7 stem, four stages, global pool, FC."""

    def __init__(
        self,
        block: Block,
        layers: tuple[int, int, int, int],
        *,
        num_classes: int = 1000,
        zero_init_residual: bool = False,
        groups: int = 1,
        width_per_group: int = 64,
        variant: Variant = "v1.5",
    ) -> None:
        super().__init__()
        self.block = block
        self.groups = groups
        self.base_width = width_per_group
        self.variant: Variant = variant
        self.in_ch = 64
        with convs_left_for_init_weights():  # init_weights below sets every conv
            self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(64, layers[0])
            self.layer2 = self._make_layer(128, layers[1], stride=2)
            self.layer3 = self._make_layer(256, layers[2], stride=2)
            self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        init_weights(self, linear_std=None)  # the FC keeps nn.Linear's default, as in torchvision
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock | Bottleneck):
                    m.zero_init_residual()

    def _make_layer(self, planes: int, blocks: int, *, stride: int = 1) -> nn.Sequential:
        out_ch = planes * self.block.expansion
        downsample = None
        if stride != 1 or self.in_ch != out_ch:
            downsample = projection(self.in_ch, out_ch, stride=stride)
        kw = {"groups": self.groups, "base_width": self.base_width, "variant": self.variant}
        layers = [self.block(self.in_ch, planes, stride=stride, downsample=downsample, **kw)]
        self.in_ch = out_ch
        layers += [self.block(out_ch, planes, **kw) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (N, 64, H/4, W/4)
        x = self.layer1(x)  # (N, 64e, H/4, W/4)
        x = self.layer2(x)  # (N, 128e, H/8, W/8)
        x = self.layer3(x)  # (N, 256e, H/16, W/16)
        x = self.layer4(x)  # (N, 512e, H/32, W/32)
        x = torch.flatten(self.avgpool(x), 1)  # (N, 512e)
        return self.fc(x)  # (N, num_classes)


def _resnet(
    name: str,
    block: Block,
    layers: tuple[int, int, int, int],
    doc: str,
    *,
    groups: int = 1,
    width_per_group: int = 64,
) -> Callable[..., ResNet]:
    """The one ResNet factory: the builder `name(*, variant, zero_init_residual, num_classes)`.

    Every ImageNet ResNet and ResNeXt differs only in its block, blocks per stage and grouping.
    """

    def builder(
        *, variant: Variant = "v1.5", zero_init_residual: bool = False, num_classes: int = 1000
    ) -> ResNet:
        return ResNet(
            block,
            layers,
            num_classes=num_classes,
            zero_init_residual=zero_init_residual,
            groups=groups,
            width_per_group=width_per_group,
            variant=variant,
        )

    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = doc
    return builder


# Blocks per stage (He et al. 2015, Table 1). `variant` only matters for bottleneck ResNets.
resnet18 = _resnet("resnet18", BasicBlock, (2, 2, 2, 2), "ResNet-18 (He et al. 2015).")
resnet34 = _resnet("resnet34", BasicBlock, (3, 4, 6, 3), "ResNet-34 (He et al. 2015).")
resnet50 = _resnet("resnet50", Bottleneck, (3, 4, 6, 3), "ResNet-50 (He et al. 2015).")
resnet101 = _resnet("resnet101", Bottleneck, (3, 4, 23, 3), "ResNet-101 (He et al. 2015).")
resnet152 = _resnet("resnet152", Bottleneck, (3, 8, 36, 3), "ResNet-152 (He et al. 2015).")
resnext50_32x4d = _resnet(
    "resnext50_32x4d",
    Bottleneck,
    (3, 4, 6, 3),
    "ResNeXt-50 32x4d (Xie et al. 2017): 32 groups of 4 channels in the first stage's 3x3.",
    groups=32,
    width_per_group=4,
)
