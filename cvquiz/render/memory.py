"""Screens of `cvquiz optimize` and `cvquiz plan`: the fit's figures, the interview plan, and
the cost of each retention as a terminal chart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.text import Text

from cvquiz.practice.forecast import Cost, Habits
from cvquiz.practice.interview_plan import InterviewPlan, why
from cvquiz.practice.optimize import MIN_REVIEWS, Fit, Score
from cvquiz.practice.planning import PlanView
from cvquiz.words import plural

BAR_WIDTH = 28


def _score(label: str, s: Score) -> Text:
    return Text.assemble(f"  {label:<10}", ("log loss ", "dim"), f"{s.log_loss:.4f}",
                         ("   RMSE(bins) ", "dim"), f"{s.rmse_bins:.4f}")  # fmt: skip


def render_fit(console: Console, fit: Fit) -> None:
    console.print(
        Text.assemble(
            ("Review log ", "bold"),
            f"{plural(fit.reviews, 'review')}, ",
            f"{fit.learnable} on a later day than the card's previous one",
        )  # fmt: skip
    )
    if fit.current is None or fit.fitted is None or fit.split_at is None:
        console.print(Text(f"Kept the current parameters: {fit.reason}.", style="yellow"))
        console.print(
            Text(
                f"FSRS fits parameters from {MIN_REVIEWS} such reviews; until then its defaults, "
                "fitted to millions of Anki reviews, predict you better than a fit to a few.",
                style="dim",
            )  # fmt: skip
        )
        return
    console.print(
        Text.assemble(
            ("Fitted on ", "dim"),
            f"the reviews before {fit.split_at:%Y-%m-%d %H:%M} UTC",
            (f"; scored on the {fit.current.reviews} later ones (lower is better):", "dim"),
        )  # fmt: skip
    )
    console.print(_score("current", fit.current))
    console.print(_score("fitted", fit.fitted))
    if fit.adopted:
        console.print(Text(f"Adopted the fitted parameters: {fit.reason}.", style="bold green"))
        console.print(Text("Go back to the previous ones: cvquiz optimize --revert", style="dim"))
    else:
        console.print(Text(f"Kept the current parameters: {fit.reason}.", style="yellow"))


def render_parameters(console: Console, parameters: Sequence[float] | None, *, what: str) -> None:
    shown = "FSRS-6's defaults" if parameters is None else " ".join(f"{w:.4f}" for w in parameters)
    console.print(Text.assemble((f"{what}: ", "bold"), shown))


def _bar(n: float, top: float, width: int = BAR_WIDTH) -> str:
    return "█" * (round(n / top * width) if top else 0)


def _day(moment: datetime) -> str:
    local = moment.astimezone()
    return f"{local:%a %b %d}".replace(" 0", " ") + (
        "" if local.hour == 4 and local.minute == 0 else f" {local:%H:%M}"
    )


def render_plan(console: Console, view: PlanView, *, today_only: bool = False) -> None:
    deck, plan = view.deck, view.deck.plan
    days_left = (plan.at - deck.now).total_seconds() / 86400
    console.print(
        Text.assemble(
            ("Interview ", "bold"),
            _day(plan.at),
            f" (in {days_left:.0f} days) · target ",
            (f"{plan.target:.0%}", "bold"),
            " recall on the day",
        )  # fmt: skip
    )
    cards = len(deck.cards)
    total = view.cards
    console.print(
        Text.assemble(
            f"{plural(deck.reviews, 'review')} planned for {cards} of {total} cards; ",
            (
                f"{deck.ready}/{total} reach the target",
                "green" if deck.ready == total else "yellow",
            ),
            (
                f" · plain FSRS at {plan.target:.0%}: {plural(view.plain_reviews, 'review')}, "
                f"{view.plain_short} short of the target on the day",
                "dim",
            ),
        )  # fmt: skip
    )
    if cards < total:
        console.print(
            Text(
                f"{total - cards} new cards do not fit before the day at your new-card limit; "
                "raise it with cvquiz practice --new N --save",
                style="yellow",
            )  # fmt: skip
        )
    console.print()
    console.print(Text("Planned reviews per day", style="bold"))
    top = max((n for _, n in deck.per_day), default=0)
    for i, (day, n) in enumerate(deck.per_day):
        label = "today" if i == 0 else f"{day:%a %d}"
        console.print(
            Text.assemble(f"{label:<7}", (_bar(n, top), "cyan"), f" {n}" if n else (" ·", "dim"))
        )
    order = {q.key: i for i, q in enumerate(view.library.questions)}
    due = sorted(
        (
            (c.steps[0], c)
            for c in deck.cards.values()
            if c.steps and c.steps[0].at < _day_end(deck)
        ),
        key=lambda sc: (sc[0].at, order.get(sc[1].key, 0)),
    )
    console.print()
    console.print(Text(f"Due today ({len(due)}), and why", style="bold"))
    by_key = view.library.by_key()
    for step, card in due[: None if not today_only else 200]:
        q = by_key.get(card.key)
        label = f"Q{q.number:<3}" if q else card.key
        console.print(Text.assemble("  ", (label, "bold"), " ", (why(step, card, plan), "dim")),
                      overflow="fold")  # fmt: skip
    if not due:
        console.print(Text("  nothing: every card is on track for the day", style="dim"))
    console.print()
    console.print(
        Text(
            "Practice follows the plan while it is set · move it: cvquiz plan --interview DATE "
            "· clear it: cvquiz plan --clear",
            style="dim",
        )  # fmt: skip
    )


def _day_end(deck) -> datetime:
    from datetime import timedelta

    from cvquiz.clock import day_start, study_day

    return day_start(study_day(deck.now) + timedelta(days=1))


def render_no_plan(console: Console) -> None:
    console.print(
        "No interview plan is set. Set one: cvquiz plan --interview 2026-12-17 [--target 0.9]"
    )


def render_cleared(console: Console, plan: InterviewPlan | None) -> None:
    if plan is None:
        console.print("No interview plan was set; nothing changed.")
    else:
        console.print(
            f"Cleared the interview plan for {_day(plan.at)}; practice follows plain FSRS again."
        )


def render_costs(
    console: Console, costs: Sequence[Cost], *, current: float, days: int, habits: Habits
) -> None:
    """A row per retention: a bar of reviews a day, the figures, the current setting marked."""
    source = "your review log" if habits.from_log else "typical figures (your log is short)"
    console.print(Text(f"Cost of each desired retention over the next {days} days", style="bold"))
    console.print(
        Text(f"Seeded simulation of your deck; ratings and times from {source}.", style="dim")
    )
    # mark+retention 6, then the bar, then three figures of 8, 8 and 8 columns
    bar = max(6, min(30, console.width - 6 - 24 - 2))
    head = f"{'':6}{'reviews a day':<{bar}}{'reviews':>8}{'minutes':>8}{'recall*':>8}"
    console.print(Text(head, style="dim"), no_wrap=True, overflow="crop")
    top = max((c.reviews_per_day for c in costs), default=0)
    for c in costs:
        here = abs(c.retention - current) < 1e-9
        console.print(
            Text.assemble(
                ("▶" if here else " ", "bold"),
                (f"{c.retention:>4.0%} ", "bold" if here else ""),
                (f"{_bar(c.reviews_per_day, top, bar):<{bar}}", "cyan"),
                f"{c.reviews_per_day:>8.1f}{c.minutes_per_day:>8.1f}{c.recall_at_end:>8.0%}",
            ),
            no_wrap=True, overflow="crop",
        )  # fmt: skip
    console.print(
        Text(
            f"▶ your retention ({current:.0%}) · *mean recall of studied cards on the last day · "
            "change it: cvquiz practice --retention R --save",
            style="dim",
        )  # fmt: skip
    )
