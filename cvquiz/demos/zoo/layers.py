"""Small building blocks shared by the zoo: conv helpers, activations, SE, separable convs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F


def _make_divisible(value: float, divisor: int = 8, min_value: int | None = None) -> int:
    """Round a channel count to a multiple of `divisor`, never dropping more than 10%."""
    # From the MobileNet TF reference code: hardware likes multiples of 8.
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def conv3x3(
    in_ch: int, out_ch: int, *, stride: int = 1, groups: int = 1, bias: bool = False
) -> nn.Conv2d:
    """3x3 convolution with padding 1 (keeps H, W when stride is 1)."""
    return nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, groups=groups, bias=bias)


def conv1x1(in_ch: int, out_ch: int, *, stride: int = 1, bias: bool = False) -> nn.Conv2d:
    """1x1 (pointwise) convolution."""
    return nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=bias)


def conv_bn_act(
    in_ch: int,
    out_ch: int,
    *,
    kernel_size: int = 3,
    stride: int = 1,
    groups: int = 1,
    activation: type[nn.Module] | None = nn.ReLU,
    bn_eps: float = 1e-5,
) -> nn.Sequential:
    """Conv (no bias, 'same' padding) -> BatchNorm -> optional activation."""
    layers: list[nn.Module] = [
        nn.Conv2d(
            in_ch,
            out_ch,
            kernel_size,
            stride=stride,
            padding=(kernel_size - 1) // 2,
            groups=groups,
            bias=False,
        ),
        nn.BatchNorm2d(out_ch, eps=bn_eps),
    ]
    if activation is not None:
        layers.append(activation(inplace=True))
    return nn.Sequential(*layers)


def h_swish(x: torch.Tensor) -> torch.Tensor:
    """Hard swish, MobileNetV3 (Howard et al. 2019): x * ReLU6(x + 3) / 6."""
    return x * F.relu6(x + 3.0) / 6.0


def h_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Hard sigmoid, MobileNetV3: ReLU6(x + 3) / 6."""
    return F.relu6(x + 3.0) / 6.0


class HSwish(nn.Module):
    """Module form of `h_swish`; `inplace` is accepted for drop-in use and ignored."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return h_swish(x)


class HSigmoid(nn.Module):
    """Module form of `h_sigmoid`; `inplace` is accepted for drop-in use and ignored."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return h_sigmoid(x)


class SqueezeExcitation(nn.Module):
    """Squeeze-and-excitation gate (Hu et al. 2018): pool, bottleneck MLP, per-channel scale."""

    def __init__(
        self,
        channels: int,
        squeeze_channels: int,
        *,
        activation: type[nn.Module] = nn.ReLU,
        gate: type[nn.Module] = nn.Sigmoid,
    ) -> None:
        super().__init__()
        # 1x1 convs with bias act as the two fully connected layers on a (N, C, 1, 1) tensor.
        self.fc1 = nn.Conv2d(channels, squeeze_channels, 1)
        self.activation = activation()
        self.fc2 = nn.Conv2d(squeeze_channels, channels, 1)
        self.gate = gate()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = F.adaptive_avg_pool2d(x, 1)  # (N, C, 1, 1)
        scale = self.gate(self.fc2(self.activation(self.fc1(scale))))
        return x * scale


def depthwise_separable(
    in_ch: int, out_ch: int, *, stride: int = 1, kernel_size: int = 3
) -> nn.Sequential:
    """MobileNetV1 block (Howard et al. 2017): depthwise conv-BN-ReLU, then pointwise conv-BN-ReLU."""
    return nn.Sequential(
        conv_bn_act(in_ch, in_ch, kernel_size=kernel_size, stride=stride, groups=in_ch),  # dw
        conv_bn_act(in_ch, out_ch, kernel_size=1),  # pw
    )


@contextlib.contextmanager
def convs_left_for_init_weights() -> Iterator[None]:
    """Build convs without their default init (kaiming_uniform_), for a model that calls
    `init_weights` at the end of its constructor: that overwrites every conv weight and zeroes
    every conv bias, so the default init was wasted work (half the random numbers a real
    ResNet-50 draws: about 0.2 s). Not thread-safe: nothing else may build convs meanwhile.
    """
    default = nn.Conv2d.reset_parameters
    nn.Conv2d.reset_parameters = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        nn.Conv2d.reset_parameters = default  # type: ignore[method-assign]


def init_weights(
    model: nn.Module,
    *,
    conv_mode: Literal["fan_in", "fan_out"] = "fan_out",
    linear_std: float | None = 0.01,
) -> None:
    """The usual CNN init: Kaiming-normal convs (He et al. 2015, "Delving Deep into Rectifiers"),
    zero conv biases, unit BN, and N(0, linear_std^2) linear layers with zero bias.

    linear_std=None leaves nn.Linear's own default init, as torchvision's ResNet and DenseNet do.
    Modules are visited in `model.modules()` order, so a seed gives the same weights every time.
    """
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            # std = sqrt(2 / fan): the ReLU gain sqrt(2) over the fan-in or fan-out.
            nn.init.kaiming_normal_(m.weight, mode=conv_mode, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear_std is not None:
            nn.init.normal_(m.weight, 0.0, linear_std)
            nn.init.zeros_(m.bias)
