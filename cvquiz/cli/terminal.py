"""The streams cvquiz writes to: any encoding works, and what it cannot show is replaced."""

from __future__ import annotations

import codecs
import io
import sys
import unicodedata

ERRORS = "cvquiz-fallback"
# Each replacement takes as many terminal cells as the character it replaces, so that Rich's
# columns, computed for the real characters, stay aligned.
FALLBACKS = {
    "·": "-", "—": "-", "–": "-", "−": "-", "…": ".", "→": ">", "←": "<", "↑": "^", "↓": "v",
    "×": "x", "÷": "/", "≈": "~", "≥": ">", "≤": "<", "±": "+", "✓": "+", "✔": "+", "✗": "x",
    "✘": "x", "▶": ">", "█": "#", "░": ".", "■": "#", "•": "*", "›": ">", "²": "2", "³": "3",
    "α": "a", "β": "b", "γ": "g", "ρ": "r", "φ": "f", "σ": "s", "μ": "u", "‖": "|",
    "⚡": "  ", "📊": "  ", "🔥": "  ",
}  # fmt: skip


def _fallback_for(char: str) -> str:
    if char in FALLBACKS:
        return FALLBACKS[char]
    # é -> e, ﬁ -> fi; what has no ASCII form becomes '?', twice for a double-width character
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    if plain:
        return plain
    return "??" if unicodedata.east_asian_width(char) in ("W", "F") else "?"


def _replace(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(_fallback_for(c) for c in text), error.end


def prepare_streams() -> None:
    """Let stdout and stderr write any text: characters their encoding lacks get a plain stand-in."""
    try:
        codecs.lookup_error(ERRORS)
    except LookupError:
        codecs.register_error(ERRORS, _replace)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and not is_utf(stream):
            stream.reconfigure(errors=ERRORS)


def is_utf(stream: object) -> bool:
    """The stream's encoding can write any character (UTF-8, UTF-16 or UTF-32)."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    return codecs.lookup(encoding).name.startswith("utf")
