"""Shared fixtures for the practice tests: fixed instants, the real bank, a store in a tmp home."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from cvquiz.bank.library import builtin_bank_path
from cvquiz.bank.model import Library
from cvquiz.links import load_bank
from cvquiz.practice.records import NewReview, Recorded
from cvquiz.practice.scheduler import Rating, Scheduler
from cvquiz.practice.store import Store

ROOT = Path(__file__).resolve().parent.parent
PYTHON = (
    str(ROOT / ".venv" / "bin" / "python")
    if (ROOT / ".venv" / "bin" / "python").exists()
    else sys.executable
)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NOW_TEXT = "2026-11-25T12:00:00+00:00"
BANK_ID = "cnn-architectures"


def library() -> Library:
    return Library(banks=(load_bank(builtin_bank_path()),))


def cli_env(home: Path, *, now: str = NOW_TEXT, **extra: str) -> dict[str, str]:
    """Environment for a cvquiz run: its own home, a fixed clock, 80 columns, no user bank."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CVQUIZ_")}
    env.update(
        {
            "CVQUIZ_HOME": str(home),
            "CVQUIZ_NOW": now,
            "COLUMNS": "80",
            "LINES": "30",
            "TERM": "xterm-256color",
            "TZ": "UTC",  # study days roll over at 04:00 local time: pin the zone
        }
    )
    env.update(extra)
    return env


def record(
    store: Store,
    key: str,
    rating: Rating,
    *,
    now: datetime,
    scheduler: Scheduler,
    session_id: str,
    **fields: object,
) -> Recorded:
    """A rating as a session records it: the scheduler decides inside the store's write."""
    review = NewReview(key, rating, at=now, session_id=session_id, retention=scheduler.retention,
                       **fields)  # type: ignore[arg-type]  # fmt: skip
    return store.record_review(review, schedule=scheduler.schedule(key, rating, now=now))
