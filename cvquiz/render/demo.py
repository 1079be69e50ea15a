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
from cvquiz.render.charts import chart_value as chart_value  # tests and exporters read it here
from cvquiz.render.charts import render_plot
from cvquiz.render.fit import Column, fit_table

if TYPE_CHECKING:
    from cvquiz.bank.model import Question
    from cvquiz.demos.registry import DemoSpec
    from cvquiz.demos.result import Check, DemoResult, Table
    from cvquiz.demos.verify import Verification, Verified
    from cvquiz.links import CatalogueEntry, ErrataVerdict

PASS, FAIL = "✓", "✗"


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


def _heading(title: str, *, width: int) -> RenderableType:
    """A rule with the title in it, or, when the title would be cut, the title over a rule."""
    if Text(title).cell_len + 4 <= width:
        return Rule(Text(title, style="bold"), align="left")
    return Group(Text(title, style="bold"), Rule())


def render_result(
    console: Console,
    result: DemoResult,
    *,
    question: Question | None = None,
    checks: bool = False,
) -> None:
    """A demo result: title, explanation, settings, tables, plots, convention, then one line for
    the checks (failed ones in full); `checks` lists every check, as `--checks` does."""
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
    for plot in result.plots:
        console.print()
        console.print(render_plot(plot, width=console.width))
    if result.convention:
        console.print()
        console.print(Text(f"Convention: {result.convention}.", style="dim italic"))
    console.print()
    if checks:
        console.print(
            Text(f"Checks ({result.checks_passed}/{result.checks_total} passed)", style="bold")
        )
        console.print(_checks(result.all_checks))
        console.print()
    console.print(verdict(result))
    if result.failed and not checks:
        console.print(_checks(result.failed))


def verdict(result: DemoResult) -> Text:
    """'✓ 23/23 checks', or '✗ 2 of 23 checks failed: <claims>' (every failed claim named)."""
    total = result.checks_total
    if result.passed:
        return Text(f"{PASS} {total}/{total} checks", style="bold green")
    names = "; ".join(c.claim for c in result.failed)
    return Text(f"{FAIL} {len(result.failed)} of {total} checks failed: {names}", style="bold red")


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


def render_verify(
    console: Console, verification: Verification, errata: ErrataVerdict | None = None
) -> None:
    """One row per demo (its runs, checks passed/total over them, time), then each failed check
    with its demo and seed, a line per seed when there are several, the errata's proofs, then the
    verdict."""
    by_demo: dict[str, list[Verified]] = {}
    for item in verification.items:
        by_demo.setdefault(item.spec.id, []).append(item)
    several = len(verification.seeds) > 1
    columns = [Column("demo", wrap=False), Column("checks", justify="right"),
               Column("time", justify="right", wrap=False), Column("")]  # fmt: skip
    if several:
        columns.insert(1, Column("seeds", justify="right", wrap=False))
    rows = []
    for demo_id, items in by_demo.items():
        ok = all(i.result.passed for i in items)
        row = [
            demo_id,
            f"{sum(i.result.checks_passed for i in items)}/{sum(i.result.checks_total for i in items)}",
            f"{sum(i.seconds for i in items):.2f} s",
            Text(PASS, style="green") if ok else Text(FAIL, style="bold red"),
        ]
        if several:
            row.insert(1, str(len(items)))
        rows.append(row)
    console.print(fit_table(columns, rows, width=console.width, gaps=(3, 2, 1)))
    for item in verification.items:
        if item.result.failed:
            where = f"{item.spec.id} (seed {item.seed})" if several else item.spec.id
            console.print(_checks(item.result.failed, prefix=f"{where}: "))
    if several:
        for seed in verification.by_seed():
            mark = Text(PASS, style="green") if seed.passed else Text(FAIL, style="bold red")
            console.print(
                Text.assemble(
                    mark,
                    f" seed {seed.seed}: {seed.demos} demos, "
                    f"{seed.checks_passed}/{seed.checks_total} checks passed",
                )
            )
    if errata is not None:
        for problem in errata.problems:
            console.print(Text.assemble(Text(FAIL, style="bold red"), f" {problem}"))
        if errata.checked:
            mark = Text(PASS, style="green") if errata.passed else Text(FAIL, style="bold red")
            proven = errata.checked - errata.failed
            console.print(
                Text.assemble(mark, f" {proven}/{errata.checked} errata proven by their checks")
            )
    passed = sum(i.result.checks_passed for i in verification.items)
    total = sum(i.result.checks_total for i in verification.items)
    seconds = sum(i.seconds for i in verification.items)
    ok = verification.passed and (errata is None or errata.passed)
    runs = (
        f" in {len(verification.items)} runs at seeds {_seeds(verification.seeds)}"
        if several
        else ""
    )
    failed_at = verification.failed_seeds()
    at = f"; failed at seed {', '.join(map(str, failed_at))}" if several and failed_at else ""
    console.print(
        Text(
            f"{PASS if ok else FAIL} {len(by_demo)} demos{runs}, {passed}/{total} checks passed{at} "
            f"in {seconds:.1f} s (+{verification.warm_up_seconds:.1f} s starting torch)",
            style="bold green" if ok else "bold red",
        )
    )


def _seeds(seeds: Sequence[int]) -> str:
    return f"{seeds[0]}..{seeds[-1]}" if len(seeds) > 2 else ", ".join(map(str, seeds))
