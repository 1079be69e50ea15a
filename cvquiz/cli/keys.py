"""What the user presses during practice: single keys at a terminal, one line per prompt otherwise.

A typed answer at a terminal is edited with GNU readline (the standard `readline` module): arrow
keys, Home/End, Delete, Ctrl-A/E/K/U/W, and Up/Down through this session's earlier answers. A
pasted answer of several lines stays one answer; a line ending in a backslash goes on to the next.
"""

from __future__ import annotations

import os
import re
import select
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TextIO

from cvquiz.practice.scheduler import Rating

if TYPE_CHECKING:
    from rich.console import Console

ActionKind = Literal[
    "reveal", "rate", "accept", "undo", "skip", "suspend", "flag", "demo", "quit", "invalid"
]
# s skip buries the card until tomorrow; ! suspends it (as in Anki); f toggles its red flag.
COMMANDS: dict[str, ActionKind] = {
    "u": "undo", "s": "skip", "!": "suspend", "f": "flag", "d": "demo", "q": "quit",
}  # fmt: skip
RATING_WORDS = {
    **{str(int(r)): r for r in Rating},
    **{r.label: r for r in Rating},
}


@dataclass(frozen=True)
class Action:
    """One thing the user asked for at a prompt."""

    kind: ActionKind
    text: str | None = None  # the typed answer (reveal) or the unrecognised input (invalid)
    rating: Rating | None = None


class Keys(Protocol):
    def question(self, *, typed: bool) -> Action: ...

    def rating(self) -> Action: ...


def _command(word: str) -> Action | None:
    kind = COMMANDS.get(word)
    return Action(kind) if kind else None


class LineInput:
    """Scripted input: one line per prompt; end of input ends the session like q."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def _line(self) -> str | None:
        line = self.stream.readline()
        return None if line == "" else line.rstrip("\r\n")

    def question(self, *, typed: bool) -> Action:
        line = self._line()
        if line is None:
            return Action("quit")
        return _command(line.strip().lower()) or Action("reveal", text=line if typed else None)

    def rating(self) -> Action:
        line = self._line()
        if line is None:
            return Action("quit")
        word = line.strip().lower()
        if not word:
            return Action("accept")
        if word in RATING_WORDS:
            return Action("rate", rating=RATING_WORDS[word])
        return _command(word) or Action("invalid", text=line)


CONTINUATION = "… "  # the prompt of a line that goes on from one ending in a backslash
_ESCAPE = re.compile(r"(\x1b\[[0-9;?]*[A-Za-z])")


def line_editing() -> bool:
    """Turn on readline for input() with a fresh history for this session; False without it."""
    try:
        import readline
    except ImportError:  # a Python built without readline: plain input, still usable
        return False
    readline.clear_history()
    readline.set_auto_history(False)  # only answers go into the history, not commands
    readline.parse_and_bind("tab: tab-insert")  # not readline's default: file name completion
    return True


def remember(answer: str) -> None:
    """Up and Down recall this session's earlier answers."""
    if answer.strip() and "readline" in sys.modules:
        sys.modules["readline"].add_history(answer)


def readline_prompt(ansi: str) -> str:
    """A prompt readline can measure: its colour codes wrapped in \\001 ... \\002."""
    return _ESCAPE.sub("\x01\\1\x02", ansi)


def answer_reader(console: Console, prompt: str) -> Callable[[], str]:
    """Reads a typed answer with line editing, the prompt (Rich markup) drawn by readline itself,
    so Home, End and redraws keep it in place; lines ending in a backslash continue."""
    with console.capture() as captured:
        console.print(prompt, end="")
    shown = readline_prompt(captured.get())

    def read() -> str:
        lines = [input(shown)]
        while lines[-1].endswith("\\"):
            lines[-1] = lines[-1][:-1].rstrip()
            lines.append(input(CONTINUATION))
        return "\n".join(lines)

    return read


def read_key(fd: int) -> str:
    """One key press, without echo; the terminal is restored whatever happens (Ctrl-C included)."""
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        # cbreak, not raw: Ctrl-C still raises KeyboardInterrupt through SIGINT.
        tty.setcbreak(fd, termios.TCSANOW)
        data = os.read(fd, 1)
        if data == b"\x1b":  # an arrow or function key: swallow the rest of its sequence
            while select.select([fd], [], [], 0.02)[0]:
                os.read(fd, 8)
        elif data and data[0] >= 0x80:  # the rest of a UTF-8 character
            while select.select([fd], [], [], 0.0)[0]:
                os.read(fd, 8)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    if data == b"\x03":
        raise KeyboardInterrupt
    if data in (b"", b"\x04"):
        return "eof"
    return data.decode("ascii", errors="replace")


class KeyInput:
    """A terminal: single keys; a typed answer is read as a line, with echo and editing."""

    def __init__(self, read_line: Callable[[], str], *, fd: int | None = None) -> None:
        self.read_line = read_line
        self.fd = sys.stdin.fileno() if fd is None else fd
        line_editing()

    def _key(self) -> str:
        key = read_key(self.fd)
        return "eof" if key == "eof" else key.lower()

    def question(self, *, typed: bool) -> Action:
        if typed:
            try:
                line = self.read_line()
            except EOFError:
                return Action("quit")
            command = _command(line.strip().lower())
            if command is not None:
                return command
            remember(line)
            return Action("reveal", text=line)
        while True:
            key = self._key()
            if key == "eof":
                return Action("quit")
            if key in ("\r", "\n", " "):
                return Action("reveal")
            action = _command(key)
            if action:
                return action

    def rating(self) -> Action:
        while True:
            key = self._key()
            if key == "eof":
                return Action("quit")
            if key in ("\r", "\n"):
                return Action("accept")
            if key in RATING_WORDS:
                return Action("rate", rating=RATING_WORDS[key])
            action = _command(key)
            if action:
                return action
