"""CSV for spreadsheets and other flashcard apps: plain text, one header row, RFC 4180 quoting."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from cvquiz.bank.model import Question
from cvquiz.inert import inert

HEADER = ("number", "id", "topic", "difficulty", "question", "answer", "tags", "errata")
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """Text a spreadsheet shows as written: controls inert, and a would-be formula prefixed with
    a single quote, as OWASP advises (for "-1" or "+5%" too: the quote shows, the sign stays)."""
    text = inert(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def build_csv(questions: Sequence[Question]) -> bytes:
    """UTF-8 without a byte-order mark; tags separated by spaces (they are slugs, never spaced)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for q in questions:
        writer.writerow(
            [
                q.number,
                q.id,
                q.topic,
                q.difficulty,
                cell(q.question),
                cell(q.answer),
                " ".join(q.tags),
                cell(" | ".join(f"{e.correction} ({e.source})" for e in q.errata)),
            ]
        )
    return out.getvalue().encode("utf-8")
