"""Typed text as tokens: canonical words and numbers, each with its span in the text as typed.

"3 × 3", "3x3" and "three by three" are one token 3x3; "1/k²" and "1 over k squared" one token
1/k2; "ResNet-50" and "resnet50" two tokens, resnet and 50. Every token remembers where it
stands in what the user typed (for highlighting), its sentence and its segment: a part of a
sentence between commas, colons, dashes, arrows or "then" (numbers bind to words within one).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "ten": "10", "twelve": "12",
}  # fmt: skip
# Short forms written out, so that "dw conv" is "depthwise convolution" everywhere.
EXPANSIONS = {
    "conv": ("convolution",), "convs": ("convolutions",), "param": ("parameter",),
    "params": ("parameters",), "init": ("initialization",), "dim": ("dimension",),
    "dims": ("dimensions",), "info": ("information",), "net": ("network",),
    "nets": ("networks",), "feat": ("feature",), "feats": ("features",),
    "batchnorm": ("batch", "normalization"), "bn": ("batch", "normalization"),
    "norm": ("normalization",),
    "lr": ("learning", "rate"), "wd": ("weight", "decay"), "fc": ("fully", "connected"),
    "dw": ("depthwise",), "pw": ("pointwise",), "w/o": ("without",), "w/": ("with",),
    "dwconv": ("depthwise", "convolution"), "pwconv": ("pointwise", "convolution"),
    "gflops": ("flops",), "mflops": ("flops",), "macs": ("flops",), "mult": ("multiply",),
}  # fmt: skip

_SENTENCE_END = frozenset(".!?;\n…")
_SEGMENT_END = frozenset(",:()[]{}—–")
_SEGMENT_WORDS = frozenset({"then", "followed"})

_TOKEN = re.compile(
    r"""
    (?P<fraction>(?<![\w.])(?:\d+\s*/\s*[^\W\d_][^\W\d]*?|(?:\d+|one)\s+over\s+[^\W\d_]{1,2})
        (?:\s*\^\s*\d+|\d+|\s+squared\b)?(?!\w))
    | (?P<times>\d+(?:\.\d+)?(?:\s*[x×*]\s*\d+(?:\.\d+)?)+(?![\d.]))
    | (?P<letters_times>(?<![^\W_])[^\W\d_]\s*[x×*]\s*[^\W\d_](?![^\W_]))
    | (?P<decimal>\d+\.\d+)
    | (?P<short>w/o|w/)
    | (?P<word>[^\W_]+(?:'[^\W\d_]+)?)
    | (?P<op>[+=*×·])
    | (?P<arrow>->|=>|→|⟶)
    | (?P<minus>(?<=\))\s*-(?=\s*[\w(])|(?<![\w)])-(?=\d)|−)
    | (?P<sentence>[.!?;\n…]+)
    | (?P<segment>[,:()\[\]{}—–]|\s-\s)
    """,
    re.VERBOSE,
)
_RUNS = re.compile(r"\d+(?:x\d+)+|[^\W\d_]+|\d+")  # conv3x3: convolution, 3x3
_BRITISH_IZE = re.compile(r"^(\w{3,})is(e|es|ed|ing|ation|ations|er|ers)$")
_BRITISH_OUR = re.compile(r"^(\w{3,})our(s)?$")
_DOUBLE_L = re.compile(r"^(\w{3,})ll(ing|ed)$")
_STEM_KEEP = {"identity": "identity", "identical": "identical", "relu": "relu", "relus": "relu"}


@dataclass(frozen=True, slots=True)
class Token:
    """One canonical word, number or operator, and where it was typed."""

    text: str
    start: int
    end: int
    kind: str  # "word"; "number" (3x3, 1/k2, 50) or "op" (+ - * =): matched exactly, never fuzzily
    sentence: int
    segment: int

    @property
    def exact(self) -> bool:
        return self.kind != "word"

    @property
    def number(self) -> bool:
        return self.kind == "number"

    @property
    def stem(self) -> str:
        return self.text if self.exact else stem(self.text)


def american(word: str) -> str:
    """normalise -> normalize, behaviour -> behavior, modelling -> modeling."""
    word = _BRITISH_IZE.sub(r"\1iz\2", word)
    word = _BRITISH_OUR.sub(r"\1or\2", word)
    return _DOUBLE_L.sub(r"\1l\2", word)


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem of a word, after American spelling: optimisation -> optim."""
    if word in _STEM_KEEP:
        return _STEM_KEEP[word]
    return _stemmer().stemWord(american(word))


@lru_cache(maxsize=1)
def _stemmer():  # -> snowballstemmer.EnglishStemmer
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def _canonical_fraction(text: str) -> str:
    m = re.fullmatch(
        r"(\d+|one)\s*(?:/|\s+over\s+)\s*([^\W\d_][^\W\d]*?)(?:\s*\^\s*(\d+)|(\d+)|\s+squared)?",
        text.strip(),
    )
    assert m is not None
    numerator = NUMBER_WORDS.get(m.group(1), m.group(1))
    power = m.group(3) or m.group(4) or ("2" if text.endswith("squared") else "")
    return f"{numerator}/{m.group(2).replace('_', '')}{power}"


def _normalised(text: str) -> tuple[str, list[int]]:
    """NFKC and lower case, character by character, with each character's index in `text`."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch in "’‘`´":
            ch = "'"
        for c in unicodedata.normalize("NFKC", ch).lower():
            chars.append(c)
            where.append(i)
    where.append(len(text))
    return "".join(chars), where


@lru_cache(maxsize=4096)
def tokenize(text: str) -> tuple[Token, ...]:
    """The tokens of a typed text, in order, with their spans in `text` as typed."""
    norm, where = _normalised(text)
    tokens: list[Token] = []
    sentence = segment = 0

    def add(canon: str, start: int, end: int, kind: str) -> None:
        tokens.append(Token(canon, where[start], where[end - 1] + 1, kind, sentence, segment))

    for m in _TOKEN.finditer(norm):
        kind = m.lastgroup
        start, end = m.span()
        value = m.group()
        if kind == "sentence":
            sentence += 1
            segment += 1
        elif kind in ("segment", "arrow"):
            segment += 1
        elif kind == "fraction":
            add(_canonical_fraction(value), start, end, "number")
        elif kind == "times":
            add(re.sub(r"\s*[x×*]\s*", "x", value), start, end, "number")
        elif kind == "letters_times":
            add(re.sub(r"\s*[x×*]\s*", "x", value), start, end, "word")
        elif kind == "decimal":
            add(value, start, end, "number")
        elif kind in ("op", "minus"):
            add(
                {"×": "*", "·": "*"}.get(value, "-" if kind == "minus" else value), start, end, "op"
            )
        elif kind == "short":
            for part in EXPANSIONS[value]:
                add(part, start, end, "word")
        else:  # a word, perhaps letters and digits run together: relu6, resnet50, c4
            if value.endswith("'s"):
                value = value[:-2]
            for run in _RUNS.finditer(value) if "'" not in value else [None]:
                if run is None:
                    add(value, start, start + len(value), "word")
                    break
                piece, s, e = run.group(), start + run.start(), start + run.end()
                if piece[0].isdigit():
                    add(piece, s, e, "number")
                elif piece in NUMBER_WORDS:
                    add(NUMBER_WORDS[piece], s, e, "number")
                elif piece in _SEGMENT_WORDS:
                    segment += 1
                    add(piece, s, e, "word")
                else:
                    for part in EXPANSIONS.get(piece, (piece,)):
                        add(part, s, e, "word")
    return tuple(_join_by(tokens))


def _join_by(tokens: list[Token]) -> list[Token]:
    """ "1 by 1" and "k by k" are one token, as 1x1 and kxk are."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        a = tokens[i]
        if i + 2 < len(tokens) and tokens[i + 1].text == "by":
            b = tokens[i + 2]
            same_kind = a.kind == b.kind and (
                (a.number and a.text.isdigit() and b.text.isdigit())
                or (a.kind == "word" and len(a.text) == 1 and len(b.text) == 1)
            )
            if same_kind and a.segment == b.segment:
                out.append(
                    Token(f"{a.text}x{b.text}", a.start, b.end, a.kind, a.sentence, a.segment)
                )
                i += 3
                continue
        out.append(a)
        i += 1
    return out


def words(text: str) -> list[str]:
    """The canonical tokens of a text, as plain strings."""
    return [t.text for t in tokenize(text)]
