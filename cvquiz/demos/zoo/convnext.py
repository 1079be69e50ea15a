"""ConvNeXt-T (Liu et al. 2022, "A ConvNet for the 2020s"), in torchvision's state_dict layout.

A ResNet modernised step by step: a 4x4 stride-4 "patchify" stem, stages of 3-3-9-3 blocks at
96-192-384-768 channels, each block a 7x7 depthwise conv, LayerNorm, and an inverted bottleneck
MLP (1x1 up 4x, GELU, 1x1 down) scaled by a learned per-channel layer scale, plus the identity.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

LN_EPS = 1e-6  # Liu et al. 2022 and torchvision
LAYER_SCALE_INIT = 1e-6  # Touvron et al. 2021 (CaiT), used by ConvNeXt

# ConvNeXt-T (Liu et al. 2022, sec. 2.6): blocks and channels per stage.
TINY_DEPTHS = (3, 3, 9, 3)
TINY_DIMS = (96, 192, 384, 768)


class Permute(nn.Module):
    """Reorder dimensions, e.g. NCHW -> NHWC for a LayerNorm and Linear over channels."""

    def __init__(self, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.dims = dims

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(*self.dims)


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of an NCHW map (each pixel normalised on its own)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)  # (N, H, W, C)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)  # (N, C, H, W)


class CNBlock(nn.Module):
    """x + γ · Linear(GELU(Linear(LN(dwconv7x7(x))))): the ConvNeXt block (Liu et al. 2022, Fig. 4)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim),  # dw
            Permute((0, 2, 3, 1)),  # (N, H, W, C)
            nn.LayerNorm(dim, eps=LN_EPS),
            nn.Linear(dim, 4 * dim),  # pw up: the inverted bottleneck
            nn.GELU(),
            nn.Linear(4 * dim, dim),  # pw down
            Permute((0, 3, 1, 2)),  # (N, C, H, W)
        )
        # torch.full, not ones() * c: arithmetic on meta tensors imports torch._dynamo (build_meta)
        self.layer_scale = nn.Parameter(torch.full((dim, 1, 1), LAYER_SCALE_INIT))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Stochastic depth is a training-time regulariser; at inference it is the identity.
        return x + self.layer_scale * self.block(x)


class ConvNeXt(nn.Module):
    """ConvNeXt: patchify stem, four stages joined by LN + 2x2 stride-2 convs, pool, LN, FC."""

    def __init__(
        self,
        depths: tuple[int, ...] = TINY_DEPTHS,
        dims: tuple[int, ...] = TINY_DIMS,
        *,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        stem = nn.Sequential(
            nn.Conv2d(3, dims[0], kernel_size=4, stride=4),  # (N, 96, H/4, W/4)
            LayerNorm2d(dims[0], eps=LN_EPS),
        )
        layers: list[nn.Module] = [stem]
        for i, (depth, dim) in enumerate(zip(depths, dims, strict=True)):
            layers.append(nn.Sequential(*(CNBlock(dim) for _ in range(depth))))
            if i + 1 < len(dims):
                layers.append(
                    nn.Sequential(
                        LayerNorm2d(dim, eps=LN_EPS),
                        nn.Conv2d(dim, dims[i + 1], kernel_size=2, stride=2),  # (N, 2C, H/2, W/2)
                    )
                )
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            LayerNorm2d(dims[-1], eps=LN_EPS), nn.Flatten(1), nn.Linear(dims[-1], num_classes)
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d | nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (N, 768, H/32, W/32)
        return self.classifier(self.avgpool(x))  # (N, num_classes)


def convnext_tiny(*, num_classes: int = 1000) -> ConvNeXt:
    """ConvNeXt-T (Liu et al. 2022): 3-3-9-3 blocks at 96-192-384-768 channels."""
    return ConvNeXt(TINY_DEPTHS, TINY_DIMS, num_classes=num_classes)
