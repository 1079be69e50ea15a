"""Each demo's own time: `cvquiz demo ID` in a fresh process, minus `python -c "import torch"`.

    python benchmarks/demo_times.py                  # every demo, 5 rounds
    python benchmarks/demo_times.py 24 he-init -n 7  # some demos (ids or question numbers)

A round runs the torch baseline once and then every demo once, so a change in the machine's load
falls on the baseline and the demos alike; a demo's own time in a round is its wall time minus
that round's baseline. The table gives the median, min and max over the rounds, the median of
the same difference in CPU time (user + system: steadier than wall time on a loaded machine, but
it counts both cores where torch uses two), and marks a demo whose median wall time is over the
goal (0.5 s for a demo: issue 11). A demo that fails (exit status other than 0 or 1) is
reported, not timed. Progress goes to standard error.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PY = sys.executable
GOAL_SECONDS = 0.5


def _timed(argv: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, from wait4) and exit status of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("demos", nargs="*", help="demo ids or question numbers (default: all)")
    parser.add_argument("-n", "--rounds", type=int, default=5, help="fresh processes per demo")
    args = parser.parse_args(argv)

    from cvquiz.demos.index import demo_ids

    demos = args.demos or demo_ids()
    baseline = [PY, "-c", "import torch"]
    own: dict[str, list[tuple[float, float]]] = {d: [] for d in demos}
    failed: dict[str, int] = {}
    torch_times: list[tuple[float, float]] = []
    for round_ in range(1, args.rounds + 1):
        torch_wall, torch_cpu, _rc = _timed(baseline)
        torch_times.append((torch_wall, torch_cpu))
        for demo in demos:
            print(f"round {round_}/{args.rounds}: {demo}", file=sys.stderr, flush=True)
            if demo in failed:
                continue
            wall, cpu, rc = _timed([PY, "-m", "cvquiz", "demo", demo])
            if rc not in (0, 1):  # 1: the demo ran and a check failed; still timed
                failed[demo] = rc
                continue
            own[demo].append((wall - torch_wall, cpu - torch_cpu))

    walls = [w for w, _c in torch_times]
    print(
        f"import torch: median {statistics.median(walls):.2f} s (min {min(walls):.2f}, "
        f"max {max(walls):.2f}; CPU {statistics.median(c for _w, c in torch_times):.2f} s), "
        f"{args.rounds} rounds"
    )
    print(f"{'demo':<28} {'median':>7} {'min':>7} {'max':>7} {'CPU':>7}")
    for demo in demos:
        if demo in failed:
            print(f"{demo:<28} failed (exit {failed[demo]})")
            continue
        walls = [w for w, _c in own[demo]]
        median = statistics.median(walls)
        cpu = statistics.median(c for _w, c in own[demo])
        mark = "  over 0.5 s" if median > GOAL_SECONDS else ""
        print(f"{demo:<28} {median:>7.2f} {min(walls):>7.2f} {max(walls):>7.2f} {cpu:>7.2f}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
