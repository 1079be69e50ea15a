"""Where a typed text says a phrase: its words close together, numbers in their places.

- Words match by their stem (optimisation ~ optimized), as comparatives (hard ~ harder) or with
  one typo in a word of five letters or more (spatail ~ spatial). Numbers and operators
  (3x3, 1/k2, 50, +) match exactly: a typo is never forgiven in a number.
- The content words of a phrase (not "the", "of" ...) may come in any order, a few words apart
  within one sentence: "optimization gets harder" says "harder optimization".
- A phrase with a number binds its words to it: each word must stand nearer that number than
  any other (within its clause first), so "3x3 reduce, 1x1 spatial conv" says neither
  "1x1 reduce" nor "3x3 spatial conv".
- A formula (a phrase with an operator: "f(x) + x") matches in its order.
- Steps joined by arrows ("1x1 reduce -> 3x3 -> 1x1 expand") match in that order.
- A phrase's own polarity ("without overfitting", "no mixing", "not just flops") is part of it:
  the text must say it with the same polarity. See cvquiz.practice.polarity.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from cvquiz.practice.polarity import Cue, Polarity, find_cues, polarity
from cvquiz.practice.tokens import Token, tokenize

STOPWORDS = frozenset(
    "a an the of to in on for with and or by per is are was were be been as at from than "
    "its it this that these those into onto each every all any some also very really its "
    "their they them there do does did can could would should will may might has have had "
    "like just only".split()
)
SLACK = 3  # words that may come between a phrase's words
TYPO_MIN_CHARS = 5  # a typo is forgiven only in a word this long or longer
SEQUENCE_SPAN = 40  # tokens from the first step of a sequence to its last
SEGMENT_DISTANCE = 3  # a comma between a word and a number counts as this many words
_ARROWS = re.compile(r"\s*(?:->|→|=>|⟶)\s*")


@dataclass(frozen=True)
class Step:
    """One run of words to find: what to look for and the polarity it must be said with."""

    words: tuple[Token, ...]
    polarity: Polarity
    numbered: bool  # carries a number: its words bind to the number
    ordered: bool  # a formula: in order


@dataclass(frozen=True)
class Phrase:
    text: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Match:
    """Tokens of the text that say a phrase (indices, in text order) and how they are said."""

    indices: tuple[int, ...]
    polarity: Polarity


def _step(text: str) -> Step | None:
    tokens = tokenize(text)
    if not tokens:
        return None
    cues = find_cues(tokens)
    in_cue = {k for c in cues for k in range(c.start, c.end)}
    ordered = any(t.kind == "op" for t in tokens)
    kept = [i for i, t in enumerate(tokens) if i not in in_cue]
    content = kept if ordered else [i for i in kept if tokens[i].text not in STOPWORDS]
    content = content or kept
    if not content:
        return None
    return Step(
        words=tuple(tokens[i] for i in content),
        polarity=polarity(tokens, content, cues),
        numbered=any(tokens[i].number for i in content),
        ordered=ordered,
    )


@lru_cache(maxsize=4096)
def compile_phrase(text: str) -> Phrase | None:
    """A phrase as the bank writes it; None when it has no word to look for."""
    steps = [_step(part) for part in _ARROWS.split(text) if part.strip()]
    if not steps or any(s is None for s in steps):
        return None
    return Phrase(text=text, steps=tuple(s for s in steps if s is not None))


def _comparative(base: str, word: str) -> bool:
    """hard ~ harder, easy ~ easier, thin ~ thinner, wide ~ wider, few ~ fewest."""
    if len(base) < 3 or not word.startswith(base[:-1]):
        return False
    forms = {base + "er", base + "est", base + base[-1] + "er", base + base[-1] + "est"}
    if base.endswith("e"):
        forms |= {base + "r", base + "st"}
    if base.endswith("y"):
        forms |= {base[:-1] + "ier", base[:-1] + "iest"}
    return word in forms


def _typo(a: str, b: str) -> bool:
    if min(len(a), len(b)) < TYPO_MIN_CHARS or a[0] != b[0] or abs(len(a) - len(b)) > 1:
        return False
    from rapidfuzz.distance import DamerauLevenshtein

    return DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1


@lru_cache(maxsize=65536)
def _same_word(wanted: str, typed: str) -> bool:
    if wanted == typed:
        return True
    if len(wanted) < 2 or len(typed) < 2:
        return False
    from cvquiz.practice.tokens import stem

    if stem(wanted) == stem(typed):
        return True
    return _comparative(wanted, typed) or _comparative(typed, wanted) or _typo(wanted, typed)


def same(wanted: Token, typed: Token) -> bool:
    """A phrase's token said by a typed one: numbers and operators exactly, words loosely."""
    if wanted.exact or typed.exact:
        return wanted.kind == typed.kind and wanted.text == typed.text
    return _same_word(wanted.text, typed.text)


def _bound_number(tokens: Sequence[Token], j: int) -> int | None:
    """The number a word belongs to: the nearest one in its sentence, commas counting extra."""
    best: tuple[int, int, int] | None = None  # (distance, after?, index)
    for m, t in enumerate(tokens):
        if not t.number or t.sentence != tokens[j].sentence:
            continue
        distance = abs(m - j) + SEGMENT_DISTANCE * abs(t.segment - tokens[j].segment)
        key = (distance, m > j, m)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def _find_step(step: Step, tokens: Sequence[Token], start: int = 0) -> Iterator[tuple[int, ...]]:
    """Each set of token indices (from `start` on) that says the step's words."""
    words = step.words
    size = len(words) + (SLACK if len(words) > 1 else 0)
    for i in range(start, len(tokens)):
        if not any(same(w, tokens[i]) for w in words):
            continue
        window = [
            k
            for k in range(i, min(len(tokens), i + size))
            if tokens[k].sentence == tokens[i].sentence
        ]
        found = _ordered(step, tokens, window) if step.ordered else _unordered(step, tokens, window)
        if found is not None and found[0] == i:
            yield found


def _ordered(step: Step, tokens: Sequence[Token], window: list[int]) -> tuple[int, ...] | None:
    picked: list[int] = []
    k = 0
    for w in step.words:
        while k < len(window) and not same(w, tokens[window[k]]):
            k += 1
        if k == len(window):
            return None
        if picked and window[k] - picked[-1] > 2:  # a formula's symbols stay together
            return None
        picked.append(window[k])
        k += 1
    return tuple(picked)


def _unordered(step: Step, tokens: Sequence[Token], window: list[int]) -> tuple[int, ...] | None:
    used: set[int] = set()
    numbers: set[int] = set()
    for w in step.words:
        if not w.number:
            continue
        k = next((k for k in window if k not in used and same(w, tokens[k])), None)
        if k is None:
            return None
        used.add(k)
        numbers.add(k)
    for w in step.words:
        if w.number:
            continue
        k = next(
            (
                k
                for k in window
                if k not in used
                and same(w, tokens[k])
                and (not step.numbered or _bound_number(tokens, k) in numbers)
            ),
            None,
        )
        if k is None:
            return None
        used.add(k)
    return tuple(sorted(used))


def accepts(wanted: Polarity, said: Polarity, *, strict: bool) -> bool:
    """Does a match said with `said` polarity say a phrase whose own polarity is `wanted`?

    A concept (strict=False) counts when qualified ("not just X" says X); a misconception
    (strict=True) only when asserted as the phrase asserts it.
    """
    if wanted == said:
        return True
    if strict:
        return False
    if wanted == Polarity.ASSERTED:
        return said == Polarity.QUALIFIED
    return wanted == Polarity.QUALIFIED and said == Polarity.NEGATED


def find(
    phrase: Phrase, tokens: Sequence[Token], *, cues: Sequence[Cue] | None = None
) -> Iterator[Match]:
    """Every place the text says the phrase, each with the polarity it is said with.

    In a sequence every later step must come after the one before, said as the phrase says
    it; the match has the first step's polarity, or NEGATED where a later step was not said so.
    """
    if cues is None:
        cues = find_cues(tokens)
    first, rest = phrase.steps[0], phrase.steps[1:]
    for found in _find_step(first, tokens):
        said = polarity(tokens, found, cues)
        indices = list(found)
        complete = agrees = True
        for step in rest:
            later = [
                (m, polarity(tokens, m, cues))
                for m in _find_step(step, tokens, indices[-1] + 1)
                if m[-1] - found[0] <= SEQUENCE_SPAN
            ]
            if not later:
                complete = False
                break
            m, p = next(
                ((m, p) for m, p in later if accepts(step.polarity, p, strict=True)), later[0]
            )
            agrees = agrees and accepts(step.polarity, p, strict=True)
            indices.extend(m)
        if complete:
            yield Match(tuple(indices), said if agrees else Polarity.NEGATED)
