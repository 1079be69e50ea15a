"""Options several commands share, declared once in Typer's Annotated style."""

from __future__ import annotations

from typing import Annotated

import typer

TopicOpt = Annotated[
    list[str] | None,
    typer.Option("--topic", "-t", metavar="TOPIC", help="resnet, mobilenet, ... (repeatable)."),
]
DifficultyOpt = Annotated[
    list[str] | None,
    typer.Option("--difficulty", "-d", metavar="LEVEL", help="easy, medium or hard (repeatable)."),
]
TagOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tag", metavar="TAG", help="A finer subject: depthwise, resnext, ... (repeatable)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DueOpt = Annotated[
    bool,
    typer.Option("--due", help="Only cards due for review now, lowest predicted recall first."),
]
