"""The MobileNet family's seeded experiments: their claims hold at every seed, not just seed 0."""

from __future__ import annotations

import pytest

from cvquiz.demos.runner import run_demo

SEEDS = range(5)


def _failed(res) -> list[str]:
    return [c.claim for c in res.checks if not c.passed]


def test_transfer_claims_hold_at_five_seeds() -> None:
    for seed in SEEDS:
        res = run_demo("transfer-learning", seed=seed)
        n = res.numbers
        assert _failed(res) == [], seed
        assert n.backbone_changed == 0 and n.backbone_grads == 0, seed
        assert n.optimized == n.head_params == 128 * 4 + 4, seed
        assert n.accuracy_after >= 0.5, seed  # chance is 0.25
        assert n.losses[-1] < n.losses[0], seed


def test_transfer_is_seeded() -> None:
    first, again = (run_demo("transfer-learning", seed=3).numbers for _ in range(2))
    assert first.losses == again.losses and first.accuracy_after == again.accuracy_after


def test_transfer_with_two_classes() -> None:
    res = run_demo("transfer-learning", settings={"classes": "2", "steps": "30"}, seed=1)
    assert _failed(res) == []
    assert res.numbers.head_params == 128 * 2 + 2


def test_a_backbone_left_in_train_mode_fails_the_frozen_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A plausible slip: requires_grad off but BatchNorm left in train mode updates its statistics.
    from torch import nn

    monkeypatch.setattr(nn.Module, "eval", lambda self: self)
    res = run_demo("transfer-learning", settings={"steps": "30"})
    assert "frozen backbone: every weight and BN statistic unchanged after training" in _failed(res)


def test_linear_bottleneck_claims_hold_at_ten_seeds() -> None:
    for seed in range(10):
        res = run_demo("linear-bottleneck", seed=seed)
        assert _failed(res) == [], seed
        recovered = {row.dims: row.recovered for row in res.numbers.rows}
        assert recovered[15] == recovered[30] == 1.0, seed
        assert recovered[2] < 0.5 and recovered[3] <= 0.51, seed  # shown, not checked
