"""list, show and the global options, as a user sees them in an 80-column terminal."""

from __future__ import annotations

import json

from cvquiz.bank.schema import QUESTION_KEYS


def test_list_table_fits_80_columns_and_marks_difficulty(cli) -> None:
    result = cli("list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    row = next(line for line in lines if "depthwise-vs-standard-cost" in line)
    assert row.split()[:5] == ["24", "depthwise-vs-standard-cost", "mobilenet", "🔥", "hard"]
    assert "40 questions" in lines[-1]


def test_list_filters_take_several_values_case_insensitively(cli) -> None:
    result = cli("list", "--json", "--difficulty", "HARD", "-d", "easy", "--topic", "MobileNet")
    assert result.exit_code == 0, result.output
    questions = json.loads(result.stdout)
    assert [q["number"] for q in questions] == [24, 25, 27, 31, 33, 35, 37, 40]
    assert set(questions[0]) == {
        "key",
        *(k for k in QUESTION_KEYS if k not in ("code", "demo", "probes", "errata")),
    } | {k for k in ("demo", "probes", "errata") if k in questions[0]}  # written only when set
    result = cli("list", "--json", "--tag", "depthwise")
    assert [q["id"] for q in json.loads(result.stdout)] == [
        "what-is-mobilenet", "depthwise-conv", "pointwise-conv", "depthwise-vs-standard-cost", "strided-depthwise",
    ]  # fmt: skip


def test_unknown_filter_value_lists_the_valid_ones(cli) -> None:
    result = cli("list", "--difficulty", "hardd")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "cvquiz: error: --difficulty: unknown value 'hardd' (valid: easy, medium, hard); did you mean 'hard'?"
    )


def test_show_by_number_id_and_words(cli) -> None:
    by_number = cli("show", "24", "--json")
    by_id = cli("show", "depthwise-vs-standard-cost", "--json")
    by_words = cli("show", "complexity vs standard", "--json")
    assert by_number.exit_code == by_id.exit_code == by_words.exit_code == 0
    assert json.loads(by_number.stdout) == json.loads(by_id.stdout) == json.loads(by_words.stdout)
    shown = cli("show", "23")
    assert "groups=in_channels" in shown.stdout
    assert "Next an interviewer may ask:" in shown.stdout
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80


def test_show_several_matches_lists_them_and_none_suggests(cli) -> None:
    several = cli("show", "residual")
    assert several.exit_code == 2
    assert "questions match 'residual'; say which:" in several.stdout
    assert "basic-residual-block" in several.stdout
    none = cli("show", "depthwize")
    assert none.exit_code == 2
    assert none.stderr.strip().startswith(
        "cvquiz: error: no question matches 'depthwize'; closest: depthwise-conv"
    )
    assert (
        cli("show", "41").stderr.strip()
        == "cvquiz: error: no question number 41 (numbers run 1-40)"
    )


def test_short_help_and_no_args_help(cli) -> None:
    short = cli("-h")
    assert short.exit_code == 0
    for command in ("list", "show", "check"):
        assert command in short.stdout
    assert cli("list", "-h").exit_code == 0


def test_list_due_shows_due_cards_weakest_first_within_filters(cli, monkeypatch) -> None:
    monkeypatch.setenv("CVQUIZ_NOW", "2026-11-20T10:00:00+00:00")
    # Q1 good, Q2 again, Q3 easy, then Q2 again at the end of the session: good.
    session = cli("practice", "--limit", "3", "--topic", "resnet", input="\n3\n\n1\n\n4\n\n3\n")
    assert session.exit_code == 0, session.output
    # Q1 and Q2 are learning cards 10 minutes away (due within Anki's 20-minute learn-ahead); Q3 waits 8 days.
    assert [d["number"] for d in json.loads(cli("list", "--due", "--json").stdout)] == [1, 2]
    monkeypatch.setenv("CVQUIZ_NOW", "2026-12-20T10:00:00+00:00")
    due = json.loads(cli("list", "--due", "--json").stdout)
    assert sorted(d["number"] for d in due) == [1, 2, 3]
    assert [d["recall"] for d in due] == sorted(d["recall"] for d in due)
    assert all(isinstance(d["recall"], float) and 0 < d["recall"] < 1 for d in due)
    assert json.loads(cli("list", "--due", "--json", "--topic", "mobilenet").stdout) == []
    table = cli("list", "--due")
    assert table.exit_code == 0, table.output
    assert "due, weakest first" in table.stdout


def test_show_by_bank_and_number_and_refuses_odd_numbers(cli) -> None:
    result = cli("show", "cnn-architectures/24", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == "depthwise-vs-standard-cost"
    for odd in ("1.5", "-1"):
        bad = cli("show", "--", odd)
        assert bad.exit_code == 2
        assert (
            bad.stderr.strip()
            == f"cvquiz: error: QUESTION: '{odd}' is not a question number (numbers are whole, like 24)"
        )


def test_error_messages_keep_square_brackets(cli) -> None:
    result = cli("show", "[bold]x[/bold] [/]")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(
        "cvquiz: error: no question matches '[bold]x[/bold] [/]'"
    )


def test_usage_errors_are_one_line_with_exit_2(cli) -> None:
    cases = {
        ("--bogus",): "cvquiz: error: No such option: --bogus (see cvquiz -h)",
        ("list", "--limit", "3"): "cvquiz: error: No such option: --limit (see cvquiz list -h)",
        ("export",): "cvquiz: error: Missing option '--output' / '-o' (see cvquiz export -h)",
        ("shwo",): "cvquiz: error: No such command 'shwo'. Did you mean 'show'? (see cvquiz -h)",
    }
    for args, line in cases.items():
        result = cli(*args)
        assert result.exit_code == 2, args
        assert result.stderr.strip() == line


def test_superscript_digits_are_not_a_number(cli) -> None:
    result = cli("show", "²")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "cvquiz: error: QUESTION: '²' is not a question number (numbers are whole, like 24)"
    )
