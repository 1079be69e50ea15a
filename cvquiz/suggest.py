"""Closest-match suggestions for things a user mistyped (RapidFuzz, imported lazily)."""

from __future__ import annotations

from collections.abc import Sequence


def closest(
    word: str, choices: Sequence[str], *, limit: int = 3, cutoff: float = 60.0
) -> list[str]:
    """Up to `limit` choices that look like `word`, best first."""
    from rapidfuzz import fuzz, process, utils

    found = process.extract(
        word,
        list(choices),
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=cutoff,
    )
    return [choice for choice, _score, _index in found]
