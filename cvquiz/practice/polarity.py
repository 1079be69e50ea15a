"""Polarity: whether the words a phrase matched are said, denied ("not", "without"...) or qualified.

Negation is found in plain English forms: a cue ("not", "never", "no", "without", "isn't",
"rather than", "instead of", "unlike", "w/o" ...) denies what follows it, up to the end of its
clause (a comma, "but", "which" ...) and at most a few words on; a cue inside the matched words
("channels are not mixed") denies them too; so does a denial after them ("overfitting is not the
cause", "overfitting can't explain it"). Two cues cancel. "not just X" and "not only X" qualify X
rather than deny it, as does "not X alone": X is said, with more to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from cvquiz.practice.tokens import Token


class Polarity(Enum):
    ASSERTED = "asserted"
    NEGATED = "negated"
    QUALIFIED = "qualified"  # "not just X": X counts as said, but is not asserted on its own


# A cue's reach, in tokens: a verb's negation runs to the end of the clause, a determiner's
# ("no", "without") over the noun phrase that follows.
VERBAL, NOUN, PREFIX = 8, 4, 1

_VERBAL = {
    "not", "never", "cannot", "neither", "nor", "nothing", "nobody", "nowhere",
    *(f"{w}n't" for w in "is are was were does do did has have had wo would should could ca must need ai".split()),
    *(f"{w}nt" for w in "is are was were does do did has have had would should could must".split()),
    "dont", "cant",
}  # fmt: skip
_NOUN = {"no", "without", "unlike", "none", "lacks", "lacking", "minus"}
_MULTI: dict[tuple[str, ...], int] = {
    ("rather", "than"): NOUN, ("instead", "of"): NOUN, ("as", "opposed", "to"): NOUN,
    ("different", "from"): NOUN, ("distinct", "from"): NOUN, ("other", "than"): NOUN,
    ("confused", "with"): NOUN, ("mistaken", "for"): NOUN, ("lack", "of"): NOUN,
    ("absence", "of"): NOUN, ("free", "of"): NOUN, ("far", "from"): NOUN,
    ("no", "longer"): VERBAL, ("fail", "to"): VERBAL, ("fails", "to"): VERBAL,
    ("failed", "to"): VERBAL, ("unable", "to"): VERBAL,
}  # fmt: skip
# Not negations at all, though they start with one.
_NOT_CUES = {
    ("no", "matter"), ("nothing", "but"), ("not", "to", "mention"), ("if", "not"),
    ("whether", "or", "not"), ("no", "doubt"), ("or", "not"),
}  # fmt: skip
_QUALIFIERS = {"just", "only", "merely", "simply", "solely", "purely", "entirely", "necessarily"}
# Words that end a clause, and so a negation's reach.
BREAKERS = frozenset(
    "but however yet although though whereas while instead so because since which who where "
    "then thus hence therefore otherwise whilst".split()
)
# "X is not the cause", "X isn't needed", "X can't explain it": X is denied.
_COPULAS = {"is", "are", "was", "were", "be", "being"}
_COPULA_NOTS = {"isn't", "aren't", "wasn't", "weren't", "isnt", "arent", "wasnt", "werent"}
_DENIED_BY = {
    "cause", "reason", "problem", "issue", "culprit", "explanation", "case", "answer", "story",
    "it", "true", "right", "correct", "responsible", "blame", "why", "relevant", "involved",
    "needed", "necessary", "required", "used", "present", "there", "applied", "what",
}  # fmt: skip
_DO_NOTS = {
    "doesn't", "don't", "didn't", "can't", "cannot", "won't", "doesnt", "dont", "didnt", "cant",
}  # fmt: skip
_DENYING_VERBS = {"explain", "explains", "cause", "causes", "account", "matter", "help", "apply"}
_NOTHING_TO_DO = (("has", "nothing"), ("have", "nothing"), ("plays", "no"), ("play", "no"))


@dataclass(frozen=True)
class Cue:
    """A negation cue: tokens [start, end) of the text, reaching `reach` tokens past its end."""

    start: int
    end: int
    reach: int
    qualifies: bool = False  # "not just": the words after it are said, with more to it


def _starts(tokens: Sequence[Token], i: int, words: tuple[str, ...]) -> bool:
    return all(
        i + k < len(tokens)
        and tokens[i + k].text == w
        and tokens[i + k].sentence == tokens[i].sentence
        for k, w in enumerate(words)
    )


def find_cues(tokens: Sequence[Token]) -> list[Cue]:
    """Every negation cue of a text, in order."""
    cues: list[Cue] = []
    i = 0
    while i < len(tokens):
        idle = next((words for words in _NOT_CUES if _starts(tokens, i, words)), None)
        if idle is not None:
            i += len(idle)
            continue
        multi = next((w for w in _MULTI if _starts(tokens, i, w)), None)
        if multi is not None:
            cues.append(Cue(i, i + len(multi), _MULTI[multi]))
            i += len(multi)
            continue
        word = tokens[i].text
        if word in _VERBAL or word in _NOUN:
            reach = VERBAL if word in _VERBAL else NOUN
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and nxt.text in _QUALIFIERS and nxt.sentence == tokens[i].sentence:
                cues.append(Cue(i, i + 2, VERBAL, qualifies=True))
                i += 2
                continue
            if word == "no" and _is_answer_no(tokens, i):
                i += 1
                continue
            cues.append(Cue(i, i + 1, reach))
        elif word == "non":
            cues.append(Cue(i, i + 1, PREFIX))
        i += 1
    return cues


def _is_answer_no(tokens: Sequence[Token], i: int) -> bool:
    """A "No" that answers the question ("No, it is obsolete") rather than denying a noun."""
    first = i == 0 or tokens[i - 1].sentence != tokens[i].sentence
    nxt = tokens[i + 1] if i + 1 < len(tokens) else None
    return first and (nxt is None or nxt.segment != tokens[i].segment)


def _reaches(tokens: Sequence[Token], cue: Cue, index: int) -> bool:
    """The cue, before `index`, still reaches it: same clause, within its reach."""
    if index - cue.end >= cue.reach:
        return False
    first = tokens[cue.start]
    return all(
        tokens[k].segment == first.segment and tokens[k].text not in BREAKERS
        for k in range(cue.end, index + 1)
    )


def _denied_after(tokens: Sequence[Token], last: int) -> bool:
    """What follows the matched words denies them: "... is not the cause", "... can't explain"."""
    segment = tokens[last].segment
    after = [t.text for t in tokens[last + 1 : last + 7] if t.segment == segment]
    for skip in range(3):  # "overfitting here is not the cause": a word or two may come first
        rest = after[skip:]
        if len(rest) >= 2 and rest[0] in _COPULAS and rest[1] in {"not", "never"}:
            if any(w in _DENIED_BY for w in rest[2:5]):
                return True
        if rest and rest[0] in _COPULA_NOTS and any(w in _DENIED_BY for w in rest[1:4]):
            return True
        if rest and (rest[0] in _DO_NOTS or (rest[:2] == ["does", "not"])):
            verbs = rest[1:4] if rest[0] != "does" else rest[2:5]
            if any(w in _DENYING_VERBS for w in verbs):
                return True
        if tuple(rest[:2]) in _NOTHING_TO_DO:
            return True
    return False


def _reaching(tokens: Sequence[Token], k: int, cues: Sequence[Cue], inside: set[int]) -> list[Cue]:
    """The cues that reach token k: before it, in its clause, within their reach."""
    return [
        c
        for c in cues
        if c.end <= k
        and tokens[c.start].sentence == tokens[k].sentence
        and not inside & set(range(c.start, c.end))
        and _reaches(tokens, c, k)
    ]


def covering(
    tokens: Sequence[Token], matched: Sequence[int], cues: Sequence[Cue] | None = None
) -> list[Cue]:
    """The cues that reach any of the matched tokens."""
    if cues is None:
        cues = find_cues(tokens)
    inside = set(matched)
    found: list[Cue] = []
    for k in matched:
        found += [c for c in _reaching(tokens, k, cues, inside) if c not in found]
    return found


def polarity(
    tokens: Sequence[Token], matched: Sequence[int], cues: Sequence[Cue] | None = None
) -> Polarity:
    """The polarity of the matched tokens (indices into `tokens`) within their text.

    Denied when any of them is denied (an odd number of cues reach it: two cancel), or when
    what follows denies them all; qualified when a "not just" reaches one.
    """
    if cues is None:
        cues = find_cues(tokens)
    inside = set(matched)
    last = max(matched)
    denied = qualified = False
    for k in matched:
        reaching = _reaching(tokens, k, cues, inside)
        qualified = qualified or any(c.qualifies for c in reaching)
        denied = denied or sum(not c.qualifies for c in reaching) % 2 == 1
    if _denied_after(tokens, last):
        denied = not denied
    if denied:
        after = [t.text for t in tokens[last + 1 : last + 3] if t.segment == tokens[last].segment]
        return Polarity.QUALIFIED if "alone" in after else Polarity.NEGATED
    return Polarity.QUALIFIED if qualified else Polarity.ASSERTED
