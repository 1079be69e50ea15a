"""End to end in a real pseudo-terminal (single keys, Ctrl-C), SIGKILL mid-session, two sessions at once."""

from __future__ import annotations

import io
import re
import signal
import sqlite3
import subprocess
import termios
from pathlib import Path

import pexpect
import pytest
from practice_helpers import NOW, PYTHON, ROOT, cli_env

from cvquiz.practice.scheduler import Scheduler
from cvquiz.practice.store import open_store

pytestmark = pytest.mark.slow
ACK = r"next in|before the session ends"  # printed once a rating is committed


def spawn(home: Path, *args: str) -> pexpect.spawn:
    child = pexpect.spawn(PYTHON, ["-m", "cvquiz", "practice", *args], cwd=str(ROOT), env=cli_env(home),
                          dimensions=(30, 80), encoding="utf-8", timeout=20)  # fmt: skip
    return child


def assert_terminal_restored(child: pexpect.spawn) -> None:
    lflag = termios.tcgetattr(child.child_fd)[3]
    assert lflag & termios.ECHO and lflag & termios.ICANON


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def reviews(home: Path) -> list[tuple[str, int]]:
    with open_store(home, now=NOW) as store:
        return [(r.key.split("/")[1], int(r.rating)) for r in reversed(store.reviews())]


def test_single_keys_in_a_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = spawn(home, "--limit", "3", "--learn-ahead", "0")  # no learning step comes back
    child.expect("1/3")
    child.send("\r")  # Enter reveals
    child.expect("Answer")
    child.send("3")
    child.expect(ACK)
    child.expect("2/3")
    child.send(" ")  # so does space
    child.expect("Answer")
    child.send("1")
    child.expect(ACK)
    child.expect("3/4")
    child.send("u")
    child.expect("Undid again on Q2")
    child.expect("2/3")
    child.send(" ")
    child.expect("Answer")
    child.send("z")  # an unknown key does nothing
    child.send("4")
    child.expect(ACK)
    child.expect("3/3")
    child.send("s")
    child.expect("Skipped Q3 until tomorrow")
    child.expect("Session done")
    child.expect(pexpect.EOF)
    assert_terminal_restored(child)
    child.close()
    assert child.exitstatus == 0
    assert reviews(home) == [("what-is-resnet", 3), ("degradation-problem", 4)]


def test_ctrl_c_ends_with_the_summary_status_130_and_a_sane_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = spawn(home, "--learn-ahead", "0")
    child.expect("1/10")
    child.send(" ")
    child.expect("Answer")
    child.send("3")
    child.expect(ACK)
    child.expect("2/10")
    child.sendintr()
    child.expect("Session interrupted")
    child.expect(pexpect.EOF)
    assert "1 card · 1 review" in plain(child.before)
    assert_terminal_restored(child)
    child.close()
    assert child.exitstatus == 130
    assert reviews(home) == [("what-is-resnet", 3)]


def test_u_with_nothing_to_undo_keeps_the_answer_on_screen(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = spawn(home, "--limit", "1", "--learn-ahead", "0")
    child.expect("1/1")
    child.send(" ")
    child.expect("Answer")
    child.send("u")
    child.expect("Nothing to undo in this session.")
    child.send("3")  # still the rating prompt: 3 rates, it does not reveal
    child.expect(ACK)
    child.expect("Session done")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert reviews(home) == [("what-is-resnet", 3)]


def test_typed_answer_in_a_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = spawn(home, "--typed", "--limit", "1", "--learn-ahead", "0")
    child.expect("Your answer")
    child.sendline("residual functions with skip connections")
    child.expect("2/4 key concepts")
    child.expect("suggested")
    child.send("\r")  # accept the suggestion: hard
    child.expect(ACK)
    child.expect("Session done")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert reviews(home) == [("what-is-resnet", 2)]


def test_sigkill_mid_session_loses_no_acknowledged_rating(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = spawn(home, "--limit", "10", "--learn-ahead", "0")
    for n in range(1, 7):
        child.expect(f"{n}/10")
        child.send(" ")
        child.expect("Answer")
        child.send("2" if n % 2 else "3")
        child.expect(ACK)
    child.expect("7/10")
    child.send(" ")  # killed with the 7th answer on screen, unrated
    child.expect("Answer")
    child.kill(signal.SIGKILL)
    child.close(force=True)
    assert child.signalstatus == signal.SIGKILL
    assert [rating for _, rating in reviews(home)] == [2, 3, 2, 3, 2, 3]
    db = sqlite3.connect(home / "progress.db")
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert db.execute("SELECT COUNT(*) FROM cards").fetchone() == (6,)


def test_two_sessions_at_once_both_record_every_review(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with open_store(home, now=NOW):
        pass  # the schema exists before both start, as after a first run
    env = {**cli_env(home), "PYTHONUNBUFFERED": "1"}
    procs = [
        subprocess.Popen(
            [PYTHON, "-m", "cvquiz", "practice", "--limit", "10"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    # Both queues are built before either session rates: on a loaded machine the second process
    # could otherwise start after the first had used some of the day's new cards.
    headers = [p.stdout.readline() for p in procs if p.stdout is not None]
    assert all(h.startswith("Practice 10 cards") for h in headers), headers
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("\n3\n" * 10)
        p.stdin.flush()
    outputs = [p.communicate(timeout=60) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "10 cards · 10 reviews" in out
    with open_store(home, now=NOW) as store:
        log = store.reviews()
        assert len(log) == 20
        assert len({r.session_id for r in log}) == 2
        states = store.card_states()
        assert sorted(s.reps for s in states.values()) == [2] * 10
        assert store.rebuild_states(replay=Scheduler(fuzz=False).replay) == states
    db = sqlite3.connect(home / "progress.db")
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_corrupt_database_in_a_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "progress.db").write_bytes(b"\x00garbage" * 512)
    child = spawn(home)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    lines = [ln for ln in child.before.splitlines() if ln.strip()]
    assert len(lines) == 1 and "the progress database is unreadable" in lines[0]
    assert (home / "progress.db").read_bytes() == b"\x00garbage" * 512


def test_scrolling_back_reads_each_confirmation_once(tmp_path: Path) -> None:
    """The screen is never cleared: a clear pushed the old screen into the scrollback and the
    next card repeated its notes, so each rating, skip and undo line showed twice."""
    home = tmp_path / "home"
    child = spawn(home, "--limit", "3", "--learn-ahead", "0")
    child.logfile_read = (
        io.StringIO()
    )  # everything the terminal received, as the scrollback holds it
    for rating in ("3", "4"):
        child.expect(r"\d/3")
        child.send(" ")
        child.expect("Answer")
        child.send(rating)
        child.expect(ACK)
    child.expect("3/3")
    child.send("s")
    child.expect("Session done")
    child.expect(pexpect.EOF)
    child.close()
    log = plain(child.logfile_read.getvalue())
    assert "\x1b[2J" not in log and "\x1b[3J" not in log
    for line in ("→ Q1 good", "→ Q2 easy", "Skipped Q3 until tomorrow"):
        assert log.count(line) == 1, (line, log)
