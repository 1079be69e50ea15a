"""Fast start: commands that run no demo never import torch (checked in a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("torch", "numpy", "fsrs", "genanki", "rapidfuzz", "anki")
# What a command may know of the demos without running one: which demo ids exist. No registry,
# demo module, zoo, runner or verifier.
DEMO_DECLARATIONS = {"cvquiz.demos.index"}
# Exports also format demo results (torch-free types), run only with --with-demos.
EXPORT_DECLARATIONS = DEMO_DECLARATIONS | {"cvquiz.demos.result"}

PROBE = """
import json, sys
from cvquiz.cli.app import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = [m for m in {heavy!r} if m in sys.modules]
demos = sorted(m for m in sys.modules if m.startswith("cvquiz.demos."))
sys.stderr.write("\\nPROBE " + json.dumps({{"code": code, "heavy": heavy, "demos": demos}}) + "\\n")
"""


def run_probe(*args: str) -> dict:
    env = {**os.environ, "COLUMNS": "80"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("PROBE "))
    return json.loads(line.removeprefix("PROBE "))


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["list"],
        ["list", "--json", "--topic", "mobilenet"],
        ["show", "24"],
        ["show", "bottleneck"],
        ["check"],
        ["--version"],
        ["stats"],
        ["history"],
        ["list", "--due"],
        ["export", "-o", "-", "--format", "csv"],
        ["doctor"],
        ["backup", "--help"],
        ["restore", "--help"],
        ["suspend", "24", "bottleneck-block"],
        ["unsuspend", "24"],
        ["bury", "24"],
        ["unbury", "24"],
        ["flag", "24", "--color", "green"],
        ["list", "--suspended"],
        ["list", "--flagged", "--json"],
    ],
)
def test_commands_without_demos_import_neither_torch_nor_a_demo(args: list[str]) -> None:
    probe = run_probe(*args)
    assert probe["code"] in (0, None), probe
    assert [m for m in probe["heavy"] if m not in ("rapidfuzz", "fsrs", "genanki")] == [], probe
    allowed = EXPORT_DECLARATIONS if args[0] == "export" else DEMO_DECLARATIONS
    assert set(probe["demos"]) <= allowed, probe


def test_python_dash_m_and_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "cvquiz", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("cvquiz 0.")
