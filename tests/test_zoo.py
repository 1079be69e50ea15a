"""The model zoo reproduces published parameter counts and MACs, and its pieces match torch."""

from __future__ import annotations

import inspect
import math
import pickle
from fractions import Fraction

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from cvquiz.demos.zoo import (
    CIFAR_DEPTHS,
    MODELS,
    BasicBlock,
    Bottleneck,
    HSwish,
    InvertedResidual,
    PreActBasicBlock,
    SqueezeExcitation,
    ZeroPadShortcut,
    _make_divisible,
    analytic_macs,
    build_meta,
    channel_shuffle,
    cifar_resnet,
    cifar_resnet_params,
    count_params,
    depthwise_separable,
    efficientnet_b0,
    h_swish,
    layer_macs,
    mobilenet_v1,
    mobilenet_v2,
    mobilenet_v3_large,
    mobilenet_v3_small,
    model_counts,
    register,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
    resnext50_32x4d,
    shufflenet_v2_x1_0,
)
from cvquiz.demos.zoo.counting import (
    counter_macs,  # the oracle: not on the demos' path
    oracle,
)
from cvquiz.demos.zoo.layers import init_weights
from cvquiz.demos.zoo.registry import spec_macs

IMAGENET_NAMES = [name for name, spec in MODELS.items() if spec.input_size == 224]

# torchvision 0.29.1's table (ImageNet, 1000 classes) plus MobileNetV1 with BN and an FC bias.
EXACT_PARAMS = {
    "resnet18": 11_689_512,
    "resnet34": 21_797_672,
    "resnet50": 25_557_032,
    "resnet101": 44_549_160,
    "resnet152": 60_192_808,
    "resnext50_32x4d": 25_028_904,
    "vgg16": 138_357_544,
    "densenet121": 7_978_856,
    "convnext_tiny": 28_589_128,
    "vit_b_16": 86_567_656,
    "mobilenet_v1": 4_231_976,
    "mobilenet_v2": 3_504_872,
    "mobilenet_v3_large": 5_483_032,
    "mobilenet_v3_small": 2_542_856,
    "shufflenet_v2_x1_0": 2_278_604,
    "efficientnet_b0": 5_288_548,
}

# Conv + linear MACs at 224x224, in 1e9, as torchvision publishes them (3 or 2 decimals).
REFERENCE_GMACS = {
    "resnet18": "1.814",
    "resnet34": "3.664",
    "resnet50": "4.089",
    "resnet101": "7.801",
    "resnet152": "11.514",
    "resnext50_32x4d": "4.23",
    "vgg16": "15.47",
    "densenet121": "2.834",
    "convnext_tiny": "4.456",
    "vit_b_16": "17.564",  # attention products Q·Kᵀ and attention·V included
    "mobilenet_v1": "0.569",
    "mobilenet_v2": "0.301",
    "mobilenet_v3_large": "0.217",
    "mobilenet_v3_small": "0.057",
    "shufflenet_v2_x1_0": "0.145",
    "efficientnet_b0": "0.386",
}


def half_unit(reference: str) -> float:
    """Half of the last printed digit, plus a hair: the rounding a published figure allows."""
    decimals = len(reference.split(".")[1])
    return 0.5 * 10.0**-decimals + 1e-9


@pytest.fixture(scope="module")
def meta_models() -> dict[str, nn.Module]:
    return {name: build_meta(spec.builder) for name, spec in MODELS.items()}


@pytest.fixture(scope="module")
def macs(meta_models: dict[str, nn.Module]) -> dict[str, int]:
    return {name: spec_macs(MODELS[name], model) for name, model in meta_models.items()}


# --- the registry ---------------------------------------------------------------------------


def test_registry_holds_every_model_with_its_reference() -> None:
    assert set(IMAGENET_NAMES) == set(EXACT_PARAMS)
    for name, params in EXACT_PARAMS.items():
        assert MODELS[name].reference_params == params
        assert MODELS[name].reference_gmacs == float(REFERENCE_GMACS[name])
    assert {f"cifar_resnet{d}" for d in CIFAR_DEPTHS} <= set(MODELS)


def test_registry_refuses_duplicates() -> None:
    with pytest.raises(ValueError, match="resnet18"):
        register(MODELS["resnet18"])


def test_model_counts_are_cached_except_under_the_oracle() -> None:
    # Cached for the interactive path; under the oracle each call is counted again, so that every
    # demo run in a process (verify, the tests) gets its FlopCounterMode check, not the first only.
    first = model_counts("mobilenet_v2")
    assert model_counts("mobilenet_v2") is first
    assert first == (3_504_872, 300_774_272)
    with oracle() as counts:
        assert model_counts("mobilenet_v2") == first
        assert model_counts("mobilenet_v2") == first
    assert [(c.label, c.formula, c.counter) for c in counts] == [
        ("mobilenet_v2 at 224×224", 300_774_272, 300_774_272)
    ] * 2


# --- exact parameter counts and MACs ---------------------------------------------------------


@pytest.mark.parametrize("name", list(EXACT_PARAMS))
def test_parameter_count_is_exact(name: str, meta_models: dict[str, nn.Module]) -> None:
    assert count_params(meta_models[name]) == EXACT_PARAMS[name]


@pytest.mark.parametrize("name", list(REFERENCE_GMACS))
def test_macs_match_the_reference_table(name: str, macs: dict[str, int]) -> None:
    ref = REFERENCE_GMACS[name]
    assert abs(macs[name] / 1e9 - float(ref)) < half_unit(ref)


@pytest.mark.parametrize("name", list(MODELS))
def test_analytic_macs_equal_torch_flop_counter(
    name: str, meta_models: dict[str, nn.Module], macs: dict[str, int]
) -> None:
    assert counter_macs(meta_models[name], MODELS[name].input_shape) == macs[name]


def test_golden_macs(macs: dict[str, int]) -> None:
    # Exact totals, so a change anywhere in a model shows up here.
    assert macs["resnet18"] == 1_814_073_344
    assert macs["resnet50"] == 4_089_184_256
    assert macs["vgg16"] == 15_470_264_320
    assert macs["mobilenet_v1"] == 568_740_352
    assert macs["mobilenet_v2"] == 300_774_272
    assert macs["efficientnet_b0"] == 385_814_752
    assert macs["cifar_resnet20"] == 40_551_040


def test_counting_on_meta_equals_counting_a_real_model() -> None:
    real = mobilenet_v3_small().eval()
    meta = build_meta(mobilenet_v3_small)
    assert analytic_macs(real, (1, 3, 64, 64)) == analytic_macs(meta, (1, 3, 64, 64))
    assert counter_macs(real, (1, 3, 64, 64)) == analytic_macs(real, (1, 3, 64, 64))
    assert count_params(real) == count_params(meta)


def test_macs_scale_with_batch(meta_models: dict[str, nn.Module], macs: dict[str, int]) -> None:
    assert analytic_macs(meta_models["resnet18"], (3, 3, 224, 224)) == 3 * macs["resnet18"]


def test_layer_table_rows() -> None:
    rows = layer_macs(build_meta(resnet18), (1, 3, 224, 224))
    first, last = rows[0], rows[-1]
    assert (first.name, first.kind, first.output_shape) == ("conv1", "conv", (1, 64, 112, 112))
    assert first.macs == 112 * 112 * 64 * 3 * 7 * 7
    assert first.params == 64 * 3 * 7 * 7
    assert (last.name, last.kind, last.output_shape) == ("fc", "linear", (1, 1000))
    assert (last.macs, last.params) == (512 * 1000, 512 * 1000 + 1000)
    assert first.to_dict()["output_shape"] == [1, 64, 112, 112]
    kinds = {row.kind for row in layer_macs(build_meta(mobilenet_v2))}
    assert kinds == {"conv", "dwconv", "linear"}
    kinds = {row.kind for row in layer_macs(build_meta(resnext50_32x4d))}
    assert "gconv" in kinds


def test_vgg16_convs_alone_give_the_resnet_papers_15_3_billion(macs: dict[str, int]) -> None:
    # He et al. 2015 quote VGG-16 at 15.3e9: the convs only, without the three FC layers.
    fc = 25088 * 4096 + 4096 * 4096 + 4096 * 1000
    assert round((macs["vgg16"] - fc) / 1e9, 1) == 15.3


# --- ResNet: V1 vs V1.5, zero-init residual, pre-activation ---------------------------------


@pytest.mark.parametrize(
    ("builder", "paper_gflops"),
    [(resnet50, 3.8), (resnet101, 7.6), (resnet152, 11.3)],
)
def test_v1_moves_the_stride_costing_macs_not_params(builder, paper_gflops: float) -> None:
    v1, v15 = build_meta(builder, variant="v1"), build_meta(builder)
    assert count_params(v1) == count_params(v15)
    v1_macs, v15_macs = analytic_macs(v1), analytic_macs(v15)
    assert v1_macs < v15_macs
    assert counter_macs(v1) == v1_macs
    # The paper's Table 1 describes V1 (3.858, 7.570 and 11.282 GMACs here): it rounds 7.570 and
    # 11.282 to one decimal (±0.05) but truncates 3.858 to 3.8. V1.5 is 0.23 GMACs further.
    if builder is resnet50:
        assert math.floor(v1_macs / 1e8) / 10 == paper_gflops
    else:
        assert abs(v1_macs / 1e9 - paper_gflops) <= 0.05
    assert abs(v15_macs / 1e9 - paper_gflops) > 0.15


def test_resnet50_v1_golden_macs() -> None:
    assert analytic_macs(build_meta(resnet50, variant="v1")) == 3_857_973_248


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(ValueError, match="v2"):
        build_meta(resnet50, variant="v2")


@pytest.mark.parametrize(
    "block", [BasicBlock(64, 64), Bottleneck(256, 64)], ids=["basic", "bottleneck"]
)
def test_zero_init_residual_makes_a_block_identity_plus_relu(block: nn.Module) -> None:
    torch.manual_seed(0)
    x = torch.randn(2, block.conv1.in_channels, 8, 8)
    block.eval()
    assert not torch.equal(block(x), F.relu(x))  # the test can fail
    block.zero_init_residual()
    assert torch.equal(block(x), F.relu(x))


def test_zero_init_residual_option_on_the_whole_network() -> None:
    model = resnet18(zero_init_residual=True, num_classes=10).eval()
    blocks = [b for b in model.modules() if isinstance(b, BasicBlock)]
    assert len(blocks) == 8
    assert all(torch.count_nonzero(b.bn2.weight) == 0 for b in blocks)
    assert all(torch.count_nonzero(b.bn1.weight) == b.bn1.num_features for b in blocks)
    x = torch.randn(1, 64, 8, 8)
    assert torch.equal(model.layer1(x), F.relu(x))
    model = resnet50(zero_init_residual=True, num_classes=10)
    bottlenecks = [b for b in model.modules() if isinstance(b, Bottleneck)]
    assert len(bottlenecks) == 16
    assert all(torch.count_nonzero(b.bn3.weight) == 0 for b in bottlenecks)


def test_preact_block_keeps_a_clean_identity_path() -> None:
    torch.manual_seed(0)
    block = PreActBasicBlock(16, 16).eval()
    x = torch.randn(2, 16, 8, 8)
    assert not torch.equal(block(x), x)
    nn.init.zeros_(block.conv2.weight)
    # No ReLU after the addition: negative inputs pass unchanged, unlike the post-activation block.
    assert torch.equal(block(x), x)
    down = PreActBasicBlock(16, 32, stride=2)
    assert down(x).shape == (2, 32, 4, 4)
    assert count_params(down) == 16 * 32 * 9 + 32 * 32 * 9 + 16 * 32 + 2 * (16 + 32)


def test_bottleneck_block_shapes() -> None:
    x = torch.randn(1, 256, 8, 8)
    down = nn.Sequential(nn.Conv2d(256, 512, 1, stride=2, bias=False), nn.BatchNorm2d(512))
    for variant in ("v1", "v1.5"):
        block = Bottleneck(256, 128, stride=2, downsample=down, variant=variant)
        assert block(x).shape == (1, 512, 4, 4)


RESNET_DEPTHS = {
    resnet18: (2, 2, 2, 2),
    resnet34: (3, 4, 6, 3),
    resnet50: (3, 4, 6, 3),
    resnet101: (3, 4, 23, 3),
    resnet152: (3, 8, 36, 3),
    resnext50_32x4d: (3, 4, 6, 3),
}


@pytest.mark.parametrize("builder", list(RESNET_DEPTHS), ids=lambda b: b.__name__)
def test_resnet_factory_builders_keep_their_names_and_keyword_options(builder) -> None:
    params = inspect.signature(builder).parameters
    assert list(params) == ["variant", "zero_init_residual", "num_classes"]
    assert {p.kind for p in params.values()} == {inspect.Parameter.KEYWORD_ONLY}
    assert [p.default for p in params.values()] == ["v1.5", False, 1000]
    # Named like the module attribute, so the registry, pickle and tracebacks find it.
    assert builder.__name__ == builder.__qualname__
    assert MODELS[builder.__name__].builder is builder
    assert pickle.loads(pickle.dumps(builder)) is builder
    model = build_meta(builder, variant="v1", num_classes=10)
    stages = (model.layer1, model.layer2, model.layer3, model.layer4)
    assert tuple(len(stage) for stage in stages) == RESNET_DEPTHS[builder]
    assert model.fc.out_features == 10 and model.variant == "v1"


def test_resnet_factory_passes_resnext_grouping_to_the_blocks() -> None:
    first = build_meta(resnext50_32x4d).layer1[0]
    assert (first.conv2.groups, first.conv2.in_channels) == (32, 32 * 4)
    plain = build_meta(resnet50).layer1[0]
    assert (plain.conv2.groups, plain.conv2.in_channels) == (1, 64)


def _seeded_stack() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.Linear(8, 4))


@pytest.mark.parametrize(
    ("options", "reference"),
    [
        # ResNet's and the CIFAR ResNet's former loop: convs only; the FC keeps nn.Linear's init.
        (
            {"linear_std": None},
            lambda m: nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu"),
        ),
        # DenseNet's former loop: torch's default Kaiming (fan_in, leaky_relu with slope 0).
        ({"conv_mode": "fan_in", "linear_std": None}, lambda m: nn.init.kaiming_normal_(m.weight)),
    ],
    ids=["resnet", "densenet"],
)
def test_init_weights_options_reproduce_the_loops_they_replace(options, reference) -> None:
    model = _seeded_stack()
    init_weights(model, **options)
    expected = _seeded_stack()
    for m in expected.modules():
        if isinstance(m, nn.Conv2d):
            reference(m)
    assert all(
        torch.equal(a, b)
        for a, b in zip(model.state_dict().values(), expected.state_dict().values(), strict=True)
    )
    # The default does touch the linear layer: N(0, 0.01^2) with a zero bias.
    init_weights(model)
    assert torch.count_nonzero(model[2].bias) == 0 and float(model[2].weight.detach().std()) < 0.05


# --- CIFAR ResNets -----------------------------------------------------------------------------

# 6n+2 layers; option A shortcuts carry no parameters. Per He et al. sec. 4.2 (rounded there).
CIFAR_PARAMS = {
    20: (269_722, 0.27),
    32: (464_154, 0.46),
    44: (658_586, 0.66),
    56: (853_018, 0.85),
    110: (1_727_962, 1.7),
}


@pytest.mark.parametrize("depth", CIFAR_DEPTHS)
def test_cifar_resnet_params_by_hand(depth: int) -> None:
    exact, paper_millions = CIFAR_PARAMS[depth]
    n = (depth - 2) // 6
    assert cifar_resnet_params(depth) == exact == 97_216 * n - 21_926
    assert count_params(build_meta(cifar_resnet, depth=depth)) == exact
    assert count_params(build_meta(cifar_resnet, depth=depth, plain=True)) == exact
    decimals = 2 if paper_millions < 1 else 1
    assert round(exact / 1e6, decimals) == paper_millions


def test_cifar_resnet20_by_hand() -> None:
    stem = 3 * 16 * 9 + 2 * 16
    stage1 = 3 * 2 * (16 * 16 * 9 + 2 * 16)
    stage2 = (16 * 32 * 9 + 2 * 32) + (32 * 32 * 9 + 2 * 32) + 2 * 2 * (32 * 32 * 9 + 2 * 32)
    stage3 = (32 * 64 * 9 + 2 * 64) + (64 * 64 * 9 + 2 * 64) + 2 * 2 * (64 * 64 * 9 + 2 * 64)
    fc = 64 * 10 + 10
    by_hand = stem + stage1 + stage2 + stage3 + fc
    assert (
        count_params(build_meta(cifar_resnet, depth=20))
        == cifar_resnet_params(20)
        == by_hand
        == 269_722
    )


def test_cifar_resnet20_with_projection_shortcuts_is_the_oft_quoted_272474() -> None:
    # 272,474 needs option B: two 1x1 conv + BN projections (16->32, 32->64) add 2,752.
    model = build_meta(cifar_resnet, depth=20, shortcut="B")
    assert count_params(model) == cifar_resnet_params(20, shortcut="B") == 272_474
    option_a = count_params(build_meta(cifar_resnet, depth=20))
    assert count_params(model) - option_a == (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)


def test_cifar_forward_shapes() -> None:
    x = torch.randn(2, 3, 32, 32)
    for model in (cifar_resnet(20), cifar_resnet(20, plain=True), cifar_resnet(20, shortcut="B")):
        assert model.eval()(x).shape == (2, 10)


def test_option_a_shortcut_subsamples_and_zero_pads() -> None:
    x = torch.randn(2, 16, 8, 8)
    out = ZeroPadShortcut(16, 32, stride=2)(x)
    assert out.shape == (2, 32, 4, 4)
    assert torch.equal(out[:, 8:24], x[:, :, ::2, ::2])
    assert torch.count_nonzero(out[:, :8]) == torch.count_nonzero(out[:, 24:]) == 0


def test_plain_twin_has_no_shortcuts() -> None:
    plain = cifar_resnet(20, plain=True)
    assert not any(isinstance(m, ZeroPadShortcut) for m in plain.modules())
    assert analytic_macs(build_meta(cifar_resnet, depth=20, plain=True), (1, 3, 32, 32)) == (
        analytic_macs(build_meta(cifar_resnet, depth=20), (1, 3, 32, 32))
    )


@pytest.mark.parametrize("depth", [19, 2, 0])
def test_cifar_depth_must_be_6n_plus_2(depth: int) -> None:
    with pytest.raises(ValueError, match="6n\\+2"):
        cifar_resnet(depth)


# --- MobileNets --------------------------------------------------------------------------------

# MobileNets paper, Table 6: width multiplier alpha -> (million mult-adds, million params).
V1_WIDTHS = {1.0: (569, 4.2), 0.75: (325, 2.6), 0.5: (149, 1.3), 0.25: (41, 0.5)}
# Table 7: resolution at alpha 1.0 -> million mult-adds.
V1_RESOLUTIONS = {224: 569, 192: 418, 160: 290, 128: 186}


@pytest.mark.parametrize("alpha", list(V1_WIDTHS))
def test_mobilenet_v1_width_multiplier_matches_table_6(alpha: float) -> None:
    model = build_meta(mobilenet_v1, width_mult=alpha)
    paper_macs, paper_params = V1_WIDTHS[alpha]
    macs = analytic_macs(model)
    assert abs(macs / 1e6 - paper_macs) < 0.5  # 568.7, 325.4, 149.5, 41.0
    assert abs(count_params(model) / 1e6 - paper_params) < 0.05  # 4.23, 2.59, 1.33, 0.47
    assert counter_macs(model) == macs


@pytest.mark.parametrize("size", list(V1_RESOLUTIONS))
def test_mobilenet_v1_resolution_matches_table_7(size: int) -> None:
    model = build_meta(mobilenet_v1)
    macs = analytic_macs(model, (1, 3, size, size))
    conv_macs = macs - 1024 * 1000
    # The convs scale exactly with (size/224)^2 because every feature map divides evenly ...
    assert Fraction(conv_macs) == Fraction(567_716_352) * Fraction(size, 224) ** 2
    # ... and Table 7 is 569M scaled that way, FC included, though the FC (1.024M) does not shrink:
    # within the ±0.5M rounding everywhere but 160 (290.7M here, 0.68M off), where the FC's
    # 1.024M·(1 − ρ²) is the documented allowance on top.
    assert round(569 * (size / 224) ** 2) == V1_RESOLUTIONS[size]
    fc_slack = 1.024 * (1 - (size / 224) ** 2) if size == 160 else 0.0
    assert abs(macs / 1e6 - V1_RESOLUTIONS[size]) <= 0.5 + fc_slack


def test_depthwise_separable_cost_ratio() -> None:
    # Howard et al. eq. 5: separable / standard = 1/N + 1/Dk^2.
    m, n, size = 32, 64, 14
    standard = build_meta(nn.Conv2d, in_channels=m, out_channels=n, kernel_size=3, padding=1)
    separable = build_meta(depthwise_separable, in_ch=m, out_ch=n)
    ratio = Fraction(
        analytic_macs(separable, (1, m, size, size)), analytic_macs(standard, (1, m, size, size))
    )
    assert ratio == Fraction(1, n) + Fraction(1, 9)
    real = depthwise_separable(m, n, stride=2).eval()
    assert real(torch.randn(1, m, size, size)).shape == (1, n, size // 2, size // 2)


def test_inverted_residual_skip_only_when_shapes_match() -> None:
    x = torch.randn(1, 24, 8, 8)
    same = InvertedResidual(24, 24).eval()
    assert same.use_residual and same(x).shape == x.shape
    down = InvertedResidual(24, 32, stride=2).eval()
    assert not down.use_residual and down(x).shape == (1, 32, 4, 4)
    # The last 1x1 is linear: a BN, no activation.
    assert isinstance(same.block[-1][-1], nn.BatchNorm2d)


def test_make_divisible_golden_values() -> None:
    assert _make_divisible(18, 8) == 24  # rounding down to 16 would lose more than 10%
    assert _make_divisible(32 * 0.75, 8) == 24
    assert _make_divisible(1280 * 0.35, 8) == 448
    assert _make_divisible(3, 8) == 8


def test_mobilenet_v3_uses_se_with_hard_sigmoid_and_h_swish() -> None:
    model = build_meta(mobilenet_v3_large)
    se = [m for m in model.modules() if isinstance(m, SqueezeExcitation)]
    assert len(se) == 8
    for m in se:
        assert m.fc1.out_channels == _make_divisible(m.fc1.in_channels // 4, 8)
    assert sum(isinstance(m, HSwish) for m in model.modules()) > 0


def test_efficientnet_se_squeezes_a_quarter_of_the_block_input() -> None:
    model = build_meta(efficientnet_b0)
    blocks = [m for m in model.modules() if isinstance(m, InvertedResidual)]
    assert len(blocks) == 16
    for block in blocks:
        se = next(m for m in block.modules() if isinstance(m, SqueezeExcitation))
        block_in = block.block[0][0].in_channels
        assert se.fc1.out_channels == max(1, block_in // 4)
        assert isinstance(se.gate, nn.Sigmoid) and isinstance(se.activation, nn.SiLU)


def test_compound_scaling_phi_0_is_b0_and_phi_1_rounds_up() -> None:
    from cvquiz.demos.zoo.efficientnet import (
        B0_CONFIG,
        EfficientNet,
        compound_config,
        compound_resolution,
    )

    assert compound_config(0) == B0_CONFIG and compound_resolution(0) == 224
    phi1 = compound_config(1)
    assert [s.repeats for s in phi1] == [2, 3, 3, 4, 4, 5, 2]  # ceil(1.2 · (1, 2, 2, 3, 3, 4, 1))
    assert [s.out for s in phi1] == [16, 24, 48, 88, 120, 208, 352]  # 1.1× to multiples of 8
    assert compound_resolution(1) == 256  # 224 · 1.15 = 257.6, to a multiple of 32
    model = build_meta(EfficientNet, config=phi1)
    assert (count_params(model), counter_macs(model, (1, 3, 256, 256))) == (9_109_994, 859_853_760)


def test_forward_macs_and_counter_macs_agree_with_the_formula() -> None:
    from cvquiz.demos.zoo.counting import forward_macs

    conv = build_meta(nn.Conv2d, in_channels=8, out_channels=16, kernel_size=3, padding=1)
    x = torch.empty(1, 8, 10, 10, device="meta")
    assert forward_macs(conv, x) == 9 * 8 * 16 * 10 * 10
    (row,) = layer_macs(conv, (1, 8, 10, 10))
    assert (row.macs, counter_macs(conv, (1, 8, 10, 10))) == (115_200, 115_200)


def test_squeeze_excitation_gates_each_channel() -> None:
    torch.manual_seed(0)
    se = SqueezeExcitation(8, 2, gate=nn.Sigmoid)
    x = torch.randn(2, 8, 5, 5)
    out = se(x)
    gate = out / x
    # One gate value per (sample, channel), shared over the whole map, strictly between 0 and 1.
    torch.testing.assert_close(gate, gate[:, :, :1, :1].expand_as(gate))
    assert bool(((gate > 0) & (gate < 1)).all())


@pytest.mark.parametrize(
    "builder",
    [mobilenet_v1, mobilenet_v2, mobilenet_v3_small, shufflenet_v2_x1_0, efficientnet_b0],
)
def test_forward_shape_on_a_small_real_input(builder) -> None:
    model = builder(num_classes=7).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 64, 64)).shape == (1, 7)


def test_mobilenet_v2_forward_at_64() -> None:
    with torch.no_grad():
        assert mobilenet_v2().eval()(torch.randn(1, 3, 64, 64)).shape == (1, 1000)


# --- activations and channel shuffle against torch ---------------------------------------------


def test_h_swish_matches_torch_hardswish() -> None:
    x = torch.cat([torch.linspace(-6, 6, 1201), torch.tensor([-3.0, 3.0, 0.0, -1e6, 1e6])])
    expected = x * F.relu6(x + 3) / 6
    assert torch.equal(h_swish(x), expected)
    torch.testing.assert_close(h_swish(x), F.hardswish(x))
    torch.testing.assert_close(HSwish()(x), nn.Hardswish()(x))
    assert torch.equal(h_swish(torch.tensor([-3.0, -4.0])), torch.zeros(2))


@pytest.mark.parametrize(("channels", "groups"), [(12, 2), (12, 3), (116, 2), (8, 8)])
def test_channel_shuffle_matches_torch(channels: int, groups: int) -> None:
    x = torch.randn(2, channels, 3, 3)
    out = channel_shuffle(x, groups)
    assert torch.equal(out, nn.ChannelShuffle(groups)(x))
    # A permutation of the channels: out[:, k] = x[:, (k % g) * (C / g) + k // g].
    k = torch.arange(channels)
    assert torch.equal(out, x[:, (k % groups) * (channels // groups) + k // groups])
    assert sorted(((k % groups) * (channels // groups) + k // groups).tolist()) == k.tolist()


def test_channel_shuffle_interleaves_two_halves() -> None:
    x = torch.arange(6.0).view(1, 6, 1, 1)
    assert channel_shuffle(x, 2).flatten().tolist() == [0, 3, 1, 4, 2, 5]
    with pytest.raises(ValueError, match="groups"):
        channel_shuffle(x, 4)


def test_meta_build_allocates_no_weights() -> None:
    # Why counting is cheap: the big models are built on the meta device (timings are in `make bench`).
    for name in ("vgg16", "resnet152"):
        model = build_meta(MODELS[name].builder)
        assert {p.device.type for p in model.parameters()} == {"meta"}
        assert count_params(model) == MODELS[name].reference_params


def test_meta_build_restores_weight_initialisers() -> None:
    originals = {name: getattr(nn.init, name) for name in ("kaiming_normal_", "normal_", "zeros_")}
    build_meta(MODELS["resnet18"].builder)
    assert {name: getattr(nn.init, name) for name in originals} == originals
    w = torch.empty(64, 3, 7, 7)
    nn.init.zeros_(w)
    assert torch.count_nonzero(w) == 0


# --- ConvNeXt and ViT ------------------------------------------------------------------------


def test_vit_self_attention_matches_torch_multihead_attention() -> None:
    from cvquiz.demos.zoo.vit import SelfAttention

    torch.manual_seed(0)
    mine = SelfAttention(16, 4).double()
    torch_mha = nn.MultiheadAttention(16, 4, batch_first=True).double()
    torch_mha.load_state_dict(mine.state_dict())
    x = torch.randn(2, 5, 16, dtype=torch.float64)
    expected, _ = torch_mha(x, x, x, need_weights=False)
    torch.testing.assert_close(mine(x), expected)


def test_vit_macs_formula_counts_the_attention_products() -> None:
    from cvquiz.demos.zoo.vit import ViTConfig, vit_macs

    small = ViTConfig(image_size=32, patch=8, dim=16, depth=2, heads=2, mlp_dim=32)
    t = small.tokens
    assert t == 17
    by_hand = 16 * 16 * 3 * 64 + 2 * (4 * t * 16 * 16 + 2 * t * t * 16 + 2 * t * 16 * 32) + 16 * 10
    assert vit_macs(small, num_classes=10) == by_hand


def test_a_resnet_skips_the_default_conv_init_yet_every_conv_is_kaiming_initialised() -> None:
    import math

    default = nn.Conv2d.reset_parameters
    torch.manual_seed(0)
    model = resnet18()
    assert nn.Conv2d.reset_parameters is default  # restored for everyone else
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            w = m.weight.detach()
            fan_out = m.out_channels * m.kernel_size[0] * m.kernel_size[1]
            assert torch.isfinite(w).all(), name  # no uninitialised memory left behind
            assert w.std().item() == pytest.approx(math.sqrt(2 / fan_out), rel=0.1), name
