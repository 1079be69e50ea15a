"""Feedback on a typed answer: the reveal, `history` and its JSON, and line editing at a terminal."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pexpect
import pytest
from practice_helpers import NOW, NOW_TEXT, PYTHON, ROOT, cli_env
from rich.console import Console
from typer.testing import CliRunner

import cvquiz.cli  # noqa: F401  (registers every command)
from cvquiz.bank.library import builtin_bank_path
from cvquiz.cli import keys
from cvquiz.cli.app import app
from cvquiz.links import load_bank
from cvquiz.practice.grading import grade_answer
from cvquiz.practice.store import open_store
from cvquiz.render import practice as view

BANK = {q.id: q for q in load_bank(builtin_bank_path()).questions}


def _console() -> Console:
    return Console(record=True, width=100, color_system="truecolor", force_terminal=False)


def test_the_reveal_shows_matches_gaps_denials_and_misconceptions() -> None:
    q = BANK["degradation-problem"]
    typed = "deeper nets get worse training error, no optimization problem; it is overfitting"
    result = grade_answer(typed, q)
    con = _console()
    view.render_answer(con, q, grade=result)
    out = con.export_text()
    assert q.answer[:40] in out  # the model answer
    assert f"Your answer: {typed}" in out
    assert "✔ worse with depth · core  “deeper … worse”" in out
    assert "✔ training error · core  “training error”" in out
    assert "✘ without overfitting · core  missing" in out
    assert "✘ harder optimization  said denied: “no optimization problem”" in out
    assert "✘ misconception: degradation is overfitting  “overfitting”" in out
    why = next(m.why for m in q.misconceptions if m.name == "degradation is overfitting")
    assert why in " ".join(out.replace("│", " ").split())  # wrapped inside the panel
    assert f"{result.hits}/6 key concepts" in out


def test_the_users_own_words_are_highlighted_in_place() -> None:
    typed = "A 1x1 conv reduces channels, then a 3x3 reduce"
    result = grade_answer(typed, BANK["bottleneck-block"])
    text = view.typed_with_highlights(result)
    assert text.plain == typed
    styled = {(typed[s.start : s.end], str(s.style)) for s in text.spans}
    assert ("1x1 conv reduces channels", view.HIT_STYLE) in styled or (
        "1x1",
        view.HIT_STYLE,
    ) in styled
    assert ("3x3 reduce", view.MISCONCEPTION_STYLE) in styled


def test_no_grade_lines_without_concepts_or_misconceptions() -> None:
    from cvquiz.practice.grading import grade

    con = _console()
    view.render_answer(con, BANK["what-is-resnet"], grade=grade("anything", []))
    assert "Your answer" not in con.export_text()


# --- history and its JSON -----------------------------------------------------------------


def _run(home: Path, args: list[str], text: str = ""):
    env: dict[str, str | None] = {**cli_env(home), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, args, input=text, env=env)


def test_history_shows_the_typed_answer_and_its_grade(tmp_path: Path) -> None:
    home = tmp_path / "home"
    typed = "ResNet concatenates the feature maps of all earlier layers"
    result = _run(home, ["practice", "--typed", "--limit", "1"], f"{typed}\n\n")
    assert result.exit_code == 0, result.output
    assert "✘ misconception: resnet concatenates features" in result.output
    assert "Enter = again (suggested)" in result.output
    shown = _run(home, ["history"])
    assert shown.exit_code == 0, shown.output
    assert "› ResNet concatenates the featur" in shown.output
    assert "✘ resnet concatenates features" in shown.output
    assert re.search(r"again\s+1m\s+0/4", shown.output), shown.output
    rows = json.loads(_run(home, ["history", "--json"]).output)
    assert rows[0]["typed_answer"] == typed
    assert rows[0]["coverage"]["misconceptions"] == ["resnet concatenates features"]
    assert rows[0]["coverage"]["hit"] == [] and len(rows[0]["coverage"]["missed"]) == 4
    with open_store(home, now=NOW) as store:
        assert store.reviews()[0].coverage == rows[0]["coverage"]


# --- line editing -------------------------------------------------------------------------


def test_the_prompt_is_measured_by_readline() -> None:
    assert keys.readline_prompt("\x1b[1mYour answer\x1b[0m › ") == (
        "\x01\x1b[1m\x02Your answer\x01\x1b[0m\x02 › "
    )
    assert keys.readline_prompt("plain › ") == "plain › "


def test_a_line_ending_in_a_backslash_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = iter(["1x1 reduce \\", "3x3 \\", "1x1 expand"])
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(lines)

    monkeypatch.setattr("builtins.input", fake_input)
    con = Console(force_terminal=True, color_system="standard", width=80)
    read = keys.answer_reader(con, view.answer_prompt())
    assert read() == "1x1 reduce\n3x3\n1x1 expand"
    assert prompts[0] == "\x01\x1b[1m\x02Your answer\x01\x1b[0m\x02 › "
    assert prompts[1:] == [keys.CONTINUATION, keys.CONTINUATION]


def test_answers_go_into_the_sessions_history_commands_do_not() -> None:
    readline = pytest.importorskip("readline")
    readline.add_history("from an earlier session")
    answers = iter(["skip connections", "s", "  ", "residual functions"])
    typed = keys.KeyInput(lambda: next(answers), fd=0)
    assert readline.get_current_history_length() == 0  # a fresh history per session
    assert [typed.question(typed=True).kind for _ in range(4)] == [
        "reveal",
        "skip",
        "reveal",
        "reveal",
    ]
    history = [
        readline.get_history_item(i) for i in range(1, readline.get_current_history_length() + 1)
    ]
    assert history == ["skip connections", "residual functions"]


def _spawn(home: Path, *args: str) -> pexpect.spawn:
    return pexpect.spawn(PYTHON, ["-m", "cvquiz", "practice", *args], cwd=str(ROOT),
                         env=cli_env(home), dimensions=(40, 100), encoding="utf-8", timeout=20)  # fmt: skip


LEFT, HOME, END, UP, DELETE = "\x1b[D", "\x1b[H", "\x1b[F", "\x1b[A", "\x1b[3~"


@pytest.mark.slow
def test_arrow_keys_home_end_delete_and_history_edit_a_typed_answer(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = _spawn(home, "--typed", "--limit", "2", "--learn-ahead", "0")
    child.expect("Your answer")
    # Typed out of order, then put right with the arrow keys, Home, End and Delete.
    child.send("skip connections" + HOME + "residual functions with " + END + "!" + LEFT)
    child.send(DELETE + LEFT * 4 + "X" + "\x7f" + "\r")
    child.expect("2/4 key concepts")
    child.expect("suggested")
    child.send("3")
    child.expect("Your answer")
    child.send(UP + "\r")  # the session's last answer, recalled
    child.expect("key concepts")
    child.send("3")
    child.expect("Session done")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    with open_store(home, now=NOW) as store:
        typed = [r.typed_answer for r in reversed(store.reviews())]
    assert typed == ["residual functions with skip connections"] * 2
    assert "^[[" not in child.before


@pytest.mark.slow
def test_a_pasted_answer_of_several_lines_is_one_answer(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = _spawn(home, "--typed", "--limit", "1")
    child.expect("Your answer")
    child.send("\x1b[200~residual functions\nwith skip connections\x1b[201~")
    child.send("\r")
    child.expect("2/4 key concepts")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_list_and_show_load_no_grading_library(tmp_path: Path) -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['cvquiz', 'show', '24']\n"
        "try:\n    runpy.run_module('cvquiz', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "heavy = {'snowballstemmer', 'rapidfuzz', 'readline'} & set(sys.modules)\n"
        "print('HEAVY', sorted(heavy))\n"
    )
    out = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=cli_env(tmp_path / "home", now=NOW_TEXT),
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "HEAVY []" in out
