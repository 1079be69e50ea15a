"""Finding questions: filters by topic, difficulty and tag, and one question from a user's words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cvquiz.bank.model import DIFFICULTIES, Library, Question
from cvquiz.errors import CvquizError
from cvquiz.suggest import closest


@dataclass(frozen=True)
class Filters:
    """What a user asked for with --topic, --difficulty and --tag (each: any of several values)."""

    topics: tuple[str, ...] = ()
    difficulties: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def _normalise(option: str, values: Iterable[str], valid: Sequence[str]) -> tuple[str, ...]:
    chosen = []
    for value in values:
        v = value.strip().lower()
        if v not in valid:
            hint = closest(v, valid, limit=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            raise CvquizError(
                f"{option}: unknown value '{value}' (valid: {', '.join(valid)}){extra}"
            )
        if v not in chosen:
            chosen.append(v)
    return tuple(chosen)


def make_filters(
    questions: Sequence[Question],
    *,
    topics: Iterable[str] = (),
    difficulties: Iterable[str] = (),
    tags: Iterable[str] = (),
) -> Filters:
    """Check filter values against what the banks hold (case-insensitive) and return them normalised."""
    return Filters(
        topics=_normalise("--topic", topics, sorted({q.topic for q in questions})),
        difficulties=_normalise("--difficulty", difficulties, list(DIFFICULTIES)),
        tags=_normalise("--tag", tags, sorted({t for q in questions for t in q.tags})),
    )


def apply_filters(questions: Iterable[Question], filters: Filters) -> list[Question]:
    """The questions that match every given filter (any of its values)."""
    return [
        q
        for q in questions
        if (not filters.topics or q.topic in filters.topics)
        and (not filters.difficulties or q.difficulty in filters.difficulties)
        and (not filters.tags or any(t in filters.tags for t in q.tags))
    ]


class AmbiguousQuestion(CvquizError):
    """Several questions match; the CLI lists them so the user can choose (its message names
    the first few, for a one-line error such as --json gives)."""

    def __init__(self, query: str, matches: Sequence[Question]) -> None:
        several = len({q.bank_id for q in matches}) > 1
        listed = ", ".join(
            f"{q.bank_id}/{q.number} {q.id}" if several else f"{q.number} {q.id}"
            for q in matches[:6]
        )
        more = ", ..." if len(matches) > 6 else ""
        how = "bank-id/N" if several else "number or id"
        super().__init__(
            f"{len(matches)} questions match '{_quoted(query)}': {listed}{more}; name one by {how}"
        )
        self.matches = list(matches)


def _quoted(query: str) -> str:
    """A user's query as an error quotes it: cut short, since it may be 5,000 characters."""
    return query if len(query) <= 60 else query[:57] + "..."


def _as_number(digits: str) -> int | None:
    """A question number typed as digits; None for more digits than any question number has
    (int() refuses over 4,300 digits)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def resolve_question(questions: Sequence[Question], query: str) -> Question:
    """Find one question by number, id, bank-id/id, or words; raise a helpful error otherwise."""
    query = query.strip()
    if not query:
        raise CvquizError(
            "QUESTION: give a number (24), an id (depthwise-conv) or words (bottleneck)"
        )
    bank_number = re.fullmatch(r"([a-z0-9-]+)/(\d+)", query.lower())
    if bank_number:  # cnn-architectures/24
        number = _as_number(bank_number[2])
        matches = [q for q in questions if q.bank_id == bank_number[1] and q.number == number]
    elif query.isascii() and query.isdigit():
        number = _as_number(query)
        matches = [q for q in questions if q.number == number]
    elif re.fullmatch(r"[-+]?[\d.,]+", query) or (query.isdigit() and not query.isascii()):
        raise CvquizError(
            f"QUESTION: '{_quoted(query)}' is not a question number (numbers are whole, like 24)"
        )
    else:
        low = query.lower()
        matches = [q for q in questions if low in (q.id, q.key)]
        if not matches:
            matches = _word_matches(questions, _words(query))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AmbiguousQuestion(query, matches)
    hints = closest(query, [q.id for q in questions] + [q.question for q in questions])
    ids = [next(q.id for q in questions if h in (q.id, q.question)) for h in hints]
    extra = f"; closest: {', '.join(dict.fromkeys(ids))}" if ids else ""
    if query.isascii() and query.isdigit():
        numbers = sorted({q.number for q in questions})
        raise CvquizError(
            f"no question number {_quoted(query)} (numbers run {numbers[0]}-{numbers[-1]})"
        )
    raise CvquizError(f"no question matches '{_quoted(query)}'{extra}")


def _word_matches(questions: Sequence[Question], words: list[str]) -> list[Question]:
    """Questions holding every word: in the question or id first, then tags, then the answer."""
    if not words:
        return []
    tiers = (
        lambda q: f"{q.question} {q.id}",
        lambda q: " ".join(q.tags),
        lambda q: q.answer,
    )
    for text_of in tiers:
        found = [q for q in questions if all(w in " ".join(_words(text_of(q))) for w in words)]
        if found:
            return found
    return []


def find_questions(
    library: Library,
    *,
    topics: Iterable[str] = (),
    difficulties: Iterable[str] = (),
    tags: Iterable[str] = (),
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
    related = tuple(
        by_key[f"{question.bank_id}/{rid}"]
        for rid in question.related
        if f"{question.bank_id}/{rid}" in by_key
    )
    return Found(question=question, related=related)
