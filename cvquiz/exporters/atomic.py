"""Writing a file so that readers see the old file or the whole new one, never a part."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cvquiz.errors import CvquizError
from cvquiz.paths import display_path


def resolve_target(path: Path) -> Path:
    """The file that will be written: symlinks followed, so a link keeps pointing at the new file."""
    return Path(os.path.realpath(path))


def check_target(path: Path) -> None:
    """Refuse, before any work, a missing directory, a directory, or something that is not a file."""
    shown = display_path(path)
    target = resolve_target(path)
    if target.is_dir():
        raise CvquizError(f"--output {shown}: is a directory; give a file name")
    if not target.parent.is_dir():
        raise CvquizError(
            f"--output {shown}: directory '{display_path(path.parent)}' does not exist"
        )
    if target.exists() and not target.is_file():
        # A device, FIFO or socket cannot be replaced atomically (and must never be replaced).
        raise CvquizError(
            f"--output {shown}: is not a regular file; use --output - to write to standard output"
        )


def _new_file_mode(path: Path) -> int:
    """An existing file keeps its mode; a new one gets 0o666 less the umask, like open() would give."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, fsync it, then rename it over `path`."""
    check_target(path)
    shown = display_path(path)
    path = resolve_target(path)
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            if hasattr(os, "fchmod"):  # mkstemp's 0o600 is too private for an export
                os.fchmod(fh.fileno(), _new_file_mode(path))
        os.replace(tmp_name, path)
        tmp_name = None
        _fsync_dir(path.parent)
    except OSError as exc:
        raise CvquizError(f"--output {shown}: cannot write ({exc.strerror or exc})") from None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; some systems cannot open a directory, which is no error here.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
