"""Commands: demo (run one live PyTorch demo, list them, show their settings) and verify (check them all)."""

from __future__ import annotations

from typing import Annotated

import typer

from cvquiz.cli import completion
from cvquiz.cli.context import console, err_console, get_library, print_json
from cvquiz.cli.options import DeviceOpt
from cvquiz.errors import CvquizError


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
) -> None:
    """Run a live PyTorch demo that checks a question's claims with real modules.

    Examples: cvquiz demo 24 · cvquiz demo 24 --params · cvquiz demo depthwise-separable-cost --set in_channels=128 · cvquiz demo --list
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
    with render.working(err_console(), f"running demo {target.spec.id}"):
        result = run_demo(target.spec.id, settings=changes, device=device, seed=seed)
    if json_:
        print_json(shapes.demo_run(result, target.question))
    else:
        render.render_result(console(), result, question=target.question)
    if not result.passed:
        raise typer.Exit(1)


def verify_command(
    device: DeviceOpt = "cpu",
    json_: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Run every demo's checks with default settings; exit 1 if any check fails."""
    from cvquiz.demos.registry import all_demos
    from cvquiz.demos.verify import verify_demos
    from cvquiz.render import demo as render

    specs = all_demos()
    with render.verify_progress(err_console(), len(specs)) as advance:
        verification = verify_demos(specs, device=device, on_done=advance)
    if json_:
        print_json(verification.to_dict())
    else:
        render.render_verify(
            console(), verification.items, warm_up_seconds=verification.warm_up_seconds
        )
    if not verification.passed:
        raise typer.Exit(1)
