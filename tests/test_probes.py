"""Probes, the follow-ups an interviewer asks after an answer: the schema (one line naming file:line
for each problem), the cache, `show --json`, and the built-in bank's probes graded by their own
concepts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import cvquiz.bank.schema as schema
from cvquiz.bank.library import builtin_bank_path
from cvquiz.bank.model import DIFFICULTIES, Concept, Misconception, Probe
from cvquiz.links import load_bank
from cvquiz.practice.grading import grade
from cvquiz.practice.scheduler import Rating

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
        synonyms: [patch embedding]
    probes:
      - prompt: "Why patches and not pixels?"
        answer: "Attention is quadratic in the sequence length; patches shorten it."
        concepts:
          - name: quadratic attention
            core: true
            synonyms: [quadratic cost]
          - name: shorter sequence
            synonyms: [fewer tokens]
        misconceptions:
          - name: patches add detail
            phrases: [patches add detail]
            why: "Patching shortens the sequence; it adds no detail."
      - prompt: "What does the class token do?"
        answer: "It pools the sequence for the classifier."
        concepts:
          - name: pools
            synonyms: [aggregates]
  - number: 2
    id: second-question
    topic: vit
    difficulty: hard
    question: "Why positions?"
    answer: "Attention has no order of its own."
"""

ONE_PROBE = """\
      - prompt: "Another?"
        answer: "Yes."
        concepts:
          - name: agreement
            synonyms: [indeed]
"""


def write(tmp_path: Path, text: str, name: str = "bank.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_probes_load_as_records_and_are_written_after_the_misconceptions(tmp_path: Path) -> None:
    bank = load_bank(write(tmp_path, BANK))
    first, second = bank.questions
    assert first.probes == (
        Probe(
            "Why patches and not pixels?",
            "Attention is quadratic in the sequence length; patches shorten it.",
            (
                Concept("quadratic attention", ("quadratic cost",), core=True),
                Concept("shorter sequence", ("fewer tokens",)),
            ),
            (
                Misconception(
                    "patches add detail",
                    ("patches add detail",),
                    "Patching shortens the sequence; it adds no detail.",
                ),
            ),
        ),
        Probe(
            "What does the class token do?",
            "It pools the sequence for the classifier.",
            (Concept("pools", ("aggregates",)),),
        ),
    )
    assert second.probes == ()
    data = first.to_dict()
    assert list(data)[-3:] == ["concepts", "probes", "related"]
    assert data["probes"][1] == {
        "prompt": "What does the class token do?",
        "answer": "It pools the sequence for the classifier.",
        "concepts": [{"name": "pools", "synonyms": ["aggregates"]}],
    }  # misconceptions only when there are some, as for a question
    assert "probes" not in second.to_dict()
    again = load_bank(write(tmp_path, json.dumps(bank.to_dict()), "bank.json"))
    assert again.questions == bank.questions  # a JSON export is a bank, probes included


BAD_PROBES = {
    "no concepts": (
        BANK.replace(
            '        answer: "It pools the sequence for the classifier."\n'
            "        concepts:\n          - name: pools\n            synonyms: [aggregates]\n",
            '        answer: "It pools the sequence for the classifier."\n',
        ),
        "bank.yaml:26: question 'first-question': probe #2: needs at least one concept",
    ),
    "empty concepts": (
        BANK.replace(
            "        concepts:\n          - name: pools\n            synonyms: [aggregates]\n",
            "        concepts: []\n",
        ),
        "bank.yaml:28: question 'first-question': probe #2: needs at least one concept",
    ),
    "unknown key": (
        BANK.replace(
            '      - prompt: "Why patches', '      - hint: x\n        prompt: "Why patches'
        ),
        "bank.yaml:14: question 'first-question': probe #1: unknown key 'hint' "
        "(valid: prompt, answer, concepts, misconceptions)",
    ),
    "too many probes": (
        BANK.replace("  - number: 2\n", ONE_PROBE * 3 + "  - number: 2\n"),
        "bank.yaml:14: question 'first-question': at most 4 probes (got 5)",
    ),
    "probes as text": (
        BANK[: BANK.index("    probes:")]
        + "    probes: why not?\n"
        + BANK[BANK.index("  - number: 2") :],
        "bank.yaml:13: question 'first-question': probes must be a list (got text)",
    ),
    "a probe as text": (
        BANK.replace("    probes:\n", "    probes:\n      - why not?\n"),
        "bank.yaml:14: question 'first-question': probe #1 must be a map with prompt, answer and concepts",
    ),
    "concepts as a map": (
        BANK.replace(
            "        concepts:\n          - name: pools\n            synonyms: [aggregates]\n",
            "        concepts: {name: pools}\n",
        ),
        "bank.yaml:28: question 'first-question': probe #2: concepts must be a list (got a map)",
    ),
    "missing prompt": (
        BANK.replace(
            '      - prompt: "What does the class token do?"\n        answer', "      - answer"
        ),
        "bank.yaml:26: question 'first-question': probe #2: prompt is missing",
    ),
    "empty prompt": (
        BANK.replace('"What does the class token do?"', '" "'),
        "bank.yaml:26: question 'first-question': probe #2: prompt must be non-empty text (got text)",
    ),
    "answer a number": (
        BANK.replace('"It pools the sequence for the classifier."', "42"),
        "bank.yaml:27: question 'first-question': probe #2: answer must be non-empty text (got a number)",
    ),
    "prompt too long": (
        BANK.replace('"What does the class token do?"', "x" * (schema.MAX_TEXT_CHARS + 1)),
        "bank.yaml:26: question 'first-question': probe #2: prompt is 10,001 characters long; "
        "the limit is 10,000",
    ),
    "unknown concept key": (
        BANK.replace("            core: true\n", "            core: true\n            weight: 2\n"),
        "bank.yaml:19: question 'first-question': probe #1: unknown concept key 'weight' "
        "(valid: name, core, synonyms)",
    ),
    "bad core": (
        BANK.replace("            core: true\n", "            core: maybe\n"),
        "bank.yaml:18: question 'first-question': probe #1: concept 'quadratic attention': "
        "core must be true or false (got 'maybe')",
    ),
    "misconception without phrases": (
        BANK.replace("            phrases: [patches add detail]\n", ""),
        "bank.yaml:23: question 'first-question': probe #1: misconception 'patches add detail': "
        "phrases must be a non-empty list of text",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_PROBES))
def test_a_bad_probe_is_one_line_naming_file_and_line_and_exit_2(
    case: str, tmp_path: Path, cli, monkeypatch
) -> None:
    text, expected = BAD_PROBES[case]
    assert text != BANK
    monkeypatch.chdir(tmp_path)
    write(tmp_path, text)
    result = cli("check", "bank.yaml")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr == f"cvquiz: error: {expected}\n"


def test_four_probes_are_allowed(tmp_path: Path) -> None:
    bank = load_bank(
        write(tmp_path, BANK.replace("  - number: 2\n", ONE_PROBE * 2 + "  - number: 2\n"))
    )
    assert len(bank.questions[0].probes) == schema.MAX_PROBES == 4


def test_probes_come_back_from_the_cache_equal(tmp_path: Path, monkeypatch) -> None:
    parses: list[str] = []
    real = schema.parse

    def counting(text: str, shown: str):
        parses.append(shown)
        return real(text, shown)

    monkeypatch.setattr(schema, "parse", counting)
    monkeypatch.setenv("CVQUIZ_CACHE", str(tmp_path / "cache"))
    path = write(tmp_path, BANK)
    first = load_bank(path)
    again = load_bank(path)
    assert len(parses) == 1  # the second load read the cache
    assert again.questions == first.questions
    assert again.questions[0].probes[0].concepts[0].core is True
    assert isinstance(again.questions[0].probes[0], Probe)
    builtin = load_bank(builtin_bank_path())
    from_cache = load_bank(builtin_bank_path())
    assert len(parses) == 2
    assert from_cache.questions == builtin.questions
    assert (
        from_cache.questions
        == schema.check_bank(builtin_bank_path(), demo_ids=_demo_ids()).questions
    )


def _demo_ids() -> list[str]:
    from cvquiz.demos.index import demo_ids

    return list(demo_ids())


def test_show_json_includes_the_probes(cli) -> None:
    result = cli("show", "6", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (q,) = [q for q in BUILTIN.questions if q.number == 6]
    assert data["probes"] == [p.to_dict() for p in q.probes]
    assert data["probes"][0]["prompt"] == "Why a 1x1 projection and not a 3x3?"


def test_the_readme_bank_example_loads_with_its_probe(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Your own banks") :]
    example = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert example is not None
    (q,) = load_bank(write(tmp_path, example.group(1))).questions
    (probe,) = q.probes
    assert grade(probe.answer, probe.concepts, probe.misconceptions).suggested == Rating.GOOD


# --- the built-in bank --------------------------------------------------------------------

BUILTIN = load_bank(builtin_bank_path())
PROBES = [(q, p) for q in BUILTIN.questions for p in q.probes]


def test_the_builtin_bank_probes_both_topics_and_every_difficulty() -> None:
    probed = [q for q in BUILTIN.questions if q.probes]
    assert len(probed) >= 24
    assert {q.topic for q in probed} == {"resnet", "mobilenet"}
    for topic in ("resnet", "mobilenet"):
        assert {q.difficulty for q in probed if q.topic == topic} == set(DIFFICULTIES), topic
    prompts = [p.prompt for _, p in PROBES]
    assert len(set(prompts)) == len(prompts)


def test_the_issues_follow_ups_are_in_the_bank() -> None:
    prompts = {q.id: [p.prompt for p in q.probes] for q in BUILTIN.questions}
    assert "Why a 1x1 projection and not a 3x3?" in prompts["projection-shortcut"]
    assert (
        "What breaks if you remove BatchNorm from a residual block?"
        in prompts["basic-residual-block"]
    )
    assert "Why is the last 1x1 of the block linear?" in prompts["inverted-residual"]
    assert "What does the excitation cost in parameters?" in prompts["squeeze-excitation"]
    (pointwise,) = [p for p in BUILTIN.questions[20].probes if "most of the compute" in p.prompt]
    assert "95%" in pointwise.answer and "Table 2" in pointwise.answer


@pytest.mark.parametrize(
    ("q", "probe"),
    PROBES,
    ids=[f"{q.id}-{i}" for q in BUILTIN.questions for i in range(len(q.probes))],
)
def test_a_builtin_probe_is_graded_good_on_its_answer_and_not_on_others(q, probe: Probe) -> None:
    assert 1 <= len(probe.concepts) <= schema.MAX_CONCEPTS
    assert any(c.core for c in probe.concepts), probe.prompt
    names = [c.name for c in probe.concepts]
    assert len(set(names)) == len(names)
    for c in probe.concepts:
        assert c.name == c.name.lower() and 1 <= len(c.synonyms) <= 10, c
        assert c.name not in c.synonyms and len(set(c.synonyms)) == len(c.synonyms), c
        assert all(s == s.lower() for s in c.synonyms), c
    own = grade(probe.answer, probe.concepts, probe.misconceptions)
    assert own.suggested == Rating.GOOD, own.coverage()
    assert all(r.hit for r in own.results), own.coverage()  # the model answer says every concept
    assert grade("", probe.concepts, probe.misconceptions).suggested == Rating.AGAIN
    for other_q, other in PROBES:
        graded = grade(other.answer, probe.concepts, probe.misconceptions)
        assert not graded.misconceptions, (other.prompt, graded.coverage())  # right answers only
        if other_q.topic != q.topic:
            assert graded.suggested != Rating.GOOD, (other.prompt, graded.coverage())
