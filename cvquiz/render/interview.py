"""Screens of `cvquiz interview`: each question with its clock, the reveal, and the report."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from cvquiz.practice.grading import Grade
from cvquiz.practice.interview import Answered, Turn
from cvquiz.render.bank import difficulty_text
from cvquiz.render.practice import grade_lines, typed_with_highlights
from cvquiz.words import plural


def clock(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 60}:{s % 60:02d}"


def render_start(console: Console, *, minutes: float, cards: int, plan_note: str | None) -> None:
    console.print(
        Text.assemble(
            ("Mock interview ", "bold"),
            f"{minutes:g} minutes · {plural(cards, 'question')} to draw from",
            (f" · {plan_note}" if plan_note else "", "dim"),
        )  # fmt: skip
    )
    console.print(
        Text(
            "Type each answer and press Enter (an empty answer passes). After the reveal: Enter "
            "accepts the grade, 1-4 overrides it, q ends the interview.",
            style="dim",
        )  # fmt: skip
    )


def render_turn(console: Console, turn: Turn, *, number: int, left_s: float) -> None:
    q = turn.question
    title = Text.assemble((f"{number}. Q{q.number}", "bold"), " · ", (q.topic, "magenta"), " · ",
                          difficulty_text(q.difficulty))  # fmt: skip
    subtitle = Text.assemble(("budget ", "dim"), (clock(turn.budget_s), "bold"),
                             (f" · {clock(left_s)} left", "dim"))  # fmt: skip
    prompt = Text(turn.prompt, style="bold")
    if turn.probe is not None:
        prompt = Text.assemble(("Follow-up on your answer: ", "dim"), (turn.probe.prompt, "bold"))
    console.print()
    console.print(Panel(prompt, title=title, title_align="left", subtitle=subtitle,
                        subtitle_align="right", border_style="magenta", padding=(1, 2)))  # fmt: skip
    console.print(Text(f" {turn.kind}: {turn.why}", style="dim"))


def render_reveal(console: Console, turn: Turn, graded: Grade, *, seconds: float) -> None:
    parts: list[RenderableType] = [Text(turn.model_answer)]
    if graded.text.strip():
        parts += [Text(""), Text.assemble(("Your answer: ", "bold"), typed_with_highlights(graded))]
    parts += grade_lines(graded)
    over = seconds > turn.budget_s
    subtitle = Text.assemble(
        (f"{clock(seconds)} of {clock(turn.budget_s)}", "bold red" if over else "bold"),
        (" · over budget" if over else "", "red"),
    )
    suggested = graded.suggested.label if graded.suggested else "again"
    console.print()
    console.print(Panel(Group(*parts), title=Text("Answer", style="bold green"), title_align="left",
                        subtitle=subtitle, subtitle_align="right", border_style="green",
                        padding=(0, 2)))  # fmt: skip
    console.print(
        Text.assemble(
            " graded ",
            (suggested, "bold"),
            (" · Enter accepts · 1 again · 2 hard · 3 good · 4 easy · q end", "dim"),
        )
    )


def render_answered(console: Console, done: Answered) -> None:
    note = " · recorded for review" if done.review_id is not None else ""
    console.print(Text.assemble(" → ", (done.rating.label, "bold"), (note, "dim")))


def render_come_back(console: Console, topic: str) -> None:
    console.print(Text(f" We'll come back to {topic}.", style="dim italic"))


def _pct(score: float | None) -> str:
    return "–" if score is None else f"{score:.0%}"


def render_report(console: Console, data: dict[str, Any]) -> None:
    overall = data["overall"]
    console.print()
    console.print(Text.assemble(("Interview report", "bold"),
                                (f" · {overall['answers']} answers in {clock(data['seconds'])} · seed {data['seed']}", "dim")))  # fmt: skip
    if not overall["answers"]:
        console.print(Text("No question was answered.", style="dim"))
        return
    console.print(Text.assemble(("Score ", "bold"), _pct(overall["score"]),
                                (f" ({overall['passed']} of {overall['answers']} good or better)", "dim")))  # fmt: skip
    for heading, rows in (("by topic", data["topics"]), ("by difficulty", data["difficulties"])):
        cells = " · ".join(
            f"{name} {_pct(r['score'])} ({r['answers']})" for name, r in rows.items()
        )
        console.print(Text.assemble((f"  {heading}: ", "dim"), cells))
    if data["missed_concepts"]:
        console.print(Text("Concepts missed most", style="bold"))
        for c in data["missed_concepts"]:
            console.print(f"  {c['name']} ×{c['times']}")
    if data["misconceptions"]:
        console.print(Text("Misconceptions voiced", style="bold red"))
        for m in data["misconceptions"]:
            console.print(f"  {m['name']} ×{m['times']}")
    if data["slowest"]:
        console.print(Text("Slowest answers", style="bold"))
        for s in data["slowest"]:
            console.print(Text.assemble(f"  {clock(s['seconds'])} of {clock(s['budget_s'])}  ",
                                        (f"Q{s['number']} ", "bold"), s["prompt"]),
                          overflow="ellipsis", no_wrap=True)  # fmt: skip
    if data["demos"]:
        console.print(Text("Run next", style="bold"))
        for d in data["demos"]:
            console.print(f"  {d['command']}  ({d['demo']})")
    ready = data.get("readiness")
    if ready:
        topics = " · ".join(f"{t} {v:.0%}" for t, v in ready["topics"].items())
        console.print(Text.assemble(("Ready for ", "bold"), f"{ready['day']}: ", f"{ready['overall']:.0%} predicted recall",
                                    (f" (target {ready['target']:.0%}) · {topics}", "dim")))  # fmt: skip
    console.print(
        Text(
            "See it again: cvquiz interview --last · every answer is in cvquiz history", style="dim"
        )
    )
