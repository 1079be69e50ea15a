"""Text made harmless for a terminal: control characters and bidi overrides shown, never obeyed.

A bank is written by anyone; its text must not clear the screen, set the window title, write
the clipboard (OSC 52), hide a link (OSC 8) or reorder what is shown (Trojan Source, CVE-2021-42574).
Every character a terminal could act on gets a visible stand-in:

- C0 controls except newline and tab (ESC, BEL, CR, BS, ...) become their Unicode control
  pictures, one cell wide: ESC -> "␛" (U+241B), BEL -> "␇", NUL -> "␀"; DEL -> "␡" (U+2421).
- C1 controls (U+0080-U+009F, such as the one-byte CSI U+009B) and the bidi controls (U+061C,
  U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) become their code point as "<U+009B>", "<U+202E>".

With the escape character gone no sequence can start, so a whole OSC or CSI stays on screen as
text. Clean text is returned as it is (the same object), so the common case costs one regex scan.
"""

from __future__ import annotations

import re

_C0 = [c for c in range(0x20) if c not in (0x09, 0x0A)]
_C1 = list(range(0x80, 0xA0))
_BIDI = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]

STAND_INS: dict[int, str] = {
    **{c: chr(0x2400 + c) for c in _C0},
    0x7F: "\u2421",
    **{c: f"<U+{c:04X}>" for c in _C1 + _BIDI},
}
_UNSAFE = re.compile("[" + "".join(re.escape(chr(c)) for c in STAND_INS) + "]")


def has_controls(text: str) -> bool:
    """Whether the text holds a character that inert() would replace."""
    return _UNSAFE.search(text) is not None


def inert(text: str) -> str:
    """The text with every control and bidi character replaced by a visible stand-in."""
    if _UNSAFE.search(text) is None:
        return text
    return text.translate(STAND_INS)


def json_escaped(text: str) -> str:
    """JSON text (json.dumps output) with those characters written as \\uXXXX escapes: the same
    JSON value, inert on a terminal. Valid because outside strings JSON text is plain ASCII."""
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
