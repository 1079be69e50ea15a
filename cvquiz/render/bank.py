"""Rendering of the browsing commands: the question table, one question, a bank summary."""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from cvquiz.bank.find import Found
from cvquiz.bank.model import DIFFICULTIES, Question
from cvquiz.bank.summary import BankSummary
from cvquiz.paths import display_path
from cvquiz.render.labels import DIFFICULTY_ICONS
from cvquiz.words import plural

DIFFICULTY_STYLES = {"easy": "green", "medium": "yellow", "hard": "red"}


def difficulty_text(difficulty: str) -> Text:
    return Text(f"{DIFFICULTY_ICONS[difficulty]} {difficulty}", style=DIFFICULTY_STYLES[difficulty])


def render_list(console: Console, questions: Sequence[Question]) -> None:
    """A table per bank (a title names the bank when there are several), then a one-line summary."""
    if not questions:
        console.print("No questions match these filters.")
        return
    banks = list(dict.fromkeys(q.bank_id for q in questions))
    for bank_id in banks:
        table = Table(
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            show_edge=False,
            padding=(0, 1),
            collapse_padding=True,
        )
        if len(banks) > 1:
            table.title = Text(f"bank {bank_id}", style="bold")
            table.title_justify = "left"
        table.add_column("#", justify="right", style="bold")
        table.add_column("id", style="cyan", no_wrap=True, overflow="fold")
        table.add_column("topic")
        table.add_column("level", no_wrap=True)
        table.add_column("question", ratio=1)
        table.add_column("▶", justify="center")
        for q in (q for q in questions if q.bank_id == bank_id):
            table.add_row(
                str(q.number),
                q.id,
                q.topic,
                difficulty_text(q.difficulty),
                Text(q.question),
                "▶" if q.demo else "",
            )
        console.print(table)
    demos = sum(1 for q in questions if q.demo)
    console.print(
        f"{plural(len(questions), 'question')} · ▶ {demos} with a live demo: cvquiz demo N · read one: cvquiz show N",
        style="dim",
    )


def render_question(console: Console, found: Found) -> None:
    q = found.question
    title = Text.assemble(
        (f"Q{q.number}", "bold"), " · ", (q.topic, "magenta"), " · ", difficulty_text(q.difficulty)
    )
    parts: list = [Text(q.question, style="bold"), Text(""), Text(q.answer)]
    if q.code:
        parts += [
            Text(""),
            Syntax(q.code, "python", theme="ansi_dark", background_color="default", word_wrap=True),
        ]
    console.print(
        Panel(
            Group(*parts), title=title, title_align="left", subtitle=q.key, subtitle_align="right"
        )
    )
    if q.concepts:
        console.print(
            Text("Key concepts: ", style="bold").append(
                ", ".join(c.name for c in q.concepts), style=""
            )
        )
    if q.tags:
        console.print(Text("Tags: ", style="bold").append(", ".join(q.tags), style="dim"))
    if found.related:
        console.print(Text("Next an interviewer may ask:", style="bold"))
        for r in found.related:
            console.print(
                Text.assemble(
                    "  ", (f"{r.number:>2}", "bold"), f"  {r.question}  ", (f"({r.id})", "dim")
                )
            )
    if q.demo:
        console.print(
            Text.assemble("Live demo: ", (f"cvquiz demo {q.number}", "bold green"), f"  ({q.demo})")
        )


def render_ambiguous(console: Console, query: str, matches: Sequence[Question]) -> None:
    console.print(f"{len(matches)} questions match '{escape(query)}'; say which:")
    for q in matches:
        console.print(
            Text.assemble("  ", (f"{q.number:>2}", "bold"), "  ", (q.id, "cyan"), f"  {q.question}")
        )


def render_check(console: Console, summaries: Sequence[BankSummary]) -> None:
    for s in summaries:
        table = Table(title=Text(s.bank.title), caption=Text(f"bank id {s.bank.id}"), box=box.SIMPLE_HEAD,
                      title_justify="left", caption_justify="left")  # fmt: skip
        table.add_column("topic")
        for d in DIFFICULTIES:
            table.add_column(f"{DIFFICULTY_ICONS[d]} {d}", justify="right")
        table.add_column("total", justify="right", style="bold")
        for topic in s.topics:
            table.add_row(
                topic,
                *(str(s.total(topic=topic, difficulty=d)) for d in DIFFICULTIES),
                str(s.total(topic=topic)),
            )
        table.add_row(
            "all", *(str(s.total(difficulty=d)) for d in DIFFICULTIES), str(s.total()), style="bold"
        )
        console.print(table)
        console.print(
            f"[green]✓[/] {escape(display_path(s.bank.path))}: {plural(s.total(), 'question')}, valid",
            highlight=False,
        )
