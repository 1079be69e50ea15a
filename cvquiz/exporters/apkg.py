"""An Anki package (.apkg) built with genanki, byte for byte the same for the same input."""

from __future__ import annotations

import io
import itertools
import json
import sqlite3
import time
import zipfile
from collections.abc import Mapping, Sequence

from cvquiz.bank.model import Bank, Question
from cvquiz.demos.result import DemoResult
from cvquiz.exporters import anki_note

ZIP_EPOCH = 315532800  # 1980-01-01: the earliest date a zip entry can hold


def _zip_entry(name: str, timestamp: int) -> zipfile.ZipInfo:
    # Fixed date (UTC, not the local zone), system and permissions: the zip depends on nothing else.
    info = zipfile.ZipInfo(name, date_time=time.gmtime(max(timestamp, ZIP_EPOCH))[:6])
    info.create_system = 3
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build_apkg(
    questions: Sequence[Question],
    banks: Sequence[Bank],
    *,
    timestamp: int,
    demos: Mapping[str, DemoResult] | None = None,
) -> bytes:
    """A deck per bank with a subdeck per topic; notes, cards and the note type stamped `timestamp`."""
    import genanki

    demos = demos or {}
    by_id = {b.id: b for b in banks}
    model = anki_note.model()
    decks: dict[str, genanki.Deck] = {}
    for position, q in enumerate(questions, start=1):
        bank = by_id[q.bank_id]
        parent = anki_note.deck_name(bank)
        if parent not in decks:
            # The bank's own deck holds no cards; it carries the description and the subdecks' parent.
            decks[parent] = genanki.Deck(
                anki_note.deck_id(bank), parent, description=_describe(bank)
            )
        name = anki_note.deck_name(bank, q.topic)
        if name not in decks:
            decks[name] = genanki.Deck(anki_note.deck_id(bank, q.topic), name)
        decks[name].add_note(
            genanki.Note(
                model=model,
                fields=anki_note.note_fields(q, bank, demos.get(q.key)),
                tags=anki_note.note_tags(q),
                guid=anki_note.note_guid(q),
                due=position,  # new cards come in bank order
            )
        )
    for deck in decks.values():
        deck.add_model(model)
    return _package(genanki.Package(list(decks.values())), timestamp)


def _describe(bank: Bank) -> str:
    return anki_note.text_html(bank.source or bank.title)


def _package(package, timestamp: int) -> bytes:  # package: genanki.Package
    """genanki's write_to_file, minus its clock and temporary file: an in-memory db, fixed zip dates."""
    conn = sqlite3.connect(":memory:")
    try:
        cursor = conn.cursor()
        # Note and card ids count up from the timestamp in ms, as genanki does, so they repeat too.
        package.write_to_db(cursor, timestamp, itertools.count(timestamp * 1000))
        conn.commit()
        db = conn.serialize()
    finally:
        conn.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(_zip_entry("collection.anki2", timestamp), db)
        zf.writestr(_zip_entry("media", timestamp), json.dumps({}))
    return out.getvalue()
