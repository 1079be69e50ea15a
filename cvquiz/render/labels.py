"""Display labels shared by every screen and export (the core holds no display data)."""

from __future__ import annotations

import math
from datetime import timedelta

from cvquiz.practice.scheduler import Rating

DIFFICULTY_ICONS = {"easy": "⚡", "medium": "📊", "hard": "🔥"}  # as the seed marks them
RATING_STYLES = {
    Rating.AGAIN: "red",
    Rating.HARD: "yellow",
    Rating.GOOD: "green",
    Rating.EASY: "cyan",
}


def format_interval(delta: timedelta) -> str:
    """Anki's short form: 1m, 6m, 3h, 8d, 1.5mo, 2.1y."""
    seconds = delta.total_seconds()
    minutes = seconds / 60
    days = seconds / 86400
    if minutes < 1:
        return "<1m"
    if minutes < 59.5:
        return f"{math.floor(minutes + 0.5)}m"
    if days < 1:
        return f"{math.floor(minutes / 60 + 0.5)}h"
    if days < 30:
        return f"{math.floor(days + 0.5)}d"
    if days < 365:
        return f"{days / 30:.1f}mo"
    return f"{days / 365:.1f}y"
