"""Rendering of the browsing commands: the question table, one question, a bank summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Console, Group, JustifyMethod
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from cvquiz.bank.find import Found
from cvquiz.bank.model import DIFFICULTIES, Question
from cvquiz.bank.summary import BankSummary
from cvquiz.paths import display_path
from cvquiz.render.fit import Column, fit_table, pack
from cvquiz.render.labels import DIFFICULTY_ICONS, format_interval
from cvquiz.words import plural

if TYPE_CHECKING:
    from cvquiz.practice.marks import CardSummary

DIFFICULTY_STYLES = {"easy": "green", "medium": "yellow", "hard": "red"}
FLAG_STYLES = {"red": "red", "orange": "dark_orange", "green": "green", "blue": "blue"}


def difficulty_text(difficulty: str, *, ascii_only: bool = False) -> Text:
    """'🔥 hard' in its colour; just 'hard' where the terminal's encoding has no emoji."""
    label = difficulty if ascii_only else f"{DIFFICULTY_ICONS[difficulty]} {difficulty}"
    return Text(label, style=DIFFICULTY_STYLES[difficulty])


def _icon_only(text: Text) -> Text:
    """The shortest difficulty label: its icon, or its initial where there are no emoji."""
    icon, _, word = text.plain.partition(" ")
    return Text(icon if word else icon[:1], style=text.style)


# What `list` gives up first when the terminal is narrow: the id (the number names a question
# too), then the difficulty's word (its icon stays), then the topic.
LIST_SQUEEZE = (("drop", "id"), ("shorten", "level"), ("drop", "topic"))


def render_list(
    console: Console, questions: Sequence[Question], *, several_banks: bool = False
) -> None:
    """A table per bank (a title names the bank when several are loaded), then a one-line summary
    (which says bank-id/N, since numbers are per bank, when several are loaded)."""
    if not questions:
        console.print("No questions match these filters.")
        return
    ascii_only = console.options.ascii_only
    columns = [
        Column("#", justify="right", style="bold", wrap=False),
        Column("id", style="cyan", wrap=False),
        Column("topic", wrap=False),
        Column("level", wrap=False, shorten=_icon_only, short_header=""),
        Column("question", min_width=20),
        Column(">" if ascii_only else "▶", justify="center", wrap=False),
    ]
    banks = list(dict.fromkeys(q.bank_id for q in questions))
    several_banks = several_banks or len(banks) > 1
    for bank_id in banks:
        if several_banks:
            console.print(Text(f"bank {bank_id}", style="bold"))
        rows = [
            [str(q.number), q.id, q.topic, difficulty_text(q.difficulty, ascii_only=ascii_only),
             q.question, columns[-1].header if q.demo else ""]
            for q in questions
            if q.bank_id == bank_id
        ]  # fmt: skip
        console.print(fit_table(columns, rows, width=console.width, squeeze=LIST_SQUEEZE))
    demos = sum(1 for q in questions if q.demo)
    name = "bank-id/N" if several_banks else "N"
    parts = [plural(len(questions), "question")]
    if demos:
        parts.append(f"{columns[-1].header} {demos} with a live demo: cvquiz demo {name}")
    parts.append(f"read one: cvquiz show {name}")
    console.print(Text(" · ".join(parts), style="dim"))


def _day(moment: datetime, *, now: datetime) -> str:
    """'Dec 10' in local time; the year too when it is not this year's."""
    local, today = moment.astimezone(), now.astimezone()
    return f"{local:%b} {local.day}" + (f" {local.year}" if local.year != today.year else "")


def progress_parts(progress: CardSummary, *, now: datetime) -> list[Text]:
    """'due Dec 10 (in 7d)', 'stability 8.3d', 'difficulty 5.2', '3 reviews', '1 lapse',
    'suspended', 'flagged red'; or 'new: not studied yet' and its marks."""
    parts: list[Text] = []
    if progress.due is None:
        parts.append(Text("new: not studied yet"))
    else:
        ahead = progress.due - now
        when = f"in {format_interval(ahead)}" if ahead.total_seconds() >= 0 else (
            f"{format_interval(-ahead)} ago")  # fmt: skip
        parts.append(Text(f"due {_day(progress.due, now=now)} ({when})"))
        if progress.stability is not None:
            parts.append(Text(f"stability {progress.stability:.1f}d"))
        if progress.difficulty is not None:
            parts.append(Text(f"difficulty {progress.difficulty:.1f}"))
        parts.append(Text(plural(progress.reviews, "review")))
        parts.append(Text(plural(progress.lapses, "lapse")))
    if progress.buried:
        parts.append(Text("buried until tomorrow", style="yellow"))
    if progress.mark.suspended:
        parts.append(Text("suspended", style="bold yellow"))
    if (color := progress.mark.color) is not None:
        parts.append(Text(f"flagged {color}", style=f"bold {FLAG_STYLES[color]}"))
    return parts


def erratum_lines(question: Question) -> list[Text]:
    """After the answer: each sourced correction of it, and the demo check that proves it."""
    lines = []
    for e in question.errata:
        line = Text.assemble(("Erratum: ", "bold yellow"), e.correction)
        line.append(f"\n  {e.source}; proven by cvquiz demo {question.number} ({e.demo}): "
                    f"\u201c{e.check}\u201d", style="dim")  # fmt: skip
        lines.append(line)
    return lines


def render_question(
    console: Console,
    found: Found,
    *,
    progress: CardSummary | None = None,
    now: datetime | None = None,
) -> None:
    """One question in full; with `progress`, the card's schedule below the panel."""
    q = found.question
    ascii_only = console.options.ascii_only
    title = Text.assemble(
        (f"Q{q.number}", "bold"), " · ", (q.topic, "magenta"), " · ",
        difficulty_text(q.difficulty, ascii_only=ascii_only),
    )  # fmt: skip
    parts: list = [Text(q.question, style="bold"), Text(""), Text(q.answer)]
    for line in erratum_lines(q):
        parts += [Text(""), line]
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
    if progress is not None and now is not None:
        first, *rest = progress_parts(progress, now=now)
        head = Text("Progress: ", style="bold").append_text(first)
        console.print(pack([head, *rest], width=console.width, indent=""))
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
        console.print(
            _numbered([(str(r.number), Text.assemble(f"{r.question}  ", (f"({r.id})", "dim")))
                       for r in found.related])
        )  # fmt: skip
    if q.demo:
        console.print(
            Text.assemble("Live demo: ", (f"cvquiz demo {q.number}", "bold green"), f"  ({q.demo})")
        )


def render_marked(
    console: Console, questions: Sequence[Question], *, done: str, dim: bool = False
) -> None:
    """One line per card a mark command handled: `done` with Q<number> for {} and the number
    for {n}."""
    for q in questions:
        line = done.format(f"Q{q.number}", n=q.number)
        console.print(Text(line, style="dim" if dim else ""))


def _numbered(rows: Sequence[Sequence[str | Text]], *, justify: JustifyMethod = "right") -> Table:
    """Indented lines led by a number; a line that wraps stays in its own column."""
    grid = Table.grid(padding=(0, 0, 0, 2), pad_edge=True)  # two spaces before each column
    grid.add_column(justify=justify, style="bold", no_wrap=True)
    for _ in rows[0][1:] if rows else ():
        grid.add_column(overflow="fold")
    for row in rows:
        grid.add_row(*(Text(c) if isinstance(c, str) else c for c in row))
    return grid


def render_ambiguous(console: Console, query: str, matches: Sequence[Question]) -> None:
    """The candidates, each named as the user can choose it: bank-id/N when several banks match."""
    several = len({q.bank_id for q in matches}) > 1
    how = " as bank-id/N" if several else ""
    console.print(Text(f"{len(matches)} questions match '{query}'; say which{how}:"))
    console.print(
        _numbered([(f"{q.bank_id}/{q.number}" if several else str(q.number),
                    Text(q.id, style="cyan"), q.question) for q in matches],
                 justify="left" if several else "right")
    )  # fmt: skip


def render_check(console: Console, summaries: Sequence[BankSummary]) -> None:
    ascii_only = console.options.ascii_only
    for s in summaries:
        console.print(Text(s.bank.title, style="bold"))
        columns = [
            Column("topic"),
            *(Column(difficulty_text(d, ascii_only=ascii_only).plain, justify="right",
                     wrap=False) for d in DIFFICULTIES),
            Column("total", justify="right", style="bold", wrap=False),
        ]  # fmt: skip
        rows = [
            [topic, *(str(s.total(topic=topic, difficulty=d)) for d in DIFFICULTIES),
             str(s.total(topic=topic))]
            for topic in s.topics
        ]  # fmt: skip
        rows.append(
            [Text("all", style="bold"), *(Text(str(s.total(difficulty=d)), style="bold")
                                          for d in DIFFICULTIES), str(s.total())]
        )  # fmt: skip
        console.print(fit_table(columns, rows, width=console.width))
        console.print(Text(f"bank id {s.bank.id}", style="dim"))
        console.print(
            Text.assemble(("✓", "green"), f" {display_path(s.bank.path)}: "
                          f"{plural(s.total(), 'question')}, valid")
        )  # fmt: skip
