"""ResNet beside VGG-16 and DenseNet-121: where the parameters and MACs go."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cvquiz.demos.registry import demo
from cvquiz.demos.resnet.common import HE_2015, TORCHVISION, _gmacs, _paper_gmacs_check, _v1_vs_v15
from cvquiz.demos.result import COUNTER_SOURCE, MACS_CONVENTION, DemoResult, Table, check

if TYPE_CHECKING:
    from cvquiz.demos.registry import DemoContext


# Q15: ResNet vs VGG.


@demo(
    "vgg-vs-resnet",
    title="VGG-16 vs ResNet-50: parameters and MACs",
    summary="5.4x the parameters (89% in VGG's FC layers) and 3.8x the MACs of ResNet-50.",
)
def vgg_vs_resnet(ctx: DemoContext) -> DemoResult:
    from cvquiz.demos import zoo

    found = {}
    for name in ("vgg16", "resnet50"):
        model = zoo.build_meta(zoo.MODELS[name].builder)
        layers, counted = zoo.costed(model, (1, 3, 224, 224))
        found[name] = (model, layers, counted)
    vgg, vgg_layers, vgg_counted = found["vgg16"]
    r50, r50_layers, r50_counted = found["resnet50"]
    vgg_macs = sum(r.macs for r in vgg_layers)
    vgg_conv_macs = sum(r.macs for r in vgg_layers if r.kind == "conv")
    r50_macs = sum(r.macs for r in r50_layers)
    r50_v1_macs = r50_macs - _v1_vs_v15()[0]
    vgg_fc = zoo.count_params(vgg.classifier)
    vgg_fc_formula = (512 * 7 * 7 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000
    r50_fc = zoo.count_params(r50.fc)

    def share(part: int, whole: int) -> float:
        return round(part / whole, 4)

    param_rows = (
        ("VGG-16", 16, zoo.count_params(vgg), vgg_fc, share(vgg_fc, zoo.count_params(vgg))),
        ("ResNet-50", 50, zoo.count_params(r50), r50_fc, share(r50_fc, zoo.count_params(r50))),
    )
    mac_rows = (
        ("VGG-16", _gmacs(vgg_macs), _gmacs(vgg_conv_macs), 15.3),
        (
            "ResNet-50 (V1.5)",
            _gmacs(r50_macs),
            _gmacs(sum(r.macs for r in r50_layers if r.kind != "linear")),
            None,
        ),
        ("ResNet-50 (V1)", _gmacs(r50_v1_macs), None, 3.8),
    )
    stage_rows = []
    for label, layers in (("VGG-16", vgg_layers), ("ResNet-50", r50_layers)):
        by_size: dict[int, list[int]] = {}
        for r in layers:
            if r.kind != "linear":
                entry = by_size.setdefault(r.output_shape[-1], [0, 0])
                entry[0] += r.params
                entry[1] += r.macs
        stage_rows += [(label, f"{s}x{s}", p, m) for s, (p, m) in by_size.items()]

    checks = (
        check(
            "VGG-16: parameters",
            expected=138_357_544,
            measured=zoo.count_params(vgg),
            source=TORCHVISION,
        ),
        check(
            "ResNet-50: parameters",
            expected=25_557_032,
            measured=zoo.count_params(r50),
            source=TORCHVISION,
        ),
        check(
            "VGG-16: analytic MACs == FlopCounterMode / 2",
            expected=vgg_macs,
            measured=vgg_counted,
            source=COUNTER_SOURCE,
        ),
        check(
            "ResNet-50: analytic MACs == FlopCounterMode / 2",
            expected=r50_macs,
            measured=r50_counted,
            source=COUNTER_SOURCE,
        ),
        check(
            "VGG-16: GMACs",
            expected=15.47,
            measured=vgg_macs / 1e9,
            source=TORCHVISION,
            abs_tol=0.005,
        ),
        check(
            "ResNet-50: GMACs",
            expected=4.089,
            measured=r50_macs / 1e9,
            source=TORCHVISION,
            abs_tol=0.0005,
        ),
        check(
            "VGG-16: 15.3e9 multiply-adds (the paper counts its conv layers)",
            expected=15.3,
            measured=_gmacs(vgg_conv_macs),
            source=f"{HE_2015}, sec. 4.1 ('VGG-16/19 nets (15.3/19.6 billion FLOPs)')",
            abs_tol=0.05,
        ),
        _paper_gmacs_check(
            "ResNet-50 (V1): 3.8e9 multiply-adds", name="resnet50", macs=r50_v1_macs
        ),
        check(
            "VGG-16's three FC layers hold its parameters: (25088+1)·4096 + (4096+1)·4096 + (4096+1)·1000",
            expected=vgg_fc_formula,
            measured=vgg_fc,
            source="formula, weights + biases",
        ),
        check(
            "VGG-16 needs more MACs than ResNet-50 (and even ResNet-152's 11.3e9)",
            expected=True,
            measured=vgg_macs > r50_macs and vgg_conv_macs > 11.3e9,
            source=f"{HE_2015}, sec. 4.1",
        ),
    )
    return DemoResult(
        demo_id="vgg-vs-resnet",
        title="VGG-16 vs ResNet-50: parameters and MACs",
        explanation=(
            f"VGG-16 has {zoo.count_params(vgg) / zoo.count_params(r50):.1f}x ResNet-50's parameters and "
            f"{vgg_macs / r50_macs:.1f}x its MACs, yet ResNet-50 is more accurate: He et al. report "
            "22.85% vs 28.07% top-1 error (10-crop, Table 3).",
            f"{share(vgg_fc, zoo.count_params(vgg)):.0%} of VGG-16's parameters sit in its three FC layers (the "
            "first alone maps 512x7x7 to 4096). ResNet replaces them with global average pooling "
            "and a single 2048→1000 FC.",
            "VGG's compute is 3x3 convs at full width on large maps (64 channels at 224x224); "
            "ResNet shrinks the map fast in the stem (7x7 stride 2, max pool) and its bottlenecks "
            "run the 3x3s at a quarter of the block width.",
            "The paper's 15.3e9 for VGG-16 matches its conv layers (the FCs add 0.12e9 more).",
        ),
        tables=(
            Table(
                "Parameters",
                ("model", "layers", "params", "in FC layers", "FC share"),
                param_rows,
            ),
            Table(
                "GMACs at 224x224",
                ("model", "all layers", "conv layers", "paper"),
                mac_rows,
                note="paper: He et al. 2015, sec. 4.1 (VGG-16) and Table 1 (ResNet-50, V1).",
            ),
            Table(
                "Where the conv work happens (by output size)",
                ("model", "output size", "params", "MACs"),
                tuple(stage_rows),
            ),
        ),
        checks=checks,
        convention=MACS_CONVENTION,
    )


# Q17: ResNet vs DenseNet.


@demo(
    "densenet-vs-resnet",
    title="DenseNet-121 vs ResNet-50: concatenate vs add",
    summary="Concatenation grows channels k0 + l·k: fewer params and MACs, more activations.",
)
def densenet_vs_resnet(ctx: DemoContext) -> DemoResult:

    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.classic import DenseBlock, DenseLayer

    dense = zoo.build_meta(zoo.densenet121)
    r50 = zoo.build_meta(zoo.resnet50)
    # What each dense layer reads: the concatenation of everything before it in its block.
    blocks = [m for m in dense.modules() if isinstance(m, DenseBlock)]
    layer_reads: dict[int, list[tuple[int, ...]]] = {i: [] for i in range(len(blocks))}
    handles = [
        layer.register_forward_pre_hook(
            lambda _m, inp, i=i: layer_reads[i].append(tuple(inp[0].shape))
        )
        for i, block in enumerate(blocks)
        for layer in block.modules()
        if isinstance(layer, DenseLayer)
    ]
    d_layers, d_counted = zoo.costed(dense, (1, 3, 224, 224))
    for handle in handles:
        handle.remove()
    # What each ResNet-50 bottleneck reads and writes, stage by stage.
    stage_io: dict[int, list[tuple[tuple[int, ...], tuple[int, ...]]]] = {i: [] for i in range(4)}
    handles = [
        block.register_forward_hook(
            lambda _m, inp, out, i=i: stage_io[i].append((tuple(inp[0].shape), tuple(out.shape)))
        )
        for i in range(4)
        for block in getattr(r50, f"layer{i + 1}")
    ]
    r_layers, r_counted = zoo.costed(r50, (1, 3, 224, 224))
    for handle in handles:
        handle.remove()

    def numel(shape: tuple[int, ...]) -> int:
        n = 1
        for d in shape:
            n *= d
        return n

    k, rows, checks = 32, [], []
    for i, block in enumerate(blocks):
        reads = layer_reads[i]
        n, (_, k0, h, w) = len(block.layers), reads[0]
        concat_elems = sum(numel(shape) for shape in reads)
        resnet_elems = sum(numel(inp) for inp, _ in stage_io[i])
        rows.append((f"block {i + 1}", n, k0, k0 + n * k, f"{h}x{w}", concat_elems, resnet_elems))
        checks += [
            check(
                f"dense block {i + 1}: channels grow to k0 + L·k = {k0} + {n}·{k}",
                expected=k0 + n * k,
                measured=reads[-1][1] + k,
                source="Huang et al. 2017, eq. (2): x_l = H_l(x_0 ‖ … ‖ x_(l-1))",
            ),
            check(
                f"dense block {i + 1}: its layers read Σ (k0 + l·k)·H·W elements",
                expected=sum((k0 + layer * k) * h * w for layer in range(n)),
                measured=concat_elems,
                source="formula; each concat is a new tensor unless memory is shared",
            ),
        ]
    widths = [sorted({out[1] for _, out in stage_io[i]}) for i in range(4)]
    d_params, r_params = zoo.count_params(dense), zoo.count_params(r50)
    d_macs, r_macs = sum(r.macs for r in d_layers), sum(r.macs for r in r_layers)
    checks += [
        check(
            "DenseNet-121: parameters", expected=7_978_856, measured=d_params, source=TORCHVISION
        ),
        check("ResNet-50: parameters", expected=25_557_032, measured=r_params, source=TORCHVISION),
        check(
            "DenseNet-121: analytic MACs == FlopCounterMode / 2",
            expected=d_macs,
            measured=d_counted,
            source=COUNTER_SOURCE,
        ),
        check(
            "ResNet-50: analytic MACs == FlopCounterMode / 2",
            expected=r_macs,
            measured=r_counted,
            source=COUNTER_SOURCE,
        ),
        check(
            "DenseNet-121: GMACs",
            expected=2.834,
            measured=d_macs / 1e9,
            source=TORCHVISION,
            abs_tol=0.0005,
        ),
        check(
            "ResNet-50: GMACs",
            expected=4.089,
            measured=r_macs / 1e9,
            source=TORCHVISION,
            abs_tol=0.0005,
        ),
        check(
            "ResNet's addition keeps the width: every block of a stage outputs the same channels",
            expected=str([[256], [512], [1024], [2048]]),
            measured=str(widths),
            source=f"{HE_2015}: y = F(x) + x",
        ),
    ]
    d_total, r_total = sum(r[5] for r in rows), sum(r[6] for r in rows)
    return DemoResult(
        demo_id="densenet-vs-resnet",
        title="DenseNet-121 vs ResNet-50: concatenate vs add",
        explanation=(
            "ResNet adds: y = F(x) + x keeps the width, one skip per block. DenseNet (Huang et al. "
            "2017) concatenates: layer l reads x_0 ‖ x_1 ‖ … ‖ x_(l-1) (‖: concatenation), so a "
            "block's width grows by the growth rate k = 32 with every layer (64 + 6·32 = 256 in "
            "block 1).",
            f"Reusing features makes DenseNet-121 small: {d_params:,} parameters "
            f"({r_params / d_params:.1f}x fewer than ResNet-50) and {d_macs / 1e9:.2f} vs "
            f"{r_macs / 1e9:.2f} GMACs.",
            "The price is memory: each concatenation is a fresh tensor in a naive implementation, "
            f"so the dense layers read {d_total:,} elements against {r_total:,} for ResNet-50's "
            "blocks, and those maps are kept for backprop. Memory-efficient DenseNets share the "
            "concat storage and recompute BN-ReLU (Pleiss et al. 2017).",
            "Counted on the meta device: shapes only.",
        ),
        tables=(
            Table(
                "Dense blocks of DenseNet-121 at 224x224 (k = 32)",
                ("block", "layers L", "in k0", "out k0 + L·k", "H×W", "concat reads", "ResNet-50"),
                tuple(rows),
                note="concat reads: elements of every dense layer's concatenated input, summed; "
                "ResNet-50: elements of its block inputs in the stage at the same resolution.",
            ),
            Table(
                "Whole models at 224x224",
                ("model", "params", "GMACs", "combines by"),
                (
                    ("DenseNet-121", d_params, _gmacs(d_macs), "concatenation"),
                    ("ResNet-50", r_params, _gmacs(r_macs), "addition"),
                ),
            ),
        ),
        checks=tuple(checks),
        convention=MACS_CONVENTION,
    )
