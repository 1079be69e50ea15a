"""Where cvquiz keeps a user's files: progress in CVQUIZ_HOME when set, else the platform's user data
folder; the bank cache in CVQUIZ_CACHE when set, else (without CVQUIZ_HOME) the user cache folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cvquiz.paths import expand_path

HOME_ENV = "CVQUIZ_HOME"
CACHE_ENV = "CVQUIZ_CACHE"
DB_NAME = "progress.db"


def home_dir(env: Mapping[str, str] | None = None) -> Path:
    """The data directory (not created here)."""
    env = os.environ if env is None else env
    override = env.get(HOME_ENV, "").strip()
    if override:
        return expand_path(override, option=HOME_ENV)
    import platformdirs

    return Path(platformdirs.user_data_dir("cvquiz", appauthor=False))


def db_path(home: Path) -> Path:
    return home / DB_NAME


def cache_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """The cache folder (not created here), or None for no cache: what it holds can be rebuilt.

    CVQUIZ_CACHE names it. A run given its own CVQUIZ_HOME (a test, a second profile) and no
    CVQUIZ_CACHE keeps no cache, so it writes nothing outside that home.
    """
    env = os.environ if env is None else env
    override = env.get(CACHE_ENV, "").strip()
    if override:
        return expand_path(override, option=CACHE_ENV)
    if env.get(HOME_ENV, "").strip():
        return None
    import platformdirs

    return Path(platformdirs.user_cache_dir("cvquiz", appauthor=False))
