"""Running the demos of the questions being exported, and their values as short text."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from cvquiz.bank.model import Question
from cvquiz.demos.result import Check, DemoResult, format_cell

RunDemo = Callable[[str], DemoResult]


def registry_run_demo(demo_id: str) -> DemoResult:
    """The registry's run_demo with its defaults (CPU, seed 0), imported only when demos are wanted."""
    from cvquiz.demos.runner import run_demo

    return run_demo(demo_id)


def collect_demos(
    questions: Iterable[Question],
    *,
    run_demo: RunDemo | None = None,
    on_start: Callable[[str, int, int], None] | None = None,
) -> dict[str, DemoResult]:
    """Each question's demo result by question key; a demo shared by several questions runs once.

    `on_start(demo_id, n, total)` is told before each run, so a caller can show progress.
    """
    run = run_demo or registry_run_demo
    questions = list(questions)
    wanted = list(dict.fromkeys(q.demo for q in questions if q.demo is not None))
    by_demo: dict[str, DemoResult] = {}
    for n, demo_id in enumerate(wanted, start=1):
        if on_start is not None:
            on_start(demo_id, n, len(wanted))
        by_demo[demo_id] = run(demo_id)
    return {q.key: by_demo[q.demo] for q in questions if q.demo is not None}


def check_line(check: Check) -> str:
    """'claim: expected 4,231,976, measured 4,231,976 (exact; source)'."""
    return (
        f"{check.claim}: expected {format_cell(check.expected)}, measured {format_cell(check.measured)} "
        f"({check.tolerance}; {check.source})"
    )
