"""The zoo's ResNet-family models are torchvision's: the same state_dict layout and the same outputs.

tests/fixtures/torchvision_reference.json was written by tests/fixtures/make_torchvision_reference.py
under torchvision 0.29.1; these tests never import torchvision. Each model is built on the meta
device, given the generator's formula weights (so it must read torchvision's names and shapes),
and run in float64 on the generator's input.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from fixtures.make_torchvision_reference import formula_input, formula_tensor
from torch import nn

from cvquiz.demos.zoo import build_meta, count_params
from cvquiz.demos.zoo.registry import MODELS, spec_macs

REFERENCE = json.loads(
    (Path(__file__).parent / "fixtures" / "torchvision_reference.json").read_text()
)["models"]
NAMES = list(REFERENCE)
REL_TOL = 1e-9  # float64 forward passes; the kernels (and their summation order) differ


def formula_model(name: str) -> nn.Module:
    """MODELS[name] holding the generator's formula weights, in float64, eval mode."""
    model = build_meta(MODELS[name].builder)
    state = {
        key: formula_tensor(key, tuple(t.shape), i).to(
            torch.int64 if t.dtype == torch.int64 else torch.float64
        )
        for i, (key, t) in enumerate(model.state_dict().items())
    }
    model.load_state_dict(state, assign=True)  # strict: every torchvision name, nothing else
    return model.eval()


def test_the_fixture_covers_every_torchvision_model_of_the_resnet_family() -> None:
    assert NAMES == [
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d",
        "vgg16", "densenet121", "convnext_tiny", "vit_b_16",
    ]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_names_and_shapes_are_torchvisions(name: str) -> None:
    model = build_meta(MODELS[name].builder)
    layout = [[key, list(t.shape)] for key, t in model.state_dict().items()]
    assert layout == REFERENCE[name]["state_dict"]


@pytest.mark.parametrize("name", NAMES)
def test_params_and_gmacs_are_torchvisions_published_figures(name: str) -> None:
    spec, ref = MODELS[name], REFERENCE[name]
    model = build_meta(spec.builder)
    published = {w["num_params"] for w in ref["weights"].values()}
    assert count_params(model) == spec.reference_params == ref["params"]
    assert published == {ref["params"]}
    gmacs = {w["gmacs"] for w in ref["weights"].values()}
    assert gmacs == {spec.reference_gmacs}
    decimals = len(str(spec.reference_gmacs).split(".")[1])
    assert round(spec_macs(spec, model) / 1e9, decimals) == spec.reference_gmacs


@pytest.mark.parametrize("name", NAMES)
def test_outputs_equal_torchvisions_on_the_same_weights_and_input(name: str) -> None:
    ref = REFERENCE[name]
    model = formula_model(name)
    x = formula_input(tuple(ref["input_shape"]))
    with torch.no_grad():
        out = model(x)
    summary = ref["output"]
    assert list(out.shape) == summary["shape"]
    subset = out[:, :: summary["stride"]].flatten().tolist()
    assert len(subset) == len(summary["subset"])
    scale = math.sqrt(summary["sum_sq"] / out.numel())  # the logits' RMS
    worst = max(abs(a - b) for a, b in zip(subset, summary["subset"], strict=True))
    assert worst <= REL_TOL * scale, f"{name}: max |Δlogit| {worst:.3g} (RMS {scale:.3g})"
    assert math.isclose(
        out.sum().item(), summary["sum"], rel_tol=1e-7, abs_tol=REL_TOL * scale * out.numel()
    )
    assert math.isclose(out.pow(2).sum().item(), summary["sum_sq"], rel_tol=REL_TOL)
