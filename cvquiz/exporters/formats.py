"""Exporting questions as Anki packages, Anki text, CSV, a Markdown study sheet or a JSON bank."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cvquiz.bank.model import Bank, Library, Question
from cvquiz.demos.result import DemoResult
from cvquiz.errors import CvquizError
from cvquiz.exporters.atomic import check_target, write_atomic
from cvquiz.exporters.demo_evidence import RunDemo, collect_demos
from cvquiz.paths import display_path, expand_path
from cvquiz.words import plural

FORMATS = ("apkg", "tsv", "csv", "md", "json")
EXTENSIONS = {
    ".apkg": "apkg",
    ".tsv": "tsv",
    ".csv": "csv",
    ".md": "md",
    ".markdown": "md",
    ".json": "json",
}
DEMO_FORMATS = ("apkg", "tsv", "md")  # the formats with a place for a demo's tables
STDOUT = "-"
EPOCH_ENV = "SOURCE_DATE_EPOCH"
# A zip entry's date runs from 1980 to 2107.
MIN_STAMP, MAX_STAMP = 315_532_800, 4_354_819_199


@dataclass(frozen=True)
class ExportResult:
    """What was exported; `data` is for the caller to print when `path` is None (--output -)."""

    format: str
    path: Path | None
    data: bytes
    questions: tuple[Question, ...]
    banks: tuple[Bank, ...]
    demos: int = 0
    timestamp: int | None = None


def resolve_format(output: str, fmt: str | None) -> str:
    """--format when given, else the output's extension; standard output needs --format."""
    if fmt is not None:
        chosen = fmt.strip().lower().lstrip(".")
        if chosen not in FORMATS:
            raise CvquizError(f"--format {fmt}: unknown format (valid: {', '.join(FORMATS)})")
        if output == STDOUT and chosen == "apkg":
            raise CvquizError(
                "--output -: an .apkg is a binary zip file; write it to a file (--output cards.apkg)"
            )
        return chosen
    if output == STDOUT:
        raise CvquizError(
            f"--output -: give --format ({', '.join(f for f in FORMATS if f != 'apkg')}) for standard output"
        )
    suffix = Path(output).suffix.lower()
    if suffix not in EXTENSIONS:
        known = ", ".join(EXTENSIONS)
        what = (
            f"the extension '{suffix}' names no format"
            if suffix
            else "the file name has no extension"
        )
        raise CvquizError(f"--output {output}: {what}; use one of {known} or give --format")
    return EXTENSIONS[suffix]


def export_timestamp(
    banks: Sequence[Bank], env: Mapping[str, str], *, with_demos: bool = False
) -> int:
    """SOURCE_DATE_EPOCH when set, else the newest bank file's modification time (now, with demos).

    Anki keeps whichever copy of a note was modified last. A bank's mtime moves only when the bank
    is edited, so exporting twice gives the same bytes, a re-export after an edit updates the notes,
    and an edit made in Anki since the last change to the bank is kept. Demo evidence can change
    without the bank changing (and holds live timings), so an export with demos is stamped now.
    """
    raw = env.get(EPOCH_ENV, "").strip()
    if raw:
        if not (raw.isascii() and raw.isdigit()) or not MIN_STAMP <= int(raw) <= MAX_STAMP:
            raise CvquizError(
                f"{EPOCH_ENV}={raw}: expected whole seconds from 1980 to 2107 (like 1700000000)"
            )
        return int(raw)
    if with_demos:
        import time

        return int(time.time())
    stamps = []
    for bank in banks:
        try:
            stamps.append(int(bank.path.stat().st_mtime))
        except OSError as exc:
            raise CvquizError(
                f"{display_path(bank.path)}: cannot read its modification time ({exc.strerror})"
            ) from None
    return max(stamps)


def select_questions(
    library: Library,
    *,
    topics: Iterable[str] = (),
    difficulties: Iterable[str] = (),
    tags: Iterable[str] = (),
) -> list[Question]:
    """The filtered questions; an empty selection is an error, since it would export nothing."""
    from cvquiz.bank.find import find_questions

    topics, difficulties, tags = list(topics), list(difficulties), list(tags)
    chosen = find_questions(library, topics=topics, difficulties=difficulties, tags=tags)
    if not chosen:
        asked = " ".join(
            [*(f"--topic {t}" for t in topics), *(f"--difficulty {d}" for d in difficulties),
             *(f"--tag {t}" for t in tags)]
        )  # fmt: skip
        raise CvquizError(f"no questions match {asked}; nothing written")
    return chosen


def _one_bank(library: Library, questions: Sequence[Question]) -> Bank:
    """The single bank a JSON export can hold, or an error naming the banks and a filter per bank."""
    ids = list(dict.fromkeys(q.bank_id for q in questions))
    if len(ids) == 1:
        return library.bank(ids[0])
    counts = ", ".join(
        f"{b} ({plural(sum(q.bank_id == b for q in questions), 'question')})" for b in ids
    )
    hints = []
    for b in ids:
        own = sorted(
            {q.topic for q in questions if q.bank_id == b}
            - {q.topic for q in questions if q.bank_id != b}
        )
        if own:
            hints.append(f"--topic {own[0]} for {b}")
    hint = (
        f"; narrow it to one, e.g. {' or '.join(hints)}"
        if hints
        else "; narrow it to one bank with --topic or --tag"
    )
    raise CvquizError(
        f"--format json holds one bank, but the selection spans {len(ids)}: {counts}{hint}"
    )


def render(
    fmt: str,
    questions: Sequence[Question],
    library: Library,
    *,
    timestamp: int,
    demos: Mapping[str, DemoResult] | None = None,
) -> bytes:
    """The export's bytes; nothing is written here."""
    banks = [b for b in library.banks if any(q.bank_id == b.id for q in questions)]
    if fmt == "apkg":
        from cvquiz.exporters.apkg import build_apkg

        return build_apkg(questions, banks, timestamp=timestamp, demos=demos)
    if fmt == "tsv":
        from cvquiz.exporters.anki_text import build_tsv

        return build_tsv(questions, banks, demos=demos)
    if fmt == "csv":
        from cvquiz.exporters.spreadsheet import build_csv

        return build_csv(questions)
    if fmt == "md":
        from cvquiz.exporters.study_sheet import build_markdown

        return build_markdown(questions, banks, demos=demos)
    if fmt == "json":
        from cvquiz.exporters.bank_json import build_json

        return build_json(_one_bank(library, questions), questions)
    raise CvquizError(f"--format {fmt}: unknown format (valid: {', '.join(FORMATS)})")


def export_questions(
    library: Library,
    *,
    output: str,
    fmt: str | None = None,
    topics: Iterable[str] = (),
    difficulties: Iterable[str] = (),
    tags: Iterable[str] = (),
    with_demos: bool = False,
    env: Mapping[str, str] | None = None,
    run_demo: RunDemo | None = None,
    on_demo: Callable[[str, int, int], None] | None = None,
) -> ExportResult:
    """Select, render and (unless output is '-') write atomically; every check runs before any write."""
    env = os.environ if env is None else env
    chosen_format = resolve_format(output, fmt)
    path = None if output == STDOUT else expand_path(output, option="--output")
    if path is not None:
        check_target(path)
    if with_demos and chosen_format not in DEMO_FORMATS:
        raise CvquizError(
            f"--with-demos: only {', '.join(DEMO_FORMATS)} have a place for demo tables (not {chosen_format})"
        )
    questions = select_questions(library, topics=topics, difficulties=difficulties, tags=tags)
    if chosen_format == "json":
        _one_bank(library, questions)  # before any demo runs
    banks = tuple(b for b in library.banks if any(q.bank_id == b.id for q in questions))
    timestamp = (
        export_timestamp(banks, env, with_demos=with_demos) if chosen_format == "apkg" else None
    )
    demos = collect_demos(questions, run_demo=run_demo, on_start=on_demo) if with_demos else {}
    data = render(chosen_format, questions, library, timestamp=timestamp or 0, demos=demos)
    if path is not None:
        write_atomic(path, data)
    return ExportResult(
        format=chosen_format,
        path=path,
        data=data,
        questions=tuple(questions),
        banks=banks,
        demos=len(set(q.demo for q in questions if q.key in demos)),
        timestamp=timestamp,
    )


__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "ExportResult",
    "export_questions",
    "export_timestamp",
    "render",
    "resolve_format",
    "select_questions",
]
