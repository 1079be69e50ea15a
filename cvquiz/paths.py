"""Paths a user types: ~ expanded with a clear error, and shown back relative to the working directory."""

from __future__ import annotations

import os
from pathlib import Path

from cvquiz.errors import CvquizError

# Longer names fail every call with ENAMETOOLONG (a traceback wherever it was not expected): a
# check here makes that one clear error before any file is touched.
NAME_MAX = 255  # bytes in one file or folder name: ext4, APFS, NTFS, ...
PATH_MAX = 4095  # bytes in a whole path (Linux's PATH_MAX, less its NUL)


def expand_path(text: str | os.PathLike[str], *, option: str) -> Path:
    """A user's path with ~ expanded; an unknown ~user or a name too long is one clear error."""
    try:
        path = Path(text).expanduser()
    except RuntimeError:
        raise CvquizError(
            f"{option} {text}: cannot expand '~' (no such user or home directory)"
        ) from None
    longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
    if longest > NAME_MAX:
        raise CvquizError(
            f"{option} {_cut(str(path))}: a file or folder name of {longest:,} bytes; "
            f"the limit is {NAME_MAX}"
        )
    if len(os.fsencode(path)) > PATH_MAX:
        raise CvquizError(
            f"{option} {_cut(str(path))}: the path is {len(os.fsencode(path)):,} bytes long; "
            f"the limit is {PATH_MAX:,}"
        )
    return path


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def display_path(path: Path) -> str:
    """The path as a user would type it: relative to the working directory when inside it.

    Never fails: a symlink loop (RuntimeError), a deleted working directory or a name too long
    (OSError) leave the path as given.
    """
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):
        return str(path)
