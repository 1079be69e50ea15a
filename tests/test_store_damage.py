"""Damaged and foreign progress stores: every command refuses or reads them, and never changes them.

Each case checks the store byte for byte (and its mtime, and the folder's listing) after the
commands, so a refused file is also an untouched one.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from practice_helpers import NOW, PYTHON, ROOT, cli_env, record
from typer.testing import CliRunner

from cvquiz.cli.app import app
from cvquiz.practice.scheduler import Rating, Scheduler
from cvquiz.practice.store import open_store

KEY = "cnn-architectures/what-is-resnet"
SCHED = Scheduler(fuzz=False)
READ_COMMANDS = [["stats", "--json"], ["history", "--json"], ["list", "--due", "--json"]]
WRITE_COMMANDS = [["practice", "--limit", "1"], ["reset", "--yes"]]


def run(home: Path, args: list[str], text: str = "3\n"):
    env: dict[str, str | None] = {**cli_env(home), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, args, input=text, env=env)


def one_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def snapshot(home: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in the folder: its bytes and mtime (SQLite's empty -wal and -shm aside)."""
    return {
        p.name: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(home.iterdir())
        if not (p.name.endswith(("-wal", "-shm")) and p.stat().st_size in (0, 32768))
    }


def make_store(home: Path, reviews: int = 1) -> Path:
    with open_store(home, now=NOW) as s:
        for i in range(reviews):
            at = NOW + timedelta(days=i)
            record(s, KEY, Rating.GOOD, now=at, scheduler=SCHED, session_id="s",
                   typed_answer="skip", coverage={"hit": ["a"], "missed": []})  # fmt: skip
    return home / "progress.db"


def damage(path: Path, sql: str, *, journal: str = "wal") -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA journal_mode = {journal}")
    db.execute(sql)
    db.close()


# --------------------------------------------------------------------------- damaged rows


@pytest.mark.parametrize(
    ("sql", "what", "commands"),
    [
        ("UPDATE cards SET state = json_set(state, '$.stability', 'abc')", f"the saved state of card {KEY}",
         [["stats"], ["list", "--due"], ["practice"]]),
        ("UPDATE cards SET state = replace(state, '\"stability\": ', '\"stability\": -')", f"the saved state of card {KEY}",
         [["stats"], ["practice"]]),
        ("UPDATE cards SET state = json_set(state, '$.difficulty', json('[1]'))", f"the saved state of card {KEY}",
         [["stats"], ["practice"]]),
        ("UPDATE reviews SET coverage = '[1]'", f"review 1 of card {KEY}", [["history"], ["history", "--json"]]),
        ("UPDATE reviews SET coverage = '{\"hit\": 5, \"missed\": []}'", f"review 1 of card {KEY}", [["history"]]),
        ("UPDATE reviews SET coverage = '{bad'", f"review 1 of card {KEY}", [["history"]]),
        ("UPDATE reviews SET typed_answer = X'FF00'", f"review 1 of card {KEY}", [["history"]]),
        ("UPDATE reviews SET retention = 'x'", f"review 1 of card {KEY}", [["history", "--json"]]),
    ],
)  # fmt: skip
def test_a_damaged_row_is_one_error_naming_the_file_and_row_and_nothing_changes(
    tmp_path: Path, sql: str, what: str, commands: list[list[str]]
) -> None:
    home = tmp_path / "home"
    path = make_store(home)
    damage(path, sql)
    before = snapshot(home)
    for args in commands:
        line = one_error(run(home, args))
        assert line.startswith(f"cvquiz: error: {path}: {what} is damaged ("), (args, line)
        assert snapshot(home) == before, args
    doctor = run(home, ["doctor"])
    assert doctor.exit_code == 1, doctor.output
    assert f"{what} is damaged" in doctor.output or "not its log's replay" in doctor.output
    assert snapshot(home) == before


# --------------------------------------------------------------------------- files cvquiz must refuse


def _future(home: Path) -> Path:
    path = make_store(home, reviews=2)
    damage(path, "INSERT INTO _migrations VALUES ('m099_future', 'x')", journal="delete")
    return path


def _empty(home: Path) -> Path:
    home.mkdir(parents=True)
    (home / "progress.db").write_bytes(b"")
    return home / "progress.db"


def _other_app_empty(home: Path) -> Path:
    home.mkdir(parents=True)
    db = sqlite3.connect(home / "progress.db")
    db.execute("PRAGMA user_version = 7")  # a valid SQLite file with no table at all
    db.close()
    return home / "progress.db"


def _other_app_tables(home: Path) -> Path:
    home.mkdir(parents=True)
    db = sqlite3.connect(home / "progress.db")
    db.execute("CREATE TABLE notes (x)")
    db.commit()
    db.close()
    return home / "progress.db"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_future, "written by a newer cvquiz (migrations m099_future); upgrade cvquiz"),
        (_empty, "an empty file (0 bytes), not a cvquiz progress database; it was left untouched: "
                 "delete it to start afresh"),
        (_other_app_empty, "an SQLite file with no tables, not a cvquiz progress database; it was "
                           "left untouched: move it aside to start afresh"),
        (_other_app_tables, "an SQLite file with other tables, not a cvquiz progress database; it "
                            "was left untouched: move it aside to start afresh"),
    ],
)  # fmt: skip
def test_a_file_cvquiz_must_not_use_is_refused_by_every_command_before_any_write(
    tmp_path: Path, make, message: str
) -> None:
    home = tmp_path / "home"
    path = make(home)
    journal = path.read_bytes()[18:20]  # 1,1: rollback journal; 2,2: WAL
    before = snapshot(home)
    for args in [*READ_COMMANDS, *WRITE_COMMANDS, ["practice", "--retention", "0.8", "--save"]]:
        assert one_error(run(home, args)) == f"cvquiz: error: {path}: {message}", args
        assert snapshot(home) == before, args
    assert path.read_bytes()[18:20] == journal  # never switched to WAL
    doctor = run(home, ["doctor"])
    assert (doctor.exit_code, f"{path}: {message}" in doctor.output) == (1, True), doctor.output
    assert snapshot(home) == before


def test_a_link_to_nothing_is_refused_and_its_target_never_created(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "progress.db").symlink_to(tmp_path / "elsewhere.db")
    path = home / "progress.db"
    for args in [["stats"], ["practice"], ["backup", str(tmp_path / "b.db")]]:
        assert one_error(run(home, args)) == (
            f"cvquiz: error: {path}: cannot be read (No such file or directory); it was left untouched"
        ), args
    assert not (tmp_path / "elsewhere.db").exists()


# --------------------------------------------------------------------------- a read-only folder


MAKE_WAL = """
import os, sys
from datetime import timedelta
sys.path.insert(0, {tests!r})
from pathlib import Path
from practice_helpers import NOW, record
from cvquiz.practice.scheduler import Rating, Scheduler
from cvquiz.practice.store import open_store
s, home = Scheduler(fuzz=False), Path(sys.argv[1])
with open_store(home, now=NOW) as st:  # 5 reviews in the file itself
    for i in range(5):
        record(st, {key!r}, Rating.GOOD, now=NOW + timedelta(days=i), scheduler=s, session_id="a")
st = open_store(home, now=NOW)
st._db.execute("PRAGMA wal_autocheckpoint = 0")
for i in range(5, 15):  # 10 more only in the WAL: the process dies before any checkpoint
    record(st, {key!r}, Rating.GOOD, now=NOW + timedelta(days=i), scheduler=s, session_id="a")
os._exit(0)
"""


def _as_a_user() -> list[str]:
    """A prefix that makes folder permissions apply, even to root."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: file permissions do not apply")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]


def test_a_read_only_folder_with_a_wal_and_no_index_shows_every_review(tmp_path: Path) -> None:
    prefix = _as_a_user()
    home = tmp_path / "home"
    script = MAKE_WAL.format(tests=str(ROOT / "tests"), key=KEY)
    subprocess.run([PYTHON, "-c", script, str(home)], check=True, timeout=60, cwd=ROOT)
    wal = home / "progress.db-wal"
    assert wal.stat().st_size > 0
    (home / "progress.db-shm").unlink()
    before = snapshot(home)
    home.chmod(0o555)
    try:
        for args, count in [
            (["stats", "--json"], lambda out: json.loads(out)["reviews"]),
            (["history", "--json"], lambda out: len(json.loads(out))),
        ]:
            done = subprocess.run([*prefix, PYTHON, "-m", "cvquiz", *args], capture_output=True,
                                  text=True, cwd=ROOT, env=cli_env(home), timeout=60)  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert count(done.stdout) == 15, args  # not the 5 in the file alone
        done = subprocess.run([*prefix, PYTHON, "-m", "cvquiz", "practice"], input="3\n",
                              capture_output=True, text=True, cwd=ROOT, env=cli_env(home), timeout=60)  # fmt: skip
        assert done.returncode == 2 and done.stderr.startswith("cvquiz: error: "), done.stderr
    finally:
        home.chmod(0o755)
    assert snapshot(home) == before
    assert sorted(p.name for p in home.iterdir()) == ["progress.db", "progress.db-wal"]


# --------------------------------------------------------------------------- new files


def test_a_new_store_and_its_wal_and_index_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    old = os.umask(0o022)
    try:
        home = tmp_path / "home"
        with open_store(home, now=NOW) as s:
            record(s, KEY, Rating.GOOD, now=NOW, scheduler=SCHED, session_id="s")
            files = sorted(home.iterdir())
            assert [p.name for p in files] == ["progress.db", "progress.db-shm", "progress.db-wal"]
            for p in files:
                assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    finally:
        os.umask(old)
    # Made complete under a temporary name: nothing else is left in the folder.
    assert sorted(p.name for p in home.iterdir()) == ["progress.db"]
