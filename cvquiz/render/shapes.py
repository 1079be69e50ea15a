"""Every JSON shape the commands print, built from the records' own `to_dict` (exact ints, no colour)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cvquiz.bank.model import Question
    from cvquiz.demos.registry import DemoSpec
    from cvquiz.demos.result import DemoResult
    from cvquiz.practice.marks import CardSummary
    from cvquiz.practice.stats import HistoryEntry, Stats


def question_ref(q: Question) -> dict[str, Any]:
    """A question named by its key, number and id."""
    return {"key": q.key, "number": q.number, "id": q.id}


def questions(found: Sequence[Question]) -> list[dict[str, Any]]:
    """`list --json` and `show --json`: each question in its bank format, with its key."""
    return [{"key": q.key, **q.to_dict()} for q in found]


def shown(q: Question, progress: CardSummary | None) -> dict[str, Any]:
    """`show --json`: the question as `list --json` gives it, and its progress (None: the store
    could not be read)."""
    return {"key": q.key, **q.to_dict(), "progress": progress.to_dict() if progress else None}


def due(found: Sequence[tuple[Question, float]]) -> list[dict[str, Any]]:
    """`list --due --json`: the due cards, lowest predicted recall first."""
    return [
        {"key": q.key, "number": q.number, "question": q.question, "recall": recall}
        for q, recall in found
    ]


def stats(result: Stats) -> dict[str, Any]:
    """`stats --json`: counts, forecast, true retention, calendar, mastery, weakest, leeches."""
    return result.to_dict()


def history(entries: Sequence[HistoryEntry]) -> list[dict[str, Any]]:
    """`history --json`: log rows, newest first, each with its question's number (or None)."""
    return [e.to_dict() for e in entries]


def demo_params(spec: DemoSpec) -> dict[str, Any]:
    """`demo --params --json`."""
    return {"demo_id": spec.id, "params": [p.to_dict() for p in spec.params]}


def demo_run(result: DemoResult, question: Question | None) -> dict[str, Any]:
    """`demo --json`: the result, and the question that led to the demo if any."""
    data = result.to_dict()
    if question is not None:
        data["question"] = question_ref(question)
    return data


def deck_plan(view: Any) -> dict[str, Any]:  # view: cvquiz.practice.planning.PlanView
    """`plan --json`: the interview, each card's planned reviews and recall on the day, per day."""
    deck = view.deck
    by_key = view.library.by_key()
    return {
        "interview": deck.plan.at.isoformat(),
        "target": deck.plan.target,
        "now": deck.now.isoformat(),
        "reviews": deck.reviews,
        "ready": deck.ready,
        "cards": view.cards,
        "suspended": view.suspended,
        "plain_fsrs": {"reviews": view.plain_reviews, "short_of_target": view.plain_short},
        "per_day": [{"day": d.isoformat(), "reviews": n} for d, n in deck.per_day],
        "plan": [
            {
                "key": c.key,
                "number": by_key[c.key].number if c.key in by_key else None,
                "reviews": [
                    {"at": s.at.isoformat(), "kind": s.kind, "recall": round(s.recall, 4)}
                    for s in c.steps
                ],  # fmt: skip
                "recall_if_stopped": round(c.recall_if_stopped, 4),
                "recall_planned": round(c.recall_planned, 4),
            }
            for c in deck.cards.values()
        ],
    }
