"""The bank loader: the built-in bank, a user's own banks, and one clear line for every bad bank."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cvquiz.errors import CvquizError
from cvquiz.links import load_bank, load_library

GOOD = """\
id: my-bank
title: My bank
questions:
  - number: 1
    id: first-question
    topic: vit
    tags: [attention]
    difficulty: easy
    question: "What is a ViT?"
    answer: "A transformer on image patches."
    concepts:
      - name: patches
        synonyms: [patch embedding]
    related: [second-question]
  - number: 2
    id: second-question
    topic: vit
    difficulty: hard
    question: "Why <class> tokens & positions?"
    answer: "A \\"class\\" token pools; positions give order."
"""


def write(tmp_path: Path, text: str, name: str = "bank.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_builtin_bank_loads_all_forty_questions() -> None:
    library = load_library(env={})
    (bank,) = library.banks
    assert bank.id == "cnn-architectures"
    assert [q.number for q in bank.questions] == list(range(1, 41))
    assert library.questions[23].key == "cnn-architectures/depthwise-vs-standard-cost"
    assert library.questions[22].code == "# Depthwise: groups=in_channels; Pointwise: 1x1 conv"


def test_user_bank_from_option_and_environment_sits_beside_the_builtin(
    tmp_path: Path, cli, monkeypatch
) -> None:
    path = write(tmp_path, GOOD)
    library = load_library([path], env={})
    assert [b.id for b in library.banks] == ["cnn-architectures", "my-bank"]
    assert "my-bank/first-question" in library.by_key()
    result = cli("--bank", str(path), "list", "--topic", "VIT", "--json")
    assert result.exit_code == 0, result.output
    assert [q["key"] for q in json.loads(result.stdout)] == [
        "my-bank/first-question",
        "my-bank/second-question",
    ]
    monkeypatch.setenv("CVQUIZ_BANK", f"{tmp_path / 'absent.yaml'}")
    result = cli("list")
    assert result.exit_code == 2
    assert "absent.yaml: no such bank file" in result.stderr
    monkeypatch.setenv("CVQUIZ_BANK", str(path))
    result = cli("list", "--topic", "vit", "--json")
    assert len(json.loads(result.stdout)) == 2


def test_same_number_in_two_banks_asks_which(tmp_path: Path, cli) -> None:
    result = cli("--bank", str(write(tmp_path, GOOD)), "show", "1")
    assert result.exit_code == 2
    assert "2 questions match '1'" in result.stdout
    result = cli("--bank", str(write(tmp_path, GOOD)), "show", "my-bank/first-question", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["question"] == "What is a ViT?"


def test_round_trip_through_to_dict_is_exact(tmp_path: Path) -> None:
    bank = load_bank(write(tmp_path, GOOD))
    again = load_bank(write(tmp_path, json.dumps(bank.to_dict(), ensure_ascii=False), "bank.json"))
    assert again.to_dict() == bank.to_dict()
    assert again.questions[1].question == "Why <class> tokens & positions?"


BAD_CASES = {
    "bad difficulty": (
        GOOD.replace("difficulty: hard", "difficulty: hardd"),
        "bank.yaml:18: question 'second-question': difficulty must be easy, medium or hard (got 'hardd')",
    ),
    "unknown key": (
        GOOD.replace("    tags: [attention]\n", "    tags: [attention]\n    hint: x\n"),
        "bank.yaml:8: question 'first-question': unknown key 'hint'",
    ),
    "number as text": (
        GOOD.replace("number: 2", "number: two"),
        "bank.yaml:15: question 'second-question': number must be a whole number from 1 (got 'two')",
    ),
    "duplicate id": (
        GOOD.replace("id: second-question", "id: first-question").replace(
            "related: [second-question]", "related: []"
        ),
        "bank.yaml:16: question 'first-question': duplicate id (also question #1)",
    ),
    "duplicate number": (
        GOOD.replace("number: 2", "number: 1"),
        "bank.yaml:15: question 'second-question': duplicate number 1 (also 'first-question')",
    ),
    "dangling related": (
        GOOD.replace("related: [second-question]", "related: [third-question]"),
        "bank.yaml:14: question 'first-question': related question 'third-question' is not in this bank",
    ),
    "unknown demo": (
        GOOD.replace(
            "    related: [second-question]\n", "    related: [second-question]\n    demo: rm-rf\n"
        ),
        "bank.yaml:15: question 'first-question': unknown demo 'rm-rf' (banks can only name built-in demos",
    ),
    "wrong type": (
        GOOD.replace("tags: [attention]", "tags: attention"),
        "bank.yaml:7: question 'first-question': tags must be a list (got text)",
    ),
    "missing answer": (
        GOOD.replace('    answer: "A transformer on image patches."\n', ""),
        "bank.yaml:4: question 'first-question': answer is missing",
    ),
    "unknown bank key": ("version: 2\n" + GOOD, "bank.yaml:1: unknown bank key 'version'"),
    "boolean key": (GOOD + "yes: 1\n", "bank.yaml:21: unknown bank key 'True'"),
    "number key": (
        GOOD.replace("    topic: vit\n    tags", "    topic: vit\n    2: x\n    tags", 1),
        "bank.yaml:7: question 'first-question': unknown key '2'",
    ),
    "bad slug": (
        GOOD.replace("id: my-bank", "id: My Bank"),
        "bank.yaml:1: bank id must be lowercase kebab-case",
    ),
    "duplicate key": (
        GOOD.replace("    topic: vit\n    tags", "    topic: vit\n    topic: cnn\n    tags", 1),
        "bank.yaml:7: duplicate key 'topic'",
    ),
    "syntax error": (
        GOOD.replace('question: "What is a ViT?"', 'question: "What is a ViT?'),
        "bank.yaml:10: YAML syntax error: did not find expected key",
    ),
    "python tag": (
        GOOD.replace('"What is a ViT?"', '!!python/object/apply:os.system ["touch pwned"]'),
        "bank.yaml:9: tag '!!python/object/apply:os.system' is not allowed",
    ),
    "alias bomb": (
        "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n" + GOOD,
        "bank.yaml:2: YAML aliases (*a) are not allowed; banks are plain data",
    ),
    "recursive alias": ("x: &a [*a]\n", "bank.yaml:1: YAML aliases (*a) are not allowed"),
    "complex key": ("? [1, 2]\n: x\n", "bank.yaml:1: YAML error: found unhashable key"),
    "not a map": ("- just\n- a list\n", "bank.yaml:1: a bank must be a map"),
    "empty": ("\n  \n", "bank.yaml: the bank file is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_bank_gets_one_line_with_file_and_line(
    case: str, tmp_path: Path, cli, monkeypatch
) -> None:
    text, expected = BAD_CASES[case]
    monkeypatch.chdir(tmp_path)
    write(tmp_path, text)
    result = cli("check", "bank.yaml")
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cvquiz: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "pwned").exists()


def test_python_tag_never_runs_anything(tmp_path: Path) -> None:
    sentinel = tmp_path / "ran"
    path = write(
        tmp_path,
        f'id: x\ntitle: !!python/object/apply:os.system ["touch {sentinel}"]\nquestions: []\n',
    )
    with pytest.raises(CvquizError, match="is not allowed"):
        load_bank(path)
    assert not sentinel.exists()


def test_unreadable_inputs_get_clear_errors(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin1.yaml").write_bytes(GOOD.replace("ViT", "V\xefT").encode("latin-1"))
    (tmp_path / "folder").mkdir()
    expectations = {
        "latin1.yaml": "latin1.yaml:9: not UTF-8 text (byte 0xef); save the bank as UTF-8",
        "folder": "folder: is a directory, not a bank file",
        "missing.yaml": "missing.yaml: no such bank file",
    }
    for name, expected in expectations.items():
        result = cli("check", name)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip() == f"cvquiz: error: {expected}"


def test_two_banks_with_one_id_are_refused(tmp_path: Path, cli) -> None:
    a = write(tmp_path, GOOD, "a.yaml")
    b = write(tmp_path, GOOD, "b.yaml")
    result = cli("--bank", str(a), "--bank", str(b), "list")
    assert result.exit_code == 2
    assert "bank id 'my-bank' is already used by" in result.stderr


def test_check_summarises_the_builtin_bank(cli) -> None:
    result = cli("check")
    assert result.exit_code == 0, result.output
    rows = {
        line.split()[0]: line.split()[1:]
        for line in result.stdout.splitlines()
        if line.strip().startswith(("resnet", "mobilenet", "all"))
    }
    assert rows == {
        "resnet": ["6", "9", "5", "20"],
        "mobilenet": ["4", "12", "4", "20"],
        "all": ["10", "21", "9", "40"],
    }
    assert "40 questions, valid" in result.stdout


def test_an_edited_copy_of_the_builtin_bank_takes_its_place(tmp_path: Path, cli) -> None:
    builtin = load_library(env={}).banks[0]
    edited = builtin.to_dict()
    edited["questions"][0]["answer"] = "An edited answer."
    path = write(tmp_path, json.dumps(edited, ensure_ascii=False), "mine.json")
    library = load_library([path], env={})
    assert [b.id for b in library.banks] == ["cnn-architectures"]
    assert library.questions[0].key == "cnn-architectures/what-is-resnet"
    assert library.questions[0].answer == "An edited answer."
    result = cli(
        "--bank",
        str(path),
        "--bank",
        str(write(tmp_path, json.dumps(edited), "again.json")),
        "list",
    )
    assert result.exit_code == 2
    assert f"bank id 'cnn-architectures' is already used by {path}" in result.stderr
