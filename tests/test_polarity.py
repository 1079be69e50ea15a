"""Polarity: a concept said under negation does not count; a negated misconception is none."""

from __future__ import annotations

import pytest

from cvquiz.bank.model import Concept, Misconception
from cvquiz.practice.grading import grade
from cvquiz.practice.phrases import compile_phrase, find
from cvquiz.practice.polarity import Polarity
from cvquiz.practice.tokens import tokenize

POOLING = Concept("pooling", ("pooling layer",))
OVERFIT = Misconception("degradation is overfitting", ("overfitting",), "Training error rises too.")


def said(phrase: str, text: str) -> list[Polarity]:
    compiled = compile_phrase(phrase)
    assert compiled is not None
    return [m.polarity for m in find(compiled, tokenize(text))]


@pytest.mark.parametrize(
    "text",
    [
        "it does not use pooling",
        "it never uses pooling",
        "no pooling is used",
        "it works without pooling",
        "it isn't using pooling",
        "it doesn't use pooling",
        "they don't use pooling",
        "it can't use pooling",
        "it cannot use pooling",
        "it won't use pooling",
        "it is not using pooling",
        "stride rather than pooling",
        "a strided conv instead of pooling",
        "unlike VGG's pooling",
        "w/o pooling",
        "neither pooling nor dropout",
        "it no longer uses pooling",
        "it fails to use pooling",
    ],
)
def test_a_concept_said_under_negation_does_not_count(text: str) -> None:
    result = grade(text, [POOLING])
    assert result.hits == 0, text
    assert result.results[0].negated is not None, text  # the reveal says it was denied


@pytest.mark.parametrize(
    "text",
    [
        "it uses pooling",
        "not stride: it uses pooling",  # the cue's clause ends at the colon
        "no stride, it uses pooling",  # ... and at a comma
        "there is no stride but it uses pooling",  # ... and at "but"
        "it is not true that there is no pooling",  # two cues cancel
        "no matter what, it uses pooling",  # "no matter" denies nothing
        "whether or not it uses pooling, it works",
        "not just stride: it uses pooling too",
    ],
)
def test_a_concept_said_plainly_counts(text: str) -> None:
    assert grade(text, [POOLING]).hits == 1, text


@pytest.mark.parametrize(
    "text",
    [
        "it is not overfitting",
        "this isn't overfitting",
        "even without overfitting the error rises",
        "it is not caused by overfitting",
        "overfitting is not the cause",
        "overfitting isn't the reason",
        "overfitting can't explain that",
        "overfitting doesn't explain it",
        "it has nothing to do with overfitting",
        "the training error rises, unlike with overfitting",
        "an optimization problem rather than overfitting",
        "if it were overfitting the training error would be low",  # hypothetical, not asserted
        "overfitting would lower the training error instead",
    ],
)
def test_a_denied_misconception_is_no_misconception(text: str) -> None:
    assert grade(text, [], [OVERFIT]).misconceptions == (), text


@pytest.mark.parametrize(
    "text",
    ["it is overfitting", "because of overfitting", "deeper nets are overfitting the data"],
)
def test_an_asserted_misconception_counts(text: str) -> None:
    assert [m.name for m in grade(text, [], [OVERFIT]).misconceptions] == [OVERFIT.name]


def test_a_phrase_carries_its_own_polarity() -> None:
    no_mixing = Concept("no mixing across channels", ("no channel mixing",))
    for denied in ("no mixing across channels", "channels are not mixed", "it never mixes channels",
                   "without any channel mixing"):  # fmt: skip
        assert grade(denied, [no_mixing]).hits == 1, denied
    for plain in ("it mixes channels", "mixing across channels"):
        assert grade(plain, [no_mixing]).hits == 0, plain


def test_not_just_qualifies_rather_than_denies() -> None:
    assert said("vanishing gradients", "not just vanishing gradients") == [Polarity.QUALIFIED]
    assert said("vanishing gradients", "not only vanishing gradients") == [Polarity.QUALIFIED]
    assert said("vanishing gradients", "not vanishing gradients alone") == [Polarity.QUALIFIED]
    assert said("vanishing gradients", "not vanishing gradients") == [Polarity.NEGATED]
    # A concept counts when qualified; a misconception does not.
    assert grade("not just flops", [Concept("flops", ())]).hits == 1
    wrong = Misconception("it is the gradients", ("vanishing gradients",), "No.")
    assert grade("not only vanishing gradients", [], [wrong]).misconceptions == ()
    assert grade("it is vanishing gradients", [], [wrong]).misconceptions != ()


def test_a_negation_reaches_a_few_words_only() -> None:
    # "no" denies the noun phrase after it, not the rest of a long clause.
    assert grade("no extra weights are needed and it uses pooling", [POOLING]).hits == 1
    assert grade("it does not use pooling", [POOLING]).hits == 0
    assert said("pooling", "no pooling") == [Polarity.NEGATED]
    assert said("linear", "a non-linear projection") == [Polarity.NEGATED]
