"""The selected questions as a bank file in JSON, which `--bank` loads again (JSON is YAML)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from cvquiz.bank.model import Bank, Question
from cvquiz.inert import json_escaped


def closed_selection(questions: Sequence[Question]) -> list[Question]:
    """The questions with `related` links to unselected questions dropped: a bank must not name absent ids."""
    ids = {q.id for q in questions}
    return [
        q if set(q.related) <= ids else replace(q, related=tuple(r for r in q.related if r in ids))
        for q in questions
    ]


def build_json(bank: Bank, questions: Sequence[Question]) -> bytes:
    # ensure_ascii=False: PyYAML would not join the surrogate pairs of an escaped emoji. json.dumps
    # escapes C0 controls itself; C1 and bidi controls become \uXXXX too, inert on a terminal.
    data = bank.to_dict(closed_selection(questions))
    return (json_escaped(json.dumps(data, ensure_ascii=False, indent=2)) + "\n").encode("utf-8")
