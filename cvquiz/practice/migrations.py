"""The progress database's schema history: an ordered `@migration` list, applied once each.

Migrations are small and never edited once released: a new column or table is a new function,
registered below the last one. Each applied name is recorded in the `_migrations` table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from cvquiz.clock import stamp
from cvquiz.errors import CvquizError

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


# --------------------------------------------------------------------------- applying it


def cvquiz_tables(conn: sqlite3.Connection, path: Path) -> set[str]:
    """The file's tables; refuses an SQLite file that is not a cvquiz database."""
    tables = {
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if tables and "_migrations" not in tables:
        raise CvquizError(
            f"{path}: an SQLite file that is not a cvquiz progress database; it was left untouched"
        )
    return tables


def applied(
    conn: sqlite3.Connection, path: Path, *, migrations: Migrations = MIGRATIONS
) -> set[str]:
    """Migrations already applied; refuses a file written by a newer cvquiz."""
    done = {name for (name,) in conn.execute("SELECT name FROM _migrations")}
    unknown = done - set(migrations.names)
    if unknown:
        raise CvquizError(
            f"{path}: written by a newer cvquiz (migrations {', '.join(sorted(unknown))}); upgrade cvquiz"
        )
    return done


def is_current(
    conn: sqlite3.Connection, path: Path, *, migrations: Migrations = MIGRATIONS
) -> bool:
    """Every migration is applied already (so the file can be used without write access)."""
    if "_migrations" not in cvquiz_tables(conn, path):
        return False
    return applied(conn, path, migrations=migrations) == set(migrations.names)


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
