"""Commands: demo (run one live PyTorch demo, list them, show their settings) and verify (check them all)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cvquiz.cli import completion
from cvquiz.cli.context import console, err_console, get_library, print_json
from cvquiz.cli.options import DeviceOpt
from cvquiz.errors import CvquizError

if TYPE_CHECKING:
    from cvquiz.demos.result import DemoResult


def demo_command(
    ctx: typer.Context,
    question: Annotated[
        str | None,
        typer.Argument(
            help="A question (number, id or words) whose demo to run, or a demo id.",
            metavar="QUESTION",
            show_default=False,
            autocompletion=completion.demo_targets,
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", "-l", help="List every demo and the questions it serves.")
    ] = False,
    params: Annotated[
        bool,
        typer.Option("--params", help="Show the demo's settings, defaults and allowed values."),
    ] = False,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            "-s",
            help="Change a setting (repeatable), e.g. --set in_channels=64.",
            metavar="NAME=VALUE",
        ),
    ] = None,
    device: DeviceOpt = "cpu",
    seed: Annotated[int, typer.Option("--seed", help="Seed for the random tensors.")] = 0,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    checks: Annotated[
        bool, typer.Option("--checks", help="List every check (claim, expected, measured, source).")
    ] = False,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Also write the demo's plots to this PNG file (needs the `plot` extra: matplotlib).",
            metavar="PATH",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run a live PyTorch demo that checks a question's claims with real modules.

    Examples: cvquiz demo 24 · cvquiz demo 24 --checks · cvquiz demo 24 --params · cvquiz demo depthwise-separable-cost --set in_channels=128 · cvquiz demo 2 --plot curves.png · cvquiz demo --list
    """
    from cvquiz import links
    from cvquiz.demos.params import parse_settings
    from cvquiz.demos.runner import run_demo
    from cvquiz.render import demo as render
    from cvquiz.render import shapes

    questions = get_library(ctx).questions
    if list_:
        entries = links.catalogue(questions)
        if json_:
            print_json([entry.to_dict() for entry in entries])
        else:
            render.render_catalogue(console(), entries)
        return
    if question is None:
        raise CvquizError(
            "QUESTION: give a question (24, depthwise-vs-standard-cost or words) or a demo id; "
            "`cvquiz demo --list` lists the demos"
        )
    target = links.find_target(questions, question)
    if params:
        if json_:
            print_json(shapes.demo_params(target.spec))
        else:
            render.render_params(console(), target.spec, question=target.question)
        return
    changes = parse_settings(settings or [])
    if changes and not target.spec.params:
        raise CvquizError(
            f"--set {next(iter(changes))}: demo '{target.spec.id}' has no settings to change"
        )
    png = _png_target(plot) if plot is not None else None  # refused before the demo runs
    with render.working(err_console(), f"running demo {target.spec.id}"):
        result = run_demo(target.spec.id, settings=changes, device=device, seed=seed)
    if png is not None:
        _write_plots(png, plot or "", result)
    if json_:
        print_json(shapes.demo_run(result, target.question))
    else:
        render.render_result(console(), result, question=target.question, checks=checks)
    if not result.passed:
        raise typer.Exit(1)


def _png_target(text: str) -> Path:
    """The PNG path, checked (matplotlib installed, a writable file) before any work."""
    from cvquiz.exporters.atomic import check_target
    from cvquiz.paths import expand_path

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CvquizError(
            f"--plot {text}: writing a PNG needs matplotlib: install the plot extra "
            "(pip install 'cvquiz[plot]')"
        ) from None
    path = expand_path(text, option="--plot")
    with _named_plot():
        check_target(path)
    return path


def _write_plots(path: Path, text: str, result: DemoResult) -> None:
    from cvquiz.exporters.atomic import write_atomic
    from cvquiz.render.charts import png_bytes

    if not result.plots:
        raise CvquizError(f"--plot {text}: demo '{result.demo_id}' draws no plots")
    data = png_bytes(result.plots, title=result.title)
    with _named_plot():
        write_atomic(path, data)


@contextmanager
def _named_plot() -> Iterator[None]:
    """The atomic writer's errors name --output: name --plot instead."""
    try:
        yield
    except CvquizError as exc:
        raise CvquizError(exc.message.replace("--output ", "--plot ", 1)) from None


def verify_command(
    ctx: typer.Context,
    device: DeviceOpt = "cpu",
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the runs (the first seed with --seeds).")
    ] = 0,
    seeds: Annotated[
        int,
        typer.Option(
            "--seeds",
            help="Run each stochastic demo at this many seeds (from --seed on); the others once.",
        ),
    ] = 1,
    json_: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Run every demo's checks with default settings; exit 1 if any check fails at any seed.

    Examples: cvquiz verify · cvquiz verify --seed 3 · cvquiz verify --seeds 5 --json
    """
    from cvquiz.demos.registry import all_demos
    from cvquiz.demos.verify import plan, seed_range, verify_demos
    from cvquiz.links import verify_errata
    from cvquiz.render import demo as render

    chosen = seed_range(seed, seeds)  # a bad --seed or --seeds fails before torch starts
    questions = get_library(ctx).questions  # so does a bad bank: its errata are checked too
    specs = all_demos()
    with render.verify_progress(err_console(), len(plan(specs, chosen))) as advance:
        verification = verify_demos(specs, device=device, seed=seed, seeds=seeds, on_done=advance)
    errata = verify_errata(questions, verification)
    if json_:
        print_json(
            {
                **verification.to_dict(),
                "passed": verification.passed and errata.passed,
                "errata": errata.to_dict(),
            }
        )
    else:
        render.render_verify(console(), verification, errata)
    if not (verification.passed and errata.passed):
        raise typer.Exit(1)
