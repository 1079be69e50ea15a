"""The demo engine: result objects, checks, the registry, settings, devices, lookup and verification."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cvquiz import links
from cvquiz.bank.model import Question
from cvquiz.demos import index, registry, runner
from cvquiz.demos.params import Param, Settings, parse_settings, resolve_settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import (
    COUNTER_SOURCE,
    MACS_CONVENTION,
    DemoResult,
    Presentation,
    Series,
    Table,
    check,
    format_cell,
    format_shape,
    tolerance_text,
)
from cvquiz.demos.verify import verify_demos
from cvquiz.errors import CvquizError

# --- result.py ---------------------------------------------------------------------------------


def test_check_exact_and_tolerances() -> None:
    assert check("a", expected=6, measured=6, source="s").passed
    assert check("a", expected=6, measured=6.0, source="s").passed  # 6 == 6.0 is still exact
    assert not check("a", expected=6, measured=7, source="s").passed
    assert not check("a", expected=True, measured=1, source="s").passed  # a bool is not a count
    assert not check("a", expected="1/4", measured="1/5", source="s").passed
    # A figure printed to 1M (569M) allows its rounding, ±0.5M, not a whole unit.
    near = check("a", expected=569_000_000, measured=568_740_352, source="s", abs_tol=500_000)
    assert near.passed and near.tolerance == "±500,000"
    far = check("a", expected=290_000_000, measured=290_675_200, source="s", abs_tol=500_000)
    assert not far.passed and far.tolerance == "±500,000"
    rel = check("a", expected=1.0, measured=1.004, source="s", rel_tol=0.005)
    assert rel.passed and rel.tolerance == "±0.5%"
    assert not check("a", expected=1.0, measured=1.006, source="s", rel_tol=0.005).passed
    assert tolerance_text() == "exact"
    assert tolerance_text(abs_tol=0.05) == "±0.05"
    assert tolerance_text(rel_tol=1e-12) == "rel ±1e-12"
    assert tolerance_text(rel_tol=0.01, abs_tol=2) == "±1% or ±2"


def test_format_cell_is_the_one_cell_formatter() -> None:
    from cvquiz.render import demo as render

    assert render.fmt is not None and render.fmt(1234) == format_cell(1234) == "1,234"
    assert [format_cell(v) for v in (None, True, False, 138_357_544, 0.0, -0.0, 0.0235294117, 1e-4, 2.5e6)] == [
        "—", "yes", "no", "138,357,544", "0", "0", "0.0235294", "0.0001", "2.5e+06",
    ]  # fmt: skip
    assert format_cell(float("inf")) == "inf" and format_cell("1/4") == "1/4"
    assert format_shape((1, 3, 224, 224)) == "1×3×224×224"
    assert MACS_CONVENTION.endswith("FLOPs = 2 × MACs") and COUNTER_SOURCE == "FlopCounterMode ÷ 2"


def test_the_shared_formatter_imports_without_torch() -> None:
    code = "import sys, cvquiz.demos.result, cvquiz.render.demo; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_to_dict_keeps_counts_as_exact_ints() -> None:
    big = 138_357_544_000_000_001  # beyond float precision: must survive as an int
    result = DemoResult(
        demo_id="x",
        title="X",
        explanation=("one",),
        tables=(
            Table("t", ("name", "params", "ratio"), (("a", big, 0.5), ("b", None, float("nan")))),
        ),
        checks=(
            check("c", expected=big, measured=big, source="s"),
            check("d", expected=1, measured=2, source="s"),
        ),
        series=(Series("s", (1.0, 2.0), (3.0, 4.0), "x", "y"),),
        convention="MACs",
        params={"in_channels": 64},
    )
    data = json.loads(json.dumps(result.to_dict()))
    assert data["tables"][0]["rows"][0] == ["a", big, 0.5]
    assert data["tables"][0]["rows"][1] == ["b", None, "nan"]  # JSON has no NaN
    assert type(data["checks"][0]["measured"]) is int and data["checks"][0]["measured"] == big
    assert (data["checks_passed"], data["checks_total"], data["passed"]) == (1, 2, False)
    assert data["params"] == {"in_channels": 64}
    assert data["series"][0]["y"] == [3.0, 4.0]
    assert not result.passed


def test_table_and_series_refuse_ragged_data() -> None:
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        Table("t", ("a", "b", "c"), (("x", 1),))
    with pytest.raises(ValueError, match="2 x values for 1 y values"):
        Series("s", (1.0, 2.0), (1.0,), "x", "y")


# --- registry.py: registration ---------------------------------------------------------------


def test_duplicate_demo_id_is_refused() -> None:
    registry.all_demos()
    with pytest.raises(ValueError, match="'depthwise-separable-cost' is registered twice"):
        demo(
            "depthwise-separable-cost", title="t", summary="s", params=(Param("size", int, 1, "h"),)
        )


def test_bad_ids_steps_and_defaults_are_refused() -> None:
    with pytest.raises(ValueError, match="kebab-case"):
        demo("Bad_Id", title="t", summary="s", params=(Param("size", int, 1, "h"),))
    with pytest.raises(ValueError, match="size is a multiple of unknown setting 'groups'"):
        demo(
            "engine-test-a",
            title="t",
            summary="s",
            params=(Param("size", int, 4, "h", multiple_of="groups"),),
        )
    with pytest.raises(ValueError, match="default of size is outside an integer in 2..3"):
        demo(
            "engine-test-b",
            title="t",
            summary="s",
            params=(Param("size", int, 1, "h", min=2, max=3),),
        )
    spec = registry.DemoSpec("engine-test-c", "t", "s", ())
    spec.measure(lambda s, ctx: None)
    with pytest.raises(ValueError, match="'engine-test-c': measure is attached twice"):
        spec.measure(lambda s, ctx: None)
    assert "engine-test-a" not in index.demo_ids()


def test_a_demo_module_must_register_its_indexed_ids_with_both_steps(monkeypatch) -> None:
    half = registry.DemoSpec("engine-half", "t", "s", ())
    half.measure(lambda s, ctx: None)  # defined here, so its module is this test module
    monkeypatch.setitem(registry._REGISTRY, "engine-half", half)
    monkeypatch.setitem(index.DEMO_MODULES, "engine-half", __name__)
    monkeypatch.setattr(registry, "_imported", set())
    with pytest.raises(ValueError, match=f"'engine-half': {__name__} does not register it"):
        registry.get_demo("engine-half")


def test_every_indexed_demo_is_registered_where_the_index_says() -> None:
    specs = registry.all_demos()
    assert [s.id for s in specs] == index.demo_ids()
    assert {s.id: s.module for s in specs} == index.DEMO_MODULES
    assert set(registry._REGISTRY) >= set(index.DEMO_MODULES)


# --- settings ----------------------------------------------------------------------------------


def test_param_parsing_and_validation() -> None:
    size = Param("size", int, 56, "input height and width", min=1, max=1024)
    assert size.parse("1_024") == 1024
    assert size.parse(" 7 ") == 7
    with pytest.raises(CvquizError) as err:
        size.parse("2000")
    assert (
        err.value.message
        == "--set size=2000: expected an integer in 1..1024 (input height and width)"
    )
    with pytest.raises(CvquizError, match="expected an integer in 1..1024"):
        size.parse("3.5")
    stride = Param("stride", int, 1, "stride", choices=(1, 2))
    with pytest.raises(CvquizError, match=r"--set stride=3: expected one of 1, 2 \(stride\)"):
        stride.parse("3")
    ratio = Param("ratio", float, 0.5, "r", min=0.0)
    assert ratio.parse("0.25") == 0.25
    with pytest.raises(CvquizError, match="expected a number ≥ 0.0"):
        ratio.parse("nan")
    flag = Param("flag", bool, False, "f")
    assert (flag.parse("yes"), flag.parse("FALSE"), flag.parse("1")) == (True, False, True)
    with pytest.raises(CvquizError, match="expected true or false"):
        flag.parse("maybe")


def test_multiple_of_is_declared_not_hand_written() -> None:
    params = (
        Param("groups", int, 4, "groups", min=1, max=64),
        Param("channels", int, 8, "channels", min=1, max=1024, multiple_of="groups"),
        Param(
            "size", int, 64, "size", min=32, max=1024, multiple_of=32, why="the backbone's stride"
        ),
        Param("depth", int, 8, "depth", min=2, max=64, multiple_of=2, why="two convs per block"),
    )
    assert resolve_settings("d", params, {"channels": "12", "size": "96"}).channels == 12
    cases = {
        "channels": ("10", "--set channels=10: must be a multiple of groups=4"),
        "size": ("100", "--set size=100: must be a multiple of 32 (the backbone's stride)"),
        "depth": ("7", "--set depth=7: must be even (two convs per block)"),
    }
    for name, (value, message) in cases.items():
        with pytest.raises(CvquizError) as err:
            resolve_settings("d", params, {name: value})
        assert err.value.message == message
    settings = resolve_settings("d", params, None)
    assert isinstance(settings, Settings) and dict(settings) == {
        "groups": 4, "channels": 8, "size": 64, "depth": 8,
    }  # fmt: skip
    with pytest.raises(AttributeError):
        settings.width  # noqa: B018


def test_settings_are_parsed_and_checked_against_the_demo() -> None:
    assert parse_settings(["a=1", "b=x=y", "a=2"]) == {"a": "2", "b": "x=y"}
    with pytest.raises(CvquizError) as err:
        parse_settings(["in_channels"])
    assert err.value.message == "--set in_channels: expected NAME=VALUE, like --set in_channels=64"
    spec = registry.get_demo("depthwise-separable-cost")
    assert resolve_settings(spec.id, spec.params, {"in_channels": "32", "stride": 2}) == {
        "in_channels": 32, "out_channels": 128, "kernel": 3, "size": 56, "stride": 2,
    }  # fmt: skip
    with pytest.raises(CvquizError) as err:
        resolve_settings(spec.id, spec.params, {"channels": "3"})
    assert err.value.message == (
        "--set channels: demo 'depthwise-separable-cost' has no parameter 'channels' "
        "(valid: in_channels, out_channels, kernel, size, stride)"
    )
    with pytest.raises(
        CvquizError, match="no demo 'depthwise-cost'; closest: depthwise-separable-cost"
    ):
        registry.get_demo("depthwise-cost")


def test_refuse_large_before_allocating() -> None:
    runner.refuse_large(2**28, what="ok")
    with pytest.raises(CvquizError) as err:
        runner.refuse_large(2**33, what="a 64×2048×256×256 tensor")
    assert err.value.message == (
        "a 64×2048×256×256 tensor needs 8,589,934,592 elements (32.0 GiB as float32); "
        "the limit is 268,435,456: choose smaller --set values"
    )


# --- devices and running ---------------------------------------------------------------------


def test_devices() -> None:
    import torch

    assert str(runner.resolve_device("cpu")) == "cpu"
    assert str(runner.resolve_device("auto")) == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(CvquizError, match="--device tpu: expected one of cpu, cuda, auto"):
        runner.resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(CvquizError, match="--device cuda: CUDA is not available here"):
            runner.resolve_device("cuda")
        with pytest.raises(CvquizError, match="--device cuda:1: CUDA is not available here"):
            runner.run_demo("relu6", device="cuda:1")


def test_run_demo_stamps_params_device_and_seed_and_is_deterministic() -> None:
    first = runner.run_demo("pointwise-as-linear", settings={"size": "5"}, seed=3)
    again = runner.run_demo("pointwise-as-linear", settings={"size": "5"}, seed=3)
    assert first.params == {"in_channels": 32, "out_channels": 64, "size": 5, "batch": 2}
    assert (first.demo_id, first.device, first.seed) == ("pointwise-as-linear", "cpu", 3)
    assert first.to_dict() == again.to_dict()


def test_a_run_is_seeded_and_leaves_the_callers_random_state_alone(monkeypatch) -> None:
    import torch

    seen: list[tuple[float, float]] = []
    spec = registry.DemoSpec("engine-seeded", "Seeded", "s", ())
    spec.measure(
        lambda s, ctx: (
            seen.append((torch.rand(1, generator=ctx.rng).item(), torch.rand(1).item()))
            or len(seen)
        )
    )
    spec.present(lambda n, s: Presentation(explanation=(f"run {n}",)))
    monkeypatch.setitem(registry._REGISTRY, "engine-seeded", spec)
    monkeypatch.setitem(index.DEMO_MODULES, "engine-seeded", __name__)
    torch.manual_seed(123)
    before = torch.rand(1).item()
    torch.manual_seed(123)
    first = runner.run_demo("engine-seeded", seed=5)
    assert torch.rand(1).item() == before  # the caller's generator did not move
    runner.run_demo("engine-seeded", seed=5)
    runner.run_demo("engine-seeded", seed=6)
    assert seen[0] == seen[1] != seen[2]  # the seed decides both ctx.rng and module init
    assert seen[0][0] == torch.rand(1, generator=torch.Generator().manual_seed(5)).item()
    assert (first.title, first.explanation, first.numbers) == ("Seeded", ("run 1",), 1)


def test_verify_demos_times_each_demo_with_the_given_clock() -> None:
    ticks = iter(range(100))
    seen: list[str] = []
    specs = [registry.get_demo("relu6"), registry.get_demo("depthwise-separable-cost")]
    verification = verify_demos(
        specs, clock=lambda: float(next(ticks)), on_done=lambda v: seen.append(v.spec.id)
    )
    assert seen == ["relu6", "depthwise-separable-cost"]
    assert verification.warm_up_seconds == 1.0
    assert [item.seconds for item in verification.items] == [1.0, 1.0]
    data = verification.to_dict()
    assert (data["demos"], data["passed"], data["checks_passed"], data["checks_total"]) == (
        2,
        True,
        15,
        15,
    )
    assert data["results"][0] == {
        "demo_id": "relu6", "checks_passed": 7, "checks_total": 7, "passed": True, "seconds": 1.0, "failed": [],
    }  # fmt: skip


# --- finding a demo from a user's words ------------------------------------------------------


def _q(
    number: int,
    id: str,
    *,
    demo: str | None = None,
    related: tuple[str, ...] = (),
    question: str = "",
) -> Question:
    return Question(
        bank_id="b", number=number, id=id, topic="mobilenet", difficulty="easy",
        question=question or id, answer="", related=related, demo=demo,
    )  # fmt: skip


QUESTIONS = [
    _q(1, "cost", demo="depthwise-separable-cost", question="Complexity vs standard conv?"),
    _q(2, "no-demo", related=("cost",), question="Deployment?"),
    _q(3, "relu6", demo="relu6", question="ReLU6?"),
    _q(4, "width-multiplier", question="Width multiplier?"),
    _q(5, "lonely", question="Zebra?"),
]


def test_find_target_by_number_id_words_and_demo_id() -> None:
    assert links.find_target(QUESTIONS, "1").spec.id == "depthwise-separable-cost"
    assert links.find_target(QUESTIONS, "1").question == QUESTIONS[0]
    assert links.find_target(QUESTIONS, "complexity").spec.id == "depthwise-separable-cost"
    by_id = links.find_target(QUESTIONS, "strided-depthwise")
    assert (by_id.spec.id, by_id.question) == ("strided-depthwise", None)
    # A question and a demo sharing an id: the demo id wins, and the question is named when it points there.
    assert links.find_target(QUESTIONS, "relu6").question == QUESTIONS[2]
    assert links.find_target(QUESTIONS, "width-multiplier").question is None


def test_question_without_demo_names_the_nearest_demos() -> None:
    with pytest.raises(CvquizError) as err:
        links.find_target(QUESTIONS, "2")
    assert err.value.message.startswith(
        "question 2 (no-demo) has no demo; nearest demos: depthwise-separable-cost"
    )
    with pytest.raises(CvquizError) as err:
        links.find_target(QUESTIONS, "lonely")
    assert err.value.message == "question 5 (lonely) has no demo; see `cvquiz demo --list`"
    with pytest.raises(CvquizError) as err:
        links.find_target(QUESTIONS, "depthwize-separable")
    assert "demos with close ids: depthwise-separable-cost" in err.value.message


def test_catalogue_lists_every_demo_with_its_questions() -> None:
    entries = {e.spec.id: e for e in links.catalogue(QUESTIONS)}
    assert list(entries) == index.demo_ids()
    assert [q.number for q in entries["depthwise-separable-cost"].questions] == [1]
    data = entries["relu6"].to_dict()
    assert data["questions"] == [{"key": "b/relu6", "number": 3, "id": "relu6"}]
    assert data["params"][0]["allowed"] == "a number in 12.0..10000.0"


# --- listing demos never imports torch ---------------------------------------------------------

PROBE = """
import json, sys
from cvquiz.demos.registry import all_demos
from cvquiz.links import catalogue
from cvquiz.demos.index import demo_ids
from cvquiz.links import load_library
specs = all_demos()
catalogue(load_library().questions)
print(json.dumps({"demos": len(specs), "heavy": [m for m in ("torch", "numpy") if m in sys.modules]}))
"""


def test_listing_demos_does_not_import_torch() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["heavy"] == []
    assert data["demos"] == len(index.demo_ids()) >= 12


@pytest.mark.parametrize(
    "args", [["demo", "--list"], ["demo", "--list", "--json"], ["demo", "relu6", "--params"]]
)
def test_demo_list_and_params_commands_do_not_import_torch(args: list[str]) -> None:
    probe = (
        "import sys\nfrom cvquiz.cli.app import main\ntry:\n    main()\nexcept SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\nprint('HEAVY', [m for m in ('torch', 'numpy') if m in sys.modules])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "HEAVY []"


def test_rendering_shows_brackets_and_six_significant_digits() -> None:
    from io import StringIO

    from rich.console import Console

    from cvquiz.demos.result import DemoResult, Table
    from cvquiz.render.demo import render_result

    result = DemoResult(
        demo_id="x",
        title="Brackets",
        explanation=("shape [N, C, H, W] stays",),
        tables=(Table(title="t", columns=("a", "b"), rows=(("[bold]x[/bold]", 11.513626624),)),),
    )
    out = StringIO()
    render_result(Console(file=out, width=80, color_system=None), result)
    text = out.getvalue()
    assert "shape [N, C, H, W] stays" in text
    assert "[bold]x[/bold]" in text
    assert "11.5136" in text
