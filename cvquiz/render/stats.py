"""Rendering of progress read from the store: the stats screen, the review log, the due list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from cvquiz.bank.model import Question
from cvquiz.clock import day_start
from cvquiz.practice.scheduler import LEECH_LAPSES
from cvquiz.practice.stats import CALENDAR_WEEKS, HistoryEntry, Mastery, Stats
from cvquiz.render.bank import difficulty_text
from cvquiz.render.labels import RATING_STYLES, format_interval
from cvquiz.words import plural


def _bar(fraction: float, width: int) -> Text:
    filled = max(0, min(width, round(fraction * width)))
    return Text.assemble(("█" * filled, "green" if fraction >= 0.8 else "yellow" if fraction >= 0.5 else "red"),
                         ("░" * (width - filled), "dim"))  # fmt: skip


def _mastery_table(title: str, rows: Sequence[Mastery]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, pad_edge=False,
                  show_edge=False, padding=(0, 1))  # fmt: skip
    table.add_column("", no_wrap=True)
    table.add_column("seen", justify="right")
    table.add_column("recall", no_wrap=True)
    for m in rows:
        table.add_row(
            m.name,
            f"{m.reviewed}/{m.cards}",
            Text.assemble(_bar(m.recall, 16), f" {m.recall:4.0%}"),
        )
    return table


def _heatmap(stats: Stats) -> Text:
    """Reviews per day, a column per week (oldest left), Monday on top, as GitHub draws it."""
    today = stats.today
    first = today - timedelta(days=CALENDAR_WEEKS * 7 - 1)
    first -= timedelta(days=first.weekday())  # start on a Monday
    levels = [
        (0, "·", "dim"),
        (1, "■", "green4"),
        (3, "■", "green3"),
        (6, "■", "bold bright_green"),
    ]
    text = Text()
    for weekday, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        text.append(f"{name:<4}", style="dim")
        day = first + timedelta(days=weekday)
        while day <= today + timedelta(days=6 - today.weekday()):
            if day > today:
                text.append("  ")
            else:
                n = stats.calendar.get(day, 0)
                _, mark, style = [lv for lv in levels if n >= lv[0]][-1]
                text.append(f"{mark} ", style=style)
            day += timedelta(days=7)
        text.append("\n")
    text.append(f"    {first:%b %d} … today · ", style="dim")
    text.append(
        f"{plural(sum(stats.calendar.values()), 'review')} on {plural(len(stats.calendar), 'day')}",
        style="dim",
    )
    return text


def _forecast(stats: Stats) -> Text:
    top = max((n for _, n in stats.forecast), default=0)
    text = Text()
    for i, (day, n) in enumerate(stats.forecast):
        label = "today" if i == 0 else f"{day:%a %d}"
        width = round(n / top * 30) if top else 0
        text.append(f"{label:<7}", style="bold" if i == 0 else "")
        text.append("█" * width, style="cyan")
        text.append(f" {n}\n" if n else " ·\n", style="" if n else "dim")
    return text


def _at_text(stats: Stats) -> str:
    """The --at moment as the user named it: a day alone (it means the day's start), or the day
    and the local time."""
    assert stats.at is not None and stats.at_day is not None
    if stats.at == day_start(stats.at_day):
        return f"{stats.at_day:%Y-%m-%d}"
    return f"{stats.at.astimezone():%Y-%m-%d %H:%M}"


def render_stats(console: Console, stats: Stats) -> None:
    head = Text.assemble(
        ("Reviews ", "bold"), f"{stats.reviews}", "   ", ("Cards ", "bold"),
        (f"{stats.new}", "blue"), " new · ", (f"{stats.learning}", "yellow"), " learning · ",
        (f"{stats.review}", "green"), " review", "   ", ("Due today ", "bold"), f"{stats.due_today}",
    )  # fmt: skip
    console.print(head)
    if stats.orphans:
        console.print(
            f"({stats.orphans} cards with progress are no longer in any bank; see cvquiz history)",
            style="dim",
        )
    rate = stats.true_retention
    if rate is not None:
        console.print(Text.assemble(("True retention ", "bold"), f"{rate:.0%}",
                                    (f"  ({stats.retention_passed}/{stats.retention_reviews} reviews of cards in review passed)", "dim")))  # fmt: skip
    else:
        console.print(
            Text.assemble(
                ("True retention ", "bold"), ("no reviews of cards in the review state yet", "dim")
            )
        )
    console.print()
    console.print(Text("Due in the next 7 days", style="bold"))
    console.print(_forecast(stats), end="")
    console.print()
    console.print(Text(f"Review days, last {CALENDAR_WEEKS} weeks", style="bold"))
    console.print(_heatmap(stats))
    console.print()
    when = f"on {_at_text(stats)}, no more reviews" if stats.at_day else "now"
    console.print(
        Text.assemble(
            (f"Predicted recall {when}: ", "bold"),
            (f"{stats.overall.recall:.0%}", "bold"),
            (f" ({stats.overall.reviewed}/{stats.overall.cards} cards studied)", "dim"),
        )
    )
    console.print(_mastery_table("by topic", stats.by_topic))
    console.print(_mastery_table("by difficulty", stats.by_difficulty))
    if stats.weakest:
        console.print()
        console.print(Text("Weakest cards", style="bold"))
        for c in stats.weakest:
            console.print(Text.assemble(f"  {c.recall:4.0%} ", (f"Q{c.question.number:<3}", "bold"),
                                        c.question.question), overflow="ellipsis", no_wrap=True)  # fmt: skip
    if stats.leeches:
        console.print()
        console.print(
            Text(
                f"Leeches (forgotten {LEECH_LAPSES}+ times): rewrite these in your own words",
                style="bold red",
            )
        )
        for c in stats.leeches:
            console.print(Text.assemble(f"  {c.lapses:>2} lapses ", (f"Q{c.question.number:<3}", "bold"),
                                        c.question.question), overflow="ellipsis", no_wrap=True)  # fmt: skip


def typed_line(typed: str, coverage: dict[str, list[str]] | None) -> Text:
    """Under a typed review's question: the answer as typed, then what the grader heard wrong."""
    line = Text("\n› ", style="dim")
    line.append(" ".join(typed.split()) or "(empty)", style="italic")
    for name in (coverage or {}).get("misconceptions", []):
        line.append(f"\n  ✘ {name}", style="red")
    return line


def _zone_names(moments: Sequence[datetime]) -> str:
    """The local zone's names over these moments, in order of first use (CET/CEST across a change)."""
    names = dict.fromkeys(m.astimezone().tzname() or "local" for m in moments)
    return "/".join(names)


def render_history(
    console: Console,
    entries: Sequence[HistoryEntry],
    *,
    now: datetime,
    question: str | None = None,
    total: int | None = None,
) -> None:
    """The log in local time (`--json` keeps UTC); `total` counts the rows a --limit left out."""
    if not entries:
        of = f" of question {question}" if question else ""
        console.print(f"No reviews{of} yet. Start with: cvquiz practice")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1))
    # The short columns keep their width: a typed answer under a question may be long.
    table.add_column(f"when ({_zone_names([e.review.reviewed_at for e in entries])})", no_wrap=True,
                     min_width=16)  # fmt: skip
    table.add_column("Q", justify="right", style="bold")
    table.add_column("question", ratio=1)  # each line cut short: see the cell's Text
    table.add_column("rating", no_wrap=True, min_width=6)
    table.add_column("next", no_wrap=True, justify="right", min_width=4)
    table.add_column("typed", no_wrap=True, justify="right", min_width=5)
    for e in entries:
        r = e.review
        number = str(e.question.number) if e.question else "–"
        text = Text(e.question.question) if e.question else Text(f"{r.key} (removed)", style="dim")
        if r.typed_answer is not None:
            text.append_text(typed_line(r.typed_answer, r.coverage))
        text.no_wrap, text.overflow = True, "ellipsis"
        cover = ""
        if r.coverage is not None:
            hit, total = len(r.coverage["hit"]), len(r.coverage["hit"]) + len(r.coverage["missed"])
            cover = f"{hit}/{total}"
        table.add_row(f"{r.reviewed_at.astimezone():%Y-%m-%d %H:%M}", number, text,
                      Text(r.rating.label, style=RATING_STYLES[r.rating]),
                      format_interval(r.due_after - r.reviewed_at), cover)  # fmt: skip
    console.print(table)
    if total is not None and total > len(entries):
        more = (
            f"{len(entries)} of {plural(total, 'review')}, newest first; -n {total} shows them all."
        )
        console.print(more, style="dim")
    else:
        console.print(f"{plural(len(entries), 'review')}, newest first.", style="dim")


def render_due(console: Console, due: Sequence[tuple[Question, float]]) -> None:
    """`cvquiz list --due`: due cards, lowest predicted recall first."""
    if not due:
        console.print("No cards are due. New cards wait in: cvquiz practice")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1))
    table.add_column("#", justify="right", style="bold", no_wrap=True)
    table.add_column("topic", style="magenta", no_wrap=True)
    table.add_column("level", no_wrap=True)
    table.add_column("question", ratio=1, overflow="ellipsis", no_wrap=True)
    table.add_column("recall", justify="right", no_wrap=True)
    for q, recall in due:
        table.add_row(
            str(q.number),
            q.topic,
            difficulty_text(q.difficulty),
            escape(q.question),
            f"{recall:.0%}",
        )
    console.print(table)
    console.print(
        f"{plural(len(due), 'card')} due, weakest first. Practise them with: cvquiz practice",
        style="dim",
    )
