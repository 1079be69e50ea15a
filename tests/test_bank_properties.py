"""Property tests: any valid bank round-trips exactly, and no input makes the loader crash."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cvquiz.bank.model import DIFFICULTIES
from cvquiz.errors import CvquizError
from cvquiz.links import load_bank

slug = st.from_regex(r"[a-z0-9]{1,6}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda s: s.strip())


@st.composite
def banks(draw) -> dict:
    ids = draw(st.lists(slug, min_size=1, max_size=5, unique=True))
    questions = []
    for number, qid in enumerate(ids, start=1):
        question = {
            "number": number,
            "id": qid,
            "topic": draw(slug),
            "tags": draw(st.lists(slug, max_size=3)),
            "difficulty": draw(st.sampled_from(DIFFICULTIES)),
            "question": draw(text),
            "answer": draw(text),
        }
        if draw(st.booleans()):
            question["code"] = draw(text)
        question["concepts"] = [
            {"name": draw(text), "synonyms": draw(st.lists(text, max_size=2))}
            for _ in range(draw(st.integers(0, 3)))
        ]
        question["related"] = [
            r for r in draw(st.lists(st.sampled_from(ids), max_size=2, unique=True)) if r != qid
        ]
        questions.append(question)
    return {"id": draw(slug), "title": draw(text), "questions": questions}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
@given(banks())
def test_any_valid_bank_round_trips_through_yaml_and_json(data: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        as_yaml = Path(tmp) / "bank.yaml"
        as_yaml.write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        bank = load_bank(as_yaml)
        assert bank.to_dict() == data
        as_json = Path(tmp) / "bank.json"
        as_json.write_text(json.dumps(bank.to_dict(), ensure_ascii=False), encoding="utf-8")
        assert load_bank(as_json).to_dict() == data


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda s: s.encode("utf-8")))
def test_arbitrary_bytes_give_a_clear_error_or_a_bank(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bank.yaml"
        path.write_bytes(raw)
        try:
            load_bank(path)
        except CvquizError as exc:
            assert "\n" not in str(exc)
            assert str(exc).startswith(str(path)) or str(exc).startswith("bank.yaml")
