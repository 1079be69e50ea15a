"""backup, restore and doctor: copies taken during a session, restores that check first and keep
a .bak, a checkup that finds card states unlike their log and rebuilds them."""

from __future__ import annotations

import random
import re
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW, cli_env, record
from test_store_damage import KEY, SCHED, _empty, _future, _other_app_tables, make_store, snapshot
from typer.testing import CliRunner

import cvquiz.practice.store as store_module
from cvquiz.cli.app import app
from cvquiz.practice.care import restore
from cvquiz.practice.scheduler import Rating
from cvquiz.practice.store import open_store

BAK = "progress.db.2026-11-25T1200.bak"  # NOW, in UTC


def run(home: Path, *args: str):
    env: dict[str, str | None] = {**cli_env(home), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, list(args), env=env)


def count(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    finally:
        db.close()


# --------------------------------------------------------------------------- backup


def test_a_backup_during_an_open_write_session_holds_what_is_committed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_store(home, reviews=3)
    with open_store(home, now=NOW) as session:
        record(
            session, KEY, Rating.GOOD, now=NOW + timedelta(days=9), scheduler=SCHED, session_id="s"
        )
        writer = sqlite3.connect(home / "progress.db", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM reviews")  # not committed while the backup runs
        result = run(home, "backup", str(tmp_path / "copy.db"))
        assert result.exit_code == 0, result.output
        assert "Backed up 4 reviews to" in result.output
        writer.execute("ROLLBACK")
        writer.close()
    assert count(tmp_path / "copy.db") == 4
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600
    # Never over a file; a folder gets a dated name.
    before = (tmp_path / "copy.db").read_bytes()
    result = run(home, "backup", str(tmp_path / "copy.db"))
    assert (
        result.exit_code == 2
        and "already exists; the backup never replaces a file" in result.output
    )
    assert (tmp_path / "copy.db").read_bytes() == before
    (tmp_path / "folder").mkdir()
    assert run(home, "backup", str(tmp_path / "folder")).exit_code == 0
    assert count(tmp_path / "folder" / "progress-2026-11-25T120000.db") == 4


# --------------------------------------------------------------------------- restore


def _garbage(home: Path) -> Path:
    home.mkdir(parents=True)
    (home / "progress.db").write_bytes(bytes(random.Random(1).randrange(256) for _ in range(5000)))
    return home / "progress.db"


def _damaged_pages(home: Path) -> Path:
    path = make_store(home, reviews=1)
    with open_store(home, now=NOW) as s:
        for i in range(300):
            record(s, f"b/q{i}", Rating.GOOD, now=NOW, scheduler=SCHED, session_id="s")
    data = bytearray(path.read_bytes())
    data[4096 * 2 : 4096 * 6] = bytes(random.Random(2).randrange(256) for _ in range(4096 * 4))
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_garbage, re.escape("not a cvquiz progress database (file is not a database)")),
        (_empty, "no tables"),  # the empty file reads as an SQLite file with no tables
        (_other_app_tables, "an SQLite file with other tables, not a cvquiz progress database"),
        (_future, re.escape("written by a newer cvquiz (migrations m099_future)")),
        (_damaged_pages, r"malformed|fails SQLite's integrity check \(\*\*\* in database main"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_replaced(tmp_path: Path, make, reason: str) -> None:
    home = tmp_path / "home"
    make_store(home, reviews=2)
    before = snapshot(home)
    source = make(tmp_path / "bad")
    result = run(home, "restore", str(source))
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert line.startswith(f"cvquiz: error: {source}: ") and line.endswith("; nothing was replaced")
    assert re.search(reason, line), line
    assert snapshot(home) == before  # no .bak, no temporary file, the store as it was


def test_a_restore_keeps_the_current_store_as_a_dated_bak_and_never_overwrites_one(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    old = make_store(tmp_path / "old", reviews=1)
    make_store(home, reviews=3)
    current = (home / "progress.db").read_bytes()
    result = run(home, "restore", str(old))
    assert result.exit_code == 0, result.output
    assert "Restored 1 review from" in result.output and BAK in result.output
    assert count(home / "progress.db") == 1
    assert count(home / BAK) == 3
    assert stat.S_IMODE((home / BAK).stat().st_mode) == 0o600
    kept = (home / BAK).read_bytes()
    assert len(kept) == len(current)
    # Twice in the same minute: a second name, the first .bak untouched.
    assert run(home, "restore", str(old)).exit_code == 0
    assert (home / BAK).read_bytes() == kept
    assert count(home / BAK.replace(".bak", "-2.bak")) == 1
    assert run(home, "doctor").exit_code == 0


def test_a_restore_while_another_writes_is_refused_and_an_idle_session_keeps_its_ratings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.2)
    home = tmp_path / "home"
    old = make_store(tmp_path / "old", reviews=1)
    make_store(home, reviews=3)
    writer = sqlite3.connect(home / "progress.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    before = snapshot(home)
    result = run(home, "restore", str(old))
    assert result.exit_code == 2 and "the progress database is busy" in result.output
    writer.execute("ROLLBACK")
    writer.close()
    assert snapshot(home) == before and count(home / "progress.db") == 3
    # A session open across the restore writes its next rating into the restored store.
    with open_store(home, now=NOW) as session:
        restore(home, old, now=NOW)
        later = NOW + timedelta(days=30)
        record(session, KEY, Rating.GOOD, now=later, scheduler=SCHED, session_id="s")
    assert count(home / "progress.db") == 2 and count(home / BAK) == 3


def test_a_store_cvquiz_cannot_read_is_replaced_as_a_file_and_kept(tmp_path: Path) -> None:
    home = tmp_path / "home"
    garbage = _garbage(home).read_bytes()
    old = make_store(tmp_path / "old", reviews=2)
    assert run(home, "restore", str(old)).exit_code == 0
    assert (home / BAK).read_bytes() == garbage
    assert count(home / "progress.db") == 2
    assert sorted(p.name for p in home.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "progress.db", BAK,
    ]  # fmt: skip


# --------------------------------------------------------------------------- doctor


def test_doctor_finds_a_state_unlike_the_replay_and_repair_rebuilds_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = make_store(home, reviews=3)
    assert run(home, "doctor").exit_code == 0
    with open_store(home, now=NOW) as s:
        right = s.card_states()
    db = sqlite3.connect(path)
    db.execute("UPDATE cards SET state = json_set(state, '$.stability', 99.5), lapses = 4")
    db.execute(
        "INSERT INTO cards SELECT 'b/orphan', state, due, phase, lapses, first_review FROM cards"
    )
    db.commit()
    db.close()
    before = snapshot(home)
    found = run(home, "doctor")
    assert found.exit_code == 1, found.output
    assert f"card {KEY}: its saved state is not its log's replay" in found.output
    assert "card b/orphan: a saved state but no review" in found.output
    assert "cvquiz doctor --repair" in found.output
    assert snapshot(home) == before  # a checkup changes nothing
    repaired = run(home, "doctor", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert "Repaired 2 problems" in repaired.output and BAK in repaired.output
    with open_store(home, now=NOW) as s:
        assert s.card_states() == right
    assert (home / BAK).exists() and run(home, "doctor").exit_code == 0


def test_doctor_does_not_repair_a_damaged_log(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = make_store(home, reviews=2)
    db = sqlite3.connect(path)
    db.execute("UPDATE reviews SET reviewed_at = 'yesterday' WHERE id = 2")
    db.commit()
    db.close()
    before = snapshot(home)
    result = run(home, "doctor", "--repair")
    assert result.exit_code == 1, result.output
    assert f"review 2 of card {KEY} is damaged" in result.output
    assert snapshot(home) == before  # no backup, no rebuild from a log that cannot be read
