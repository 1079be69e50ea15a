"""The grader against an interviewer's labels on typed answers (answers.yaml, see labelled.py)."""

from __future__ import annotations

from collections import Counter

import labelled
import pytest

MIN_AGREEMENT = 0.90

ANSWERS = labelled.load()
QUESTIONS = labelled.builtin_questions()


@pytest.fixture(scope="module")
def outcomes() -> list[labelled.Outcome]:
    return labelled.grade_all(ANSWERS, QUESTIONS)


def test_the_set_is_large_varied_and_covers_every_question() -> None:
    assert len(ANSWERS) >= 300
    per_question = Counter(a.question_id for a in ANSWERS)
    assert set(per_question) == set(QUESTIONS)
    assert min(per_question.values()) >= 7
    assert set(Counter(a.label for a in ANSWERS)) == set(labelled.LABELS)
    texts = [a.text for a in ANSWERS]
    assert len(set(texts)) == len(texts)
    held = [a for a in ANSWERS if a.held_out]
    assert 0.15 < len(held) / len(ANSWERS) < 0.35  # about one in four, by hash


def test_agreement_with_the_labels(outcomes: list[labelled.Outcome]) -> None:
    assert labelled.agreement(outcomes) >= MIN_AGREEMENT, labelled.format_confusion(
        outcomes, title="all"
    )


def test_no_wrong_answer_is_suggested_good(outcomes: list[labelled.Outcome]) -> None:
    assert [o.answer.text for o in outcomes if o.answer.label == "wrong" and o.got == "good"] == []


def test_the_confusion_matrix_counts_every_answer(outcomes: list[labelled.Outcome]) -> None:
    table = labelled.confusion(outcomes)
    assert sum(table.values()) == len(ANSWERS)
    text = labelled.format_confusion(outcomes, title="all")
    assert text.splitlines()[0].startswith(f"all: {len(ANSWERS)} answers, agreement ")
    assert [line.split()[0] for line in text.splitlines()[2:]] == list(labelled.LABELS)


def test_agreement_counts_exact_matches_only() -> None:
    a = labelled.Labelled("q", "x", "good")
    b = labelled.Labelled("q", "y", "wrong")
    assert labelled.agreement([labelled.Outcome(a, "good"), labelled.Outcome(b, "partial")]) == 0.5
