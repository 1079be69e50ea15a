"""Commands that browse banks: list, show, check."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cvquiz.cli import completion
from cvquiz.cli.context import console, get_library, print_json
from cvquiz.cli.options import DifficultyOpt, DueOpt, JsonOpt, TagOpt, TopicOpt


def list_questions(
    ctx: typer.Context,
    topic: TopicOpt = None,
    difficulty: DifficultyOpt = None,
    tag: TagOpt = None,
    due: DueOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List questions, filtered by topic, difficulty and tag (--due: the cards due now)."""
    from cvquiz.bank.find import find_questions

    library = get_library(ctx)
    questions = find_questions(
        library, topics=topic or [], difficulties=difficulty or [], tags=tag or []
    )
    if due:
        from cvquiz.clock import utc_now
        from cvquiz.home import home_dir
        from cvquiz.practice.stats import due_cards
        from cvquiz.practice.store import open_store

        with open_store(home_dir(), read_only=True) as store:
            found = due_cards(questions, store, now=utc_now())
        if as_json:
            from cvquiz.render import shapes

            print_json(shapes.due(found))
            return
        from cvquiz.render.stats import render_due

        render_due(console(), found)
        return
    if as_json:
        from cvquiz.render import shapes

        print_json(shapes.questions(questions))
        return
    from cvquiz.render.bank import render_list

    render_list(console(), questions, several_banks=len(library.banks) > 1)


def show(
    ctx: typer.Context,
    question: Annotated[
        str,
        typer.Argument(
            help="A number (24), bank-id/N, an id (depthwise-conv) or words (bottleneck).",
            autocompletion=completion.questions,
        ),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Show one question with its answer, code, key concepts and related questions."""
    from cvquiz.bank.find import AmbiguousQuestion, lookup

    try:
        found = lookup(get_library(ctx), question)
    except AmbiguousQuestion as exc:
        if as_json:  # like every --json error: one line on stderr, nothing on stdout, exit 2
            raise
        from cvquiz.render.bank import render_ambiguous

        render_ambiguous(console(), question, exc.matches)
        raise typer.Exit(2) from None
    if as_json:
        from cvquiz.render import shapes

        print_json(shapes.questions([found.question])[0])
        return
    from cvquiz.render.bank import render_question

    render_question(console(), found)


def check(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Bank files to check (default: the built-in bank).")
    ] = None,
) -> None:
    """Check bank files against the schema and summarise them (exit 2 on the first problem)."""
    from cvquiz.links import check_banks
    from cvquiz.render.bank import render_check

    render_check(console(), check_banks(paths or []))
