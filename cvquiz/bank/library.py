"""The library: the built-in bank, then the user's banks (CVQUIZ_BANK, --bank), each id once."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from cvquiz.bank.model import Bank, Library
from cvquiz.bank.schema import load_bank
from cvquiz.errors import CvquizError
from cvquiz.paths import display_path, expand_path

BANK_ENV = "CVQUIZ_BANK"


def builtin_bank_path() -> Path:
    """The bank shipped with cvquiz: cvquiz/data in a wheel, data/ at the root of a checkout."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "data" / "questions.yaml"
    return installed if installed.is_file() else package.parent / "data" / "questions.yaml"


def bank_paths_from_env(env: Mapping[str, str]) -> list[Path]:
    """Extra banks named by CVQUIZ_BANK (paths separated by ':')."""
    return [
        expand_path(p, option=BANK_ENV)
        for p in env.get(BANK_ENV, "").split(os.pathsep)
        if p.strip()
    ]


def _identity(path: Path) -> Path:
    """The file a path names, to load each bank once; a symlink loop is left for the loader to report."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return Path(os.path.abspath(path))


def load_library(
    extra: Sequence[str | os.PathLike[str]] = (),
    *,
    demo_ids: Collection[str],
    env: Mapping[str, str] | None = None,
) -> Library:
    """The built-in bank, then CVQUIZ_BANK's banks, then --bank's, each path once.

    A user's bank with the built-in bank's id (an edited export of it) takes the built-in's place,
    so its progress, keyed by bank-id/question-id, carries over.
    """
    env = os.environ if env is None else env
    builtin = load_bank(builtin_bank_path(), demo_ids=demo_ids)
    banks: list[Bank] = [builtin]
    seen_paths = {_identity(builtin.path)}
    replaced = False
    for path in [*bank_paths_from_env(env), *(expand_path(p, option="--bank") for p in extra)]:
        resolved = _identity(path)
        if resolved in seen_paths:
            continue
        seen_paths.add(resolved)
        bank = load_bank(path, demo_ids=demo_ids)
        if bank.id == builtin.id and not replaced:
            banks[0] = bank
            replaced = True
            continue
        for other in banks:
            if other.id == bank.id:
                raise CvquizError(
                    f"{display_path(path)}: bank id '{bank.id}' is already used by {display_path(other.path)}; "
                    "give each bank its own id"
                )
        banks.append(bank)
    return Library(banks=tuple(banks))
