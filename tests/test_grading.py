"""Typed-answer grading against the real bank's concepts and misconceptions."""

from __future__ import annotations

import pytest

from cvquiz.bank.library import builtin_bank_path
from cvquiz.bank.model import Concept, Misconception
from cvquiz.links import load_bank
from cvquiz.practice.grading import grade, grade_answer, normalise
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
    result = grade_answer(f"{q.answer} {q.code or ''}", q)
    assert [r.name for r in result.results if not r.hit] == []
    assert [m.name for m in result.misconceptions] == []  # the model answer asserts none
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
    # A fraction is one number; short forms are written out; letters and digits part (ρ², and
    # ResNet-50 is resnet50); the operators of a formula stay (F(x) + x is not F(x) * x).
    assert normalise("1/k² and 3 × 3 Convs, ρ² F(x)+x") == [
        "1/k2",
        "and",
        "3x3",
        "convolutions",
        "ρ",
        "2",
        "f",
        "x",
        "+",
        "x",
    ]
    assert normalise("one over k squared, 1 / N, conv3x3, ResNet50, three by three") == [
        "1/k2", "1/n", "convolution", "3x3", "resnet", "50", "3x3",
    ]  # fmt: skip


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


# --- the examples of issue 9, graded as a human would ---------------------------------------


def _hits(result) -> set[str]:
    return {r.name for r in result.results if r.hit}


def test_bottleneck_numbers_in_the_wrong_places_score_no_kernel_concept() -> None:
    q = BANK["bottleneck-block"]
    wrong = grade_answer("3x3 reduce, 1x1 spatial conv, 3x3 expand", q)
    assert not _hits(wrong) & {"1x1 reduce", "3x3 spatial conv", "1x1 expand"}
    assert [m.name for m in wrong.misconceptions] == ["numbers in the wrong places"]
    assert wrong.suggested == Rating.AGAIN
    right = grade_answer("1x1 reduce, 3x3 spatial conv, 1x1 expand; cheaper for ResNet-50", q)
    assert {"1x1 reduce", "3x3 spatial conv", "1x1 expand"} <= _hits(right)
    assert right.misconceptions == () and right.suggested == Rating.GOOD
    # The order counts too: expanding first is MobileNetV2's block, not ResNet's.
    inverted = grade_answer("1x1 expand the channels, 3x3 depthwise, 1x1 project down", q)
    assert inverted.suggested == Rating.AGAIN


def test_bn_ordering_denied_everywhere_scores_nothing() -> None:
    q = BANK["bn-ordering"]
    result = grade_answer(
        "never conv bn relu ... no post-activation variants, not even in resnet v2", q
    )
    assert result.hits == 0
    assert {r.name for r in result.results if r.negated} >= {"conv bn relu", "resnet v2"}
    assert result.suggested == Rating.AGAIN
    swapped = grade_answer("conv → relu → bn", q)
    assert "conv bn relu" not in _hits(swapped) or swapped.misconceptions
    assert swapped.suggested == Rating.AGAIN


def test_overfitting_is_a_misconception_of_degradation_unless_denied() -> None:
    q = BANK["degradation-problem"]
    because = grade_answer("because of overfitting", q)
    assert "without overfitting" not in _hits(because)
    assert [m.name for m in because.misconceptions] == ["degradation is overfitting"]
    assert because.suggested == Rating.AGAIN
    memorize = grade_answer("it is overfitting: deeper networks memorize the training data", q)
    assert memorize.suggested == Rating.AGAIN and memorize.misconceptions
    assert "overfitting" in memorize.misconceptions[0].why.lower()
    for denied in ("it is not overfitting", "even without overfitting", "it isn't overfitting",
                   "overfitting is not the cause", "you can't blame overfitting"):  # fmt: skip
        result = grade_answer(denied, q)
        assert "without overfitting" in _hits(result), denied
        assert result.misconceptions == (), denied


@pytest.mark.parametrize(
    ("qid", "typed", "concept"),
    [
        ("why-learn-residual", "the identity shortcut adds x to the output", "close to identity"),
        ("identity-shortcut", "the stride stays 1 in every block", "channels or stride differ"),
        ("resnet-vs-vgg", "VGG has 16 layers and counts FLOPs", "fewer flops"),
        ("resnext-cardinality", "accuracy is measured on ImageNet", "improves accuracy"),
        ("resnet-vs-densenet", "both run in GPU memory", "memory compute tradeoff"),
        ("expansion-factor", "every layer uses relu6", "relu killing info"),
        ("resnet-still-used", "yes", "strong baseline"),
        ("he-initialization", "he said to use xavier", "he init"),
        ("why-learn-residual", "it is easier to implement", "easier to learn"),
    ],
)
def test_a_single_common_word_says_no_concept_on_its_own(
    qid: str, typed: str, concept: str
) -> None:
    assert concept not in _hits(grade_answer(typed, BANK[qid]))


def test_no_lone_common_word_stands_for_a_concept_in_the_bank() -> None:
    common = {"identity", "stride", "flops", "accuracy", "memory", "relu", "he", "easier"}
    for q in BANK.values():
        for c in q.concepts:
            lone = {s for s in c.synonyms if s in common and s != c.name}
            assert not lone, (q.id, c.name, lone)


@pytest.mark.parametrize(
    ("qid", "typed"),
    [
        ("degradation-problem", "Deeper plain nets do worse than shallower ones even on the training set. "
         "Overfitting can't explain that; the solver just has a hard time optimizing the deeper stack."),
        ("depthwise-conv", "one filter per input channel; it never mixes channels, which is very cheap"),
        ("bottleneck-block", "a 1x1 conv shrinks the channels, a 3x3 conv works on the thin tensor, then a "
         "1x1 restores the width: far less compute, used from ResNet-50 on"),
        ("squeeze-excitation", "GAP → FC → ReLU → FC → sigmoid, multiply each channel by its gate"),
        ("mobilenet-deployment", "use TensorRT/CoreML/NNAPI with fused kernels and benchmark latency on the "
         "target hardware rather than trusting FLOP counts"),
    ],
)  # fmt: skip
def test_a_complete_answer_in_other_words_is_good(qid: str, typed: str) -> None:
    result = grade_answer(typed, BANK[qid])
    assert result.suggested == Rating.GOOD, [(r.name, r.hit) for r in result.results]


# --- weights: core concepts, the rest, misconceptions -----------------------------------------

CORE = (
    Concept("skip connection", ("shortcut",), core=True),
    Concept("residual", ("f(x)",), core=True),
    Concept("very deep", ()),
    Concept("batch norm", ()),
    Concept("he init", ()),
)
WRONG = (Misconception("concatenates", ("concatenates",), "It adds."),)


@pytest.mark.parametrize(
    ("typed", "rating"),
    [
        (
            "skip connection, residual, very deep",
            Rating.GOOD,
        ),  # all core, 1 of 3 others: 3 // 2 = 1
        ("skip connection, residual, very deep, batch norm, he init", Rating.GOOD),
        ("skip connection and residual", Rating.HARD),  # all core, none of the rest
        ("skip connection, very deep, batch norm, he init", Rating.HARD),  # a core one missing
        ("very deep, batch norm, he init", Rating.AGAIN),  # no core concept
        ("skip connection, residual, very deep, batch norm; it concatenates", Rating.AGAIN),
        ("skip connection, residual, very deep; it never concatenates", Rating.GOOD),
    ],
)
def test_good_needs_every_core_concept_and_half_the_rest(typed: str, rating: Rating) -> None:
    assert grade(typed, CORE, WRONG).suggested == rating


def test_a_bank_without_core_marks_treats_every_concept_as_core() -> None:
    plain = tuple(Concept(c.name, c.synonyms) for c in CORE)
    assert grade("skip connection, residual, very deep", plain).suggested == Rating.HARD
    everything = "skip connection, residual, very deep, batch norm, he init"
    assert grade(everything, plain).suggested == Rating.GOOD
    assert grade("it concatenates", (), WRONG).suggested == Rating.AGAIN


def test_matched_words_and_spans_are_the_users_own() -> None:
    typed = "Each input channel has its own spatail filter; no mixing"
    result = grade_answer(typed, BANK["depthwise-conv"])
    own, mixing, _ = result.results
    start = typed.index("own")
    assert own.matched == "own spatail filter" and own.spans == ((start, start + 18),)
    assert mixing.matched == "no mixing" and typed[slice(*mixing.spans[0])] == "no mixing"
    assert result.coverage() == {
        "hit": ["own spatial filter", "no mixing across channels"],
        "missed": ["fewer params"],
    }
    wrong = grade_answer("a 3x3 kernel, a kind of pooling", BANK["pointwise-conv"])
    assert wrong.coverage()["misconceptions"] == [
        "pointwise uses a 3x3 kernel",
        "pointwise is pooling",
    ]
    data = wrong.to_dict()
    assert (
        data["suggested_name"] == "again" and data["misconceptions"][0]["matched"] == "3x3 kernel"
    )


# --- order and numbers ------------------------------------------------------------------------


def test_a_word_binds_to_the_number_beside_it() -> None:
    reduce = Concept("1x1 reduce", ())
    assert grade("a 1x1 conv reduces the channels", [reduce]).hits == 1
    assert grade("reduce the channels with a 1x1 conv", [reduce]).hits == 1
    assert grade("3x3 reduce, 1x1 spatial", [reduce]).hits == 0
    assert grade("3x3 reduce 1x1 spatial", [reduce]).hits == 0  # a tie goes to the number before
    clip = Concept("clips at 6", ())
    assert grade("ReLU6 clips at 6", [clip]).hits == 1
    assert grade("ReLU6 clips at 1", [clip]).hits == 0  # "at" leads to the number after
    stride = Concept("stride 2", ())
    assert grade("a stride of 2", [stride]).hits == 1
    assert grade("stride two", [stride]).hits == 1
    assert grade("stride 1, then 2 blocks", [stride]).hits == 0


def test_steps_joined_by_arrows_match_in_order() -> None:
    seq = Concept("conv → bn → relu", ())
    assert grade("conv, then BN, then ReLU", [seq]).hits == 1
    assert grade("conv-bn-relu", [seq]).hits == 1
    assert grade("conv → relu → bn", [seq]).hits == 0
    assert grade("bn, relu, conv", [seq]).hits == 0
    assert grade("conv here. BN there. ReLU at the end.", [seq]).hits == 0  # one sentence


def test_formulas_keep_their_operators() -> None:
    add = Concept("f(x) + x", ("x + f(x)",))
    assert grade("y = F(x, {W}) + x", [add]).hits == 1
    assert grade("out = relu(x + F(x))", [add]).hits == 1
    assert grade("y = F(x) * x", [add]).hits == 0
    assert grade("y = F(x) - x", [add]).hits == 0
    ratio = Concept("1/n", ("1/c_out",))
    assert grade("1/C_out + 1/k^2", [ratio]).hits == 1
    assert grade("one over N", [ratio]).hits == 1
    assert grade("1/k + 1/N^2", [ratio]).hits == 0


def test_typos_are_forgiven_in_words_only() -> None:
    concept = Concept("concatenates previous features", ())
    assert grade("concatentates all prevoius featrues", [concept]).hits == 1
    assert grade("1x1 conv reduses channels", [Concept("1x1 reduces channels", ())]).hits == 1
    assert grade("ResNet-5O", [Concept("resnet-50", ())]).hits == 0
    # A short word gets no typo: "wide" is not "wire", "conv" not "cone".
    assert grade("a wire cone", [Concept("wide conv", ())]).hits == 0


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "?!…",
        "😀 1x1 → 3×3 → 1×1 😀",
        "e\u0301\u200b",
        "-" * 500,
        "1/ /2 ^^ x x x",
        "w/o w/",
    ],
)
def test_any_typed_text_is_graded_without_error(typed: str) -> None:
    for q in BANK.values():
        result = grade_answer(typed, q)
        assert result.suggested in (Rating.AGAIN, Rating.HARD, Rating.GOOD)
        assert all(0 <= s < e <= len(typed) for r in result.results for s, e in r.spans)
