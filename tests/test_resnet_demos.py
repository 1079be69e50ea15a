"""The ResNet demos reproduce published counts, agree with torch's FLOP counter, and refuse bad settings."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from functools import cache
from typing import Any

import pytest

from cvquiz.demos.registry import all_demos, run_demo
from cvquiz.demos.result import MACS_CONVENTION, DemoResult
from cvquiz.errors import CvquizError

# In registration order: blocks, models, detection, comparisons, training.
RESNET_DEMOS = (
    "residual-block",
    "projection-shortcut",
    "bottleneck-cost",
    "pre-activation",
    "zero-init-residual",
    "resnet-depths",
    "resnext-groups",
    "cifar-resnets",
    "fpn-features",
    "segmentation-decoder",
    "vgg-vs-resnet",
    "densenet-vs-resnet",
    "he-init",
    "gradient-highway",
)
RESNET_MODULES = ("blocks", "models", "detection", "comparisons", "training")
MACS = MACS_CONVENTION


@cache
def default_run(demo_id: str) -> DemoResult:
    """Each demo with its defaults, run once for the whole module."""
    return run_demo(demo_id)


def table(result: DemoResult, title_start: str) -> list[dict[str, Any]]:
    """The rows of the table whose title starts with `title_start`, as column -> cell dicts."""
    (found,) = [t for t in result.tables if t.title.startswith(title_start)]
    return [dict(zip(found.columns, row, strict=True)) for row in found.rows]


def failed(result: DemoResult) -> list[str]:
    return [
        f"{c.claim}: expected {c.expected}, measured {c.measured}"
        for c in result.checks
        if not c.passed
    ]


def test_the_registry_lists_every_resnet_demo_in_order() -> None:
    ids = [spec.id for spec in all_demos() if spec.func.__module__.startswith("cvquiz.demos.resnet.")]
    assert ids == list(RESNET_DEMOS)
    modules = {spec.func.__module__ for spec in all_demos() if spec.id in RESNET_DEMOS}
    assert modules == {f"cvquiz.demos.resnet.{m}" for m in RESNET_MODULES}


def test_importing_the_demo_modules_does_not_import_torch() -> None:
    modules = ", ".join(f"cvquiz.demos.resnet.{m}" for m in RESNET_MODULES)
    code = f"import sys, {modules}; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("demo_id", RESNET_DEMOS)
def test_every_check_passes_with_defaults(demo_id: str) -> None:
    result = default_run(demo_id)
    assert result.demo_id == demo_id
    assert len(result.checks) >= 4
    assert failed(result) == []
    assert result.passed
    json.dumps(result.to_dict())  # JSON-ready: no tensors, no numpy scalars


@pytest.mark.parametrize("demo_id", RESNET_DEMOS)
def test_a_demo_that_shows_macs_states_its_convention(demo_id: str) -> None:
    result = default_run(demo_id)
    shows_macs = any("MACs" in col for t in result.tables for col in t.columns) or any(
        "MACs" in c.claim for c in result.checks
    )
    assert (result.convention == MACS) if shows_macs else (result.convention is None)


def test_residual_block_counts_f_and_shows_where_relu_breaks_y_minus_x() -> None:
    result = default_run("residual-block")
    rows = table(result, "The residual equation")
    assert [r["y − x == F(x)"] for r in rows] == ["no", "yes", "yes"]
    assert rows[0]["min y"] == 0.0 and rows[1]["min y"] < 0 and rows[2]["min y"] < 0
    assert 0.4 < rows[0]["share differing"] < 0.6
    assert [r["share differing"] for r in rows[1:]] == [0.0, 0.0]
    (shape,) = [c for c in result.checks if "input's shape" in c.claim]
    assert (shape.expected, shape.measured) == ("2×64×56×56", "2×64×56×56")
    params = table(result, "Parameters of F")
    assert params[-1]["params"] == 2 * 9 * 64 * 64 + 4 * 64 == 73_984


def test_residual_block_with_other_settings() -> None:
    result = run_demo("residual-block", settings={"channels": "16", "size": "7"})
    assert result.passed, failed(result)
    assert table(result, "Parameters of F")[-1]["params"] == 2 * 9 * 16 * 16 + 4 * 16
    assert result.params == {"channels": 16, "size": 7}


def test_projection_shortcut_defaults_need_a_projection() -> None:
    result = default_run("projection-shortcut")
    costs = {r["part"]: r["params"] for r in table(result, "Parameter cost")}
    assert costs["projection shortcut"] == 64 * 128 + 2 * 128 == 8_448
    assert costs["residual branch F"] == 9 * 64 * 128 + 9 * 128 * 128 + 4 * 128
    shapes = {r["tensor"]: r["shape"] for r in table(result, "Basic block")}
    assert shapes["identity add F(x) + x"] == "shape mismatch"
    assert shapes["projection W_s·x"] == shapes["F(x)"] == "1×128×28×28"
    assert [r["params"] for r in table(result, "ResNet-34's projection")] == [
        8_448,
        33_280,
        132_096,
    ]
    options = [r["extra params"] for r in table(result, "ResNet-34 shortcut options")]
    assert options == [0, 173_824, 1_092_992]


def test_projection_shortcut_stride_1_equal_channels_needs_none() -> None:
    result = run_demo(
        "projection-shortcut", settings={"stride": "1", "in_channels": "64", "out_channels": "64"}
    )
    assert result.passed, failed(result)
    costs = {r["part"]: r["params"] for r in table(result, "Parameter cost")}
    assert costs["projection shortcut"] == 0
    shapes = {r["tensor"]: r["shape"] for r in table(result, "Basic block")}
    assert shapes["identity add F(x) + x"] == "works"
    assert shapes["projection W_s·x"] == "not needed"


@pytest.mark.parametrize(
    ("settings", "extra"),
    [
        ({"stride": "1", "in_channels": "64", "out_channels": "128"}, 64 * 128 + 256),
        ({"stride": "2", "in_channels": "64", "out_channels": "64"}, 64 * 64 + 128),
        # One input channel would broadcast in `F(x) + x`; the shapes still differ.
        ({"stride": "1", "in_channels": "1", "out_channels": "64"}, 64 + 128),
    ],
)
def test_projection_shortcut_when_stride_or_channels_change(
    settings: dict[str, str], extra: int
) -> None:
    result = run_demo("projection-shortcut", settings=settings)
    assert result.passed, failed(result)
    costs = {r["part"]: r["params"] for r in table(result, "Parameter cost")}
    assert costs["projection shortcut"] == extra


def test_bottleneck_cost_at_256_channels() -> None:
    result = default_run("bottleneck-cost")
    rows = {r["block"]: r for r in table(result, "Blocks at 56x56")}
    bottleneck = rows["bottleneck at C"]
    wide = rows["2 × 3x3 at C"]
    narrow = rows["2 × 3x3 at C/4"]
    assert bottleneck["MACs analytic"] == bottleneck["MACs counter"] == 218_365_952
    assert wide["MACs analytic"] == wide["MACs counter"] == 3_699_376_128
    assert narrow["MACs counter"] == 231_211_008
    assert (bottleneck["params"], wide["params"]) == (70_400, 1_180_672)
    assert wide["MACs counter"] / bottleneck["MACs counter"] == pytest.approx(288 / 17)
    layers = [r["MACs"] for r in table(result, "Bottleneck layers")]
    assert layers == [51_380_224, 115_605_504, 51_380_224]


def test_bottleneck_cost_ratio_does_not_depend_on_width() -> None:
    result = run_demo("bottleneck-cost", settings={"channels": "512", "size": "14"})
    assert result.passed, failed(result)
    rows = {r["block"]: r for r in table(result, "Blocks at 14x14")}
    ratio = rows["2 × 3x3 at C"]["MACs counter"] / rows["bottleneck at C"]["MACs counter"]
    assert ratio == pytest.approx(288 / 17)


def test_resnet_depths_table() -> None:
    result = default_run("resnet-depths")
    rows = table(result, "ResNets")
    assert [r["model"] for r in rows] == [f"ResNet-{d}" for d in (18, 34, 50, 101, 152)]
    assert [r["block"] for r in rows] == ["basic"] * 2 + ["bottleneck"] * 3
    assert [r["blocks per stage"] for r in rows] == [
        "2-2-2-2", "3-4-6-3", "3-4-6-3", "3-4-23-3", "3-8-36-3",
    ]  # fmt: skip
    assert [r["layers"] for r in rows] == [18, 34, 50, 101, 152]
    assert [r["params"] for r in rows] == [
        11_689_512,
        21_797_672,
        25_557_032,
        44_549_160,
        60_192_808,
    ]
    macs = table(result, "GMACs at 224x224")
    assert [r["V1.5"] for r in macs] == [1.814, 3.664, 4.089, 7.801, 11.514]
    assert [r["V1.5"] for r in macs] == [r["torchvision"] for r in macs]
    assert [r["V1"] for r in macs] == [1.814, 3.664, 3.858, 7.57, 11.282]
    assert [r["paper"] for r in macs] == [1.8, 3.6, 3.8, 7.6, 11.3]
    # Table 1 rounds 1.814, 7.570 and 11.282 (±0.05) but truncates 3.664 and 3.858 to one decimal.
    for name, r in zip(("18", "34", "50", "101", "152"), macs, strict=True):
        if name in ("34", "50"):
            assert math.floor(r["V1"] * 10) / 10 == r["paper"], name
            assert abs(r["V1"] - r["paper"]) > 0.05, name  # rounding would not give the printed figure
        else:
            assert abs(r["V1"] - r["paper"]) <= 0.05, name
    paper_checks = [c for c in result.checks if "(V1, paper)" in c.claim]
    assert [c.tolerance for c in paper_checks] == ["±0.05", "exact", "exact", "±0.05", "±0.05"]
    assert [c.measured for c in paper_checks] == [1.814, 3.6, 3.8, 7.57, 11.282]


@pytest.mark.parametrize("name", ["resnet50", "resnet101", "resnet152"])
def test_resnet_depths_v1_shortcut_matches_a_full_v1_build(name: str) -> None:
    """The demo derives V1 from V1.5 minus the first-block difference; a whole V1 model agrees."""
    from cvquiz.demos import zoo

    rows = {r["model"]: r for r in table(default_run("resnet-depths"), "GMACs at 224x224")}
    v1 = zoo.analytic_macs(zoo.build_meta(zoo.MODELS[name].builder, variant="v1"))
    assert round(v1 / 1e9, 3) == rows[f"ResNet-{name.removeprefix('resnet')}"]["V1"]
    diffs = table(default_run("resnet-depths"), "Where V1 and V1.5 differ")
    v15 = zoo.analytic_macs(zoo.build_meta(zoo.MODELS[name].builder))
    assert v15 - v1 == sum(r["V1.5 MACs"] - r["V1 MACs"] for r in diffs) == 231_211_008


def test_pre_activation_identity_path() -> None:
    result = default_run("pre-activation")
    zero = {r["block"]: r for r in table(result, "F zeroed")}
    assert zero["pre-activation (v2)"]["exact"] == zero["post-activation"]["exact"] == "yes"
    assert (
        zero["pre-activation (v2)"]["share ≠ x"],
        zero["pre-activation (v2)"]["zero gradients"],
    ) == (0.0, 0.0)
    assert (
        0.4
        < zero["post-activation"]["zero gradients"]
        == zero["post-activation"]["share ≠ x"]
        < 0.6
    )
    order = {r["block"]: r for r in table(result, "Where BN and ReLU sit")}
    assert order["post-activation"]["min output"] == 0.0
    assert order["pre-activation (v2)"]["min output"] < 0


def test_pre_activation_single_block() -> None:
    result = run_demo("pre-activation", settings={"depth": "1", "channels": "8", "size": "4"})
    assert result.passed, failed(result)


def test_zero_init_residual_makes_every_resnet50_branch_zero() -> None:
    result = default_run("zero-init-residual")
    blocks = table(result, "Single blocks")
    assert [r["equal"] for r in blocks] == ["no", "yes", "no", "yes"]
    assert [r["max |block(x) − ReLU(x)|"] == 0.0 for r in blocks] == [False, True, False, True]
    full = table(result, "ResNet-50 residual branches")
    assert [(r["branches"], r["output exactly 0"]) for r in full] == [(16, 16), (16, 0)]


def test_resnext_groups_counts() -> None:
    result = default_run("resnext-groups")
    models = {r["model"]: r for r in table(result, "Whole models")}
    assert models["ResNet-50"]["params"] == 25_557_032
    assert models["ResNeXt-50 32x4d"]["params"] == 25_028_904
    assert (models["ResNet-50"]["GMACs"], models["ResNeXt-50 32x4d"]["GMACs"]) == (4.089, 4.23)
    convs = table(result, "A 128-channel 3x3 conv")
    assert [(r["params"], r["MACs"]) for r in convs] == [
        (147_456, 462_422_016),
        (4_608, 14_450_688),
    ]
    block = [r for r in table(result, "Stage-1 bottleneck") if r["conv"] == "conv2"]
    assert [(r["shape"], r["groups"]) for r in block] == [("3x3 64→64", 1), ("3x3 128→128", 32)]


def test_resnext_groups_setting() -> None:
    result = run_demo("resnext-groups", settings={"groups": "4"})
    assert result.passed, failed(result)
    assert table(result, "A 128-channel 3x3 conv")[1]["params"] == 9 * 128 * 128 // 4


def test_fpn_features_at_224() -> None:
    result = default_run("fpn-features")
    rows = table(result, "resnet50 features at 224x224")
    assert [(r["level"], r["stride"], r["channels"], r["H×W"]) for r in rows] == [
        ("C2", 4, 256, "56x56"),
        ("C3", 8, 512, "28x28"),
        ("C4", 16, 1024, "14x14"),
        ("C5", 32, 2048, "7x7"),
    ]
    costs = {r["part"]: r["params"] for r in table(result, "FPN cost")}
    assert costs["lateral 1x1 convs"] == (256 + 512 + 1024 + 2048) * 256 + 4 * 256 == 984_064
    assert costs["FPN total"] == 3_344_384


def test_fpn_features_at_800_with_resnet18() -> None:
    result = run_demo("fpn-features", settings={"size": "800", "backbone": "resnet18"})
    assert result.passed, failed(result)
    rows = table(result, "resnet18 features at 800x800")
    assert [(r["channels"], r["H×W"]) for r in rows] == [
        (64, "200x200"),
        (128, "100x100"),
        (256, "50x50"),
        (512, "25x25"),
    ]


def test_segmentation_decoder_restores_the_resolution() -> None:
    result = default_run("segmentation-decoder")
    rows = {r["tensor"]: r for r in table(result, "resnet50 U-Net at 224x224")}
    assert (rows["C5"]["stride"], rows["C5"]["H×W"]) == (32, "7x7")
    assert (rows["logits"]["channels"], rows["logits"]["H×W"]) == (21, "224x224")
    params = {r["part"].split(" (")[0]: r["params"] for r in table(result, "Parameters")}
    assert params["encoder"] == 25_557_032 - (2048 * 1000 + 1000)
    assert params["decoder"] == 9_012_928


def test_segmentation_decoder_with_resnet18_at_512() -> None:
    result = run_demo(
        "segmentation-decoder", settings={"backbone": "resnet18", "size": "512", "classes": "2"}
    )
    assert result.passed, failed(result)
    rows = {r["tensor"]: r for r in table(result, "resnet18 U-Net at 512x512")}
    assert (rows["C5"]["channels"], rows["logits"]["H×W"]) == (512, "512x512")


def test_vgg_vs_resnet_numbers() -> None:
    result = default_run("vgg-vs-resnet")
    rows = {r["model"]: r for r in table(result, "Parameters")}
    vgg, r50 = rows["VGG-16"], rows["ResNet-50"]
    assert (vgg["params"], vgg["in FC layers"], vgg["FC share"]) == (
        138_357_544,
        123_642_856,
        0.8936,
    )
    assert (r50["params"], r50["in FC layers"], r50["FC share"]) == (25_557_032, 2_049_000, 0.0802)
    macs = {r["model"]: r for r in table(result, "GMACs at 224x224")}
    assert (
        macs["VGG-16"]["all layers"],
        macs["VGG-16"]["conv layers"],
        macs["VGG-16"]["paper"],
    ) == (
        15.47,
        15.347,
        15.3,
    )
    assert (macs["ResNet-50 (V1.5)"]["all layers"], macs["ResNet-50 (V1)"]["all layers"]) == (
        4.089,
        3.858,
    )


def test_densenet_vs_resnet_channels_grow() -> None:
    result = default_run("densenet-vs-resnet")
    rows = table(result, "Dense blocks")
    assert [(r["in k0"], r["out k0 + L·k"]) for r in rows] == [
        (64, 256),
        (128, 512),
        (256, 1024),
        (512, 1024),
    ]
    assert rows[0]["concat reads"] == sum(64 + 32 * i for i in range(6)) * 56 * 56 == 2_709_504
    assert [r["concat reads"] > r["ResNet-50"] for r in rows] == [True] * 4
    models = {r["model"]: r for r in table(result, "Whole models")}
    assert (models["DenseNet-121"]["params"], models["DenseNet-121"]["GMACs"]) == (7_978_856, 2.834)


def test_cifar_resnets_and_plain_twins() -> None:
    rows = table(default_run("cifar-resnets"), "CIFAR-10 nets")
    assert [r["params"] for r in rows] == [269_722, 464_154, 658_586, 853_018, 1_727_962]
    assert [r["plain twin"] for r in rows] == [r["params"] for r in rows]
    assert [r["MACs"] for r in rows if r["plain MACs"] is not None] == [
        r["plain MACs"] for r in rows if r["plain MACs"] is not None
    ]
    assert [r["paper M"] for r in rows] == [0.27, 0.46, 0.66, 0.85, 1.7]
    assert [r["plain MACs"] is not None for r in rows] == [True, False, False, True, False]


def test_he_init_factors() -> None:
    rows = {r["init"]: r for r in table(default_run("he-init"), "Per-layer factor")}
    assert [r["expected"] for r in rows.values()] == [0.0288, 0.5, 1.0]  # fan_in = 9·64 = 576
    for r in rows.values():
        assert r["forward"] == pytest.approx(r["expected"], rel=0.15)
        assert r["backward"] == pytest.approx(r["expected"], rel=0.15)
    trace = table(default_run("he-init"), "Mean square of the activations")
    assert [r["layer"] for r in trace] == [0, 5, 10, 15, 20, 25, 30]
    assert float(trace[-1]["Xavier"]) < 1e-6 < float(trace[-1]["He"])


def test_gradient_highway_norms() -> None:
    rows = {
        (r["stack"], r["init"]): r for r in table(default_run("gradient-highway"), "Gradient norm")
    }
    assert float(rows[("plain", "N(0, 0.01²)")]["at the input"]) < 1e-12
    assert float(rows[("residual", "N(0, 0.01²)")]["at the input"]) == pytest.approx(1.0, rel=0.05)
    assert 0.1 < float(rows[("plain", "He")]["at the input"]) < 10


@pytest.mark.parametrize(
    ("demo_id", "settings", "message"),
    [
        ("projection-shortcut", {"stride": "3"}, "--set stride=3: expected one of 1, 2"),
        ("projection-shortcut", {"in_channels": "0"}, "--set in_channels=0"),
        ("projection-shortcut", {"groups": "2"}, "has no parameter 'groups'"),
        ("residual-block", {"channels": "100000"}, "--set channels=100000"),
        ("bottleneck-cost", {"channels": "6"}, "must be a multiple of 4"),
        ("zero-init-residual", {"channels": "18"}, "must be a multiple of 4"),
        ("pre-activation", {"channels": "128"}, "--set channels=128: expected an integer in 1..64"),
        ("fpn-features", {"size": "100"}, "--set size=100: must be a multiple of 32"),
        ("fpn-features", {"backbone": "vgg16"}, "--set backbone=vgg16"),
        ("segmentation-decoder", {"classes": "abc"}, "--set classes=abc"),
        ("resnet-depths", {"depth": "18"}, "has no parameter 'depth'"),
        ("he-init", {"depth": "5"}, "--set depth=5: expected an integer in 20..50"),
        ("gradient-highway", {"depth": "21"}, "--set depth=21: must be even"),
    ],
)
def test_a_bad_setting_raises_a_one_line_error(
    demo_id: str, settings: dict[str, str], message: str
) -> None:
    with pytest.raises(CvquizError) as info:
        run_demo(demo_id, settings=settings)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
