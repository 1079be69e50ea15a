"""MobileNetV2/V3 blocks: the inverted residual, the linear bottleneck, ReLU6, SE and h-swish."""

from __future__ import annotations

from cvquiz.demos.mobilenet.common import TORCHVISION
from cvquiz.demos.registry import DemoContext, Param, demo, refuse_large
from cvquiz.demos.result import (
    COUNTER_SOURCE,
    MACS_CONVENTION,
    DemoResult,
    Table,
    check,
    format_shape,
)

# Inverted residual (Q27, Q28)


@demo(
    "inverted-residual",
    title="MobileNetV2 inverted residual: expand → depthwise → linear project",
    summary="the block's layers, activation memory at thin ends vs expanded middle, the (t, c, n, s) table, V2 totals",
    params=(
        Param("expansion", int, 6, "expansion factor t", min=1, max=12),
        Param(
            "channels", int, 24, "bottleneck channels c (block input and output)", min=1, max=512
        ),
        Param("size", int, 56, "height and width", min=1, max=512),
    ),
)
def inverted_residual(ctx: DemoContext, *, expansion: int, channels: int, size: int) -> DemoResult:
    import torch
    from torch import nn

    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.mobilenet import V2_CONFIG

    t, c = expansion, channels
    hidden = t * c
    block = zoo.build_meta(zoo.InvertedResidual, in_ch=c, out_ch=c, stride=1, expand_ratio=t)
    x = torch.empty(1, c, size, size, device="meta")  # (1, c, H, W)
    area = size * size
    layers = []
    h = x
    for part in block.block:
        h = part(h)
        conv = next(m for m in part.modules() if isinstance(m, nn.Conv2d))
        tag = "dw" if conv.kernel_size != (1, 1) else ("pw-linear" if len(part) == 2 else "pw")
        layers.append((tag, part, conv, tuple(h.shape[1:])))
    rows = [("input x", "", format_shape((c, size, size)), c * area, 0, 0)]
    formula_macs = 0
    for tag, part, conv, shape in layers:
        macs = (
            conv.in_channels
            // conv.groups
            * conv.kernel_size[0] ** 2
            * shape[0]
            * shape[1]
            * shape[2]
        )
        formula_macs += macs
        name = {
            "pw": f"expand 1×1 → {t}c",
            "dw": "depthwise 3×3",
            "pw-linear": "project 1×1, no ReLU",
        }[tag]
        rows.append(
            (
                name,
                tag,
                format_shape(shape),
                shape[0] * shape[1] * shape[2],
                zoo.count_params(part),
                macs,
            )
        )
    rows.append(("output x + F(x)", "", format_shape((c, size, size)), c * area, 0, 0))
    project = layers[-1][1]

    v2 = zoo.build_meta(zoo.mobilenet_v2)
    stages = []
    y = torch.empty(1, 3, 224, 224, device="meta")
    y = v2.features[0](y)
    index = 1
    for t_row, c_row, n_row, s_row in V2_CONFIG:
        blocks = v2.features[index : index + n_row]
        index += n_row
        y = blocks(y)
        stages.append(
            (t_row, c_row, n_row, s_row, format_shape(tuple(y.shape[1:])), zoo.count_params(blocks))
        )
    v2_params, v2_macs, v2_counted = zoo.model_counts("mobilenet_v2")
    expected_acts = "ReLU6, ReLU6, none" if t > 1 else "ReLU6, none"
    dw_shape = next(shape for tag, _, _, shape in layers if tag == "dw")  # the expanded middle

    # The shortcut, run for real: a small block with trained-looking BN, so F(x) is not trivial.
    side = min(size, 8)
    real = zoo.InvertedResidual(c, c, stride=1, expand_ratio=t).to(ctx.device).eval()
    with torch.no_grad():
        for bn in (m for m in real.modules() if isinstance(m, nn.BatchNorm2d)):
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.uniform_(-0.5, 0.5)
        x_real = torch.randn(2, c, side, side, device=ctx.device)  # (2, c, h, w)
        seen: dict[str, int] = {}
        hook = real.block[-1].register_forward_hook(
            lambda _m, inputs, _o: seen.update(middle=int(inputs[0].shape[1]))
        )
        branch = real.block(x_real)  # F(x): (2, c, h, w)
        out = real(x_real)  # x + F(x)
        hook.remove()
        shortcut_gap = float((out - x_real - branch).abs().max())
    measured_acts = ", ".join(
        type(part[-1]).__name__ if len(part) == 3 else "none" for _, part, _, _ in layers
    )
    return DemoResult(
        demo_id="inverted-residual",
        title="MobileNetV2 inverted residual: expand → depthwise → linear project",
        explanation=(
            "A classic bottleneck goes wide → narrow → wide and joins its wide ends. MobileNetV2 inverts it: "
            "narrow c → expand to t·c → depthwise 3×3 → project back to c, and the shortcut joins the thin ends.",
            f"Depthwise filters need rich features, so they run on the expanded t·c = {hidden} channels; the "
            "projection has no ReLU, because ReLU in a low-dimensional space destroys information (linear bottleneck).",
            f"Memory: the tensors that must be kept for the shortcut are the thin ones ({c * area:,} elements), "
            f"{t}× smaller than the expanded middle ({hidden * area:,}).",
        ),
        tables=(
            Table(
                title=f"One block: t={t}, c={c}, {size}×{size}, stride 1",
                columns=("layer", "tag", "output C×H×W", "elements", "params", "MACs"),
                rows=tuple(rows),
                note="params include BatchNorm γ and β; MACs of the convs only",
            ),
            Table(
                title="MobileNetV2 (t, c, n, s) table at 224×224",
                columns=("t", "c", "n", "s", "stage output", "params"),
                rows=tuple(stages),
                note=f"plus a 3×3 stem (32 channels), a 1×1 conv to 1280 and the classifier: {v2_params:,} params in all",
            ),
        ),
        checks=(
            check(
                "the expanded middle holds t × the block input's elements",
                expected=t * c * area,
                measured=dw_shape[0] * dw_shape[1] * dw_shape[2],
                source="formula t·c·H·W; measured: the depthwise layer's output shape",
            ),
            check(
                "the shortcut joins the thin ends: x and F(x) have c channels, the middle t·c",
                expected=f"x {c}, F(x) {c}, middle {hidden}",
                measured=f"x {int(x_real.shape[1])}, F(x) {int(branch.shape[1])}, middle {seen['middle']}",
                source="forward pass of a real block; middle = the projection's input",
            ),
            check(
                "block output = x + F(x): the shortcut adds the input to the projected branch",
                expected=0.0,
                measured=shortcut_gap,
                source=f"torch: max |block(x) − x − F(x)| on a {2}×{c}×{side}×{side} input",
                abs_tol=1e-6,
            ),
            check(
                "linear bottleneck: activation after expand, depthwise, project",
                expected=expected_acts,
                measured=measured_acts,
                source="Sandler et al. 2018, sec. 3.2",
            ),
            check(
                "block MACs: c·tc·HW + 9·tc·HW + tc·c·HW",
                expected=(c * hidden + 9 * hidden + hidden * c) * area
                if t > 1
                else (9 * c + c * c) * area,
                measured=zoo.forward_macs(block, x),
                source=f"formula; {COUNTER_SOURCE}",
            ),
            check(
                "projection: c·t·c weights + BN (2c)",
                expected=hidden * c + 2 * c,
                measured=zoo.count_params(project),
                source="formula",
            ),
            check(
                "MobileNetV2 1.0 params", expected=3_504_872, measured=v2_params, source=TORCHVISION
            ),
            check(
                "MobileNetV2 1.0: 0.301 GMACs",
                expected=301_000_000,
                measured=v2_counted,
                source=f"{TORCHVISION}; {COUNTER_SOURCE}",
                abs_tol=500_000,
            ),
            check(
                "MobileNetV2: analytic MACs = FlopCounterMode ÷ 2",
                expected=v2_macs,
                measured=v2_counted,
                source=COUNTER_SOURCE,
            ),
        ),
        convention=MACS_CONVENTION,
    )


# ReLU6 (Q29)


@demo(
    "relu6",
    title="ReLU6: a ReLU clipped at 6, and why a bounded range suits int8",
    summary="ReLU6 = min(max(0, x), 6) on values; uint8 quantization step for [0, 6] vs an unbounded observed max",
    params=(
        Param(
            "outlier",
            float,
            40.0,
            "one large activation (the others lie in ±5.9)",
            min=12.0,
            max=10_000.0,
        ),
        Param("samples", int, 10_000, "activations to quantize", min=100, max=1_000_000),
    ),
)
def relu6(ctx: DemoContext, *, outlier: float, samples: int) -> DemoResult:
    import torch
    from torch.nn import functional as F

    values = torch.tensor([-3.0, -0.5, 0.0, 2.5, 5.9, 6.0, 7.5, 100.0])
    clipped = F.relu6(values)
    by_hand = torch.clamp(values, min=0.0, max=6.0)  # min(max(0, x), 6)

    # Activations: mostly small, one outlier; an unbounded ReLU must stretch its int8 grid to reach it.
    pre = (torch.randn(samples, device=ctx.device) * 2.0).clamp(-5.9, 5.9)
    pre[0] = outlier
    levels = 255  # uint8 has 256 levels: 0..255
    results = []
    for name, act in (("ReLU6", F.relu6(pre)), ("ReLU", F.relu(pre))):
        # The range a min/max observer would record; zero point 0 since a ReLU output is never negative.
        top = float(act.max())
        scale = top / levels
        # Float64, so the measured rounding error is not swamped by float32 round-off (eps32·6 ≈ 7e-7).
        act64 = act.double()
        q = torch.clamp(torch.round(act64 / scale), 0, levels)  # uint8 codes
        err = (q * scale - act64).abs()
        inside = act64 <= 6.0
        results.append((name, top, scale, float(err[inside].mean()), float(err[inside].max())))
    (_, top6, scale6, mean6, max6), (_, top_relu, step_relu, mean_relu, _) = results
    # The grid itself, measured: fake-quantize a ramp over the observed range with torch and read the
    # distinct levels it produces (their count, and their spacing from first to last).
    ramp = torch.linspace(0.0, top6, 4 * levels + 1, device=ctx.device)
    grid = torch.unique(torch.fake_quantize_per_tensor_affine(ramp, scale6, 0, 0, levels)).double()
    step6 = float(grid[-1] - grid[0]) / (grid.numel() - 1)
    return DemoResult(
        demo_id="relu6",
        title="ReLU6: a ReLU clipped at 6, and why a bounded range suits int8",
        explanation=(
            "ReLU6(x) = min(max(0, x), 6): a ReLU whose output never exceeds 6.",
            "Int8 (uint8) quantization maps a range [0, max] onto 256 levels. With ReLU6 the range is known in "
            "advance, [0, 6], so the step is 6/255 ≈ 0.0235 whatever the data.",
            f"An unbounded ReLU's range is set by its largest observed activation ({top_relu:g} here): the step "
            f"grows {step_relu / step6:.1f}× and every ordinary value loses precision. "
            "(Originally claimed helpful for quantized deployment; later nets use it less.)",
        ),
        tables=(
            Table(
                title="ReLU6 on a few values",
                columns=("x", "ReLU6(x)", "min(max(0, x), 6)"),
                rows=tuple(
                    (float(a), float(b), float(c))
                    for a, b, c in zip(values, clipped, by_hand, strict=True)
                ),
            ),
            Table(
                title=f"uint8 quantization of {samples:,} activations (one outlier at {outlier:g})",
                columns=("activation", "range", "step", "mean error", "max error"),
                rows=tuple(
                    (n, f"[0, {top:g}]", step, mean, mx) for n, top, step, mean, mx in results
                ),
                note="errors measured on activations inside [0, 6]; code = round(x / step), zero point 0",
            ),
        ),
        checks=(
            check(
                "ReLU6 clips at 0 and 6",
                expected="0, 0, 0, 2.5, 5.9, 6, 6, 6",
                measured=", ".join(f"{float(v):g}" for v in clipped),
                source="definition min(max(0, x), 6)",
            ),
            check(
                "F.relu6 equals clamp(x, 0, 6) exactly",
                expected=True,
                measured=bool(torch.equal(clipped, by_hand)),
                source="torch",
            ),
            check(
                f"ReLU6's observed range [0, {top6:g}] gives 256 uint8 levels",
                expected=levels + 1,
                measured=int(grid.numel()),
                source="torch.fake_quantize_per_tensor_affine on a ramp over the observed range",
            ),
            check(
                "int8 step for a [0, 6] range is 6/255",
                expected=6 / 255,
                measured=step6,
                source="6 / 255; measured: spacing of the fake-quantized levels (float32, hence rel ±1e-6)",
                rel_tol=1e-6,
            ),
            check(
                f"ReLU6 rounding error ≤ half a step ({max6:.6f} ≤ {scale6 / 2:.6f})",
                expected=True,
                measured=max6 <= scale6 / 2 + 1e-12,
                source="uniform quantization bound |x − q·s| ≤ s/2, computed in float64 (+1e-12 round-off)",
            ),
            check(
                "an unbounded ReLU's step is set by its largest activation: outlier/255",
                expected=outlier / 255,
                measured=step_relu,
                source="observed max / 255",
                rel_tol=1e-6,
            ),
            check(
                "so its mean error on ordinary values is larger",
                expected=True,
                measured=mean_relu > mean6,
                source="experiment",
            ),
        ),
    )


# MobileNetV3 (Q33)


@demo(
    "mobilenetv3",
    title="MobileNetV3: h-swish, squeeze-excitation, NAS-chosen blocks",
    summary="h-swish = x·ReLU6(x+3)/6 vs torch's hardswish, SE blocks, V3-Large/Small params and MACs",
)
def mobilenetv3(ctx: DemoContext) -> DemoResult:
    import math

    import torch
    from torch.nn import functional as F

    from cvquiz.demos import zoo

    x = torch.linspace(-6.0, 6.0, 1201, device=ctx.device)
    ours = zoo.h_swish(x)
    swish_gap = float((ours - F.silu(x)).abs().max())
    hswish_diff = float((ours - F.hardswish(x)).abs().max())
    hsig_diff = float((zoo.h_sigmoid(x) - F.hardsigmoid(x)).abs().max())
    points = torch.tensor([-4.0, -3.0, -1.0, 0.0, 1.0, 3.0, 4.0])
    sample_rows = tuple(
        (float(p), float(zoo.h_swish(p)), float(F.silu(p)), float(p * F.relu6(p + 3) / 6))
        for p in points
    )
    models, checks = [], []
    for name in ("mobilenet_v3_large", "mobilenet_v3_small", "mobilenet_v2"):
        spec = zoo.MODELS[name]
        model = zoo.build_meta(spec.builder)
        se = sum(isinstance(m, zoo.SqueezeExcitation) for m in model.modules())
        se_params = sum(
            zoo.count_params(m) for m in model.modules() if isinstance(m, zoo.SqueezeExcitation)
        )
        params, counted = zoo.count_params(model), zoo.counter_macs(model)
        models.append((name, params, counted, se, se_params))
        if name != "mobilenet_v2":
            checks.append(
                check(
                    f"{name} params",
                    expected=spec.reference_params,
                    measured=params,
                    source=TORCHVISION,
                )
            )
            checks.append(
                check(
                    f"{name}: {spec.reference_gmacs} GMACs",
                    expected=round(spec.reference_gmacs * 1e9),
                    measured=counted,
                    source=f"{TORCHVISION}; {COUNTER_SOURCE}",
                    abs_tol=500_000,
                )
            )
    (_, large_params, large_macs, large_se, _), (_, _, _, small_se, _), (_, _, v2_macs, _, _) = (
        models
    )
    return DemoResult(
        demo_id="mobilenetv3",
        title="MobileNetV3: h-swish, squeeze-excitation, NAS-chosen blocks",
        explanation=(
            "MobileNetV3 keeps V2's inverted residual but lets a search choose each block: platform-aware NAS "
            "for the blocks, NetAdapt for per-layer widths, measured on phone latency.",
            "Two additions: squeeze-and-excitation gates in some blocks, and h-swish(x) = x·ReLU6(x+3)/6, a "
            "piecewise-linear swish that is cheap and quantizes well (used in the later, deeper layers).",
            f"Result: V3-Large has {large_macs / v2_macs:.0%} of V2's MACs with better published accuracy.",
        ),
        tables=(
            Table(
                title="h-swish vs swish (x·sigmoid x)",
                columns=("x", "h-swish(x)", "swish(x)", "x·ReLU6(x+3)/6"),
                rows=sample_rows,
            ),
            Table(
                title="MobileNetV3 at 224×224 (V2 for comparison)",
                columns=("model", "params", "MACs", "SE blocks", "SE params"),
                rows=tuple(models),
            ),
        ),
        checks=(
            check(
                "h-swish x·ReLU6(x+3)/6 = torch's F.hardswish on [-6, 6]",
                expected=0.0,
                measured=hswish_diff,
                source="torch.nn.functional.hardswish",
                abs_tol=1e-6,
            ),
            check(
                "h-sigmoid ReLU6(x+3)/6 = torch's F.hardsigmoid",
                expected=0.0,
                measured=hsig_diff,
                source="torch.nn.functional.hardsigmoid",
                abs_tol=1e-6,
            ),
            check(
                "h-swish stays close to swish: the largest gap is 3·σ(−3) ≈ 0.1423, at the kinks x = ±3",
                expected=3 / (1 + math.exp(3)),
                measured=swish_gap,
                source="formula: for |x| ≥ 3 the gap is |x|·σ(−|x|), largest at 3 (a dense float64 grid "
                "on [-10, 10] finds no larger one inside); measured on [-6, 6] with F.silu, float32 (±1e-6)",
                abs_tol=1e-6,
            ),
            check(
                "SE blocks: 8 in V3-Large, 9 in V3-Small",
                expected="8, 9",
                measured=f"{large_se}, {small_se}",
                source="Howard et al. 2019, Tables 1 and 2",
            ),
            *checks,
            check(
                "V3-Large params > V2 params, yet fewer MACs",
                expected=True,
                measured=large_params > models[2][1] and large_macs < v2_macs,
                source="counts above",
            ),
        ),
        convention=MACS_CONVENTION,
    )


# Squeeze-and-excitation cost (Q34)


@demo(
    "squeeze-excitation-cost",
    title="Squeeze-and-excitation: what the channel gates cost",
    summary="global pool → FC reduce → FC expand → gates; SE params and MACs vs the MobileNetV3 block it sits in",
    params=(
        Param("channels", int, 120, "expanded channels C where SE sits", min=8, max=2048),
        Param("block_channels", int, 40, "block input/output channels", min=1, max=1024),
        Param("reduction", int, 4, "squeeze ratio r (C → C/r)", min=1, max=64),
        Param("size", int, 28, "height and width", min=1, max=224),
    ),
)
def squeeze_excitation_cost(
    ctx: DemoContext, *, channels: int, block_channels: int, reduction: int, size: int
) -> DemoResult:
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    c, r = channels, reduction
    s = max(1, c // r)
    refuse_large(2 * c * size * size, what=f"a 2×{c}×{size}×{size} tensor")
    se = zoo.SqueezeExcitation(c, s, gate=nn.Sigmoid).to(ctx.device).eval()
    x = torch.randn(2, c, size, size, device=ctx.device)  # (N, C, H, W)
    with torch.no_grad():
        pooled = x.mean(dim=(2, 3), keepdim=True)  # squeeze: (N, C, 1, 1)
        gates = se.gate(se.fc2(se.activation(se.fc1(pooled))))  # excitation: (N, C, 1, 1)
        out = se(x)
    block = zoo.build_meta(
        zoo.InvertedResidual,
        in_ch=block_channels,
        out_ch=block_channels,
        expanded_ch=c,
        kernel_size=5,
        activation=nn.ReLU,
        se_channels=s,
        se_gate=nn.Sigmoid,
    )
    se_meta = next(m for m in block.modules() if isinstance(m, zoo.SqueezeExcitation))
    x_meta = torch.empty(1, block_channels, size, size, device="meta")
    block_macs, block_params = zoo.forward_macs(block, x_meta), zoo.count_params(block)
    se_macs = zoo.forward_macs(se_meta, torch.empty(1, c, size, size, device="meta"))
    se_params = zoo.count_params(se_meta)
    return DemoResult(
        demo_id="squeeze-excitation-cost",
        title="Squeeze-and-excitation: what the channel gates cost",
        explanation=(
            "SE recalibrates channels: global average pool (squeeze each channel to one number), a small FC "
            "C → C/r → C (excitation), then a sigmoid gate in (0, 1) that rescales every channel.",
            f"The FCs act on a 1×1 map, so their MACs do not grow with the image: here SE is {se_macs / block_macs:.2%} "
            f"of the block's MACs but {se_params / block_params:.0%} of its parameters (2C²/r), and the global pool "
            "adds latency (it must see the whole map before any channel can be scaled).",
        ),
        tables=(
            Table(
                title=f"SE on C={c} (r={r}, C/r={s}) inside a 5×5 bneck {block_channels}→{c}→{block_channels}, {size}×{size}",
                columns=("part", "params", "MACs", "share of block"),
                rows=(
                    (
                        "SE: FC reduce + FC expand",
                        se_params,
                        se_macs,
                        f"{se_params / block_params:.1%} params, {se_macs / block_macs:.2%} MACs",
                    ),
                    ("whole block (with SE)", block_params, block_macs, "100%"),
                ),
                note="SE's pooling and channel scaling are C·H·W additions and multiplies each, not MACs in this convention",
            ),
            Table(
                title="Shapes through SE (batch 2)",
                columns=("step", "shape"),
                rows=(
                    ("input", format_shape(tuple(x.shape))),
                    ("squeeze: global average pool", format_shape(tuple(pooled.shape))),
                    ("excite: FC, ReLU, FC, sigmoid", format_shape(tuple(gates.shape))),
                    ("scale: input × gates", format_shape(tuple(out.shape))),
                ),
            ),
        ),
        checks=(
            check(
                "SE params: 2·C·C/r + C/r + C",
                expected=2 * c * s + s + c,
                measured=se_params,
                source="formula",
            ),
            check(
                "SE MACs: 2·C·C/r, independent of H×W",
                expected=2 * c * s,
                measured=se_macs,
                source=f"formula; {COUNTER_SOURCE}",
            ),
            check(
                "gates have shape (N, C, 1, 1)",
                expected=f"2×{c}×1×1",
                measured=format_shape(tuple(gates.shape)),
                source="experiment",
            ),
            check(
                "gates lie in (0, 1)",
                expected=True,
                measured=bool(((gates > 0) & (gates < 1)).all()),
                source="sigmoid range",
            ),
            check(
                "SE output = input × gates, channel by channel",
                expected=0.0,
                measured=float((out - x * gates).abs().max()),
                source="torch",
                abs_tol=1e-6,
            ),
        ),
        convention=MACS_CONVENTION,
    )


# Linear bottleneck: why ReLU needs the expansion (Q28)


@demo(
    "linear-bottleneck",
    title="Why expand before ReLU: the MobileNetV2 spiral experiment",
    summary="a 2-D spiral embedded in n dims, passed through ReLU, recovered: lost at n=2–5, kept at n=15–30",
    params=(Param("points", int, 500, "points on the spiral", min=50, max=20_000),),
)
def linear_bottleneck(ctx: DemoContext, *, points: int) -> DemoResult:
    import math

    import torch

    # Sandler et al. 2018, Figure 1: x (2-D) -> ReLU(T x) in n dims -> back to 2-D.
    g = torch.Generator().manual_seed(ctx.seed)  # CPU generator: the same matrices on every device
    angle = torch.linspace(0, 4 * math.pi, points)
    x = (torch.stack([angle * torch.cos(angle), angle * torch.sin(angle)], 1) / (4 * math.pi)).to(
        ctx.device
    )  # (P, 2)
    rows, recovered_by_n, linear_errors = [], {}, []
    for n in (2, 3, 5, 15, 30):
        t = torch.randn(n, 2, generator=g).to(ctx.device)  # (n, 2) random embedding
        y = torch.relu(x @ t.T)  # (P, n)
        active = y > 0
        # Best decoder given what survived: least squares on the rows ReLU left alive, per point.
        masked = active.unsqueeze(2) * t  # (P, n, 2)
        x_hat = (torch.linalg.pinv(masked) @ y.unsqueeze(2)).squeeze(2)  # (P, 2)
        err = (x_hat - x).norm(dim=1) / x.norm(dim=1).clamp_min(1e-6)
        recovered = float((err < 1e-3).float().mean())
        recovered_by_n[n] = recovered
        linear = (torch.linalg.pinv(t) @ (x @ t.T).T).T  # no ReLU: a linear map loses nothing
        linear_errors.append(float((linear - x).abs().max()))
        rows.append((n, float((~active).float().mean()), recovered, float(err.mean())))
    return DemoResult(
        demo_id="linear-bottleneck",
        title="Why expand before ReLU: the MobileNetV2 spiral experiment",
        explanation=(
            "Take a 2-D spiral, embed it in n dimensions with a random matrix T, apply ReLU, and try to get the "
            "spiral back (Sandler et al. 2018, Figure 1).",
            "ReLU zeroes about half the coordinates of every point. In 2–5 dimensions too few survive to pin the "
            "point down, so the information is gone; in 15–30 dimensions enough survive and every point comes back.",
            "Hence MobileNetV2 expands by t (6) before its ReLU6 layers, and projects back to the thin bottleneck "
            "with a linear 1×1 conv: a ReLU there, in few dimensions, would destroy information.",
        ),
        tables=(
            Table(
                title=f"A {points}-point spiral through ReLU(T x), T of shape n×2",
                columns=("n", "zeroed by ReLU", "points recovered", "mean rel. error"),
                rows=tuple(rows),
                note="recovered: relative error < 1e-3 with least squares on the coordinates ReLU kept",
            ),
        ),
        checks=(
            check(
                "n=2: most of the spiral cannot be recovered after ReLU",
                expected=True,
                measured=recovered_by_n[2] < 0.5,
                source=f"experiment: {recovered_by_n[2]:.1%} recovered; Sandler et al. 2018, Fig. 1",
            ),
            check(
                "n=3: still lossy",
                expected=True,
                measured=recovered_by_n[3] < 0.9,
                source=f"experiment: {recovered_by_n[3]:.1%} recovered",
            ),
            check(
                "n=15: (almost) every point recovered",
                expected=1.0,
                measured=recovered_by_n[15],
                source="experiment",
                abs_tol=0.01,
            ),
            check(
                "n=30: (almost) every point recovered",
                expected=1.0,
                measured=recovered_by_n[30],
                source="experiment",
                abs_tol=0.01,
            ),
            check(
                "without ReLU, the linear map loses nothing at any n",
                expected=0.0,
                measured=max(linear_errors),
                source="pinv(T) · T x = x",
                abs_tol=1e-4,
            ),
        ),
    )
