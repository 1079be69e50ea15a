"""Questions and demos linked: the one module that knows both the bank and the demo registry.

A bank names demos by id; the bank package checks those ids against the list given here (from the
demo index, so no demo module is imported), and `cvquiz demo QUERY` finds a demo from a question.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cvquiz.bank import library, schema, summary
from cvquiz.bank.find import AmbiguousQuestion, resolve_question
from cvquiz.bank.model import Bank, Library, Question
from cvquiz.demos import index
from cvquiz.errors import CvquizError
from cvquiz.suggest import closest

if TYPE_CHECKING:
    from types import ModuleType

    from cvquiz.demos.registry import DemoSpec
    from cvquiz.demos.verify import Verification


def _registry() -> ModuleType:
    """The demo registry, imported on first use: loading banks needs only the ids (demos.index)."""
    from cvquiz.demos import registry

    return registry


def load_bank(path: str | os.PathLike[str]) -> Bank:
    """One bank file, loaded and checked; its questions may name the built-in demos."""
    return schema.load_bank(path, demo_ids=index.demo_ids())


def load_library(
    extra: Sequence[str | os.PathLike[str]] = (), *, env: Mapping[str, str] | None = None
) -> Library:
    """The built-in bank and the user's banks (see cvquiz.bank.library), checked against the built-in demos."""
    return library.load_library(extra, env=env, demo_ids=index.demo_ids())


def check_banks(paths: Sequence[Path]) -> list[summary.BankSummary]:
    """`cvquiz check`: each bank (the built-in one when none is given) loaded, checked and counted."""
    return summary.check_banks(paths, demo_ids=index.demo_ids())


@dataclass(frozen=True)
class Target:
    """What `cvquiz demo QUERY` resolved to: a demo, and the question that led there if any."""

    spec: DemoSpec
    question: Question | None = None


def find_target(questions: Sequence[Question], query: str) -> Target:
    """A demo id, or a question (number, id, words) whose `demo` field names one."""
    key = query.strip().lower()
    if key in index.DEMO_MODULES:
        # A demo id wins; a question of the same id is named when it points at this demo.
        same = next((q for q in questions if q.id == key and q.demo == key), None)
        return Target(spec=_registry().get_demo(key), question=same)
    try:
        question = resolve_question(questions, query)
    except AmbiguousQuestion as exc:
        listed = ", ".join(
            f"{q.number} {q.id}" + (f" (demo {q.demo})" if q.demo else "") for q in exc.matches[:6]
        )
        more = ", ..." if len(exc.matches) > 6 else ""
        raise CvquizError(
            f"{len(exc.matches)} questions match '{query}': {listed}{more}; name one by number or id"
        ) from None
    except CvquizError as exc:
        if not key.isdigit():
            hints = closest(key, list(index.DEMO_MODULES), limit=3, cutoff=75.0)
            if hints:
                raise CvquizError(
                    f"{exc.message}; demos with close ids: {', '.join(hints)}"
                ) from None
        raise
    if question.demo is None:
        raise CvquizError(
            f"question {question.number} ({question.id}) has no demo; {_nearest_demos(questions, question)}"
        )
    return Target(spec=_registry().get_demo(question.demo), question=question)


_STOP = frozenset(
    "and are but can does for from how its not one the than that this vs what when why with".split()
)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in _STOP}


def _nearest_demos(questions: Sequence[Question], question: Question) -> str:
    """Demos of the question's related questions first, then demos sharing the most words with it."""
    by_id = {q.id: q for q in questions if q.bank_id == question.bank_id}
    related = [
        by_id[r].demo
        for r in question.related
        if r in by_id and by_id[r].demo in index.DEMO_MODULES
    ]
    asked = _words(f"{question.id} {question.question} {' '.join(question.tags)} {question.answer}")
    scored = []
    for order, spec in enumerate(_registry().all_demos()):
        shared = len(asked & _words(f"{spec.id} {spec.title} {spec.summary}"))
        if shared >= 2:
            scored.append((-shared, order, spec.id))
    names = list(dict.fromkeys(related + [name for _, _, name in sorted(scored)]))[:3]
    if not names:
        return "see `cvquiz demo --list`"
    return "nearest demos: " + ", ".join(names)


@dataclass(frozen=True)
class CatalogueEntry:
    """A demo and the questions (by number) whose `demo` field names it."""

    spec: DemoSpec
    questions: tuple[Question, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.spec.id,
            "title": self.spec.title,
            "summary": self.spec.summary,
            "questions": [{"key": q.key, "number": q.number, "id": q.id} for q in self.questions],
            "params": [p.to_dict() for p in self.spec.params],
        }


def catalogue(questions: Sequence[Question]) -> list[CatalogueEntry]:
    """Every demo with the loaded questions that name it."""
    return [
        CatalogueEntry(spec=spec, questions=tuple(q for q in questions if q.demo == spec.id))
        for spec in _registry().all_demos()
    ]


def errata_problems(questions, run) -> list[str]:  # run: demo id -> DemoResult
    """One line per erratum whose proof does not hold: each erratum names a demo and one of its
    checks (by its claim, word for word); `verify` fails when that check is missing or fails."""
    return [
        problem
        for q in questions
        for e in q.errata
        if (problem := _erratum_problem(q, e, run(e.demo))) is not None
    ]


def _erratum_problem(q: Question, e: Any, result: Any) -> str | None:  # e: bank.model.Erratum
    check = next((c for c in result.checks if c.claim == e.check), None)
    if check is None:
        return f"Q{q.number} erratum: demo {e.demo} has no check \u201c{e.check}\u201d"
    if not check.passed:
        return f"Q{q.number} erratum: the check \u201c{e.check}\u201d of demo {e.demo} fails"
    return None


@dataclass(frozen=True)
class ErrataVerdict:
    """What `verify` found of the loaded banks' errata: how many it checked and what failed."""

    checked: int
    failed: int
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "failed": self.failed,
            "passed": self.passed,
            "problems": list(self.problems),
        }


def verify_errata(questions: Sequence[Question], verification: Verification) -> ErrataVerdict:
    """Each erratum's proof at every seed verify ran (a demo run once counts at every seed).

    A problem found at some seeds, not all, names them. Verify runs every demo, and a bank can
    name only those, so each erratum is checked; one whose demo did not run (a test's registry)
    is not counted.
    """
    runs: dict[str, dict[int, Any]] = {}
    for item in verification.items:
        runs.setdefault(item.spec.id, {})[item.seed] = item.result
    several = len(verification.seeds) > 1
    errata = [(q, e) for q in questions for e in q.errata if e.demo in runs]
    problems: list[str] = []
    failed = 0
    for q, e in errata:
        by_seed = runs[e.demo]
        found: dict[str, list[int]] = {}
        for seed in verification.seeds:
            result = by_seed.get(seed, next(iter(by_seed.values())))
            if (problem := _erratum_problem(q, e, result)) is not None:
                found.setdefault(problem, []).append(seed)
        failed += bool(found)
        problems += [
            f"{problem} (seed {', '.join(map(str, seeds))})"
            if several and len(seeds) < len(verification.seeds)
            else problem
            for problem, seeds in found.items()
        ]
    return ErrataVerdict(len(errata), failed, tuple(problems))
