"""Hostile input: devices, FIFOs, loops, huge numbers, deep nesting and closed pipes each give a
result or one error line with exit status 2, never a traceback and never a hang."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from practice_helpers import PYTHON, ROOT, cli_env

from cvquiz.errors import CvquizError
from cvquiz.links import load_bank

BANK = """\
id: my-bank
title: My bank
{extra}questions:
  - number: {number}
    id: q-one
    topic: resnet
    difficulty: easy
    question: What?
    answer: This.
{more}"""
LONG_NAME = "x" * 300  # over the 255 bytes a file name may have


def bank(tmp_path: Path, *, number: str = "1", more: str = "", extra: str = "") -> Path:
    path = tmp_path / "bank.yaml"
    path.write_text(BANK.format(number=number, more=more, extra=extra), encoding="utf-8")
    return path


def run(*args: str | bytes, home: Path, cwd: Path | None = None, stdout=subprocess.PIPE, **env):
    """cvquiz in a real process, with a timeout: a command that blocks fails instead of hanging."""
    return subprocess.run(
        [PYTHON, "-m", "cvquiz", *args],
        cwd=cwd or ROOT,
        env=cli_env(home, **env),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=60,
    )


def one_error_line(stderr: str | bytes, *expected: str) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = text.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cvquiz: error: "), text
    for part in expected:
        assert part in lines[0], text
    return lines[0]


def refused(path: Path, *expected: str) -> str:
    with pytest.raises(CvquizError) as caught:
        load_bank(path)
    for part in expected:
        assert part in caught.value.message
    return caught.value.message


# ------------------------------------------------------------------ files that are not files


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_before_a_byte_is_read(isolated_env: Path) -> None:
    proc = run("check", "/dev/zero", home=isolated_env)
    assert proc.returncode == 2
    one_error_line(proc.stderr, "/dev/zero: not a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, isolated_env: Path) -> None:
    fifo = tmp_path / "bank.yaml"
    os.mkfifo(fifo)
    for args in (["check", str(fifo)], ["--bank", str(fifo), "list"]):
        proc = run(*args, home=isolated_env)  # blocked for ever before the fix
        assert proc.returncode == 2
        one_error_line(proc.stderr, "bank.yaml: not a regular file")
    proc = run("list", home=isolated_env, CVQUIZ_BANK=str(fifo))
    assert proc.returncode == 2
    one_error_line(proc.stderr, "not a regular file")


def test_a_directory_as_bank_is_one_error(tmp_path: Path, cli) -> None:
    result = cli("--bank", str(tmp_path), "list")
    assert result.exit_code == 2
    one_error_line(result.stderr, "is a directory, not a bank file")


def test_a_symlink_loop_is_one_error(tmp_path: Path, cli, monkeypatch) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    loop = str(tmp_path / "a")
    for args in (["--bank", loop, "list"], ["check", loop]):
        result = cli(*args)  # RuntimeError: Symlink loop, before the fix
        assert result.exit_code == 2
        one_error_line(
            result.stderr, "a: cannot read bank file (Too many levels of symbolic links)"
        )
    monkeypatch.setenv("CVQUIZ_BANK", loop)
    result = cli("list")
    assert result.exit_code == 2
    one_error_line(result.stderr, "symbolic links")


def test_names_over_255_bytes_are_one_error(tmp_path: Path, cli, monkeypatch) -> None:
    for args, expected in [
        (["--bank", str(tmp_path / LONG_NAME / "bank.yaml"), "list"], "--bank "),
        (["--bank", f"{LONG_NAME}.yaml", "list"], "--bank "),
        (["check", f"{LONG_NAME}.yaml"], "(File name too long)"),
        (["export", "-o", f"{LONG_NAME}.csv"], "--output "),
        (["export", "-o", str(tmp_path / LONG_NAME / "x.csv")], "--output "),
        (["--bank", "/".join(["y" * 200] * 25), "list"], "the limit is 4,095"),
    ]:
        result = cli(*args)  # OSError: [Errno 36] File name too long, before the fix
        assert result.exit_code == 2, args
        one_error_line(result.stderr, expected)
    monkeypatch.setenv("CVQUIZ_HOME", str(tmp_path / LONG_NAME))
    result = cli("stats")
    assert result.exit_code == 2
    one_error_line(result.stderr, "CVQUIZ_HOME ", "of 300 bytes; the limit is 255")


def test_a_bank_file_name_that_is_not_utf8(tmp_path: Path, isolated_env: Path) -> None:
    name = os.fsdecode(b"\xff-bank.yaml")
    (tmp_path / name).write_bytes(bank(tmp_path).read_bytes())
    cache = tmp_path / "cache"
    for _ in range(2):  # built, then from the cache (UnicodeEncodeError there, before the fix)
        proc = run(b"--bank", b"\xff-bank.yaml", "list", "--json", home=isolated_env, cwd=tmp_path,
                   CVQUIZ_CACHE=str(cache))  # fmt: skip
        assert proc.returncode == 0, proc.stderr
        assert "my-bank/q-one" in [q["key"] for q in json.loads(proc.stdout)]


# ------------------------------------------------------------------ what YAML can build


def test_merge_keys_are_refused(tmp_path: Path) -> None:
    # Without an alias, `<<` reached the line-number index and raised a ConstructorError.
    refused(bank(tmp_path, more="    <<: {tags: [a]}\n"), "bank.yaml:10: YAML merge keys (<<)")
    refused(bank(tmp_path, more="    !!merge x: {tags: [a]}\n"), "bank.yaml:10: YAML merge keys")
    refused(bank(tmp_path, more="    <<: 5\n"), "bank.yaml:10: YAML merge keys")
    refused(bank(tmp_path, more="    =: 5\n"), "bank.yaml:10:", "unknown key '='")


def test_numbers_too_long_to_print(tmp_path: Path, cli) -> None:
    message = refused(
        bank(tmp_path, number="1" * 4400), "bank.yaml:4: YAML error: a number of 4,400"
    )
    assert "set_int_max_str_digits" not in message
    refused(bank(tmp_path, number="1" * 5000, more="    tags: &t [a]\n"), "of 5,000 digits")
    # A hex, octal or sexagesimal number is not limited: before the fix, such a bank passed
    # `check`, then `list` could not print the number.
    huge_hex = "0x" + "F" * 4000
    refused(bank(tmp_path, number=huge_hex), "number must be at most 999,999,999 (got a number")
    refused(bank(tmp_path, number="0" + "7" * 6000), "number must be at most")
    refused(bank(tmp_path, number="0b" + "1" * 20000), "number must be at most")
    refused(bank(tmp_path, number="1" + ":59" * 3000), "number must be at most")
    refused(bank(tmp_path, number="-" + huge_hex), "number must be a whole number from 1 (got a")
    refused(bank(tmp_path, number="1000000000"), "(got 1000000000)")
    refused(bank(tmp_path, extra=f"chapter: {huge_hex}\n"), "bank chapter must be a number up to")
    refused(bank(tmp_path, more=f"    tags: [{huge_hex}]\n"), "kebab-case (got a number of about")
    refused(bank(tmp_path, more="    difficulty: 0x" + "F" * 4000 + "\n"), "bank.yaml:")
    for args in (["check", str(bank(tmp_path, number=huge_hex))], ["--bank", str(bank(tmp_path, number=huge_hex)), "list"]):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 2
        one_error_line(result.stderr, "number must be at most")


def test_a_small_hex_number_is_the_number_it_writes(tmp_path: Path, cli) -> None:
    result = cli("--bank", str(bank(tmp_path, number="0x1A")), "show", "my-bank/26", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["number"] == 26


@pytest.mark.parametrize("depth", [60, 975, 990, 998, 1200])
@pytest.mark.parametrize("shape", ["[{}]", "{{a: {}}}"])
def test_deep_nesting_is_one_error(tmp_path: Path, depth: int, shape: str) -> None:
    nested = "1"
    for _ in range(depth):
        nested = shape.format(nested)
    # RecursionError in the checks or their messages, before the fix (975-990 levels)
    message = refused(bank(tmp_path, more=f"    tags: {nested}\n"), "bank.yaml:10: ")
    assert "nested more than 50 deep" in message or "maximum nesting depth" in message
    message = refused(bank(tmp_path, more=f"    tags: &t {nested}\n"), "bank.yaml:10: ")
    assert "nested more than 50 deep" in message or "maximum nesting depth" in message


def test_nesting_a_bank_needs_still_loads(tmp_path: Path) -> None:
    deep = "[" * 40 + "]" * 40  # refused by the schema, not by the nesting limit
    refused(bank(tmp_path, more=f"    tags: {deep}\n"), "bank.yaml:10:", "tags must be lowercase")


# ------------------------------------------------------------------ what a user types


def test_question_numbers_of_5000_digits(tmp_path: Path, cli) -> None:
    path = str(bank(tmp_path))
    digits = "1" * 5000
    for query in (digits, f"my-bank/{digits}"):
        result = cli("--bank", path, "show", query)  # ValueError (int limit), before the fix
        assert result.exit_code == 2, query
        assert len(one_error_line(result.stderr, "no question")) < 200  # the query cut short
    result = cli("--bank", path, "show", "0" * 5000 + "26", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["number"] == 26
    result = cli("--bank", path, "history", digits)
    assert result.exit_code == 2
    one_error_line(result.stderr, "no question number 1111")


def test_show_json_of_an_ambiguous_question_is_an_error_line(cli) -> None:
    result = cli("show", "resnet", "--json")
    assert result.exit_code == 2
    assert result.stdout == ""  # a human list went to stdout, before the fix
    one_error_line(result.stderr, "questions match 'resnet': 1 what-is-resnet, ", "number or id")
    result = cli("show", "resnet")  # without --json, the list to choose from
    assert result.exit_code == 2
    assert "questions match 'resnet'; say which:" in result.stdout


@pytest.mark.parametrize(
    "args", [["list"], ["list", "--json"], ["show", "1"], ["--help"], ["--version"], ["list", "-h"]]
)
def test_a_closed_stdout_exits_quietly(args: list[str], isolated_env: Path) -> None:
    # As `ls | head -1` when head has gone: no message, status 141 (128 + SIGPIPE); it was 1.
    read, write = os.pipe()
    os.close(read)  # every write now fails with EPIPE
    try:
        proc = run(*args, home=isolated_env, stdout=write)
    finally:
        os.close(write)
    assert proc.stderr == b""
    assert proc.returncode == 141


def test_a_tagged_boolean_that_is_no_boolean_is_one_line(tmp_path: Path, cli) -> None:
    """`!!bool maybe` made PyYAML raise a bare KeyError: a traceback."""
    bank = tmp_path / "maybe.yaml"
    bank.write_text("id: b\ntitle: T\nquestions:\n  - number: !!bool maybe\n", encoding="utf-8")
    done = cli("check", str(bank))
    assert done.exit_code == 2
    assert (
        done.stderr.strip() == f"cvquiz: error: {bank}:4: 'maybe' is not a boolean (true or false)"
    )
