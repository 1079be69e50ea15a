"""Options several commands share, declared once in Typer's Annotated style, with the values a
shell completes for them."""

from __future__ import annotations

from typing import Annotated

import typer

from cvquiz.cli import completion

TopicOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--topic",
        "-t",
        metavar="TOPIC",
        help="resnet, mobilenet, ... (repeatable).",
        autocompletion=completion.topics,
    ),
]
DifficultyOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--difficulty",
        "-d",
        metavar="LEVEL",
        help="easy, medium or hard (repeatable).",
        autocompletion=completion.difficulties,
    ),
]
TagOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--tag",
        metavar="TAG",
        help="A finer subject: depthwise, resnext, ... (repeatable).",
        autocompletion=completion.tags,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
DueOpt = Annotated[
    bool,
    typer.Option("--due", help="Only cards due for review now, lowest predicted recall first."),
]
DeviceOpt = Annotated[
    str,
    typer.Option(
        "--device",
        help="cpu, cuda or auto (cuda when available).",
        autocompletion=completion.devices,
    ),
]
