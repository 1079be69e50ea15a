"""Commands about the memory model: optimize (personal FSRS parameters) and plan (the interview
date, and what each retention costs)."""

from __future__ import annotations

import contextlib
from typing import Annotated

import typer

from cvquiz.cli.context import console, err_console, get_library, print_json


def _open_store(*, read_only: bool = False):  # -> cvquiz.practice.store.Store
    from cvquiz.home import home_dir
    from cvquiz.practice.store import open_store

    return open_store(home_dir(), read_only=read_only)


def optimize(
    revert: Annotated[
        bool,
        typer.Option("--revert", help="Go back to the parameters the last fit replaced."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Fit FSRS-6 parameters to your review log; adopt them only if they predict your later
    reviews better than the current ones."""
    from cvquiz.render import memory as view

    with _open_store() as store:
        if revert:
            from cvquiz.practice.planning import revert_parameters

            restored = revert_parameters(store)
            if as_json:
                print_json({"reverted": True, "parameters": list(restored) if restored else None})
                return
            view.render_parameters(console(), restored, what="Parameters now")
            return
        from cvquiz.practice.planning import run_optimize

        spinner = err_console().status("fitting FSRS parameters to your log…", spinner="dots")
        with spinner if err_console().is_terminal else contextlib.nullcontext():
            result = run_optimize(store)
    if as_json:
        print_json(result.to_dict())
        return
    view.render_fit(console(), result)


def _interview_moment(text: str, *, now):  # -> datetime
    from cvquiz.errors import CvquizError
    from cvquiz.practice.stats import parse_at

    try:
        return parse_at(text, now=now)
    except CvquizError as exc:
        raise CvquizError(exc.message.replace("--at", "--interview", 1)) from None


def plan(
    ctx: typer.Context,
    interview: Annotated[
        str | None,
        typer.Option(
            "--interview",
            metavar="DATE",
            help="Plan toward this day (a date means its start, 04:00 local time); "
            "a new date moves the plan.",
        ),
    ] = None,
    target: Annotated[
        float | None,
        typer.Option("--target", help="Recall each card should have on the day (default 0.9)."),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Forget the interview plan.")] = False,
    simulate: Annotated[
        bool,
        typer.Option("--simulate", help="What each desired retention (0.70-0.97) would cost you."),
    ] = False,
    days: Annotated[
        int, typer.Option("--days", help="Days to simulate with --simulate.", min=7, max=730)
    ] = 90,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulation.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Plan toward your interview date (every card at the target recall on the day, with the
    fewest reviews), or simulate what each desired retention costs."""
    from cvquiz.clock import utc_now
    from cvquiz.errors import CvquizError
    from cvquiz.practice import planning
    from cvquiz.practice.interview_plan import DEFAULT_TARGET, InterviewPlan, check_target
    from cvquiz.practice.settings import plan as session_settings
    from cvquiz.render import memory as view

    chosen = [name for name, on in (("--clear", clear), ("--simulate", simulate),
                                    ("--interview", interview is not None)) if on]  # fmt: skip
    if len(chosen) > 1:
        raise CvquizError(f"{' and '.join(chosen)}: give one of them at a time")
    if target is not None and interview is None:
        raise CvquizError("--target: give it with --interview DATE (it is part of the plan)")
    now = utc_now()
    library = get_library(ctx)
    with _open_store(read_only=not (clear or interview is not None)) as store:
        settings = session_settings(store)
        if simulate:
            costs, habits = planning.simulate(library, store, now=now, new_per_day=settings.new_per_day,
                                              days=days, seed=seed)  # fmt: skip
            if as_json:
                print_json({"days": days, "seed": seed, "retention": settings.retention,
                            "from_log": habits.from_log,
                            "costs": [c.__dict__ for c in costs]})  # fmt: skip
                return
            view.render_costs(
                console(), costs, current=settings.retention, days=days, habits=habits
            )
            return
        if clear:
            old = planning.saved_plan(store)
            planning.clear_plan(store)
            if as_json:
                print_json({"cleared": old is not None})
                return
            view.render_cleared(console(), old)
            return
        if interview is not None:
            chosen_target = check_target(target) if target is not None else DEFAULT_TARGET
            moment = _interview_moment(interview, now=now)
            current = InterviewPlan(moment, chosen_target)
            planning.set_plan(store, current)
        else:
            saved = planning.saved_plan(store)
            if saved is None:
                if as_json:
                    print_json({"plan": None})
                    return
                view.render_no_plan(console())
                return
            current = saved
        shown = planning.deck_plan(
            library, store, current, now=now, new_per_day=settings.new_per_day
        )
    if as_json:
        from cvquiz.render import shapes

        print_json(shapes.deck_plan(shown))
        return
    view.render_plan(console(), shown)
