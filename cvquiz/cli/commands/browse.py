"""Commands that browse banks: list, show, check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cvquiz.cli import completion
from cvquiz.cli.context import console, err_console, get_library, print_json
from cvquiz.cli.options import DifficultyOpt, DueOpt, JsonOpt, TagOpt, TopicOpt

if TYPE_CHECKING:
    from cvquiz.practice.marks import CardSummary, Mark
    from cvquiz.practice.store import Store


def _existing_store() -> Store | None:
    """The progress store opened read-only, or None when there is none yet (nothing is created)."""
    import os

    from cvquiz.home import db_path, home_dir
    from cvquiz.practice.store import open_store

    home = home_dir()
    return open_store(home, read_only=True) if os.path.lexists(db_path(home)) else None


def _marks() -> dict[str, Mark]:
    from cvquiz.practice.marks import marks

    store = _existing_store()
    if store is None:
        return {}
    with store:
        return marks(store)


def _progress(key: str) -> CardSummary | None:
    """The card's progress for `show`; a store that cannot be read is one warning line on stderr
    (None), and the question is shown all the same."""
    from rich.text import Text

    from cvquiz.clock import study_day, utc_now
    from cvquiz.errors import CvquizError
    from cvquiz.practice.marks import CardSummary, card_summary

    try:
        store = _existing_store()
        if store is None:
            return CardSummary.unstudied(key)
        with store:
            found = card_summary(store, key, day=study_day(utc_now()))
    except CvquizError as exc:
        warning = Text.assemble(("cvquiz: warning: ", "bold yellow"), exc.message)
        err_console().print(warning, soft_wrap=True)
        return None
    return found or CardSummary.unstudied(key)


def list_questions(
    ctx: typer.Context,
    topic: TopicOpt = None,
    difficulty: DifficultyOpt = None,
    tag: TagOpt = None,
    due: DueOpt = False,
    suspended: Annotated[bool, typer.Option("--suspended", help="Only suspended cards.")] = False,
    flagged: Annotated[bool, typer.Option("--flagged", help="Only flagged cards.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List questions, filtered by topic, difficulty and tag (--due: the cards due now)."""
    from cvquiz.bank.find import find_questions

    library = get_library(ctx)
    questions = find_questions(
        library, topics=topic or [], difficulties=difficulty or [], tags=tag or []
    )
    if suspended or flagged:
        found_marks = _marks()
        questions = [
            q
            for q in questions
            if (m := found_marks.get(q.key)) is not None
            and (m.suspended or not suspended)
            and (m.flag or not flagged)
        ]
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
    """Show one question with its answer, code, key concepts, related questions and your
    progress (due date, stability, difficulty, reviews, lapses, marks)."""
    from cvquiz.bank.find import AmbiguousQuestion, lookup

    try:
        found = lookup(get_library(ctx), question)
    except AmbiguousQuestion as exc:
        if as_json:  # like every --json error: one line on stderr, nothing on stdout, exit 2
            raise
        from cvquiz.render.bank import render_ambiguous

        render_ambiguous(console(), question, exc.matches)
        raise typer.Exit(2) from None
    from cvquiz.clock import utc_now

    progress = _progress(found.question.key)
    if as_json:
        from cvquiz.render import shapes

        print_json(shapes.shown(found.question, progress))
        return
    from cvquiz.render.bank import render_question

    render_question(console(), found, progress=progress, now=utc_now())


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
