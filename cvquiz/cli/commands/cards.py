"""Commands that mark cards: suspend, unsuspend, bury, unbury, flag."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from cvquiz.cli import completion
from cvquiz.cli.context import console, get_library

if TYPE_CHECKING:
    from cvquiz.bank.model import Question
    from cvquiz.practice.store import Store

QuestionsArg = Annotated[
    list[str],
    typer.Argument(
        help="Numbers (24), bank-id/N, ids or words; each must name one question.",
        autocompletion=completion.questions,
        show_default=False,
    ),
]


def _questions(ctx: typer.Context, queries: list[str]) -> list[Question]:
    """Each query's one question, all found before anything is written (an unknown or ambiguous
    one is an error line, exit 2, and nothing changes)."""
    from cvquiz.bank.find import resolve_question

    questions = get_library(ctx).questions
    found = {}
    for query in queries:
        q = resolve_question(questions, query)
        found.setdefault(q.key, q)
    return list(found.values())


def _store() -> Store:
    from cvquiz.home import home_dir
    from cvquiz.practice.store import open_store

    return open_store(home_dir())


def _report(changed: list[Question], unchanged: list[Question], done: str, same: str) -> None:
    from cvquiz.render.bank import render_marked

    render_marked(console(), changed, done=done)
    render_marked(console(), unchanged, done=same, dim=True)


def _suspension(ctx: typer.Context, queries: list[str], *, on: bool) -> None:
    from cvquiz.practice.marks import set_suspended

    questions = _questions(ctx, queries)
    with _store() as store:
        keys = set(set_suspended(store, [q.key for q in questions], on))
    _report(
        [q for q in questions if q.key in keys],
        [q for q in questions if q.key not in keys],
        "Suspended {} (`cvquiz unsuspend {n}` brings it back)."
        if on
        else "Unsuspended {}: it comes due as scheduled.",
        "{} was suspended already." if on else "{} was not suspended.",
    )


def suspend(ctx: typer.Context, question: QuestionsArg) -> None:
    """Suspend cards: no session (cram included) shows them until unsuspended."""
    _suspension(ctx, question, on=True)


def unsuspend(ctx: typer.Context, question: QuestionsArg) -> None:
    """Unsuspend cards: they come due again as scheduled."""
    _suspension(ctx, question, on=False)


def _burial(ctx: typer.Context, queries: list[str], *, on: bool) -> None:
    from cvquiz.clock import study_day, utc_now
    from cvquiz.practice.marks import unskip

    questions = _questions(ctx, queries)
    day = study_day(utc_now())
    with _store() as store:
        buried = store.skipped(day)
        changed = set()
        for q in questions:
            if on and q.key not in buried:
                store.skip(q.key, day)
                changed.add(q.key)
            elif not on and unskip(store, q.key, day):
                changed.add(q.key)
    _report(
        [q for q in questions if q.key in changed],
        [q for q in questions if q.key not in changed],
        "Buried {} until tomorrow." if on else "Unburied {}: back in today's sessions.",
        "{} was buried already." if on else "{} was not buried.",
    )


def bury(ctx: typer.Context, question: QuestionsArg) -> None:
    """Bury cards until tomorrow's study day (what s skip does in practice)."""
    _burial(ctx, question, on=True)


def unbury(ctx: typer.Context, question: QuestionsArg) -> None:
    """Bring back cards buried (skipped) today."""
    _burial(ctx, question, on=False)


def _colors(incomplete: str) -> list[str]:
    from cvquiz.practice.marks import FLAG_COLORS

    return [c for c in FLAG_COLORS if c.startswith(incomplete.lower())]


def flag(
    ctx: typer.Context,
    question: QuestionsArg,
    color: Annotated[
        str | None,
        typer.Option(
            "--color",
            "-c",
            help="red, orange, green or blue (default red).",
            autocompletion=_colors,
        ),
    ] = None,  # fmt: skip
    off: Annotated[bool, typer.Option("--off", help="Remove the flag.")] = False,
) -> None:
    """Flag cards (Anki's colours); `cvquiz list --flagged` lists them."""
    from cvquiz.errors import CvquizError
    from cvquiz.practice.marks import FLAG_COLORS, flag_number, set_flag

    if off and color is not None:
        raise CvquizError("--off: give --off or --color, not both")
    number = 0 if off else flag_number(FLAG_COLORS[0] if color is None else color)
    questions = _questions(ctx, queries=question)
    with _store() as store:
        keys = set(set_flag(store, [q.key for q in questions], number))
    name = FLAG_COLORS[number - 1] if number else ""
    _report(
        [q for q in questions if q.key in keys],
        [q for q in questions if q.key not in keys],
        f"Flagged {{}} {name}." if number else "Unflagged {}.",
        f"{{}} was flagged {name} already." if number else "{} had no flag.",
    )
