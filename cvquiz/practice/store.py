"""The progress store: one SQLite file with an append-only review log and each card's FSRS state.

The store persists what a session decides; it never schedules. Each rating is one transaction
(card read, the caller's `schedule` applied, log row + new state written), so a killed process
loses nothing rated and two sessions at once both record every review. A file cvquiz must not use
is refused before anything writes to it (see migrations.read_existing)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from cvquiz.bank.cache import collector_paused
from cvquiz.clock import stamp, unstamp, utc_now
from cvquiz.errors import CvquizError
from cvquiz.home import db_path
from cvquiz.practice.migrations import (
    copy_database,
    create_store,
    integrity_problems,
    prepare,
    read_existing,
    schema_problems,
)
from cvquiz.practice.records import (
    CARD_COLUMNS,
    REVIEW_COLUMNS,
    Audit,
    NewReview,
    Recorded,
    Review,
    card_row,
    damaged,
    parse_card,
    parse_review,
    sqlite_error,
)
from cvquiz.practice.scheduler import CardState, Phase, Rating, ReplayEvent

BUSY_TIMEOUT_S = 10.0
# Every time clock.stamp writes (fixed-width UTC text) sorts between these two.
_STAMP_RANGE = ("0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z")
# The newest log row whose time or phase the counts would misread; each branch is an index range.
_DAMAGED_COUNTED_ROW = (
    f"SELECT {REVIEW_COLUMNS} FROM reviews WHERE id = (SELECT max(id) FROM ("
    "SELECT id FROM reviews WHERE reviewed_at < ? UNION ALL SELECT id FROM reviews WHERE "
    "reviewed_at > ? UNION ALL SELECT id FROM reviews WHERE phase_before < 1 UNION ALL "
    "SELECT id FROM reviews WHERE phase_before > 3))"
)
_REVIEWS_BETWEEN = "SELECT COUNT(*) FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ?"

# The decisions the store applies without making them (a Scheduler's `schedule` and `replay`).
Schedule = Callable[[CardState | None], CardState]  # the card as stored (None: new) -> after
Replay = Callable[[str, Iterable[ReplayEvent]], CardState | None]  # key, its log -> its state


class UndoRefused(CvquizError):
    """The card was rated again after the review to undo (by another session)."""


# --------------------------------------------------------------------------- the store


class Store:
    """An open progress database; every method is one short transaction."""

    def __init__(
        self, path: Path, conn: sqlite3.Connection, *, scratch: Path | None = None
    ) -> None:
        self.path = path
        self._db = conn
        self.scratch = scratch  # a private copy's folder (read there), removed on close

    # -- plumbing

    def close(self) -> None:
        self._db.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn any SQLite failure into one line naming the file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise sqlite_error(self.path, exc) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front so concurrent writers queue instead of deadlocking."""
        with self._guard():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: a consistent snapshot without taking the write lock."""
        with self._guard():
            self._db.execute("BEGIN")
            try:
                yield self._db
            finally:
                self._db.execute("COMMIT")

    def check_writable(self) -> None:
        """Fail now, naming the file, if ratings could not be saved (read-only file or folder)."""
        with self._write() as db:
            # BEGIN IMMEDIATE alone succeeds on a read-only file; a write that changes nothing fails.
            db.execute("DELETE FROM settings WHERE 0")

    # -- card states

    def card_state(self, key: str) -> CardState | None:
        with self._guard():
            row = self._db.execute("SELECT state FROM cards WHERE card_key = ?", (key,)).fetchone()
        return parse_card(self.path, key, row[0]) if row else None

    def card_states(self) -> dict[str, CardState]:
        """Every reviewed card's state, including cards whose question left the bank."""
        with self._guard(), collector_paused():
            rows = self._db.execute(
                "SELECT card_key, state FROM cards ORDER BY card_key"
            ).fetchall()
            return {key: parse_card(self.path, key, state) for key, state in rows}

    def due_states(self, *, review_before: datetime, learning_by: datetime) -> dict[str, CardState]:
        """The cards due: review cards due before `review_before`, learning and relearning steps
        due by `learning_by` (read through the index on `due`, so only those rows are parsed)."""
        with self._guard(), collector_paused():
            rows = self._db.execute(
                "SELECT card_key, state FROM cards WHERE due < ? AND phase = ? UNION ALL "
                "SELECT card_key, state FROM cards WHERE due <= ? AND phase != ? ORDER BY card_key",
                (stamp(review_before), int(Phase.REVIEW), stamp(learning_by), int(Phase.REVIEW)),
            ).fetchall()
            return {key: parse_card(self.path, key, state) for key, state in rows}

    def card_keys(self) -> set[str]:
        """The key of every card with progress (no state is parsed)."""
        with self._guard():
            return {k for (k,) in self._db.execute("SELECT card_key FROM cards")}

    def first_reviews_since(self, moment: datetime) -> int:
        """How many cards had their very first review at or after `moment` (the daily new-card count)."""
        with self._guard():
            (n,) = self._db.execute(
                "SELECT COUNT(*) FROM cards WHERE first_review >= ?", (stamp(moment),)
            ).fetchone()
        return int(n)

    # -- reviews

    def record_review(self, review: NewReview, *, schedule: Schedule) -> Recorded:
        """Record a rating: read the card, apply `schedule` to it and write log + state, all in one
        transaction; if `schedule` raises, nothing is written."""
        key, now = review.key, review.at
        with self._write() as db:
            row = db.execute(
                "SELECT state, first_review FROM cards WHERE card_key = ?", (key,)
            ).fetchone()
            before = parse_card(self.path, key, row[0]) if row else None
            after = schedule(before)
            cursor = db.execute(
                f"INSERT INTO reviews ({REVIEW_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key, int(review.rating), stamp(now), review.duration_ms,
                    review.typed_answer,
                    json.dumps(review.coverage) if review.coverage is not None else None,
                    review.session_id, int(before.phase) if before else None, stamp(after.due),
                    review.retention, int(review.cram), int(review.interview),
                ),
            )  # fmt: skip
            self._put_card(db, key, after, first_review=row[1] if row else stamp(now))
            review_id = int(cursor.lastrowid or 0)
        return Recorded(review_id=review_id, before=before, after=after)

    def undo_review(self, review_id: int, *, replay: Replay) -> CardState | None:
        """Delete one log row and rebuild its card from the rows left with `replay` (None: the card
        is new again).

        Refused when the card was rated again since: replaying that later review without this one
        would give a state FSRS never produced.
        """
        with self._write() as db:
            row = db.execute("SELECT card_key FROM reviews WHERE id = ?", (review_id,)).fetchone()
            if row is None:
                raise CvquizError(
                    f"{self.path}: review {review_id} is not in the log (undone already?)"
                )
            key = row[0]
            later = db.execute(
                "SELECT 1 FROM reviews WHERE card_key = ? AND id > ? LIMIT 1", (key, review_id)
            ).fetchone()
            if later is not None:
                raise UndoRefused(
                    f"{self.path}: card {key} was rated again after review {review_id} (another "
                    "session); that review stands"
                )
            db.execute("DELETE FROM reviews WHERE id = ?", (review_id,))
            card, first = self._replay(db, key, replay)
            if card is None:
                db.execute("DELETE FROM cards WHERE card_key = ?", (key,))
            else:
                self._put_card(db, key, card, first_review=first)
        return card

    def reviews(
        self, *, key: str | None = None, session_id: str | None = None, limit: int | None = None
    ) -> list[Review]:
        """Log rows, newest first."""
        where, args = [], []
        if key is not None:
            where.append("card_key = ?")
            args.append(key)
        if session_id is not None:
            where.append("session_id = ?")
            args.append(session_id)
        sql = f"SELECT {REVIEW_COLUMNS} FROM reviews"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._guard():
            rows = self._db.execute(sql, args).fetchall()
        return [parse_review(self.path, r) for r in rows]

    def review_count(self) -> int:
        with self._guard():
            return int(self._db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0])

    def review_totals(self) -> tuple[int, int, int]:
        """(reviews, those of review-state cards, those of them passed), counted by SQLite. A damaged
        time or phase is still one error: the indexes find a time outside the stamps' range (like
        'yesterday') or a phase outside 1-3 at once."""
        with self._read() as db:
            bad = db.execute(_DAMAGED_COUNTED_ROW, _STAMP_RANGE).fetchone()
            if bad is not None:
                parse_review(self.path, bad)  # raises, naming the review and its card
            (total,) = db.execute("SELECT COUNT(*) FROM reviews").fetchone()
            in_review, passed = db.execute(
                "SELECT COUNT(*), COUNT(CASE WHEN rating != ? THEN 1 END) FROM reviews "
                "WHERE phase_before = ?", (int(Rating.AGAIN), int(Phase.REVIEW)),
            ).fetchone()  # fmt: skip
        return int(total), int(in_review), int(passed)

    def reviews_between(self, bounds: Sequence[datetime]) -> list[int]:
        """How many reviews fall in each [bounds[i], bounds[i + 1]) (the index on `reviewed_at`)."""
        stamps, sql = [stamp(b) for b in bounds], _REVIEWS_BETWEEN
        with self._read() as db:
            return [db.execute(sql, r).fetchone()[0] for r in zip(stamps, stamps[1:], strict=False)]

    def rebuild_states(self, *, replay: Replay, write: bool = False) -> dict[str, CardState]:
        """Every card's state replayed from the log alone; `write` replaces the stored states with it."""
        with self._write() if write else self._read() as db:
            keys = [
                k for (k,) in db.execute("SELECT DISTINCT card_key FROM reviews ORDER BY card_key")
            ]
            rebuilt = {}
            for key in keys:
                card, first = self._replay(db, key, replay)
                assert card is not None
                rebuilt[key] = card
                if write:
                    self._put_card(db, key, card, first_review=first)
            if write:
                db.execute(
                    "DELETE FROM cards WHERE card_key NOT IN (SELECT DISTINCT card_key FROM reviews)"
                )
        return rebuilt

    # -- care (doctor, backup, restore)

    def audit(self, *, replay: Replay) -> Audit:
        """Integrity, every log row read, and each card's saved row against a replay of its log."""
        with self._read() as db, collector_paused():
            integrity = integrity_problems(db, self.path) or schema_problems(db, self.path)
            if integrity:
                return Audit(integrity, [], [])
            damaged_rows = []
            for row in db.execute(f"SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY id"):
                try:
                    parse_review(self.path, row)
                except CvquizError as exc:
                    damaged_rows.append(exc.message)
            if damaged_rows:  # a replay would stop at the first one
                return Audit([], damaged_rows, [])
            saved = {k: v for k, *v in db.execute(f"SELECT card_key, {CARD_COLUMNS} FROM cards")}
            states = []
            for (key,) in db.execute("SELECT DISTINCT card_key FROM reviews ORDER BY 1").fetchall():
                card, first = self._replay(db, key, replay)
                if card is None or saved.pop(key, None) != list(card_row(card, first or "")):
                    states.append(
                        f"{self.path}: card {key}: its saved state is not its log's replay"
                    )
            states += [f"{self.path}: card {k}: a saved state but no review" for k in sorted(saved)]
        return Audit([], [], states)

    def backup_to(self, dest: Path) -> None:
        """Copy what is committed to `dest`: one consistent snapshot, while sessions go on rating."""
        copy_database(self._db, dest)

    def replace_with(self, source: Path, *, keep: Path) -> int:
        """Save this store to `keep`, then make every row that of `source` (a store of the same
        schema), in one write transaction: a session rating meanwhile waits for it, then writes
        into the restored log, so none of its ratings is lost. Returns the reviews restored."""
        with self._guard():
            self._db.execute("ATTACH DATABASE ? AS src", (str(source),))
        try:
            with self._write() as db:
                # From a second connection: a backup from this one would wait on its own write
                # transaction for ever; in WAL mode a reader sees what is committed, unblocked.
                copy_database(self.path, keep)
                tables = db.execute(
                    "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                ).fetchall()
                for (table,) in tables:
                    cols = ", ".join(r[1] for r in db.execute(f"PRAGMA main.table_info({table})"))
                    db.execute(f"DELETE FROM main.{table}")  # noqa: S608 - the file's own names
                    db.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM src.{table}")  # noqa: S608
                (n,) = db.execute("SELECT COUNT(*) FROM main.reviews").fetchone()
        finally:
            with self._guard():
                self._db.execute("DETACH DATABASE src")
        return int(n)

    def _replay(
        self, db: sqlite3.Connection, key: str, replay: Replay
    ) -> tuple[CardState | None, str | None]:
        """The card rebuilt from its log rows, and its first review's stamp (None, None: no rows)."""
        rows = db.execute(
            "SELECT id, rating, reviewed_at, due_after FROM reviews WHERE card_key = ? ORDER BY id",
            (key,),
        ).fetchall()
        if not rows:
            return None, None
        # Each logged due date carries its interval (fuzz included), so a replay matches the log.
        events = []
        for rid, rating, at, due in rows:
            try:
                events.append((Rating(rating), unstamp(at), unstamp(due)))
            except (ValueError, TypeError) as exc:
                raise damaged(self.path, f"review {rid} of card {key}", exc) from None
        return replay(key, events), rows[0][2]

    @staticmethod
    def _put_card(db: sqlite3.Connection, key: str, card: CardState, *, first_review: str) -> None:
        db.execute(
            f"INSERT INTO cards (card_key, {CARD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (card_key) DO UPDATE SET state = excluded.state, due = excluded.due, "
            "phase = excluded.phase, lapses = excluded.lapses, first_review = excluded.first_review",
            (key, *card_row(card, first_review)),
        )

    # -- skips and settings

    def skip(self, key: str, day: date) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO skips (card_key, day) VALUES (?, ?)", (key, day.isoformat())
            )

    def skipped(self, day: date) -> set[str]:
        with self._guard():
            rows = self._db.execute("SELECT card_key FROM skips WHERE day = ?", (day.isoformat(),))
            return {k for (k,) in rows}

    def setting(self, name: str) -> str | None:
        with self._guard():
            row = self._db.execute("SELECT value FROM settings WHERE key = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_setting(self, name: str, value: str) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def reset(self) -> int:
        """Forget all progress (log, states, skips); settings stay. Returns the reviews removed."""
        with self._write() as db:
            (n,) = db.execute("SELECT COUNT(*) FROM reviews").fetchone()
            for table in ("reviews", "cards", "skips"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
        return int(n)


# --------------------------------------------------------------------------- opening


def open_store(home: Path, *, now: datetime | None = None, read_only: bool = False) -> Store:
    """Open <home>/progress.db, bring its schema up to date and check it can record ratings.

    An existing file is first read without write access, so one cvquiz must refuse is refused before
    anything could write to it; `read_only` (stats, history, list --due) keeps that connection for
    an up-to-date file, so a read-only file or folder still reads.
    """
    path, now = db_path(home), now or utc_now()
    if os.path.lexists(path):
        found = read_existing(path, now=now)
        if found is not None:
            store = Store(path, found[0], scratch=found[1])
            if read_only:
                return store
            store.close()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CvquizError(
            f"{home}: cannot create the cvquiz data folder ({exc.strerror}); set CVQUIZ_HOME to a writable folder"
        ) from None
    if not path.exists():
        create_store(path, now=now)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise sqlite_error(path, exc) from None
    store = Store(path, conn)
    try:
        prepare(conn, path, now=now, busy_timeout_s=BUSY_TIMEOUT_S)
        if not read_only:
            store.check_writable()
    except BaseException:
        conn.close()
        raise
    return store


def applied_migrations(store: Store) -> list[str]:
    """The names in the file's `_migrations` table, in the order they were applied."""
    with store._guard():
        return [n for (n,) in store._db.execute("SELECT name FROM _migrations ORDER BY rowid")]
