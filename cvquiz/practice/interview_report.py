"""The report at the end of a mock interview: scores by topic and difficulty, the concepts missed
most, misconceptions voiced, the slowest answers, demos to run next, and readiness on the
interview day when a plan is set. Plain data (`to_dict` is what `--json` prints and what
`interview --last` shows again)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cvquiz.errors import CvquizError
from cvquiz.practice.interview import SCORES, Answered

LAST_SETTING = "last_interview"


@dataclass(frozen=True)
class Report:
    data: dict[str, Any]

    def dump(self) -> str:
        return json.dumps(self.data)

    @classmethod
    def load(cls, text: str, *, where: str) -> Report:
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or "answers" not in data:
                raise ValueError
        except ValueError:
            raise CvquizError(f"{where}: the saved interview report is damaged") from None
        return cls(data)


def _score(answers: Sequence[Answered]) -> dict[str, Any]:
    return {
        "answers": len(answers),
        "score": round(sum(SCORES[a.rating] for a in answers) / len(answers), 4)
        if answers
        else None,
        "passed": sum(a.rating >= 3 for a in answers),
    }


def build_report(
    answered: Sequence[Answered],
    *,
    started: datetime,
    minutes: float,
    seconds: float,
    seed: int,
    readiness: dict[str, Any] | None = None,
) -> Report:
    by_topic: dict[str, list[Answered]] = defaultdict(list)
    by_level: dict[str, list[Answered]] = defaultdict(list)
    for a in answered:
        by_topic[a.turn.question.topic].append(a)
        by_level[a.turn.question.difficulty].append(a)
    missed = Counter(
        name for a in answered for r in a.graded.results if not r.hit for name in [r.name]
    )
    voiced = Counter(m.name for a in answered for m in a.graded.misconceptions)
    slow = sorted(answered, key=lambda a: a.seconds / a.turn.budget_s, reverse=True)[:3]
    demos: dict[str, int] = {}
    for a in answered:
        q = a.turn.question
        if a.rating < 3 and q.demo is not None and q.demo not in demos:
            demos[q.demo] = q.number
    return Report(
        {
            "started": started.isoformat(),
            "minutes": minutes,
            "seconds": round(seconds, 1),
            "seed": seed,
            "overall": _score(answered),
            "topics": {t: _score(v) for t, v in sorted(by_topic.items())},
            "difficulties": {
                d: _score(by_level[d]) for d in ("easy", "medium", "hard") if d in by_level
            },
            "missed_concepts": [{"name": n, "times": k} for n, k in missed.most_common(5)],
            "misconceptions": [{"name": n, "times": k} for n, k in voiced.most_common()],
            "slowest": [
                {
                    "number": a.turn.question.number,
                    "prompt": a.turn.prompt,
                    "seconds": round(a.seconds, 1),
                    "budget_s": a.turn.budget_s,
                }
                for a in slow
                if a.seconds >= 1  # a scripted answer takes no time worth showing
            ],  # fmt: skip
            "demos": [
                {"demo": d, "number": n, "command": f"cvquiz demo {n}"} for d, n in demos.items()
            ],
            "readiness": readiness,
            "answers": [a.to_dict() for a in answered],
        }
    )
