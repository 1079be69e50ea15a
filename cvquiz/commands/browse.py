"""Commands that browse banks: list, show, check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cvquiz.app import app, console, get_library, print_json

TopicOpt = Annotated[list[str] | None, typer.Option("--topic", "-t", metavar="TOPIC", help="resnet, mobilenet, ... (repeatable).")]
DifficultyOpt = Annotated[
    list[str] | None, typer.Option("--difficulty", "-d", metavar="LEVEL", help="easy, medium or hard (repeatable).")
]
TagOpt = Annotated[list[str] | None, typer.Option("--tag", metavar="TAG", help="A finer subject: depthwise, resnext, ... (repeatable).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DueOpt = Annotated[bool, typer.Option("--due", help="Only cards due for review now, lowest predicted recall first.")]


@app.command("list")
def list_questions(
    ctx: typer.Context,
    topic: TopicOpt = None,
    difficulty: DifficultyOpt = None,
    tag: TagOpt = None,
    due: DueOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List questions, filtered by topic, difficulty and tag (--due: the cards due now)."""
    from cvquiz.browse import find_questions

    questions = find_questions(get_library(ctx), topics=topic or [], difficulties=difficulty or [], tags=tag or [])
    if due:
        from cvquiz.clock import utc_now
        from cvquiz.home import home_dir
        from cvquiz.stats import due_cards
        from cvquiz.store import open_store

        with open_store(home_dir(), read_only=True) as store:
            found = due_cards(questions, store, now=utc_now())
        if as_json:
            print_json([{"key": q.key, "number": q.number, "question": q.question, "recall": r} for q, r in found])
            return
        from cvquiz.render.practice import render_due

        render_due(console(), found)
        return
    if as_json:
        print_json([{"key": q.key, **q.to_dict()} for q in questions])
        return
    from cvquiz.render.browse import render_list

    render_list(console(), questions)


@app.command()
def show(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="A number (24), an id (depthwise-conv) or words (bottleneck).")],
    as_json: JsonOpt = False,
) -> None:
    """Show one question with its answer, code, key concepts and related questions."""
    from cvquiz.browse import lookup
    from cvquiz.select import AmbiguousQuestion

    try:
        found = lookup(get_library(ctx), question)
    except AmbiguousQuestion as exc:
        from cvquiz.render.browse import render_ambiguous

        render_ambiguous(console(), question, exc.matches)
        raise typer.Exit(2) from None
    if as_json:
        print_json({"key": found.question.key, **found.question.to_dict()})
        return
    from cvquiz.render.browse import render_question

    render_question(console(), found)


@app.command()
def check(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Bank files to check (default: the built-in bank).")] = None,
) -> None:
    """Check bank files against the schema and summarise them (exit 2 on the first problem)."""
    from cvquiz.browse import check_banks
    from cvquiz.render.browse import render_check

    render_check(console(), check_banks(paths or []))
