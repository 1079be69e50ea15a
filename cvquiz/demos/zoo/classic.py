"""VGG-16 and DenseNet-121: the plain deep stack and the dense-connectivity answer."""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn
from torch.nn import functional as F

from .layers import conv1x1, conv3x3, init_weights

# VGG configuration D (Simonyan & Zisserman 2014, Table 1): channels, "M" for a 2x2 max pool.
VGG16_CONFIG: tuple[int | str, ...] = (
    64, 64, "M",
    128, 128, "M",
    256, 256, 256, "M",
    512, 512, 512, "M",
    512, 512, 512, "M",
)  # fmt: skip


class VGG(nn.Module):
    """VGG (Simonyan & Zisserman 2014): 3x3 convs with bias and ReLU, pools, three FC layers."""

    def __init__(
        self, config: tuple[int | str, ...] = VGG16_CONFIG, *, num_classes: int = 1000
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        in_ch = 3
        for item in config:
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))  # (N, C, H/2, W/2)
            else:
                assert isinstance(item, int)
                # (N, item, H, W)
                layers += [conv3x3(in_ch, item, bias=True), nn.ReLU(inplace=True)]
                in_ch = item
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(7)
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 512, H/32, W/32)
        x = torch.flatten(self.avgpool(x), 1)  # (N, 25088)
        return self.classifier(x)  # (N, num_classes)


class DenseLayer(nn.Module):
    """BN-ReLU-conv1x1 (to bn_size*k) then BN-ReLU-conv3x3 (to k), the DenseNet-B bottleneck."""

    def __init__(self, in_ch: int, *, growth_rate: int, bn_size: int) -> None:
        super().__init__()
        mid = bn_size * growth_rate
        self.norm1 = nn.BatchNorm2d(in_ch)
        self.conv1 = conv1x1(in_ch, mid)
        self.norm2 = nn.BatchNorm2d(mid)
        self.conv2 = conv3x3(mid, growth_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv1(F.relu(self.norm1(x)))  # (N, bn_size*k, H, W)
        return self.conv2(F.relu(self.norm2(out)))  # (N, k, H, W)


class DenseBlock(nn.ModuleDict):
    """Each layer sees the concatenation of every earlier feature map in the block.

    Layers are named denselayer1, denselayer2, ... as in torchvision's state_dict.
    """

    def __init__(self, in_ch: int, num_layers: int, *, growth_rate: int, bn_size: int) -> None:
        super().__init__(
            (
                f"denselayer{i + 1}",
                DenseLayer(in_ch + i * growth_rate, growth_rate=growth_rate, bn_size=bn_size),
            )
            for i in range(num_layers)
        )

    @property
    def layers(self) -> list[nn.Module]:
        """The dense layers, in order."""
        return list(self.values())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for layer in self.values():
            features.append(layer(torch.cat(features, dim=1)))
        return torch.cat(features, dim=1)  # (N, C + num_layers*k, H, W)


class Transition(nn.Sequential):
    """BN-ReLU-conv1x1 halving the channels (compression 0.5), then 2x2 average pool."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__(
            OrderedDict(
                norm=nn.BatchNorm2d(in_ch),
                relu=nn.ReLU(inplace=True),
                conv=conv1x1(in_ch, out_ch),
                pool=nn.AvgPool2d(kernel_size=2, stride=2),
            )
        )


class DenseNet(nn.Module):
    """DenseNet-BC (Huang et al. 2017): 7x7 stem, dense blocks joined by transitions, FC."""

    def __init__(
        self,
        block_config: tuple[int, ...] = (6, 12, 24, 16),
        *,
        growth_rate: int = 32,
        init_features: int = 64,
        bn_size: int = 4,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        # Named as torchvision's state_dict: conv0, norm0, denseblock1, transition1, ..., norm5.
        layers: OrderedDict[str, nn.Module] = OrderedDict(
            conv0=nn.Conv2d(3, init_features, kernel_size=7, stride=2, padding=3, bias=False),
            norm0=nn.BatchNorm2d(init_features),
            relu0=nn.ReLU(inplace=True),
            pool0=nn.MaxPool2d(kernel_size=3, stride=2, padding=1),  # (N, 64, H/4, W/4)
        )
        ch = init_features
        for i, num_layers in enumerate(block_config, 1):
            # (N, C + num_layers*k, H', W')
            layers[f"denseblock{i}"] = DenseBlock(
                ch, num_layers, growth_rate=growth_rate, bn_size=bn_size
            )
            ch += num_layers * growth_rate
            if i != len(block_config):
                layers[f"transition{i}"] = Transition(ch, ch // 2)  # (N, C/2, H'/2, W'/2)
                ch //= 2
        layers["norm5"] = nn.BatchNorm2d(ch)
        self.features = nn.Sequential(layers)
        self.classifier = nn.Linear(ch, num_classes)
        init_weights(self, conv_mode="fan_in", linear_std=None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.features(x))  # (N, 1024, H/32, W/32)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)  # (N, 1024)
        return self.classifier(x)  # (N, num_classes)


def vgg16(*, num_classes: int = 1000) -> VGG:
    """VGG-16, configuration D without batch norm (Simonyan & Zisserman 2014)."""
    return VGG(VGG16_CONFIG, num_classes=num_classes)


def densenet121(*, num_classes: int = 1000) -> DenseNet:
    """DenseNet-121 (Huang et al. 2017): growth rate 32, blocks of 6, 12, 24, 16 layers."""
    return DenseNet((6, 12, 24, 16), growth_rate=32, init_features=64, num_classes=num_classes)
