"""Commands of spaced-repetition practice: practice, stats, history, reset."""

from __future__ import annotations

import io
import sys
import threading
from typing import Annotated

import typer

from cvquiz.cli import completion
from cvquiz.cli.context import confirm, console, get_library, print_json
from cvquiz.cli.options import DifficultyOpt, TagOpt, TopicOpt


def _open_store(*, read_only: bool = False):  # -> cvquiz.practice.store.Store
    """The user's progress store; practice and reset check up front that it can be written."""
    from cvquiz.home import home_dir
    from cvquiz.practice.store import open_store

    return open_store(home_dir(), read_only=read_only)


def _has_terminal() -> bool:
    """stdin is a terminal (it is None when the process was started with stdin closed)."""
    return sys.stdin is not None and sys.stdin.isatty()


def warm_up(queue) -> threading.Thread | None:  # queue: Sequence[cvquiz.practice.queue.Item]
    """Import PyTorch in a background thread while the first cards are answered, when the queue
    holds cards with a live demo: pressing d then skips most of torch's start-up (about 2 s).
    The main thread never waits for it; a demo's own import waits only for what is left."""
    if not any(item.question.demo for item in queue):
        return None

    def load() -> None:
        try:
            import torch  # noqa: F401

            import cvquiz.demos.runner  # noqa: F401
        except Exception:  # noqa: BLE001  (torch missing or broken: the d key will say so)
            pass

    thread = threading.Thread(target=load, name="cvquiz-warm-torch", daemon=True)
    thread.start()
    return thread


def _fixed_clock() -> bool:
    """CVQUIZ_NOW (hidden, for tests) fixes the clock; such runs are reproducible, so no fuzz."""
    import os

    from cvquiz.clock import NOW_ENV

    return bool(os.environ.get(NOW_ENV, "").strip())


def practice(
    ctx: typer.Context,
    topic: TopicOpt = None,
    difficulty: DifficultyOpt = None,
    tag: TagOpt = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="At most N cards this session.")
    ] = None,
    new: Annotated[
        int | None,
        typer.Option(
            "--new", help="New cards allowed today (default 10, counted across sessions)."
        ),
    ] = None,
    reviews: Annotated[
        int | None,
        typer.Option(
            "--reviews",
            help="Reviews of due cards allowed today (default 200, counted across sessions).",
        ),
    ] = None,
    typed: Annotated[
        bool, typer.Option("--typed", help="Type your answer; key concepts are checked.")
    ] = False,
    cram: Annotated[
        bool,
        typer.Option("--cram", help="Ignore due dates: weakest cards first (the night before)."),
    ] = False,
    retention: Annotated[
        float | None,
        typer.Option(
            "--retention", help="Desired recall when a card comes due, 0.7-0.97 (default 0.9)."
        ),
    ] = None,
    learn_ahead: Annotated[
        int | None,
        typer.Option(
            "--learn-ahead",
            metavar="MIN",
            help="Learning steps due within MIN minutes come back this session (default 20).",
        ),
    ] = None,
    save: Annotated[
        bool,
        typer.Option(
            "--save",
            help="Remember --retention, --new, --reviews and --learn-ahead as your defaults.",
        ),
    ] = False,
) -> None:
    """Practise with spaced repetition: due cards first, then new ones.

    Keys: Enter reveal, 1-4 rate, u undo, s skip (bury), ! suspend, f flag, d demo, q quit.
    """
    from cvquiz.bank.find import find_questions
    from cvquiz.cli.keys import KeyInput, LineInput, answer_reader
    from cvquiz.cli.tutor import run
    from cvquiz.clock import utc_now
    from cvquiz.practice.session import SessionOptions, start_session
    from cvquiz.render import practice as view

    questions = find_questions(
        get_library(ctx), topics=topic or [], difficulties=difficulty or [], tags=tag or []
    )
    options = SessionOptions(
        retention=retention, new_per_day=new, learn_ahead_minutes=learn_ahead, save=save,
        reviews_per_day=reviews, limit=limit, cram=cram, fuzz=not _fixed_clock(),
    )  # fmt: skip
    con = console()
    with _open_store() as store:
        session = start_session(questions, store, clock=utc_now, options=options)
        if save:
            view.render_saved(
                con, retention=session.scheduler.retention, new_per_day=new,
                learn_ahead=session.learn_ahead if learn_ahead is not None else None,
                reviews_per_day=reviews,
            )  # fmt: skip
        if session.idle is not None:
            filters = " ".join(
                f"{flag} {value}"
                for flag, values in (
                    ("--topic", topic),
                    ("--difficulty", difficulty),
                    ("--tag", tag),
                )
                for value in values or []
            )
            view.render_nothing_due(
                con, session.idle, now=session.clock(), filtered=bool(filters), filters=filters
            )
            return
        view.render_start(con, session.queue, cram=cram, retention=session.scheduler.retention,
                          plan=session.plan)  # fmt: skip
        if _has_terminal():
            warm_up(session.queue)
            keys = KeyInput(answer_reader(con, view.answer_prompt()))
        else:
            keys = LineInput(sys.stdin or io.StringIO())  # closed stdin: no input, like q
        summary = run(session, console=con, keys=keys, typed=typed)
    if summary.interrupted:
        raise typer.Exit(130)


def stats(
    ctx: typer.Context,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="DATE",
            help="Predicted recall on that day (your interview) if you stop reviewing; "
            "a date means its start, 04:00 local time.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (exact counts) instead of charts.")
    ] = False,
) -> None:
    """Your progress: counts, 7-day forecast, true retention, review calendar, mastery, weakest cards."""
    from cvquiz.clock import utc_now
    from cvquiz.practice.stats import compute_stats, parse_at

    now = utc_now()
    moment = parse_at(at, now=now) if at is not None else None
    library = get_library(ctx)
    with _open_store(read_only=True) as store:
        result = compute_stats(library, store, now=now, at=moment)
    if as_json:
        from cvquiz.render import shapes

        print_json(shapes.stats(result))
        return
    from cvquiz.render.stats import render_stats

    render_stats(console(), result)


def history(
    ctx: typer.Context,
    question: Annotated[
        str | None,
        typer.Argument(
            help="Only this question: a number (24), bank-id/N, an id or words.",
            autocompletion=completion.questions,
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="Show the N newest reviews.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The review log, newest first."""
    from cvquiz.bank.find import AmbiguousQuestion
    from cvquiz.clock import utc_now
    from cvquiz.practice.stats import history as review_history

    library = get_library(ctx)
    with _open_store(read_only=True) as store:
        try:
            entries = review_history(library, store, query=question, limit=limit)
            total = None
            if limit is not None and len(entries) == limit:  # say how many the limit left out
                total = (
                    store.review_count()
                    if question is None
                    else len(review_history(library, store, query=question))
                )
        except AmbiguousQuestion as exc:
            if as_json:  # like every --json error: one line on stderr, nothing on stdout, exit 2
                raise
            from cvquiz.render.bank import render_ambiguous

            render_ambiguous(console(), question or "", exc.matches)
            raise typer.Exit(2) from None
    if as_json:
        from cvquiz.render import shapes

        print_json(shapes.history(entries))
        return
    from cvquiz.render.stats import render_history

    render_history(console(), entries, now=utc_now(), question=question, total=total)


def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Forget all progress (the review log and every card's schedule); saved settings stay."""
    from cvquiz.errors import CvquizError
    from cvquiz.paths import display_path
    from cvquiz.words import plural

    with _open_store() as store:
        count = store.review_count()
        if not yes:
            if not _has_terminal():
                raise CvquizError(
                    "reset: no terminal to confirm on; run `cvquiz reset --yes` to clear progress"
                )
            where = display_path(store.path)
            if not confirm(f"Delete {plural(count, 'review')} and all scheduling in {where}?"):
                console().print("Nothing was changed.")
                return
        removed = store.reset()

    console().print(f"Progress cleared: {plural(removed, 'review')} removed.")
