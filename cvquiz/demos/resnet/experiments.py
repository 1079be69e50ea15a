"""Experiments that train, in seconds on a CPU: degradation (Q2) and learning a near-identity (Q5).

Both are seeded (the data from ctx.rng, the weights from the seed), and run on one CPU thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import HE_2015, single_thread
from cvquiz.demos.result import Plot, Presentation, Table, check
from cvquiz.demos.runner import DemoContext

# Q2: the degradation problem, trained.

DEGRADATION = demo(
    "degradation",
    title="Degradation: a deeper plain net trains worse; its ResNet twin does not",
    summary="Trains plain CIFAR nets of 8 and 32 layers and the 32-layer ResNet on one small task.",
    params=(
        Param("shallow", int, 8, "layers of the shallow plain net (6n+2)", choices=(8, 14, 20)),
        Param(
            "deep", int, 32, "layers of the deep nets (6n+2)", choices=(26, 32)
        ),  # 38 and 44 need more than 100 steps
        Param("steps", int, 40, "full-batch SGD steps", min=20, max=100),
    ),
)

# The task: memorise random labels of 64 random 4x4 images. Its training loss measures how well
# the optimiser fits, nothing else (no test set, so no overfitting to blame).
SAMPLES, IMAGE, CLASSES = 64, 4, 10
LR, MOMENTUM = 0.1, 0.9
FINAL_STEPS = 5  # the final loss is the mean of the last 5 steps
MARGIN = 0.05  # nats: differences smaller than this are not called higher or lower


@dataclass(frozen=True)
class DegradationNumbers:
    """Training-loss curves of three nets trained on the same data from the same seed."""

    curves: tuple[tuple[float, ...], ...]  # plain shallow, plain deep, residual deep
    finals: tuple[float, ...]  # mean of the last FINAL_STEPS losses, 4 decimals
    params: tuple[int, ...]


def _train_cifar_net(depth: int, *, plain: bool, x, y, steps: int, seed: int) -> tuple[list, int]:
    """Full-batch SGD with momentum on zoo.cifar_resnet(depth); the loss at every step."""
    import torch
    import torch.nn.functional as F

    from cvquiz.demos import zoo
    from cvquiz.demos.optimizers import SGD

    torch.manual_seed(seed)  # the same weights for the ResNet and its plain twin
    model = zoo.cifar_resnet(depth, plain=plain).to(x.device).train()
    opt = SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, zoo.count_params(model)


@DEGRADATION.measure
def measure_degradation(s: Settings, ctx: DemoContext) -> DegradationNumbers:
    import torch

    x = torch.randn(SAMPLES, 3, IMAGE, IMAGE, generator=ctx.rng).to(ctx.device)  # (N, 3, 4, 4)
    y = torch.randint(0, CLASSES, (SAMPLES,), generator=ctx.rng).to(ctx.device)
    runs = []
    with single_thread():
        for depth, plain in ((s.shallow, True), (s.deep, True), (s.deep, False)):
            runs.append(
                _train_cifar_net(depth, plain=plain, x=x, y=y, steps=s.steps, seed=ctx.seed)
            )
    return DegradationNumbers(
        curves=tuple(tuple(round(v, 5) for v in losses) for losses, _ in runs),
        finals=tuple(round(sum(losses[-FINAL_STEPS:]) / FINAL_STEPS, 4) for losses, _ in runs),
        params=tuple(params for _, params in runs),
    )


@DEGRADATION.present
def present_degradation(n: DegradationNumbers, s: Settings) -> Presentation:
    shallow, deep, residual = n.finals
    names = (f"plain-{s.shallow}", f"plain-{s.deep}", f"ResNet-{s.deep}")
    checks = (
        check(
            f"degradation: plain-{s.deep} ends with a higher training loss than plain-{s.shallow}",
            expected=True,
            measured=deep > shallow + MARGIN,
            source=f"{HE_2015}, Fig. 1 and Table 2 (training error; here by > {MARGIN} nats)",
        ),
        check(
            f"ResNet-{s.deep} (same weights, identity shortcuts) ends below plain-{s.deep}",
            expected=True,
            measured=residual < deep - MARGIN,
            source=f"{HE_2015}, Fig. 4 (here by > {MARGIN} nats)",
        ),
        check(
            f"ResNet-{s.deep} does not degrade: it ends no higher than plain-{s.shallow}",
            expected=True,
            measured=residual <= shallow + MARGIN,
            source=f"{HE_2015}, sec. 4.1: deeper ResNets reach lower training error (± {MARGIN})",
        ),
        check(
            f"ResNet-{s.deep} and plain-{s.deep} have exactly the same parameters",
            expected=n.params[1],
            measured=n.params[2],
            source="option A shortcuts (identity, zero padding) have no parameters",
        ),
    )
    return Presentation(
        explanation=(
            f"Three CIFAR-style nets (He et al. 2015, sec. 4.2) learn the same task: {SAMPLES} random "
            f"{IMAGE}x{IMAGE} images with random labels, full batch, SGD (lr {LR}, momentum "
            f"{MOMENTUM}), {s.steps} steps. Random labels leave nothing to generalise: the training "
            "loss measures only how well the optimiser fits.",
            f"plain-{s.deep} can represent anything plain-{s.shallow} can (extra layers could be "
            "identities), yet it ends with a higher training loss: that is degradation, an "
            "optimisation difficulty, not overfitting. Its ResNet twin has the same layers and "
            "the same initial weights; only the identity shortcuts differ, and it trains as well "
            "as the shallow net or better.",
        ),
        tables=(
            Table(
                f"Training loss (mean of the last {FINAL_STEPS} steps)",
                ("net", "layers", "params", "final loss"),
                tuple(
                    (name, depth, params, final)
                    for name, depth, params, final in zip(
                        names, (s.shallow, s.deep, s.deep), n.params, n.finals, strict=True
                    )
                ),
            ),
        ),
        plots=(
            Plot(
                "Training loss by step",
                "line",
                {
                    name: [(step, loss) for step, loss in enumerate(curve, 1)]
                    for name, curve in zip(names, n.curves, strict=True)
                },
                x_label="step",
                y_label="cross-entropy",
            ),
        ),
        checks=checks,
    )


# Q5: learning a mapping close to the identity, with and without the shortcut.

NEAR_IDENTITY = demo(
    "near-identity",
    title="Learning a near-identity mapping: residual vs plain block",
    summary="Fits H(x) = x + 0.1·tanh(Ax) with y = x + F(x) and with y = F(x): steps to a 1% loss.",
    params=(
        Param("width", int, 32, "features d of x (and hidden units of F)", min=8, max=128),
        Param("max_steps", int, 800, "steps before giving up", min=500, max=2000),
    ),
)

SAMPLES_ID, PERTURBATION, THRESHOLD, ADAM_LR = 256, 0.1, 0.01, 0.003
SPEEDUP = 5  # the residual block must get there in at most 1/5 of the plain block's steps
PLOT_EVERY = 5


@dataclass(frozen=True)
class NearIdentityNumbers:
    """Relative loss curves of a residual and a plain block, from the same weights."""

    curves: tuple[tuple[float, ...], ...]  # residual, plain: MSE / Var(target) per step
    steps: tuple[int | None, ...]  # steps to reach THRESHOLD (None: not within max_steps)


def _fit(residual: bool, x, target, *, width: int, max_steps: int, seed: int) -> list[float]:
    """Adam on y = x + F(x) (residual) or y = F(x), F = fc2(ReLU(fc1(x))), until the threshold."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    from cvquiz.demos.optimizers import Adam

    torch.manual_seed(seed)  # the same F for both blocks
    fc1, fc2 = nn.Linear(width, width).to(x.device), nn.Linear(width, width).to(x.device)
    opt = Adam([*fc1.parameters(), *fc2.parameters()], lr=ADAM_LR)
    var = target.var().item()
    losses = []
    for _ in range(max_steps):
        f = fc2(F.relu(fc1(x)))  # (N, d)
        loss = F.mse_loss(x + f if residual else f, target)
        losses.append(loss.item() / var)
        if losses[-1] < THRESHOLD:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return losses


@NEAR_IDENTITY.measure
def measure_near_identity(s: Settings, ctx: DemoContext) -> NearIdentityNumbers:
    import torch

    x = torch.randn(SAMPLES_ID, s.width, generator=ctx.rng)  # (N, d)
    a = torch.randn(s.width, s.width, generator=ctx.rng) / s.width**0.5
    target = (x + PERTURBATION * torch.tanh(x @ a.T)).to(ctx.device)  # H(x): x, nudged
    x = x.to(ctx.device)
    with single_thread():
        curves = [
            _fit(residual, x, target, width=s.width, max_steps=s.max_steps, seed=ctx.seed)
            for residual in (True, False)
        ]
    return NearIdentityNumbers(
        curves=tuple(tuple(round(v, 6) for v in c) for c in curves),
        steps=tuple(len(c) - 1 if c[-1] < THRESHOLD else None for c in curves),
    )


@NEAR_IDENTITY.present
def present_near_identity(n: NearIdentityNumbers, s: Settings) -> Presentation:
    residual, plain = n.curves
    res_steps, plain_steps = n.steps
    # A plain block that never gets there took more than max_steps: a lower bound.
    plain_bound = plain_steps if plain_steps is not None else s.max_steps
    checks = (
        check(
            f"the residual block reaches a loss of {THRESHOLD:.0%} of Var(H) within {s.max_steps} steps",
            expected=True,
            measured=res_steps is not None,
            source="MSE / Var(target), Adam",
        ),
        check(
            f"it gets there in at most 1/{SPEEDUP} of the plain block's steps",
            expected=True,
            measured=res_steps is not None and SPEEDUP * res_steps <= plain_bound,
            source=f"{HE_2015}, sec. 3.1: if the optimum is near the identity, a residual is "
            "easier to learn",
        ),
        check(
            f"the plain block gets there too within {s.max_steps} steps: slower, not incapable",
            expected=True,
            measured=plain_steps is not None,
            source="F(x) = fc2(ReLU(fc1(x))) can represent H; the optimiser takes longer",
        ),
        check(
            "at initialisation the residual block is already 4x closer to H than the plain one",
            expected=True,
            measured=4 * residual[0] < plain[0],
            source="y = x + F(x) starts at x when F is small; y = F(x) must build x itself",
        ),
    )

    def shown(steps: int | None) -> int | str:
        return steps if steps is not None else f"> {s.max_steps}"

    return Presentation(
        explanation=(
            f"The target is close to the identity: H(x) = x + {PERTURBATION}·tanh(Ax) on "
            f"{SAMPLES_ID} random {s.width}-d vectors. Two blocks start from the same weights "
            "of F = fc2(ReLU(fc1(x))): the residual one outputs x + F(x), the plain one F(x).",
            "The residual block only has to learn the small perturbation (F ≈ 0.1·tanh(Ax)); the "
            "plain one must rebuild x itself through a ReLU layer. Same optimiser (Adam), same "
            "data: the residual block gets there many times faster.",
        ),
        tables=(
            Table(
                f"Steps to a loss below {THRESHOLD:.0%} of Var(H)",
                ("block", "y =", "loss at step 0", "steps"),
                (
                    ("residual", "x + F(x)", round(residual[0], 4), shown(res_steps)),
                    ("plain", "F(x)", round(plain[0], 4), shown(plain_steps)),
                ),
                note="loss: MSE / Var(H), so 1 is as bad as predicting the mean.",
            ),
        ),
        plots=(
            Plot(
                "Relative loss by step",
                "line",
                {
                    name: [(i, max(v, 1e-9)) for i, v in enumerate(curve) if i % PLOT_EVERY == 0]
                    + [(len(curve) - 1, max(curve[-1], 1e-9))]
                    for name, curve in (("residual", residual), ("plain", plain))
                },
                x_label="step",
                y_label="MSE / Var(H)",
                log_y=True,
            ),
        ),
        checks=checks,
    )
