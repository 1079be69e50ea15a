"""Which module registers each built-in demo, as plain data.

Banks are checked against these ids and `cvquiz demo ID` imports only that demo's module, so no
command imports a demo it does not run. A test checks that the modules register exactly these ids.
"""

from __future__ import annotations

DEMO_MODULES: dict[str, str] = {
    # ResNet family
    "residual-block": "cvquiz.demos.resnet.blocks",
    "projection-shortcut": "cvquiz.demos.resnet.shortcuts",
    "bottleneck-cost": "cvquiz.demos.resnet.bottleneck",
    "pre-activation": "cvquiz.demos.resnet.blocks",
    "zero-init-residual": "cvquiz.demos.resnet.zero_init",
    "resnet-depths": "cvquiz.demos.resnet.models",
    "resnext-groups": "cvquiz.demos.resnet.bottleneck",
    "cifar-resnets": "cvquiz.demos.resnet.models",
    "fpn-features": "cvquiz.demos.resnet.detection",
    "segmentation-decoder": "cvquiz.demos.resnet.detection",
    "vgg-vs-resnet": "cvquiz.demos.resnet.comparisons",
    "densenet-vs-resnet": "cvquiz.demos.resnet.comparisons",
    "he-init": "cvquiz.demos.resnet.training",
    "gradient-highway": "cvquiz.demos.resnet.training",
    "degradation": "cvquiz.demos.resnet.experiments",
    "near-identity": "cvquiz.demos.resnet.experiments",
    "training-recipe": "cvquiz.demos.resnet.recipe",
    "still-used": "cvquiz.demos.resnet.still_used",
    # MobileNet family (and EfficientNet, ShuffleNet)
    "depthwise-separable-cost": "cvquiz.demos.mobilenet.convs",
    "pointwise-as-linear": "cvquiz.demos.mobilenet.pointwise",
    "strided-depthwise": "cvquiz.demos.mobilenet.convs",
    "width-multiplier": "cvquiz.demos.mobilenet.multipliers",
    "resolution-multiplier": "cvquiz.demos.mobilenet.multipliers",
    "inverted-residual": "cvquiz.demos.mobilenet.blocks",
    "relu6": "cvquiz.demos.mobilenet.int8",
    "mobilenetv3": "cvquiz.demos.mobilenet.v3",
    "squeeze-excitation-cost": "cvquiz.demos.mobilenet.v3",
    "linear-bottleneck": "cvquiz.demos.mobilenet.blocks",
    "channel-shuffle": "cvquiz.demos.mobilenet.efficient",
    "efficientnet-scaling": "cvquiz.demos.mobilenet.scaling",
    "ssd-feature-maps": "cvquiz.demos.mobilenet.ssd",
    "quantization": "cvquiz.demos.mobilenet.int8",
    "deployment": "cvquiz.demos.mobilenet.deploy",
    "transfer-learning": "cvquiz.demos.mobilenet.transfer",
}


def demo_ids() -> list[str]:
    """Every built-in demo id, in listing order (ResNet first, then MobileNet)."""
    return list(DEMO_MODULES)
