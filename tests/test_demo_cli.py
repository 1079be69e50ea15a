"""`cvquiz demo` and `cvquiz verify` as a user sees them in an 80-column terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from demo_runs import default_run

from cvquiz.demos import index, registry
from cvquiz.demos.params import Param
from cvquiz.demos.registry import DemoSpec
from cvquiz.demos.result import DemoResult, Plot, Presentation, check
from cvquiz.demos.runner import DemoContext
from cvquiz.links import load_library

# The mapping reported to the lead for data/questions.yaml (question number -> demo id).
MOBILENET_MAPPING = {
    21: "depthwise-separable-cost", 22: "depthwise-separable-cost", 23: "pointwise-as-linear",
    24: "depthwise-separable-cost", 25: "width-multiplier", 26: "resolution-multiplier",
    27: "inverted-residual", 28: "linear-bottleneck", 29: "relu6", 30: "ssd-feature-maps",
    31: "channel-shuffle", 32: "efficientnet-scaling", 33: "mobilenetv3", 34: "squeeze-excitation-cost",
    35: "quantization", 36: "strided-depthwise", 37: "pointwise-as-linear", 38: "transfer-learning",
    39: "width-multiplier", 40: "deployment",
}  # fmt: skip

FIXTURE_BANK = """\
id: demo-fixture
title: "Demo fixture"
questions:
  - number: 101
    id: fixture-cost
    topic: mobilenet
    difficulty: hard
    question: "Fixture: complexity of a depthwise separable conv?"
    answer: "About 1/N + 1/k² of a standard conv."
    demo: depthwise-separable-cost
    related: [fixture-no-demo]
  - number: 102
    id: fixture-no-demo
    topic: mobilenet
    difficulty: easy
    question: "Fixture: a question without a demo?"
    answer: "Nothing to run."
    related: [fixture-cost]
"""

BUILTIN_HAS_DEMOS = any(q.demo for q in load_library(env={}).questions)


@pytest.fixture
def bank(tmp_path: Path) -> str:
    path = tmp_path / "fixture.yaml"
    path.write_text(FIXTURE_BANK, encoding="utf-8")
    return str(path)


def narrow(output: str) -> None:
    assert max(len(line.rstrip()) for line in output.splitlines()) <= 80


SMALL = ["--set", "in_channels=64", "-s", "out_channels=128", "-s", "kernel=3", "-s", "size=56"]


def test_demo_by_id_teaches_at_80_columns_with_one_line_of_checks(cli) -> None:
    result = cli("demo", "depthwise-separable-cost", *SMALL)
    assert result.exit_code == 0, result.output
    out = result.stdout
    narrow(out)
    assert out.splitlines()[0].startswith("Depthwise separable vs standard convolution ─")
    assert "standard 3×3    128×64×3×3   73,728            231,211,008      231,211,008" in out
    assert "Convention: MACs = multiply-accumulates" in out
    checks = json.loads(cli("demo", "depthwise-separable-cost", *SMALL, "--json").stdout)["checks"]
    n = len(checks)
    assert n >= 8 and out.rstrip().endswith(f"✓ {n}/{n} checks")  # compact: one line
    assert "Checks (" not in out and not any(c["claim"] in out for c in checks)


def test_checks_lists_every_check(cli) -> None:
    result = cli("demo", "depthwise-separable-cost", *SMALL, "--checks")
    assert result.exit_code == 0, result.output
    out = result.stdout
    narrow(out)
    checks = json.loads(cli("demo", "depthwise-separable-cost", *SMALL, "--json").stdout)["checks"]
    n = len(checks)
    assert f"Checks ({n}/{n} passed)" in out
    flat = " ".join(out.split())
    assert all(f"✓ {' '.join(c['claim'].split())}" in flat for c in checks)
    assert "✓ separable / standard MACs = 1/N + 1/k² exactly" in out
    assert "expected 137/1152, measured 137/1152 (exact)" in flat
    assert out.rstrip().endswith(f"✓ {n}/{n} checks")


def test_demo_by_question_in_a_bank(cli, bank: str) -> None:
    result = cli("--bank", bank, "demo", "101")
    assert result.exit_code == 0, result.output
    assert (
        "demo depthwise-separable-cost · question 101 (fixture-cost) · cpu · seed 0"
        in result.stdout
    )
    as_json = json.loads(cli("--bank", bank, "demo", "fixture-cost", "--json").stdout)
    assert as_json["question"] == {
        "key": "demo-fixture/fixture-cost",
        "number": 101,
        "id": "fixture-cost",
    }


def test_demo_json_has_exact_integers(cli) -> None:
    result = cli(
        "demo", "depthwise-separable-cost", "--json", *SMALL, "-s", "in_channels=32", "-s", "size=7"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["params"] == {
        "in_channels": 32,
        "out_channels": 128,
        "kernel": 3,
        "size": 7,
        "stride": 1,
    }
    assert data["checks_passed"] == data["checks_total"] == len(data["checks"]) and data["passed"]
    standard = data["tables"][0]["rows"][0]
    assert standard == ["standard 3×3", "128×32×3×3", 36_864, 1_806_336, 1_806_336]
    assert all(type(v) is int for v in standard[2:])
    assert data["checks"][0] == {
        "claim": "separable / standard MACs = 1/N + 1/k² exactly",
        "expected": "137/1152",
        "measured": "137/1152",
        "tolerance": "exact",
        "source": "MobileNets paper (Howard et al. 2017), sec. 3.1; measured: the built layers "
        "counted by formula (recounted by FlopCounterMode in verify)",
        "passed": True,
    }


def test_demo_params_lists_settings(cli) -> None:
    result = cli("demo", "depthwise-separable-cost", "--params")
    assert result.exit_code == 0, result.output
    narrow(result.stdout)
    first = registry.get_demo("depthwise-separable-cost").params[0]
    assert [first.name, first.min, first.max] == ["in_channels", 1, 4096]
    row = f"in_channels    {first.default:<9} an integer in 1..4096   input channels M"
    assert row in result.stdout
    example = f"example: cvquiz demo depthwise-separable-cost --set in_channels={2 * first.default}"
    assert example in result.stdout
    data = json.loads(cli("demo", "relu6", "--params", "--json").stdout)
    assert data["params"][0] == {
        "name": "outlier", "type": "float", "default": 40.0, "min": 12.0, "max": 10000.0, "choices": None,
        "help": "one large activation (the others lie in ±5.9)", "allowed": "a number in 12.0..10000.0",
    }  # fmt: skip
    assert (
        cli("demo", "mobilenetv3", "--params").stdout.splitlines()[-1]
        == "This demo has no settings."
    )


def test_demo_list(cli, bank: str) -> None:
    result = cli("--bank", bank, "demo", "--list")
    assert result.exit_code == 0, result.output
    narrow(result.stdout)
    assert result.stdout.startswith(f"{len(index.demo_ids())} demos: run one with")
    row = next(
        line for line in result.stdout.splitlines() if line.startswith("depthwise-separable-cost")
    )
    assert "101" in row.split()
    data = json.loads(cli("--bank", bank, "demo", "--list", "--json").stdout)
    assert [d["id"] for d in data] == index.demo_ids()
    entry = next(d for d in data if d["id"] == "depthwise-separable-cost")
    assert {"key": "demo-fixture/fixture-cost", "number": 101, "id": "fixture-cost"} in entry[
        "questions"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["demo", "depthwise-separable-cost", "--set", "in_channels=lots"],
            "--set in_channels=lots: expected an integer in 1..4096 (input channels M)",
        ),
        (
            ["demo", "depthwise-separable-cost", "--set", "channels=3"],
            "--set channels: demo 'depthwise-separable-cost' has no parameter 'channels' "
            "(valid: in_channels, out_channels, kernel, size, stride)",
        ),
        (
            ["demo", "relu6", "--set", "outlier"],
            "--set outlier: expected NAME=VALUE, like --set in_channels=64",
        ),
        (["demo", "relu6", "--device", "tpu"], "--device tpu: expected one of cpu, cuda, auto"),
        (
            [
                "demo",
                "pointwise-as-linear",
                "--set",
                "in_channels=2048",
                "-s",
                "size=256",
                "-s",
                "batch=64",
            ],
            "a 64×2048×256×256 tensor needs 8,589,934,592 elements (32.0 GiB as float32); "
            "the limit is 268,435,456: choose smaller --set values",
        ),
        (
            ["demo"],
            "QUESTION: give a question (24, depthwise-vs-standard-cost or words) or a demo id; "
            "`cvquiz demo --list` lists the demos",
        ),
        (["demo", "41"], "no question number 41 (numbers run 1-40)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"cvquiz: error: {message}\n"
    assert result.stdout == ""


def test_cuda_without_cuda_is_a_clear_error(cli) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = cli("demo", "relu6", "--device", "cuda")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "cvquiz: error: --device cuda: CUDA is not available here (torch "
    )


def test_question_without_demo_names_nearest_demos(cli, bank: str) -> None:
    result = cli("--bank", bank, "demo", "fixture-no-demo")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "cvquiz: error: question 102 (fixture-no-demo) has no demo; nearest demos: depthwise-separable-cost"
    )
    typo = cli("demo", "depthwize-separable")
    assert typo.exit_code == 2
    assert "demos with close ids: depthwise-separable-cost" in typo.stderr
    several = cli("demo", "depthwise")
    assert several.exit_code == 2
    assert several.stderr.startswith(
        "cvquiz: error: 3 questions match 'depthwise': 22 depthwise-conv"
    )


@pytest.mark.skipif(not BUILTIN_HAS_DEMOS, reason="the built-in bank has no demo fields yet")
def test_builtin_questions_resolve_to_their_demos(cli) -> None:
    by_number = {
        q.number: q.demo for q in load_library(env={}).questions if q.bank_id == "cnn-architectures"
    }
    assert {n: by_number[n] for n in MOBILENET_MAPPING} == MOBILENET_MAPPING
    result = cli("demo", "24")
    assert result.exit_code == 0, result.output
    assert (
        "demo depthwise-separable-cost · question 24 (depthwise-vs-standard-cost)" in result.stdout
    )
    assert cli("demo", "24", "--set", "in_channels=64", "--json").exit_code == 0
    assert "in_channels" in cli("demo", "24", "--params").stdout


def _failing(numbers: None, settings: object) -> Presentation:
    return Presentation(
        explanation=("A demo whose claim is wrong.",),
        checks=(check("two is three", expected=3, measured=2, source="nobody"),),
    )


def _passing(numbers: None, settings: object) -> Presentation:
    return Presentation(
        explanation=("A demo whose claims hold.",),
        checks=(
            check("two is two", expected=2, measured=2, source="arithmetic"),
            check("one is one", expected=1, measured=1, source="arithmetic"),
            check("zero is zero", expected=0, measured=0, source="arithmetic"),
        ),
    )


def _crashing(settings: object, ctx: object) -> None:
    raise ZeroDivisionError("division by zero")


def test_failing_checks_exit_1_in_demo_and_verify(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    failing = DemoSpec("always-fails", "Always fails", "fails", (Param("size", int, 1, "s"),))
    failing.measure(lambda settings, ctx: None)
    failing.present(_failing)
    crashing = DemoSpec("crashes", "Crashes", "crashes", ())
    crashing.measure(_crashing)
    crashing.present(_failing)
    real = index.demo_ids()  # the built-in bank still names every real demo
    monkeypatch.setattr(index, "demo_ids", lambda: [*real, "always-fails", "passes", "crashes"])
    passing = DemoSpec("passes", "Passes", "passes", ())
    passing.measure(lambda settings, ctx: None)
    passing.present(_passing)
    monkeypatch.setattr(
        index,
        "DEMO_MODULES",
        {"always-fails": __name__, "passes": __name__, "crashes": __name__},
    )
    monkeypatch.setattr(
        registry, "_REGISTRY", {"always-fails": failing, "passes": passing, "crashes": crashing}
    )
    result = cli("demo", "always-fails")
    assert result.exit_code == 1
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    at = lines.index("✗ 1 of 1 checks failed: two is three")  # compact, yet failures in full
    assert lines[at + 1 :] == [" ✗ two is three", "   expected 3, measured 2 (exact) · nobody"]
    verify = cli("verify")
    assert verify.exit_code == 1
    assert "always-fails: two is three" in verify.stdout
    assert "crashes: the demo runs with its defaults" in verify.stdout
    assert "measured ZeroDivisionError: division by zero" in verify.stdout
    assert "✗ 3 demos, 3/5 checks passed" in verify.stdout


def test_verify_json_runs_every_demo(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def shared_default_run(demo_id: str, *, device: str, seed: int, oracle: bool) -> DemoResult:
        # verify runs defaults with the MAC oracle: the very runs other tests share
        assert (device, seed, oracle) == ("cpu", 0, True)
        return default_run(demo_id)

    monkeypatch.setattr("cvquiz.demos.verify.run_demo", shared_default_run)
    result = cli("verify", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["demo_id"] for r in data["results"]] == index.demo_ids()
    assert data["passed"] is True
    assert (
        data["checks_passed"]
        == data["checks_total"]
        == sum(r["checks_total"] for r in data["results"])
    )
    assert all(
        isinstance(r["seconds"], float) and r["seconds"] >= 0 for r in data["results"]
    )  # timings: make bench
    mobilenet = {
        r["demo_id"]: r for r in data["results"] if r["demo_id"] in set(MOBILENET_MAPPING.values())
    }
    assert len(mobilenet) == 16
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


# --- plots, --plot, and verify at several seeds, on small demos registered for the test ---------


def _seeded(settings: object, ctx: DemoContext) -> int:
    return ctx.seed


def _seed_check(seed: int, settings: object) -> Presentation:
    plain = [(step, 2.0 / (1 + step / 10)) for step in range(0, 60, 3)]
    residual = [(step, loss / (2 + seed)) for step, loss in plain]
    return Presentation(
        explanation=("A demo whose claim fails at seed 3 only.",),
        plots=(
            Plot("training loss", "line", {"plain": plain, "residual": residual}, x_label="step"),
            Plot("final loss", "bars", {"loss": [("plain-20", 0.41), ("resnet-20", 0.12)]}),
        ),
        checks=(check("the seed is not 3", expected=True, measured=seed != 3, source="test"),),
    )


@pytest.fixture
def small_demos(monkeypatch: pytest.MonkeyPatch) -> dict[str, DemoSpec]:
    """Three cheap demos instead of the real ones: seeded (fails at seed 3), fixed (one run), plain."""
    seeded = DemoSpec("seeded", "Seeded", "fails at seed 3", ())
    seeded.measure(_seeded)
    seeded.present(_seed_check)
    fixed = DemoSpec("fixed", "Fixed", "never depends on the seed", (), stochastic=False)
    fixed.measure(lambda settings, ctx: 0)
    fixed.present(_seed_check)
    plain = DemoSpec("plain", "Plain", "no plots", ())
    plain.measure(lambda settings, ctx: None)
    plain.present(_passing)
    specs = {"seeded": seeded, "fixed": fixed, "plain": plain}
    real = index.demo_ids()  # the built-in bank still names every real demo
    monkeypatch.setattr(index, "demo_ids", lambda: [*real, *specs])
    monkeypatch.setattr(index, "DEMO_MODULES", dict.fromkeys(specs, __name__))
    monkeypatch.setattr(registry, "_REGISTRY", specs)
    return specs


@pytest.mark.parametrize("width", [60, 80])
def test_a_demo_draws_its_plots_in_the_terminal(cli, small_demos, monkeypatch, width: int) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("NO_COLOR", "1")
    result = cli("demo", "seeded")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert max(len(line.rstrip()) for line in out.splitlines()) <= width
    assert "\x1b[" not in out
    lines = out.splitlines()
    chart = lines[lines.index("training loss") :]
    assert any(line.lstrip().startswith("2 ┤") for line in chart)  # y axis labelled at the top
    assert chart[12].split() == ["0", "step", "57"]  # the x range under the axis
    assert chart[13].split() == ["●", "plain", "×", "residual"]
    assert {"●", "×"} <= set("".join(chart[1:11]))
    assert "  plain-20  ████████████████████████████████████ 0.41" in out
    assert out.rstrip().endswith("✓ 1/1 checks")
    data = json.loads(cli("demo", "seeded", "--json").stdout)
    assert data["plots"][1] == {
        "title": "final loss", "kind": "bars", "x_label": "", "y_label": "", "log_y": False,
        "note": None, "series": {"loss": [["plain-20", 0.41], ["resnet-20", 0.12]]},
    }  # fmt: skip


def test_plot_without_matplotlib_is_one_line(cli, small_demos, monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` raises ImportError
    target = tmp_path / "curves.png"
    result = cli("demo", "seeded", "--plot", str(target))
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"cvquiz: error: --plot {target}: writing a PNG needs matplotlib: "
        "install the plot extra (pip install 'cvquiz[plot]')\n"
    )
    assert result.stdout == "" and not target.exists()


def test_plot_writes_a_png(cli, small_demos, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "curves.png"
    result = cli("demo", "seeded", "--plot", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    nothing = cli("demo", "plain", "--plot", str(tmp_path / "none.png"))
    assert nothing.exit_code == 2
    assert nothing.stderr.endswith("none.png: demo 'plain' draws no plots\n")
    folder = cli("demo", "seeded", "--plot", str(tmp_path))
    assert folder.stderr.startswith(f"cvquiz: error: --plot {tmp_path}: is a directory")


def test_verify_at_several_seeds_names_the_seed_that_fails(cli, small_demos) -> None:
    one = cli("verify", "--seed", "2")
    assert one.exit_code == 0, one.output
    assert "✓ 3 demos, 5/5 checks passed" in one.stdout
    assert cli("verify", "--seed", "3").exit_code == 1
    result = cli("verify", "--seeds", "5")
    assert result.exit_code == 1
    out = result.stdout
    assert "seeded (seed 3): the seed is not 3" in out
    assert "✗ seed 3: 2 demos, 3/4 checks passed" in out  # plain and seeded: fixed runs once
    assert "✓ seed 0: 3 demos, 5/5 checks passed" in out
    assert "✗ 3 demos in 11 runs at seeds 0..4, 20/21 checks passed; failed at seed 3 in" in out
    data = json.loads(cli("verify", "--seeds", "5", "--seed", "1", "--json").stdout)
    assert data["seeds"] == [1, 2, 3, 4, 5] and data["failed_seeds"] == [3]
    assert [(r["demo_id"], r["seed"]) for r in data["results"]][:6] == [
        ("seeded", 1), ("seeded", 2), ("seeded", 3), ("seeded", 4), ("seeded", 5), ("fixed", 1),
    ]  # fmt: skip
    assert data["by_seed"][2] == {
        "seed": 3, "demos": 2, "checks_passed": 3, "checks_total": 4, "passed": False,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seeds", "0"], "--seeds 0: expected an integer in 1..1000"),
        (["--seed", "-1"], "--seed -1: expected an integer in 0..9223372036854775807"),
    ],
)
def test_bad_seeds_are_one_line(cli, args: list[str], message: str) -> None:
    result = cli("verify", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"cvquiz: error: {message}\n"


ERRATUM_BANK = """\
id: errata-bank
title: Errata
questions:
  - number: 1
    id: seeded-claim
    topic: errata-topic
    difficulty: easy
    question: "Does the seed matter?"
    answer: "Never."
    errata:
      - correction: "It does at seed 3."
        source: "the seeded demo"
        demo: seeded
        check: "the seed is not 3"
      - correction: "A check the demo does not make."
        source: "nobody"
        demo: plain
        check: "a claim no demo makes"
"""


def test_verify_fails_when_an_errata_check_fails_or_is_missing(cli, small_demos, tmp_path) -> None:
    bank = tmp_path / "errata.yaml"
    bank.write_text(ERRATUM_BANK, encoding="utf-8")
    result = cli("--bank", str(bank), "verify", "--seeds", "5")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "✗ Q1 erratum: the check “the seed is not 3” of demo seeded fails (seed 3)" in lines
    assert "✗ Q1 erratum: demo plain has no check “a claim no demo makes”" in lines
    assert "✗ 0/2 errata proven by their checks" in lines
    # At seed 2 the seeded demo's check holds: its erratum is proven; the other still is not.
    data = json.loads(cli("--bank", str(bank), "verify", "--seed", "2", "--json").stdout)
    assert data["errata"] == {
        "checked": 2, "failed": 1, "passed": False,
        "problems": ["Q1 erratum: demo plain has no check “a claim no demo makes”"],
    }  # fmt: skip
    assert data["passed"] is False  # every demo check passed: the erratum alone fails verify
    assert all(r["passed"] for r in data["results"])
