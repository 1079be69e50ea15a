"""ShuffleNetV2 (Ma et al. 2018): channel split, branch, concatenate, channel shuffle."""

from __future__ import annotations

import torch
from torch import nn

from .layers import conv_bn_act, init_weights


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Interleave channels across `groups` (Zhang et al. 2017, ShuffleNet): reshape, transpose."""
    n, c, h, w = x.shape
    if c % groups:
        raise ValueError(f"{c} channels do not split into {groups} groups")
    x = x.view(n, groups, c // groups, h, w)  # (N, g, C/g, H, W)
    x = x.transpose(1, 2).contiguous()  # (N, C/g, g, H, W)
    return x.view(n, c, h, w)  # (N, C, H, W)


class ShuffleUnit(nn.Module):
    """ShuffleNetV2 unit, Fig. 3(c) for stride 1 and Fig. 3(d) for stride 2."""

    def __init__(self, in_ch: int, out_ch: int, *, stride: int = 1) -> None:
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2, got {stride}")
        if stride == 1 and in_ch != out_ch:
            raise ValueError("a stride-1 unit keeps its channel count")
        self.stride = stride
        branch_ch = out_ch // 2
        # Flat Sequentials of conv, BN(, ReLU), as torchvision names them (branch2.3 is the dw conv).
        self.branch1: nn.Module = nn.Identity()
        if stride == 2:
            self.branch1 = nn.Sequential(
                *conv_bn_act(in_ch, in_ch, stride=2, groups=in_ch, activation=None),  # dw
                *conv_bn_act(in_ch, branch_ch, kernel_size=1),  # pw
            )
        # Stride 1: the other half of the split passes through untouched.
        branch2_in = in_ch if stride == 2 else branch_ch
        self.branch2 = nn.Sequential(
            *conv_bn_act(branch2_in, branch_ch, kernel_size=1),  # pw
            *conv_bn_act(
                branch_ch, branch_ch, stride=stride, groups=branch_ch, activation=None
            ),  # dw
            *conv_bn_act(branch_ch, branch_ch, kernel_size=1),  # pw
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            kept, x = x.chunk(2, dim=1)  # 2 x (N, C/2, H, W)
        else:
            kept = self.branch1(x)  # (N, C_out/2, H/2, W/2)
        out = torch.cat((kept, self.branch2(x)), dim=1)  # (N, C_out, H', W')
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNetV2 (Ma et al. 2018, Table 5): stem, three stages of shuffle units, 1x1 conv, FC."""

    def __init__(
        self,
        stage_repeats: tuple[int, int, int],
        stage_channels: tuple[int, int, int, int, int],
        *,
        num_classes: int = 1000,
    ) -> None:
        super().__init__()
        in_ch = stage_channels[0]
        self.conv1 = conv_bn_act(3, in_ch, stride=2)  # (N, 24, H/2, W/2)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)  # (N, 24, H/4, W/4)
        stages: list[nn.Module] = []
        for repeats, out_ch in zip(stage_repeats, stage_channels[1:4], strict=True):
            units = [ShuffleUnit(in_ch, out_ch, stride=2)]
            units += [ShuffleUnit(out_ch, out_ch) for _ in range(repeats - 1)]
            stages.append(nn.Sequential(*units))
            in_ch = out_ch
        self.stage2, self.stage3, self.stage4 = stages
        self.conv5 = conv_bn_act(in_ch, stage_channels[4], kernel_size=1)
        self.fc = nn.Linear(stage_channels[4], num_classes)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.conv1(x))  # (N, 24, H/4, W/4)
        x = self.stage2(x)  # (N, 116, H/8, W/8)
        x = self.stage3(x)  # (N, 232, H/16, W/16)
        x = self.stage4(x)  # (N, 464, H/32, W/32)
        x = self.conv5(x).mean((2, 3))  # (N, 1024)
        return self.fc(x)  # (N, num_classes)


def shufflenet_v2_x1_0(*, num_classes: int = 1000) -> ShuffleNetV2:
    """ShuffleNetV2 1.0x (Ma et al. 2018)."""
    return ShuffleNetV2((4, 8, 4), (24, 116, 232, 464, 1024), num_classes=num_classes)
