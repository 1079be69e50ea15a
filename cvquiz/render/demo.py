"""Rich rendering of demo results, demo lists, parameter lists and verification runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.rule import Rule
from rich.table import Table as RichTable
from rich.text import Text

from cvquiz.demos.result import format_cell
from cvquiz.render.fit import Column, fit_table

if TYPE_CHECKING:
    from cvquiz.bank.model import Question
    from cvquiz.demos.registry import DemoSpec
    from cvquiz.demos.result import Check, DemoResult, Series, Table
    from cvquiz.demos.verify import Verified
    from cvquiz.links import CatalogueEntry

PASS, FAIL = "✓", "✗"
BAR_WIDTH = 36


def fmt(value: object) -> str:
    """One cell: the shared, torch-free formatter (exporters use the same one)."""
    return format_cell(value)


def _table(table: Table, *, width: int) -> Group:
    """Title and note as their own lines (so they wrap to the screen, not to a narrow table)."""
    columns = [
        Column(name, justify="right" if numeric else "left")
        for name, numeric in zip(table.columns, table.numeric_columns(), strict=True)
    ]
    rows = [[fmt(c) for c in row] for row in table.rows]
    parts: list[RenderableType] = [
        Text(table.title, style="bold"),
        fit_table(columns, rows, width=width, gaps=(3, 2, 1)),
    ]
    if table.note:
        parts.append(Text(table.note, style="dim"))
    return Group(*parts)


def _checks(items: Sequence[Check], *, prefix: str = "") -> RichTable:
    """One row per check: the mark, then the claim over a dim line of expected, measured and source."""
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(width=2, justify="right", no_wrap=True)
    grid.add_column(overflow="fold")
    for item in items:
        mark = Text(PASS, style="bold green") if item.passed else Text(FAIL, style="bold red")
        text = Text(prefix + item.claim, style="" if item.passed else "bold")
        text.append(
            f"\nexpected {fmt(item.expected)}, measured {fmt(item.measured)} ({item.tolerance}) · {item.source}",
            style="dim",
        )
        grid.add_row(mark, text)
    return grid


def chart_value(value: float) -> str:
    """A bar's value, to the 3 significant digits a bar can show (exact numbers are in the tables)."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1e-3:
        return f"{value:.3g}"
    return f"{value:.2g}"


def _series(series: Series, *, width: int) -> Group:
    """A horizontal bar per point: the label, a bar scaled to the largest value, the value."""
    top = max((abs(y) for y in series.y), default=0.0) or 1.0
    labels = [f"{series.x_label}={fmt(x)}" for x in series.x]
    values = [chart_value(y) for y in series.y]
    label_width = max((Text(label).cell_len for label in labels), default=0)
    value_width = max((len(v) for v in values), default=0)
    bar_width = max(8, min(BAR_WIDTH, width - label_width - value_width - 4))
    lines = [Text(series.name, style="bold")]
    for label, y, value in zip(labels, series.y, values, strict=True):
        bar = "█" * max(1, round(bar_width * abs(y) / top)) if y else ""
        pad = " " * (label_width - Text(label).cell_len)
        lines.append(Text.assemble(f"  {label}{pad} ", (bar, "cyan"), f" {value}"))
    return Group(*lines)


def _heading(title: str, *, width: int) -> RenderableType:
    """A rule with the title in it, or, when the title would be cut, the title over a rule."""
    if Text(title).cell_len + 4 <= width:
        return Rule(Text(title, style="bold"), align="left")
    return Group(Text(title, style="bold"), Rule())


def render_result(
    console: Console, result: DemoResult, *, question: Question | None = None
) -> None:
    """A demo result: title, explanation, settings, tables, plots, checks, convention, verdict."""
    console.print(_heading(result.title, width=console.width))
    where = f"demo {result.demo_id}"
    if question is not None:
        where += f" · question {question.number} ({question.id})"
    console.print(Text(f"{where} · {result.device} · seed {result.seed}", style="dim"))
    if result.params:
        settings = " ".join(f"{k}={fmt(v).replace(',', '')}" for k, v in result.params.items())
        console.print(
            Text.assemble(
                ("settings: ", "dim"), settings, (" (change with --set NAME=VALUE)", "dim")
            )
        )
    console.print()
    for line in result.explanation:
        console.print(Text(line))
    for table in result.tables:
        console.print()
        console.print(_table(table, width=console.width))
    for series in result.series:
        console.print()
        console.print(_series(series, width=console.width))
    console.print()
    console.print(
        Text(f"Checks ({result.checks_passed}/{len(result.checks)} passed)", style="bold")
    )
    console.print(_checks(result.checks))
    if result.convention:
        console.print()
        console.print(Text(f"Convention: {result.convention}.", style="dim italic"))
    console.print()
    console.print(_verdict(result))


def _verdict(result: DemoResult) -> Text:
    total = len(result.checks)
    if result.passed:
        return Text(f"{PASS} all {total} checks passed", style="bold green")
    return Text(f"{FAIL} {total - result.checks_passed} of {total} checks failed", style="bold red")


def render_params(console: Console, spec: DemoSpec, *, question: Question | None = None) -> None:
    """The settings a demo accepts, with defaults and allowed values."""
    title = f"{spec.id}: {spec.title}"
    if question is not None:
        title += f" (question {question.number})"
    console.print(Text(title, style="bold"))
    if not spec.params:
        console.print("This demo has no settings.")
        return
    columns = [Column("name", wrap=False), Column("default", wrap=False), Column("allowed"),
               Column("meaning")]  # fmt: skip
    rows = [[p.name, fmt(p.default).replace(",", ""), p.allowed(), p.help] for p in spec.params]
    console.print(fit_table(columns, rows, width=console.width, gaps=(3, 2, 1)))
    first = spec.params[0]
    console.print(
        Text(f"example: cvquiz demo {spec.id} --set {first.name}={_example(first)}", style="dim")
    )


def _example(p: object) -> str:
    from cvquiz.demos.params import Param

    assert isinstance(p, Param)
    if p.choices:
        return str(p.choices[-1])
    if p.type is bool:
        return "false" if p.default else "true"
    if p.type is int:
        value = p.default * 2
        return str(min(value, p.max) if p.max is not None else value)
    return fmt(p.default)


def render_catalogue(console: Console, entries: Sequence[CatalogueEntry]) -> None:
    """Every demo, the questions it serves, and what it shows."""
    console.print(
        Text(
            f"{len(entries)} demos: run one with `cvquiz demo ID` or `cvquiz demo QUESTION`",
            style="bold",
        )
    )
    columns = [Column("demo", wrap=False), Column("questions"), Column("what it shows")]
    rows = [
        [
            entry.spec.id,
            ", ".join(str(q.number) for q in entry.questions) or "—",
            entry.spec.summary,
        ]
        for entry in entries
    ]
    console.print(fit_table(columns, rows, width=console.width, gaps=(3, 2, 1)))


@contextmanager
def working(console: Console, message: str) -> Iterator[None]:
    """A spinner on `console` while the work runs (torch alone takes seconds to start); only at an
    interactive terminal, and gone once the work is done."""
    if not console.is_interactive:
        yield
        return
    spinner = "line" if console.options.ascii_only else "dots"
    with console.status(Text(f"{message}…"), spinner=spinner):
        yield


@contextmanager
def verify_progress(console: Console, total: int) -> Iterator[Callable[[Verified], None]]:
    """A progress bar on `console` at an interactive terminal; yields the callback to advance it."""
    if not console.is_interactive:
        yield lambda _item: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("verifying demos"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=total)

        def advance(item: Verified) -> None:
            progress.update(task, advance=1, description=item.spec.id)

        yield advance


def render_verify(console: Console, items: Sequence[Verified], *, warm_up_seconds: float) -> None:
    """One row per demo (checks passed/total, time), then any failed checks, then the verdict."""
    columns = [Column("demo", wrap=False), Column("checks", justify="right"),
               Column("time", justify="right", wrap=False), Column("")]  # fmt: skip
    rows = [
        [
            item.spec.id,
            f"{item.result.checks_passed}/{len(item.result.checks)}",
            f"{item.seconds:.2f} s",
            Text(PASS, style="green") if item.result.passed else Text(FAIL, style="bold red"),
        ]
        for item in items
    ]
    console.print(fit_table(columns, rows, width=console.width, gaps=(3, 2, 1)))
    for item in items:
        failed = [c for c in item.result.checks if not c.passed]
        if failed:
            console.print(_checks(failed, prefix=f"{item.spec.id}: "))
    passed = sum(i.result.checks_passed for i in items)
    total = sum(len(i.result.checks) for i in items)
    seconds = sum(i.seconds for i in items)
    ok = passed == total
    console.print(
        Text(
            f"{PASS if ok else FAIL} {len(items)} demos, {passed}/{total} checks passed in {seconds:.1f} s "
            f"(+{warm_up_seconds:.1f} s starting torch)",
            style="bold green" if ok else "bold red",
        )
    )
