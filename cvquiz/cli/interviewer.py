"""The mock interview loop: asks the Interview's next question, reads the typed answer, reveals,
takes the grade or the override, and at the end builds, saves and shows the report."""

from __future__ import annotations

from rich.console import Console

from cvquiz.cli.keys import Keys
from cvquiz.practice.interview import Interview
from cvquiz.render import interview as view


def run(interview: Interview, *, console: Console, keys: Keys) -> bool:
    """Interview until the time is up, q, end of input or Ctrl-C; True when interrupted."""
    try:
        _loop(interview, console=console, keys=keys)
    except KeyboardInterrupt:
        console.print()
        return True
    return False


def _loop(interview: Interview, *, console: Console, keys: Keys) -> None:
    number = 0
    while (turn := interview.next_turn()) is not None:
        number += 1
        view.render_turn(console, turn, number=number, left_s=interview.left_s)
        started = interview.ticker()
        while True:
            action = keys.question(typed=True)
            if action.kind in ("quit",):
                return
            if action.kind in ("reveal", "skip"):
                break
            console.print(" (during the interview: type your answer, or q to end)", style="dim")
        typed = (action.text or "") if action.kind == "reveal" else ""
        seconds = interview.ticker() - started
        graded = turn.grade(typed)
        view.render_reveal(console, turn, graded, seconds=seconds)
        while True:
            answer = keys.rating()
            if answer.kind == "quit":
                return
            if answer.kind in ("accept", "rate"):
                break
            console.print(" Enter accepts the grade; 1-4 override it; q ends", style="dim")
        override = answer.rating if answer.kind == "rate" else None
        done = interview.answer(turn, typed, seconds=seconds, rating=override)
        view.render_answered(console, done)
        if done.rating < 3 and turn.probe is None:
            view.render_come_back(console, turn.question.topic)
