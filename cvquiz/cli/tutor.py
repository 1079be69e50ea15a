"""The practice loop: shows the front card of a Session, reads what the user pressed, acts on it."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from cvquiz.bank.model import Question
from cvquiz.cli.keys import Keys
from cvquiz.errors import CvquizError
from cvquiz.practice.grading import Grade, grade_answer
from cvquiz.practice.marks import FLAG_COLORS
from cvquiz.practice.queue import Item
from cvquiz.practice.session import Flagged, Rated, Removed, Session, Summary
from cvquiz.practice.store import UndoRefused
from cvquiz.render import practice as view


def run_demo_for(console: Console, question: Question) -> None:
    """Run the card's live demo and show it; a failure is one line, the session goes on."""
    if question.demo is None:
        view.render_note(console, "This question has no live demo.")
        return
    from cvquiz.demos.runner import run_demo
    from cvquiz.render.demo import render_result

    try:
        with view.demo_running(console, question.demo):
            result = run_demo(question.demo)
    except CvquizError as exc:
        view.render_note(console, f"demo {question.demo}: {exc.message}", style="red")
        return
    except ImportError as exc:  # torch missing from this install: the session goes on
        view.render_note(console, f"Live demos need PyTorch ({exc}).", style="yellow")
        return
    render_result(console, result, question=question)


def _undo(console: Console, session: Session) -> Rated | Removed | Flagged | None:
    """Undo the last action and say what was undone; None when nothing was."""
    try:
        undone = session.undo()
    except UndoRefused:
        view.render_note(
            console,
            "Cannot undo: another session has rated that card since; its rating stands.",
            style="yellow",
        )
        return None
    if undone is None:
        view.render_note(console, "Nothing to undo in this session.", style="yellow")
        return None
    number = undone.item.question.number
    if isinstance(undone, Flagged):
        was = FLAG_COLORS[undone.before - 1] if undone.before else "no"
        view.render_note(console, f"Undid the flag of Q{number}; it has {was} flag again.")
        return undone
    what = (
        f"{undone.rating.label} on" if isinstance(undone, Rated)
        else "the skip of" if undone.how == "skip" else "the suspension of"
    )  # fmt: skip
    shown = session.current is not None and session.current.key == undone.item.key
    where = "here it is again" if shown else "it stays out of this session"
    view.render_note(console, f"Undid {what} Q{number}; {where}.")
    return undone


def _skip(console: Console, session: Session, question: Question) -> Text:
    session.skip()
    return view.render_note(console, f"Skipped Q{question.number} until tomorrow.")


def _suspend(console: Console, session: Session, question: Question) -> Text:
    session.suspend()
    return view.render_note(
        console,
        f"Suspended Q{question.number}: no session shows it until `cvquiz unsuspend "
        f"{question.number}` (u undoes it now).",
    )


def _flag(console: Console, session: Session, question: Question) -> Text:
    flagged = session.flag()
    if not flagged.after:
        return view.render_note(console, f"Unflagged Q{question.number}.")
    return view.render_note(
        console,
        f"Flagged Q{question.number} {FLAG_COLORS[flagged.after - 1]} (`cvquiz list --flagged` "
        "lists flagged cards).",
    )


def run(session: Session, *, console: Console, keys: Keys, typed: bool = False) -> Summary:
    """Practise until the queue is empty, q, end of input or Ctrl-C; then show the summary."""
    interrupted = False
    try:
        _loop(session, console=console, keys=keys, typed=typed)
    except KeyboardInterrupt:
        interrupted = True
        console.print()
    summary = session.summary(interrupted=interrupted)
    view.render_summary(console, summary, now=session.clock())
    return summary


def _loop(session: Session, *, console: Console, keys: Keys, typed: bool) -> None:
    redraw = True
    while (item := session.current) is not None:
        position, total = session.position
        if redraw:
            view.render_card(console, item, position=position, total=total, typed=typed)
            session.shown()
        redraw = True
        action = keys.question(typed=typed)
        if action.kind == "quit":
            return
        if action.kind == "undo":
            # Nothing undone, or a flag (the card stays in front): the card stays as it is.
            redraw = isinstance(_undo(console, session), Rated | Removed)
            continue
        if action.kind == "skip":
            _skip(console, session, item.question)
            continue
        if action.kind == "suspend":
            _suspend(console, session, item.question)
            continue
        if action.kind == "flag":
            _flag(console, session, item.question)
            redraw = False
            continue
        if action.kind == "demo":
            # Before the reveal a demo's explanation and checks would give the answer away.
            first = "type your answer" if typed else "reveal the answer (Enter)"
            what = "the demo" if item.question.demo else "this question has no live demo, and d"
            view.render_note(
                console, f"{what} comes after the answer: {first}, then press d", style="yellow"
            )
            redraw = False
            continue
        result: Grade | None = grade_answer(action.text or "", item.question) if typed else None
        view.render_answer(console, item.question, grade=result)
        answer = action.text if typed else None
        if not _rate(
            session,
            console=console,
            keys=keys,
            item=item,
            typed=answer,
            graded=result,
        ):
            return


def _rate(
    session: Session,
    *,
    console: Console,
    keys: Keys,
    item: Item,
    typed: str | None,
    graded: Grade | None,
) -> bool:
    """The rating prompt for the revealed card; False when the user quits."""
    suggested = graded.suggested if graded is not None else None
    preview = session.preview()  # exactly what each rating gives, fuzz included
    intervals, ties = preview.intervals, preview.ties
    view.render_rating_bar(
        console, intervals, suggested=suggested, has_demo=item.question.demo is not None, ties=ties
    )
    while True:
        answer = keys.rating()
        if answer.kind == "quit":
            return False
        if answer.kind == "undo":
            if not isinstance(_undo(console, session), Rated | Removed):
                continue  # nothing undone, or a flag: stay at this prompt, the answer showing
            return True
        if answer.kind == "skip":
            _skip(console, session, item.question)
            return True
        if answer.kind == "suspend":
            _suspend(console, session, item.question)
            return True
        if answer.kind == "flag":
            _flag(console, session, item.question)
            continue
        if answer.kind == "demo":
            run_demo_for(console, item.question)
            view.render_rating_bar(
                console, intervals, suggested=suggested, has_demo=item.question.demo is not None,
                ties=ties,
            )  # fmt: skip
            continue
        rating = answer.rating if answer.kind == "rate" else None
        if answer.kind == "accept":
            rating = suggested
        if rating is None:
            shown = f"'{answer.text}' is not a rating; " if answer.text else ""
            view.render_note(
                console, f"{shown}press 1 again, 2 hard, 3 good or 4 easy", style="yellow"
            )
            continue
        rated = session.rate(rating, typed=typed, grade=graded)
        view.render_rated(console, rated)
        return True
