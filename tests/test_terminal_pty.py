"""In a real pseudo-terminal: colour and NO_COLOR, the spinner while a demo starts, Ctrl-C and the
reset prompt."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pexpect
import pytest
from practice_helpers import PYTHON, ROOT, cli_env

pytestmark = pytest.mark.slow
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def spawn(home: Path, *args: str, **env: str) -> pexpect.spawn:
    environment = {k: v for k, v in cli_env(home, **env).items() if v != "<unset>"}
    return pexpect.spawn(PYTHON, ["-m", "cvquiz", *args], cwd=str(ROOT), env=environment,
                         dimensions=(30, 80), encoding="utf-8", timeout=60)  # fmt: skip


def screen(home: Path, *args: str, **env: str) -> str:
    child = spawn(home, *args, **env)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    return child.before


def colours(text: str) -> set[str]:
    """The colour parameters of every SGR sequence (bold, dim and reset are not colours)."""
    found = set()
    for params in SGR.findall(text):
        for p in params.split(";"):
            if p and (30 <= int(p) <= 49 or 90 <= int(p) <= 107):
                found.add(p)
    return found


def test_colour_at_a_terminal_and_none_with_no_color_or_a_dumb_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert colours(screen(home, "list", NO_COLOR="<unset>")) >= {"31", "32", "33", "36"}
    assert colours(screen(home, "list", NO_COLOR="1")) == set()
    assert colours(screen(home, "--no-color", "show", "23", NO_COLOR="<unset>")) == set()
    assert "\x1b[" not in screen(home, "list", TERM="dumb", NO_COLOR="<unset>")
    assert "\x1b" not in screen(home, "list", "--json", NO_COLOR="<unset>")


def test_a_spinner_shows_on_stderr_while_a_demo_starts(tmp_path: Path) -> None:
    out = screen(tmp_path / "home", "demo", "23")
    spinning = out.index("running demo pointwise-as-linear…")
    assert (
        out.index("A pointwise (1×1) conv") > spinning
    )  # the result comes after the spinner, which is gone
    assert "\x1b[2K" in out[spinning:]  # the spinner's line is erased


def reviews(home: Path) -> int:
    with sqlite3.connect(home / "progress.db") as db:
        return db.execute("SELECT count(*) FROM reviews").fetchone()[0]


def practise_once(home: Path) -> None:
    child = spawn(home, "practice", "--limit", "1")
    child.expect("1/1")
    child.send(" ")
    child.expect("Answer")
    child.send("4")  # easy: the card graduates (good would bring its learning step back)
    child.expect(pexpect.EOF)
    child.close()
    assert reviews(home) == 1


def test_reset_asks_and_ctrl_c_at_its_prompt_exits_130(tmp_path: Path) -> None:
    home = tmp_path / "home"
    practise_once(home)
    child = spawn(home, "reset")
    child.expect(r"Delete 1 review and all scheduling in\s+\S*progress\.db\?\s+\[y/N\]: ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "Aborted" not in child.before
    assert reviews(home) == 1
    for answer, left in (("\r", 1), ("n\r", 1), ("\x04", 1), ("y\r", 0)):  # Enter, n, Ctrl-D, y
        child = spawn(home, "reset")
        child.expect(r"\[y/N\]: ")
        child.send(answer)
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0, child.before
        assert reviews(home) == left, answer
        if left:
            assert "Nothing was changed." in child.before
