"""Writing a file so that readers see the old file or the whole new one, never a part."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from cvquiz.errors import CvquizError
from cvquiz.paths import display_path

MAX_LINKS = 40  # the kernel's limit on symlinks followed in one lookup


def may_follow_link(*, link_uid: int, dir_mode: int, dir_uid: int, uid: int) -> bool:
    """The kernel's protected_symlinks rule: in a sticky world-writable folder (like /tmp), follow a
    link only if its owner is the follower or the folder's owner; anywhere else, follow it."""
    shared = dir_mode & stat.S_ISVTX and dir_mode & stat.S_IWOTH
    return not shared or link_uid in (uid, dir_uid)


def _shown(path: Path | str) -> str:
    """The path as given, relative to the working directory when inside it; no link followed."""
    full, cwd = os.path.abspath(path), os.getcwd()
    return os.path.relpath(full, cwd) if full.startswith(cwd.rstrip(os.sep) + os.sep) else full


def resolve_target(path: Path, *, uid: int | None = None) -> Path:
    """The file that will be written: symlinks followed, so a link keeps pointing at the new file.

    Resolved one component at a time, like the kernel does, so that each link met on the way is
    checked: a dangling link, a loop, or a link planted by another user in a shared sticky folder is
    an error (the kernel refuses the last one when opening; a rename would not ask it).
    """
    if uid is None:
        uid = os.geteuid() if hasattr(os, "geteuid") else -1
    shown = _shown(path)
    pending = list(reversed(str(path).split(os.sep)))
    resolved = os.sep if str(path).startswith(os.sep) else os.getcwd()
    links = 0
    while pending:
        name = pending.pop()
        if name in ("", "."):
            continue
        if name == "..":
            resolved = os.path.dirname(resolved)
            continue
        candidate = os.path.join(resolved, name)
        try:
            info = os.lstat(candidate)
        except OSError:
            # Missing (a new file, or a missing folder check_target names) or unreadable: no link
            # is followed past this point, so the rest is taken as written.
            return Path(os.path.join(candidate, *reversed(pending)))
        if not stat.S_ISLNK(info.st_mode):
            resolved = candidate
            continue
        links += 1
        what = "is a symbolic link" if not pending else f"'{_shown(candidate)}' is a symbolic link"
        _check_link_target(candidate, links, f"--output {shown}: {what}")
        parent = os.stat(resolved)
        if not may_follow_link(
            link_uid=info.st_uid, dir_mode=parent.st_mode, dir_uid=parent.st_uid, uid=uid
        ):
            raise CvquizError(
                f"--output {shown}: {what} owned by another user (uid {info.st_uid}) in the shared "
                f"folder '{display_path(Path(resolved))}'; refusing to follow it (give another file)"
            )
        target = os.readlink(candidate)
        if target.startswith(os.sep):
            resolved = os.sep
        pending.extend(reversed(target.split(os.sep)))
    return Path(resolved)


def _check_link_target(link: str, links: int, prefix: str) -> None:
    """A loop or a dangling link is an error; any other trouble is left for the walk to meet."""
    loop = links > MAX_LINKS
    try:
        os.stat(link)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise CvquizError(
                f"{prefix} to '{display_path(Path(os.path.realpath(link)))}', which does not exist; "
                "refusing to write through it (remove the link or give another file)"
            ) from None
        loop = loop or exc.errno == errno.ELOOP
    if loop:
        raise CvquizError(f"{prefix} in a loop of links; refusing to follow it")


def check_target(path: Path) -> None:
    """Refuse, before any work, a missing directory, a directory, or something that is not a file."""
    target = resolve_target(path)
    shown = _shown(path)
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
    shown = _shown(path)
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
