"""The progress store: migrations, one transaction per rating, undo, rebuild, and refusing bad files."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW

from cvquiz.errors import CvquizError
from cvquiz.home import home_dir
from cvquiz.scheduler import Rating, Scheduler, new_card
from cvquiz.store import MIGRATIONS, applied_migrations, open_store


@pytest.fixture
def store(tmp_path: Path):
    with open_store(tmp_path / "home", now=NOW) as s:
        yield s


def test_home_is_env_override_else_platform_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert home_dir({"CVQUIZ_HOME": str(tmp_path)}) == tmp_path
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert home_dir({}) == tmp_path / ".local" / "share" / "cvquiz"  # platformdirs on Linux


def test_migrations_run_once_in_order_and_wal_is_on(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open_store(home, now=NOW) as s:
        assert applied_migrations(s) == ["m001_initial", "m002_skips_and_settings"]
    with open_store(home, now=NOW + timedelta(days=1)) as s:
        assert applied_migrations(s) == [m.__name__ for m in MIGRATIONS]
    db = sqlite3.connect(home / "progress.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    rows = db.execute("SELECT name, applied_at FROM _migrations").fetchall()
    assert rows == [
        ("m001_initial", "2026-11-25T12:00:00.000000Z"),
        ("m002_skips_and_settings", "2026-11-25T12:00:00.000000Z"),
    ]


def test_a_rating_writes_the_log_row_and_the_card_state(store) -> None:
    s = Scheduler(fuzz=False)
    rec = store.record_review("b/q1", Rating.GOOD, now=NOW, scheduler=s, session_id="s1", duration_ms=1500,
                              typed_answer="skip", coverage={"hit": ["a"], "missed": ["b"]})  # fmt: skip
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
    first = store.record_review("b/q", Rating.GOOD, now=NOW, scheduler=s, session_id="s")
    later = NOW + timedelta(minutes=10)
    second = store.record_review("b/q", Rating.GOOD, now=later, scheduler=s, session_id="s")
    assert second.before == first.after
    assert second.after == s.review(first.after, Rating.GOOD, later)
    assert [r.phase_before for r in store.reviews()] == [1, None]


def test_undo_restores_the_previous_state_and_a_first_review_makes_the_card_new(store) -> None:
    s = Scheduler(fuzz=False)
    a = store.record_review("b/q", Rating.GOOD, now=NOW, scheduler=s, session_id="s")
    b = store.record_review(
        "b/q", Rating.AGAIN, now=NOW + timedelta(minutes=3), scheduler=s, session_id="s"
    )
    assert store.undo_review(b.review_id) == a.after
    assert store.card_state("b/q") == a.after
    assert [r.id for r in store.reviews()] == [a.review_id]
    assert store.undo_review(a.review_id) is None
    assert store.card_state("b/q") is None and store.card_states() == {}
    assert store.first_reviews_since(NOW) == 0
    with pytest.raises(CvquizError, match="not in the log"):
        store.undo_review(a.review_id)


def test_rebuild_from_the_log_equals_the_incremental_state(store) -> None:
    rng = random.Random(3)
    random.seed(11)  # fsrs fuzz draws from the global generator: fuzz stays on here on purpose
    s = Scheduler(retention=0.9, fuzz=True)
    keys = [f"b/q{i}" for i in range(6)]
    at = NOW
    for _ in range(120):
        key = rng.choice(keys)
        store.record_review(
            key, Rating(rng.choice([1, 2, 3, 3, 3, 4])), now=at, scheduler=s, session_id="x"
        )
        at += timedelta(hours=rng.choice([0.1, 5, 30, 200]))
    incremental = store.card_states()
    assert set(incremental) == set(keys)
    assert store.rebuild_states() == incremental
    assert sum(c.reps for c in incremental.values()) == 120
    # Rewriting the stored states from the log changes nothing.
    store.rebuild_states(write=True)
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
    store.record_review("b/q", Rating.GOOD, now=NOW, scheduler=s, session_id="s")
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
    store.record_review(
        "b/q", Rating.EASY, now=NOW, scheduler=Scheduler(fuzz=False), session_id="s"
    )
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
    import cvquiz.store as store_module

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.2)
    home = tmp_path / "home"
    with open_store(home, now=NOW) as s:
        other = sqlite3.connect(home / "progress.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(CvquizError, match=r"progress.db: the progress database is busy"):
            s.record_review(
                "b/q", Rating.GOOD, now=NOW, scheduler=Scheduler(fuzz=False), session_id="s"
            )
        other.execute("ROLLBACK")
        s.record_review(
            "b/q", Rating.GOOD, now=NOW, scheduler=Scheduler(fuzz=False), session_id="s"
        )
        assert len(s.reviews()) == 1


def test_damaged_pages_are_one_error_and_the_file_is_not_rewritten(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open_store(home, now=NOW) as s:
        for i in range(300):
            s.record_review(
                f"b/q{i}", Rating.GOOD, now=NOW, scheduler=Scheduler(fuzz=False), session_id="s"
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
