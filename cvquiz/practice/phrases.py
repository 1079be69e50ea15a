"""Where a typed text says a phrase: its words close together, numbers in their places.

- Words match by their stem (optimisation ~ optimized), as comparatives (hard ~ harder) or with
  one typo in a word of five letters or more (spatail ~ spatial). Numbers and operators
  (3x3, 1/k2, 50, +) match exactly: a typo is never forgiven in a number.
- The content words of a phrase (not "the", "of" ...) may come in any order, a few words apart
  within one sentence: "optimization gets harder" says "harder optimization".
- A phrase with a number binds its words to it: each word must stand nearer that number than
  any other (within its clause first), so "3x3 reduce, 1x1 spatial conv" says neither
  "1x1 reduce" nor "3x3 spatial conv".
- A formula (a phrase with an operator: "f(x) + x") matches in its order, and so does a
  precise phrase (a misconception's): every word, "is" and "the" too, one word apart at most.
- Steps joined by arrows ("1x1 reduce -> 3x3 -> 1x1 expand") match in that order, within one
  sentence and a few words of each other.
- A phrase's own polarity ("without overfitting", "no mixing", "not just flops") is part of it:
  the text must say it with the same polarity. See cvquiz.practice.polarity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from cvquiz.practice.polarity import Cue, Polarity, find_cues, polarity
from cvquiz.practice.tokens import Token, stem, tokenize

STOPWORDS = frozenset(
    "a an the of to in on for with and or by per is are was were be been as at from than "
    "its it this that these those into onto also very really their they them there "
    "do does did can could would should will may might has have had like".split()
)
SLACK = 3  # content words that may come between a phrase's words
TYPO_MIN_CHARS = 5  # a typo is forgiven only in a word this long or longer
SEGMENT_DISTANCE = 3  # a comma between a word and a number counts as this many words
STEP_GAP = 4  # words that count between one step of a sequence and the next
_ARROWS = re.compile(r"\s*(?:->|→|=>|⟶)\s*")
_INFLECTIONS = ("s", "es", "d", "ed", "ing", "er", "ers")


@dataclass(frozen=True)
class Step:
    """One run of words to find, and the polarity the phrase gives it."""

    words: tuple[Token, ...]
    polarity: Polarity
    numbered: bool  # carries a number: its words bind to the number
    ordered: bool  # a formula or a precise phrase: in order
    precise: bool = False  # words match by stem or typo only, not as comparatives


@dataclass(frozen=True)
class Phrase:
    text: str
    steps: tuple[Step, ...]

    @property
    def polarity(self) -> Polarity:
        return combined(s.polarity for s in self.steps)


@dataclass(frozen=True)
class Match:
    """Tokens of the text that say a phrase (indices, in text order) and how they are said."""

    indices: tuple[int, ...]
    polarity: Polarity


def combined(polarities: Iterable[Polarity]) -> Polarity:
    """A sequence is denied if any step is, qualified if any step is, else asserted."""
    found = set(polarities)
    for p in (Polarity.NEGATED, Polarity.QUALIFIED):
        if p in found:
            return p
    return Polarity.ASSERTED


def _step(text: str, *, precise: bool) -> Step | None:
    tokens = tokenize(text)
    if not tokens:
        return None
    cues = find_cues(tokens)
    in_cue = {k for c in cues for k in range(c.start, c.end)}
    ordered = precise or any(t.kind == "op" for t in tokens)
    kept = [i for i, t in enumerate(tokens) if i not in in_cue]
    if ordered:
        content = kept
    else:
        content = [i for i in kept if tokens[i].text not in STOPWORDS] or kept
    if not content:
        return None
    return Step(
        words=tuple(tokens[i] for i in content),
        polarity=polarity(tokens, content, cues),
        numbered=any(tokens[i].number for i in content),
        ordered=ordered,
        precise=precise,
    )


@lru_cache(maxsize=4096)
def compile_phrase(text: str, *, precise: bool = False) -> Phrase | None:
    """A phrase as the bank writes it; None when it has no word to look for.

    A concept's phrase drops the little words ("is", "the") and takes its words in any order;
    a precise phrase (a misconception's) keeps every word, in its order.
    """
    steps = [_step(part, precise=precise) for part in _ARROWS.split(text)]
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


def _one_edit(a: str, b: str) -> bool:
    if min(len(a), len(b)) < TYPO_MIN_CHARS or a[0] != b[0] or abs(len(a) - len(b)) > 1:
        return False
    from rapidfuzz.distance import DamerauLevenshtein

    return DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1


def _typo(wanted: str, typed: str) -> bool:
    """One slip in a long word, perhaps inflected as well: reduses ~ reduce, expans ~ expand."""
    if _one_edit(wanted, typed):
        return True
    return any(
        typed.endswith(end) and _one_edit(wanted, typed[: -len(end)])
        for end in _INFLECTIONS
        if len(typed) - len(end) >= TYPO_MIN_CHARS
    )


@lru_cache(maxsize=65536)
def same_word(wanted: str, typed: str, *, precise: bool = False) -> bool:
    """One word said another way: its stem, a typo in a long word, or (unless precise) a
    comparative."""
    if wanted == typed:
        return True
    if len(wanted) < 2 or len(typed) < 2:
        return False
    if stem(wanted) == stem(typed) or _typo(wanted, typed):
        return True
    return not precise and (_comparative(wanted, typed) or _comparative(typed, wanted))


def same(wanted: Token, typed: Token, *, precise: bool = False) -> bool:
    """A phrase's token said by a typed one: numbers and operators exactly, words loosely."""
    if wanted.exact or typed.exact:
        return wanted.kind == typed.kind and wanted.text == typed.text
    return same_word(wanted.text, typed.text, precise=precise)


def _bound_number(tokens: Sequence[Token], j: int) -> int | None:
    """The number a word belongs to: the nearest in its sentence (in words that count; a comma
    counts extra); a tie goes to the one before, unless a preposition leads to the one after
    ("clips at 6", "stride of 2")."""
    best: tuple[int, int, int] | None = None  # (distance, tie-break, index)
    for m, t in enumerate(tokens):
        if not t.number or t.sentence != tokens[j].sentence:
            continue
        lo, hi = sorted((m, j))
        between = [tokens[k].text for k in range(lo + 1, hi)]
        content = sum(1 for w in between if w not in STOPWORDS)
        distance = content + 1 + SEGMENT_DISTANCE * abs(t.segment - tokens[j].segment)
        linked = m > j and between and all(w in STOPWORDS for w in between)
        key = (distance, 0 if linked else (1 if m < j else 2), m)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def _counted(tokens: Sequence[Token], lo: int, hi: int) -> int:
    """Words that count (not "the", "of" ...) strictly between two indices."""
    return sum(1 for t in tokens[lo + 1 : hi] if t.text not in STOPWORDS or t.exact)


def _window(tokens: Sequence[Token], i: int, size: int) -> list[int]:
    """Indices from i on, in i's sentence, spanning at most `size` words that count."""
    found: list[int] = []
    counted = 0
    for k in range(i, len(tokens)):
        if tokens[k].sentence != tokens[i].sentence:
            break
        if tokens[k].text not in STOPWORDS or tokens[k].exact:
            counted += 1
            if counted > size:
                break
        found.append(k)
    return found


def _find_step(step: Step, tokens: Sequence[Token], start: int = 0) -> Iterator[tuple[int, ...]]:
    """Each set of token indices (from `start` on) that says the step's words."""
    words = step.words
    size = len(words) + (SLACK if len(words) > 1 else 0)
    for i in range(start, len(tokens)):
        if not any(same(w, tokens[i], precise=step.precise) for w in words):
            continue
        window = _window(tokens, i, size)
        found = _ordered(step, tokens, window) if step.ordered else _unordered(step, tokens, window)
        if found is not None and found[0] == i:
            yield found


def _ordered(step: Step, tokens: Sequence[Token], window: list[int]) -> tuple[int, ...] | None:
    picked: list[int] = []
    k = 0
    for w in step.words:
        while k < len(window) and not same(w, tokens[window[k]], precise=step.precise):
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
    for w in (w for w in step.words if w.exact):
        k = next((k for k in window if k not in used and same(w, tokens[k])), None)
        if k is None:
            return None
        used.add(k)
        if w.number:
            numbers.add(k)
    for w in (w for w in step.words if not w.exact):
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

    A concept (strict=False) counts when qualified ("not just X" says X), and "not just X" is
    said by "not X"; a misconception (strict=True) only when said exactly as the phrase says it.
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

    The steps of a sequence come in order within one sentence, a few words apart at most; the
    match is denied if any step is (see `combined`).
    """
    if cues is None:
        cues = find_cues(tokens)
    for found in _find_step(phrase.steps[0], tokens):
        said = [polarity(tokens, found, cues)]
        indices = list(found)
        for step in phrase.steps[1:]:
            later = next(
                (
                    m
                    for m in _find_step(step, tokens, indices[-1] + 1)
                    if tokens[m[0]].sentence == tokens[found[0]].sentence
                    and _counted(tokens, indices[-1], m[0]) <= STEP_GAP
                ),
                None,
            )
            if later is None:
                break
            said.append(polarity(tokens, later, cues))
            indices.extend(later)
        else:
            yield Match(tuple(indices), combined(said))
