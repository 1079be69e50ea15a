"""Reading a bank file safely: UTF-8 text, YAML without tags or aliases, errors that name file and line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from cvquiz.errors import CvquizError
from cvquiz.paths import display_path

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path) -> str:
    """The file as text: a directory, a missing file, non-UTF-8 bytes or an empty file is one clear error."""
    shown = display_path(path)
    if path.is_dir():
        raise CvquizError(f"{shown}: is a directory, not a bank file")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CvquizError(f"{shown}: no such bank file") from None
    except OSError as exc:
        raise CvquizError(f"{shown}: cannot read bank file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CvquizError(
            f"{shown}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the bank as UTF-8"
        ) from None
    if not text.strip():
        raise CvquizError(f"{shown}: the bank file is empty")
    return text.removeprefix("\ufeff")


def parse(text: str, shown: str) -> tuple[Any, yaml.Node]:
    """Safe-load the document and compose its node tree (for line numbers)."""
    try:
        _refuse_aliases(text, shown)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader / SafeLoader only
        node = yaml.compose(text, Loader=_Loader)
        if node is None:  # only comments
            raise CvquizError(f"{shown}: the bank file is empty")
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark else ""
        tag = re.search(r"constructor for the tag '([^']*)'", str(exc.problem))
        if tag is None:  # e.g. an unhashable (complex) mapping key
            raise CvquizError(f"{shown}{line}: YAML error: {exc.problem}") from None
        raise CvquizError(
            f"{shown}{line}: tag '{tag.group(1).replace('tag:yaml.org,2002:', '!!')}' is not allowed; "
            "banks are plain data (strings, numbers, lists, maps)"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark else ""
        raise CvquizError(
            f"{shown}{line}: YAML syntax error: {exc.problem or exc.context}"
        ) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise CvquizError(
            f"{shown}:{line}: character {chr(exc.character)!r} is not allowed in YAML"
            if isinstance(exc.character, int)
            else f"{shown}:{line}: {exc.reason}"
        ) from None
    except yaml.YAMLError as exc:
        raise CvquizError(f"{shown}: YAML error: {' '.join(str(exc).split())}") from None
    return data, node


def _refuse_aliases(text: str, shown: str) -> None:
    """Anchors are fine, aliases (*name) are not: they let a small file expand without bound."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise CvquizError(
                f"{shown}:{event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not allowed; "
                "banks are plain data, write the value out"
            )
