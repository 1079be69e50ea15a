"""SGD, Adam and a step-decay LR schedule, written out by hand for the demos that train.

Why not torch.optim: creating the first torch.optim optimizer imports torch._dynamo, about 1 s on
a 2-core machine, more than a demo's whole budget. These classes follow the algorithms documented
for torch.optim.SGD, torch.optim.Adam and torch.optim.lr_scheduler.MultiStepLR, op for op as
torch's single-tensor (CPU) path does them, so results agree to round-off;
tests/test_optimizers.py checks each against torch.optim on the same problem.

Only what the demos use is here: one parameter group, no closures, no state_dict. torch is
imported inside the methods so that importing this module (and listing demos) stays torch-free.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import torch


class HasLR(Protocol):
    """An optimizer whose learning rate a schedule may change between steps."""

    lr: float


class _Optimizer:
    """What SGD and Adam share: the parameters, zero_grad, and a step over those with a gradient."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float) -> None:
        self.params = list(params)
        self.lr = lr

    def zero_grad(self) -> None:
        """Drop the gradients (torch.optim's default, set_to_none=True)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """One update of every parameter that has a gradient."""
        import torch

        with torch.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is not None:
                    self._update(i, p, p.grad)

    def _update(self, i: int, p: torch.Tensor, grad: torch.Tensor) -> None:
        raise NotImplementedError


class SGD(_Optimizer):
    """torch.optim.SGD: stochastic gradient descent with optional momentum and weight decay.

    For each parameter p with gradient g, as documented for torch.optim.SGD:
        g ← g + weight_decay·p                      (if weight_decay ≠ 0)
        b ← g at the first step, else momentum·b + (1 − dampening)·g   (if momentum ≠ 0)
        g ← g + momentum·b if nesterov, else b      (if momentum ≠ 0)
        p ← p − lr·g
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float,
        *,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, lr)
        self.momentum, self.dampening = momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self._buffers: list[torch.Tensor | None] = [None] * len(self.params)

    def _update(self, i: int, p: torch.Tensor, grad: torch.Tensor) -> None:
        p.add_(self._direction(i, p, grad), alpha=-self.lr)

    def _direction(self, i: int, p: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """The step direction of parameter i: its gradient with weight decay and momentum."""
        if self.weight_decay != 0:
            grad = grad.add(p, alpha=self.weight_decay)  # a new tensor: p.grad stays as it was
        if self.momentum == 0:
            return grad
        buf = self._buffers[i]
        if buf is None:
            buf = self._buffers[i] = grad.detach().clone()  # the first step: no damping
        else:
            buf.mul_(self.momentum).add_(grad, alpha=1 - self.dampening)
        return grad.add(buf, alpha=self.momentum) if self.nesterov else buf


class Adam(_Optimizer):
    """torch.optim.Adam (no AMSGrad, no weight decay): Kingma & Ba's algorithm.

    For each parameter p with gradient g at step t = 1, 2, ..., as documented for torch.optim.Adam:
        m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²      (m, v start at 0)
        p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        self.betas, self.eps = betas, eps
        # Per parameter, made at its first gradient as torch does: (steps, m, v).
        self._state: dict[int, tuple[int, torch.Tensor, torch.Tensor]] = {}

    def _update(self, i: int, p: torch.Tensor, grad: torch.Tensor) -> None:
        import torch

        beta1, beta2 = self.betas
        if i not in self._state:
            zeros = torch.zeros_like(p, memory_format=torch.preserve_format)
            self._state[i] = (0, zeros, zeros.clone())
        steps, m, v = self._state[i]
        steps += 1
        self._state[i] = (steps, m, v)
        m.lerp_(grad, 1 - beta1)  # torch's form of β₁·m + (1 − β₁)·g
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        # torch keeps the step count as a float tensor and reads it back as a Python float.
        step_size = self.lr / (1 - beta1 ** float(steps))
        bias_correction2_sqrt = (1 - beta2 ** float(steps)) ** 0.5
        denom = (v.sqrt() / bias_correction2_sqrt).add_(self.eps)
        p.addcdiv_(m, denom, value=-step_size)


class MultiStepLR:
    """torch.optim.lr_scheduler.MultiStepLR: multiply the LR by gamma at each milestone.

    Call step() after each optimizer step; after `milestone` calls the LR is multiplied by gamma
    (by gamma^k for a milestone listed k times), in place on the optimizer as torch does, so a
    decayed LR of 0.1 is 0.1 * 0.1 with the same round-off as torch's.
    """

    def __init__(self, optimizer: HasLR, milestones: Iterable[int], *, gamma: float = 0.1) -> None:
        self.optimizer = optimizer
        self.milestones = Counter(milestones)
        self.gamma = gamma
        self.last_epoch = 0

    def step(self) -> None:
        self.last_epoch += 1
        if self.last_epoch in self.milestones:
            self.optimizer.lr = self.optimizer.lr * self.gamma ** self.milestones[self.last_epoch]
