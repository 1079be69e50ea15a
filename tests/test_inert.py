"""Hostile bank text stays inert on every terminal: no escape sequence, C1 control or bidi override
written by a bank reaches the screen; Rich's own colour and cursor codes still do."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from practice_helpers import cli_env
from rich.cells import cell_len
from rich.panel import Panel
from rich.text import Text
from typer.testing import CliRunner

from cvquiz.cli import context
from cvquiz.cli.app import app
from cvquiz.inert import has_controls, inert, json_escaped

C0 = [chr(c) for c in range(0x20) if chr(c) not in "\t\n"]
C1 = [chr(c) for c in range(0x80, 0xA0)]
BIDI = [chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))]
# Written independently of cvquiz.inert: what must never reach a terminal from a bank.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # Rich's own colours: the only escapes allowed through

# YAML double-quoted escapes: \e is ESC, \a BEL, \x9b the one-byte CSI, \u202e RLO.
HOSTILE_BANK = r"""
id: evil-bank
title: "Evil \e]0;pwned-title\a bank \u202e"
source: "src \e[2J"
questions:
  - number: 1
    id: evil-one
    topic: evil
    difficulty: easy
    question: "Question \e]52;c;SGVsbG8=\a clip \e]0;pwned\a \u202eRLO\u202c end \x9b2J c1"
    answer: "Answer \e]8;;http://evil\e\\click\e]8;;\e\\ done \e[2J \u2066iso\u2069 \u200f rtl \x7f del"
    code: "x = 1 \e[31m red \e]0;code\a"
    concepts:
      - name: "conc\e]0;c\a ept"
        synonyms: [clip]
    related: []
  - number: 2
    id: evil-two
    topic: evil
    difficulty: medium
    question: "Second \e[H\e[2J question [/x] [bold]b[/bold]?"
    answer: "plain \u061c \u200e"
    related: []
"""


def assert_inert(output: str) -> None:
    """Nothing but SGR colour codes: no OSC, CSI, C1 or bidi control, and no bare ESC."""
    found = UNSAFE.findall(SGR.sub("", output))
    assert found == [], f"{found!r} reached the terminal in {output!r}"


# inert(), unit by unit


def test_every_c0_control_but_newline_and_tab_becomes_its_control_picture() -> None:
    for char in C0:
        assert inert(char) == chr(0x2400 + ord(char)), repr(char)
    assert inert("\x1b]0;t\x07") == "␛]0;t␇"
    assert inert("\x7f") == "␡"
    assert inert("a\tb\nc") == "a\tb\nc"


def test_every_c1_and_bidi_control_becomes_its_code_point() -> None:
    for char in C1 + BIDI:
        assert inert(char) == f"<U+{ord(char):04X}>"
    assert inert("\x9b2J \u202eabc\u202c") == "<U+009B>2J <U+202E>abc<U+202C>"


def test_clean_text_is_returned_as_it_is() -> None:
    clean = "Width α×1 · ⚡ 📊 漢字 é — tabs\tand\nlines, <U+202E> and ␛ as text"
    assert inert(clean) is clean
    assert not has_controls(clean)
    assert all(has_controls(f"a{c}b") for c in C0 + ["\x7f"] + C1 + BIDI)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.text())
def test_inert_leaves_no_control_and_is_idempotent(text: str) -> None:
    shown = inert(text)
    assert UNSAFE.search(shown) is None
    assert inert(shown) == shown
    if UNSAFE.search(text) is None:
        assert shown == text


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.recursive(
        st.text() | st.integers(), lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids)
    )
)
def test_escaped_json_is_the_same_value_and_inert(value: object) -> None:
    for ascii_only in (True, False):
        text = json_escaped(json.dumps(value, ensure_ascii=ascii_only))
        assert UNSAFE.search(text) is None
        assert json.loads(text) == value


# The consoles every command prints through


@pytest.fixture
def forced_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)


def _printed(*objects: object, width: int = 30, **options: object) -> str:
    console = context.console()
    console.file = io.StringIO()
    console.width = width
    console.print(*objects, **options)
    return console.file.getvalue()


def test_colour_survives_and_hostile_text_does_not(forced_colour: None) -> None:
    out = _printed(Text.assemble(("bold ", "bold red"), "\x1b]52;c;SGVsbG8=\x07 \x9b2J"), width=60)
    assert "\x1b[1;31m" in out
    assert "␛]52;c;SGVsbG8= <U+009B>2J" in out  # Rich drops BEL itself
    assert_inert(out)


def test_a_line_the_stand_ins_widen_is_folded_never_cropped(forced_colour: None) -> None:
    hostile = "\u202eab\u202c cd \x1b[2J ef gh ij kl"
    out = SGR.sub("", _printed(Panel(Text(hostile)), width=30))
    assert all(cell_len(line) <= 30 for line in out.splitlines()), out
    assert inert(hostile) in "".join(line.strip("│ ") for line in out.splitlines()), out
    cut = SGR.sub("", _printed(Text("x" * 20 + " \u202e\u202c"), no_wrap=True, overflow="ellipsis"))
    assert cut == "x" * 20 + " <U+202E>…\n"


def test_a_spinner_still_draws_and_its_text_is_inert(
    forced_colour: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_INTERACTIVE", "1")
    console = context.console()
    console.file = io.StringIO()
    with console.status("demo \x1b]0;title\x07…"):
        time.sleep(0.2)
        console.print("inside \x1b[2J")
    console.print("after \x9b2J")
    out = console.file.getvalue()
    assert "\x1b[?25l" in out and "\x1b[?25h" in out  # Rich's cursor codes: the spinner ran
    assert "demo ␛]0;title…" in out and "inside ␛[2J" in out and "after <U+009B>2J" in out
    assert_inert(out.replace("\x1b[?25l", "").replace("\x1b[?25h", "").replace("\x1b[2K", "")
                 .replace("\x1b[1A", "").replace("\r", ""))  # fmt: skip


# Every command, with a hostile bank


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    path = tmp_path / "evil.yaml"
    path.write_text(HOSTILE_BANK, encoding="utf-8")
    return path


def _run(home: Path, bank: Path, *args: str, text: str = "", **env: str):
    result = CliRunner().invoke(
        app, ["--bank", str(bank), *args], input=text, env={**cli_env(home), **env}
    )
    assert_inert(result.stdout)
    assert_inert(result.stderr)
    return result


@pytest.mark.parametrize("colour", ["forced", "none"])
def test_no_command_lets_bank_text_reach_the_terminal(
    colour: str, evil: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = {"FORCE_COLOR": "1"} if colour == "forced" else {"NO_COLOR": "1"}
    runs = {
        "list": _run(home, evil, "list", "-t", "evil", **env),
        "show": _run(home, evil, "show", "evil-bank/1", **env),
        "check": _run(home, evil, "check", str(evil), **env),
        "practice": _run(home, evil, "practice", "-t", "evil", text="\n3\n\nx\n3\n", **env),
        "stats": _run(home, evil, "stats", **env),
        "history": _run(home, evil, "history", **env),
        "due": _run(home, evil, "list", "--due", **env),
    }
    for name, result in runs.items():
        assert result.exit_code == 0, (name, result.output)
        assert ("\x1b[" in result.stdout) == (colour == "forced"), name
    assert "Question ␛]52;c;SGVsbG8= clip ␛]0;pwned <U+202E>RLO<U+202C>" in runs["show"].stdout
    assert "␛]8;;http://evil␛\\click" in runs["show"].stdout
    assert "Evil ␛]0;pwned-title bank <U+202E>" in runs["check"].stdout
    assert "Second ␛[H␛[2J question" in runs["practice"].stdout
    assert "Second ␛[H␛[2J question" in runs["history"].stdout


def test_json_escapes_every_control_and_keeps_the_text_exact(evil: Path, tmp_path: Path) -> None:
    result = _run(tmp_path / "home", evil, "show", "evil-bank/1", "--json")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\\u001b]52;c;" in result.stdout
    assert "\\u202e" in result.stdout and "\\u009b" in result.stdout and "\\u007f" in result.stdout
    shown = json.loads(result.stdout)
    assert shown["question"].startswith("Question \x1b]52;c;SGVsbG8=\x07 clip")
    assert "\u202eRLO\u202c end \x9b2J" in shown["question"]


def test_error_lines_quote_hostile_values_inert(evil: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    bad = _run(home, evil, "list", "-t", "\x1b]0;x\x07\u202e\x9b", FORCE_COLOR="1")
    assert bad.exit_code == 2
    assert "--topic: unknown value '␛]0;x<U+202E><U+009B>'" in bad.stderr
    missing = _run(home, tmp_path / "\x1b]0;x\x07.yaml", "list")
    assert missing.exit_code == 2
    assert "␛]0;x.yaml: no such bank file" in missing.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(HOSTILE_BANK.replace("id: evil-two", 'id: "ev\\u202e"'), encoding="utf-8")
    refused = _run(home, evil, "check", str(broken))
    assert refused.exit_code == 2
    assert "question 'ev<U+202E>'" in refused.stderr


def test_completion_shows_questions_inert_and_keeps_their_brackets(evil: Path) -> None:
    line = f"cvquiz --bank {evil} show evil"
    env = {**os.environ, "_CVQUIZ_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line}
    proc = subprocess.run([sys.executable, "-m", "cvquiz"], capture_output=True, text=True,
                          env=env, timeout=60)  # fmt: skip
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr  # [/x] crashed Typer's markup
    assert_inert(proc.stdout)
    assert '"evil-one":"Question ␛]52;c;SGVsbG8=␇ clip ␛]0;pwned␇ <U+202E>RLO' in proc.stdout
    assert "question [/x] [bold]b[/bold]?" in proc.stdout
