"""Transfer to a new task: a frozen MobileNet backbone, a new head, a few seeded training steps."""

from __future__ import annotations

import math
from dataclasses import dataclass

from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import on_one_thread
from cvquiz.demos.result import Plot, Presentation, Table, check
from cvquiz.demos.runner import DemoContext

# Transfer learning (Q38)

TRANSFER = demo(
    "transfer-learning",
    title="Transfer: freeze a MobileNet backbone, train only a new head",
    summary="a small MobileNet backbone frozen (weights and BN statistics unchanged), a new linear head "
    "trained for a few steps on a small synthetic task: loss drops, accuracy above chance",
    params=(
        Param("steps", int, 40, "training steps of the head", min=30, max=500),
        Param("classes", int, 4, "classes of the new task", min=2, max=5),
    ),
)

IMAGE = 32
# The backbone: MobileNetV1's stem and three of its depthwise separable blocks, (out channels, stride).
BLOCKS = ((32, 2), (64, 2), (128, 1))
BATCH = 32
HELD_OUT = 128
LEARNING_RATE = 0.05


@dataclass(frozen=True)
class TransferNumbers:
    """The training run: losses per step, held-out accuracy, and what changed where."""

    backbone_params: int
    head_params: int
    features: int  # the backbone's output channels, the head's input
    losses: tuple[float, ...]  # training loss at each step
    accuracy_before: float  # held-out accuracy of the untrained head
    accuracy_after: float
    backbone_changed: int  # state_dict tensors (weights and BN buffers) that differ after training
    backbone_grads: int  # backbone parameters that received a gradient
    optimized: int  # parameters the optimizer updates


def make_batch(n: int, classes: int, rng: object) -> tuple[object, object]:
    """n images of a new task: class k is a grating at angle πk/classes in its own tint, plus noise."""
    import math

    import torch

    labels = torch.randint(classes, (n,), generator=rng)  # type: ignore[arg-type]
    angle = labels.double() * math.pi / classes
    axis = torch.linspace(-1, 1, IMAGE, dtype=torch.float64)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    phase = xx * torch.cos(angle).view(-1, 1, 1) + yy * torch.sin(angle).view(-1, 1, 1)
    grating = torch.sin(6 * math.pi * phase).unsqueeze(1)  # (n, 1, H, W)
    tint = torch.stack(
        [torch.cos(angle * 2 + c * 2.1) for c in range(3)], 1
    )  # (n, 3): a colour per class
    noise = torch.randn(n, 3, IMAGE, IMAGE, generator=rng, dtype=torch.float64)  # type: ignore[arg-type]
    images = grating + 0.5 * tint.view(n, 3, 1, 1) + 0.8 * noise  # (n, 3, H, W)
    return images.float(), labels


@TRANSFER.measure
@on_one_thread  # small tensors: on a busy 2-core machine a second thread made runs up to 10x slower
def measure_transfer(s: Settings, ctx: DemoContext) -> TransferNumbers:
    import torch
    from torch import nn
    from torch.nn import functional as F

    from cvquiz.demos import zoo
    from cvquiz.demos.optimizers import SGD
    from cvquiz.demos.zoo.layers import init_weights

    k, dev = s.classes, ctx.device
    # The seeded init stands in for ImageNet weights (nothing is downloaded): what transfer needs
    # is a backbone that is not trained on the new task and stays untouched by it.
    layers, in_ch = [zoo.conv_bn_act(3, 16, stride=2)], 16  # (N, 16, H/2, W/2)
    for out_ch, stride in BLOCKS:
        layers.append(zoo.depthwise_separable(in_ch, out_ch, stride=stride))
        in_ch = out_ch
    backbone = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())  # (N, C)
    init_weights(backbone)  # the zoo's He init, seeded by the run
    # A pretrained backbone's BatchNorm statistics match its inputs: set them once from unlabelled
    # images (a cumulative average over one pass), as a stand-in for ImageNet training.
    calibration, _ = make_batch(HELD_OUT, k, ctx.rng)
    for bn in (m for m in backbone.modules() if isinstance(m, nn.BatchNorm2d)):
        bn.momentum = None
    with torch.no_grad():
        backbone.train()(calibration)
    features = in_ch
    model = nn.Sequential(backbone, nn.Linear(features, k)).to(dev)  # the new head: C·K + K
    head_layer = model[1]
    for p in backbone.parameters():
        p.requires_grad_(False)
    before = {name: t.clone() for name, t in backbone.state_dict().items()}
    head = [p for p in model.parameters() if p.requires_grad]
    optimizer = SGD(head, lr=LEARNING_RATE, momentum=0.9)

    def accuracy(x: torch.Tensor, y: torch.Tensor) -> float:
        model.eval()
        with torch.no_grad():
            return float((model(x).argmax(1) == y).float().mean())

    test_x, test_y = make_batch(HELD_OUT, k, ctx.rng)
    test_x, test_y = test_x.to(dev), test_y.to(dev)
    accuracy_before = accuracy(test_x, test_y)
    losses = []
    for _ in range(s.steps):
        x, y = make_batch(BATCH, k, ctx.rng)
        model.train()
        backbone.eval()  # frozen means its BatchNorm statistics stay as they are, too
        loss = F.cross_entropy(model(x.to(dev)), y.to(dev))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    after = backbone.state_dict()
    return TransferNumbers(
        backbone_params=zoo.count_params(backbone),
        head_params=zoo.count_params(head_layer),
        features=features,
        losses=tuple(losses),
        accuracy_before=accuracy_before,
        accuracy_after=accuracy(test_x, test_y),
        backbone_changed=sum(not torch.equal(before[name], t) for name, t in after.items()),
        backbone_grads=sum(p.grad is not None for p in backbone.parameters()),
        optimized=sum(p.numel() for p in optimizer.params),
    )


def _mean(values: tuple[float, ...]) -> float:
    return sum(values) / len(values)


@TRANSFER.present
def present_transfer(r: TransferNumbers, s: Settings) -> Presentation:
    k = s.classes
    window = max(1, len(r.losses) // 5)
    first, last = _mean(r.losses[:window]), _mean(r.losses[-window:])
    chance = 1 / k
    return Presentation(
        explanation=(
            "Transfer learning reuses a backbone trained on a large dataset (ImageNet) for a new task: swap the "
            "classifier for a new head and train it on the task's data, the backbone frozen or fine-tuned gently.",
            "Here a small MobileNetV1-style backbone (its stem and three depthwise separable blocks) is frozen "
            f"(requires_grad off, BatchNorm in eval mode) and a new {r.features}→{k} "
            f"linear head is trained for {s.steps} SGD steps on a small synthetic {k}-class task "
            f"({IMAGE}×{IMAGE} tinted gratings in noise). The seeded init stands in for ImageNet weights.",
            f"The head has {r.head_params:,} parameters against the backbone's {r.backbone_params:,}: training "
            "it is cheap, and the backbone comes out bit for bit as it went in.",
        ),
        tables=(
            Table(
                title=f"Training only the head ({s.steps} steps, batch {BATCH}, lr {LEARNING_RATE})",
                columns=("quantity", "value"),
                rows=(
                    ("backbone params (frozen)", r.backbone_params),
                    ("head params (trained)", r.head_params),
                    (f"training loss, mean of first {window} steps", round(first, 4)),
                    (f"training loss, mean of last {window} steps", round(last, 4)),
                    (f"held-out accuracy before ({HELD_OUT} images)", r.accuracy_before),
                    ("held-out accuracy after", r.accuracy_after),
                    ("chance", round(chance, 4)),
                ),
            ),
        ),
        checks=(
            check(
                "frozen backbone: every weight and BN statistic unchanged after training",
                expected=0,
                measured=r.backbone_changed,
                source="torch.equal on each backbone state_dict tensor, before vs after",
            ),
            check(
                "frozen backbone: no backbone parameter receives a gradient",
                expected=0,
                measured=r.backbone_grads,
                source="p.grad is None for every backbone parameter after the last backward",
            ),
            check(
                "the optimizer updates only the new head: C·K + K parameters",
                expected=r.features * k + k,
                measured=r.optimized,
                source="formula for a linear head; measured: the parameters the optimizer holds",
            ),
            check(
                "the head learns: the last steps' mean loss is under half the first steps'",
                expected=True,
                measured=last < first / 2,
                source=f"experiment: {first:.3f} → {last:.3f} (means over {window} steps); holds at seeds 0-4 in the tests",
            ),
            check(
                "held-out accuracy after training is at least twice chance",
                expected=True,
                measured=r.accuracy_after >= 2 * chance,
                source=f"experiment: {r.accuracy_after:.1%} on {HELD_OUT} new images vs chance {chance:.1%}; "
                "holds at seeds 0-4 in the tests",
            ),
        ),
        plots=(
            Plot(
                "training loss of the new head",
                kind="line",
                series={"cross-entropy": tuple((i + 1, loss) for i, loss in enumerate(r.losses))},
                x_label="step",
                y_label="cross-entropy",
                note=f"chance level ln {k} = {math.log(k):.3f}",
            ),
        ),
    )
