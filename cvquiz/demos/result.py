"""What a demo returns: tables, checks and series as plain data (no torch here), read by Rich and --json."""

from __future__ import annotations

import math
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


@dataclass(frozen=True)
class Series:
    """Points for a small plot (rendered as a text bar chart)."""

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
    """What a demo's `present` step makes of its numbers: text, tables, checks and series."""

    explanation: tuple[str, ...]
    tables: tuple[Table, ...] = ()
    checks: tuple[Check, ...] = ()
    series: tuple[Series, ...] = ()
    convention: str | None = None


@dataclass(frozen=True)
class DemoResult:
    """One demo run: its numbers as measured, their presentation, and the settings, device and seed."""

    demo_id: str
    title: str
    explanation: tuple[str, ...]
    tables: tuple[Table, ...] = ()
    checks: tuple[Check, ...] = ()
    series: tuple[Series, ...] = ()
    convention: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    device: str = "cpu"
    seed: int = 0
    numbers: Any = field(default=None, repr=False, compare=False)  # what `measure` returned

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def checks_passed(self) -> int:
        return sum(c.passed for c in self.checks)

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
            "checks_passed": self.checks_passed,
            "checks_total": len(self.checks),
            "passed": self.passed,
        }
