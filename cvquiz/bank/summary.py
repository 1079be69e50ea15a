"""What `check` reports: each bank loaded and checked, then counted by topic and difficulty."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from cvquiz.bank.library import builtin_bank_path
from cvquiz.bank.model import Bank
from cvquiz.bank.schema import load_bank


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
    return BankSummary(
        bank=bank, counts=dict(Counter((q.topic, q.difficulty) for q in bank.questions))
    )


def check_banks(paths: Sequence[Path], *, demo_ids: Collection[str]) -> list[BankSummary]:
    """Load and check each bank (the built-in one when none is given); the first problem raises."""
    return [summarise(load_bank(p, demo_ids=demo_ids)) for p in (paths or [builtin_bank_path()])]
