"""`--help` covers every command, and the README documents each one and how to install."""

from __future__ import annotations

import re
from pathlib import Path

import typer

import cvquiz.cli  # noqa: F401  (registers every command)
from cvquiz.cli.app import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def commands() -> list[str]:
    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def test_every_command_has_a_help_line_in_the_top_help(cli) -> None:
    shown = cli("--help").output
    for name in commands():
        assert re.search(rf"│ {name} +\S", shown), name  # listed with its description
        own = cli(name, "--help")
        assert own.exit_code == 0 and "Usage: cvquiz " + name in own.output, name


def test_the_readme_shows_every_command_and_the_tool_installs() -> None:
    for name in commands():
        assert re.search(rf"\$ (cvquiz|python -m cvquiz) {name}\b", README), name
    assert "pipx install" in README and "uv tool install" in README
    assert "download.pytorch.org/whl/cpu" in README
