"""Exports of hostile bank text stay inert in the tools that open them, and --output refuses
symlinks that would make cvquiz overwrite a file it was not given (issue 13)."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cvquiz.bank.model import Library
from cvquiz.errors import CvquizError
from cvquiz.exporters import anki_note
from cvquiz.exporters.atomic import may_follow_link, resolve_target
from cvquiz.exporters.formats import export_questions
from cvquiz.exporters.spreadsheet import cell
from cvquiz.inert import has_controls
from cvquiz.links import load_bank

CONTROLS = "ESC \x1b]52;c;aGVsbG8=\x07 CSI \x1b[2J C1 \x9b1m NEL \x85 US \x1f DEL \x7f bidi \u202eevil\u202c"
MEDIA = (
    "[sound:evil.mp3] [latex]\\int x[/latex] [$]x^2[/$] [$$]y[/$$] "
    "[anki:tts lang=en_US]hi[/anki:tts] \\(a^2\\) \\[b\\]"
)
QUESTIONS = [
    ("formula", '=HYPERLINK("http://x","click")', "+5% and -1 and @SUM(A1)"),
    ("tab-start", "\tstarts with a tab", "@at the start"),
    ("lone-cr", "one\rtwo", "first\rsecond\r\nthird\nfourth"),
    ("media", MEDIA, "code: x[0] and \\(y\\)"),
    ("controls", CONTROLS, "-1"),
    ("plain", "Plain question?", "A plain answer with = and - inside."),
    ("minus", "-5 degrees?", "Yes."),
    ("at", "@home?", "No."),
]


def write_bank(path: Path, *, title: str = "Hostile bank") -> Path:
    """The bank as JSON (which is YAML), so every control character travels as an escape."""
    bank = {
        "id": "hostile",
        "title": title,
        "questions": [
            {
                "number": n,
                "id": qid,
                "topic": "resnet",
                "difficulty": "easy",
                "question": question,
                "answer": answer,
                **({"code": MEDIA + "\n" + CONTROLS} if qid == "media" else {}),
            }
            for n, (qid, question, answer) in enumerate(QUESTIONS, start=1)
        ],
    }
    path.write_text(json.dumps(bank), encoding="utf-8")
    os.utime(path, (1_650_000_000, 1_650_000_000))
    return path


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    return write_bank(tmp_path / "hostile.yaml")


def render(bank: Path, fmt: str) -> bytes:
    library = Library(banks=(load_bank(bank),))
    return export_questions(library, output="-", fmt=fmt, env={}).data


def texts_of(html_text: str) -> str:
    """What a browser shows for an HTML fragment: tags removed, entities decoded, <br> a newline."""

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


# --------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+5%", "'+5%"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "\u240dx"),  # CR is a control: its stand-in starts no formula
        ("a = b - c", "a = b - c"),
        (" =1", " =1"),
        ("'quoted", "'quoted"),
    ],
)
def test_csv_cells_that_start_like_formulas_get_a_single_quote(text: str, written: str) -> None:
    assert cell(text) == written


def test_csv_export_neutralises_formulas_and_controls(bank: Path) -> None:
    raw = render(bank, "csv").decode("utf-8")
    assert not has_controls(raw.replace("\r\n", "\n"))  # only the record ends are CR LF
    rows = list(csv.DictReader(io.StringIO(raw, newline="")))
    assert len(rows) == len(QUESTIONS)
    by_id = {row["id"]: row for row in rows}
    assert by_id["formula"]["question"] == '\'=HYPERLINK("http://x","click")'
    assert by_id["formula"]["answer"] == "'+5% and -1 and @SUM(A1)"
    assert by_id["tab-start"]["question"] == "'\tstarts with a tab"
    assert by_id["tab-start"]["answer"] == "'@at the start"
    assert by_id["lone-cr"]["question"] == "one\u240dtwo"
    assert by_id["controls"]["answer"] == "'-1"
    assert by_id["minus"]["question"] == "'-5 degrees?"
    assert by_id["at"]["question"] == "'@home?"
    assert by_id["plain"]["answer"] == "A plain answer with = and - inside."
    assert by_id["controls"]["question"] == (
        "ESC \u241b]52;c;aGVsbG8=\u2407 CSI \u241b[2J C1 <U+009B>1m NEL <U+0085> US \u241f "
        "DEL \u2421 bidi <U+202E>evil<U+202C>"
    )


# --------------------------------------------------------------------------- Markdown and JSON


def test_markdown_shows_controls_as_stand_ins_everywhere(bank: Path) -> None:
    sheet = render(bank, "md").decode("utf-8")
    assert not has_controls(sheet)
    # In a heading, in the answer's paragraph, and in the code fence alike.
    assert "### ⚡ Q5. ESC \u241b\\]52;c;aGVsbG8=\u2407 CSI \u241b\\[2J" in sheet
    assert "C1 \\<U+009B\\>1m NEL \\<U+0085\\> US \u241f DEL \u2421 bidi \\<U+202E\\>evil" in sheet
    assert "\nESC \u241b]52;c;aGVsbG8=\u2407 CSI \u241b[2J C1 <U+009B>1m NEL <U+0085>" in sheet
    assert "first\u240dsecond\u240d" not in sheet  # CR LF is one line break
    assert "first\u240dsecond\nthird\nfourth" in sheet


def test_json_escapes_controls_and_still_round_trips(bank: Path, tmp_path: Path) -> None:
    data = render(bank, "json")
    text = data.decode("utf-8")
    assert not has_controls(text)
    assert "\\u009b1m" in text and "\\u202eevil\\u202c" in text and "\\u001b]52" in text
    copy = tmp_path / "copy.json"
    copy.write_bytes(data)
    original, again = load_bank(bank), load_bank(copy)
    assert [(q.question, q.answer, q.code) for q in again.questions] == [
        (q.question, q.answer, q.code) for q in original.questions
    ]


# --------------------------------------------------------------------------- Anki fields and decks


def test_anki_fields_escape_media_latex_and_mathjax_syntax_and_show_the_text(bank: Path) -> None:
    source = load_bank(bank)
    media = next(q for q in source.questions if q.id == "media")
    question, _, code = anki_note.note_fields(media, source)[1:4]
    assert "[" not in question and "\\(" not in question and "\\[" not in question
    assert question.startswith("&#91;sound:evil.mp3] &#91;latex]\\int x&#91;/latex] &#91;$]x^2")
    assert "&#92;(a^2\\) &#92;&#91;b\\]" in question
    assert texts_of(question) == MEDIA
    assert "[" not in code and texts_of(code).startswith(MEDIA + "\n")
    lone_cr = next(q for q in source.questions if q.id == "lone-cr")
    assert anki_note.note_fields(lone_cr, source)[1:3] == [
        "one<br>two",
        "first<br>second<br>third<br>fourth",
    ]


def test_the_card_template_keeps_mathjax_off_the_bank_text() -> None:
    for template in (anki_note.FRONT, anki_note.BACK):
        body = template.split("{{FrontSide}}")[-1]
        opened = body.index('<div class="cvq-text mathjax_ignore tex2jax_ignore">')
        fields = [
            body.index("{{" + f + "}}")
            for f in ("Question", "Answer", "Source")
            if "{{" + f + "}}" in body
        ]
        assert fields and all(opened < at < body.rindex("</div>") for at in fields)


@pytest.mark.parametrize(
    ("title", "deck"),
    [
        ("Evil::Deck::Title", "Evil\u2237Deck\u2237Title"),
        ("Three:::colons", "Three\u2237:colons"),
        ("Ends with:", "Ends with\u2236"),
        ("Two\nlines\tand\rtabs", "Two lines and tabs"),
        ("ESC \x1b[2J", "ESC \u241b[2J"),
        ("Plain: one colon", "Plain: one colon"),
    ],
)
def test_a_bank_title_is_one_deck_level(tmp_path: Path, title: str, deck: str) -> None:
    source = load_bank(write_bank(tmp_path / "b.yaml", title=title))
    assert anki_note.deck_name(source) == deck
    assert anki_note.deck_name(source, "resnet") == deck + "::ResNet"
    assert anki_note.deck_name(source, "resnet").split("::") == [deck, "ResNet"]


def test_tsv_never_holds_a_line_break_inside_a_record(bank: Path) -> None:
    raw = render(bank, "tsv").decode("utf-8")
    assert "\r" not in raw
    records = [line for line in raw.split("\n") if line and not line.startswith("#")]
    assert len(records) == len(QUESTIONS)
    rows = list(csv.reader(io.StringIO(raw[raw.index("\n1\t") + 1 :]), delimiter="\t"))
    assert [len(row) for row in rows] == [10] * len(QUESTIONS)
    assert not has_controls(raw)
    assert "[sound:" not in raw and "[latex]" not in raw and "[$]" not in raw


# --------------------------------------------------------------------------- Anki itself


@pytest.fixture
def col(tmp_path: Path) -> Iterator:
    collection_module = pytest.importorskip("anki.collection")
    folder = tmp_path / "collection"
    folder.mkdir()
    collection = collection_module.Collection(str(folder / "collection.anki2"))
    yield collection
    collection.close()


def _import_apkg(col, path: Path) -> None:
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    request = ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    col.import_anki_package(request)


def _export(bank: Path, out: Path) -> None:
    export_questions(Library(banks=(load_bank(bank),)), output=str(out), env={})


def test_anki_plays_no_sound_and_renders_no_latex_from_bank_text(col, tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "hostile.yaml", title="Evil::Deck [sound:title.mp3]")
    _export(bank, tmp_path / "cards.apkg")
    _import_apkg(col, tmp_path / "cards.apkg")
    assert col.note_count() == len(QUESTIONS)
    for card in (col.get_card(cid) for cid in col.find_cards("")):
        assert card.question_av_tags() == [] and card.answer_av_tags() == []
        shown = card.answer()
        assert "latex-" not in shown and "[anki:play" not in shown
    decks = {d.name for d in col.decks.all_names_and_ids()} - {"Default"}
    assert decks == {"Evil\u2237Deck [sound:title.mp3]", "Evil\u2237Deck [sound:title.mp3]::ResNet"}


def test_anki_imports_the_tsv_as_one_note_per_question(col, tmp_path: Path) -> None:
    """A lone CR in a field used to end Anki's record there: 8 questions became 9 notes."""
    from anki.collection import ImportCsvRequest

    bank = write_bank(tmp_path / "hostile.yaml")
    _export(bank, tmp_path / "types.apkg")
    _import_apkg(col, tmp_path / "types.apkg")  # the note type, and the notes to update
    guids = {n.guid for n in (col.get_note(nid) for nid in col.find_notes(""))}
    out = tmp_path / "cards.tsv"
    _export(bank, out)
    meta = col.get_csv_metadata(str(out), None)
    col.import_csv(ImportCsvRequest(path=str(out), metadata=meta))
    assert col.note_count() == len(QUESTIONS)
    notes = [col.get_note(nid) for nid in col.find_notes("")]
    assert {n.guid for n in notes} == guids
    source = load_bank(bank)
    for q in source.questions:
        note = next(n for n in notes if n.guid == anki_note.note_guid(q))
        assert note.fields == anki_note.note_fields(q, source)


# --------------------------------------------------------------------------- symlinks


@pytest.mark.parametrize(
    ("link_uid", "dir_mode", "dir_uid", "uid", "follow"),
    [
        (2000, 0o1777, 0, 1000, False),  # another user's link in /tmp: refused
        (1000, 0o1777, 0, 1000, True),  # my own link in /tmp
        (0, 0o1777, 0, 1000, True),  # the folder owner's link
        (2000, 0o1777, 2000, 1000, True),  # the folder owner's link, in their own shared folder
        (2000, 0o0777, 0, 1000, True),  # world-writable but not sticky: the kernel follows it
        (2000, 0o1775, 0, 1000, True),  # sticky but not world-writable
        (2000, 0o0755, 2000, 1000, True),  # another user's own folder
        (2000, 0o1777, 0, 0, False),  # root is protected too
    ],
)
def test_may_follow_link_is_the_kernels_protected_symlinks_rule(
    link_uid: int, dir_mode: int, dir_uid: int, uid: int, follow: bool
) -> None:
    mode = stat.S_IFDIR | dir_mode
    assert may_follow_link(link_uid=link_uid, dir_mode=mode, dir_uid=dir_uid, uid=uid) is follow


def _export_cli(cli, output: Path):
    return cli("export", "-o", str(output))


def test_a_dangling_link_is_refused_and_nothing_is_created(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("dangling.csv").symlink_to("nowhere.csv")
    Path("chain.csv").symlink_to("dangling.csv")
    for name in ("dangling.csv", "chain.csv"):
        result = cli("export", "-o", name)
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"cvquiz: error: --output {name}: is a symbolic link to 'nowhere.csv', which does not "
            "exist; refusing to write through it (remove the link or give another file)\n"
        )
    assert sorted(os.listdir(tmp_path)) == ["chain.csv", "dangling.csv"]


def test_a_link_to_a_missing_folder_is_refused(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("out").symlink_to("gone")
    result = cli("export", "-o", "out/cards.csv")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "cvquiz: error: --output out/cards.csv: 'out' is a symbolic link to 'gone', which does not exist"
    )
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_a_symlink_loop_is_one_line_not_a_traceback(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("a.csv").symlink_to("b.csv")
    Path("b.csv").symlink_to("a.csv")
    Path("self.md").symlink_to("self.md")
    for name in ("a.csv", "self.md"):
        result = cli("export", "-o", name)
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"cvquiz: error: --output {name}: is a symbolic link in a loop of links; "
            "refusing to follow it\n"
        )
    assert sorted(os.listdir(tmp_path)) == ["a.csv", "b.csv", "self.md"]


def test_my_own_link_in_a_sticky_shared_folder_is_followed(cli, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    mine = tmp_path / "mine.csv"
    mine.write_text("old", encoding="utf-8")
    (shared / "link.csv").symlink_to(mine)
    result = _export_cli(cli, shared / "link.csv")
    assert result.exit_code == 0, result.output
    assert mine.read_text(encoding="utf-8").startswith("number,id,topic")
    assert (shared / "link.csv").is_symlink()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a link to another user needs root")
def test_a_link_planted_by_another_user_in_a_sticky_folder_is_refused(cli, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    planted = shared / "report.csv"
    planted.symlink_to(victim)
    os.lchown(planted, 54321, 54321)
    result = _export_cli(cli, planted)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"cvquiz: error: --output {planted}: is a symbolic link owned by another user (uid 54321) "
        f"in the shared folder '{shared}'; refusing to follow it (give another file)\n"
    )
    assert victim.read_text(encoding="utf-8") == "precious"
    assert sorted(os.listdir(shared)) == ["report.csv"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a link to another user needs root")
def test_a_planted_link_to_a_folder_on_the_way_is_refused_too(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    (tmp_path / "victim.txt").write_text("precious", encoding="utf-8")
    planted = shared / "dir"
    planted.symlink_to(tmp_path)
    os.lchown(planted, 54321, 54321)
    with pytest.raises(CvquizError) as caught:
        resolve_target(planted / "victim.txt")
    assert str(caught.value) == (
        f"--output {planted}/victim.txt: '{planted}' is a symbolic link owned by another user "
        f"(uid 54321) in the shared folder '{shared}'; refusing to follow it (give another file)"
    )
    # The folder's owner may leave links there for others; the follower's own links are fine too.
    os.chown(shared, 54321, 54321)
    assert resolve_target(planted / "victim.txt") == tmp_path / "victim.txt"
    os.lchown(planted, 0, 0)
    assert resolve_target(planted / "victim.txt", uid=0) == tmp_path / "victim.txt"
    with pytest.raises(CvquizError, match="owned by another user \\(uid 0\\)"):
        resolve_target(planted / "victim.txt", uid=1000)
