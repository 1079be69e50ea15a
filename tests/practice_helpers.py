"""Shared fixtures for the practice tests: fixed instants, the real bank, a store in a tmp home."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from cvquiz.bank import Library, builtin_bank_path, load_bank

ROOT = Path(__file__).resolve().parent.parent
PYTHON = (
    str(ROOT / ".venv" / "bin" / "python")
    if (ROOT / ".venv" / "bin" / "python").exists()
    else sys.executable
)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NOW_TEXT = "2026-11-25T12:00:00+00:00"
BANK_ID = "cnn-architectures"


def library() -> Library:
    return Library(banks=(load_bank(builtin_bank_path()),))


def cli_env(home: Path, *, now: str = NOW_TEXT, **extra: str) -> dict[str, str]:
    """Environment for a cvquiz run: its own home, a fixed clock, 80 columns, no user bank."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CVQUIZ_")}
    env.update(
        {
            "CVQUIZ_HOME": str(home),
            "CVQUIZ_NOW": now,
            "COLUMNS": "80",
            "LINES": "30",
            "TERM": "xterm-256color",
            "TZ": "UTC",  # study days roll over at 04:00 local time: pin the zone
        }
    )
    env.update(extra)
    return env
