"""The bank's misconceptions and core concepts: the schema (one line naming file:line for each
problem) and the built-in bank's content."""

from __future__ import annotations

from pathlib import Path

import pytest

from cvquiz.bank.library import builtin_bank_path
from cvquiz.bank.model import Concept, Misconception
from cvquiz.errors import CvquizError
from cvquiz.links import load_bank

BANK = """\
id: my-bank
title: My bank
questions:
  - number: 1
    id: first-question
    topic: vit
    difficulty: easy
    question: "What is a ViT?"
    answer: "A transformer on image patches."
    concepts:
      - name: patches
        core: true
        synonyms: [patch embedding]
      - name: transformer
        synonyms: [attention]
    misconceptions:
      - name: vit is a cnn
        phrases: [convolutions everywhere, a cnn]
        why: "Apart from the patch embedding, a ViT has no convolutions."
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_core_and_misconceptions_load_and_round_trip(tmp_path: Path) -> None:
    bank = load_bank(write(tmp_path, BANK))
    q = bank.questions[0]
    assert q.concepts == (
        Concept("patches", ("patch embedding",), core=True),
        Concept("transformer", ("attention",)),
    )
    assert q.misconceptions == (
        Misconception(
            "vit is a cnn",
            ("convolutions everywhere", "a cnn"),
            "Apart from the patch embedding, a ViT has no convolutions.",
        ),
    )
    data = q.to_dict()
    assert data["concepts"][0] == {"name": "patches", "core": True, "synonyms": ["patch embedding"]}
    assert "core" not in data["concepts"][1]  # written only when true
    assert list(data)[-3:] == ["concepts", "misconceptions", "related"]
    again = load_bank(write(tmp_path, BANK))  # the second load may come from the cache
    assert again.questions[0].misconceptions == q.misconceptions


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("        core: true\n", "        core: yes please\n",
         "bank.yaml:12: question 'first-question': concept 'patches': core must be true or false (got 'yes please')"),
        ("        core: true\n", "        core: true\n        weight: 2\n",
         "bank.yaml:13: question 'first-question': unknown concept key 'weight' (valid: name, core, synonyms)"),
        (BANK[BANK.index("    misconceptions:"):], "    misconceptions: a cnn\n",
         "bank.yaml:16: question 'first-question': misconceptions must be a list (got text)"),
        ('        why: "Apart from the patch embedding, a ViT has no convolutions."\n', "",
         "bank.yaml:17: question 'first-question': misconception 'vit is a cnn': why is missing"),
        ("        phrases: [convolutions everywhere, a cnn]\n", "        phrases: []\n",
         "bank.yaml:18: question 'first-question': misconception 'vit is a cnn': phrases must be a non-empty list of text"),
        ("        phrases: [convolutions everywhere, a cnn]\n", "",
         "bank.yaml:17: question 'first-question': misconception 'vit is a cnn': phrases must be a non-empty list of text"),
        ("      - name: vit is a cnn\n", "      - name: vit is a cnn\n        wrong: true\n",
         "bank.yaml:18: question 'first-question': unknown misconception key 'wrong' (valid: name, phrases, why)"),
        ("      - name: vit is a cnn\n", "      - just a string\n      - name: vit is a cnn\n",
         "bank.yaml:17: question 'first-question': a misconception must be a map with name, phrases and why"),
    ],
)  # fmt: skip
def test_a_bad_misconception_or_core_is_one_line_naming_file_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    assert old in BANK
    with pytest.raises(CvquizError) as err:
        load_bank(write(tmp_path, BANK.replace(old, new)))
    assert str(err.value).endswith(message)
    assert "\n" not in str(err.value)


def test_a_bad_bank_through_the_cli_is_one_line_and_exit_2(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import cvquiz.cli  # noqa: F401  (registers every command)
    from cvquiz.cli.app import app

    path = write(tmp_path, BANK.replace("        core: true\n", "        core: 3\n"))
    result = CliRunner().invoke(app, ["--bank", str(path), "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "core must be true or false (got 3)" in lines[0]


# --- the built-in bank --------------------------------------------------------------------

BUILTIN = load_bank(builtin_bank_path())


def test_every_builtin_question_lists_at_least_two_misconceptions_and_a_core_concept() -> None:
    assert len(BUILTIN.questions) == 40
    for q in BUILTIN.questions:
        assert len(q.misconceptions) >= 2, q.id
        assert any(c.core for c in q.concepts), q.id
        names = [m.name for m in q.misconceptions]
        assert len(set(names)) == len(names), q.id
        for m in q.misconceptions:
            assert m.name == m.name.lower() and m.phrases, (q.id, m.name)
            assert m.why.endswith(".") and len(m.why) >= 30, (q.id, m.name)


@pytest.mark.parametrize(
    ("qid", "name"),
    [
        ("degradation-problem", "degradation is overfitting"),
        ("pointwise-conv", "pointwise uses a 3x3 kernel"),
        ("resnext-cardinality", "resnext adds attention"),
        ("width-multiplier", "alpha is a learning rate"),
    ],
)
def test_the_issues_misconceptions_are_in_the_bank(qid: str, name: str) -> None:
    q = next(q for q in BUILTIN.questions if q.id == qid)
    assert name in [m.name for m in q.misconceptions]
