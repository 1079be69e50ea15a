"""MobileNets Tables 2 and 3 (Howard et al. 2017), recomputed from the zoo, for the cost demo."""

from __future__ import annotations

from dataclasses import dataclass

from cvquiz.demos.mobilenet.common import LAYER_COUNT, MOBILENETS, _published_check
from cvquiz.demos.result import Check, Table, check

# Table 2: share of mult-adds and of parameters (weights) by layer type, in %.
TABLE2 = (
    # type, mult-adds %, parameters %
    ("Conv 1×1", 94.86, 74.59),
    ("Conv DW 3×3", 3.06, 1.06),
    ("Conv 3×3 (first)", 1.19, 0.02),
    ("Fully connected", 0.18, 24.33),
)
# The paper's 1.19% first-conv share is a digit swap: 3·32·9·112² / 568.7M = 1.91%, and with
# 1.19% its four shares sum to 99.29%.
FIRST_CONV_SHARE = 1.91

# Table 3: one layer, Dk = 3, M = N = 512, Df = 14: mult-adds (M) and parameters (M).
TABLE3_LAYER = (3, 512, 512, 14)
TABLE3 = (
    ("Conv 14×14×512", 462, 2.36),
    ("Depthwise Separable Conv", 52.3, 0.27),
    ("α = 0.75", 29.6, 0.15),
    ("ρ = 0.714", 15.1, 0.15),
)


@dataclass(frozen=True)
class PaperTables:
    """Table 2's totals by layer type (MobileNetV1 at 224) and Table 3's rows, counted."""

    macs: tuple[int, ...]  # by TABLE2 row
    weights: tuple[int, ...]  # conv and FC weights (no biases, no BN), by TABLE2 row
    table3: tuple[tuple[int, int], ...]  # (MACs by the per-layer count, params), by TABLE3 row


def measure_tables() -> PaperTables:
    """Count MobileNetV1's layers by type and Table 3's layer four ways, on meta (imports torch)."""
    import torch
    from torch import nn

    from cvquiz.demos import zoo

    model = zoo.build_meta(zoo.mobilenet_v1)
    macs, weights = [0, 0, 0, 0], [0, 0, 0, 0]
    for row in zoo.layer_macs(model, (1, 3, 224, 224), label="mobilenet_v1 at 224×224"):
        layer = model.get_submodule(row.name)
        if row.kind == "linear":
            kind = 3
        elif row.kind == "dwconv":
            kind = 1
        else:
            kind = 0 if layer.kernel_size == (1, 1) else 2
        macs[kind] += row.macs
        weights[kind] += layer.weight.numel()

    k, m, n, size = TABLE3_LAYER
    thin = round(0.75 * m)  # α = 0.75 thins both M and N
    small = round(0.714 * size)  # ρ = 0.714: 14 → 10

    def separable(channels_in: int, channels_out: int) -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(channels_in, channels_in, k, padding=1, groups=channels_in, bias=False),
            nn.Conv2d(channels_in, channels_out, 1, bias=False),
        )

    layers = (
        (zoo.build_meta(lambda: nn.Conv2d(m, n, k, padding=1, bias=False)), m, size),
        (zoo.build_meta(separable, channels_in=m, channels_out=n), m, size),
        (zoo.build_meta(separable, channels_in=thin, channels_out=thin), thin, size),
        (zoo.build_meta(separable, channels_in=thin, channels_out=thin), thin, small),
    )
    table3 = tuple(
        (
            zoo.formula_macs(
                layer, torch.empty(1, c, s, s, device="meta"), label=f"Table 3: {name}"
            ),
            zoo.count_params(layer),
        )
        for (layer, c, s), (name, _, _) in zip(layers, TABLE3, strict=True)
    )
    return PaperTables(macs=tuple(macs), weights=tuple(weights), table3=table3)


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 2)


def present_tables(t: PaperTables) -> tuple[tuple[Table, Table], tuple[Check, ...]]:
    """Tables 2 and 3 beside the counts, and a check per published figure."""
    total_macs, total_weights = sum(t.macs), sum(t.weights)
    checks: list[Check] = []
    rows2 = []
    for (name, paper_macs, paper_params), macs, weights in zip(
        TABLE2, t.macs, t.weights, strict=True
    ):
        share_macs, share_params = _percent(macs, total_macs), _percent(weights, total_weights)
        rows2.append((name, share_macs, paper_macs, share_params, paper_params))
        first = name.startswith("Conv 3×3")
        checks.append(
            check(
                f"Table 2: {name} is {FIRST_CONV_SHARE if first else paper_macs}% of the mult-adds"
                + (" (the paper prints 1.19%, a digit swap)" if first else ""),
                expected=FIRST_CONV_SHARE if first else paper_macs,
                measured=share_macs,
                source=f"{MOBILENETS}, Table 2"
                + ("; with 1.19% its shares sum to 99.29%, with 1.91% to 100.01%" if first else "")
                + "; measured: the zoo's MobileNetV1 at 224×224, to 2 decimals",
                abs_tol=0.005,
            )
        )
        checks.append(
            check(
                f"Table 2: {name} holds {paper_params}% of the parameters",
                expected=paper_params,
                measured=share_params,
                source=f"{MOBILENETS}, Table 2; measured: conv and FC weights (no biases, no BN)",
                abs_tol=0.005,
            )
        )
    rows3 = []
    for (name, paper_macs, paper_params), (macs, params) in zip(TABLE3, t.table3, strict=True):
        rows3.append((name, macs, f"{paper_macs}M", params, f"{paper_params}M"))
        step_macs = 1 if paper_macs >= 100 else 0.1
        checks.append(
            _published_check(
                f"Table 3: {name}: {paper_macs}M mult-adds",
                published_m=paper_macs,
                measured=macs,
                step_m=step_macs,
                source=f"{MOBILENETS}, Table 3; measured: {LAYER_COUNT}",
            )
        )
        checks.append(
            _published_check(
                f"Table 3: {name}: {paper_params}M params",
                published_m=paper_params,
                measured=params,
                step_m=0.01,
                source=f"{MOBILENETS}, Table 3",
            )
        )
    k, m, n, size = TABLE3_LAYER
    return (
        Table(
            title="MobileNetV1's cost by layer type (MobileNets Table 2), recounted at 224×224",
            columns=("layer type", "mult-adds %", "paper", "params %", "paper"),
            rows=tuple(rows2),
            note="params: conv and FC weights, as the paper counts them; the first conv is 1.91% "
            "of the mult-adds, printed 1.19% in the paper",
        ),
        Table(
            title=f"MobileNets Table 3: one layer, Dk={k}, M={m}, N={n}, Df={size}",
            columns=("layer", "MACs", "paper", "params", "paper"),
            rows=tuple(rows3),
            note="α = 0.75 thins M and N to 384; ρ = 0.714 shrinks 14×14 to 10×10",
        ),
    ), tuple(checks)
