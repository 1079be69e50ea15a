"""The hand-written optimizers equal torch.optim (the oracle) step for step on the same problem."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable

import pytest
import torch
from torch import nn

from cvquiz.demos import optimizers

STEPS = 8


def _problem(seed: int) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A small MLP and a regression batch; a frozen layer checks that grad-less params are skipped."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3), nn.Linear(3, 2))
    model[3].requires_grad_(False)
    x, y = torch.randn(20, 6, generator=gen), torch.randn(20, 2, generator=gen)
    return model, x, y


def _train(model: nn.Module, x, y, make_opt: Callable, make_schedule: Callable | None) -> list:
    """STEPS full-batch steps; the parameters after each step and the LR each step used."""
    params = list(model.parameters())
    opt = make_opt(params)
    schedule = make_schedule(opt) if make_schedule else None
    history = []
    for _ in range(STEPS):
        loss = nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if schedule:
            schedule.step()
        history.append([p.detach().clone() for p in params])
    return history


def _assert_same(ours: list, theirs: list) -> None:
    assert len(ours) == len(theirs) == STEPS
    for step, (mine, ref) in enumerate(zip(ours, theirs, strict=True)):
        for a, b in zip(mine, ref, strict=True):
            torch.testing.assert_close(a, b, msg=lambda m, step=step: f"step {step + 1}: {m}")


SGD_SETTINGS = (
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.9, "weight_decay": 1e-2},
    {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 1e-3},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
)


ADAM_SETTINGS = ({"lr": 0.01}, {"lr": 0.003, "betas": (0.8, 0.99), "eps": 1e-6})
CASES = [("SGD", kwargs) for kwargs in SGD_SETTINGS] + [
    ("Adam", kwargs) for kwargs in ADAM_SETTINGS
]


@pytest.mark.parametrize(
    ("name", "kwargs"), CASES, ids=[f"{name}:{','.join(kwargs)}" for name, kwargs in CASES]
)
@pytest.mark.parametrize("seed", (0, 1))
def test_each_optimizer_equals_torch_optim(name: str, kwargs: dict, seed: int) -> None:
    model, x, y = _problem(seed)
    twin = copy.deepcopy(model)
    ours = _train(model, x, y, lambda p: getattr(optimizers, name)(p, **kwargs), None)
    theirs = _train(twin, x, y, lambda p: getattr(torch.optim, name)(p, **kwargs), None)
    _assert_same(ours, theirs)
    assert not torch.equal(ours[0][0], ours[-1][0])  # it moved: the comparison is not vacuous


def test_frozen_parameters_are_left_alone() -> None:
    model, x, y = _problem(0)
    frozen = model[3].weight.detach().clone()
    _train(model, x, y, lambda p: optimizers.SGD(p, lr=0.1, momentum=0.9), None)
    _train(model, x, y, lambda p: optimizers.Adam(p, lr=0.1), None)
    assert torch.equal(model[3].weight, frozen)


def test_multistep_lr_equals_torch_schedule_and_its_training() -> None:
    milestones, gamma = [3, 5, 5], 0.1  # a repeated milestone multiplies by gamma twice
    model, x, y = _problem(2)
    twin = copy.deepcopy(model)
    ours_lrs: list[float] = []
    theirs_lrs: list[float] = []

    def ours_schedule(opt):
        return _Recording(optimizers.MultiStepLR(opt, milestones, gamma=gamma), ours_lrs, opt)

    def theirs_schedule(opt):
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=gamma)
        return _Recording(sched, theirs_lrs, opt)

    kwargs = {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4}
    ours = _train(model, x, y, lambda p: optimizers.SGD(p, **kwargs), ours_schedule)
    theirs = _train(twin, x, y, lambda p: torch.optim.SGD(p, **kwargs), theirs_schedule)
    assert ours_lrs == theirs_lrs  # exactly: the same products in the same order
    assert len(set(ours_lrs)) == 3
    _assert_same(ours, theirs)


class _Recording:
    """Wraps a schedule: records the LR the optimizer holds after each schedule step."""

    def __init__(self, schedule, record: list[float], opt) -> None:
        self.schedule, self.record, self.opt = schedule, record, opt

    def step(self) -> None:
        self.schedule.step()
        lr = self.opt.lr if hasattr(self.opt, "lr") else self.opt.param_groups[0]["lr"]
        self.record.append(lr)


def test_nesterov_needs_momentum_like_torch() -> None:
    params = [nn.Parameter(torch.zeros(2))]
    with pytest.raises(ValueError):
        torch.optim.SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError):
        optimizers.SGD(params, lr=0.1, nesterov=True)


def test_training_with_them_imports_neither_torch_optim_nor_dynamo() -> None:
    # The reason the module exists: torch.optim's first optimizer imports torch._dynamo (~1 s).
    code = (
        "import sys, torch\n"
        "from cvquiz.demos import optimizers\n"
        "p = torch.nn.Parameter(torch.ones(3))\n"
        "for opt in (optimizers.SGD([p], lr=0.1, momentum=0.9), optimizers.Adam([p])):\n"
        "    sched = optimizers.MultiStepLR(opt, [1])\n"
        "    (p * p).sum().backward(); opt.step(); sched.step(); opt.zero_grad()\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_importing_the_module_does_not_import_torch() -> None:
    code = "import sys\nimport cvquiz.demos.optimizers\nprint('torch' in sys.modules)\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
