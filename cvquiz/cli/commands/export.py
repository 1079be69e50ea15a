"""Command: export questions as Anki cards, Anki text, CSV, a Markdown study sheet or a JSON bank."""

from __future__ import annotations

from typing import Annotated

import typer

from cvquiz.cli import completion
from cvquiz.cli.context import get_library
from cvquiz.cli.options import DifficultyOpt, TagOpt, TopicOpt
from cvquiz.errors import CvquizError


def export(
    ctx: typer.Context,
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="File to write (its extension picks the format), or - for standard output.",
        ),
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="apkg, tsv, csv, md or json (default: from PATH's extension).",
            autocompletion=completion.formats,
        ),
    ] = None,
    topic: TopicOpt = None,
    difficulty: DifficultyOpt = None,
    tag: TagOpt = None,
    with_demos: Annotated[
        bool,
        typer.Option(
            "--with-demos",
            help="Run each card's live demo and put its tables on the card (apkg, tsv, md).",
        ),
    ] = False,
) -> None:
    """Export questions: Anki deck (.apkg), Anki text (.tsv), spreadsheet (.csv), study sheet (.md), bank (.json)."""
    from cvquiz.exporters.formats import export_questions

    _refuse_directory(output)
    result = export_questions(
        get_library(ctx),
        output=output,
        fmt=fmt,
        topics=topic or [],
        difficulties=difficulty or [],
        tags=tag or [],
        with_demos=with_demos,
        on_demo=_progress,
    )
    if result.path is None:
        typer.echo(result.data, nl=False)
        return
    from cvquiz.paths import display_path
    from cvquiz.words import plural

    demos = f", {plural(result.demos, 'demo')} run" if with_demos else ""
    banks = ", ".join(b.id for b in result.banks)
    typer.echo(
        f"Wrote {plural(len(result.questions), 'question')} ({banks}{demos}) "
        f"to {display_path(result.path)} ({result.format}, {_size(len(result.data))})."
    )


def _refuse_directory(output: str) -> None:
    """A folder is not a file name, whatever its name looks like (the core says the same later)."""
    import os

    from cvquiz.paths import expand_path

    if output != "-" and (
        output.endswith(("/", os.sep)) or expand_path(output, option="--output").is_dir()
    ):
        raise CvquizError(f"--output {output}: is a directory; give a file name")


def _progress(demo_id: str, n: int, total: int) -> None:
    # On stderr, so that `--output -` keeps standard output for the export itself.
    typer.echo(f"Running demo {n}/{total}: {demo_id}", err=True)


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KiB"
