"""Errata against the demos that prove them: each erratum names a demo and one of its checks
(by its claim, word for word); `verify` fails when that check is missing or fails."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cvquiz.bank.model import Question
from cvquiz.demos.result import DemoResult


def errata_problems(questions: Iterable[Question], run: Callable[[str], DemoResult]) -> list[str]:
    """One line per erratum whose proof does not hold; `run(demo_id)` gives a demo's result."""
    problems = []
    for q in questions:
        for e in q.errata:
            result = run(e.demo)
            check = next((c for c in result.checks if c.claim == e.check), None)
            if check is None:
                problems.append(
                    f"Q{q.number} erratum: demo {e.demo} has no check \u201c{e.check}\u201d"
                )
            elif not check.passed:
                problems.append(
                    f"Q{q.number} erratum: the check \u201c{e.check}\u201d of demo {e.demo} fails"
                )
    return problems
