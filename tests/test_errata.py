"""Errata: a sourced correction of an answer (kept word for word), shown after the answer in
practice, in `show` and in exports, and proven by a named demo check that `verify` requires."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from practice_helpers import NOW_TEXT, cli_env
from typer.testing import CliRunner

import cvquiz.bank.schema as schema
import cvquiz.cli  # noqa: F401  (registers every command)
from cvquiz.bank.model import Erratum
from cvquiz.cli.app import app
from cvquiz.links import load_bank

ERRATUM = """\
    errata:
      - correction: "ResNet v2 is the pre-activation variant."
        source: "He et al. 2016, Identity Mappings in Deep Residual Networks"
        demo: pre-activation
        check: "a pre-activation block can output negative values"
"""
BANK = (
    """\
id: my-bank
title: My bank
questions:
  - number: 1
    id: first-question
    topic: errata-topic
    difficulty: easy
    question: "Which ResNet is post-activation?"
    answer: "Post-activation variants exist (ResNet v2)."
"""
    + ERRATUM
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bank.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_erratum_loads_and_comes_back_from_the_cache(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("CVQUIZ_CACHE", str(tmp_path / "cache"))
    parses: list[str] = []
    real = schema.parse
    monkeypatch.setattr(
        schema, "parse", lambda text, shown: parses.append(shown) or real(text, shown)
    )
    path = write(tmp_path, BANK)
    first, again = load_bank(path), load_bank(path)
    assert len(parses) == 1 and again.questions == first.questions
    (e,) = again.questions[0].errata
    assert isinstance(e, Erratum) and e.demo == "pre-activation"
    assert (
        again.questions[0].answer == "Post-activation variants exist (ResNet v2)."
    )  # word for word
    assert first.questions[0].to_dict()["errata"][0]["check"].startswith("a pre-activation")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (("demo: pre-activation", "demo: no-such-demo"), "bank.yaml:13: question 'first-question': erratum #1: unknown demo 'no-such-demo'"),
        (("        source: \"He et al.", "        sauce: \"He et al."), "bank.yaml:12: question 'first-question': erratum #1: unknown key 'sauce'"),
        (("        check: \"a pre-activation block can output negative values\"\n", ""), "bank.yaml:11: question 'first-question': erratum #1: check is missing"),
        (("    errata:\n", "    errata: yes\n"), "bank.yaml:10: question 'first-question': errata must be a list"),
    ],
)  # fmt: skip
def test_a_bad_erratum_is_one_line(tmp_path: Path, change: tuple[str, str], error: str) -> None:
    path = write(tmp_path, BANK.replace(*change, 1))
    if change[0].startswith("    errata:"):
        path = write(tmp_path, BANK.split("    errata:")[0] + "    errata: yes\n")
    done = CliRunner().invoke(app, ["check", str(path)])
    assert done.exit_code == 2 and done.stderr.startswith(f"cvquiz: error: {tmp_path}/{error}"), (
        done.stderr
    )


def run(home: Path, args: list[str], text: str = ""):
    env: dict[str, str | None] = {**cli_env(home, now=NOW_TEXT), "CVQUIZ_BANK": None}
    return CliRunner().invoke(app, args, input=text, env=env)


def test_show_practice_and_exports_carry_the_erratum(tmp_path: Path) -> None:
    bank = write(tmp_path, BANK)
    home = tmp_path / "home"
    shown = " ".join(
        run(home, ["--bank", str(bank), "show", "my-bank/1"]).output.replace("│", " ").split()
    )
    assert "Erratum: ResNet v2 is the pre-activation variant." in shown
    assert "proven by cvquiz demo 1 (pre-activation)" in shown
    practised = run(
        home, ["--bank", str(bank), "practice", "-t", "errata-topic", "--limit", "1"], "\n4\n"
    )
    assert "Erratum: ResNet v2 is the pre-activation variant." in " ".join(
        practised.output.replace("│", " ").split()
    )
    md = run(
        home, ["--bank", str(bank), "export", "-o", "-", "-f", "md", "-t", "errata-topic"]
    ).output
    assert "**Erratum:** ResNet v2 is the pre-activation variant." in md
    rows = list(
        csv.DictReader(
            io.StringIO(
                run(
                    home,
                    ["--bank", str(bank), "export", "-o", "-", "-f", "csv", "-t", "errata-topic"],
                ).output
            )
        )
    )
    mine = [r for r in rows if r["id"] == "first-question"]
    assert mine and mine[0]["errata"].startswith(
        "ResNet v2 is the pre-activation variant. (He et al."
    )
    data = json.loads(run(home, ["--bank", str(bank), "show", "my-bank/1", "--json"]).output)
    assert data["errata"][0]["demo"] == "pre-activation"


def test_errata_problems_names_a_missing_or_failing_check(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from cvquiz.links import errata_problems

    q = load_bank(write(tmp_path, BANK)).questions[0]
    passing = SimpleNamespace(checks=[SimpleNamespace(claim=q.errata[0].check, passed=True)])
    failing = SimpleNamespace(checks=[SimpleNamespace(claim=q.errata[0].check, passed=False)])
    other = SimpleNamespace(checks=[SimpleNamespace(claim="something else", passed=True)])
    assert errata_problems([q], lambda _: passing) == []
    assert errata_problems([q], lambda _: failing) == [
        f"Q1 erratum: the check \u201c{q.errata[0].check}\u201d of demo pre-activation fails"
    ]
    assert errata_problems([q], lambda _: other) == [
        f"Q1 erratum: demo pre-activation has no check \u201c{q.errata[0].check}\u201d"
    ]


def test_every_built_in_erratum_is_proven_by_its_demo() -> None:
    """Each erratum of the built-in bank names a check its demo has, and that check passes."""
    from demo_runs import default_run

    from cvquiz.bank.library import builtin_bank_path
    from cvquiz.links import errata_problems

    questions = load_bank(builtin_bank_path()).questions
    with_errata = {q.number for q in questions if q.errata}
    assert {10, 25, 35} <= with_errata  # v2 is pre-activation; width not linear; INT8 same MACs
    assert errata_problems(questions, default_run) == []
