"""Typed-answer grading: which key concepts a typed answer says, which misconceptions it asserts,
and the rating that suggests.

A concept counts when one of its phrases is said, and not denied (cvquiz.practice.phrases and
.polarity tell where and how). A misconception counts only when asserted. The suggestion:
- Again: a misconception asserted, or none of the core concepts said;
- Good: every core concept and at least half of the others (rounded down);
- Hard: anything between, the right idea with gaps.
A bank that marks no concept core treats every concept as core: Good needs them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cvquiz.practice.phrases import Match, Phrase, accepts, compile_phrase, find
from cvquiz.practice.polarity import Cue, Polarity, covering, find_cues
from cvquiz.practice.scheduler import Rating
from cvquiz.practice.tokens import Token, tokenize, words

if TYPE_CHECKING:
    from cvquiz.bank.model import Concept, Misconception, Question

# Words that make a misconception hypothetical or contrasted rather than asserted:
# "if it were overfitting ...", "overfitting would lower the training error", "cheaper than two
# 3x3 convs", "a common misconception is ...".
HEDGES = frozenset(
    "if would whether than versus vs compared unlike whereas myth misconception mistake "
    "mistakenly wrongly confuse confused confusing".split()
)

Span = tuple[int, int]  # characters [start, end) of the typed text


def normalise(text: str) -> list[str]:
    """The canonical words of a text: 3 × 3 -> 3x3, 1/k² -> 1/k2, ResNet-50 -> resnet 50."""
    return words(text)


@dataclass(frozen=True)
class ConceptResult:
    """One concept: said or not, with the typed words that said it (or denied it)."""

    name: str
    hit: bool
    matched: str | None = None  # the typed words that said it, as typed
    core: bool = False
    spans: tuple[Span, ...] = ()
    negated: str | None = None  # not said, but denied in these words: "no mixing" for "mixes"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "core": self.core,
            "hit": self.hit,
            "matched": self.matched,
            "negated": self.negated,
            "spans": [list(s) for s in self.spans],
        }


@dataclass(frozen=True)
class MisconceptionResult:
    """A wrong idea the typed answer asserts, with why it is wrong."""

    name: str
    why: str
    matched: str
    spans: tuple[Span, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "why": self.why,
            "matched": self.matched,
            "spans": [list(s) for s in self.spans],
        }


@dataclass(frozen=True)
class Grade:
    """What a typed answer says of a question's concepts and misconceptions, and the suggestion."""

    results: tuple[ConceptResult, ...]
    misconceptions: tuple[MisconceptionResult, ...] = ()
    text: str = ""

    @property
    def hits(self) -> int:
        return sum(r.hit for r in self.results)

    def _core(self) -> tuple[list[ConceptResult], list[ConceptResult]]:
        core = [r for r in self.results if r.core]
        if not core:
            return list(self.results), []
        return core, [r for r in self.results if not r.core]

    @property
    def suggested(self) -> Rating | None:
        """Again for a misconception or no core concept; Good for all core and half the rest."""
        if self.misconceptions:
            return Rating.AGAIN
        if not self.results:
            return None
        core, rest = self._core()
        core_hits = sum(r.hit for r in core)
        if core_hits == 0:
            return Rating.AGAIN
        if core_hits == len(core) and sum(r.hit for r in rest) >= len(rest) // 2:
            return Rating.GOOD
        return Rating.HARD

    def coverage(self) -> dict[str, list[str]]:
        """As stored in the review log: hit and missed, then denied concepts and misconceptions
        when there are any."""
        data = {
            "hit": [r.name for r in self.results if r.hit],
            "missed": [r.name for r in self.results if not r.hit],
        }
        negated = [r.name for r in self.results if r.negated is not None]
        if negated:
            data["negated"] = negated
        if self.misconceptions:
            data["misconceptions"] = [m.name for m in self.misconceptions]
        return data

    def to_dict(self) -> dict[str, Any]:
        suggested = self.suggested
        return {
            "text": self.text,
            "suggested": int(suggested) if suggested is not None else None,
            "suggested_name": suggested.label if suggested is not None else None,
            "hits": self.hits,
            "concepts": [r.to_dict() for r in self.results],
            "misconceptions": [m.to_dict() for m in self.misconceptions],
        }


def _spans(tokens: Sequence[Token], indices: Sequence[int]) -> tuple[Span, ...]:
    """Character spans of the tokens, neighbours merged (a gap of spaces only joins them)."""
    spans: list[list[int]] = []
    for i in sorted(set(indices)):
        t = tokens[i]
        if spans and t.start <= spans[-1][1] + 1:
            spans[-1][1] = max(spans[-1][1], t.end)
        else:
            spans.append([t.start, t.end])
    return tuple((s, e) for s, e in spans)


def _with_cues(tokens: Sequence[Token], match: Match, cues: Sequence[Cue]) -> list[int]:
    """The matched tokens and the negation cues that reach them: "no … mixing", "not overfitting"."""
    reaching = covering(tokens, match.indices, cues) if match.polarity != Polarity.ASSERTED else []
    return [*match.indices, *(k for c in reaching for k in range(c.start, c.end))]


def _shown(text: str, spans: Sequence[Span]) -> str:
    return " … ".join(text[s:e] for s, e in spans)


def _phrases(texts: Sequence[str], *, precise: bool) -> list[Phrase]:
    compiled = (compile_phrase(t, precise=precise) for t in texts)
    return [p for p in compiled if p is not None]


def _hedged(tokens: Sequence[Token], match: Match) -> bool:
    """The matched words stand in a hypothetical or a comparison, not an assertion."""
    first, last = match.indices[0], match.indices[-1]
    segment = tokens[first].segment
    near = [t.text for t in tokens if t.segment == segment and t.sentence == tokens[first].sentence]
    before = [t.text for t in tokens[max(0, first - 4) : first] if t.segment == segment]
    after = [t.text for t in tokens[last + 1 : last + 4] if t.segment == segment]
    return bool(HEDGES & set(before)) or "would" in after or "if" in near


def match_concept(
    concept: Concept, tokens: Sequence[Token], text: str = "", *, cues: Sequence[Cue] | None = None
) -> ConceptResult:
    """Whether the tokens of a typed text say the concept (its name or a synonym), undenied."""
    cues = find_cues(tokens) if cues is None else cues
    denied: Match | None = None
    for phrase in _phrases((concept.name, *concept.synonyms), precise=False):
        for m in find(phrase, tokens, cues=cues):
            if accepts(phrase.polarity, m.polarity, strict=False):
                spans = _spans(tokens, _with_cues(tokens, m, cues))
                return ConceptResult(concept.name, True, _shown(text, spans), concept.core, spans)
            if denied is None and m.polarity == Polarity.NEGATED:
                denied = m
    if denied is not None:
        spans = _spans(tokens, _with_cues(tokens, denied, cues))
        return ConceptResult(
            concept.name, False, core=concept.core, spans=spans, negated=_shown(text, spans)
        )
    return ConceptResult(concept.name, False, core=concept.core)


def match_misconception(
    misconception: Misconception,
    tokens: Sequence[Token],
    text: str = "",
    *,
    cues: list | None = None,
) -> MisconceptionResult | None:
    """The misconception, when the typed text asserts it (said as its phrase says it, unhedged)."""
    cues = find_cues(tokens) if cues is None else cues
    for phrase in _phrases(misconception.phrases, precise=True):
        for m in find(phrase, tokens, cues=cues):
            if accepts(phrase.polarity, m.polarity, strict=True) and not _hedged(tokens, m):
                spans = _spans(tokens, _with_cues(tokens, m, cues))
                return MisconceptionResult(
                    misconception.name, misconception.why, _shown(text, spans), spans
                )
    return None


def grade(
    typed: str,
    concepts: Sequence[Concept],
    misconceptions: Sequence[Misconception] = (),
) -> Grade:
    """Check each concept and misconception against the typed text."""
    tokens = tokenize(typed)
    cues = find_cues(tokens)
    results = tuple(match_concept(c, tokens, typed, cues=cues) for c in concepts)
    found = (match_misconception(m, tokens, typed, cues=cues) for m in misconceptions)
    return Grade(results=results, misconceptions=tuple(m for m in found if m), text=typed)


def grade_answer(typed: str, question: Question) -> Grade:
    """A typed answer to a question, against its concepts and misconceptions."""
    return grade(typed, question.concepts, question.misconceptions)
