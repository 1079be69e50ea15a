"""What every command shares: consoles, JSON output, the error line, a yes/no question, and the
library loaded once.

Every console made here neutralises control characters in the text it prints (a bank is
written by anyone: see cvquiz.inert); Rich's own colour and cursor codes still get through."""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any

import typer
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderHook, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.text import Text

from cvquiz.inert import has_controls, inert, json_escaped


def fail(message: str, exit_code: int = 2) -> typer.Exit:
    """Print one error line on stderr; the message is plain text (it may quote [brackets]), never markup."""
    # One line, always: a value quoted in the message may hold a line break.
    message = message.replace("\r\n", "␤").replace("\n", "␤").replace("\r", "␤")
    err_console().print(Text.assemble(("cvquiz: error: ", "bold red"), message), soft_wrap=True)
    return typer.Exit(exit_code)


# --no-color for this command; None leaves it to Rich, which honours NO_COLOR and TERM=dumb.
_no_color: bool | None = None


def set_no_color(no_color: bool) -> None:
    global _no_color
    _no_color = True if no_color else None


class _Inert:
    """A renderable drawn as usual, its text made inert; control segments (Rich's own cursor
    moves, as a spinner makes) pass unchanged, and styles become colour codes only after this.

    Rich laid the text out counting a control character as no cell; a line its stand-ins make
    too wide goes on to the next line, so that nothing is cropped away."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        segments = list(console.render(self.renderable, options))
        if not has_controls("".join(s.text for s in segments if not s.control)):
            yield from segments
            return
        shown = [s if s.control else Segment(inert(s.text), s.style) for s in segments]
        if options.no_wrap and options.overflow == "ignore":  # soft wrap: the terminal folds
            yield from shown
            return
        for line, newline in Segment.split_lines_terminator(shown):
            yield from _fit(line, options.max_width, fold=not options.no_wrap,
                            ellipsis=options.overflow == "ellipsis")  # fmt: skip
            if newline:
                yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)


def _fit(line: list[Segment], width: int, *, fold: bool, ellipsis: bool) -> list[Segment]:
    """A line its stand-ins made too wide: narrowed by the padding nearest its end (a panel's
    border, a table's next column stay in place); what is still too wide is folded onto the next
    lines, or cut as the print asked (no_wrap), with an ellipsis if it asked for one."""
    length = Segment.get_line_length(line)
    if length <= width:
        return line
    plain = "".join(s.text for s in line if not s.control)
    runs = list(re.finditer(r"  +", plain))
    if runs:
        cut = min(length - width, len(runs[-1][0]) - 1)  # one space stays where there was a run
        end = cell_len(plain[: runs[-1].end()])
        before, _, after = Segment.divide(line, [end - cut, end, length])
        line, length = before + after, length - cut
    if length <= width:
        return line
    if not fold:
        kept = Segment.adjust_line_length(line, width - ellipsis, pad=False)
        style = next((s.style for s in reversed(kept) if not s.control), None)
        return kept + [Segment("…", style)] if ellipsis else kept
    pieces = list(Segment.divide(line, range(width, length + width, width)))
    return [s for piece in pieces[:-1] for s in [*piece, Segment.line()]] + pieces[-1]


class _InertHook(RenderHook):
    """Wraps everything a console prints (prompts of console.input included) in _Inert."""

    def process_renderables(self, renderables: list) -> list:
        return [_Inert(r) for r in renderables]


class _InertConsole(Console):
    """A console whose inert hook stays the last: a Live (a spinner, a progress bar) pushes its
    own hook, which adds the Live's drawing, and that drawing is made inert too."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._inert_hook = _InertHook()
        super().push_render_hook(self._inert_hook)

    def push_render_hook(self, hook: RenderHook) -> None:
        super().pop_render_hook()
        super().push_render_hook(hook)
        super().push_render_hook(self._inert_hook)

    def pop_render_hook(self) -> None:
        super().pop_render_hook()
        super().pop_render_hook()
        super().push_render_hook(self._inert_hook)


def console() -> Console:
    return _InertConsole(highlight=False, no_color=_no_color)


def err_console() -> Console:
    return _InertConsole(stderr=True, highlight=False, no_color=_no_color)


def print_json(data: Any) -> None:
    """JSON for machines: exact integers, no colour; characters the output's encoding lacks, and
    control and bidi characters, are written as \\u escapes, so the JSON stays exact and inert on
    any terminal."""
    from cvquiz.cli.terminal import is_utf

    text = json_escaped(json.dumps(data, ensure_ascii=not is_utf(sys.stdout), indent=2))
    sys.stdout.write(text + "\n")


def confirm(question: str) -> bool:
    """Ask a yes/no question at the terminal; no is the default, and so is end of input. Ctrl-C
    propagates, so it exits 130 like everywhere else."""
    try:
        answer = console().input(Text(f"{question} [y/N]: "))
    except EOFError:
        console().print()
        return False
    return answer.strip().lower() in ("y", "yes")


def get_library(ctx: typer.Context):  # -> cvquiz.bank.Library
    """The loaded banks, loaded once per command on first use."""
    from cvquiz.links import load_library

    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if "library" not in obj:
        obj["library"] = load_library(obj.get("banks", []), env=os.environ)
        root.obj = obj
    return obj["library"]
