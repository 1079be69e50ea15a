"""SIGKILL a practice session at many points: every rating acknowledged on screen is in the log
afterwards, nothing unacknowledged is (but for the one rating in flight when the kill came), the
store passes PRAGMA integrity_check, and the next session carries on from it."""

from __future__ import annotations

import os
import random
import re
import select
import signal
import sqlite3
import subprocess
import time
from io import StringIO
from pathlib import Path

import pexpect
import pytest
from practice_helpers import PYTHON, ROOT, cli_env, library

pytestmark = pytest.mark.slow
ACK = r"next in|before the session ends"  # printed once a rating is committed
ACK_LINE = re.compile(r"→ Q(\d+) (again|hard|good|easy) · (?:next in|again before)")
UNDO_LINE = re.compile(r"Undid (again|hard|good|easy) on Q(\d+)")
LABELS = {1: "again", 2: "hard", 3: "good", 4: "easy"}
NUMBER = {q.key: q.number for q in library().questions}


def at(n: int) -> str:
    """The card counter of the n-th card (the total grows as "again" cards come back)."""
    return rf"· (?:\x1b\[[0-9;]*m)*{n}/\d+"


def plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)


def acknowledged(screen: str) -> list[tuple[int, str]]:
    """The ratings the screen acknowledged, in order, less those an acknowledged undo took back."""
    events = [(m.start(), "rate", (int(m[1]), m[2])) for m in ACK_LINE.finditer(screen)]
    events += [(m.start(), "undo", (int(m[2]), m[1])) for m in UNDO_LINE.finditer(screen)]
    acked: list[tuple[int, str]] = []
    for _, kind, rating in sorted(events):
        if kind == "rate":
            acked.append(rating)
        else:
            assert acked and acked[-1] == rating, (rating, acked)
            acked.pop()
    return acked


def logged(home: Path) -> list[tuple[int, str]]:
    """The review log, oldest first, read with plain sqlite3 (which also recovers a hot WAL)."""
    db = sqlite3.connect(home / "progress.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = db.execute("SELECT card_key, rating FROM reviews ORDER BY id").fetchall()
    finally:
        db.close()
    return [(NUMBER[key], LABELS[rating]) for key, rating in rows]


def assert_log_matches(home: Path, before: list, screen: str, *, in_flight: int) -> list:
    """The log is what was there before plus what the screen acknowledged, plus at most the one
    rating still in flight; returns the log."""
    acked = acknowledged(plain(screen))
    log = logged(home)
    assert log[: len(before)] == before
    new = log[len(before) :]
    assert new[: len(acked)] == acked, (new, acked, screen[-1500:])
    assert len(new) - len(acked) <= in_flight, (new, acked)
    return log


# -- in a pseudo-terminal ------------------------------------------------------------------------


def spawn(home: Path, *args: str) -> tuple[pexpect.spawn, StringIO]:
    screen = StringIO()
    child = pexpect.spawn(PYTHON, ["-m", "cvquiz", "practice", "--new", "100", *args],
                          cwd=str(ROOT), env=cli_env(home), dimensions=(30, 80),
                          encoding="utf-8", timeout=15)  # fmt: skip
    child.logfile_read = screen
    return child, screen


def rate(child: pexpect.spawn, position: str, key: str) -> None:
    child.expect(position)
    child.send(" ")
    child.expect("Answer")
    child.send(key)
    child.expect(ACK)


def kill(child: pexpect.spawn) -> None:
    child.kill(signal.SIGKILL)
    child.expect(pexpect.EOF)  # what it wrote before it died is read, and counts as shown
    child.close(force=True)
    assert child.signalstatus == signal.SIGKILL


def after_ack(child: pexpect.spawn) -> int:
    rate(child, at(1), "3")
    rate(child, at(2), "1")  # again: it comes back later in the session
    return 0


def between_ratings(child: pexpect.spawn) -> int:
    rate(child, at(1), "4")
    child.expect(at(2))  # the next card is on screen, not yet revealed
    return 0


def at_the_reveal(child: pexpect.spawn) -> int:
    rate(child, at(1), "2")
    child.expect(at(2))
    child.send(" ")
    child.expect("Answer")
    return 0


def rating_in_flight(child: pexpect.spawn) -> int:
    rate(child, at(1), "3")
    child.expect(at(2))
    child.send(" ")
    child.expect("Answer")
    child.send("4")  # killed at once: this one may or may not have been committed
    return 1


def after_an_undo(child: pexpect.spawn) -> int:
    rate(child, at(1), "3")
    rate(child, at(2), "2")
    child.expect(at(3))
    child.send("u")  # the second rating is taken back: it must not be in the log
    child.expect("Undid hard on Q2")
    child.expect(at(2))
    return 0


def while_typing(child: pexpect.spawn) -> int:
    child.expect("Your answer")
    child.sendline("residual functions with skip connections")
    child.expect("suggested")
    child.send("3")
    child.expect(ACK)
    child.expect("Your answer")
    child.send("the degradation pro")  # half an answer, no Enter
    child.expect("degradation pro")
    return 0


def during_the_summary(child: pexpect.spawn) -> int:
    rate(child, at(1), "3")
    rate(child, at(2), "4")
    child.expect(at(3))
    child.send("q")
    child.expect("Session done")  # killed as the summary is drawn
    return 0


def quitting(child: pexpect.spawn) -> int:
    rate(child, at(1), "1")
    child.expect(at(2))
    child.send("q")  # killed at once: somewhere between the key and the summary
    return 0


POINTS = [after_ack, between_ratings, at_the_reveal, rating_in_flight, after_an_undo,
          while_typing, during_the_summary, quitting]  # fmt: skip


@pytest.mark.parametrize("point", POINTS, ids=[p.__name__ for p in POINTS])
def test_sigkill_in_a_terminal_keeps_every_acknowledged_rating(tmp_path: Path, point) -> None:
    home = tmp_path / "home"
    child, screen = spawn(home, "--limit", "6", *(["--typed"] if point is while_typing else []))
    in_flight = point(child)
    kill(child)
    log = assert_log_matches(home, [], screen.getvalue(), in_flight=in_flight)
    assert log or point is rating_in_flight
    # The next session opens the store the kill left and records on top of it.
    child, screen = spawn(home, "--limit", "1")
    rate(child, at(1), "4")
    child.send("q")  # it may be a learning card, shown again before the session ends
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, screen.getvalue()
    assert_log_matches(home, log, screen.getvalue(), in_flight=0)


# -- with scripted input, killed at seeded random byte offsets -----------------------------------

SCRIPT = "\n3\n\n1\n\n4\nu\n\n2\ns\n\nhard\n\n\n\n4\n\n3\nq\n"
TYPED = "résidual connections ✓\n\n\n3\nu\ndegradation\n1\nq\n"  # accept, rate, undo, rate


def quiet(proc: subprocess.Popen, out: list[bytes], *, started: bytes, settle: float = 0.3) -> None:
    """Read stdout until the process has started and then written nothing for `settle` seconds
    (it is waiting for the rest of its input)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + 30
    last = time.monotonic()
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.05)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            out.append(chunk)
            last = time.monotonic()
        elif started in b"".join(out) and time.monotonic() - last >= settle:
            return
    raise AssertionError(b"".join(out)[-1000:])


def test_sigkill_at_random_byte_offsets_of_scripted_input(tmp_path: Path) -> None:
    home = tmp_path / "home"
    rng = random.Random(13)
    log: list = []
    for n in range(8):
        typed = n % 3 == 2
        script = (TYPED if typed else SCRIPT).encode("utf-8")
        offset = rng.randrange(len(script) + 1)  # may split a line, or a UTF-8 character
        args = ["--limit", "6", "--new", "100", *(["--typed"] if typed else [])]
        proc = subprocess.Popen([PYTHON, "-m", "cvquiz", "practice", *args], cwd=ROOT,
                                env=cli_env(home), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)  # fmt: skip
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(script[:offset])
        proc.stdin.flush()
        out: list[bytes] = []
        quiet(proc, out, started=b"Practice ")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        out.append(proc.stdout.read())
        proc.stdin.close()
        proc.stdout.close()
        screen = b"".join(out).decode("utf-8", errors="replace")
        assert "Traceback" not in screen
        # It may have been killed mid-write after reading everything: one rating may be in flight.
        log = assert_log_matches(home, log, screen, in_flight=1)
    assert log, "no kill point came after a rating"
