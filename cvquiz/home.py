"""Where cvquiz keeps a user's progress: CVQUIZ_HOME when set, else the platform's user data folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cvquiz.paths import expand_path

HOME_ENV = "CVQUIZ_HOME"
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
