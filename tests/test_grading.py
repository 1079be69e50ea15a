"""Typed-answer grading against the real bank's concepts."""

from __future__ import annotations

import pytest

from cvquiz.bank.library import builtin_bank_path
from cvquiz.bank.model import Concept
from cvquiz.links import load_bank
from cvquiz.practice.grading import grade, normalise
from cvquiz.practice.scheduler import Rating

BANK = {q.id: q for q in load_bank(builtin_bank_path()).questions}


def test_bank_is_the_real_one() -> None:
    assert (
        BANK["depthwise-conv"].number == 22
        and BANK["depthwise-conv"].bank_id == "cnn-architectures"
    )


@pytest.mark.parametrize("qid", sorted(BANK))
def test_the_model_answer_covers_every_concept(qid: str) -> None:
    q = BANK[qid]
    result = grade(f"{q.answer} {q.code or ''}", q.concepts)
    assert [r.name for r in result.results if not r.hit] == []
    assert result.suggested == (Rating.GOOD if q.concepts else None)


def test_other_answers_rarely_hit_a_questions_concepts() -> None:
    hits = total = 0
    for q in BANK.values():
        for other in BANK.values():
            if other is not q:
                hits += grade(other.answer, q.concepts).hits
                total += len(q.concepts)
    assert hits / total < 0.06


def test_normalise() -> None:
    assert normalise("1/k² and 3 × 3 Convs, ρ² F(x)+x") == [
        "1",
        "k2",
        "and",
        "3x3",
        "convs",
        "ρ2",
        "f",
        "x",
        "x",
    ]


def test_depthwise_conv_with_typos_and_partial_answers() -> None:
    q = BANK["depthwise-conv"]  # own spatial filter / no mixing across channels / fewer params
    full = grade(
        "Every input channel gets its own spatail filter, no mixng across channels, far fewer paramters",
        q.concepts,
    )
    assert [r.hit for r in full.results] == [True, True, True]
    assert full.suggested == Rating.GOOD
    some = grade("each input channel is filtered on its own", q.concepts)
    assert [r.hit for r in some.results] == [True, False, False]
    assert some.suggested == Rating.HARD
    none = grade("it is a pooling layer", q.concepts)
    assert none.hits == 0 and none.suggested == Rating.AGAIN
    assert grade("", q.concepts).suggested == Rating.AGAIN
    assert some.coverage() == {
        "hit": ["own spatial filter"],
        "missed": ["no mixing across channels", "fewer params"],
    }


def test_cost_ratio_short_tokens_match_exactly() -> None:
    q = BANK[
        "depthwise-vs-standard-cost"
    ]  # 1/n, 1/k^2, reduction, kxk conv, large kernels and channels
    names = [c.name for c in q.concepts]
    typed = grade("about 1/N + 1/K^2 of a k×k conv", q.concepts)
    assert {r.name for r in typed.results if r.hit} == {"1/n", "1/k^2", "kxk conv"}
    assert grade("1/k² of the cost", q.concepts).results[names.index("1/k^2")].hit
    assert grade("1/k2", q.concepts).results[names.index("1/k^2")].hit
    # A wrong exponent or a number typo is not forgiven.
    assert not grade("1/k^3 of the cost", q.concepts).results[names.index("1/k^2")].hit
    assert not grade("1/m", q.concepts).results[names.index("1/n")].hit


def test_numbers_are_never_fuzzy() -> None:
    concept = Concept("two 3x3 convs", ("3x3 conv",))
    assert grade("two 3×3 convs", [concept]).hits == 1
    assert grade("two 1x1 convs", [concept]).hits == 0
    resnet = Concept("resnet-50", ())
    assert grade("ResNet 50", [resnet]).hits == 1
    assert grade("resnet-56", [resnet]).hits == 0


def test_short_words_match_whole_words_only() -> None:
    bn = Concept("batch norm", ("bn",))
    assert grade("conv, BN, relu", [bn]).hits == 1
    assert grade("an abnormal layer", [bn]).hits == 0
    assert grade("batch normalisation", [bn]).hits == 1  # fuzzy on a long phrase


def test_greek_letters_count() -> None:
    q = BANK["resolution-multiplier"]
    rho = [r for r in grade("shrink the input by ρ", q.concepts).results if r.name == "rho"]
    assert rho[0].hit


def test_no_concepts_gives_no_suggestion() -> None:
    assert grade("anything", []).suggested is None


def test_a_concept_said_in_another_word_order_or_form_is_found() -> None:
    from cvquiz.bank.model import Concept
    from cvquiz.practice.grading import grade

    concepts = (Concept("harder optimization"), Concept("without overfitting"), Concept("3x3 conv"))
    result = grade("without any overfitting, the optimisation gets harder; a 1x1 conv", concepts)
    assert [r.hit for r in result.results] == [True, True, False]
    # Words far apart do not make a phrase, and a number is never forgiven.
    far = grade("optimization of very deep plain networks with many layers is harder", concepts[:1])
    assert [r.hit for r in far.results] == [False]
    assert [r.hit for r in grade("conv 3x3 layers", concepts[2:]).results] == [True]
