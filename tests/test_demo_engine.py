"""The demo engine: result objects, checks, the registry, settings, devices, lookup and verification."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import torch
from demo_runs import default_run
from rich.cells import cell_len
from rich.text import Text

from cvquiz import links
from cvquiz.bank.model import Question
from cvquiz.demos import index, registry, runner
from cvquiz.demos.params import Param, Settings, parse_settings, resolve_settings
from cvquiz.demos.registry import demo
from cvquiz.demos.result import (
    COUNTER_SOURCE,
    MACS_CONVENTION,
    DemoResult,
    Plot,
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
    defaults = {p.name: p.default for p in spec.params}
    assert list(defaults) == ["in_channels", "out_channels", "kernel", "size", "stride"]
    assert resolve_settings(spec.id, spec.params, {"in_channels": "32", "stride": 2}) == {
        **defaults, "in_channels": 32, "stride": 2,
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


def test_verify_demos_times_each_run_with_the_given_clock_and_the_oracle_on() -> None:
    ticks = iter(range(100))
    seen: list[str] = []
    specs = [registry.get_demo("relu6"), registry.get_demo("depthwise-separable-cost")]
    verification = verify_demos(
        specs, clock=lambda: float(next(ticks)), on_done=lambda v: seen.append(v.spec.id)
    )
    assert seen == ["relu6", "depthwise-separable-cost"]
    assert verification.warm_up_seconds == 1.0
    assert [item.seconds for item in verification.items] == [1.0, 1.0]
    relu6, cost = (item.result for item in verification.items)
    own = len(default_run("depthwise-separable-cost").checks)
    assert cost.checks_total == own + len(cost.oracle) and len(cost.oracle) >= 1  # it counts MACs
    assert all(c.claim.endswith("MACs by formula == FlopCounterMode ÷ 2") for c in cost.oracle)
    data = verification.to_dict()
    assert (data["demos"], data["runs"], data["passed"], data["seeds"]) == (2, 2, True, [0])
    assert data["checks_passed"] == data["checks_total"] == relu6.checks_total + cost.checks_total
    assert data["results"][0] == {
        "demo_id": "relu6", "seed": 0, "checks_passed": relu6.checks_total,
        "checks_total": relu6.checks_total, "passed": True, "seconds": 1.0, "failed": [],
    }  # fmt: skip


def test_verify_plans_every_seed_for_a_stochastic_demo_and_one_for_the_others(
    monkeypatch,
) -> None:
    from cvquiz.demos.verify import plan, seed_range

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    random = registry.DemoSpec("r", "R", "s", ())
    fixed = registry.DemoSpec("f", "F", "s", (), stochastic=False)
    runs = plan([random, fixed], seed_range(4, 3))
    assert [(spec.id, seed) for spec, seed in runs] == [("r", 4), ("r", 5), ("r", 6), ("f", 4)]
    assert demo("engine-fixed", title="t", summary="s", stochastic=False).stochastic is False
    with pytest.raises(CvquizError, match=r"--seeds 1001: expected an integer in 1\.\.1000"):
        seed_range(0, 1001)


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


# --- plots: data, and drawn at 60 and 80 columns without colour -------------------------------


def test_plots_refuse_bad_data_and_serialise_to_json() -> None:
    with pytest.raises(ValueError, match="kind 'pie' is not one of"):
        Plot("p", "pie", {"a": [(1, 1.0)]})
    with pytest.raises(ValueError, match="every series needs at least one point"):
        Plot("p", "line", {"a": []})
    with pytest.raises(ValueError, match="a y value is not finite"):
        Plot("p", "line", {"a": [(1, float("nan"))]})
    with pytest.raises(ValueError, match="a log axis needs every y > 0"):
        Plot("p", "line", {"a": [(1, 0.0)]}, log_y=True)
    with pytest.raises(ValueError, match="a line chart's x values must be numbers"):
        Plot("p", "line", {"a": [("one", 1.0)]})
    plot = Plot("loss", "line", {"plain": [(0, 2), (10, 1.5)]}, x_label="step", y_label="loss")
    assert json.loads(json.dumps(plot.to_dict())) == {
        "title": "loss", "kind": "line", "x_label": "step", "y_label": "loss", "log_y": False,
        "note": None, "series": {"plain": [[0, 2.0], [10, 1.5]]},
    }  # fmt: skip
    bars = Series("MACs by α", (1.0, 0.5), (569.0, 149.0), "α", "MACs (M)").as_plot()
    assert (bars.kind, bars.series) == ("bars", {"MACs (M)": ((1.0, 569.0), (0.5, 149.0))})


def _drawn(plot: Plot, width: int) -> list[str]:
    from io import StringIO

    from rich.console import Console

    from cvquiz.render.charts import render_plot

    out = StringIO()
    console = Console(file=out, width=width, force_terminal=True, no_color=True)
    console.print(render_plot(plot, width=width))
    text = out.getvalue()
    assert "\x1b[3" not in text and "\x1b[9" not in text  # no colour at all, only bold
    return Text.from_ansi(text).plain.splitlines()


CURVES = {
    "plain-8": [(s, 2.3 * math.exp(-s / 80) + 0.3) for s in range(0, 301, 3)],
    "plain-32": [(s, 2.3 * math.exp(-s / 200) + 0.6) for s in range(0, 301, 3)],
    "resnet-32": [(s, 2.3 * math.exp(-s / 60) + 0.2) for s in range(0, 301, 3)],
}


@pytest.mark.parametrize("width", [60, 80])
def test_a_line_chart_fits_and_tells_its_series_apart_without_colour(width: int) -> None:
    lines = _drawn(Plot("Training loss", "line", CURVES, x_label="step", y_label="loss"), width)
    assert max(cell_len(line.rstrip()) for line in lines) <= width
    assert lines[:2] == ["Training loss", "loss"]
    rows = lines[2:12]  # 10 rows: labels at the top, the middle and the bottom
    assert [row.split("┤")[0].strip() for row in rows if "┤" in row] == ["2.9", "1.56", "0.215"]
    assert lines[12].strip() == "└" + "─" * (len(lines[12].strip()) - 1)
    assert lines[13].split() == ["0", "step", "300"]
    assert lines[14].split()[:6] == ["●", "plain-8", "×", "plain-32", "+", "resnet-32"]
    body = "".join(rows)
    assert all(body.count(glyph) >= 20 for glyph in "●×+")  # each curve drawn across the chart
    assert rows[1].index("●") == rows[1].index("│") + 1  # plain-8 starts at the top left
    assert rows[-1].rstrip()[-1] in "+#" and "+" in rows[-1]  # resnet-32 ends lowest


def test_a_log_line_chart_and_a_flat_one() -> None:
    decay = {"loss": [(s, 10 ** (-s / 100)) for s in range(0, 301)]}
    lines = _drawn(Plot("Loss", "line", decay, x_label="step", y_label="loss", log_y=True), 60)
    assert lines[1] == "loss (log scale)"
    labels = [row.split("┤")[0].strip() for row in lines[2:12] if "┤" in row]
    assert labels == ["1", "0.0316", "0.001"]  # 10^0, 10^-1.5, 10^-3: even steps on a log axis
    axis = lines[2].index("┤") + 1
    diagonal = [row.index("●") - axis for row in lines[2:12]]  # a straight line on a log axis
    assert diagonal == sorted(diagonal) and diagonal[0] == 0 and diagonal[-1] > 45
    flat = _drawn(Plot("Flat", "line", {"a": [(0, 1.0), (5, 1.0)]}), 60)
    assert sum("●" in row for row in flat[1:11]) == 1  # one row, not a division by zero


@pytest.mark.parametrize("width", [60, 80])
def test_bars_and_sparklines_fit_without_colour(width: int) -> None:
    grouped = Plot(
        "Steps to a loss of 0.01", "bars",
        {"plain": [("depth 2", 40), ("depth 8", 300)], "residual": [("depth 2", 30), ("depth 8", 35)]},
    )  # fmt: skip
    lines = _drawn(grouped, width)
    assert max(cell_len(line.rstrip()) for line in lines) <= width
    assert [line.split()[-1] for line in lines[1:5]] == ["40", "30", "300", "35"]
    assert lines[3].count("█") == 36 and lines[2].count("▒") == 4  # scaled to the largest bar
    assert lines[5].split() == ["█", "plain", "▒", "residual"]
    lr = Plot(
        "Learning rate", "sparklines",
        {"step decay": [(s, 0.1 if s < 150 else 0.01) for s in range(300)],
         "constant": [(s, 0.1) for s in range(300)]},
        x_label="step", y_label="lr",
    )  # fmt: skip
    lines = _drawn(lr, width)
    assert max(cell_len(line.rstrip()) for line in lines) <= width
    decay, constant = lines[1].split(), lines[2].split()
    assert decay[0:2] == ["step", "decay"] and decay[-3:] == ["0.1", "→", "0.01"]
    spark = decay[2]  # 300 steps in fewer columns: each the mean of its share of steps
    assert spark.strip("█▁") in ("", "▅", "▄") and spark[0] == "█" and spark[-1] == "▁"
    assert abs(spark.index("▁") - len(spark) / 2) <= 1  # the drop halfway
    assert set(constant[1]) == {"▄"} and len(constant[1]) == len(decay[2])
    assert lines[3].strip() == "lr over step"


# --- counting MACs: by formula on an empty batch, FlopCounterMode as the oracle ----------------

FORMULA_PROBE = """
import sys
import torch
from cvquiz.demos import zoo
from cvquiz.demos.zoo import counting
model = zoo.build_meta(zoo.resnet50)
conv = torch.nn.Conv2d(64, 128, 3, padding=1, device="meta")
print(zoo.analytic_macs(model), counting.formula_macs(conv, torch.empty(2, 64, 56, 56, device="meta")),
      "torch._dynamo" in sys.modules)
"""


def test_counting_by_formula_never_imports_dynamo() -> None:
    # A forward pass on meta tensors, or FlopCounterMode, imports torch._dynamo: about 1 s.
    proc = subprocess.run(
        [sys.executable, "-c", FORMULA_PROBE], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["4089184256", str(2 * 128 * 56 * 56 * 64 * 9), "False"]


INTERACTIVE_PROBE = """
import sys
from cvquiz.demos.index import demo_ids
from cvquiz.demos.runner import run_demo
for demo_id in demo_ids():
    result = run_demo(demo_id)
    dynamo = "torch._dynamo" in sys.modules
    print(demo_id, result.passed, len(result.oracle), dynamo, flush=True)
    if dynamo:
        break
"""


@pytest.mark.slow
def test_no_demo_pays_for_torch_dynamo_on_the_interactive_path() -> None:
    """FlopCounterMode, meta forward passes and torch.optim import torch._dynamo (about 1 s):
    `cvquiz demo` runs every demo without them, counting by formula (the oracle is verify's)."""
    proc = subprocess.run(
        [sys.executable, "-c", INTERACTIVE_PROBE], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()]
    imported = [demo_id for demo_id, _passed, _oracle, dynamo in rows if dynamo == "True"]
    assert imported == [], f"the first demo to import torch._dynamo: {imported}"
    assert [r[0] for r in rows] == index.demo_ids()
    assert all(passed == "True" and oracle == "0" for _id, passed, oracle, _d in rows)


class _Attention(torch.nn.Module):
    """Self-attention written with a functional linear and matmuls: it declares its own MACs."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.qkv = torch.nn.Parameter(torch.randn(3 * dim, dim))
        self.out = torch.nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = torch.nn.functional.linear(x, self.qkv).chunk(3, dim=-1)  # (N, T, D) each
        return self.out((q @ k.transpose(-2, -1)).softmax(-1) @ v)

    def own_macs(self, inputs: tuple[tuple[int, ...], ...], output: tuple[int, ...]) -> int:
        n, t, d = inputs[0]
        return n * t * d * 3 * d + 2 * n * t * t * d  # the projection, Q·Kᵀ, attention·V


class _Flattening(torch.nn.Module):
    """x.view(N, -1) refuses an empty batch: counted by the plain forward pass instead."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, stride=2)
        self.fc = torch.nn.Linear(8 * 7 * 7, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x)
        return self.fc(y.view(y.size(0), -1))


def _layer_cases() -> list[tuple[str, torch.nn.Module, tuple[torch.Tensor, ...]]]:
    nn = torch.nn
    x = torch.randn(2, 16, 9, 9)
    tokens = torch.randn(2, 5, 16)
    return [
        ("grouped conv", nn.Conv2d(16, 32, 3, stride=2, groups=4, bias=False), (x,)),
        ("depthwise conv", nn.Conv2d(16, 16, 5, padding=2, groups=16), (x,)),
        ("transposed conv", nn.ConvTranspose2d(16, 8, 2, stride=2), (x,)),
        ("grouped transposed conv", nn.ConvTranspose2d(16, 8, 3, stride=2, groups=2), (x,)),
        ("conv1d", nn.Conv1d(16, 4, 3), (tokens.transpose(1, 2),)),
        ("linear on every pixel", nn.Linear(16, 24), (x.permute(0, 2, 3, 1),)),
        ("attention, batch first", nn.MultiheadAttention(16, 4, batch_first=True), (tokens,) * 3),
        ("attention, (L, N, E)", nn.MultiheadAttention(16, 2), (tokens.transpose(0, 1),) * 3),
        ("own MACs", _Attention(16), (tokens,)),
        ("a forward refusing an empty batch", _Flattening(), (torch.randn(3, 3, 16, 16),)),
    ]


def test_formula_equals_flop_counter_for_every_kind_of_layer() -> None:
    from cvquiz.demos.zoo import counting

    for name, module, inputs in _layer_cases():
        assert counting.formula_macs(module, *inputs) == counting.forward_macs(module, *inputs), (
            name
        )
        meta = [x.to("meta") for x in inputs]
        assert counting.formula_macs(module.to("meta"), *meta) == counting.forward_macs(
            module, *meta
        ), name
    rows = counting.formula_layers(_Flattening(), torch.randn(3, 3, 16, 16))
    assert [(r.name, r.kind, r.output_shape) for r in rows] == [
        ("conv", "conv", (3, 8, 7, 7)), ("fc", "linear", (3, 10)),
    ]  # fmt: skip


def test_the_oracle_counts_again_only_when_asked_and_catches_a_wrong_formula(monkeypatch) -> None:
    from cvquiz.demos.zoo import counting

    conv = torch.nn.Conv2d(8, 8, 3, device="meta")
    x = torch.empty(1, 8, 10, 10, device="meta")
    assert counting.formula_macs(conv, x) == 8 * 8 * 9 * 64
    with counting.oracle() as counts:
        counting.formula_macs(conv, x, label="a conv")
        counting.analytic_macs(counting.build_meta(lambda: torch.nn.Linear(4, 2)), (3, 4))
    assert counts == [
        counting.OracleCount("a conv", 36_864, 36_864),
        counting.OracleCount("Linear(3×4)", 24, 24),
    ]
    assert all(c.agrees for c in counts)

    # A demo that counts with a wrong formula passes its own checks; the oracle fails it.
    spec = registry.DemoSpec("engine-wrong-formula", "Wrong", "s", ())
    spec.measure(lambda s, ctx: counting.formula_macs(_Attention(16), torch.randn(2, 5, 16)))
    spec.present(lambda n, s: Presentation(explanation=(f"{n:,} MACs",)))
    monkeypatch.setitem(registry._REGISTRY, spec.id, spec)
    monkeypatch.setitem(index.DEMO_MODULES, spec.id, __name__)
    assert runner.run_demo(spec.id).passed  # nothing to compare without the oracle
    monkeypatch.setattr(_Attention, "own_macs", lambda self, inputs, output: 0)
    result = runner.run_demo(spec.id, oracle=True)
    assert not result.passed and result.checks_total == 1
    (failed,) = result.failed
    assert failed.claim == "_Attention(2×5×16): MACs by formula == FlopCounterMode ÷ 2"
    assert (failed.measured, failed.expected) == (
        2 * 5 * 16 * 16,
        2 * 5 * 16 * 16 * 4 + 2 * 2 * 25 * 16,
    )


@pytest.mark.parametrize("demo_id", index.demo_ids())
def test_every_demo_counts_macs_as_flop_counter_does(demo_id: str) -> None:
    result = default_run(demo_id)  # the shared run has the oracle on, as verify's
    assert [(c.claim, c.expected, c.measured) for c in result.oracle if not c.passed] == []


def test_a_demo_declared_deterministic_gives_the_same_numbers_at_another_seed() -> None:
    fixed = [spec for spec in registry.all_demos() if not spec.stochastic]
    for spec in fixed:
        first, other = default_run(spec.id).to_dict(), runner.run_demo(spec.id, seed=1).to_dict()
        # The shared run has the oracle on; everything else is the same as a run without it.
        oracle = len(first["oracle"])
        assert other["oracle"] == [] and first["checks_total"] == other["checks_total"] + oracle
        counts = ("oracle", "checks_passed", "checks_total")
        assert {**first, "seed": 1} | {k: other[k] for k in counts} == other, spec.id
