"""Terminal manners: 60 to 120 columns, any stdout encoding, NO_COLOR, Ctrl-C, bank-id/N, small
wording, and --help for every command."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from demo_runs import default_run
from rich.cells import cell_len
from rich.console import Console

from cvquiz.demos.index import demo_ids
from cvquiz.render.demo import chart_value, fmt, render_result

WIDTHS = [60, 80, 120]
VIT_BANK = """\
id: my-vit-bank
title: Vision Transformers
questions:
  - number: 1
    id: what-is-vit
    topic: vit
    difficulty: easy
    question: "What is a ViT?"
    answer: "A transformer encoder applied to a sequence of image patches."
"""


def widest(text: str) -> int:
    return max(cell_len(line) for line in text.splitlines())


def run(*args: str, **env: str) -> subprocess.CompletedProcess[bytes]:
    """cvquiz in a real process, its output as bytes (so that its encoding can be checked)."""
    return subprocess.run(
        [sys.executable, "-m", "cvquiz", *args],
        capture_output=True,
        env={**os.environ, **env},
        timeout=120,
    )


@pytest.fixture
def vit_bank(tmp_path: Path) -> str:
    path = tmp_path / "vit.yaml"
    path.write_text(VIT_BANK, encoding="utf-8")
    return str(path)


# Narrow terminals


@pytest.mark.parametrize(
    ("width", "row"),
    [
        # 60: the id goes (the number names a question too); the question reads whole
        (60, "24 mobilenet 🔥 hard Complexity vs standard conv? ▶"),
        (80, "24 depthwise-vs-standard-cost mobilenet 🔥 hard Complexity vs standard ▶"),
        (120, "24 depthwise-vs-standard-cost mobilenet 🔥 hard Complexity vs standard conv? ▶"),
    ],
)
def test_list_reads_at_every_width(cli, monkeypatch, width: int, row: str) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    result = cli("list")
    assert result.exit_code == 0, result.output
    assert widest(result.stdout) <= width
    assert any(line.split() == row.split() for line in result.stdout.splitlines()), result.stdout


@pytest.mark.parametrize("width", WIDTHS)
def test_show_check_and_demo_listings_fit(cli, monkeypatch, width: int) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    for args in (["show", "23"], ["check"], ["demo", "--list"], ["demo", "24", "--params"]):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert widest(result.stdout) <= width, (args, result.stdout)
    related = cli("show", "23").stdout.splitlines()
    if width == 60:  # a related question that wraps stays under its own text
        at = related.index("  24  Complexity vs standard conv?".ljust(60))
        assert related[at + 1].rstrip() == "      (depthwise-vs-standard-cost)"


@pytest.mark.parametrize("demo_id", demo_ids())
def test_every_demo_keeps_its_numbers_whole_at_every_width(demo_id: str) -> None:
    result = default_run(demo_id)
    for width in WIDTHS:
        out = io.StringIO()
        render_result(Console(file=out, width=width, color_system=None), result)
        text = out.getvalue()
        assert widest(text) <= width, (width, text)
        for table in result.tables:
            for row in table.rows:
                for cell in row:
                    if " " not in fmt(cell):  # a number, a shape, a one-word label
                        assert fmt(cell) in text, (width, table.title, fmt(cell))
        assert "…" not in text.splitlines()[0]  # the title is never cut


def test_inverted_residual_at_60_columns(cli, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    result = cli("demo", "27")
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[:2] == ["MobileNetV2 inverted residual: expand → depthwise → linear", "project"]
    expand = next(line for line in lines if line.startswith("expand 1×1"))
    assert expand.split()[-4:] == ["144×56×56", "451,584", "3,744", "10,838,016"]


def test_chart_values_have_three_significant_digits(cli) -> None:
    assert [chart_value(v) for v in (568.740352, 149.497088, 41.030272, 1.9234, 0.000123)] == [
        "569", "149", "41", "1.92", "0.00012",
    ]  # fmt: skip
    assert chart_value(12345.6) == "12,346"
    out = cli("demo", "width-multiplier").stdout
    bars = [line.split() for line in out.splitlines() if line.startswith("  α=")]
    assert [(b[0], b[-1]) for b in bars] == [
        ("α=1", "569"), ("α=0.75", "325"), ("α=0.5", "149"), ("α=0.25", "41"),
    ]  # fmt: skip
    assert "149.497" not in out


# Any encoding


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show", "23"], "+- Q23 - mobilenet - medium ---"),
        (["show", "23"], "| 1x1 conv after depthwise-mixes channels at each spatial"),
        (["list"], "24  depthwise-vs-standard-cost  mobilenet  hard    Complexity vs standard"),
        (["check"], "+ data/questions.yaml: 40 questions, valid"),
        (["demo", "--list"], "depthwise-separable-cost"),
        (["demo", "24", "--params"], "stride of the kxk convs"),
    ],
)
def test_an_ascii_stdout_gets_plain_stand_ins(args: list[str], expected: str) -> None:
    proc = run(*args, PYTHONIOENCODING="ascii")
    assert proc.returncode == 0, proc.stderr.decode()
    text = proc.stdout.decode("ascii")  # raises if anything but ASCII was written
    assert expected in text, text


def test_json_on_an_ascii_stdout_is_escaped_not_replaced() -> None:
    ascii_ = run("show", "23", "--json", PYTHONIOENCODING="ascii")
    utf8 = run("show", "23", "--json", PYTHONIOENCODING="utf-8")
    assert ascii_.returncode == utf8.returncode == 0
    assert b"\\u00d7" in ascii_.stdout  # the × of 1×1, as JSON writes it in ASCII
    assert json.loads(ascii_.stdout.decode("ascii")) == json.loads(utf8.stdout.decode("utf-8"))


def test_latin_1_keeps_what_it_can_write() -> None:
    proc = run("show", "23", PYTHONIOENCODING="latin-1")
    assert proc.returncode == 0, proc.stderr.decode()
    assert "1×1 conv after depthwise-mixes" in proc.stdout.decode("latin-1")  # × yes, — no


def test_json_never_carries_colour_even_when_colour_is_forced() -> None:
    forced = run("list", "--json", FORCE_COLOR="1", TERM="xterm-256color")
    assert forced.returncode == 0
    assert b"\x1b" not in forced.stdout
    assert b"\x1b[" in run("list", FORCE_COLOR="1", TERM="xterm-256color").stdout  # can fail


# Small slips


def test_a_demo_without_settings_says_so(cli) -> None:
    result = cli("demo", "mobilenetv3", "--set", "x=1")
    assert result.exit_code == 2
    assert result.stderr == "cvquiz: error: --set x: demo 'mobilenetv3' has no settings to change\n"


def test_exporting_to_a_folder_says_it_is_a_folder(cli, tmp_path: Path) -> None:
    for output in (str(tmp_path), f"{tmp_path}/new-folder/"):
        result = cli("export", "-o", output)
        assert result.exit_code == 2
        assert (
            result.stderr == f"cvquiz: error: --output {output}: is a directory; give a file name\n"
        )


def test_ctrl_c_in_any_command_exits_130(cli, monkeypatch) -> None:
    import cvquiz.bank.find

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cvquiz.bank.find, "find_questions", interrupted)
    result = cli("list")
    assert result.exit_code == 130
    assert "Aborted" not in result.output


# Several banks


def test_several_banks_name_questions_as_bank_id_slash_number(cli, vit_bank: str) -> None:
    several = cli("--bank", vit_bank, "show", "1")
    assert several.exit_code == 2
    assert [line.rstrip() for line in several.stdout.splitlines()] == [
        "2 questions match '1'; say which as bank-id/N:",
        "  cnn-architectures/1  what-is-resnet  What is ResNet?",
        "  my-vit-bank/1        what-is-vit     What is a ViT?",
    ]
    chosen = cli("--bank", vit_bank, "show", "my-vit-bank/1", "--json")
    assert json.loads(chosen.stdout)["id"] == "what-is-vit"
    listed = cli("--bank", vit_bank, "list", "--topic", "vit").stdout
    assert listed.splitlines()[0] == "bank my-vit-bank"
    assert listed.splitlines()[-1] == "1 question · read one: cvquiz show bank-id/N"
    assert cli("list").stdout.splitlines()[-1].endswith("cvquiz show N")  # one bank: plain N


# Help


def test_help_covers_every_command_at_60_columns(cli, monkeypatch) -> None:
    import typer

    from cvquiz.cli.app import app

    monkeypatch.setenv("COLUMNS", "60")
    top = cli("--help")
    assert top.exit_code == 0
    assert widest(top.stdout) <= 60
    names = list(typer.main.get_command(app).commands)
    assert "completion" in names
    for name in names:
        assert f"│ {name} " in top.stdout, name
        own = cli(name, "-h")
        assert own.exit_code == 0, (name, own.output)
        assert widest(own.stdout) <= 60, (name, own.stdout)
    words = " ".join(top.stdout.replace("│", " ").split())
    assert "bank-id/N when banks share numbers" in words
    assert "NO_COLOR=1 or --no-color: no colour" in words
