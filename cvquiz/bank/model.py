"""The bank's records: concepts, misconceptions, probes, questions, banks and the library (plain
data, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Concept:
    """A key idea a typed answer must contain, with the other ways of saying it.

    A core concept is one an interviewer will not do without: Good needs every core concept.
    """

    name: str
    synonyms: tuple[str, ...] = ()
    core: bool = False

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name}
        if self.core:
            data["core"] = True
        data["synonyms"] = list(self.synonyms)
        return data


@dataclass(frozen=True)
class Misconception:
    """A wrong idea an interviewer listens for: the ways of saying it and why it is wrong."""

    name: str
    phrases: tuple[str, ...]
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "phrases": list(self.phrases), "why": self.why}


@dataclass(frozen=True)
class Probe:
    """A follow-up an interviewer asks after the answer, graded by its own concepts."""

    prompt: str
    answer: str  # a short model answer an interviewer would accept
    concepts: tuple[Concept, ...]
    misconceptions: tuple[Misconception, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "prompt": self.prompt,
            "answer": self.answer,
            "concepts": [c.to_dict() for c in self.concepts],
        }
        if self.misconceptions:
            data["misconceptions"] = [m.to_dict() for m in self.misconceptions]
        return data


@dataclass(frozen=True)
class Erratum:
    """A sourced correction of the answer's text (which stays word for word as the source has
    it), proven by a named check of a built-in demo: `verify` fails when that check does."""

    correction: str
    source: str
    demo: str
    check: str  # the claim of the demo's check, word for word

    def to_dict(self) -> dict[str, Any]:
        return {"correction": self.correction, "source": self.source, "demo": self.demo,
                "check": self.check}  # fmt: skip


@dataclass(frozen=True)
class Question:
    """One question of a bank; `key` (bank-id/question-id) is what progress is stored under."""

    bank_id: str
    number: int
    id: str
    topic: str
    difficulty: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    code: str | None = None
    concepts: tuple[Concept, ...] = ()
    related: tuple[str, ...] = ()
    demo: str | None = None
    misconceptions: tuple[Misconception, ...] = ()
    probes: tuple[Probe, ...] = ()
    errata: tuple[Erratum, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.bank_id}/{self.id}"

    def to_dict(self) -> dict[str, Any]:
        """The question as the bank format writes it (optional fields only when set)."""
        data: dict[str, Any] = {
            "number": self.number,
            "id": self.id,
            "topic": self.topic,
            "tags": list(self.tags),
            "difficulty": self.difficulty,
            "question": self.question,
            "answer": self.answer,
        }
        if self.code is not None:
            data["code"] = self.code
        data["concepts"] = [c.to_dict() for c in self.concepts]
        if self.misconceptions:
            data["misconceptions"] = [m.to_dict() for m in self.misconceptions]
        if self.probes:
            data["probes"] = [p.to_dict() for p in self.probes]
        if self.errata:
            data["errata"] = [e.to_dict() for e in self.errata]
        data["related"] = list(self.related)
        if self.demo is not None:
            data["demo"] = self.demo
        return data


@dataclass(frozen=True)
class Bank:
    """A bank file: its metadata and its questions in file order."""

    id: str
    title: str
    path: Path
    questions: tuple[Question, ...]
    chapter: int | str | None = None
    source: str | None = None

    def to_dict(self, questions: Iterable[Question] | None = None) -> dict[str, Any]:
        """The bank in its file format, optionally restricted to some of its questions."""
        data: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.chapter is not None:
            data["chapter"] = self.chapter
        if self.source is not None:
            data["source"] = self.source
        chosen = self.questions if questions is None else tuple(questions)
        data["questions"] = [q.to_dict() for q in chosen]
        return data


@dataclass(frozen=True)
class Library:
    """Every loaded bank, the built-in one first."""

    banks: tuple[Bank, ...]
    questions: tuple[Question, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", tuple(q for b in self.banks for q in b.questions))

    def bank(self, bank_id: str) -> Bank:
        for b in self.banks:
            if b.id == bank_id:
                return b
        raise KeyError(bank_id)

    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}
