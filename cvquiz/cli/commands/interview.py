"""Command: a timed mock interview that escalates, follows up, changes topic after a miss, and
reports; every answer is a review."""

from __future__ import annotations

import io
import sys
from typing import Annotated

import typer

from cvquiz.cli.context import console, get_library, print_json


def interview(
    ctx: typer.Context,
    minutes: Annotated[
        float, typer.Option("--minutes", "-m", help="Length of the interview.", min=1, max=180)
    ] = 10,
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", "-t", help="Only these topics (repeatable)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Fix the interviewer's choices (reproducible).")
    ] = None,
    last: Annotated[
        bool, typer.Option("--last", help="Show the last interview's report again.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """A mock interview: mixed topics, easy to hard while you answer well, follow-ups, a clock."""
    import math
    import random
    import time

    from cvquiz.bank.find import find_questions
    from cvquiz.cli.interviewer import run
    from cvquiz.cli.keys import KeyInput, LineInput, answer_reader
    from cvquiz.clock import utc_now
    from cvquiz.errors import CvquizError
    from cvquiz.home import home_dir
    from cvquiz.practice.interview import Interview
    from cvquiz.practice.interview_report import LAST_SETTING, Report, build_report
    from cvquiz.practice.planning import saved_plan, scheduler_for
    from cvquiz.practice.store import open_store
    from cvquiz.render import interview as view
    from cvquiz.render.practice import answer_prompt

    if not math.isfinite(minutes):
        raise CvquizError(f"--minutes: {minutes} is not a number of minutes (1 to 180)")
    if last:
        with open_store(home_dir(), read_only=True) as store:
            text = store.setting(LAST_SETTING)
            if not text:
                raise CvquizError(
                    "interview --last: no interview yet; start one with `cvquiz interview`"
                )
            report = Report.load(text, where=f"{store.path}: {LAST_SETTING}")
        _show(report.data, as_json=as_json)
        return
    library = get_library(ctx)
    questions = find_questions(library, topics=topic or [], difficulties=[], tags=[])
    chosen_seed = seed if seed is not None else random.SystemRandom().randrange(1_000_000)
    con = console()
    started = utc_now()
    with open_store(home_dir()) as store:
        plan = saved_plan(store)
        session = Interview(
            questions, store, scheduler_for(store, fuzz=False), clock=utc_now, ticker=time.monotonic,
            minutes=minutes, seed=chosen_seed, session_id=f"interview-{chosen_seed}",
        )  # fmt: skip
        if not as_json:
            note = f"interview plan: {plan.at.astimezone():%b %d}" if plan else None
            view.render_start(con, minutes=minutes, cards=len(questions), plan_note=note)
        if sys.stdin is not None and sys.stdin.isatty() and not as_json:
            keys = KeyInput(answer_reader(con, answer_prompt()))
        else:
            keys = LineInput(sys.stdin or io.StringIO())
        interrupted = run(session, console=con if not as_json else _quiet(), keys=keys)
        readiness = _readiness(library, store, plan) if plan is not None else None
        report = build_report(session.answered, started=started, minutes=minutes,
                              seconds=session.elapsed_s, seed=chosen_seed, readiness=readiness)  # fmt: skip
        store.set_setting(LAST_SETTING, report.dump())
    _show(report.data, as_json=as_json)
    if interrupted:
        raise typer.Exit(130)


def _quiet():  # -> Console
    from rich.console import Console

    return Console(file=io.StringIO())


def _show(data: dict, *, as_json: bool) -> None:
    if as_json:
        print_json(data)
        return
    from cvquiz.render.interview import render_report

    render_report(console(), data)


def _readiness(library, store, plan) -> dict:
    """Predicted recall on the interview day, overall and by topic, if no more reviews."""
    from cvquiz.clock import utc_now
    from cvquiz.practice.stats import compute_stats

    now = utc_now()
    if plan.at <= now:
        return None
    stats = compute_stats(library, store, now=now, at=plan.at)
    return {
        "day": f"{plan.at.astimezone():%Y-%m-%d}",
        "target": plan.target,
        "overall": round(stats.overall.recall, 4),
        "topics": {m.name: round(m.recall, 4) for m in stats.by_topic},
    }
