"""The Typer application, its global options, and what every command shares (library, consoles, errors)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # typer vendors click from 0.26
from typer.core import TyperGroup

from cvquiz import __version__
from cvquiz.errors import CvquizError


def _fail(message: str, exit_code: int = 2) -> typer.Exit:
    """Print one error line on stderr; the message is plain text (it may quote [brackets]), never markup."""
    err_console().print(Text.assemble(("cvquiz: error: ", "bold red"), message), soft_wrap=True)
    return typer.Exit(exit_code)


def _usage_line(exc: UsageError, ctx: typer.Context) -> str:
    if exc.ctx is not None:
        where = exc.ctx.command_path
    else:  # a parser error carries no context: name the command being invoked, if any
        where = " ".join(filter(None, (ctx.command_path, ctx.invoked_subcommand)))
    return f"{exc.format_message().rstrip('.')} (see {where} -h)"


class _Group(TyperGroup):
    """Turns a CvquizError or a usage error from any command into one line on stderr and exit status 2."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            raise _fail(_usage_line(exc, ctx), exc.exit_code) from None

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CvquizError as exc:
            raise _fail(exc.message, exc.exit_code) from None
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            raise _fail(_usage_line(exc, ctx), exc.exit_code) from None


app = typer.Typer(
    cls=_Group,
    name="cvquiz",
    help="Interactive tutor for CNN architecture interviews: practice with spaced repetition, "
    "browse the bank, run live PyTorch demos, export flashcards.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def console() -> Console:
    return Console(highlight=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """JSON for machines: exact integers, UTF-8, no colour."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cvquiz {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    bank: Annotated[
        list[Path] | None,
        typer.Option(
            "--bank",
            "-b",
            help="Add a bank of your own (repeatable; CVQUIZ_BANK adds ':'-separated paths too).",
            metavar="PATH",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    ctx.obj = {"banks": list(bank or [])}


def get_library(ctx: typer.Context):  # -> cvquiz.bank.Library
    """The loaded banks, loaded once per command on first use."""
    from cvquiz.bank import load_library

    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if "library" not in obj:
        obj["library"] = load_library(obj.get("banks", []), env=os.environ)
        root.obj = obj
    return obj["library"]


# Each command module registers its commands on `app`; importing them here means `app` is complete
# wherever it is imported from (the CLI entry point, tests).
from cvquiz.commands import browse, demo, export, practice  # noqa: E402, F401, I001
