"""What every command shares: consoles, JSON output, the error line, a yes/no question, and the
library loaded once."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import typer
from rich.console import Console
from rich.text import Text


def fail(message: str, exit_code: int = 2) -> typer.Exit:
    """Print one error line on stderr; the message is plain text (it may quote [brackets]), never markup."""
    err_console().print(Text.assemble(("cvquiz: error: ", "bold red"), message), soft_wrap=True)
    return typer.Exit(exit_code)


# --no-color for this command; None leaves it to Rich, which honours NO_COLOR and TERM=dumb.
_no_color: bool | None = None


def set_no_color(no_color: bool) -> None:
    global _no_color
    _no_color = True if no_color else None


def console() -> Console:
    return Console(highlight=False, no_color=_no_color)


def err_console() -> Console:
    return Console(stderr=True, highlight=False, no_color=_no_color)


def print_json(data: Any) -> None:
    """JSON for machines: exact integers, no colour; characters the output's encoding lacks are
    written as \\u escapes, so the JSON stays exact on any terminal."""
    from cvquiz.cli.terminal import is_utf

    text = json.dumps(data, ensure_ascii=not is_utf(sys.stdout), indent=2)
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
