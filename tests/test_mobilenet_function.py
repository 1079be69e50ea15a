"""The MobileNet-family zoo computes what torchvision computes: same state_dict layout, same outputs.

tests/fixtures/torchvision_mobilenet_reference.json was made once with torchvision 0.29.1 by
tests/fixtures/make_torchvision_reference_mobilenet.py (torchvision is not installed here): each
model's state_dict names and shapes, and its float64 output on a fixed input with every tensor
filled by a formula of its position. The zoo's model, filled by the same formula, must agree.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from torch import nn

from cvquiz.demos import zoo
from cvquiz.demos.zoo import mobilenet as zoo_mobilenet
from cvquiz.demos.zoo import shufflenet as zoo_shufflenet

FIXTURE = Path(__file__).parent / "fixtures" / "torchvision_mobilenet_reference.json"
REFERENCE = json.loads(FIXTURE.read_text())
MODELS = tuple(REFERENCE["models"])


def wave(numel: int, position: int) -> torch.Tensor:
    """sin(0.37·k + position): the generator's formula."""
    return torch.sin(torch.arange(numel, dtype=torch.float64) * 0.37 + position)


def fill_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A copy of make_torchvision_reference_mobilenet.fill_state (the generator needs torchvision)."""
    filled = {}
    for i, (name, tensor) in enumerate(state.items()):
        n = tensor.numel()
        if name.endswith("num_batches_tracked"):
            value = torch.zeros((), dtype=torch.long)
        elif name.endswith("running_var"):
            value = 1 + 0.1 * wave(n, i).abs()
        elif name.endswith("running_mean"):
            value = 0.1 * wave(n, i)
        elif tensor.dim() == 1 and name.endswith("weight"):
            value = 1 + 0.1 * wave(n, i)
        elif tensor.dim() == 1:
            value = 0.1 * wave(n, i)
        else:
            fan_in = n // tensor.shape[0]
            value = wave(n, i) * math.sqrt(4.0 / fan_in)
        filled[name] = value.reshape(tensor.shape)
    return filled


def fixed_input() -> torch.Tensor:
    shape = tuple(REFERENCE["input_shape"])
    return torch.sin(torch.arange(math.prod(shape), dtype=torch.float64) * 0.11).reshape(shape)


def zoo_output(name: str) -> torch.Tensor:
    """The zoo's model with torchvision's formula weights loaded strictly, run in float64."""
    # Built on meta and given empty float64 storage: the formula sets every value, so no init runs.
    model = zoo.build_meta(zoo.MODELS[name].builder).to_empty(device="cpu").double()
    model.load_state_dict(fill_state(model.state_dict()), strict=True)
    with torch.no_grad():
        return model(fixed_input()).flatten()


def expected_output(name: str) -> torch.Tensor:
    return torch.tensor(REFERENCE["models"][name]["output"], dtype=torch.float64)


def assert_matches_torchvision(name: str) -> None:
    # float64 throughout; the fixture keeps 12 significant digits.
    torch.testing.assert_close(zoo_output(name), expected_output(name), rtol=1e-9, atol=1e-10)


def test_the_fixture_covers_every_torchvision_model_of_the_family() -> None:
    # MobileNetV1 is not in torchvision; MNASNet is not in the zoo.
    assert set(MODELS) == {
        "mobilenet_v2",
        "mobilenet_v3_large",
        "mobilenet_v3_small",
        "shufflenet_v2_x1_0",
        "efficientnet_b0",
    }
    assert REFERENCE["torchvision"].startswith("0.29.1") and REFERENCE["dtype"] == "float64"


@pytest.mark.parametrize("name", MODELS)
def test_state_dict_names_and_shapes_are_torchvision_s(name: str) -> None:
    state = zoo.build_meta(zoo.MODELS[name].builder).state_dict()
    ours = [[key, list(value.shape)] for key, value in state.items()]
    assert ours == REFERENCE["models"][name]["state_dict"]


@pytest.mark.parametrize("name", MODELS)
def test_outputs_equal_torchvision_s(name: str) -> None:
    assert_matches_torchvision(name)


def test_the_output_comparison_can_fail() -> None:
    # A different model's reference must not match: the outputs carry the architecture.
    with pytest.raises(AssertionError):
        torch.testing.assert_close(
            zoo_output("mobilenet_v3_small")[:10], expected_output("mobilenet_v3_large")[:10]
        )


# --- planted bugs that keep every count: each must make the comparison fail ---------------------


def _flipped(config: tuple[zoo_mobilenet.V3Block, ...]) -> tuple[zoo_mobilenet.V3Block, ...]:
    return tuple(row._replace(hswish=not row.hswish) for row in config)


def test_swapping_h_swish_and_relu_in_v3_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zoo_mobilenet, "V3_LARGE", _flipped(zoo_mobilenet.V3_LARGE))
    monkeypatch.setattr(zoo_mobilenet, "V3_SMALL", _flipped(zoo_mobilenet.V3_SMALL))
    for name in ("mobilenet_v3_large", "mobilenet_v3_small"):
        with pytest.raises(AssertionError):
            assert_matches_torchvision(name)


def test_a_sigmoid_se_gate_in_v3_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zoo_mobilenet, "HSigmoid", nn.Sigmoid)
    with pytest.raises(AssertionError):
        assert_matches_torchvision("mobilenet_v3_small")


def test_shuffling_4_groups_in_shufflenet_v2_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    shuffle = zoo_shufflenet.channel_shuffle
    monkeypatch.setattr(zoo_shufflenet, "channel_shuffle", lambda x, groups: shuffle(x, 4))
    with pytest.raises(AssertionError):
        assert_matches_torchvision("shufflenet_v2_x1_0")
