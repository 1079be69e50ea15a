"""The progress database's file: its schema history, the checks that refuse a file, new files.

Migrations are an ordered `@migration` list, small and never edited once released: a new column or
table is a new function, registered below the last one; each applied name is recorded in the
`_migrations` table. `check_store` refuses, reading only, a file cvquiz must not use (empty,
another app's, newer); `create_store` makes a new file complete or not at all; `read_existing`
opens a file without write access, even in a read-only folder whose WAL has no index.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from cvquiz.clock import stamp
from cvquiz.errors import CvquizError
from cvquiz.home import DB_NAME
from cvquiz.practice.records import UnusableStore, sqlite_error

Migration = Callable[[sqlite3.Connection], None]


class Migrations:
    """Migrations in the order they apply; registering is the decorator `@migrations`."""

    def __init__(self) -> None:
        self._steps: list[Migration] = []

    def __call__(self, step: Migration) -> Migration:
        """Register `step` after the others; a name twice, or one sorting before the last, is a bug."""
        name = step.__name__
        if name in self.names:
            raise ValueError(f"migration {name} is registered twice")
        # Names sort in the order they apply, so `_migrations` reads in order by name too.
        if self._steps and name <= self._steps[-1].__name__:
            raise ValueError(f"migration {name} must sort after {self._steps[-1].__name__}")
        self._steps.append(step)
        return step

    def __iter__(self) -> Iterator[Migration]:
        return iter(self._steps)

    def __len__(self) -> int:
        return len(self._steps)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(step.__name__ for step in self._steps)


MIGRATIONS = Migrations()
migration = MIGRATIONS


# --------------------------------------------------------------------------- the history


@migration
def m001_initial(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE reviews (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            card_key TEXT NOT NULL,            -- bank-id/question-id
            rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
            reviewed_at TEXT NOT NULL,         -- UTC, fixed width
            duration_ms INTEGER,
            typed_answer TEXT,
            coverage TEXT,                     -- JSON {"hit": [...], "missed": [...]} in typed mode
            session_id TEXT NOT NULL,
            phase_before INTEGER,              -- fsrs State before the review; NULL for a new card
            due_after TEXT NOT NULL,           -- as scheduled (fuzz included), so replays match
            retention REAL NOT NULL,
            cram INTEGER NOT NULL DEFAULT 0
        )"""
    )
    db.execute("CREATE INDEX reviews_by_card ON reviews (card_key, id)")
    db.execute("CREATE INDEX reviews_by_session ON reviews (session_id, id)")
    db.execute(
        """CREATE TABLE cards (
            card_key TEXT PRIMARY KEY,
            state TEXT NOT NULL,               -- CardState.to_dict() as JSON
            due TEXT NOT NULL,
            phase INTEGER NOT NULL,
            lapses INTEGER NOT NULL,
            first_review TEXT NOT NULL
        )"""
    )


@migration
def m002_skips_and_settings(db: sqlite3.Connection) -> None:
    db.execute(
        "CREATE TABLE skips (card_key TEXT NOT NULL, day TEXT NOT NULL, PRIMARY KEY (card_key, day))"
    )
    db.execute("CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migration
def m003_indexes_for_scale(db: sqlite3.Connection) -> None:
    """Indexes only (no row is read or written): due cards, the day's new cards, and the log's
    counts by time and by phase, so no screen reads every review (see issue 12)."""
    db.execute("CREATE INDEX cards_by_due ON cards (due)")
    db.execute("CREATE INDEX cards_by_first_review ON cards (first_review)")
    db.execute("CREATE INDEX reviews_by_time ON reviews (reviewed_at)")
    db.execute("CREATE INDEX reviews_by_phase ON reviews (phase_before, rating)")


@migration
def m004_card_marks(db: sqlite3.Connection) -> None:
    """Suspended and flagged cards (a row only for a card marked), and a column that marks the
    reviews of a mock interview."""
    db.execute(
        """CREATE TABLE marks (
            card_key TEXT PRIMARY KEY,
            suspended INTEGER NOT NULL DEFAULT 0,
            flag INTEGER NOT NULL DEFAULT 0,   -- 0 none, 1-4 Anki's red, orange, green, blue
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("ALTER TABLE reviews ADD COLUMN interview INTEGER NOT NULL DEFAULT 0")


# --------------------------------------------------------------------------- applying it


def check_store(
    conn: sqlite3.Connection, path: Path, *, migrations: Migrations = MIGRATIONS
) -> bool:
    """Whether every migration is applied already; refuses, reading only, a file that is not a
    cvquiz store or was written by a newer cvquiz. cvquiz creates a store complete (see
    `create_store`), so any file without `_migrations` is someone else's, never adopted."""
    tables = {
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if "_migrations" not in tables:
        what = "an SQLite file with other tables" if tables else "an SQLite file with no tables"
        raise UnusableStore(
            f"{path}: {what}, not a cvquiz progress database; it was left untouched: move it "
            "aside to start afresh"
        )
    return applied(conn, path, migrations=migrations) == set(migrations.names)


def applied(
    conn: sqlite3.Connection, path: Path, *, migrations: Migrations = MIGRATIONS
) -> set[str]:
    """Migrations already applied; refuses a file written by a newer cvquiz."""
    done = {name for (name,) in conn.execute("SELECT name FROM _migrations")}
    unknown = done - set(migrations.names)
    if unknown:
        raise UnusableStore(
            f"{path}: written by a newer cvquiz (migrations {', '.join(sorted(unknown))}); upgrade cvquiz"
        )
    return done


def integrity_problems(conn: sqlite3.Connection, path: Path) -> list[str]:
    """SQLite's integrity check, each finding on one line naming the file (none: healthy)."""
    found = [m for (m,) in conn.execute("PRAGMA integrity_check(20)") if m != "ok"]
    return [f"{path}: fails SQLite's integrity check ({' '.join(m.split())})" for m in found]


def schema_problems(conn: sqlite3.Connection, path: Path) -> list[str]:
    """The tables and columns its applied migrations should have made but the file lacks."""
    expected = sqlite3.connect(":memory:", isolation_level=None)
    done = applied(conn, path)
    migrate(expected, path, now=datetime(2000, 1, 1, tzinfo=UTC), migrations=_only(done))
    problems = []
    for (table,) in expected.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        want = [row[1] for row in expected.execute(f"PRAGMA table_info({table})")]
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if not have:
            problems.append(f"{path}: table {table} is missing")
        elif missing := [c for c in want if c not in have]:
            problems.append(f"{path}: table {table} lacks column {', '.join(missing)}")
    expected.close()
    return problems


def _only(names: set[str]) -> Migrations:
    subset = Migrations()
    for step in MIGRATIONS:
        if step.__name__ in names:
            subset(step)
    return subset


def migrate(
    conn: sqlite3.Connection, path: Path, *, now: datetime, migrations: Migrations = MIGRATIONS
) -> None:
    """Apply the migrations not yet applied, in order, each in its own write transaction."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = applied(conn, path, migrations=migrations)
    for step in migrations:
        if step.__name__ in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have applied it while we waited for the lock.
            if (
                conn.execute(
                    "SELECT 1 FROM _migrations WHERE name = ?", (step.__name__,)
                ).fetchone()
                is None
            ):
                step(conn)
                conn.execute(
                    "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                    (step.__name__, stamp(now)),
                )
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def prepare(conn: sqlite3.Connection, path: Path, *, now: datetime, busy_timeout_s: float) -> None:
    """Make a connection ready to write: refuse the file or bring it up to date."""
    try:
        # Reads first: a file cvquiz must refuse fails here, before anything could write to it.
        check_store(conn, path)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a rating acknowledged on screen survives a killed process and a power cut alike.
        conn.execute("PRAGMA synchronous = FULL")
        migrate(conn, path, now=now)
    except sqlite3.Error as exc:
        raise sqlite_error(path, exc) from None


# --------------------------------------------------------------------------- a new file


def claim(path: Path) -> None:
    """Create `path` empty and readable by its owner only; FileExistsError when anything is there
    already, a dangling link included (never followed)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    os.close(os.open(path, flags, 0o600))


def place(temp: Path, path: Path) -> None:
    """Move `temp` to `path`, never replacing anything there (FileExistsError)."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if os.path.lexists(path):
            raise FileExistsError(path) from None
        os.rename(temp, path)
        return
    temp.unlink()


def create_store(path: Path, *, now: datetime) -> None:
    """A new store at `path`, complete or not at all: built under a temporary name next to it, mode
    0o600 (SQLite gives its -wal and -shm the file's mode), and linked into place once migrated.
    So cvquiz never leaves an empty or half-made progress.db, and refuses any such file it finds.
    Another process that creates it first wins; its file is kept."""
    try:
        _create(path, now=now)
    except OSError as exc:
        raise CvquizError(
            f"{path}: cannot create the progress database ({exc.strerror}); set CVQUIZ_HOME to a "
            "writable folder"
        ) from None
    except sqlite3.Error as exc:
        raise sqlite_error(path, exc) from None


def _create(path: Path, *, now: datetime) -> None:
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new")
    os.close(fd)
    temp = Path(name)
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn, temp, now=now)
        finally:
            conn.close()
        try:
            place(temp, path)
        except FileExistsError:
            pass
    finally:
        for leftover in (temp, Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)


def copy_database(source: sqlite3.Connection | Path, dest: Path) -> None:
    """Copy what `source` (a connection, or a file read without write access) has committed to
    `dest`: SQLite's online backup, one consistent snapshot while other connections write.
    Raises sqlite3.Error for the caller to name the file."""
    conn = source
    if isinstance(source, Path):
        conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(dest, isolation_level=None)
        try:
            conn.backup(target)  # type: ignore[union-attr]
        finally:
            target.close()
    finally:
        if conn is not source:
            conn.close()  # type: ignore[union-attr]


# --------------------------------------------------------------------------- reading a file as it is

Opened = tuple[
    sqlite3.Connection, Path | None
]  # a connection, and the private copy's folder if any


def read_existing(path: Path, *, now: datetime) -> Opened | None:
    """The existing file opened without write access once `check_store` passes (None: it needs
    migrating first). A file cvquiz must not use is refused here, before anything could write."""
    try:
        info = path.stat()
    except OSError as exc:  # a link to nothing, a loop
        raise UnusableStore(
            f"{path}: cannot be read ({exc.strerror}); it was left untouched"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise CvquizError(f"{path}: is a directory, not a progress database")
    if not stat.S_ISREG(info.st_mode):
        raise UnusableStore(f"{path}: not a regular file, not a progress database")
    if info.st_size == 0:
        raise UnusableStore(
            f"{path}: an empty file (0 bytes), not a cvquiz progress database; it was left "
            "untouched: delete it to start afresh"
        )
    try:
        conn = _connect_uri(path, "mode=ro")
    except sqlite3.OperationalError:
        # mode=ro needs the WAL index (-shm) next to the file: a read-only folder may lack one.
        # immutable then reads the file alone, which is right only while the WAL holds nothing;
        # else the file and its WAL are read from a private copy (never a partial history).
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            return _private_copy(path, now)
        try:
            conn = _connect_uri(path, "immutable=1")
        except sqlite3.Error as exc:
            raise sqlite_error(path, exc) from None
    try:
        current = check_store(conn, path)
    except sqlite3.Error as exc:
        conn.close()
        raise sqlite_error(path, exc) from None
    except BaseException:
        conn.close()
        raise
    if current:
        return conn, None
    conn.close()
    return None


def _connect_uri(path: Path, flags: str) -> sqlite3.Connection:
    """A connection whose first read succeeded (SQLite opens lazily); OperationalError when the
    file cannot be opened so, one line naming it when it is no database."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True, isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        conn.close()
        raise
    except sqlite3.Error as exc:
        conn.close()
        raise sqlite_error(path, exc) from None
    return conn


def _private_copy(path: Path, now: datetime) -> Opened:
    """The file and its WAL copied to a private folder and read there (the user's files are only
    read); an older schema is migrated in the copy."""
    scratch = Path(tempfile.mkdtemp(prefix="cvquiz-store-"))
    conn = None
    try:
        for suffix in ("", "-wal"):
            shutil.copyfile(f"{path}{suffix}", scratch / f"{DB_NAME}{suffix}")
        conn = sqlite3.connect(scratch / DB_NAME, isolation_level=None)
        if not check_store(conn, path):
            migrate(conn, path, now=now)
        return conn, scratch
    except BaseException as exc:
        if conn is not None:
            conn.close()
        shutil.rmtree(scratch, ignore_errors=True)
        if isinstance(exc, OSError):
            raise CvquizError(
                f"{path}: cannot read the progress database ({exc.strerror})"
            ) from None
        if isinstance(exc, sqlite3.Error):
            raise sqlite_error(path, exc) from None
        raise
