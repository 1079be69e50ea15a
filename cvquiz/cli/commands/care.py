"""Commands that look after the progress store: backup, restore, doctor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cvquiz.cli.context import console


def _home() -> Path:
    from cvquiz.home import home_dir

    return home_dir()


def _checked(path: Path, command: str) -> Path:
    from cvquiz.paths import expand_path

    return expand_path(path, option=command)


def backup(
    path: Annotated[
        Path,
        typer.Argument(help="A new file (never replaced), or a folder to put a dated copy in."),
    ],
) -> None:
    """Copy your progress to PATH (safe while a practice session is open)."""
    from cvquiz.clock import utc_now
    from cvquiz.paths import display_path
    from cvquiz.practice.care import backup as make_backup
    from cvquiz.words import plural

    done = make_backup(_home(), _checked(path, "backup"), now=utc_now())
    console().print(
        f"Backed up {plural(done.reviews, 'review')} to {display_path(done.path)}.", soft_wrap=True
    )


def restore(
    path: Annotated[Path, typer.Argument(help="A backup made by cvquiz backup (or a .bak).")],
) -> None:
    """Replace your progress by the backup at PATH, after checking it; the current progress is
    kept as a dated .bak next to it."""
    from cvquiz.clock import utc_now
    from cvquiz.paths import display_path
    from cvquiz.practice.care import restore as restore_backup

    path = _checked(path, "restore")
    from cvquiz.words import plural

    done = restore_backup(_home(), path, now=utc_now())
    con = console()
    con.print(
        f"Restored {plural(done.reviews, 'review')} from {display_path(done.source)}.",
        soft_wrap=True,
    )
    if done.kept is not None:
        con.print(f"The progress it replaced is kept in {display_path(done.kept)}.", soft_wrap=True)


def doctor(
    repair: Annotated[
        bool,
        typer.Option("--repair", help="Rebuild card states from the review log (after a backup)."),
    ] = False,
) -> None:
    """Check your progress: integrity, schema, every logged review, card states against the log.

    Exit status 0: healthy; 1: problems found and not repaired; 2: an error.
    """
    from cvquiz.clock import utc_now
    from cvquiz.paths import display_path
    from cvquiz.practice.care import doctor as checkup
    from cvquiz.words import plural

    result = checkup(_home(), repair=repair, now=utc_now())
    con = console()
    where = display_path(result.path)
    if not result.exists:
        con.print(f"No progress database yet at {where}: nothing to check.", soft_wrap=True)
        return
    for line in result.found:
        con.print(f"problem: {line}", soft_wrap=True, markup=False, highlight=False)
    if result.kept is not None:
        con.print(f"Backed up to {display_path(result.kept)} before repairing.", soft_wrap=True)
        fixed = len(result.found) - len(result.left)
        con.print(f"Repaired {plural(fixed, 'problem')}: card states rebuilt from the review log.")
    if result.healthy:
        if not result.found:
            con.print(f"{where}: healthy.", soft_wrap=True)
        return
    hint = "cvquiz doctor --repair rebuilds card states from the log; "
    repairable = not repair and all(": card " in line for line in result.left)
    con.print(
        f"{plural(len(result.left), 'problem')} left. "
        + (hint if repairable else "")
        + "cvquiz restore PATH brings back a backup.",
        markup=False,
    )
    raise typer.Exit(1)
