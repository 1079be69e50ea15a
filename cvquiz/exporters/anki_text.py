"""Anki's text import format (TSV with '#' header lines): the .apkg's notes as text, same GUIDs."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from cvquiz.bank.model import Bank, Question
from cvquiz.demos.result import DemoResult
from cvquiz.exporters import anki_note

# The note's fields first: a GUID may start with '#', which Anki's reader takes for a comment line.
COLUMNS = (*anki_note.FIELDS, "Tags", "Deck", "GUID")


def build_tsv(
    questions: Sequence[Question],
    banks: Sequence[Bank],
    *,
    demos: Mapping[str, DemoResult] | None = None,
) -> bytes:
    """One row per note; fields are HTML; tags, deck and GUID columns as named in the header.

    No cell holds a line break (Anki ends a record at a bare CR too, which the csv module would
    not quote): note_fields writes CR and LF as <br>, and a deck name is one line.
    """
    demos = demos or {}
    by_id = {b.id: b for b in banks}
    out = io.StringIO()
    header = {
        "separator": "tab",
        "html": "true",
        "notetype": anki_note.NOTETYPE_NAME,
        "tags column": COLUMNS.index("Tags") + 1,
        "deck column": COLUMNS.index("Deck") + 1,
        "guid column": COLUMNS.index("GUID") + 1,
        "columns": "\t".join(COLUMNS),
    }
    for key, value in header.items():
        out.write(f"#{key}:{value}\n")
    writer = csv.writer(out, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    for q in questions:
        bank = by_id[q.bank_id]
        writer.writerow(
            [
                *anki_note.note_fields(q, bank, demos.get(q.key)),
                " ".join(anki_note.note_tags(q)),
                anki_note.deck_name(bank, q.topic),
                anki_note.note_guid(q),
            ]
        )
    return out.getvalue().encode("utf-8")
