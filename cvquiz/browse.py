"""The core of the browsing commands: find, look up and check questions, returning data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cvquiz.bank import Bank, Library, Question, builtin_bank_path, load_bank
from cvquiz.select import apply_filters, make_filters, resolve_question


def find_questions(
    library: Library, *, topics: Iterable[str] = (), difficulties: Iterable[str] = (), tags: Iterable[str] = ()
) -> list[Question]:
    """The library's questions that match the filters, in bank order."""
    filters = make_filters(library.questions, topics=topics, difficulties=difficulties, tags=tags)
    return apply_filters(library.questions, filters)


@dataclass(frozen=True)
class Found:
    """A question with the related questions it names, resolved."""

    question: Question
    related: tuple[Question, ...]


def lookup(library: Library, query: str) -> Found:
    """One question from a number, id or words; several matches raise AmbiguousQuestion."""
    question = resolve_question(library.questions, query)
    by_key = library.by_key()
    related = tuple(by_key[f"{question.bank_id}/{rid}"] for rid in question.related if f"{question.bank_id}/{rid}" in by_key)
    return Found(question=question, related=related)


@dataclass(frozen=True)
class BankSummary:
    """What `check` reports for one valid bank."""

    bank: Bank
    counts: dict[tuple[str, str], int]  # (topic, difficulty) -> questions

    @property
    def topics(self) -> list[str]:
        return sorted({t for t, _ in self.counts})

    def total(self, *, topic: str | None = None, difficulty: str | None = None) -> int:
        return sum(
            n
            for (t, d), n in self.counts.items()
            if (topic is None or t == topic) and (difficulty is None or d == difficulty)
        )


def summarise(bank: Bank) -> BankSummary:
    return BankSummary(bank=bank, counts=dict(Counter((q.topic, q.difficulty) for q in bank.questions)))


def check_banks(paths: Sequence[Path]) -> list[BankSummary]:
    """Load and check each bank (the built-in one when none is given); the first problem raises."""
    return [summarise(load_bank(p)) for p in (paths or [builtin_bank_path()])]

