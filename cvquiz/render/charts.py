"""A demo's plots: drawn in the terminal with Rich (bars, sparklines, line charts), or as a PNG.

Each series gets its own glyph as well as its own colour, and every chart has a legend, so a
chart reads the same with NO_COLOR. Charts fit the width they are given (60 columns and up).
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text

from cvquiz.demos.result import format_cell

if TYPE_CHECKING:
    from cvquiz.demos.result import Plot, Point

GLYPHS = ("●", "×", "+", "◆", "▲", "○", "■", "*")  # one per series of a line chart
FILLS = ("█", "▒", "░", "▓")  # one per series of a grouped bar chart
STYLES = ("cyan", "magenta", "yellow", "green", "blue", "red", "bright_cyan", "bright_magenta")
SPARKS = "▁▂▃▄▅▆▇█"
SHARED = "#"  # a line chart's cell where several series meet
BAR_WIDTH = 36
LINE_HEIGHT = 10
LINE_WIDTH = 64  # the most columns a line chart's plotting area takes


def chart_value(value: float) -> str:
    """A value on a chart, to the 3 significant digits a chart can show (tables have the rest)."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1e-3:
        return f"{value:.3g}"
    return f"{value:.2g}"


def _style(i: int) -> str:
    return STYLES[i % len(STYLES)]


def _legend(marks: Sequence[tuple[str, str, str]], *, width: int) -> Text:
    """'● plain-20  × resnet-20': (glyph, name, style) each, wrapped to the width."""
    legend = Text("  ", no_wrap=False)
    for i, (glyph, name, style) in enumerate(marks):
        if i:
            legend.append("   ")
        legend.append(glyph, style=style)
        legend.append(f" {name}")
    return legend


def _x_text(plot: Plot, x: float | str) -> str:
    if isinstance(x, str):
        return x
    return f"{plot.x_label}={format_cell(x)}" if plot.x_label else format_cell(x)


# --------------------------------------------------------------------------- bars


def bars(plot: Plot, *, width: int) -> Group:
    """A horizontal bar per point, scaled to the largest value; several series: grouped bars."""
    names = list(plot.series)
    xs = list(dict.fromkeys(x for points in plot.series.values() for x, _y in points))
    value_of = {(name, x): y for name, points in plot.series.items() for x, y in points}
    top = max((abs(y) for y in value_of.values()), default=0.0) or 1.0
    labels = {x: _x_text(plot, x) for x in xs}
    values = {key: chart_value(y) for key, y in value_of.items()}
    label_width = max(Text(label).cell_len for label in labels.values())
    value_width = max(len(v) for v in values.values())
    bar_width = max(8, min(BAR_WIDTH, width - label_width - value_width - 6))
    lines: list[RenderableType] = [Text(plot.title, style="bold")]
    for x in xs:
        for i, name in enumerate(names):
            if (name, x) not in value_of:
                continue
            y = value_of[(name, x)]
            fill = FILLS[i % len(FILLS)] if len(names) > 1 else FILLS[0]
            bar = fill * max(1, round(bar_width * abs(y) / top)) if y else ""
            label = labels[x] if i == 0 or (names[0], x) not in value_of else ""
            pad = " " * (label_width - Text(label).cell_len)
            lines.append(
                Text.assemble(f"  {label}{pad} ", (bar, _style(i)), f" {values[(name, x)]}")
            )
    if len(names) > 1:
        lines.append(
            _legend(
                [(FILLS[i % len(FILLS)], n, _style(i)) for i, n in enumerate(names)], width=width
            )
        )
    if plot.note:
        lines.append(Text(plot.note, style="dim"))
    return Group(*lines)


# --------------------------------------------------------------------------- sparklines


def _resample(ys: Sequence[float], columns: int) -> list[float]:
    """At most `columns` values: the mean of each equal share of the points."""
    if len(ys) <= columns:
        return list(ys)
    out = []
    for c in range(columns):
        lo, hi = c * len(ys) // columns, (c + 1) * len(ys) // columns
        chunk = ys[lo:hi] or [ys[lo]]
        out.append(sum(chunk) / len(chunk))
    return out


def _spark(ys: Sequence[float]) -> str:
    """Eight levels from the lowest value to the highest; a flat series sits in the middle."""
    lo, hi = min(ys), max(ys)
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi)):
        return SPARKS[len(SPARKS) // 2 - 1] * len(ys)
    return "".join(SPARKS[round((y - lo) / (hi - lo) * (len(SPARKS) - 1))] for y in ys)


def sparklines(plot: Plot, *, width: int) -> Group:
    """One line per series: its name, a sparkline, first → last value and the range."""
    names = list(plot.series)
    name_width = max(Text(n).cell_len for n in names)
    tails = {}
    for name, points in plot.series.items():
        ys = [y for _x, y in points]
        tail = f" {chart_value(ys[0])} → {chart_value(ys[-1])}"
        if len(ys) > 2 and (min(ys), max(ys)) != tuple(sorted((ys[0], ys[-1]))):
            tail += f" (min {chart_value(min(ys))}, max {chart_value(max(ys))})"
        tails[name] = tail
    columns = max(8, min(48, width - name_width - max(map(len, tails.values())) - 4))
    lines: list[RenderableType] = [Text(plot.title, style="bold")]
    for i, (name, points) in enumerate(plot.series.items()):
        spark = _spark(_resample([y for _x, y in points], columns))
        pad = " " * (name_width - Text(name).cell_len)
        lines.append(Text.assemble(f"  {name}{pad} ", (spark, _style(i)), tails[name]))
    if plot.y_label or plot.x_label:
        over = f" over {plot.x_label}" if plot.x_label else ""
        lines.append(Text(f"  {plot.y_label or 'value'}{over}", style="dim"))
    if plot.note:
        lines.append(Text(plot.note, style="dim"))
    return Group(*lines)


# --------------------------------------------------------------------------- line chart


def _column_values(
    points: Sequence[Point], x_lo: float, x_hi: float, columns: int
) -> list[float | None]:
    """Each column's y: the mean of the points that fall in it, else interpolated between the
    neighbours on either side, else None (outside the series' x range)."""
    pts = sorted((float(x), y) for x, y in points)
    span = (x_hi - x_lo) or 1.0
    out: list[float | None] = []
    for c in range(columns):
        lo = x_lo + span * c / columns
        hi = x_lo + span * (c + 1) / columns
        inside = [y for x, y in pts if lo <= x < hi or (c == columns - 1 and x == hi)]
        if inside:
            out.append(sum(inside) / len(inside))
            continue
        mid = (lo + hi) / 2
        left = [(x, y) for x, y in pts if x <= mid]
        right = [(x, y) for x, y in pts if x >= mid]
        if not left or not right:
            out.append(None)
            continue
        (x0, y0), (x1, y1) = left[-1], right[0]
        out.append(y0 if x1 == x0 else y0 + (y1 - y0) * (mid - x0) / (x1 - x0))
    return out


def line_chart(plot: Plot, *, width: int, height: int = LINE_HEIGHT) -> Group:
    """Every series over a shared x axis: y labels on the left, x range below, a legend."""
    names = list(plot.series)

    def scale(y: float) -> float:
        return math.log10(y) if plot.log_y else y

    xs = [float(x) for points in plot.series.values() for x, _y in points]
    ys = [y for points in plot.series.values() for _x, y in points]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = scale(min(ys)), scale(max(ys))
    if y_lo == y_hi:
        y_lo, y_hi = y_lo - 1, y_hi + 1

    def unscale(v: float) -> float:
        return 10**v if plot.log_y else v

    ticks = {
        0: unscale(y_hi),
        (height - 1) // 2: unscale((y_lo + y_hi) / 2),
        height - 1: unscale(y_lo),
    }
    tick_text = {row: chart_value(v) for row, v in ticks.items()}
    label_width = max(len(t) for t in tick_text.values())
    columns = max(16, min(LINE_WIDTH, width - label_width - 4))
    grid: list[list[tuple[str, str] | None]] = [[None] * columns for _ in range(height)]
    shared = False
    for i, name in enumerate(names):
        glyph, style = GLYPHS[i % len(GLYPHS)], _style(i)
        for c, y in enumerate(_column_values(plot.series[name], x_lo, x_hi, columns)):
            if y is None:
                continue
            row = height - 1 - round((scale(y) - y_lo) / (y_hi - y_lo) * (height - 1))
            cell = grid[row][c]
            if cell is not None and cell[0] != glyph:
                grid[row][c], shared = (SHARED, "bold"), True
            else:
                grid[row][c] = (glyph, style)
    lines: list[RenderableType] = [Text(plot.title, style="bold")]
    if plot.y_label:
        lines.append(Text(f"{plot.y_label}" + (" (log scale)" if plot.log_y else ""), style="dim"))
    for r in range(height):
        line = Text(tick_text.get(r, "").rjust(label_width) + (" ┤" if r in tick_text else " │"))
        for cell in grid[r]:
            if cell is None:
                line.append(" ")
            else:
                line.append(cell[0], style=cell[1])
        lines.append(line)
    lines.append(Text(" " * label_width + " └" + "─" * columns))
    left, right = chart_value(x_lo), chart_value(x_hi)
    middle = plot.x_label
    gap = columns - len(left) - len(right) - len(middle)
    if gap < 2:
        middle, gap = "", columns - len(left) - len(right)
    axis = left + " " * (gap // 2) + middle + " " * (gap - gap // 2) + right
    lines.append(Text(" " * (label_width + 2) + axis))
    marks = [(GLYPHS[i % len(GLYPHS)], n, _style(i)) for i, n in enumerate(names)]
    if shared:
        marks.append((SHARED, "several", "bold"))
    lines.append(_legend(marks, width=width))
    if plot.note:
        lines.append(Text(plot.note, style="dim"))
    return Group(*lines)


def render_plot(plot: Plot, *, width: int) -> RenderableType:
    """One plot in the terminal, by its kind."""
    if plot.kind == "line":
        return line_chart(plot, width=width)
    if plot.kind == "sparklines":
        return sparklines(plot, width=width)
    return bars(plot, width=width)


# --------------------------------------------------------------------------- PNG


def png_bytes(plots: Sequence[Plot], *, title: str) -> bytes:
    """The plots one above another in a PNG (matplotlib: the `plot` extra; ImportError without)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.4 * len(plots)), layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title)
    for axes, plot in zip(figure.subplots(len(plots), 1, squeeze=False)[:, 0], plots, strict=True):
        axes.set_title(plot.title, fontsize="medium")
        names = list(plot.series)
        if plot.kind == "bars":
            xs = list(dict.fromkeys(x for points in plot.series.values() for x, _y in points))
            height = 0.8 / len(names)
            for i, name in enumerate(names):
                value_of = dict(plot.series[name])
                rows = [(k, value_of[x]) for k, x in enumerate(xs) if x in value_of]
                axes.barh([k + i * height for k, _y in rows], [y for _k, y in rows], height=height,
                          label=name)  # fmt: skip
            axes.set_yticks([k + 0.4 - height / 2 for k in range(len(xs))])
            axes.set_yticklabels([_x_text(plot, x) for x in xs])
            axes.invert_yaxis()
            axes.set_xlabel(plot.y_label)
        else:
            for i, name in enumerate(names):
                points = plot.series[name]
                axes.plot([float(x) for x, _y in points], [y for _x, y in points],
                          marker="o" if len(points) <= 30 else None, label=name,
                          linestyle=("-", "--", "-.", ":")[i % 4])  # fmt: skip
            axes.set_xlabel(plot.x_label)
            axes.set_ylabel(plot.y_label)
            if plot.log_y:
                axes.set_yscale("log")
        if len(names) > 1:
            axes.legend(fontsize="small")
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100, metadata={"Software": None})
    return out.getvalue()
