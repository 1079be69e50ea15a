"""Text from a bank is shown as written: square brackets are never read as Rich markup."""

from __future__ import annotations

from pathlib import Path

BANK = """\
id: brackets
title: "[/] My [bold]bank"
questions:
  - number: 1
    id: q-one
    topic: vit
    difficulty: easy
    question: "What is [/]this[b]?"
    answer: "An [i]answer[/i] [/]"
    concepts: [{name: "[/]", synonyms: ["[x]"]}]
"""
QUESTION = "What is [/]this[b]?"


def test_every_screen_shows_brackets_as_written(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.setenv("CVQUIZ_NOW", "2026-11-25T10:00:00+00:00")
    bank = tmp_path / "b.yaml"
    bank.write_text(BANK, encoding="utf-8")
    base = ("--bank", str(bank))
    screens = {
        "check": cli(*base, "check", str(bank)),
        "list": cli(*base, "list", "--topic", "vit"),
        "show": cli(*base, "show", "q-one"),
        "practice": cli(*base, "practice", "--topic", "vit", input="\n3\n"),
    }
    screens["stats"] = cli(*base, "stats")
    screens["history"] = cli(*base, "history")
    for name, result in screens.items():
        assert result.exit_code == 0, (name, result.output)
    assert (
        "[/] My [bold]bank" in screens["check"].stdout
        and "bank id brackets" in screens["check"].stdout
    )
    for name in ("list", "show", "practice", "stats", "history"):
        assert QUESTION in screens[name].stdout, name
    assert "An [i]answer[/i] [/]" in screens["show"].stdout
    assert "An [i]answer[/i] [/]" in screens["practice"].stdout
