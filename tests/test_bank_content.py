"""Content checks for the question bank data/questions.yaml.

Plain yaml.safe_load of the file (no cvquiz imports): structure, counts, ids,
concepts and related links, and a word-for-word comparison with the seed text.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).parents[1]
BANK = REPO / "data" / "questions.yaml"
# The seed ships with the tests, so CI checks the bank word for word on any checkout;
# SHARED_SEED is the team's copy beside the repository, when there is one.
SEED = Path(__file__).parent / "data" / "advanced-cnn-architectures-qa.txt"
SHARED_SEED = Path(__file__).parents[2] / "shared" / "seed" / "advanced-cnn-architectures-qa.txt"

ICONS = {"⚡": "easy", "📊": "medium", "🔥": "hard"}
KEBAB = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
TOP_KEYS = ["id", "title", "chapter", "source", "questions"]
Q_KEYS = [
    "number",
    "id",
    "topic",
    "tags",
    "difficulty",
    "question",
    "answer",
    "concepts",
    "misconceptions",
    "related",
]
Q_KEYS_WITH_CODE = Q_KEYS[:7] + ["code"] + Q_KEYS[7:]
SECTIONS = {"ResNet: 20 Essential Q&A": "resnet", "MobileNet: 20 Essential Q&A": "mobilenet"}


@pytest.fixture(scope="module")
def bank() -> dict:
    with BANK.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def questions(bank: dict) -> list[dict]:
    qs = bank["questions"]
    assert isinstance(qs, list)
    return qs


def parse_seed(text: str) -> list[dict]:
    """Parse the seed by its line structure.

    Each entry: number line, question line, "<icon> <difficulty>" line,
    "Answer: ..." line, then an optional "# ..." code line. Section headings
    ("ResNet: 20 Essential Q&A", ...) set the topic of the entries after them.
    """
    lines = text.split("\n")
    entries: list[dict] = []
    topic = None
    expected = 1
    i = 0
    while i < len(lines):
        line = lines[i]
        if line in SECTIONS:
            topic = SECTIONS[line]
            i += 1
            continue
        if line == str(expected):
            question, diff_line, answer_line = lines[i + 1], lines[i + 2], lines[i + 3]
            m = re.fullmatch(r"(\S+) (easy|medium|hard)", diff_line)
            assert m, f"Q{expected}: bad difficulty line {diff_line!r}"
            assert ICONS[m.group(1)] == m.group(2), f"Q{expected}: icon/difficulty mismatch"
            assert answer_line.startswith("Answer: "), f"Q{expected}: bad answer line"
            entry = {
                "number": expected,
                "topic": topic,
                "question": question,
                "difficulty": m.group(2),
                "answer": answer_line[len("Answer: ") :],
                "code": None,
            }
            i += 4
            if i < len(lines) and lines[i].startswith("# "):
                entry["code"] = lines[i]
                i += 1
            entries.append(entry)
            expected += 1
            continue
        i += 1
    return entries


@pytest.fixture(scope="module")
def seed() -> list[dict]:
    if not SEED.is_file():
        pytest.skip(f"seed file not found: {SEED}")
    entries = parse_seed(SEED.read_text(encoding="utf-8"))
    assert len(entries) == 40
    return entries


# --- structure ---------------------------------------------------------------


def test_top_level(bank: dict) -> None:
    assert list(bank) == TOP_KEYS
    assert bank["id"] == "cnn-architectures"
    assert bank["title"] == "Advanced CNN Architectures — Interview Q&A"
    assert bank["chapter"] == 15
    assert bank["source"] == (
        "Computer Vision Interview, 40 Q&A, Chapter 15: Advanced CNN Architectures "
        "(ResNet skip connections, MobileNet depthwise separable convolutions, "
        "and EfficientNet scaling)"
    )


def test_forty_questions_in_order(questions: list[dict]) -> None:
    assert [q["number"] for q in questions] == list(range(1, 41))


def test_key_order(questions: list[dict]) -> None:
    for q in questions:
        expected = Q_KEYS_WITH_CODE if q["number"] == 23 else Q_KEYS
        if "probes" in q:  # follow-ups come after the misconceptions
            expected = [*expected[:-1], "probes", expected[-1]]
        if "errata" in q:  # corrections of the answer come last before the related questions
            expected = [*expected[:-1], "errata", expected[-1]]
        if "demo" in q:
            expected = [*expected, "demo"]
        assert list(q) == expected, f"Q{q['number']} keys {list(q)}"


def test_ids_unique_kebab_short(questions: list[dict]) -> None:
    ids = [q["id"] for q in questions]
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    for qid in ids:
        assert isinstance(qid, str) and KEBAB.fullmatch(qid), qid
        assert 2 <= len(qid.split("-")) <= 5, qid


def test_fixed_ids(questions: list[dict]) -> None:
    by_number = {q["number"]: q["id"] for q in questions}
    assert by_number[22] == "depthwise-conv"
    assert by_number[24] == "depthwise-vs-standard-cost"


def test_topics(questions: list[dict]) -> None:
    for q in questions:
        assert q["topic"] == ("resnet" if q["number"] <= 20 else "mobilenet"), q["number"]


def test_tags(questions: list[dict]) -> None:
    for q in questions:
        tags = q["tags"]
        assert isinstance(tags, list) and 1 <= len(tags) <= 4, q["number"]
        assert len(set(tags)) == len(tags), q["number"]
        for tag in tags:
            assert isinstance(tag, str) and KEBAB.fullmatch(tag), (q["number"], tag)


def test_difficulty_totals(questions: list[dict]) -> None:
    def counts(qs: list[dict]) -> tuple[int, int, int]:
        c = Counter(q["difficulty"] for q in qs)
        assert set(c) <= {"easy", "medium", "hard"}
        return c["easy"], c["medium"], c["hard"]

    assert counts(questions) == (10, 21, 9)
    assert counts([q for q in questions if q["topic"] == "resnet"]) == (6, 9, 5)
    assert counts([q for q in questions if q["topic"] == "mobilenet"]) == (4, 12, 4)


def test_only_q23_has_code(questions: list[dict]) -> None:
    with_code = [q["number"] for q in questions if "code" in q]
    assert with_code == [23]
    assert questions[22]["code"] == "# Depthwise: groups=in_channels; Pointwise: 1x1 conv"


def test_demo_fields_name_registered_demos(questions: list[dict]) -> None:
    from cvquiz.demos.index import demo_ids

    with_demo = {q["number"]: q["demo"] for q in questions if "demo" in q}
    assert set(with_demo.values()) <= set(demo_ids())
    # Every demo serves a question of the bank, but one: the CIFAR ResNets' counts (Table 6),
    # by id (`cvquiz demo cifar-resnets`) now that Q2's demo trains the plain and residual nets.
    assert set(demo_ids()) - set(with_demo.values()) == {"cifar-resnets"}
    assert sorted(set(range(1, 41)) - set(with_demo)) == []  # all 40 questions have a demo
    assert with_demo[24] == with_demo[22] == "depthwise-separable-cost"
    assert with_demo[8] == "resnet-depths"


def test_seed_counts(seed: list[dict]) -> None:
    c = Counter((e["topic"], e["difficulty"]) for e in seed)
    assert (c["resnet", "easy"], c["resnet", "medium"], c["resnet", "hard"]) == (6, 9, 5)
    assert (c["mobilenet", "easy"], c["mobilenet", "medium"], c["mobilenet", "hard"]) == (4, 12, 4)
    assert [e["number"] for e in seed if e["code"]] == [23]


@pytest.mark.parametrize("number", range(1, 41))
def test_matches_seed(number: int, seed: list[dict], questions: list[dict]) -> None:
    expected = seed[number - 1]
    q = questions[number - 1]
    assert q["number"] == expected["number"] == number
    assert q["question"] == expected["question"]
    assert q["answer"] == expected["answer"]
    assert q["difficulty"] == expected["difficulty"]
    assert q["topic"] == expected["topic"]
    assert q.get("code") == expected["code"]


# --- concepts and related -----------------------------------------------------


def _norm(text: str) -> str:
    text = text.lower().replace("×", "x")
    return re.sub(r"[\s\-–—/→+,]+", " ", text).strip()


def test_concepts_shape(questions: list[dict]) -> None:
    for q in questions:
        concepts = q["concepts"]
        assert isinstance(concepts, list) and 3 <= len(concepts) <= 6, q["number"]
        names = [c["name"] for c in concepts]
        assert len(set(names)) == len(names), q["number"]
        for c in concepts:
            assert list(c) in (["name", "synonyms"], ["name", "core", "synonyms"]), (q["number"], c)
            assert c.get("core", True) is True, (q["number"], c)  # written only when true
            name, synonyms = c["name"], c["synonyms"]
            assert isinstance(name, str) and name.strip() == name and name, (q["number"], c)
            assert name == name.lower(), (q["number"], name)
            assert isinstance(synonyms, list) and 1 <= len(synonyms) <= 10, (q["number"], name)
            assert len(set(synonyms)) == len(synonyms), (q["number"], name)
            assert name not in synonyms, (q["number"], name)
            for s in synonyms:
                assert isinstance(s, str) and s.strip() == s and s, (q["number"], name, s)
                assert s == s.lower(), (q["number"], name, s)


def test_concepts_grounded_in_answer(questions: list[dict]) -> None:
    """Each concept (its name or one synonym) appears in the question/answer text."""
    for q in questions:
        text = _norm(q["question"] + " " + q["answer"])
        for c in q["concepts"]:
            forms = [c["name"], *c["synonyms"]]
            assert any(_norm(f) in text for f in forms), (q["number"], c["name"])


def test_q24_concepts(questions: list[dict]) -> None:
    concepts = {c["name"]: c["synonyms"] for c in questions[23]["concepts"]}
    assert "1/c_out" in concepts["1/n"]
    assert "1/k²" in concepts["1/k^2"]
    assert "reduction" in concepts


def test_related(questions: list[dict]) -> None:
    ids = {q["id"] for q in questions}
    for q in questions:
        related = q["related"]
        assert isinstance(related, list) and 1 <= len(related) <= 3, q["number"]
        assert len(set(related)) == len(related), q["number"]
        for rid in related:
            assert rid in ids, (q["number"], rid)
            assert rid != q["id"], q["number"]


def test_the_shipped_seed_is_the_teams_seed() -> None:
    if not SHARED_SEED.is_file():
        pytest.skip(f"no team copy of the seed at {SHARED_SEED}")
    assert SEED.read_bytes() == SHARED_SEED.read_bytes()
