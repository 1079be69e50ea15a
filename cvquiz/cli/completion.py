"""Shell completion of option values and arguments (topics, tags, questions, demos, formats), and
the `cvquiz completion SHELL` command that prints the script a shell loads.

Completion runs the program once per Tab press: these callbacks load only the banks (with the
banks given by --bank on the line being completed) and never a demo or torch.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Annotated

import typer

from cvquiz.errors import CvquizError
from cvquiz.inert import inert

Choice = tuple[str, str]  # a value and the help a shell shows beside it (zsh and fish do)


def _questions(ctx: typer.Context) -> list:  # -> list[cvquiz.bank.model.Question]
    from cvquiz.links import load_library

    banks = ctx.find_root().params.get("bank") or []
    try:
        return load_library(banks, env=os.environ).questions
    except CvquizError:  # a broken bank: no suggestions, and no error printed into the shell
        return []


def _matching(choices: list[Choice], incomplete: str) -> list[Choice]:
    """The choices that start with what was typed, each value once (Typer drops the others too)."""
    found: dict[str, str] = {}
    for value, help_ in choices:
        if value.startswith(incomplete):
            found.setdefault(value, help_)
    return list(found.items())


def topics(ctx: typer.Context, incomplete: str) -> list[Choice]:
    names = sorted({q.topic for q in _questions(ctx)})
    return _matching([(n, "topic") for n in names], incomplete)


def tags(ctx: typer.Context, incomplete: str) -> list[Choice]:
    names = sorted({t for q in _questions(ctx) for t in q.tags})
    return _matching([(n, "tag") for n in names], incomplete)


def difficulties(incomplete: str) -> list[Choice]:
    from cvquiz.bank.model import DIFFICULTIES

    return _matching([(d, "difficulty") for d in DIFFICULTIES], incomplete)


def _help(text: str) -> str:
    """Bank text as a shell shows it beside a value: one line, inert (a shell prints it raw), and
    its brackets kept (Typer reads help as Rich markup, and a stray [/x] would crash it)."""
    from rich.markup import escape

    return escape(" ".join(inert(text).split()))


def _question_choices(
    questions: list, *, demos_only: bool = False
) -> tuple[list[Choice], list[Choice]]:
    """Numbers (bank-id/N where banks share a number) and ids, each with the question as help."""
    chosen = [q for q in questions if q.demo or not demos_only]
    numbers = [q.number for q in questions]
    ids = [q.id for q in questions]
    by_number = [
        (
            str(q.number) if numbers.count(q.number) == 1 else f"{q.bank_id}/{q.number}",
            _help(q.question),
        )
        for q in chosen
    ]
    by_id = [(q.id if ids.count(q.id) == 1 else q.key, _help(q.question)) for q in chosen]
    return by_number, by_id


def _numbers_then_ids(numbers: list[Choice], ids: list[Choice], incomplete: str) -> list[Choice]:
    if not incomplete:  # a bare Tab offers the numbers, not every id as well
        return _matching(numbers, "")
    return _matching(numbers + ids, incomplete)


def questions(ctx: typer.Context, incomplete: str) -> list[Choice]:
    return _numbers_then_ids(*_question_choices(_questions(ctx)), incomplete)


def demo_targets(ctx: typer.Context, incomplete: str) -> list[Choice]:
    """Questions that have a demo, then every demo id."""
    from cvquiz.demos.index import demo_ids

    numbers, ids = _question_choices(_questions(ctx), demos_only=True)
    return _numbers_then_ids(numbers, ids + [(d, "demo") for d in demo_ids()], incomplete)


def formats(incomplete: str) -> list[Choice]:
    from cvquiz.exporters.formats import FORMATS

    return _matching([(f, "export format") for f in FORMATS], incomplete)


def devices(incomplete: str) -> list[Choice]:
    return _matching([("cpu", "device"), ("cuda", "device"), ("auto", "device")], incomplete)


class Shell(StrEnum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def completion(
    ctx: typer.Context,
    shell: Annotated[
        Shell, typer.Argument(help="bash, zsh or fish.", metavar="SHELL", show_default=False)
    ],
) -> None:
    """Print the shell completion script (commands, options, topics, tags, questions, demos).

    bash: cvquiz completion bash > ~/.local/share/bash-completion/completions/cvquiz ·
    zsh: cvquiz completion zsh > ~/.zfunc/_cvquiz (with fpath+=~/.zfunc before compinit) ·
    fish: cvquiz completion fish > ~/.config/fish/completions/cvquiz.fish
    """
    from typer.completion import get_completion_script

    prog = ctx.find_root().info_name or "cvquiz"
    var = "_{}_COMPLETE".format(prog.replace("-", "_").upper())
    typer.echo(get_completion_script(prog_name=prog, complete_var=var, shell=shell.value))
