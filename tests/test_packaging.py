"""A non-editable install ships the built-in bank and finds it from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_carries_the_bank_and_runs_from_elsewhere(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("cvquiz-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    in_repo = {p.relative_to(ROOT).as_posix() for p in (ROOT / "cvquiz").rglob("*.py")}
    in_wheel = {p.relative_to(site).as_posix() for p in (site / "cvquiz").rglob("*.py")}
    assert in_repo == in_wheel, "pyproject's package list misses: " + ", ".join(
        sorted(in_repo - in_wheel)
    )
    assert (site / "cvquiz" / "data" / "questions.yaml").read_bytes() == (
        ROOT / "data" / "questions.yaml"
    ).read_bytes()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cvquiz, sys; print(cvquiz.__file__); from cvquiz.cli.app import main; sys.argv=['cvquiz','check']; main()",
        ],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(site), "COLUMNS": "80"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith(str(site))
    assert "40 questions, valid" in proc.stdout
