"""Care of the progress store: a backup, a restore that loses nothing, and a doctor's checkup.

Nothing here replaces a file before it is known good: a restore reads its file into a private
copy, checks integrity, tables and schema version there, and keeps the current store as a dated
.bak first (never over an existing one). A store cvquiz can still open is restored inside one of
its write transactions, so a session open meanwhile waits for it and then writes into the restored
log; only a store cvquiz cannot read is replaced as a file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cvquiz.errors import CvquizError
from cvquiz.home import DB_NAME, db_path
from cvquiz.practice.migrations import (
    check_store,
    claim,
    copy_database,
    integrity_problems,
    place,
    prepare,
    schema_problems,
)
from cvquiz.practice.records import UnusableStore
from cvquiz.practice.store import BUSY_TIMEOUT_S, Store, open_store


@dataclass(frozen=True)
class Backup:
    path: Path
    reviews: int


@dataclass(frozen=True)
class Restored:
    source: Path
    kept: Path | None  # the store it replaced, as a dated .bak (None: there was none)
    reviews: int


@dataclass(frozen=True)
class Checkup:
    """What `doctor` found, and what --repair mended."""

    path: Path
    found: list[str]  # every problem, one line each naming the file
    left: list[str]  # those still there (all of them unless repaired)
    kept: Path | None = None  # the backup made before repairing
    exists: bool = True

    @property
    def healthy(self) -> bool:
        return not self.left


# --------------------------------------------------------------------------- backup


def backup(home: Path, dest: Path, *, now: datetime) -> Backup:
    """A consistent copy of the store at `dest` (a folder gets a dated name in it), safe while a
    session is rating; `dest` is never an existing file."""
    path = db_path(home)
    if not os.path.lexists(path):
        raise CvquizError(f"{path}: no progress database yet; nothing to back up")
    if dest.is_dir():
        dest = dest / f"progress-{now:%Y-%m-%dT%H%M%S}.db"
    with open_store(home, now=now, read_only=True) as store:
        _claim(dest, what="the backup")
        try:
            store.backup_to(dest)
            reviews = _reviews(dest)
        except BaseException as exc:
            dest.unlink(missing_ok=True)
            if isinstance(exc, sqlite3.Error):
                raise CvquizError(f"{dest}: cannot write the backup ({exc})") from None
            raise
    return Backup(dest, reviews)


def _claim(path: Path, *, what: str) -> None:
    try:
        claim(path)
    except FileExistsError:
        raise CvquizError(f"{path}: already exists; {what} never replaces a file") from None
    except OSError as exc:
        raise CvquizError(f"{path}: cannot create {what} ({exc.strerror})") from None


def _reviews(path: Path) -> int:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0])
    finally:
        conn.close()


def _kept_name(path: Path, now: datetime) -> Path:
    """A new dated .bak next to `path`, claimed (created empty, owner-only): never an old one."""
    base = f"{path.name}.{now:%Y-%m-%dT%H%M}"
    for n in range(1, 1000):
        kept = path.with_name(f"{base}.bak" if n == 1 else f"{base}-{n}.bak")
        try:
            claim(kept)
            return kept
        except FileExistsError:
            continue
        except OSError as exc:
            raise CvquizError(f"{kept}: cannot keep the current store ({exc.strerror})") from None
    raise CvquizError(f"{path.parent}: too many backups named {base}*.bak; move some aside")


# --------------------------------------------------------------------------- restore


def restore(home: Path, source: Path, *, now: datetime) -> Restored:
    """Make the store the one in `source`, after checking it; the current one is kept as a .bak."""
    path = db_path(home)
    try:
        info = source.stat()
    except OSError as exc:
        raise CvquizError(
            f"{source}: cannot read it ({exc.strerror}); nothing was replaced"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise CvquizError(f"{source}: not a regular file; nothing was replaced")
    if path.exists() and os.path.samefile(source, path):
        raise CvquizError(f"{source}: is the progress database itself; nothing to restore")
    try:
        home.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=home, prefix=f".{DB_NAME}.", suffix=".restore")
        os.close(fd)
    except OSError as exc:
        raise CvquizError(f"{home}: cannot restore there ({exc.strerror})") from None
    temp = Path(name)
    try:
        _checked_copy(source, temp, now=now)
        if not os.path.lexists(path):
            place(temp, path)
            return Restored(source, None, _reviews(path))
        return _replace(home, path, temp, source, now=now)
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)


def _checked_copy(source: Path, temp: Path, *, now: datetime) -> None:
    """`source` copied to `temp` (a consistent snapshot, its WAL included) and checked there:
    integrity, cvquiz's tables, a schema version this cvquiz knows; then brought up to date."""
    refused = "; nothing was replaced"
    try:
        copy_database(source, temp)
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            if bad := integrity_problems(conn, source):
                raise CvquizError(f"{bad[0]}{refused}")
            check_store(conn, source)
            if problems := schema_problems(conn, source):
                raise CvquizError(f"{problems[0]}{refused}")
            prepare(conn, temp, now=now, busy_timeout_s=BUSY_TIMEOUT_S)
        finally:
            conn.close()
    except UnusableStore as exc:
        raise CvquizError(exc.message.replace("; it was left untouched", "") + refused) from None
    except (CvquizError, sqlite3.Error) as exc:
        if isinstance(exc, CvquizError) and exc.message.endswith(refused):
            raise
        detail = exc.message if isinstance(exc, CvquizError) else str(exc)
        raise CvquizError(f"{source}: not a cvquiz progress database ({detail}){refused}") from None


def _replace(home: Path, path: Path, temp: Path, source: Path, *, now: datetime) -> Restored:
    kept = _kept_name(path, now)
    try:
        try:
            live = open_store(home, now=now)
        except UnusableStore:
            live = None
        if live is not None:
            try:
                with live:
                    return Restored(source, kept, live.replace_with(temp, keep=kept))
            except UnusableStore:
                pass  # damaged pages: replaced as a file below, like a store that cannot be opened
        _swap(path, temp, kept)
        return Restored(source, kept, _reviews(path))
    except BaseException:
        kept.unlink(missing_ok=True)
        raise


def _swap(path: Path, temp: Path, kept: Path) -> None:
    """Replace a store cvquiz cannot read (no session can be using it) by the file `temp`."""
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise CvquizError(
            f"{wal}: holds changes of a store cvquiz cannot read; move {path.name} and its -wal "
            "aside, then restore; nothing was replaced"
        )
    shutil.copyfile(path, kept)
    for leftover in (wal, Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    os.replace(temp, path)


# --------------------------------------------------------------------------- doctor


def _replayer(store: Store):  # -> Replay
    """Replays with the parameters the states were computed with: `optimize`'s, once adopted."""
    from cvquiz.practice.optimize import saved_parameters
    from cvquiz.practice.scheduler import Scheduler

    try:
        parameters = saved_parameters(store)
    except CvquizError:
        parameters = None  # damaged saved parameters: the defaults, and the states will tell
    return Scheduler(fuzz=False, parameters=parameters).replay


def doctor(home: Path, *, repair: bool, now: datetime) -> Checkup:
    """Integrity, schema, every log row, and each card's state against a replay of its log;
    `repair` rebuilds the card states from the log (after a backup) when only they are wrong."""
    path = db_path(home)
    if not os.path.lexists(path):
        return Checkup(path, [], [], exists=False)
    try:
        with open_store(home, now=now, read_only=True) as store:
            replay = _replayer(store)
            audit = store.audit(replay=replay)
    except UnusableStore as exc:
        return Checkup(path, [exc.message], [exc.message])
    found = audit.integrity + audit.damaged + audit.states
    if not (repair and audit.states) or audit.integrity or audit.damaged:
        return Checkup(path, found, found)
    kept = _kept_name(path, now)
    try:
        with open_store(home, now=now) as store:
            try:
                store.backup_to(kept)
            except sqlite3.Error as exc:
                raise CvquizError(f"{kept}: cannot write the backup ({exc})") from None
            store.rebuild_states(replay=replay, write=True)
            after = store.audit(replay=replay)
    except BaseException:
        kept.unlink(missing_ok=True)
        raise
    return Checkup(path, found, after.integrity + after.damaged + after.states, kept=kept)
