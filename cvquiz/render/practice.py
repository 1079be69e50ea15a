"""Rendering of practice: the card, the revealed answer, the rating bar, the summary, stats and history."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from rich import box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from cvquiz.bank import Question
from cvquiz.grading import Grade
from cvquiz.render.browse import difficulty_text
from cvquiz.scheduler import LEECH_LAPSES, Rating, format_interval
from cvquiz.session import Idle, Item, Rated, Summary
from cvquiz.stats import CALENDAR_WEEKS, HistoryEntry, Mastery, Stats
from cvquiz.words import plural

RATING_STYLES = {
    Rating.AGAIN: "red",
    Rating.HARD: "yellow",
    Rating.GOOD: "green",
    Rating.EASY: "cyan",
}
KIND_LABELS = {"due": "due", "new": "new", "cram": "cram", "again": "again"}


def _hint(*pairs: tuple[str, str]) -> Text:
    text = Text(" ")
    for i, (key, what) in enumerate(pairs):
        if i:
            text.append(" · ", style="dim")
        text.append(key, style="bold")
        text.append(f" {what}", style="dim")
    return text


def render_start(console: Console, queue: Sequence[Item], *, cram: bool, retention: float) -> None:
    """The line above the first card: how many cards, due and new."""
    if not queue:
        return
    kinds = [it.kind for it in queue]
    cards, new, due = len(kinds), kinds.count("new"), kinds.count("due")
    what = (
        f"{plural(cards, 'card')} (cram: weakest first)"
        if cram
        else f"{plural(cards, 'card')}: {due} due, {new} new"
    )
    console.print(
        Text.assemble(("Practice ", "bold"), what, (f" · retention {retention:.0%}", "dim"))
    )


def render_saved(console: Console, *, retention: float, new_per_day: int | None) -> None:
    """What --save remembered."""
    new = f", {new_per_day} new cards a day" if new_per_day is not None else ""
    render_note(console, f"Saved: retention {retention:g}{new}.", style="green")


def render_nothing_due(console: Console, idle: Idle, *, now: datetime, filtered: bool) -> None:
    """Why the queue is empty (no new cards allowed, today's spent, none left, all skipped)."""
    if idle.unseen and idle.new_per_day == 0:
        why = "no card is due and new cards are off (--new 0)"
    elif idle.unseen:
        why = "no card is due and today's new cards are done"
    elif idle.skipped:
        why = f"no card is due and the rest {'is' if idle.skipped == 1 else 'are'} skipped until tomorrow"
    else:
        why = "no card is due and every card has been studied"
    console.print(f"Nothing to practise now: {why}.")
    if idle.next_due is not None:
        console.print(f"Next card due in {format_interval(idle.next_due - now)}.")
    hint = "More now: --new N adds new cards, --cram reviews the weakest cards early"
    console.print(hint + (", or widen the filters." if filtered else "."), style="dim")


def render_card(
    console: Console,
    item: Item,
    *,
    position: int,
    total: int,
    typed: bool,
    recent: Sequence[Text] = (),
) -> None:
    """The question panel; at a terminal each card starts a fresh screen, under the last notes."""
    q = item.question
    if console.is_terminal:
        console.clear()
        for line in recent:
            console.print(line)
    title = Text.assemble(
        (f"Q{q.number}", "bold"), " · ", (q.topic, "magenta"), " · ", difficulty_text(q.difficulty)
    )
    subtitle = Text.assemble(
        (KIND_LABELS[item.kind], "dim"), " · ", (f"{position}/{total}", "bold")
    )
    console.print()
    console.print(
        Panel(Text(q.question, style="bold"), title=title, title_align="left", subtitle=subtitle,
              subtitle_align="right", border_style="blue", padding=(1, 2))
    )  # fmt: skip
    demo = [("d", "demo")] if q.demo else []
    if typed:
        console.print(
            _hint(
                ("type your answer, Enter", "reveal"),
                ("u", "undo"),
                ("s", "skip"),
                *demo,
                ("q", "quit"),
            )
        )
    else:
        console.print(
            _hint(("Enter", "reveal"), ("u", "undo"), ("s", "skip"), *demo, ("q", "quit"))
        )


def answer_prompt() -> str:
    return "[bold]Your answer[/] › "


def render_answer(console: Console, question: Question, *, grade: Grade | None = None) -> None:
    parts: list[RenderableType] = [Text(question.answer)]
    if question.code:
        parts += [
            Text(""),
            Syntax(
                question.code,
                "python",
                theme="ansi_dark",
                background_color="default",
                word_wrap=True,
            ),
        ]
    if grade is not None and grade.results:
        parts.append(Text(""))
        line = Text()
        for r in grade.results:
            mark, style = ("✔", "green") if r.hit else ("✘", "red")
            piece = Text.assemble((mark, f"bold {style}"), " ", (r.name, style))
            if line and line.cell_len + piece.cell_len + 3 > max(20, console.width - 8):
                parts.append(line)
                line = Text()
            if line:
                line.append("   ")
            line.append_text(piece)
        parts.append(line)
    title = Text("Answer", style="bold green")
    subtitle = None
    console.print()
    if grade is not None and grade.results:
        subtitle = Text(f"{grade.hits}/{len(grade.results)} key concepts", style="bold")
    console.print(Panel(Group(*parts), title=title, title_align="left", subtitle=subtitle,
                        subtitle_align="right", border_style="green", padding=(0, 2)))  # fmt: skip


def render_rating_bar(
    console: Console,
    intervals: Mapping[Rating, timedelta],
    *,
    suggested: Rating | None = None,
    has_demo: bool = False,
) -> None:
    text = Text(" ")
    for i, r in enumerate(Rating):
        if i:
            text.append(" · ", style="dim")
        style = RATING_STYLES[r]
        text.append(f"{int(r)} ", style=f"bold {style}")
        text.append(r.label, style=f"bold {style} reverse" if r == suggested else style)
        text.append(f" {format_interval(intervals[r])}")
    console.print(text)
    first = (("Enter", f"= {suggested.label} (suggested)"), ("1-4", "choose")) if suggested else (("1-4", "rate"),)
    demo = (("d", "demo"),) if has_demo else ()
    console.print(_hint(*first, ("u", "undo"), ("s", "skip"), *demo, ("q", "quit")))


def render_rated(console: Console, rated: Rated) -> Text:
    """One line acknowledging a committed rating; returned so the next screen can repeat it."""
    style = RATING_STYLES[rated.rating]
    after = rated.recorded.after
    text = Text.assemble(
        " → ", (f"Q{rated.item.question.number} ", "bold"), (rated.rating.label, f"bold {style}")
    )
    if rated.requeued:
        text.append(" · again before the session ends", style="dim")
    else:
        assert after.last_review is not None
        text.append(f" · next in {format_interval(after.due - after.last_review)}", style="dim")
    if rated.became_leech:
        text.append(f" · leech: forgotten {rated.recorded.after.lapses} times; rewrite it in your own words",
                    style="bold red")  # fmt: skip
    console.print(text)
    return text


def render_note(console: Console, message: str, *, style: str = "dim") -> Text:
    text = Text(f" {message}", style=style)
    console.print(text)
    return text


@contextmanager
def demo_running(console: Console, demo: str) -> Iterator[None]:
    with console.status(f"running demo {demo}…"):
        yield


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def render_summary(console: Console, summary: Summary, *, now: datetime) -> None:
    if summary.reviews == 0 and summary.skipped == 0:
        console.print(Text("\nNo cards rated this time.", style="dim"))
        return
    lines: list[RenderableType] = []
    head = Text.assemble(
        (f"{summary.cards}", "bold"), " card" if summary.cards == 1 else " cards", " · ",
        (f"{summary.reviews}", "bold"), " review · " if summary.reviews == 1 else " reviews · ",
        (_duration(summary.seconds), "bold"),
    )  # fmt: skip
    if summary.skipped:
        head.append(f" · {summary.skipped} skipped")
    lines.append(head)
    ratings = Text()
    for r in Rating:
        n = summary.ratings.get(r.label, 0)
        if ratings:
            ratings.append(" · ", style="dim")
        ratings.append(f"{r.label} {n}", style=RATING_STYLES[r] if n else "dim")
    ratings.append(f"   again-rate {summary.again_rate:.0%}", style="bold")
    lines.append(ratings)
    if summary.next_due is not None:
        lines.append(
            Text.assemble(
                "Next due: in ",
                (format_interval(summary.next_due - now), "bold"),
                f" · {summary.due_tomorrow} due by the end of tomorrow",
            )  # fmt: skip
        )
    for key in summary.leeches:
        lines.append(
            Text(f"Leech: {key} keeps slipping; rewrite the answer in your own words", style="red")
        )
    title = "Session interrupted" if summary.interrupted else "Session done"
    console.print()
    console.print(Panel(Group(*lines), title=Text(title, style="bold"), title_align="left",
                        border_style="magenta", padding=(0, 2), expand=False))  # fmt: skip


# --------------------------------------------------------------------------- stats


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
    when = f"on {stats.at_day:%Y-%m-%d}, no more reviews" if stats.at_day else "now"
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


def render_history(
    console: Console, entries: Sequence[HistoryEntry], *, now: datetime, question: str | None = None
) -> None:
    if not entries:
        of = f" of question {question}" if question else ""
        console.print(f"No reviews{of} yet. Start with: cvquiz practice")
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1))
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("Q", justify="right", style="bold")
    table.add_column("question", ratio=1, overflow="ellipsis", no_wrap=True)
    table.add_column("rating", no_wrap=True)
    table.add_column("next", no_wrap=True, justify="right")
    table.add_column("typed", no_wrap=True, justify="right")
    for e in entries:
        r = e.review
        number = str(e.question.number) if e.question else "–"
        text = (
            escape(e.question.question) if e.question else Text(f"{r.key} (removed)", style="dim")
        )
        cover = ""
        if r.coverage is not None:
            hit, total = len(r.coverage["hit"]), len(r.coverage["hit"]) + len(r.coverage["missed"])
            cover = f"{hit}/{total}"
        table.add_row(f"{r.reviewed_at:%Y-%m-%d %H:%M}", number, text,
                      Text(r.rating.label, style=RATING_STYLES[r.rating]),
                      format_interval(r.due_after - r.reviewed_at), cover)  # fmt: skip
    console.print(table)
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
