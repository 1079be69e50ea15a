"""Commands: demo (run one live PyTorch demo, list them, show their settings) and verify (check them all)."""

from __future__ import annotations

from typing import Annotated

import typer

from cvquiz.app import app, console, err_console, get_library, print_json
from cvquiz.errors import CvquizError


@app.command("demo")
def demo_command(
    ctx: typer.Context,
    question: Annotated[
        str | None,
        typer.Argument(
            help="A question (number, id or words) whose demo to run, or a demo id.", metavar="QUESTION", show_default=False
        ),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", "-l", help="List every demo and the questions it serves.")] = False,
    params: Annotated[bool, typer.Option("--params", help="Show the demo's settings, defaults and allowed values.")] = False,
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", help="Change a setting (repeatable), e.g. --set in_channels=64.", metavar="NAME=VALUE"),
    ] = None,
    device: Annotated[str, typer.Option("--device", help="cpu, cuda or auto (cuda when available).")] = "cpu",
    seed: Annotated[int, typer.Option("--seed", help="Seed for the random tensors.")] = 0,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Run a live PyTorch demo that checks a question's claims with real modules.

    Examples: cvquiz demo 24 · cvquiz demo 24 --params · cvquiz demo depthwise-separable-cost --set in_channels=128 · cvquiz demo --list
    """
    from cvquiz.demos import registry
    from cvquiz.render import demo as render

    questions = get_library(ctx).questions
    if list_:
        entries = registry.catalogue(questions)
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
    target = registry.find_target(questions, question)
    if params:
        if json_:
            print_json({"demo_id": target.spec.id, "params": [registry.param_dict(p) for p in target.spec.params]})
        else:
            render.render_params(console(), target.spec, question=target.question)
        return
    result = registry.run_demo(
        target.spec.id, settings=registry.parse_settings(settings or []), device=device, seed=seed
    )
    if json_:
        data = result.to_dict()
        if target.question is not None:
            q = target.question
            data["question"] = {"key": q.key, "number": q.number, "id": q.id}
        print_json(data)
    else:
        render.render_result(console(), result, question=target.question)
    if not result.passed:
        raise typer.Exit(1)


@app.command("verify")
def verify_command(
    device: Annotated[str, typer.Option("--device", help="cpu, cuda or auto (cuda when available).")] = "cpu",
    json_: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Run every demo's checks with default settings; exit 1 if any check fails."""
    from cvquiz.demos import registry
    from cvquiz.render import demo as render

    specs = registry.all_demos()
    with render.verify_progress(err_console(), len(specs)) as advance:
        verification = registry.verify_demos(specs, device=device, on_done=advance)
    if json_:
        print_json(verification.to_dict())
    else:
        render.render_verify(console(), verification.items, warm_up_seconds=verification.warm_up_seconds)
    if not verification.passed:
        raise typer.Exit(1)
