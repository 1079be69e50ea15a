"""What a demo returns: tables, checks and plots as plain data (no torch here), read by Rich and --json."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Cell = str | int | float | bool | None
Value = int | float | str | bool

# The one FLOP convention every demo states (and the zoo counts by).
MACS_CONVENTION = (
    "MACs = multiply-accumulates of conv and linear layers only (BN, activations, pooling, adds not counted); "
    "FLOPs = 2 × MACs"
)
# How a demo names torch's own count in a table column or a check's source.
COUNTER_SOURCE = "FlopCounterMode ÷ 2"


def format_cell(value: object) -> str:
    """One cell or check value as text: exact ints with separators, floats to 6 significant digits."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0:
            return "0"  # also -0.0
        if not math.isfinite(value) or abs(value) >= 1e6 or abs(value) < 1e-3:
            return f"{value:.4g}"
        return f"{value:.6g}"
    return str(value)


def format_shape(shape: object) -> str:
    """A shape (a tensor's .shape or a sequence of ints) as 'N×C×H×W'."""
    dims = getattr(shape, "shape", shape)
    return "×".join(str(int(d)) for d in dims)  # type: ignore[union-attr]


def _plain(value: Any) -> Any:
    """A JSON-ready copy: ints stay exact ints, numpy/torch scalars become Python numbers."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # JSON has no NaN or infinity: say it in words rather than emit invalid JSON.
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return _plain(value.item())
    return str(value)


@dataclass(frozen=True)
class Table:
    """A titled table; counts in cells are exact ints, floats only for ratios and times."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str | None = None

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table '{self.title}': row {row!r} has {len(row)} cells for {len(self.columns)} columns"
                )

    def numeric_columns(self) -> list[bool]:
        """Which columns hold only numbers (blank cells aside): renderers right-align those."""

        def is_number(value: Cell) -> bool:
            return isinstance(value, int | float) and not isinstance(value, bool)

        return [
            bool(cells) and all(is_number(c) for c in cells)
            for cells in (
                [row[i] for row in self.rows if row[i] not in (None, "")]
                for i in range(len(self.columns))
            )
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "columns": list(self.columns),
            "rows": [[_plain(c) for c in row] for row in self.rows],
            "note": self.note,
        }


@dataclass(frozen=True)
class Check:
    """One claim from an answer, its expected value (formula or publication) and what was measured."""

    claim: str
    expected: Value
    measured: Value
    source: str
    passed: bool
    tolerance: str = "exact"

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "expected": _plain(self.expected),
            "measured": _plain(self.measured),
            "tolerance": self.tolerance,
            "source": self.source,
            "passed": self.passed,
        }


def _percent(rel_tol: float) -> str:
    # Tiny relative tolerances (float round-off) read better as a plain factor than as a percentage.
    return f"±{rel_tol * 100:.4g}%" if rel_tol >= 1e-5 else f"rel ±{rel_tol:.0e}"


def tolerance_text(*, rel_tol: float = 0.0, abs_tol: float = 0.0) -> str:
    """'exact', '±0.5%', '±0.05' or both joined by 'or' (either bound is enough, as in math.isclose)."""
    parts = []
    if rel_tol:
        parts.append(_percent(rel_tol))
    if abs_tol:
        parts.append(
            f"±{int(abs_tol):,}"
            if abs_tol >= 1 and float(abs_tol).is_integer()
            else f"±{abs_tol:.4g}"
        )
    return " or ".join(parts) if parts else "exact"


def check(
    claim: str,
    *,
    expected: Value,
    measured: Value,
    source: str,
    rel_tol: float = 0.0,
    abs_tol: float = 0.0,
) -> Check:
    """A Check whose `passed` is exact equality, or math.isclose when a tolerance is given."""
    expected, measured = _plain(expected), _plain(measured)
    numeric = all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in (expected, measured)
    )
    if (rel_tol or abs_tol) and numeric:
        passed = math.isclose(measured, expected, rel_tol=rel_tol, abs_tol=abs_tol)
    else:
        passed = type(expected) is type(measured) and expected == measured
        if not passed and numeric:
            passed = expected == measured  # 6 == 6.0 is still exact
    return Check(
        claim=claim,
        expected=expected,
        measured=measured,
        source=source,
        passed=bool(passed),
        tolerance=tolerance_text(rel_tol=rel_tol, abs_tol=abs_tol),
    )


PLOT_KINDS = ("bars", "line", "sparklines")
Point = tuple[float | str, float]


@dataclass(frozen=True)
class Plot:
    """A small chart as plain data: named series of (x, y) points (JSON-ready, drawn by Rich).

    `bars`: one bar per point (x is its label; several series give grouped bars); `line`: every
    series over the same x axis (training curves); `sparklines`: one line per series. `log_y`
    draws a line chart's y axis on a log scale (every y > 0).
    """

    title: str
    kind: str
    series: Mapping[str, Sequence[Point]]
    x_label: str = ""
    y_label: str = ""
    log_y: bool = False
    note: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in PLOT_KINDS:
            raise ValueError(f"plot '{self.title}': kind {self.kind!r} is not one of {PLOT_KINDS}")
        series = {
            str(name): tuple((x, float(y)) for x, y in points)
            for name, points in self.series.items()
        }
        if not series or not all(series.values()):
            raise ValueError(f"plot '{self.title}': every series needs at least one point")
        ys = [y for points in series.values() for _x, y in points]
        if not all(math.isfinite(y) for y in ys):
            raise ValueError(f"plot '{self.title}': a y value is not finite")
        if self.log_y and min(ys) <= 0:
            raise ValueError(f"plot '{self.title}': a log axis needs every y > 0")
        if self.kind == "line" and not all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
            for points in series.values()
            for x, _y in points
        ):
            raise ValueError(f"plot '{self.title}': a line chart's x values must be numbers")
        object.__setattr__(self, "series", series)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "kind": self.kind,
            "x_label": self.x_label,
            "y_label": self.y_label,
            "log_y": self.log_y,
            "note": self.note,
            "series": {
                name: [[_plain(x), y] for x, y in points] for name, points in self.series.items()
            },
        }


@dataclass(frozen=True)
class Series:
    """Points for a bar chart (the older form of a Plot: drawn as Plot(kind="bars"))."""

    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    x_label: str
    y_label: str

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(
                f"series '{self.name}': {len(self.x)} x values for {len(self.y)} y values"
            )

    def as_plot(self) -> Plot:
        """The same bars as a Plot: one series named by the y label, labelled `x_label=x`."""
        return Plot(
            self.name,
            "bars",
            {self.y_label: list(zip(self.x, self.y, strict=True))},
            x_label=self.x_label,
            y_label=self.y_label,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "x": _plain(self.x),
            "y": _plain(self.y),
            "x_label": self.x_label,
            "y_label": self.y_label,
        }


@dataclass(frozen=True)
class Presentation:
    """What a demo's `present` step makes of its numbers: text, tables, plots and checks."""

    explanation: tuple[str, ...]
    tables: tuple[Table, ...] = ()
    checks: tuple[Check, ...] = ()
    series: tuple[Series, ...] = ()  # drawn as bar plots after `plots`
    convention: str | None = None
    plots: tuple[Plot, ...] = ()


@dataclass(frozen=True)
class DemoResult:
    """One demo run: its numbers as measured, their presentation, and the settings, device and seed.

    `plots` holds every plot, the presentation's `series` included (as bars); `oracle` the
    formula-vs-FlopCounterMode checks of a run with the oracle on (verify, tests), else empty.
    """

    demo_id: str
    title: str
    explanation: tuple[str, ...]
    tables: tuple[Table, ...] = ()
    checks: tuple[Check, ...] = ()
    series: tuple[Series, ...] = ()
    convention: str | None = None
    plots: tuple[Plot, ...] = ()
    oracle: tuple[Check, ...] = ()
    params: dict[str, object] = field(default_factory=dict)
    device: str = "cpu"
    seed: int = 0
    numbers: Any = field(default=None, repr=False, compare=False)  # what `measure` returned

    @property
    def all_checks(self) -> tuple[Check, ...]:
        """The demo's own checks, then the oracle's."""
        return self.checks + self.oracle

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.all_checks if not c.passed)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.all_checks)

    @property
    def checks_passed(self) -> int:
        return sum(c.passed for c in self.all_checks)

    @property
    def checks_total(self) -> int:
        return len(self.all_checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "demo_id": self.demo_id,
            "title": self.title,
            "explanation": list(self.explanation),
            "params": _plain(self.params),
            "device": self.device,
            "seed": self.seed,
            "convention": self.convention,
            "tables": [t.to_dict() for t in self.tables],
            "checks": [c.to_dict() for c in self.checks],
            "series": [s.to_dict() for s in self.series],
            "plots": [p.to_dict() for p in self.plots],
            "oracle": [c.to_dict() for c in self.oracle],
            "checks_passed": self.checks_passed,
            "checks_total": self.checks_total,
            "passed": self.passed,
        }
