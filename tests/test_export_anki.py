"""Exports checked by Anki itself (the `anki` library): the .apkg and the TSV import, re-imports update."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cvquiz.bank.model import Library
from cvquiz.demos.result import DemoResult, Table, check
from cvquiz.exporters import anki_note
from cvquiz.exporters.formats import export_questions
from cvquiz.links import load_bank

anki_collection = pytest.importorskip("anki.collection")
Collection = anki_collection.Collection
ImportAnkiPackageRequest = anki_collection.ImportAnkiPackageRequest
ImportAnkiPackageOptions = anki_collection.ImportAnkiPackageOptions
ImportCsvRequest = anki_collection.ImportCsvRequest
CsvMetadata = anki_collection.CsvMetadata

BANK = """\
id: anki-test
title: "Anki <test> & \\"bank\\""
questions:
  - number: 1
    id: first
    topic: resnet
    tags: [residual, shortcut]
    difficulty: hard
    question: "Why <b>F(x)</b> + x & not \\"F(x)\\"?"
    answer: "Because a < b && 'identity' is easy."
    code: "y = f(x) + x  # <add> & \\"skip\\""
    concepts:
      - name: "<identity> & skip"
    demo: residual-block
  - number: 2
    id: second
    topic: mobilenet
    tags: [depthwise]
    difficulty: easy
    question: "Depthwise?"
    answer: "One filter per channel."
  - number: 3
    id: third
    topic: mobilenet
    tags: [depthwise, pointwise]
    difficulty: medium
    question: "Pointwise?"
    answer: "1×1 conv mixing channels."
"""
EDITED = BANK.replace("Because a < b && 'identity' is easy.", 'Edited: a > b & \\"still\\" easy.')


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    path = tmp_path / "anki-test.yaml"
    path.write_text(BANK, encoding="utf-8")
    os.utime(path, (1_650_000_000, 1_650_000_000))
    return path


@pytest.fixture
def col(tmp_path: Path) -> Iterator:
    folder = tmp_path / "collection"
    folder.mkdir()
    collection = Collection(str(folder / "collection.anki2"))
    yield collection
    collection.close()


def export_to(
    bank: Path, out: Path, *, env: dict[str, str] | None = None, tags: tuple[str, ...] = ()
) -> None:
    """Export the test bank alone (not the built-in one) to `out`, its format from the extension."""
    export_questions(Library(banks=(load_bank(bank),)), output=str(out), tags=tags, env=env or {})


def import_apkg(col, path: Path):
    request = ImportAnkiPackageRequest(package_path=str(path), options=ImportAnkiPackageOptions())
    return col.import_anki_package(request).log


def notes_by_guid(col) -> dict:
    return {n.guid: n for n in (col.get_note(nid) for nid in col.find_notes(""))}


def test_apkg_imports_every_note_with_fields_tags_and_decks(
    col, bank: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cards.apkg"
    export_to(bank, out)
    log = import_apkg(col, out)
    assert (len(log.new), len(log.updated), len(log.duplicate)) == (3, 0, 0)
    assert col.note_count() == 3
    source = load_bank(bank)
    notes = notes_by_guid(col)
    assert set(notes) == {anki_note.note_guid(q) for q in source.questions}
    first = notes[anki_note.note_guid(source.questions[0])]
    assert dict(first.items()) == {
        "Number": "1",
        "Question": "Why &lt;b&gt;F(x)&lt;/b&gt; + x &amp; not &quot;F(x)&quot;?",
        "Answer": "Because a &lt; b &amp;&amp; &#x27;identity&#x27; is easy.",
        "Code": "<pre><code>y = f(x) + x  # &lt;add&gt; &amp; &quot;skip&quot;</code></pre>",
        "Concepts": "&lt;identity&gt; &amp; skip",
        "Demo": "",
        "Source": "Anki &lt;test&gt; &amp; &quot;bank&quot; · Q1 · anki-test/first",
    }
    assert sorted(first.tags) == [
        "cvquiz::difficulty::hard", "cvquiz::tag::residual", "cvquiz::tag::shortcut", "cvquiz::topic::resnet"
    ]  # fmt: skip
    for q in source.questions:
        assert notes[anki_note.note_guid(q)].fields == anki_note.note_fields(q, source)
    notetype = first.note_type()
    assert notetype["name"] == "cvquiz Q&A"
    assert notetype["id"] == anki_note.MODEL_ID
    assert [f["name"] for f in notetype["flds"]] == [
        "Number",
        "Question",
        "Answer",
        "Code",
        "Concepts",
        "Demo",
        "Source",
    ]
    assert ".nightMode" in notetype["css"] and ".night_mode" in notetype["css"]
    decks = {col.decks.name(card.did) for card in (col.get_card(cid) for cid in col.find_cards(""))}
    assert decks == {'Anki <test> & "bank"::ResNet', 'Anki <test> & "bank"::MobileNet'}
    assert 'Anki <test> & "bank"' in {d.name for d in col.decks.all_names_and_ids()}
    # The card Anki renders shows the text as written: nothing from the bank became markup.
    card = col.get_card(first.card_ids()[0])
    answer_html = card.answer()
    assert "<b>F(x)</b>" not in answer_html
    assert "Why &lt;b&gt;F(x)&lt;/b&gt; + x &amp; not &quot;F(x)&quot;?" in answer_html
    assert (
        "<pre><code>y = f(x) + x  # &lt;add&gt; &amp; &quot;skip&quot;</code></pre>" in answer_html
    )


def test_reimport_after_an_edited_answer_updates_the_note(col, bank: Path, tmp_path: Path) -> None:
    export_to(bank, tmp_path / "v1.apkg")
    import_apkg(col, tmp_path / "v1.apkg")
    guid = anki_note.note_guid(load_bank(bank).questions[0])
    note_id = notes_by_guid(col)[guid].id
    bank.write_text(EDITED, encoding="utf-8")
    os.utime(
        bank, (1_650_000_600, 1_650_000_600)
    )  # editing the bank moves its mtime, and the notes' mod
    export_to(bank, tmp_path / "v2.apkg")
    log = import_apkg(col, tmp_path / "v2.apkg")
    assert (len(log.new), len(log.updated), len(log.duplicate)) == (0, 3, 0)
    assert col.note_count() == 3
    note = notes_by_guid(col)[guid]
    assert note.id == note_id
    assert note["Answer"] == "Edited: a &gt; b &amp; &quot;still&quot; easy."


def test_an_unchanged_reexport_changes_nothing_in_anki(col, bank: Path, tmp_path: Path) -> None:
    export_to(bank, tmp_path / "v1.apkg")
    import_apkg(col, tmp_path / "v1.apkg")
    export_to(bank, tmp_path / "v2.apkg")
    assert (tmp_path / "v1.apkg").read_bytes() == (tmp_path / "v2.apkg").read_bytes()
    log = import_apkg(col, tmp_path / "v2.apkg")
    assert (len(log.new), len(log.updated), len(log.duplicate)) == (0, 0, 3)


def test_anki_keeps_its_copy_when_the_reexport_is_not_newer(
    col, bank: Path, tmp_path: Path
) -> None:
    """Why the mod time matters: the same SOURCE_DATE_EPOCH after an edit is not 'newer' to Anki."""
    epoch = {"SOURCE_DATE_EPOCH": "1700000000"}
    export_to(bank, tmp_path / "v1.apkg", env=epoch)
    import_apkg(col, tmp_path / "v1.apkg")
    bank.write_text(EDITED, encoding="utf-8")
    export_to(bank, tmp_path / "same-epoch.apkg", env=epoch)
    log = import_apkg(col, tmp_path / "same-epoch.apkg")
    assert (len(log.updated), len(log.duplicate)) == (0, 3)
    guid = anki_note.note_guid(load_bank(bank).questions[0])
    assert (
        notes_by_guid(col)[guid]["Answer"]
        == "Because a &lt; b &amp;&amp; &#x27;identity&#x27; is easy."
    )
    export_to(bank, tmp_path / "later-epoch.apkg", env={"SOURCE_DATE_EPOCH": "1700000060"})
    log = import_apkg(col, tmp_path / "later-epoch.apkg")
    assert (len(log.updated), col.note_count()) == (3, 3)
    assert notes_by_guid(col)[guid]["Answer"] == "Edited: a &gt; b &amp; &quot;still&quot; easy."


def test_an_edit_made_in_anki_survives_a_reexport_of_an_unchanged_bank(
    col, bank: Path, tmp_path: Path
) -> None:
    export_to(bank, tmp_path / "v1.apkg")
    import_apkg(col, tmp_path / "v1.apkg")
    guid = anki_note.note_guid(load_bank(bank).questions[1])
    note = notes_by_guid(col)[guid]
    note["Answer"] = "My own words."
    col.update_note(note)  # stamped now, later than the bank's mtime
    export_to(bank, tmp_path / "v2.apkg")
    import_apkg(col, tmp_path / "v2.apkg")
    assert notes_by_guid(col)[guid]["Answer"] == "My own words."


def test_tsv_header_is_what_ankis_importer_reads(col, bank: Path, tmp_path: Path) -> None:
    export_to(bank, tmp_path / "cards.apkg")
    import_apkg(col, tmp_path / "cards.apkg")  # the note type now exists
    out = tmp_path / "cards.tsv"
    export_to(bank, out)
    meta = col.get_csv_metadata(str(out), None)
    assert meta.delimiter == CsvMetadata.Delimiter.TAB
    assert meta.is_html is True
    assert (meta.tags_column, meta.guid_column, meta.deck_column) == (8, 10, 9)
    assert meta.global_notetype.id == anki_note.MODEL_ID
    assert list(meta.global_notetype.field_columns) == [1, 2, 3, 4, 5, 6, 7]
    assert list(meta.column_labels) == [*anki_note.FIELDS, "Tags", "Deck", "GUID"]


def test_tsv_import_honours_the_guid_column_and_updates(col, bank: Path, tmp_path: Path) -> None:
    export_to(bank, tmp_path / "cards.apkg")
    import_apkg(col, tmp_path / "cards.apkg")
    before = {guid: note.id for guid, note in notes_by_guid(col).items()}
    bank.write_text(EDITED, encoding="utf-8")
    out = tmp_path / "cards.tsv"
    export_to(bank, out)
    meta = col.get_csv_metadata(str(out), None)
    log = col.import_csv(ImportCsvRequest(path=str(out), metadata=meta)).log
    assert (len(log.new), len(log.updated), len(log.duplicate)) == (0, 1, 2)
    assert col.note_count() == 3
    notes = notes_by_guid(col)
    assert {guid: note.id for guid, note in notes.items()} == before
    first = notes[anki_note.note_guid(load_bank(bank).questions[0])]
    assert first["Answer"] == "Edited: a &gt; b &amp; &quot;still&quot; easy."
    assert (
        first["Code"]
        == "<pre><code>y = f(x) + x  # &lt;add&gt; &amp; &quot;skip&quot;</code></pre>"
    )
    assert sorted(first.tags) == [
        "cvquiz::difficulty::hard", "cvquiz::tag::residual", "cvquiz::tag::shortcut", "cvquiz::topic::resnet"
    ]  # fmt: skip


def test_tsv_alone_adds_notes_to_the_decks_it_names(col, bank: Path, tmp_path: Path) -> None:
    """Into a collection that has the note type but none of the notes: added with the given GUIDs."""
    export_to(bank, tmp_path / "one.apkg", tags=("residual",))
    import_apkg(col, tmp_path / "one.apkg")
    out = tmp_path / "cards.tsv"
    export_to(bank, out)
    log = col.import_csv(
        ImportCsvRequest(path=str(out), metadata=col.get_csv_metadata(str(out), None))
    ).log
    assert (len(log.new), len(log.duplicate)) == (2, 1)
    source = load_bank(bank)
    notes = notes_by_guid(col)
    assert set(notes) == {anki_note.note_guid(q) for q in source.questions}
    for q in source.questions:
        note = notes[anki_note.note_guid(q)]
        assert note.fields == anki_note.note_fields(q, source)
        assert {col.decks.name(c.did) for c in note.cards()} == {
            anki_note.deck_name(source, q.topic)
        }


def test_demo_tables_travel_on_the_card(col, bank: Path, tmp_path: Path) -> None:
    result = DemoResult(
        demo_id="residual-block",
        title="Residual <block>",
        explanation=(),
        tables=(
            Table(
                title="Shapes & sizes", columns=("layer", "params"), rows=(("conv <3x3>", 36_864),)
            ),
        ),
        checks=(check('params & "count"', expected=36_864, measured=36_864, source="numel"),),
    )
    out = tmp_path / "cards.apkg"
    library = Library(banks=(load_bank(bank),))
    export = export_questions(
        library, output=str(out), with_demos=True, env={}, run_demo=lambda demo_id: result
    )
    assert export.demos == 1
    import_apkg(col, out)
    source = load_bank(bank)
    notes = notes_by_guid(col)
    first = notes[anki_note.note_guid(source.questions[0])]
    assert first["Demo"] == anki_note.demo_html(result)
    assert [notes[anki_note.note_guid(q)]["Demo"] for q in source.questions[1:]] == ["", ""]
    shown = first.cards()[0].answer()
    assert '<table class="cvq-table"><caption>Shapes &amp; sizes</caption>' in shown
    assert '<tr><td>conv &lt;3x3&gt;</td><td class="num">36,864</td></tr>' in shown
    assert (
        '<li class="pass">params &amp; &quot;count&quot;: expected 36,864, measured 36,864 (exact; numel)</li>'
        in shown
    )
