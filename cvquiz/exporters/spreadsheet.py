"""CSV for spreadsheets and other flashcard apps: plain text, one header row, RFC 4180 quoting."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from cvquiz.bank.model import Question

HEADER = ("number", "id", "topic", "difficulty", "question", "answer", "tags")


def build_csv(questions: Sequence[Question]) -> bytes:
    """UTF-8 without a byte-order mark; tags separated by spaces (they are slugs, never spaced)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for q in questions:
        writer.writerow(
            [q.number, q.id, q.topic, q.difficulty, q.question, q.answer, " ".join(q.tags)]
        )
    return out.getvalue().encode("utf-8")
