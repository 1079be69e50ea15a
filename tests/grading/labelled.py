"""The labelled typed answers (answers.yaml) graded against the built-in bank: agreement and confusion.

Shared by the agreement test and `make bench` (benchmarks/grading_bench.py).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from cvquiz.bank.model import Question
from cvquiz.practice.grading import grade_answer
from cvquiz.practice.scheduler import Rating

ANSWERS = Path(__file__).with_name("answers.yaml")
LABELS = ("good", "partial", "wrong")
HEADER = "label \\ suggested"
HELD_OUT_EVERY = 4  # one answer in four, by hash, is never looked at while tuning the bank


@dataclass(frozen=True)
class Labelled:
    """One typed answer to a question, with the interviewer's label."""

    question_id: str
    text: str
    label: str

    @property
    def held_out(self) -> bool:
        digest = hashlib.sha256(f"{self.question_id}\n{self.text}".encode()).digest()
        return digest[0] % HELD_OUT_EVERY == 0


def load(path: Path = ANSWERS) -> list[Labelled]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for q in data["questions"]:
        for a in q["answers"]:
            if a["label"] not in LABELS:
                raise ValueError(f"{path}: {q['id']}: unknown label {a['label']!r}")
            found.append(Labelled(question_id=q["id"], text=a["text"], label=a["label"]))
    return found


def suggested_label(rating: Rating | None) -> str:
    """The label a suggested rating stands for: Good (or Easy) good, Hard partial, Again wrong."""
    if rating is None:
        return "none"
    return {Rating.AGAIN: "wrong", Rating.HARD: "partial"}.get(rating, "good")


@dataclass(frozen=True)
class Outcome:
    answer: Labelled
    got: str  # the label the grader's suggestion stands for


def grade_all(answers: Iterable[Labelled], questions: Mapping[str, Question]) -> list[Outcome]:
    """Grade every answer against its question."""
    return [
        Outcome(
            answer=a, got=suggested_label(grade_answer(a.text, questions[a.question_id]).suggested)
        )
        for a in answers
    ]


def agreement(outcomes: Iterable[Outcome]) -> float:
    outcomes = list(outcomes)
    return sum(o.got == o.answer.label for o in outcomes) / len(outcomes) if outcomes else 1.0


def confusion(outcomes: Iterable[Outcome]) -> Counter[tuple[str, str]]:
    """(label, suggested) -> count."""
    return Counter((o.answer.label, o.got) for o in outcomes)


def format_confusion(outcomes: Iterable[Outcome], *, title: str) -> str:
    outcomes = list(outcomes)
    table = confusion(outcomes)
    columns = [*LABELS] + (["none"] if any(o.got == "none" for o in outcomes) else [])
    lines = [
        f"{title}: {len(outcomes)} answers, agreement {agreement(outcomes):.1%}",
        f"{HEADER:<18}" + "".join(f"{c:>9}" for c in columns),
    ]
    for label in LABELS:
        lines.append(f"{label:<18}" + "".join(f"{table[(label, c)]:>9}" for c in columns))
    return "\n".join(lines)


def builtin_questions() -> dict[str, Question]:
    from cvquiz.bank.library import builtin_bank_path
    from cvquiz.links import load_bank

    return {q.id: q for q in load_bank(builtin_bank_path()).questions}
