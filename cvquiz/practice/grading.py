"""Typed-answer grading: which of an answer's key concepts a typed text mentions, typos tolerated."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from cvquiz.bank.model import Concept
from cvquiz.practice.scheduler import Rating

FUZZY_MIN_CHARS = 5  # shorter phrases ("bn", "relu", "1/k^2") must match word for word
FUZZY_THRESHOLD = 85  # rapidfuzz ratio of a phrase against a same-length window of words

STOPWORDS = frozenset(
    "a an the of to in on for with and or by per is are be as at from than".split()
)
_TIMES = re.compile(r"(\d)\s*[x×*]\s*(\d)")  # 3 x 3, 3×3, 3*3 -> 3x3
_NON_WORD = re.compile(r"[\W_]+")  # letters of any script survive: ρ, α


def normalise(text: str) -> list[str]:
    """Lower-case words: NFKC (² -> 2), 3×3 -> 3x3, k^2 -> k2, any other punctuation a space."""
    text = unicodedata.normalize("NFKC", text).lower().replace("^", "")
    text = _TIMES.sub(r"\1x\2", text)
    return [w for w in _NON_WORD.split(text) if w]


@dataclass(frozen=True)
class ConceptResult:
    """One concept: found or not, and the words of the typed text that matched it."""

    name: str
    hit: bool
    matched: str | None = None


@dataclass(frozen=True)
class Grade:
    """Concept coverage of a typed answer and the rating it suggests."""

    results: tuple[ConceptResult, ...]

    @property
    def hits(self) -> int:
        return sum(r.hit for r in self.results)

    @property
    def suggested(self) -> Rating | None:
        """None hit: Again; some: Hard; all: Good; no concepts to check: no suggestion."""
        if not self.results:
            return None
        if self.hits == 0:
            return Rating.AGAIN
        return Rating.GOOD if self.hits == len(self.results) else Rating.HARD

    def coverage(self) -> dict[str, list[str]]:
        """As stored in the review log."""
        return {
            "hit": [r.name for r in self.results if r.hit],
            "missed": [r.name for r in self.results if not r.hit],
        }


def _same_word(wanted: str, typed: str) -> bool:
    """Equal, or a word of 4+ letters that the typed word extends: norm ~ normalisation, conv ~ convolution."""
    return wanted == typed or (len(wanted) >= 4 and wanted.isalpha() and typed.startswith(wanted))


def _similar_word(wanted: str, typed: str) -> bool:
    """One word said another way: the same stem (harder ~ hard) or a typo in a long word; numbers exactly."""
    if wanted == typed:
        return True
    if not (wanted.isalpha() and typed.isalpha()):
        return False
    short, long_ = sorted((wanted, typed), key=len)
    if len(short) >= 4 and long_.startswith(short):
        return True
    if len(short) < FUZZY_MIN_CHARS:
        return False
    from rapidfuzz import fuzz

    return fuzz.ratio(wanted, typed) >= FUZZY_THRESHOLD


def _words_nearby(phrase: list[str], words: list[str]) -> str | None:
    """Every content word of a phrase said close together in any order: "optimization is harder"."""
    content = [w for w in phrase if w not in STOPWORDS] or phrase
    if len(content) < 2:
        return None
    size = len(phrase) + 3
    for i in range(max(1, len(words) - size + 1)):
        window = words[i : i + size]
        if all(any(_similar_word(c, t) for t in window) for c in content):
            return " ".join(window)
    return None


def _phrase_found(phrase: list[str], words: list[str]) -> str | None:
    """The window of `words` that says `phrase`, or None."""
    if not phrase or not words:
        return None
    k = len(phrase)
    wanted = " ".join(phrase)
    for i in range(len(words) - k + 1):  # word-for-word first: exact and cheap
        if all(_same_word(p, t) for p, t in zip(phrase, words[i : i + k], strict=True)):
            return " ".join(words[i : i + k])
    nearby = _words_nearby(phrase, words)
    if nearby is not None:
        return nearby
    if len(wanted.replace(" ", "")) < FUZZY_MIN_CHARS:
        return None
    from rapidfuzz import fuzz

    numbers = {w for w in phrase if any(c.isdigit() for c in w)}
    best: tuple[float, str] | None = None
    for size in {max(1, k - 1), k, k + 1}:
        for i in range(max(1, len(words) - size + 1)):
            window = words[i : i + size]
            # A typo may be forgiven in a word, never in a number: 3x3 is not 1x1, ResNet-50 not -56.
            if not numbers <= set(window):
                continue
            candidate = " ".join(window)
            score = fuzz.ratio(wanted, candidate)
            if score >= FUZZY_THRESHOLD and (best is None or score > best[0]):
                best = (score, candidate)
    return best[1] if best else None


def match_concept(concept: Concept, words: list[str]) -> ConceptResult:
    for phrase in (concept.name, *concept.synonyms):
        found = _phrase_found(normalise(phrase), words)
        if found is not None:
            return ConceptResult(name=concept.name, hit=True, matched=found)
    return ConceptResult(name=concept.name, hit=False)


def grade(typed: str, concepts: Sequence[Concept]) -> Grade:
    """Check each concept (its name or any synonym) against the typed text."""
    words = normalise(typed)
    return Grade(results=tuple(match_concept(c, words) for c in concepts))
