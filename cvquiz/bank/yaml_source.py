"""Reading a bank file safely: a regular file of UTF-8 text, YAML without tags, aliases, merge keys
or deep nesting, errors that name file and line.

A bank is parsed once, by libyaml's C parser, straight into plain data; its node tree (for line
numbers) is composed only if a check fails. Anything a plain bank never holds (an anchor, alias,
tag, merge key, duplicate key, a second document, a syntax error) sends the text to the exact
path instead, which refuses it with the same file:line message as always.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cvquiz.errors import CvquizError
from cvquiz.paths import display_path

if TYPE_CHECKING:
    import yaml

MAX_BANK_BYTES = 64 * 2**20  # 64 MiB: about 100,000 questions; more is a mistake or an attack
# Lists and maps inside each other: a bank nests 6 deep (questions, concepts, synonyms). Deeper
# nesting would only exhaust Python's recursion limit in the checks and their messages.
MAX_DEPTH = 50
_MERGE = "tag:yaml.org,2002:merge"


def _size(n: int) -> str:
    return f"{n // 2**20} MiB" if n >= 2**20 else f"{n // 1024} KiB" if n >= 1024 else f"{n} bytes"


def _too_big(shown: str) -> CvquizError:
    return CvquizError(
        f"{shown}: the bank file is over {_size(MAX_BANK_BYTES)}, the limit for one bank; "
        "split it into several banks"
    )


def _reason(exc: OSError) -> str:
    """What the system said, in words: 'File name too long', 'Too many levels of symbolic links'."""
    return exc.strerror or (os.strerror(exc.errno) if exc.errno else str(exc))


def read_text(path: Path) -> str:
    """The file as text: anything but a regular UTF-8 file of at most MAX_BANK_BYTES is one clear error.

    The file is opened without blocking and checked before a byte is read: a FIFO would wait
    for a writer forever, and a device such as /dev/zero never ends.
    """
    shown = display_path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise CvquizError(f"{shown}: no such bank file") from None
    except IsADirectoryError:
        raise CvquizError(f"{shown}: is a directory, not a bank file") from None
    except OSError as exc:
        raise CvquizError(f"{shown}: cannot read bank file ({_reason(exc)})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise CvquizError(f"{shown}: is a directory, not a bank file")
        if not stat.S_ISREG(info.st_mode):
            raise CvquizError(
                f"{shown}: not a regular file (a device, FIFO or socket); a bank is a YAML file"
            )
        if info.st_size > MAX_BANK_BYTES:
            raise _too_big(shown)
        with open(fd, "rb", closefd=False) as fh:
            raw = fh.read(MAX_BANK_BYTES + 1)  # the file may have grown since fstat
    except OSError as exc:
        raise CvquizError(f"{shown}: cannot read bank file ({_reason(exc)})") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BANK_BYTES:
        raise _too_big(shown)
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


def parse(text: str, shown: str) -> tuple[Any, yaml.Node | Callable[[], yaml.Node]]:
    """The document as plain data, and its node tree for line numbers.

    For a plain bank the tree comes back as a function that composes it (only a failing check
    needs it); otherwise as the tree itself, already checked for duplicate keys by the caller.
    """
    import yaml

    try:
        return plain_data(text), lambda: _compose(text)
    except _BadValue as exc:
        _check_events(text, shown)  # an alias or deep nesting before it is reported first
        raise CvquizError(f"{shown}:{exc.line}: {exc}") from None
    except (_Unusual, yaml.YAMLError):
        return parse_exact(text, shown)


def _compose(text: str) -> yaml.Node:
    import yaml

    return yaml.compose(text, Loader=_loader())


def _loader() -> type:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# --------------------------------------------------------------------------- the fast path


class _Unusual(Exception):
    """Something a plain bank never holds: the exact path decides what it means."""


class _BadValue(ValueError):
    """A plain scalar that resolves to a type but is not one (a date like 2026-02-30), or
    nesting deeper than MAX_DEPTH: the message is the error after "file:line: "."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


_TOO_DEEP = f"lists and maps nested more than {MAX_DEPTH} deep; a bank needs 6 at most"
_NO_DOCUMENT = object()
_STR = "tag:yaml.org,2002:str"


def plain_data(text: str) -> Any:
    """The single YAML document of `text` as yaml.load(SafeLoader) gives it, built from the C
    parser's events; raises _Unusual (or the parser's error) for anything beyond plain data."""
    import yaml
    from yaml.events import (
        DocumentEndEvent,
        DocumentStartEvent,
        MappingEndEvent,
        MappingStartEvent,
        ScalarEvent,
        SequenceEndEvent,
        SequenceStartEvent,
        StreamEndEvent,
        StreamStartEvent,
    )

    loader = _loader()(text)
    try:
        if loader.yaml_path_resolvers:  # someone registered some: let yaml itself decide
            raise _Unusual
        resolve, constructors = loader.resolve, loader.yaml_constructors
        get_event = loader.get_event
        stack: list[tuple[Any, Any]] = []  # the containers above `current`, with their pending key
        current: Any = None  # the list or dict being filled (None at the top)
        key: Any = _NO_DOCUMENT  # a dict's pending key (_NO_DOCUMENT: none)
        document: Any = _NO_DOCUMENT
        documents = 0
        while True:
            event = get_event()
            kind = type(event)
            if kind is ScalarEvent:
                if event.anchor is not None or event.tag is not None:
                    raise _Unusual
                value = event.value
                if event.implicit[0]:  # plain: resolved as the composer does (int, bool, null, ...)
                    tag = resolve(yaml.ScalarNode, value, event.implicit)
                    if tag != _STR:
                        constructor = constructors.get(tag)
                        if constructor is None or tag.endswith((":merge", ":value")):
                            raise _Unusual
                        node = yaml.ScalarNode(
                            tag, value, event.start_mark, event.end_mark, event.style
                        )
                        try:
                            value = constructor(loader, node)
                        except (ValueError, OverflowError) as exc:
                            line = event.start_mark.line + 1
                            raise _BadValue(line, f"YAML error: {_value_error(exc)}") from None
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None:
                    raise _Unusual
                stack.append((current, key))
                if len(stack) > MAX_DEPTH:
                    raise _BadValue(event.start_mark.line + 1, _TOO_DEEP)
                current, key = ({} if kind is MappingStartEvent else []), _NO_DOCUMENT
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value = current
                current, key = stack.pop()
            elif kind is DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Unusual
                continue
            elif kind is DocumentEndEvent or kind is StreamStartEvent:
                continue
            elif kind is StreamEndEvent:
                break
            else:  # an alias
                raise _Unusual
            if current is None:
                document = value
            elif type(current) is list:
                current.append(value)
            elif key is _NO_DOCUMENT:
                if type(value) is dict or type(value) is list or value in current:
                    raise _Unusual  # an unhashable or duplicate key
                key = value
            else:
                current[key] = value
                key = _NO_DOCUMENT
        if document is _NO_DOCUMENT:
            raise _Unusual  # only comments: the exact path calls the file empty
        return document
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- the exact path


def parse_exact(text: str, shown: str) -> tuple[Any, yaml.Node]:
    """Safe-load the document and compose its node tree; every problem is one file:line error."""
    import yaml

    loader = _loader()
    try:
        _check_events(text, shown)
        node = yaml.compose(text, Loader=loader)
        if node is None:  # only comments
            raise CvquizError(f"{shown}: the bank file is empty")
        _refuse_merge_keys(node, shown)
        _refuse_bad_booleans(node, shown)
        data = yaml.load(text, Loader=loader)  # noqa: S506 - CSafeLoader / SafeLoader only
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
    except (ValueError, OverflowError) as exc:  # a date like 2026-02-30 beside an anchor or tag
        raise CvquizError(f"{shown}: YAML error: {_value_error(exc)}") from None
    return data, node


def _refuse_bad_booleans(node, shown: str) -> None:  # node: yaml.Node
    """`!!bool maybe`: PyYAML's constructor fails with a bare KeyError; say where, in words."""
    import yaml

    words = yaml.constructor.SafeConstructor.bool_values
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if id(n) in seen:  # an alias: the same node again (or a recursive one)
            continue
        seen.add(id(n))
        if isinstance(n, yaml.ScalarNode):
            if n.tag == "tag:yaml.org,2002:bool" and n.value.lower() not in words:
                raise CvquizError(
                    f"{shown}:{n.start_mark.line + 1}: {n.value[:40]!r} is not a boolean "
                    "(true or false)"
                )
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            stack.extend(x for pair in n.value for x in pair)


def _value_error(exc: Exception) -> str:
    """A scalar's ValueError in words; Python's int limit message names a function a user cannot call."""
    digits = re.search(r"integer string conversion: value has (\d+) digits", str(exc))
    if digits:
        return f"a number of {int(digits[1]):,} digits; a bank's numbers are far shorter"
    return str(exc)


def _check_events(text: str, shown: str) -> None:
    """Anchors are fine, aliases (*name) are not: they let a small file expand without bound.
    Nor is nesting deeper than MAX_DEPTH (it would exhaust the recursion of the checks)."""
    import yaml

    depth = 0
    for event in yaml.parse(text, Loader=_loader()):
        if isinstance(event, yaml.AliasEvent):
            raise CvquizError(
                f"{shown}:{event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not allowed; "
                "banks are plain data, write the value out"
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise CvquizError(f"{shown}:{event.start_mark.line + 1}: {_TOO_DEEP}")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _refuse_merge_keys(root: yaml.Node, shown: str) -> None:
    """A merge key (<<) copies keys in from elsewhere; a bank writes its keys out."""
    import yaml

    todo = [root]
    while todo:
        node = todo.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.tag == _MERGE:
                    raise CvquizError(
                        f"{shown}:{key.start_mark.line + 1}: YAML merge keys (<<) are not allowed; "
                        "banks are plain data, write the keys out"
                    )
                todo += (key, value)
        elif isinstance(node, yaml.SequenceNode):
            todo += node.value
