"""Two practice sessions at once on one home, in real pseudo-terminals, with their ratings
interleaved; and a session running while stats, history, list --due and export read the store."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from io import StringIO
from pathlib import Path

import pexpect
import pytest
from practice_helpers import NOW, PYTHON, ROOT, cli_env, library

from cvquiz.practice.scheduler import Scheduler
from cvquiz.practice.store import open_store

pytestmark = pytest.mark.slow
ACK = r"next in|before the session ends"
ACK_LINE = re.compile(r"→ Q(\d+) (again|hard|good|easy) · (?:next in|again before)")
LABELS = {1: "again", 2: "hard", 3: "good", 4: "easy"}
NUMBER = {q.key: q.number for q in library().questions}


def at(n: int) -> str:
    """The card counter of the n-th card (the total grows as "again" cards come back)."""
    return rf"· (?:\x1b\[[0-9;]*m)*{n}/\d+"


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


class Session:
    """One `cvquiz practice` in its own pseudo-terminal, with everything it showed kept."""

    def __init__(self, home: Path, *args: str) -> None:
        self.screen = StringIO()
        self.child = pexpect.spawn(PYTHON, ["-m", "cvquiz", "practice", *args], cwd=str(ROOT),
                                   env=cli_env(home), dimensions=(30, 80), encoding="utf-8",
                                   timeout=15)  # fmt: skip
        self.child.logfile_read = self.screen

    def rate(self, position: str | None, key: str) -> None:
        """Wait for the card at `position` (None: the one on screen), reveal it, rate it."""
        if position is not None:
            self.child.expect(position)
        self.child.send(" ")
        self.child.expect("Answer")
        self.child.send(key)
        self.child.expect(ACK)

    def acknowledged(self) -> list[tuple[int, str]]:
        return [(int(m[1]), m[2]) for m in ACK_LINE.finditer(plain(self.screen.getvalue()))]

    def finish(self) -> str:
        self.child.send("q")
        self.child.expect("Session done")
        self.child.expect(pexpect.EOF)
        self.child.close()
        shown = plain(self.screen.getvalue())
        assert self.child.exitstatus == 0, shown
        assert "Traceback" not in shown and "cvquiz: error" not in shown, shown
        return shown


def log_by_session(home: Path) -> dict[str, list[tuple[int, str]]]:
    db = sqlite3.connect(home / "progress.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute("SELECT session_id, card_key, rating FROM reviews ORDER BY id").fetchall()
    finally:
        db.close()
    found: dict[str, list[tuple[int, str]]] = {}
    for session, key, rating in rows:
        found.setdefault(session, []).append((NUMBER[key], LABELS[rating]))
    return found


def assert_states_replay_the_log(home: Path) -> None:
    with open_store(home, now=NOW) as store:
        states = store.card_states()
        assert states
        assert store.rebuild_states(replay=Scheduler(fuzz=False).replay) == states


def test_two_sessions_interleaved_on_a_fresh_home(tmp_path: Path) -> None:
    home = tmp_path / "home"  # neither finds a store: both create it at once
    a = Session(home, "--limit", "6", "--new", "100")
    b = Session(home, "--limit", "6", "--new", "100")
    for n, (key_a, key_b) in enumerate(["31", "24", "13", "42", "11"], start=1):
        a.rate(at(n), key_a)  # both queues hold the same cards: each builds on the other's
        b.rate(at(n), key_b)
    shown = [a.finish(), b.finish()]
    assert all("5 cards · 5 reviews" in s for s in shown), shown
    sessions = log_by_session(home)
    assert sorted(sessions.values()) == sorted([a.acknowledged(), b.acknowledged()])
    assert [len(v) for v in sessions.values()] == [5, 5]
    assert_states_replay_the_log(home)


def test_undo_is_refused_once_the_other_session_rated_the_card(tmp_path: Path) -> None:
    home = tmp_path / "home"
    a = Session(home, "--limit", "3", "--new", "100")
    a.child.expect(at(1))  # a created the store; b opens it
    b = Session(home, "--limit", "3", "--new", "100")
    a.rate(None, "3")
    b.rate(at(1), "2")  # the same card, rated again by the other session
    a.child.expect(at(2))
    a.child.send("u")
    a.child.expect("Cannot undo: another session has rated that card since; its rating stands.")
    a.rate(None, "4")  # the second card stayed on screen
    b.child.expect(at(2))
    b.child.send("u")  # b's own last rating is the newest on its card: undone
    b.child.expect("Undid hard on Q1")
    b.rate(at(1), "3")
    a.finish()
    b.finish()
    sessions = log_by_session(home)
    assert sorted(sessions.values()) == sorted([[(1, "good"), (2, "easy")], [(1, "good")]])
    assert_states_replay_the_log(home)


def read_commands(home: Path, out: Path) -> list[tuple[list[str], subprocess.Popen]]:
    """stats, history, list --due and export, started at once, each in its own process."""
    commands = [["stats", "--json"], ["history", "--json"], ["list", "--due", "--json"],
                ["export", "-o", str(out), "--topic", "resnet"]]  # fmt: skip
    return [
        (args, subprocess.Popen([PYTHON, "-m", "cvquiz", *args], cwd=ROOT, env=cli_env(home),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        for args in commands
    ]  # fmt: skip


def finished(running: list[tuple[list[str], subprocess.Popen]]) -> dict[str, str]:
    outputs = {}
    for args, proc in running:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and err == "", (args, out, err)
        outputs[args[0]] = out
    return outputs


def test_a_session_running_while_other_commands_read_the_store(tmp_path: Path) -> None:
    home = tmp_path / "home"
    session = Session(home, "--limit", "8", "--new", "100")
    session.rate(at(1), "3")
    session.rate(at(2), "1")
    running = read_commands(home, tmp_path / "during.json")
    for n, key in zip(range(3, 7), "3243", strict=True):  # rating on while they read
        session.rate(at(n), key)
    during = finished(running)
    history = json.loads(during["history"])
    assert 2 <= len(history) <= 6
    assert 2 <= json.loads(during["stats"])["reviews"] <= 6
    json.loads(during["list"])
    assert json.loads((tmp_path / "during.json").read_text(encoding="utf-8"))
    assert "Wrote " in during["export"]
    shown = session.finish()
    assert "6 cards · 6 reviews" in shown
    after = finished(read_commands(home, tmp_path / "after.json"))
    logged = [(e["number"], LABELS[e["rating"]]) for e in json.loads(after["history"])]
    assert logged[::-1] == session.acknowledged()
    assert_states_replay_the_log(home)
