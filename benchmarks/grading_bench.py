"""Typed-answer grading on the labelled set tests/grading/answers.yaml: the confusion matrix.

Rows are the interviewer's labels, columns the grader's suggestion (Good = good, Hard = partial,
Again = wrong). Run alone with `python benchmarks/grading_bench.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_grading() -> None:
    """Print the confusion matrix of the whole set and of its held-out part."""
    sys.path.insert(0, str(ROOT / "tests" / "grading"))
    import labelled

    outcomes = labelled.grade_all(labelled.load(), labelled.builtin_questions())
    print("## typed-answer grading (tests/grading/answers.yaml)")
    print(labelled.format_confusion(outcomes, title="all"))
    held = [o for o in outcomes if o.answer.held_out]
    print(labelled.format_confusion(held, title="held out"))
    wrong_as_good = [o for o in outcomes if o.answer.label == "wrong" and o.got == "good"]
    print(f"wrong answers suggested Good: {len(wrong_as_good)}")


if __name__ == "__main__":
    bench_grading()
