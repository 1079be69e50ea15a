"""Rendering of a practice session: the card, the revealed answer, the rating bar, notes, the summary."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text

from cvquiz.bank.model import Question
from cvquiz.practice.grading import Grade
from cvquiz.practice.interview_plan import InterviewPlan
from cvquiz.practice.queue import Idle, Item
from cvquiz.practice.scheduler import Rating
from cvquiz.practice.session import Rated, Summary
from cvquiz.render.bank import difficulty_text, erratum_lines
from cvquiz.render.labels import RATING_STYLES, format_interval
from cvquiz.words import plural

KIND_LABELS = {"due": "due", "new": "new", "cram": "cram", "again": "again"}


def _hint(*pairs: tuple[str, str]) -> Text:
    text = Text(" ")
    for i, (key, what) in enumerate(pairs):
        if i:
            text.append(" · ", style="dim")
        text.append(key, style="bold")
        text.append(f" {what}", style="dim")
    return text


# The card keys a hint names only where the line has room for them (they always work).
CARD_KEYS = (("!", "suspend"), ("f", "flag"))


def _keys_hint(console: Console, first: Sequence[tuple[str, str]], *, has_demo: bool) -> Text:
    """The keys of a prompt on one line: ! suspend and f flag where the width allows."""
    demo = [("d", "demo")] if has_demo else []
    full = _hint(*first, ("u", "undo"), ("s", "skip"), *CARD_KEYS, *demo, ("q", "quit"))
    if full.cell_len <= console.width:
        return full
    return _hint(*first, ("u", "undo"), ("s", "skip"), *demo, ("q", "quit"))


def render_start(
    console: Console,
    queue: Sequence[Item],
    *,
    cram: bool,
    retention: float,
    plan: InterviewPlan | None = None,
) -> None:
    """The line above the first card: how many cards, due and new (and the plan followed)."""
    if not queue:
        return
    kinds = [it.kind for it in queue]
    cards, new, due = len(kinds), kinds.count("new"), kinds.count("due")
    what = (
        f"{plural(cards, 'card')} (cram: weakest first)"
        if cram
        else f"{plural(cards, 'card')}: {due} due, {new} new"
    )
    aim = (
        f" · interview plan: {plan.at.astimezone():%b %d}, target {plan.target:.0%}"
        if plan is not None
        else f" · retention {retention:.0%}"
    )
    console.print(Text.assemble(("Practice ", "bold"), what, (aim, "dim")))


def render_saved(
    console: Console,
    *,
    retention: float,
    new_per_day: int | None,
    learn_ahead: timedelta | None = None,
    reviews_per_day: int | None = None,
) -> None:
    """What --save remembered."""
    new = f", {new_per_day} new cards a day" if new_per_day is not None else ""
    reviews = f", {reviews_per_day} reviews a day" if reviews_per_day is not None else ""
    ahead = (
        f", learn-ahead {learn_ahead // timedelta(minutes=1)}m" if learn_ahead is not None else ""
    )
    render_note(console, f"Saved: retention {retention:g}{new}{reviews}{ahead}.", style="green")


def render_nothing_due(
    console: Console, idle: Idle, *, now: datetime, filtered: bool, filters: str = ""
) -> None:
    """Why the queue is empty (no card matches, the daily review limit, no new cards allowed,
    today's spent, none left, all skipped or suspended)."""
    if idle.cards == 0:
        console.print(f"Nothing to practise: no card matches {filters or 'the filters'}.")
        console.print("`cvquiz list` shows each card's topic, level and tags.", style="dim")
        return
    if idle.held:
        limit = idle.reviews_per_day
        console.print(
            f"Nothing to practise now: today's review limit ({plural(limit or 0, 'review')}) is "
            f"reached; {plural(idle.held, 'more card')} {'is' if idle.held == 1 else 'are'} due."
        )
        console.print(
            f"More now: --reviews {max(limit or 0, idle.reviews_done) + idle.held} raises the limit for today (add "
            "--save to keep it), --cram reviews the weakest cards early.",
            style="dim",
        )
        return
    if idle.unseen and idle.new_per_day == 0:
        why = "no card is due and new cards are off (--new 0)"
    elif idle.unseen:
        why = "no card is due and today's new cards are done"
    elif idle.skipped:
        why = f"no card is due and the rest {'is' if idle.skipped == 1 else 'are'} skipped until tomorrow"
    elif idle.suspended and idle.suspended == idle.cards:
        why = (
            f"{'the card is' if idle.cards == 1 else 'every card is'} suspended (cvquiz unsuspend)"
        )
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
) -> None:
    """The question panel, printed below what came before: the screen is never cleared, so
    scrolling back reads the session once, in order (a cleared screen pushed into the scrollback
    and then repeated showed every confirmation twice)."""
    q = item.question
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
    if item.why:
        console.print(Text(f" plan: {item.why}", style="dim cyan"))
    first = ("type your answer, Enter", "reveal") if typed else ("Enter", "reveal")
    console.print(_keys_hint(console, [first], has_demo=q.demo is not None))


def answer_prompt() -> str:
    return "[bold]Your answer[/] › "


HIT_STYLE = "bold green underline"
DENIED_STYLE = "yellow strike"
MISCONCEPTION_STYLE = "bold red reverse"


def typed_with_highlights(grade: Grade) -> Text:
    """The typed answer as the user wrote it, each phrase the grader heard marked in place."""
    text = Text(grade.text)
    for r in grade.results:
        for start, end in r.spans:
            text.stylize(HIT_STYLE if r.hit else DENIED_STYLE, start, end)
    for m in grade.misconceptions:
        for start, end in m.spans:
            text.stylize(MISCONCEPTION_STYLE, start, end)
    return text


def _quoted(words: str, style: str) -> Text:
    return Text.assemble(("“", "dim"), (words, style), ("”", "dim"))


def grade_lines(grade: Grade) -> list[RenderableType]:
    """Per concept: what the user's words matched, what was missing or denied; then each
    misconception asserted, with why it is wrong."""
    lines: list[RenderableType] = []
    for r in grade.results:
        core = (" · core", "dim") if r.core else ("", "")
        if r.hit:
            line = Text.assemble(("✔", "bold green"), " ", (r.name, "green"), core)
            line.append("  ")
            line.append_text(_quoted(r.matched or "", "green"))
        elif r.negated is not None:
            line = Text.assemble(("✘", "bold red"), " ", (r.name, "red"), core)
            line.append("  said denied: ", style="yellow")
            line.append_text(_quoted(r.negated, "yellow"))
        else:
            line = Text.assemble(
                ("✘", "bold red"), " ", (r.name, "red"), core, ("  missing", "dim")
            )
        lines.append(line)
    for m in grade.misconceptions:
        lines.append(
            Text.assemble(("✘ misconception: ", "bold red"), (m.name, "bold red"), "  ")
            + _quoted(m.matched, "red")
        )
        lines.append(Padding(Text(m.why, style="red"), (0, 0, 0, 2)))
    return lines


def render_answer(console: Console, question: Question, *, grade: Grade | None = None) -> None:
    """The model answer; after a typed answer, that answer with what it said, lacked or got wrong."""
    parts: list[RenderableType] = [Text(question.answer)]
    for line in erratum_lines(question):
        parts += [Text(""), line]
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
    graded = grade is not None and bool(grade.results or grade.misconceptions)
    if grade is not None and graded:
        parts += [Text(""), Text.assemble(("Your answer: ", "bold"), typed_with_highlights(grade))]
        parts += grade_lines(grade)
    title = Text("Answer", style="bold green")
    subtitle = None
    console.print()
    if grade is not None and grade.results:
        subtitle = Text(f"{grade.hits}/{len(grade.results)} key concepts", style="bold")
    console.print(Panel(Group(*parts), title=title, title_align="left", subtitle=subtitle,
                        subtitle_align="right", border_style="green", padding=(0, 2)))  # fmt: skip


# Why two keys show the same interval (cvquiz.practice.scheduler.Tie).
TIE_REASONS = {
    "steps": "both repeat a learning step",
    "minimum": "a review is at least a day away",
    "maximum": "both reach the maximum interval",
    "rounding": "their intervals are under a day apart and reviews fall on whole days",
    "fuzz": "the fuzz (a small spread, fixed per card) put them on the same day",
}


def tie_lines(intervals: Mapping[Rating, timedelta], ties: Mapping[Rating, str]) -> list[Text]:
    """One dim line per group of keys that show the same interval, saying why."""
    groups: dict[timedelta, list[Rating]] = {}
    for r in Rating:
        if r in ties:
            groups.setdefault(intervals[r], []).append(r)
    lines = []
    for group in groups.values():
        why = "; ".join(TIE_REASONS.get(t, t) for t in dict.fromkeys(ties[r] for r in group))
        names = " = ".join(r.label for r in group)
        lines.append(Text(f" {names} {format_interval(intervals[group[0]])}: {why}", style="dim"))
    return lines


def render_rating_bar(
    console: Console,
    intervals: Mapping[Rating, timedelta],
    *,
    suggested: Rating | None = None,
    has_demo: bool = False,
    ties: Mapping[Rating, str] | None = None,
) -> None:
    """The four keys, each with exactly the interval it gives; a tie says why."""
    text = Text(" ")
    for i, r in enumerate(Rating):
        if i:
            text.append(" · ", style="dim")
        style = RATING_STYLES[r]
        text.append(f"{int(r)} ", style=f"bold {style}")
        text.append(r.label, style=f"bold {style} reverse" if r == suggested else style)
        text.append(f" {format_interval(intervals[r])}")
    console.print(text)
    for line in tie_lines(intervals, ties or {}):
        console.print(line)
    first = (
        (("Enter", f"= {suggested.label} (suggested)"), ("1-4", "choose"))
        if suggested
        else (("1-4", "rate"),)
    )
    console.print(_keys_hint(console, first, has_demo=has_demo))


def render_rated(console: Console, rated: Rated) -> Text:
    """One line acknowledging a committed rating."""
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
    if summary.reviews == 0 and summary.skipped == 0 and summary.suspended == 0:
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
    if summary.suspended:
        head.append(f" · {summary.suspended} suspended")
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
    if summary.learning_due:
        lines.append(
            Text(
                f"{plural(summary.learning_due, 'learning card')} due within "
                f"{format_interval(summary.learn_ahead)}: practise again to finish "
                f"{'it' if summary.learning_due == 1 else 'them'}",
                style="yellow",
            )
        )
    for key in summary.leeches:
        lines.append(
            Text(f"Leech: {key} keeps slipping; rewrite the answer in your own words", style="red")
        )
    title = "Session interrupted" if summary.interrupted else "Session done"
    console.print()
    console.print(Panel(Group(*lines), title=Text(title, style="bold"), title_align="left",
                        border_style="magenta", padding=(0, 2), expand=False))  # fmt: skip
