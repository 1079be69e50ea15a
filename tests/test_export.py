"""`cvquiz export`: formats, escaping, the JSON round trip, atomic writes, determinism and errors."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sqlite3
import stat
import subprocess
import sys
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cvquiz.bank.library import builtin_bank_path
from cvquiz.demos.result import DemoResult, Table, check
from cvquiz.errors import CvquizError
from cvquiz.exporters import anki_note
from cvquiz.exporters.formats import export_questions, resolve_format
from cvquiz.exporters.study_sheet import md_inline, md_text
from cvquiz.links import load_bank, load_library
from cvquiz.render.labels import DIFFICULTY_ICONS

# Every text field holds '<', '&' and both quotes; answers also hold Markdown syntax and an entity.
TRICKY_BANK = """\
id: tricky-bank
title: "Tricky <b>bank</b> & \\"friends\\""
chapter: 3
source: "Made for tests: <script>alert('x')</script> & more"
questions:
  - number: 1
    id: angle-brackets
    topic: resnet
    tags: [tricky, residual]
    difficulty: hard
    question: "Is <b>F(x)</b> & x \\"the\\" residual's sum?"
    answer: "Yes: y = F(x) + x when a < b && c > d; 'single' and \\"double\\" quotes & &amp; stay."
    code: "if a < b and c & d:\\n    print(\\"<tag>\\", 'q')"
    concepts:
      - name: "<skip> & \\"add\\""
        synonyms: ["x + f(x)"]
      - name: identity
    related: [plain-one, medium-one]
    demo: residual-block
  - number: 2
    id: plain-one
    topic: vit
    tags: [tricky]
    difficulty: easy
    question: "Plain question?"
    answer: "- starts like a list item\\n1. and like an ordered list\\n# and a heading\\n> and a quote"
  - number: 3
    id: medium-one
    topic: resnet
    tags: [tricky, markdown]
    difficulty: medium
    question: "Pipes | and *stars* and _under_ and `ticks` and [link](x)?"
    answer: "~strike~ ~~this~~ <!-- comment --> &lt;entity&gt; \\\\ backslash | pipe"
    related: [angle-brackets]
"""
EPOCH = "1700000000"


@pytest.fixture
def tricky(tmp_path: Path) -> Path:
    path = tmp_path / "tricky.yaml"
    path.write_text(TRICKY_BANK, encoding="utf-8")
    os.utime(path, (1_600_000_000, 1_600_000_000))
    return path


def export(cli, bank: Path, *args: str):
    return cli("--bank", str(bank), "export", *args)


def fake_demo(demo_id: str) -> DemoResult:
    """A demo result whose every text holds '<', '&' and quotes, as a stand-in for a torch run."""
    return DemoResult(
        demo_id=demo_id,
        title='Residual <block> & "shapes"',
        explanation=("unused",),
        tables=(
            Table(
                title="Shapes & 'sizes'",
                columns=("layer <i>", "params", "ratio"),
                rows=(('conv1 <3x3> & "bn"', 36_864, 0.5), ("sum | total", 73_728, None)),
                note="note: a < b & c",
            ),
        ),
        checks=(
            check(
                "params <exact> & right", expected=73_728, measured=73_728, source="torch 'numel'"
            ),
        ),
        convention="MACs & <conv> only",
    )


def texts_of(html_text: str) -> str:
    """What a browser shows for an HTML fragment: the text with tags removed and entities decoded."""

    class Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_starttag(self, tag: str, attrs) -> None:
            if tag == "br":
                self.parts.append("\n")

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = Collect()
    parser.feed(html_text)
    parser.close()
    return "".join(parser.parts)


# --------------------------------------------------------------------------- formats and options


@pytest.mark.parametrize(
    ("output", "fmt", "expected"),
    [
        ("cards.apkg", None, "apkg"),
        ("cards.TSV", None, "tsv"),
        ("sheet.markdown", None, "md"),
        ("bank.json", None, "json"),
        ("rows.txt", "csv", "csv"),
        ("-", "md", "md"),
        ("-", ".JSON", "json"),
    ],
)
def test_format_comes_from_the_option_or_the_extension(
    output: str, fmt: str | None, expected: str
) -> None:
    assert resolve_format(output, fmt) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "cards.txt"], "--output cards.txt: the extension '.txt' names no format; use one of .apkg, .tsv, .csv, .md, .markdown, .json or give --format"),
        (["-o", "cards"], "--output cards: the file name has no extension; use one of .apkg, .tsv, .csv, .md, .markdown, .json or give --format"),
        (["-o", "x.md", "-f", "pdf"], "--format pdf: unknown format (valid: apkg, tsv, csv, md, json)"),
        (["-o", "-"], "--output -: give --format (tsv, csv, md, json) for standard output"),
        (["-o", "-", "-f", "apkg"], "--output -: an .apkg is a binary zip file; write it to a file (--output cards.apkg)"),
        (["-o", "x.csv", "--with-demos"], "--with-demos: only apkg, tsv, md have a place for demo tables (not csv)"),
        (["-o", "x.md", "-t", "resnet", "-d", "easy", "--tag", "tricky"], "no questions match --topic resnet --difficulty easy --tag tricky; nothing written"),
        (["-o", "x.md", "-t", "resnot"], "--topic: unknown value 'resnot' (valid: mobilenet, resnet, vit); did you mean 'resnet'?"),
    ],
)  # fmt: skip
def test_user_errors_are_one_line_exit_2_and_write_nothing(
    cli,
    tricky: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = export(cli, tricky, *args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"cvquiz: error: {message}\n"
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_missing_directory_and_directory_target_are_errors(
    cli, tricky: Path, tmp_path: Path
) -> None:
    missing = cli("--bank", str(tricky), "export", "-o", str(tmp_path / "nope" / "x.md"))
    assert missing.exit_code == 2
    assert (
        missing.stderr
        == f"cvquiz: error: --output {tmp_path}/nope/x.md: directory '{tmp_path}/nope' does not exist\n"
    )
    folder = tmp_path / "folder.md"
    folder.mkdir()
    result = cli("export", "-o", str(folder))
    assert result.exit_code == 2
    assert result.stderr == f"cvquiz: error: --output {folder}: is a directory; give a file name\n"


def test_file_export_reports_what_it_wrote(
    cli, tricky: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = export(cli, tricky, "-o", "study.md", "--tag", "tricky")
    assert result.exit_code == 0, result.output
    size = (tmp_path / "study.md").stat().st_size
    assert size < 1024
    assert result.stdout == f"Wrote 3 questions (tricky-bank) to study.md (md, {size} bytes).\n"
    assert oct((tmp_path / "study.md").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------- escaping in every format


def test_csv_keeps_text_exact_with_a_header_row(cli, tricky: Path) -> None:
    result = export(cli, tricky, "-o", "-", "-f", "csv", "--tag", "tricky")
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes
    assert raw.startswith(b"number,id,topic,difficulty,question,answer,tags,errata\r\n")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))
    bank = load_bank(tricky)
    assert rows == [
        {
            "number": str(q.number),
            "id": q.id,
            "topic": q.topic,
            "difficulty": q.difficulty,
            "question": q.question,
            # A cell that starts like a formula ('-', '=', ...) gets OWASP's single quote.
            "answer": "'" + q.answer if q.answer.startswith("-") else q.answer,
            "tags": " ".join(q.tags),
            "errata": "",  # the tricky bank has none
        }
        for q in bank.questions
    ]
    assert rows[1]["answer"].startswith("'- starts like a list item\n")
    assert (
        rows[0]["answer"]
        == "Yes: y = F(x) + x when a < b && c > d; 'single' and \"double\" quotes & &amp; stay."
    )


def test_tsv_header_and_fields_are_escaped_html(cli, tricky: Path) -> None:
    result = export(cli, tricky, "-o", "-", "-f", "tsv", "--tag", "tricky")
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("\n")
    assert lines[:7] == [
        "#separator:tab",
        "#html:true",
        "#notetype:cvquiz Q&A",
        "#tags column:8",
        "#deck column:9",
        "#guid column:10",
        "#columns:Number\tQuestion\tAnswer\tCode\tConcepts\tDemo\tSource\tTags\tDeck\tGUID",
    ]
    rows = list(csv.reader(io.StringIO("\n".join(lines[7:])), delimiter="\t"))
    first = rows[0]
    assert first[:5] == [
        "1",
        "Is &lt;b&gt;F(x)&lt;/b&gt; &amp; x &quot;the&quot; residual&#x27;s sum?",
        "Yes: y = F(x) + x when a &lt; b &amp;&amp; c &gt; d; &#x27;single&#x27; and &quot;double&quot; quotes &amp; &amp;amp; stay.",
        "<pre><code>if a &lt; b and c &amp; d:<br>    print(&quot;&lt;tag&gt;&quot;, &#x27;q&#x27;)</code></pre>",
        "&lt;skip&gt; &amp; &quot;add&quot; · identity",
    ]
    assert first[5] == ""  # no demo without --with-demos
    assert (
        first[6]
        == "Tricky &lt;b&gt;bank&lt;/b&gt; &amp; &quot;friends&quot; · Q1 · tricky-bank/angle-brackets"
    )
    assert first[7:] == [
        "cvquiz::topic::resnet cvquiz::difficulty::hard cvquiz::tag::tricky cvquiz::tag::residual",
        'Tricky <b>bank</b> & "friends"::ResNet',  # deck names are plain text in Anki
        anki_note.note_guid(load_bank(tricky).questions[0]),
    ]
    bank = load_bank(tricky)
    for row, q in zip(rows, bank.questions, strict=True):
        assert texts_of(row[1]) == q.question
        assert texts_of(row[2]) == q.answer
    assert [row[8] for row in rows] == [
        'Tricky <b>bank</b> & "friends"::ResNet',
        'Tricky <b>bank</b> & "friends"::ViT',
        'Tricky <b>bank</b> & "friends"::ResNet',
    ]


def test_markdown_renders_every_character_as_written(cli, tricky: Path) -> None:
    from markdown_it import MarkdownIt

    result = export(cli, tricky, "-o", "-", "-f", "md", "--tag", "tricky")
    assert result.exit_code == 0, result.output
    sheet = result.stdout
    rendered = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(sheet)
    # Only the sheet's own structure becomes HTML: no tag from the bank, no list or quote from an answer.
    assert "<b>" not in rendered and "<s>" not in rendered and "<ol>" not in rendered
    assert "<blockquote>" not in rendered and "<a " not in rendered and "<!--" not in rendered
    shown = texts_of(rendered)
    bank = load_bank(tricky)
    for q in bank.questions:
        assert f"{DIFFICULTY_ICONS[q.difficulty]} Q{q.number}. {q.question}" in shown
        assert q.answer in shown
    assert "if a < b and c & d:\n    print(\"<tag>\", 'q')" in shown
    assert '<skip> & "add" · identity' in shown
    headings = [line for line in sheet.splitlines() if line.startswith("#")]
    assert headings == [
        '# Tricky \\<b\\>bank\\</b\\> & "friends"',
        "## ResNet",
        '### 🔥 Q1. Is \\<b\\>F(x)\\</b\\> & x "the" residual\'s sum?',
        "### 📊 Q3. Pipes \\| and \\*stars\\* and \\_under\\_ and \\`ticks\\` and \\[link\\](x)?",
        "## ViT",
        "### ⚡ Q2. Plain question?",
    ]
    assert "3 questions: ⚡ 1 easy · 📊 1 medium · 🔥 1 hard" in sheet


def test_markdown_escapes_only_what_would_change_meaning() -> None:
    assert md_inline("Q&A & a&b") == "Q&A & a&b"
    assert md_inline("&amp; &#39;") == "\\&amp; \\&#39;"
    assert (
        md_text("1. first\n  - dash\n# hash\n12) twelve\nplain")
        == "1\\. first\n\\- dash\n\\# hash\n12\\) twelve\nplain"
    )
    assert md_inline("1. not a list in a cell") == "1. not a list in a cell"


def test_json_round_trip_is_exact_for_the_whole_bank(cli, tmp_path: Path) -> None:
    out = tmp_path / "bank.json"
    result = cli("export", "-o", str(out))
    assert result.exit_code == 0, result.output
    original = load_bank(builtin_bank_path())
    assert load_bank(out).to_dict() == original.to_dict(original.questions)


def test_json_round_trip_of_a_tricky_selection(cli, tricky: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine.json"
    result = export(
        cli, tricky, "-o", str(out), "--tag", "tricky", "--difficulty", "hard", "-d", "medium"
    )
    assert result.exit_code == 0, result.output
    original = load_bank(tricky)
    selected = [q for q in original.questions if q.difficulty in ("hard", "medium")]
    again = load_bank(out)
    # A link to an unselected question (plain-one) is dropped, else the bank would not load.
    expected = original.to_dict(selected)
    expected["questions"][0]["related"] = ["medium-one"]
    assert again.to_dict() == expected
    assert again.questions[0].answer == original.questions[0].answer
    assert again.questions[0].code == original.questions[0].code
    listed = cli("--bank", str(out), "list", "--json", "--tag", "tricky")
    assert listed.exit_code == 0, listed.output
    assert [q["id"] for q in json.loads(listed.stdout)] == ["angle-brackets", "medium-one"]


def test_json_refuses_a_selection_spanning_banks(cli, tricky: Path) -> None:
    result = export(cli, tricky, "-o", "-", "-f", "json", "-t", "resnet", "-d", "hard")
    assert result.exit_code == 2
    assert result.stderr == (
        "cvquiz: error: --format json holds one bank, but the selection spans 2: "
        "cnn-architectures (5 questions), tricky-bank (1 question); "
        "narrow it to one bank with --topic or --tag\n"
    )
    result = export(cli, tricky, "-o", "-", "-f", "json", "-d", "easy")
    assert result.stderr.endswith(
        "narrow it to one, e.g. --topic mobilenet for cnn-architectures or --topic vit for tricky-bank\n"
    )


# --------------------------------------------------------------------------- demos


def test_with_demos_puts_escaped_tables_on_the_card_and_in_the_sheet(
    cli, tricky: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def run(demo_id: str) -> DemoResult:
        calls.append(demo_id)
        return fake_demo(demo_id)

    monkeypatch.setattr("cvquiz.exporters.demo_evidence.registry_run_demo", run)
    tsv = export(cli, tricky, "-o", "-", "-f", "tsv", "--tag", "tricky", "--with-demos")
    assert tsv.exit_code == 0, tsv.output
    assert calls == ["residual-block"]
    assert tsv.stderr == "Running demo 1/1: residual-block\n"
    rows = list(csv.reader(io.StringIO(tsv.stdout.split("\n", 7)[7]), delimiter="\t"))
    assert rows[0][5] == (
        '<div class="cvq-demo-title">Demo: Residual &lt;block&gt; &amp; &quot;shapes&quot;</div>'
        '<table class="cvq-table"><caption>Shapes &amp; &#x27;sizes&#x27;</caption>'
        "<tr><th>layer &lt;i&gt;</th><th>params</th><th>ratio</th></tr>"
        '<tr><td>conv1 &lt;3x3&gt; &amp; &quot;bn&quot;</td><td class="num">36,864</td><td class="num">0.5</td></tr>'
        '<tr><td>sum | total</td><td class="num">73,728</td><td>—</td></tr></table>'
        '<div class="cvq-note">note: a &lt; b &amp; c</div>'
        '<div class="cvq-checks-title">Checks: 1/1 passed</div>'
        '<ul class="cvq-checks"><li class="pass">params &lt;exact&gt; &amp; right: expected 73,728, '
        "measured 73,728 (exact; torch &#x27;numel&#x27;)</li></ul>"
        '<div class="cvq-note">MACs &amp; &lt;conv&gt; only</div>'
    )
    assert [row[5] for row in rows[1:]] == ["", ""]

    md = export(cli, tricky, "-o", "-", "-f", "md", "--tag", "tricky", "--with-demos")
    assert md.exit_code == 0, md.output
    section = md.stdout.split("**Demo: ", 1)[1].split("\n*hard", 1)[0]
    assert section.splitlines() == [
        'Residual \\<block\\> & "shapes"**',
        "",
        "*Shapes & 'sizes'*",
        "",
        "| layer \\<i\\> | params | ratio |",
        "| --- | ---: | ---: |",  # a blank cell does not make a number column text
        '| conv1 \\<3x3\\> & "bn" | 36,864 | 0.5 |',
        "| sum \\| total | 73,728 | — |",
        "",
        "note: a \\< b & c",
        "",
        "Checks: 1/1 passed",
        "",
        "- ✓ params \\<exact\\> & right: expected 73,728, measured 73,728 (exact; torch 'numel')",
        "",
        "*MACs & \\<conv\\> only*",
    ]


def test_with_demos_runs_the_real_registry_demo(tricky: Path) -> None:
    library = load_library([tricky], env={})
    result = export_questions(
        library, output="-", fmt="md", tags=["residual"], topics=["resnet"], with_demos=True, env={}
    )
    sheet = result.data.decode("utf-8")
    selected = [q for q in library.questions if q.topic == "resnet" and "residual" in q.tags]
    expected = len({q.demo for q in selected if q.demo})  # each demo runs once
    assert expected >= 2  # the fixture's question and built-in ones (residual-block, ...)
    assert result.demos == expected
    assert sheet.count("**Demo: ") == sum(
        1 for q in selected if q.demo
    )  # shown on every card it serves
    results = re.findall(r"Checks: (\d+)/(\d+) passed", sheet)
    assert len(results) == sheet.count("**Demo: ") and all(done == total for done, total in results)


def test_without_demos_no_torch_is_imported_in_any_format(tricky: Path, tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "from cvquiz.cli.app import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "print('PROBE', json.dumps({'code': code, 'heavy': [m for m in ('torch', 'numpy', 'fsrs', 'anki', 'genanki') if m in sys.modules]}))\n"
    )  # fmt: skip
    seen = {}
    for fmt in ("apkg", "tsv", "csv", "md", "json"):
        out = tmp_path / f"x.{fmt}"
        args = ["cvquiz", "--bank", str(tricky), "export", "-o", str(out), "--tag", "tricky"]
        proc = subprocess.run(
            [sys.executable, "-c", f"import sys; sys.argv = {args!r}\n" + probe],
            capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "80"},
        )  # fmt: skip
        line = next(x for x in proc.stdout.splitlines() if x.startswith("PROBE "))
        seen[fmt] = json.loads(line.removeprefix("PROBE "))
    assert seen == {
        "apkg": {"code": 0, "heavy": ["genanki"]},
        "tsv": {"code": 0, "heavy": ["genanki"]},  # genanki.guid_for only
        "csv": {"code": 0, "heavy": []},
        "md": {"code": 0, "heavy": []},
        "json": {"code": 0, "heavy": []},
    }


# --------------------------------------------------------------------------- atomic writes


def test_an_error_mid_write_leaves_the_old_file_and_no_temporary(
    cli, tricky: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "cards.apkg"
    target.write_bytes(b"previous export")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    result = export(cli, tricky, "-o", str(target), "--tag", "tricky")
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"cvquiz: error: --output {target}: cannot write (No space left on device)\n"
    )
    assert target.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cards.apkg", "tricky.yaml"]


def test_a_failing_renderer_writes_nothing(
    tricky: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "sheet.md"
    target.write_text("keep me", encoding="utf-8")

    def explode(*args, **kwargs):
        raise CvquizError("demo 'residual-block' failed")

    library = load_library([tricky], env={})
    with pytest.raises(CvquizError, match="demo 'residual-block' failed"):
        export_questions(
            library, output=str(target), tags=["tricky"], with_demos=True, env={}, run_demo=explode
        )
    assert target.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet.md", "tricky.yaml"]


def test_replace_is_the_last_step(
    tricky: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "rows.csv"
    target.write_text("old", encoding="utf-8")
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src, dst) -> None:
        # At the moment of the rename the temporary file is complete and the target still old.
        seen.append(
            (Path(src).read_text(encoding="utf-8")[:6], Path(dst).read_text(encoding="utf-8"))
        )
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    export_questions(load_library([tricky], env={}), output=str(target), tags=["tricky"], env={})
    assert seen == [("number", "old")]
    assert target.read_text(encoding="utf-8").startswith("number,id,topic")


# --------------------------------------------------------------------------- determinism


def _apkg_db(data: bytes) -> sqlite3.Connection:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        db = zf.read("collection.anki2")
    conn = sqlite3.connect(":memory:")
    conn.deserialize(db)
    return conn


@pytest.mark.parametrize("fmt", ["apkg", "tsv", "csv", "md", "json"])
def test_same_input_gives_the_same_bytes(
    cli, tricky: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    first, second = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)
    assert export(cli, tricky, "-o", str(first), "--tag", "tricky").exit_code == 0
    monkeypatch.setattr(time, "time", lambda: 2_000_000_000.0)  # a clock read anywhere would show
    os.utime(tricky, (1_600_000_900, 1_600_000_900))  # SOURCE_DATE_EPOCH overrides the bank's mtime
    assert export(cli, tricky, "-o", str(second), "--tag", "tricky").exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_apkg_timestamps_come_from_source_date_epoch(
    cli, tricky: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    out = tmp_path / "cards.apkg"
    assert export(cli, tricky, "-o", str(out), "--tag", "tricky").exit_code == 0
    data = out.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        assert [(i.filename, i.date_time) for i in infos] == [
            ("collection.anki2", (2023, 11, 14, 22, 13, 20)),
            ("media", (2023, 11, 14, 22, 13, 20)),
        ]
        assert zf.read("media") == b"{}"
    conn = _apkg_db(data)
    assert conn.execute("select distinct mod from notes").fetchall() == [(1_700_000_000,)]
    assert conn.execute("select distinct mod from cards").fetchall() == [(1_700_000_000,)]
    assert [r[0] for r in conn.execute("select id from notes order by id")] == [
        1_700_000_000_000, 1_700_000_000_002, 1_700_000_000_004
    ]  # fmt: skip
    models = json.loads(conn.execute("select models from col").fetchone()[0])
    assert [(m["id"], m["name"], m["mod"]) for m in models.values()] == [
        (str(anki_note.MODEL_ID), "cvquiz Q&A", 1_700_000_000)
    ]


def test_without_source_date_epoch_the_bank_mtime_dates_the_notes(
    tricky: Path, tmp_path: Path
) -> None:
    library = load_library([tricky], env={})
    first = export_questions(library, output="-", fmt="json", tags=["tricky"], env={})
    assert first.timestamp is None  # only the apkg carries a time
    out = tmp_path / "a.apkg"
    result = export_questions(library, output=str(out), tags=["tricky"], env={})
    assert result.timestamp == 1_600_000_000
    again = export_questions(library, output=str(tmp_path / "b.apkg"), tags=["tricky"], env={})
    assert again.data == result.data
    os.utime(tricky, (1_600_000_500, 1_600_000_500))  # the bank is edited
    edited = export_questions(library, output=str(tmp_path / "c.apkg"), tags=["tricky"], env={})
    assert edited.timestamp == 1_600_000_500
    assert _apkg_db(edited.data).execute("select distinct mod from notes").fetchall() == [
        (1_600_000_500,)
    ]


def test_a_bad_source_date_epoch_is_a_user_error(
    cli, tricky: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for bad in ("yesterday", "²", "99999999999", "0"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", bad)
        result = export(cli, tricky, "-o", str(tmp_path / "x.apkg"))
        assert result.exit_code == 2
        assert result.stderr == (
            f"cvquiz: error: SOURCE_DATE_EPOCH={bad}: expected whole seconds from 1980 to 2107 (like 1700000000)\n"
        )
        assert not (tmp_path / "x.apkg").exists()


def test_unknown_home_in_a_path_is_one_line(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    result = cli("export", "-o", "~no-such-user-here/x.md")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "cvquiz: error: --output ~no-such-user-here/x.md: cannot expand '~' (no such user or home directory)"
    )
    result = cli("--bank", "~no-such-user-here/b.yaml", "list")
    assert result.stderr.strip().startswith(
        "cvquiz: error: --bank ~no-such-user-here/b.yaml: cannot expand"
    )
    monkeypatch.setenv("CVQUIZ_BANK", "~no-such-user-here/b.yaml")
    assert (
        cli("list")
        .stderr.strip()
        .startswith("cvquiz: error: CVQUIZ_BANK ~no-such-user-here/b.yaml:")
    )


def test_with_demos_the_package_is_stamped_now_so_anki_takes_the_new_evidence(
    tricky: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cvquiz.exporters.formats import export_timestamp

    bank = load_bank(tricky)
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.5)
    assert export_timestamp([bank], {}) == 1_600_000_000  # the bank file's time
    assert export_timestamp([bank], {}, with_demos=True) == 1_800_000_000
    assert (
        export_timestamp([bank], {"SOURCE_DATE_EPOCH": "1700000000"}, with_demos=True)
        == 1_700_000_000
    )


def test_stable_ids_are_in_ankis_range_and_fixed() -> None:
    assert anki_note.MODEL_ID == anki_note.stable_id("cvquiz-note-v1")
    assert 1 << 30 <= anki_note.MODEL_ID < 1 << 31
    bank = load_bank(builtin_bank_path())
    ids = {
        anki_note.deck_id(bank),
        anki_note.deck_id(bank, "resnet"),
        anki_note.deck_id(bank, "mobilenet"),
    }
    assert len(ids) == 3 and all(1 << 30 <= i < 1 << 31 for i in ids)
    q24 = next(q for q in bank.questions if q.number == 24)
    import genanki

    assert anki_note.note_guid(q24) == genanki.guid_for(
        "cnn-architectures/depthwise-vs-standard-cost"
    )


def test_output_through_a_symlink_writes_the_linked_file(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from cvquiz.cli.app import app

    real = tmp_path / "real.csv"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    result = CliRunner().invoke(app, ["export", "-o", str(link)])
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8").startswith(
        "number,id,topic,difficulty,question,answer,tags"
    )


def test_output_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cvquiz.cli.app import app

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    result = CliRunner().invoke(app, ["export", "-o", str(fifo)])
    assert result.exit_code == 2
    assert result.stderr.strip().endswith(
        "is not a regular file; use --output - to write to standard output"
    )
    assert stat.S_ISFIFO(fifo.stat().st_mode)
