"""The ResNet demos reproduce published counts, agree with torch's FLOP counter, and refuse bad settings.

The demos count MACs by formula; `default_run` runs them with the oracle on, so each formula
count is also counted by FlopCounterMode and appears in `result.oracle`.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import fields, is_dataclass

import pytest
from demo_runs import default_run

from cvquiz.demos.registry import all_demos, get_demo
from cvquiz.demos.resnet.common import PAPER_GMACS
from cvquiz.demos.resnet.comparisons import VGG16_PAPER_GMACS
from cvquiz.demos.resnet.models import CIFAR_PAPER_PARAMS
from cvquiz.demos.result import MACS_CONVENTION, DemoResult
from cvquiz.demos.runner import run_demo
from cvquiz.errors import CvquizError

# In index order (ResNet family first).
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
    "degradation",
    "near-identity",
    "training-recipe",
    "still-used",
)
RESNET_MODULES = (
    "blocks",
    "shortcuts",
    "zero_init",
    "bottleneck",
    "models",
    "detection",
    "comparisons",
    "training",
    "experiments",
    "recipe",
    "still_used",
)
MACS = MACS_CONVENTION


def gmacs(macs: int) -> float:
    """MACs in units of 1e9 to three decimals, as the demos' tables show them."""
    return round(macs / 1e9, 3)


def plain(value: object) -> bool:
    """Numbers hold plain values only: no tensors, no modules."""
    if value is None or isinstance(value, bool | int | float | str):
        return True
    return isinstance(value, tuple) and all(plain(v) for v in value)


def failed(result: DemoResult) -> list[str]:
    return [
        f"{c.claim}: expected {c.expected}, measured {c.measured}"
        for c in result.checks
        if not c.passed
    ]


def oracle_counts(result: DemoResult) -> dict[str, int]:
    """FlopCounterMode's MACs for each formula count the run made, by label; all must agree."""
    suffix = ": MACs by formula == FlopCounterMode ÷ 2"
    assert [c.claim for c in result.oracle if not c.passed] == []
    assert all(c.claim.endswith(suffix) for c in result.oracle)
    return {c.claim.removesuffix(suffix): c.expected for c in result.oracle}


# What each counting demo's defaults count by formula (so FlopCounterMode checks it), by label.
ORACLE_LABELS = {
    "bottleneck-cost": {
        "bottleneck at C = 256 at 56x56",
        "2 × 3x3 at C = 256 at 56x56",
        "2 × 3x3 at C/4 = 64 at 56x56",
    },
    "resnet-depths": {f"ResNet-{d}" for d in (18, 34, 50, 101, 152)}
    | {f"layer{i}.0 bottleneck ({v})" for i in (2, 3, 4) for v in ("v1", "v1.5")},
    "resnext-groups": {
        "ResNet-50",
        "ResNeXt-50 32x4d",
        "ResNet-50 layer1.1",
        "ResNeXt-50 32x4d layer1.1",
        "dense 3x3 conv 128→128",
        "grouped 3x3 conv 128→128, 32 groups",
    },
    "cifar-resnets": {f"CIFAR ResNet-{d}" for d in (20, 32, 44, 56, 110)}
    | {"CIFAR plain-20", "CIFAR plain-56"},
    "fpn-features": {"FPN on resnet50 C2-C5 at 224x224"},
    "vgg-vs-resnet": {"VGG-16", "ResNet-50", "ResNet-34"}
    | {f"layer{i}.0 bottleneck ({v})" for i in (2, 3, 4) for v in ("v1", "v1.5")},
    "densenet-vs-resnet": {"DenseNet-121", "ResNet-50"},
    "still-used": {"ResNet-50", "ConvNeXt-T", "ViT-B/16"},
}


def test_the_registry_lists_every_resnet_demo_in_order() -> None:
    ids = [spec.id for spec in all_demos() if spec.module.startswith("cvquiz.demos.resnet.")]
    assert ids == list(RESNET_DEMOS)
    modules = {spec.module for spec in all_demos() if spec.id in RESNET_DEMOS}
    assert modules == {f"cvquiz.demos.resnet.{m}" for m in RESNET_MODULES}


@pytest.mark.parametrize("demo_id", RESNET_DEMOS)
def test_every_demo_is_a_measure_and_a_present_step(demo_id: str) -> None:
    spec = get_demo(demo_id)
    assert spec.complete
    assert spec.measure_step.__module__ == spec.present_step.__module__ == spec.module
    numbers = default_run(demo_id).numbers
    assert is_dataclass(numbers) and type(numbers).__module__ == spec.module
    assert {f.name: plain(getattr(numbers, f.name)) for f in fields(numbers)} == {
        f.name: True for f in fields(numbers)
    }


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


# The figures each demo shows, by the label of the formula count they come from.
FORMULA_FIGURES = {
    "bottleneck-cost": lambda n: {
        "bottleneck at C = 256 at 56x56": n.bottleneck.analytic_macs,
        "2 × 3x3 at C = 256 at 56x56": n.wide.analytic_macs,
        "2 × 3x3 at C/4 = 64 at 56x56": n.narrow.analytic_macs,
    },
    "resnet-depths": lambda n: {f"ResNet-{m.depth}": m.macs for m in n.models},
    "resnext-groups": lambda n: {
        **{m.label: m.analytic_macs for m in n.models},
        "ResNet-50 layer1.1": n.block_macs[0],
        "ResNeXt-50 32x4d layer1.1": n.block_macs[1],
        "dense 3x3 conv 128→128": n.dense_macs,
        "grouped 3x3 conv 128→128, 32 groups": n.grouped_macs,
    },
    "cifar-resnets": lambda n: {
        **{f"CIFAR ResNet-{m.depth}": m.macs for m in n.models},
        **{f"CIFAR plain-{m.depth}": m.plain_macs for m in n.models if m.plain_macs is not None},
    },
    "fpn-features": lambda n: {"FPN on resnet50 C2-C5 at 224x224": n.fpn_macs},
    "vgg-vs-resnet": lambda n: {
        "VGG-16": n.vgg_macs,
        "ResNet-50": n.r50_macs,
        "ResNet-34": n.r34_macs,
    },  # fmt: skip
    "densenet-vs-resnet": lambda n: {"DenseNet-121": n.dense_macs, "ResNet-50": n.r50_macs},
    "still-used": lambda n: {
        {"resnet50": "ResNet-50", "convnext_tiny": "ConvNeXt-T", "vit_b_16": "ViT-B/16"}[
            m.name
        ]: m.macs
        for m in n.models
    },
}


@pytest.mark.parametrize("demo_id", sorted(ORACLE_LABELS))
def test_every_mac_count_a_demo_shows_is_flop_counters(demo_id: str) -> None:
    result = default_run(demo_id)
    counted = oracle_counts(result)
    assert set(counted) == ORACLE_LABELS[demo_id]
    shown = FORMULA_FIGURES[demo_id](result.numbers)
    assert {label: counted[label] for label in shown} == shown


def test_the_demos_that_only_read_shapes_count_nothing() -> None:
    for demo_id in ("projection-shortcut", "segmentation-decoder"):
        assert default_run(demo_id).oracle == ()


@pytest.mark.parametrize("demo_id", RESNET_DEMOS)
def test_a_demo_that_shows_macs_states_its_convention(demo_id: str) -> None:
    result = default_run(demo_id)
    shows_macs = any("MACs" in col for t in result.tables for col in t.columns) or any(
        "MACs" in c.claim for c in result.checks
    )
    assert (result.convention == MACS) if shows_macs else (result.convention is None)


def test_residual_block_counts_f_and_shows_where_relu_breaks_y_minus_x() -> None:
    n = default_run("residual-block").numbers
    assert n.residual_is_f == (False, True, True)
    assert n.min_y[0] == 0.0 and n.min_y[1] < 0 and n.min_y[2] < 0
    assert 0.4 < n.share_differing[0] < 0.6
    assert n.share_differing[1:] == (0.0, 0.0)
    assert (n.input_shape, n.output_shape) == ((2, 64, 56, 56), (2, 64, 56, 56))
    assert n.params == 2 * 9 * 64 * 64 + 4 * 64 == 73_984


def test_residual_block_with_other_settings() -> None:
    result = run_demo("residual-block", settings={"channels": "16", "size": "7"})
    assert result.passed, failed(result)
    assert result.numbers.params == 2 * 9 * 16 * 16 + 4 * 16
    assert result.params == {"channels": 16, "size": 7}


def test_projection_shortcut_defaults_need_a_projection() -> None:
    n = default_run("projection-shortcut").numbers
    assert n.shortcut_params == 64 * 128 + 2 * 128 == 8_448
    assert n.branch_params == 9 * 64 * 128 + 9 * 128 * 128 + 4 * 128
    assert not n.identity_fits
    assert n.projection_shape == n.branch_shape == (1, 128, 28, 28)
    assert [p.params for p in n.r34_shortcuts] == [8_448, 33_280, 132_096]
    option_b = sum(p.params for p in n.r34_shortcuts)
    assert [0, option_b, n.r34_all_projections] == [0, 173_824, 1_092_992]


def test_projection_shortcut_stride_1_equal_channels_needs_none() -> None:
    result = run_demo(
        "projection-shortcut", settings={"stride": "1", "in_channels": "64", "out_channels": "64"}
    )
    assert result.passed, failed(result)
    assert result.numbers.shortcut_params == 0
    assert result.numbers.identity_fits
    (row,) = [r for r in result.tables[0].rows if r[0] == "projection W_s·x"]
    assert row[1] == "not needed"


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
    assert result.numbers.shortcut_params == extra


def test_bottleneck_cost_at_256_channels() -> None:
    result = default_run("bottleneck-cost")
    n, counted = result.numbers, oracle_counts(result)
    assert n.bottleneck.analytic_macs == counted["bottleneck at C = 256 at 56x56"] == 218_365_952
    assert n.wide.analytic_macs == counted["2 × 3x3 at C = 256 at 56x56"] == 3_699_376_128
    assert n.narrow.analytic_macs == counted["2 × 3x3 at C/4 = 64 at 56x56"] == 231_211_008
    assert (n.bottleneck.params, n.wide.params) == (70_400, 1_180_672)
    assert n.wide.analytic_macs / n.bottleneck.analytic_macs == pytest.approx(288 / 17)
    assert [r.macs for r in n.layers] == [51_380_224, 115_605_504, 51_380_224]


def test_bottleneck_cost_ratio_does_not_depend_on_width() -> None:
    result = run_demo("bottleneck-cost", settings={"channels": "512", "size": "14"}, oracle=True)
    assert result.passed, failed(result)
    counted = oracle_counts(result)
    wide, bottleneck = (
        counted["2 × 3x3 at C = 512 at 14x14"],
        counted["bottleneck at C = 512 at 14x14"],
    )
    assert (wide, bottleneck) == (
        result.numbers.wide.analytic_macs,
        result.numbers.bottleneck.analytic_macs,
    )
    assert wide / bottleneck == pytest.approx(288 / 17)


def test_resnet_depths_table() -> None:
    result = default_run("resnet-depths")
    models = result.numbers.models
    assert [m.depth for m in models] == [18, 34, 50, 101, 152]
    assert [m.kind for m in models] == ["basic"] * 2 + ["bottleneck"] * 3
    assert [m.stage_blocks for m in models] == [
        (2, 2, 2, 2), (3, 4, 6, 3), (3, 4, 6, 3), (3, 4, 23, 3), (3, 8, 36, 3),
    ]  # fmt: skip
    assert [m.layers for m in models] == [18, 34, 50, 101, 152]
    assert [m.params for m in models] == [
        11_689_512,
        21_797_672,
        25_557_032,
        44_549_160,
        60_192_808,
    ]
    assert [gmacs(m.macs) for m in models] == [1.814, 3.664, 4.089, 7.801, 11.514]
    assert [gmacs(m.macs) for m in models] == [m.reference_gmacs for m in models]
    v1 = [gmacs(m.v1_macs) for m in models]
    assert v1 == [1.814, 3.664, 3.858, 7.57, 11.282]
    paper = [PAPER_GMACS[m.name] for m in models]
    assert paper == [1.8, 3.6, 3.8, 7.6, 11.3]
    # Table 1 rounds 1.814, 7.570 and 11.282 (±0.05) but truncates 3.664 and 3.858 to one decimal.
    for m, v1_gmacs, printed in zip(models, v1, paper, strict=True):
        if m.depth in (34, 50):
            assert math.floor(v1_gmacs * 10) / 10 == printed, m.name
            # Rounding would not give the printed figure.
            assert abs(v1_gmacs - printed) > 0.05, m.name
        else:
            assert abs(v1_gmacs - printed) <= 0.05, m.name
    paper_checks = [c for c in result.checks if "(V1, paper)" in c.claim]
    assert [c.tolerance for c in paper_checks] == ["±0.05", "exact", "exact", "±0.05", "±0.05"]
    assert [c.measured for c in paper_checks] == [1.814, 3.6, 3.8, 7.57, 11.282]


@pytest.mark.parametrize("name", ["resnet50", "resnet101", "resnet152"])
def test_resnet_depths_v1_shortcut_matches_a_full_v1_build(name: str) -> None:
    """The demo derives V1 from V1.5 minus the first-block difference; a whole V1 model agrees."""
    from cvquiz.demos import zoo

    n = default_run("resnet-depths").numbers
    (model,) = [m for m in n.models if m.name == name]
    v1 = zoo.analytic_macs(zoo.build_meta(zoo.MODELS[name].builder, variant="v1"))
    assert round(v1 / 1e9, 3) == gmacs(model.v1_macs)
    v15 = zoo.analytic_macs(zoo.build_meta(zoo.MODELS[name].builder))
    assert v15 - v1 == sum(r.v15_macs - r.v1_macs for r in n.first_block_convs) == 231_211_008


def test_pre_activation_identity_path() -> None:
    n = default_run("pre-activation").numbers
    assert n.pre_is_x and n.post_is_relu_x
    assert (n.pre_changed_share, n.pre_zero_grad_share) == (0.0, 0.0)
    assert 0.4 < n.post_zero_grad_share == n.post_changed_share < 0.6
    assert n.min_post == 0.0
    assert n.min_pre < 0


def test_pre_activation_single_block() -> None:
    result = run_demo("pre-activation", settings={"depth": "1", "channels": "8", "size": "4"})
    assert result.passed, failed(result)


def test_zero_init_residual_makes_every_resnet50_branch_zero() -> None:
    n = default_run("zero-init-residual").numbers
    assert [eq for b in n.blocks for eq in (b.default_equal, b.zeroed_equal)] == [
        False,
        True,
        False,
        True,
    ]
    gaps = [gap for b in n.blocks for gap in (b.default_max_diff, b.zeroed_max_diff)]
    assert [gap == 0.0 for gap in gaps] == [False, True, False, True]
    assert (n.branches, n.zero_branches_zero_init) == (16, 16)
    assert (n.branches, n.zero_branches_default) == (16, 0)


def test_resnext_groups_counts() -> None:
    n = default_run("resnext-groups").numbers
    r50, rx50 = n.models
    assert (r50.label, r50.params) == ("ResNet-50", 25_557_032)
    assert (rx50.label, rx50.params) == ("ResNeXt-50 32x4d", 25_028_904)
    assert (gmacs(r50.analytic_macs), gmacs(rx50.analytic_macs)) == (4.089, 4.23)
    assert [(n.dense_params, n.dense_macs), (n.grouped_params, n.grouped_macs)] == [
        (147_456, 462_422_016),
        (4_608, 14_450_688),
    ]
    conv2 = [b for b in n.block_convs if b.conv == "conv2"]
    assert [(b.kernel, b.in_channels, b.out_channels, b.groups) for b in conv2] == [
        (3, 64, 64, 1),
        (3, 128, 128, 32),
    ]


def test_resnext_groups_setting() -> None:
    result = run_demo("resnext-groups", settings={"groups": "4"})
    assert result.passed, failed(result)
    assert result.numbers.grouped_params == 9 * 128 * 128 // 4


def test_fpn_features_at_224() -> None:
    n = default_run("fpn-features").numbers
    assert [(lv.name, 224 // lv.width, lv.channels, (lv.height, lv.width)) for lv in n.levels] == [
        ("C2", 4, 256, (56, 56)),
        ("C3", 8, 512, (28, 28)),
        ("C4", 16, 1024, (14, 14)),
        ("C5", 32, 2048, (7, 7)),
    ]
    assert n.lateral_params == (256 + 512 + 1024 + 2048) * 256 + 4 * 256 == 984_064
    assert n.lateral_params + n.output_params == 3_344_384


def test_fpn_features_at_800_with_resnet18() -> None:
    result = run_demo("fpn-features", settings={"size": "800", "backbone": "resnet18"})
    assert result.passed, failed(result)
    assert [(lv.channels, (lv.height, lv.width)) for lv in result.numbers.levels] == [
        (64, (200, 200)),
        (128, (100, 100)),
        (256, (50, 50)),
        (512, (25, 25)),
    ]


def test_segmentation_decoder_restores_the_resolution() -> None:
    n = default_run("segmentation-decoder").numbers
    maps = {m.tensor: m for m in n.maps}
    assert (224 // maps["C5"].width, (maps["C5"].height, maps["C5"].width)) == (32, (7, 7))
    assert (maps["logits"].channels, (maps["logits"].height, maps["logits"].width)) == (
        21,
        (224, 224),
    )
    assert n.encoder_params == 25_557_032 - (2048 * 1000 + 1000)
    assert n.decoder_params == 9_012_928


def test_segmentation_decoder_with_resnet18_at_512() -> None:
    result = run_demo(
        "segmentation-decoder", settings={"backbone": "resnet18", "size": "512", "classes": "2"}
    )
    assert result.passed, failed(result)
    maps = {m.tensor: m for m in result.numbers.maps}
    assert (maps["C5"].channels, (maps["logits"].height, maps["logits"].width)) == (512, (512, 512))


def test_vgg_vs_resnet_numbers() -> None:
    n = default_run("vgg-vs-resnet").numbers
    assert (n.vgg_params, n.vgg_fc_params, round(n.vgg_fc_params / n.vgg_params, 4)) == (
        138_357_544,
        123_642_856,
        0.8936,
    )
    assert (n.r50_params, n.r50_fc_params, round(n.r50_fc_params / n.r50_params, 4)) == (
        25_557_032,
        2_049_000,
        0.0802,
    )
    assert (gmacs(n.vgg_macs), gmacs(n.vgg_conv_macs), VGG16_PAPER_GMACS) == (15.47, 15.347, 15.3)
    assert (gmacs(n.r50_macs), gmacs(n.r50_v1_macs)) == (4.089, 3.858)


def test_densenet_vs_resnet_channels_grow() -> None:
    n = default_run("densenet-vs-resnet").numbers
    assert [(b.in_channels, b.in_channels + b.layers * 32) for b in n.blocks] == [
        (64, 256),
        (128, 512),
        (256, 1024),
        (512, 1024),
    ]
    assert n.blocks[0].concat_reads == sum(64 + 32 * i for i in range(6)) * 56 * 56 == 2_709_504
    assert [b.concat_reads > b.resnet_reads for b in n.blocks] == [True] * 4
    assert (n.dense_params, gmacs(n.dense_macs)) == (7_978_856, 2.834)


def test_cifar_resnets_and_plain_twins() -> None:
    models = default_run("cifar-resnets").numbers.models
    assert [m.params for m in models] == [269_722, 464_154, 658_586, 853_018, 1_727_962]
    assert [m.plain_params for m in models] == [m.params for m in models]
    assert [m.macs for m in models if m.plain_macs is not None] == [
        m.plain_macs for m in models if m.plain_macs is not None
    ]
    assert [CIFAR_PAPER_PARAMS[m.depth] for m in models] == [0.27, 0.46, 0.66, 0.85, 1.7]
    assert [m.plain_macs is not None for m in models] == [True, False, False, True, False]


def test_he_init_factors() -> None:
    n = default_run("he-init").numbers
    # The expected factor is fan_in·Var(w)/2 with fan_in = 9·64 = 576.
    expected = [round(9 * 64 * run.var / 2, 4) for run in n.runs]
    assert expected == [0.0288, 0.5, 1.0]
    for run, factor in zip(n.runs, expected, strict=True):
        assert run.forward == pytest.approx(factor, rel=0.15)
        assert run.backward == pytest.approx(factor, rel=0.15)
    assert n.trace_layers == (0, 5, 10, 15, 20, 25, 30)
    runs = {run.init: run for run in n.runs}
    assert runs["Xavier"].trace[-1] < 1e-6 < runs["He"].trace[-1]


def test_gradient_highway_norms() -> None:
    runs = {(r.stack, r.init): r for r in default_run("gradient-highway").numbers.runs}
    assert runs[("plain", "N(0, 0.01²)")].input < 1e-12
    assert runs[("residual", "N(0, 0.01²)")].input == pytest.approx(1.0, rel=0.05)
    assert 0.1 < runs[("plain", "He")].input < 10


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


def test_q10_check_fails_when_the_v2_block_is_post_activation(monkeypatch) -> None:
    # Planted: the v2 block computing conv -> BN -> ReLU with a ReLU after the add.
    from cvquiz.demos import zoo
    from cvquiz.demos.resnet.blocks import V2_CHECK

    def post_forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(x + self.bn2(self.conv2(out)))

    assert {c.claim: c.passed for c in run_demo("pre-activation").checks}[V2_CHECK]
    monkeypatch.setattr(zoo.PreActBasicBlock, "forward", post_forward)
    checks = {c.claim: c for c in run_demo("pre-activation").checks}
    assert not checks[V2_CHECK].passed and checks[V2_CHECK].measured == "post-activation"


def test_residual_block_checks_fail_when_the_shortcut_is_lost(monkeypatch) -> None:
    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.cifar import PlainBlock

    monkeypatch.setattr(zoo.BasicBlock, "forward", PlainBlock.forward)
    result = run_demo("residual-block")
    assert (
        "the original block computes ReLU(F(x) + x), F = BN(conv(ReLU(BN(conv(x))))) by hand"
        in {c.claim for c in result.checks if not c.passed}
    )


def test_still_used_counts() -> None:
    n = default_run("still-used").numbers
    assert [(m.name, m.params) for m in n.models] == [
        ("resnet50", 25_557_032),
        ("convnext_tiny", 28_589_128),
        ("vit_b_16", 86_567_656),
    ]
    assert [gmacs(m.macs) for m in n.models] == [4.089, 4.456, 17.564]


def test_still_used_vit_per_layer_count_is_its_closed_form(monkeypatch) -> None:
    # ViT's attention declares its matmuls (own_macs); forgetting Q·Kᵀ and attention·V would
    # still give a count, which the closed-form check and the oracle both catch.
    from cvquiz.demos.zoo import vit

    (closed,) = [c for c in default_run("still-used").checks if "closed form" in c.claim]
    assert closed.passed and closed.expected == vit.vit_macs() == 17_563_828_224
    monkeypatch.setattr(
        vit.SelfAttention, "own_macs", lambda self, i, o: i[0][0] * i[0][1] * i[0][2] * 3 * i[0][2]
    )
    result = run_demo("still-used", oracle=True)
    assert {c.claim for c in result.failed} >= {
        closed.claim, "ViT-B/16: MACs by formula == FlopCounterMode ÷ 2",
    }  # fmt: skip


@pytest.mark.parametrize("mutation", ["3x3 kernel", "stride 1", "BN first"])
def test_the_projection_check_fails_when_the_shortcut_is_not_a_strided_1x1(
    monkeypatch, mutation: str
) -> None:
    """A planted bug in the zoo's option-B shortcut keeps every count but not the function."""
    from torch import nn

    from cvquiz.demos import zoo
    from cvquiz.demos.runner import run_demo

    def planted(in_ch: int, out_ch: int, *, stride: int) -> nn.Sequential:
        if mutation == "3x3 kernel":
            return nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False), nn.BatchNorm2d(out_ch)
            )
        if mutation == "no stride":
            return nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, 1, bias=False),
                nn.BatchNorm2d(out_ch),
                nn.MaxPool2d(1, stride),
            )
        return nn.Sequential(nn.BatchNorm2d(in_ch), nn.Conv2d(in_ch, out_ch, 1, stride, bias=False))

    monkeypatch.setattr(zoo, "projection", planted)
    result = run_demo("projection-shortcut")
    failed = [c.claim for c in result.checks if not c.passed]
    assert (
        "the shortcut computes BN(W_s ∗ x): a 1x1 kernel at the block's stride, then BN" in failed
    )
