"""The progress store: migrations, one transaction per rating, undo, rebuild, and refusing bad files."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW, record

from cvquiz.errors import CvquizError
from cvquiz.home import home_dir
from cvquiz.practice.migrations import MIGRATIONS
from cvquiz.practice.records import NewReview
from cvquiz.practice.scheduler import Rating, Scheduler, new_card
from cvquiz.practice.store import applied_migrations, open_store


@pytest.fixture
def store(tmp_path: Path):
    with open_store(tmp_path / "home", now=NOW) as s:
        yield s


def test_home_is_env_override_else_platform_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert home_dir({"CVQUIZ_HOME": str(tmp_path)}) == tmp_path
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert home_dir({}) == tmp_path / ".local" / "share" / "cvquiz"  # platformdirs on Linux


def test_migrations_run_once_in_order_and_wal_is_on(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open_store(home, now=NOW) as s:
        assert applied_migrations(s) == [
            "m001_initial", "m002_skips_and_settings", "m003_indexes_for_scale", "m004_card_marks",
        ]  # fmt: skip
    with open_store(home, now=NOW + timedelta(days=1)) as s:
        assert applied_migrations(s) == [m.__name__ for m in MIGRATIONS]
    db = sqlite3.connect(home / "progress.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = db.execute("SELECT name, applied_at FROM _migrations").fetchall()
    assert rows == [
        ("m001_initial", "2026-11-25T12:00:00.000000Z"),
        ("m002_skips_and_settings", "2026-11-25T12:00:00.000000Z"),
        ("m003_indexes_for_scale", "2026-11-25T12:00:00.000000Z"),
        ("m004_card_marks", "2026-11-25T12:00:00.000000Z"),
    ]


def test_a_rating_writes_the_log_row_and_the_card_state(store) -> None:
    s = Scheduler(fuzz=False)
    review = NewReview("b/q1", Rating.GOOD, at=NOW, session_id="s1", retention=s.retention,
                       duration_ms=1500, typed_answer="skip", coverage={"hit": ["a"], "missed": ["b"]})  # fmt: skip
    rec = store.record_review(review, schedule=s.schedule("b/q1", Rating.GOOD, now=NOW))
    assert rec.before is None
    assert rec.after == s.review(new_card("b/q1", NOW), Rating.GOOD, NOW)
    assert store.card_state("b/q1") == rec.after
    (row,) = store.reviews()
    assert (row.id, row.key, row.rating, row.reviewed_at, row.duration_ms, row.typed_answer) == (
        rec.review_id,
        "b/q1",
        Rating.GOOD,
        NOW,
        1500,
        "skip",
    )
    assert row.coverage == {"hit": ["a"], "missed": ["b"]}
    assert row.phase_before is None and row.due_after == NOW + timedelta(minutes=10)
    assert store.first_reviews_since(NOW) == 1
    assert store.first_reviews_since(NOW + timedelta(seconds=1)) == 0


def test_a_second_rating_reads_the_stored_state(store) -> None:
    s = Scheduler(fuzz=False)
    first = record(store, "b/q", Rating.GOOD, now=NOW, scheduler=s, session_id="s")
    later = NOW + timedelta(minutes=10)
    second = record(store, "b/q", Rating.GOOD, now=later, scheduler=s, session_id="s")
    assert second.before == first.after
    assert second.after == s.review(first.after, Rating.GOOD, later)
    assert [r.phase_before for r in store.reviews()] == [1, None]


def test_undo_restores_the_previous_state_and_a_first_review_makes_the_card_new(store) -> None:
    s = Scheduler(fuzz=False)
    a = record(store, "b/q", Rating.GOOD, now=NOW, scheduler=s, session_id="s")
    b = record(
        store, "b/q", Rating.AGAIN, now=NOW + timedelta(minutes=3), scheduler=s, session_id="s"
    )
    assert store.undo_review(b.review_id, replay=s.replay) == a.after
    assert store.card_state("b/q") == a.after
    assert [r.id for r in store.reviews()] == [a.review_id]
    assert store.undo_review(a.review_id, replay=s.replay) is None
    assert store.card_state("b/q") is None and store.card_states() == {}
    assert store.first_reviews_since(NOW) == 0
    with pytest.raises(CvquizError, match="not in the log"):
        store.undo_review(a.review_id, replay=s.replay)


def test_rebuild_from_the_log_equals_the_incremental_state(store) -> None:
    rng = random.Random(3)
    random.seed(11)  # fsrs fuzz draws from the global generator: fuzz stays on here on purpose
    s = Scheduler(retention=0.9, fuzz=True)
    keys = [f"b/q{i}" for i in range(6)]
    at = NOW
    for _ in range(120):
        key = rng.choice(keys)
        record(
            store, key, Rating(rng.choice([1, 2, 3, 3, 3, 4])), now=at, scheduler=s, session_id="x"
        )
        at += timedelta(hours=rng.choice([0.1, 5, 30, 200]))
    incremental = store.card_states()
    assert set(incremental) == set(keys)
    assert store.rebuild_states(replay=Scheduler(fuzz=False).replay) == incremental
    assert sum(c.reps for c in incremental.values()) == 120
    # Rewriting the stored states from the log changes nothing.
    store.rebuild_states(replay=Scheduler(fuzz=False).replay, write=True)
    assert store.card_states() == incremental


def test_skips_settings_and_reset(store) -> None:
    s = Scheduler(fuzz=False)
    day = NOW.date()
    store.skip("b/q", day)
    store.skip("b/q", day)
    assert store.skipped(day) == {"b/q"} and store.skipped(day + timedelta(days=1)) == set()
    store.set_setting("retention", "0.85")
    store.set_setting("retention", "0.8")
    assert store.setting("retention") == "0.8" and store.setting("nope") is None
    record(store, "b/q", Rating.GOOD, now=NOW, scheduler=s, session_id="s")
    assert store.reset() == 1
    assert store.reviews() == [] and store.card_states() == {} and store.skipped(day) == set()
    assert store.setting("retention") == "0.8"


def test_garbage_file_is_one_error_and_left_unchanged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    garbage = bytes(random.Random(1).randrange(256) for _ in range(5000))
    (home / "progress.db").write_bytes(garbage)
    with pytest.raises(CvquizError) as err:
        open_store(home, now=NOW)
    assert str(err.value).startswith(f"{home / 'progress.db'}: the progress database is unreadable")
    assert "\n" not in str(err.value)
    assert (home / "progress.db").read_bytes() == garbage
    assert sorted(p.name for p in home.iterdir()) == ["progress.db"]


def test_another_sqlite_database_is_refused_and_untouched(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    other = sqlite3.connect(home / "progress.db")
    other.execute("CREATE TABLE notes (x)")
    other.commit()
    other.close()
    before = (home / "progress.db").read_bytes()
    with pytest.raises(CvquizError, match="not a cvquiz progress database; it was left untouched"):
        open_store(home, now=NOW)
    assert (home / "progress.db").read_bytes() == before


def test_a_database_from_a_newer_cvquiz_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    open_store(home, now=NOW).close()
    db = sqlite3.connect(home / "progress.db")
    db.execute("INSERT INTO _migrations VALUES ('m099_future', 'x')")
    db.commit()
    db.close()
    with pytest.raises(CvquizError, match=r"newer cvquiz \(migrations m099_future\)"):
        open_store(home, now=NOW)


def test_unwritable_home_is_one_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CvquizError, match=r"file/home: cannot create the cvquiz data folder"):
        open_store(blocker / "home", now=NOW)
    (tmp_path / "dir" / "progress.db").mkdir(parents=True)
    with pytest.raises(CvquizError, match="is a directory, not a progress database"):
        open_store(tmp_path / "dir", now=NOW)


def test_card_states_are_stored_as_fsrs_card_json(store) -> None:
    record(store, "b/q", Rating.EASY, now=NOW, scheduler=Scheduler(fuzz=False), session_id="s")
    raw = store._db.execute("SELECT state, due, phase, lapses FROM cards").fetchone()
    data = json.loads(raw[0])
    assert set(data) == {
        "card_id",
        "state",
        "step",
        "stability",
        "difficulty",
        "due",
        "last_review",
        "reps",
        "lapses",
    }
    assert raw[1:] == ("2026-12-03T12:00:00.000000Z", 2, 0)


def test_a_writer_that_holds_the_lock_too_long_is_one_clear_error(
    tmp_path: Path, monkeypatch
) -> None:
    import cvquiz.practice.store as store_module

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.2)
    home = tmp_path / "home"
    with open_store(home, now=NOW) as s:
        other = sqlite3.connect(home / "progress.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(CvquizError, match=r"progress.db: the progress database is busy"):
            record(s, "b/q", Rating.GOOD, now=NOW, scheduler=Scheduler(fuzz=False), session_id="s")
        other.execute("ROLLBACK")
        record(s, "b/q", Rating.GOOD, now=NOW, scheduler=Scheduler(fuzz=False), session_id="s")
        assert len(s.reviews()) == 1


def test_damaged_pages_are_one_error_and_the_file_is_not_rewritten(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open_store(home, now=NOW) as s:
        for i in range(300):
            record(
                s, f"b/q{i}", Rating.GOOD, now=NOW, scheduler=Scheduler(fuzz=False), session_id="s"
            )
    path = home / "progress.db"
    data = bytearray(path.read_bytes())
    assert len(data) > 8 * 4096
    data[4096 * 2 : 4096 * 6] = bytes(random.Random(2).randrange(256) for _ in range(4096 * 4))
    path.write_bytes(bytes(data))
    with pytest.raises(
        CvquizError,
        match=r"progress.db: the progress database is unreadable \(database disk image is malformed\)",
    ):
        with open_store(home, now=NOW) as s:
            s.card_states()
            s.reviews()
    assert path.read_bytes() == bytes(data)


# --------------------------------------------------------------------------- the @migration list


def test_migrations_register_in_order_and_refuse_a_duplicate_or_out_of_order_name() -> None:
    from cvquiz.practice.migrations import Migrations

    registry = Migrations()

    @registry
    def m001_a(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE a (x)")

    @registry
    def m002_b(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE b (x)")

    assert registry.names == ("m001_a", "m002_b") and list(registry) == [m001_a, m002_b]

    def m002_b_again(db: sqlite3.Connection) -> None: ...

    m002_b_again.__name__ = "m002_b"
    with pytest.raises(ValueError, match="migration m002_b is registered twice"):
        registry(m002_b_again)

    def m000_late(db: sqlite3.Connection) -> None: ...

    with pytest.raises(ValueError, match="migration m000_late must sort after m002_b"):
        registry(m000_late)
    assert registry.names == ("m001_a", "m002_b")  # a refused one is not registered


def test_the_real_migrations_keep_their_names_and_order() -> None:
    assert MIGRATIONS.names == (
        "m001_initial", "m002_skips_and_settings", "m003_indexes_for_scale", "m004_card_marks",
    )  # fmt: skip


def test_migrate_applies_a_registry_in_order_once_and_records_each_name(tmp_path: Path) -> None:
    from cvquiz.practice.migrations import Migrations, migrate

    registry = Migrations()
    ran: list[str] = []

    @registry
    def m001_a(db: sqlite3.Connection) -> None:
        ran.append("a")
        db.execute("CREATE TABLE a (x)")

    @registry
    def m002_b(db: sqlite3.Connection) -> None:
        ran.append("b")
        db.execute("INSERT INTO a VALUES (1)")  # needs m001_a first

    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    migrate(conn, tmp_path / "x.db", now=NOW, migrations=registry)
    migrate(conn, tmp_path / "x.db", now=NOW + timedelta(days=1), migrations=registry)
    assert ran == ["a", "b"]
    assert conn.execute("SELECT name, applied_at FROM _migrations ORDER BY rowid").fetchall() == [
        ("m001_a", "2026-11-25T12:00:00.000000Z"),
        ("m002_b", "2026-11-25T12:00:00.000000Z"),
    ]
    conn.close()


def test_an_older_store_gets_only_the_missing_migration(tmp_path: Path) -> None:
    from cvquiz.practice.migrations import m001_initial

    home = tmp_path / "home"
    home.mkdir()
    old = sqlite3.connect(home / "progress.db", isolation_level=None)
    old.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    m001_initial(old)
    old.execute("INSERT INTO _migrations VALUES ('m001_initial', '2026-01-01T00:00:00.000000Z')")
    old.close()
    with open_store(home, now=NOW) as s:
        assert applied_migrations(s) == [
            "m001_initial", "m002_skips_and_settings", "m003_indexes_for_scale", "m004_card_marks",
        ]  # fmt: skip
        s.set_setting("retention", "0.85")  # m002's table is there
    db = sqlite3.connect(home / "progress.db")
    assert db.execute("SELECT name, applied_at FROM _migrations ORDER BY rowid").fetchall() == [
        ("m001_initial", "2026-01-01T00:00:00.000000Z"),
        ("m002_skips_and_settings", "2026-11-25T12:00:00.000000Z"),
        ("m003_indexes_for_scale", "2026-11-25T12:00:00.000000Z"),
        ("m004_card_marks", "2026-11-25T12:00:00.000000Z"),
    ]


# --------------------------------------------------------------------------- the store records, never decides


def test_the_store_writes_the_state_its_schedule_step_decides(store) -> None:
    s = Scheduler(fuzz=False)
    first = record(store, "b/q", Rating.GOOD, now=NOW, scheduler=s, session_id="s")
    seen: list[object] = []
    decided = s.review(new_card("b/q", NOW), Rating.EASY, NOW)  # any state the caller chooses

    def schedule(before):
        seen.append(before)
        # Called inside the store's write: no other writer can get in between read and write.
        other = sqlite3.connect(store.path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
        return decided

    later = NOW + timedelta(minutes=10)
    review = NewReview("b/q", 2, at=later, session_id="s", retention=0.85, cram=True)
    rec = store.record_review(review, schedule=schedule)
    assert seen == [first.after]  # the card as stored, read inside the write
    assert (rec.before, rec.after) == (first.after, decided)
    assert store.card_state("b/q") == decided
    (row, _) = store.reviews()
    assert (row.rating, row.reviewed_at, row.phase_before, row.due_after) == (
        Rating.HARD,
        later,
        first.after.phase,
        decided.due,
    )
    assert (row.retention, row.cram) == (0.85, True)


def test_a_schedule_step_that_raises_leaves_nothing_written(store) -> None:
    def broken(before):
        raise RuntimeError("the scheduler failed")

    review = NewReview("b/q", Rating.GOOD, at=NOW, session_id="s", retention=0.9)
    with pytest.raises(RuntimeError, match="the scheduler failed"):
        store.record_review(review, schedule=broken)
    assert store.reviews() == [] and store.card_states() == {}
    raw = sqlite3.connect(store.path)
    assert raw.execute("SELECT COUNT(*) FROM reviews").fetchone() == (0,)
    assert raw.execute("SELECT COUNT(*) FROM cards").fetchone() == (0,)
    # The transaction was rolled back: the next rating is written as usual.
    rec = record(
        store, "b/q", Rating.GOOD, now=NOW, scheduler=Scheduler(fuzz=False), session_id="s"
    )
    assert store.card_state("b/q") == rec.after and len(store.reviews()) == 1


def test_a_rating_outside_1_to_4_is_refused_before_anything_is_written(store) -> None:
    with pytest.raises(ValueError, match="5 is not a valid Rating"):
        NewReview("b/q", 5, at=NOW, session_id="s", retention=0.9)  # type: ignore[arg-type]
    assert store.reviews() == []


def test_undo_and_rebuild_replay_with_the_callers_scheduler(store) -> None:
    s = Scheduler(retention=0.85, fuzz=True)
    a = record(store, "b/q", Rating.GOOD, now=NOW, scheduler=s, session_id="s")
    later = NOW + timedelta(minutes=10)
    b = record(store, "b/q", Rating.GOOD, now=later, scheduler=s, session_id="s")
    calls: list[tuple[str, list]] = []

    def replay(key, events):
        calls.append((key, list(events)))
        return Scheduler(fuzz=False).replay(key, calls[-1][1])

    assert store.rebuild_states(replay=replay) == {"b/q": b.after}
    assert calls == [("b/q", [(Rating.GOOD, NOW, a.after.due), (Rating.GOOD, later, b.after.due)])]
    # Any scheduler replays a log to the same states: retention and fuzz never enter a replay.
    for other in (Scheduler(fuzz=False), Scheduler(retention=0.75, fuzz=True), s):
        assert store.rebuild_states(replay=other.replay) == {"b/q": b.after}
    calls.clear()
    assert store.undo_review(b.review_id, replay=replay) == a.after
    assert calls == [("b/q", [(Rating.GOOD, NOW, a.after.due)])]
