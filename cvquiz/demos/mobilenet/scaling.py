"""EfficientNet's compound scaling: depth, width and resolution scaled together from B0."""

from __future__ import annotations

from dataclasses import dataclass

from cvquiz.demos.mobilenet.common import (
    LAYER_COUNT,
    TORCHVISION,
    ModelCount,
    _published_check,
    model_count,
)
from cvquiz.demos.params import Param, Settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import (
    MACS_CONVENTION,
    Presentation,
    Series,
    Table,
    check,
)
from cvquiz.demos.runner import DemoContext

# EfficientNet compound scaling (Q32)

SCALING = demo(
    "efficientnet-scaling",
    stochastic=False,  # the same numbers at every seed
    title="EfficientNet compound scaling: depth 1.2^φ, width 1.1^φ, resolution 1.15^φ",
    summary="the φ table, the constraint α·β²·γ² ≈ 2, FLOPs ≈ 2^φ, EfficientNet-B0 params and MACs",
    params=(Param("max_phi", int, 7, "largest φ to tabulate", min=0, max=12),),
)


@dataclass(frozen=True)
class PhiRow:
    """One step of compound scaling from B0 (Tan & Le 2019, eq. 3), unrounded."""

    phi: int
    depth: float  # α^φ
    width: float  # β^φ
    resolution: float  # γ^φ
    input: int  # 224·γ^φ, rounded
    flops: float  # (α·β²·γ²)^φ


@dataclass(frozen=True)
class ScalingNumbers:
    """The φ table, B0 counted, and φ = 1 built from it for real."""

    growth: float  # α·β²·γ², the FLOPs factor per step of φ
    rows: tuple[PhiRow, ...]
    b0: ModelCount
    phi1_resolution: int
    phi1_params: int
    phi1_macs: int  # by the zoo's per-layer count at phi1_resolution

    @property
    def step_ratio(self) -> float:
        """φ = 1's MACs over B0's, both by the zoo's per-layer count."""
        return self.phi1_macs / self.b0.analytic_macs


@SCALING.measure
def measure_scaling(s: Settings, ctx: DemoContext) -> ScalingNumbers:
    from fractions import Fraction

    from cvquiz.demos import zoo
    from cvquiz.demos.zoo.efficientnet import (
        ALPHA_DEPTH,
        BETA_WIDTH,
        GAMMA_RESOLUTION,
        EfficientNet,
        compound_config,
        compound_resolution,
    )

    alpha, beta, gamma = (
        Fraction(str(ALPHA_DEPTH)),
        Fraction(str(BETA_WIDTH)),
        Fraction(str(GAMMA_RESOLUTION)),
    )
    growth = alpha * beta**2 * gamma**2  # FLOPs scale with depth, width² and resolution²
    rows = tuple(
        PhiRow(
            phi,
            float(alpha**phi),
            float(beta**phi),
            float(gamma**phi),
            round(224 * float(gamma**phi)),
            float(growth**phi),
        )
        for phi in range(s.max_phi + 1)
    )
    # φ = 1 built for real: B0 with 1.2× the blocks per stage and 1.1× the widths, at 256×256.
    res1 = compound_resolution(1)
    b1 = zoo.build_meta(EfficientNet, config=compound_config(1))
    return ScalingNumbers(
        growth=float(growth),
        rows=rows,
        b0=model_count("efficientnet_b0"),
        phi1_resolution=res1,
        phi1_params=zoo.count_params(b1),
        phi1_macs=zoo.analytic_macs(
            b1, (1, 3, res1, res1), label=f"EfficientNet φ = 1 at {res1}×{res1}"
        ),
    )


@SCALING.present
def present_scaling(r: ScalingNumbers, s: Settings) -> Presentation:
    res1, b0, step_ratio = r.phi1_resolution, r.b0, r.step_ratio
    return Presentation(
        explanation=(
            "MobileNet scales one dial at a time (α for width, ρ for resolution). EfficientNet scales depth, "
            "width and resolution together with one coefficient φ: d = 1.2^φ, w = 1.1^φ, r = 1.15^φ.",
            "FLOPs grow linearly with depth and quadratically with width and resolution, so each step of φ "
            f"multiplies them by α·β²·γ² = {r.growth:.4f} ≈ 2: the budget doubles per step.",
            f"Built for real, φ = 1 (blocks per stage × 1.2 rounded up, widths × 1.1, {res1}×{res1}) costs "
            f"{step_ratio:.2f}× B0's MACs: rounding blocks up (a 1-block stage becomes 2) adds to the 1.92.",
            "The constants came from a small grid search on B0 (itself found by NAS); the result is often a "
            "better accuracy-per-FLOP frontier. MobileNets stay simpler and are supported by more runtimes.",
        ),
        tables=(
            Table(
                title="Compound scaling from EfficientNet-B0",
                columns=("φ", "depth ×", "width ×", "res ×", "input", "FLOPs ×", "2^φ"),
                rows=tuple(
                    (
                        row.phi,
                        row.depth,
                        row.width,
                        row.resolution,
                        row.input,
                        row.flops,
                        2**row.phi,
                    )
                    for row in r.rows
                ),
                note="the published B1–B7 round these (and pick their own resolutions), so they only approximate them",
            ),
            Table(
                title=f"EfficientNet-B0 at 224×224, and φ = 1 built from it at {res1}×{res1}",
                columns=("", "B0 counted", "B0 published", "φ = 1 counted", "φ = 1 ÷ B0"),
                rows=(
                    (
                        "params",
                        b0.params,
                        5_288_548,
                        r.phi1_params,
                        round(r.phi1_params / b0.params, 4),
                    ),
                    ("MACs", b0.analytic_macs, 386_000_000, r.phi1_macs, round(step_ratio, 4)),
                ),
                note="paper: 5.3M params, 0.39B FLOPs (the paper's 'FLOPs' are multiply-adds)",
            ),
        ),
        checks=(
            check(
                f"one step of φ multiplies FLOPs by about α·β²·γ² = {r.growth:.4f} ≈ 2 "
                f"(B0 vs φ = 1 at {res1}×{res1}: ×{step_ratio:.3f})",
                expected=round(r.growth, 5),
                measured=round(step_ratio, 5),
                source="Tan & Le 2019, eq. 3 (FLOPs ∝ d·w²·r²); measured: B0 and φ = 1 built and counted by "
                "formula (recounted by FlopCounterMode in verify); "
                "±20%: blocks per stage round up (1 → 2), widths to multiples of 8, resolution to a multiple of 32",
                rel_tol=0.2,
            ),
            check(
                "EfficientNet-B0 params",
                expected=5_288_548,
                measured=b0.params,
                source=TORCHVISION,
            ),
            check(
                "EfficientNet-B0: 0.386 GMACs",
                expected=386_000_000,
                measured=b0.analytic_macs,
                source=f"{TORCHVISION}; measured: {LAYER_COUNT}",
                abs_tol=500_000,
            ),
            _published_check(
                "EfficientNet-B0: 5.3M params (paper)",
                published_m=5.3,
                measured=b0.params,
                step_m=0.1,
                source="Tan & Le 2019, Table 2",
            ),
        ),
        series=(
            Series(
                "FLOPs multiplier by φ",
                x=tuple(float(row.phi) for row in r.rows),
                y=tuple(row.flops for row in r.rows),
                x_label="φ",
                y_label="FLOPs ×",
            ),
        ),
        convention=MACS_CONVENTION,
    )
