"""The Typer application: its global options, one error line for any usage error, and its commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError  # typer vendors click from 0.26
from typer.core import TyperGroup

from cvquiz import __version__
from cvquiz.cli import completion
from cvquiz.cli.commands import browse, cards, care, demo, export, interview, memory, practice
from cvquiz.cli.context import err_console, fail, set_no_color
from cvquiz.errors import CvquizError


def _usage_line(exc: UsageError, ctx: typer.Context) -> str:
    if exc.ctx is not None:
        where = exc.ctx.command_path
    else:  # a parser error carries no context: name the command being invoked, if any
        where = " ".join(filter(None, (ctx.command_path, ctx.invoked_subcommand)))
    # One line: Click lays out some messages on several ("Choose from:\n\tbash,\n\tzsh").
    message = " ".join(exc.format_message().split()).rstrip(".")
    return f"{message} (see {where} -h)"


class _Group(TyperGroup):
    """Turns a CvquizError or a usage error from any command into one line on stderr and exit
    status 2, Ctrl-C anywhere into exit status 130, and a closed stdout (`cvquiz list | head -1`)
    into a quiet exit with status 141, as a command killed by SIGPIPE (ls, cat) reports it."""

    PIPE_CLOSED = 141  # 128 + SIGPIPE

    @staticmethod
    def stdout_closed() -> typer.Exit:
        """Point stdout at /dev/null, so the output still buffered is dropped without a second
        BrokenPipeError at exit (see "Note on SIGPIPE" in Python's signal docs)."""
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # no real stdout (a test's runner)
            pass
        return typer.Exit(_Group.PIPE_CLOSED)

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            raise fail(_usage_line(exc, ctx), exc.exit_code) from None
        except BrokenPipeError:  # --version into a closed pipe
            raise self.stdout_closed() from None
        except SystemExit as exc:  # --help into a closed pipe: see invoke
            if isinstance(exc.__context__, BrokenPipeError):
                raise self.stdout_closed() from None
            raise

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CvquizError as exc:
            raise fail(exc.message, exc.exit_code) from None
        except NoArgsIsHelpError:
            raise
        except UsageError as exc:
            raise fail(_usage_line(exc, ctx), exc.exit_code) from None
        except KeyboardInterrupt:
            err_console().print()  # end the line ^C was echoed on
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise self.stdout_closed() from None
        except SystemExit as exc:
            # Rich's Console.on_broken_pipe exits 1 from inside its `except BrokenPipeError`.
            if isinstance(exc.__context__, BrokenPipeError):
                raise self.stdout_closed() from None
            raise


# Typer's rich help joins single line breaks; a blank line starts a new line.
EPILOG = "\n\n".join(
    [
        "Examples: cvquiz practice · cvquiz list -t mobilenet · cvquiz show 24 · cvquiz demo 27 · "
        "cvquiz stats --at 2026-12-10 · cvquiz history 24 · cvquiz export -o cnn.apkg",
        "A question is a number (24), bank-id/N when banks share numbers, an id or words.",
        "cvquiz COMMAND -h: a command's options · cvquiz completion bash|zsh|fish: Tab completion "
        "· NO_COLOR=1 or --no-color: no colour",
    ]
)


app = typer.Typer(
    cls=_Group,
    name="cvquiz",
    help="Interactive tutor for CNN architecture interviews: practice with spaced repetition, "
    "browse the bank, run live PyTorch demos, export flashcards.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    epilog=EPILOG,
)


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
    no_color: Annotated[
        bool,
        typer.Option("--no-color", help="No colour (as NO_COLOR=1 does); --json never has any."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    set_no_color(no_color)
    ctx.obj = {"banks": list(bank or [])}


# The commands, in the order --help lists them; each module only declares options and calls the core.
app.command("list")(browse.list_questions)
app.command()(browse.show)
app.command()(browse.check)
app.command("demo")(demo.demo_command)
app.command("verify")(demo.verify_command)
app.command()(export.export)
app.command()(practice.practice)
app.command()(interview.interview)
app.command()(practice.stats)
app.command()(practice.history)
app.command()(practice.reset)
app.command()(cards.suspend)
app.command()(cards.unsuspend)
app.command()(cards.bury)
app.command()(cards.unbury)
app.command()(cards.flag)
app.command()(memory.optimize)
app.command()(memory.plan)
app.command()(care.backup)
app.command()(care.restore)
app.command()(care.doctor)
app.command()(completion.completion)


def main() -> None:
    """The `cvquiz` entry point (also `python -m cvquiz`)."""
    from cvquiz.cli.terminal import prepare_streams

    prepare_streams()
    try:
        try:
            app(prog_name="cvquiz")
        finally:
            if sys.stdout is not None:  # what is still buffered, while a closed pipe can be caught
                sys.stdout.flush()
    except BrokenPipeError:
        raise SystemExit(_Group.stdout_closed().exit_code) from None
