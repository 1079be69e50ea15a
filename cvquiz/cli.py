"""The command-line entry point (`cvquiz`, `python -m cvquiz`)."""

from __future__ import annotations

from cvquiz.app import app


def main() -> None:
    app(prog_name="cvquiz")
