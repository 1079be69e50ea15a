"""Paths a user types: ~ expanded with a clear error, and shown back relative to the working directory."""

from __future__ import annotations

import os
from pathlib import Path

from cvquiz.errors import CvquizError


def expand_path(text: str | os.PathLike[str], *, option: str) -> Path:
    """A user's path with ~ expanded; an unknown ~user is one clear error, not a RuntimeError."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise CvquizError(
            f"{option} {text}: cannot expand '~' (no such user or home directory)"
        ) from None


def display_path(path: Path) -> str:
    """The path as a user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
