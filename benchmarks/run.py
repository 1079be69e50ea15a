"""`make bench`: start-up, bank loading, demos, progress store and export figures on this machine.

Benchmarks report figures; tests assert behaviour. Each figure is the median of several runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def median_seconds(fn: Callable[[], object], *, repeat: int = 7, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> None:
    if env is None:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(args, check=True, capture_output=True, text=True, env=env, input=stdin)


def row(name: str, seconds: float, note: str = "") -> None:
    print(f"{name:<44} {seconds * 1000:>10.1f} ms  {note}")


def bench_startup(env: dict[str, str]) -> None:
    print("## start-up (subprocess, median of 7)")
    row("python -c pass", median_seconds(lambda: run(PY, "-c", "pass")))
    row(
        "import typer, rich.console, yaml",
        median_seconds(lambda: run(PY, "-c", "import typer, rich.console, yaml")),
    )
    for args in (["--version"], ["list"], ["show", "24"], ["check"], ["stats"]):
        row(
            "cvquiz " + " ".join(args),
            median_seconds(lambda a=args: run(PY, "-m", "cvquiz", *a, env=env)),
        )
    row(
        "import torch (reference, demos only)",
        median_seconds(lambda: run(PY, "-c", "import torch"), repeat=3),
    )


def bench_bank() -> None:
    from cvquiz.bank.library import builtin_bank_path
    from cvquiz.links import load_bank

    print("## bank (in-process, median of 7)")
    row("load + check the 40-question bank", median_seconds(lambda: load_bank(builtin_bank_path())))


FIRST_RUN = """
import sys, time
start = time.perf_counter()
from cvquiz.demos.runner import run_demo
from cvquiz.demos.verify import warm_up
warm_up()  # import torch, and torch's FLOP counter's one-off import of torch._dynamo
ready = time.perf_counter()
run_demo(sys.argv[1])
print(ready - start, time.perf_counter() - ready)
"""


def bench_demos(env: dict[str, str]) -> None:
    from cvquiz.demos.index import demo_ids

    print("## demos (first run in a fresh process: torch's start-up, then the demo's own work)")
    total, starts = 0.0, []
    for demo_id in demo_ids():
        proc = subprocess.run(
            [PY, "-c", FIRST_RUN, demo_id], check=True, capture_output=True, text=True, env=env
        )
        start_up, seconds = (float(x) for x in proc.stdout.split())
        starts.append(start_up)
        total += seconds
        row(f"demo {demo_id}", seconds, "" if seconds < 1 else "OVER 1 s")
    row("all demos' own work", total)
    row(
        "torch start-up before a demo (median)",
        statistics.median(starts),
        "import torch + FLOP counter warm-up",
    )


def bench_practice(env: dict[str, str]) -> None:
    print("## practice (subprocess: 10 ratings from a script, each committed)")
    script = "\n".join(["", "3"] * 10) + "\nq\n"
    row(
        "cvquiz practice, 10 cards, piped input",
        median_seconds(
            lambda: run(
                PY,
                "-m",
                "cvquiz",
                "practice",
                "--new",
                "10",
                "--limit",
                "10",
                env=env,
                stdin=script,
            ),
            repeat=3,
        ),
    )


def bench_export(env: dict[str, str], out: Path) -> None:
    print("## export (subprocess, median of 3)")
    for fmt in ("apkg", "tsv", "csv", "md", "json"):
        target = out / f"cards.{fmt}"
        row(
            f"cvquiz export --format {fmt} (40 cards)",
            median_seconds(
                lambda f=fmt, t=target: run(
                    PY, "-m", "cvquiz", "export", "--format", f, "--output", str(t), env=env
                ),
                repeat=3,
            ),
        )


def main() -> None:
    print(f"cvquiz benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "CVQUIZ_HOME": tmp, "COLUMNS": "80"}
        env.pop("CVQUIZ_BANK", None)
        # Users' Pythons cache bytecode; without it every start recompiles cvquiz (about +60 ms).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        bench_startup(env)
        bench_bank()
        bench_practice(env)
        bench_export(env, Path(tmp))
        bench_demos(env)


if __name__ == "__main__":
    main()
