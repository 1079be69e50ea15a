"""What every command shares: consoles, JSON output, the error line, and the library loaded once."""

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


def console() -> Console:
    return Console(highlight=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """JSON for machines: exact integers, UTF-8, no colour."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def get_library(ctx: typer.Context):  # -> cvquiz.bank.Library
    """The loaded banks, loaded once per command on first use."""
    from cvquiz.links import load_library

    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if "library" not in obj:
        obj["library"] = load_library(obj.get("banks", []), env=os.environ)
        root.obj = obj
    return obj["library"]
