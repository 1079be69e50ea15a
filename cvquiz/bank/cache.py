"""The parsed, checked bank kept between commands: one JSON file per bank in the user cache folder.

An entry is used only when everything that decides the result is unchanged: the bank file (its
path, size, mtime and the SHA-256 of its bytes: an mtime alone misses a same-size edit within the
clock's granularity, or a copy that keeps the old mtime), the cvquiz and PyYAML versions, the
source of the modules that load and check banks, and the demo ids a question may name.

A cache file is a header line (that key and the SHA-256 of the body), then the body: the bank as
JSON, its records by columns (below). JSON of plain data, so reading one runs no code.
A missing, damaged, truncated, foreign or outdated file is ignored and rebuilt, never trusted; an
entry is written atomically, and only after it reads back equal to the bank it holds. Errors are
never cached: a bad bank is checked again, and reported the same way, every time.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import hashlib
import itertools
import json
import os
import stat
import sys
import tempfile
import types
import typing
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cvquiz import __version__
from cvquiz.bank.model import Bank
from cvquiz.bank.yaml_source import MAX_BANK_BYTES

FORMAT = "cvquiz-bank-cache"
BANKS_DIR = "banks"
# Modules whose code decides what a bank file loads to: a change to any of them is a new key.
SOURCES = ("model.py", "schema.py", "yaml_source.py", "cache.py")
# A cache file is JSON of a bank no bigger than the 64 MiB a bank file may be; a bigger one is foreign.
MAX_CACHE_BYTES = 512 * 2**20
FREEZE_FROM = 5_000  # questions; a smaller bank costs the collector next to nothing

Build = Callable[[Path], Bank]


class _Unsupported(Exception):
    """A record field of a type the JSON body cannot hold: that bank is simply not cached."""


# --------------------------------------------------------------------------- loading


def load_bank(
    path: str | os.PathLike[str],
    *,
    demo_ids: Collection[str],
    build: Build,
    env: Mapping[str, str] | None = None,
) -> Bank:
    """`build(path)` (load and check the bank), or its cached result for these exact bytes."""
    with collector_paused():
        bank = _load(Path(path), demo_ids=demo_ids, build=build, env=env)
        if len(bank.questions) >= FREEZE_FROM:
            # A big bank lives as long as the command: frozen, the collector never walks its
            # objects again (one full pass over 100,000 questions costs about a second).
            gc.freeze()
        return bank


@contextmanager
def collector_paused() -> Iterator[None]:
    """For building many records (a bank, a store's cards): they make no reference cycles, and
    the collector's passes over them would cost as much as the building (1 s of 2 s for 100,000
    questions, as for 80,000 cards)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _load(
    path: Path, *, demo_ids: Collection[str], build: Build, env: Mapping[str, str] | None
) -> Bank:
    key = _key(path, demo_ids)
    if key is None:  # not a readable regular file, or no cache folder: the loader says why
        return build(path)
    entry = _entry_path(key["path"], env)
    if entry is not None:
        cached = _read(entry, key)
        if cached is not None:
            return dataclasses.replace(cached, path=path)
    bank = build(path)
    # Written only if the file still holds the bytes the key names (it may change while loading).
    if entry is not None and _key(path, demo_ids) == key:
        _write(entry, key, bank)
    return bank


def _key(path: Path, demo_ids: Collection[str]) -> dict[str, Any] | None:
    """Everything the loaded bank depends on, as plain data; None when there is nothing to key."""
    code = _code_fingerprint()
    if code is None:
        return None
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (the loader then refuses it).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BANK_BYTES:
                return None
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        resolved = str(path.resolve())
    except (OSError, RuntimeError):
        return None
    return {
        "path": resolved,
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
        "sha256": digest,
        "cvquiz": __version__,
        "code": code,
        "demos": hashlib.sha256("\n".join(sorted(demo_ids)).encode()).hexdigest(),
    }


@functools.cache
def _code_fingerprint() -> str | None:
    """A digest of the cvquiz version, PyYAML's and the bank modules' source."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"{FORMAT} {__version__}".encode())
    try:
        # PyYAML's version and build without importing it (a cache hit never needs yaml):
        # its package's files, found as Python would find them, change on any reinstall.
        yaml_dir = next(
            (
                Path(p) / "yaml"
                for p in sys.path
                if (Path(p or ".") / "yaml" / "__init__.py").is_file()
            ),
            None,
        )
        if yaml_dir is None:
            return None
        for item in sorted(p for p in yaml_dir.iterdir() if p.is_file()):  # not __pycache__
            info = item.stat()
            digest.update(f"{item.name} {info.st_size} {info.st_mtime_ns}".encode())
        for name in SOURCES:
            digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def _entry_path(resolved: str, env: Mapping[str, str] | None) -> Path | None:
    """The cache file for this bank path (one per bank, overwritten when the bank changes)."""
    from cvquiz.errors import CvquizError
    from cvquiz.home import cache_dir

    try:
        folder = cache_dir(env)
    except CvquizError:  # an unusable override: load without a cache rather than fail
        return None
    if folder is None:
        return None
    folder = folder / BANKS_DIR
    name = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:32]  # any bytes a name may hold
    return folder / f"{name}.json"


# --------------------------------------------------------------------------- the file


def _read(entry: Path, key: Mapping[str, Any]) -> Bank | None:
    """The bank in the cache file, or None for anything short of an intact entry for this key."""
    try:
        # O_NONBLOCK: a FIFO planted at the path must not hang the command.
        fd = os.open(entry, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CACHE_BYTES:
                return None
            data = fh.read()
        end = data.find(b"\n")
        if end < 0:
            return None
        header = json.loads(data[:end])
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            return None
        if header.get("key") != key:
            return None
        body = memoryview(data)[end + 1 :]
        if header.get("body_bytes") != len(body):
            return None
        if header.get("body_sha256") != hashlib.sha256(body).hexdigest():
            return None
        bank = _decode_bank(json.loads(bytes(body)))
    except Exception:  # whatever a damaged or foreign file raises, it is not used
        return None
    return bank if isinstance(bank, Bank) else None


def _write(entry: Path, key: Mapping[str, Any], bank: Bank) -> None:
    """Write the entry atomically; a bank the body cannot hold exactly, or a failed write, is
    silently not cached (the next load builds it again)."""
    try:
        body = json.dumps(
            _encode_bank(bank), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
        if _decode_bank(json.loads(body)) != bank:
            return
    except (_Unsupported, TypeError, ValueError, RecursionError):
        return
    header = {
        "format": FORMAT,
        "key": dict(key),
        "body_bytes": len(body),
        "body_sha256": hashlib.sha256(body).hexdigest(),
    }
    tmp: str | None = None
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{entry.name}.", suffix=".tmp", dir=entry.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(json.dumps(header, separators=(",", ":")).encode() + b"\n")
            fh.write(body)
        os.replace(tmp, entry)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


# --------------------------------------------------------------------------- the records as columns

# The body holds the records of cvquiz.bank.model by columns: a class's records are [n, column of
# field 1, column of field 2, ...], and a field holding records (a tuple of concepts, say) is
# [how many each record holds, the columns of all of them]. Read back from the type hints, every
# column's JSON types are checked at C speed, and 100,000 questions come back in a fraction of a
# second. New fields need nothing here; a field of another kind makes the bank uncached (see
# _Unsupported), never wrong.

_PLAIN = (str, int, float, bool, type(None))
_NONE = type(None)


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    kind: str  # "plain", "path", "tuple" (of plain values), "records" (a tuple), "record"
    json_types: frozenset[type]  # of the column's values ("plain", "path"), or of tuple items
    record: type | None = None
    optional: bool = False


def _parts(hint: Any) -> tuple[Any, ...]:
    """The members of a union (`X | None`), or the hint alone."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        return typing.get_args(hint)
    return (hint,)


def _is_record(hint: Any) -> bool:
    return isinstance(hint, type) and dataclasses.is_dataclass(hint)


@functools.cache
def _layout(cls: type) -> tuple[_Field, ...]:
    if not _is_record(cls):
        raise _Unsupported(cls.__name__)
    fields = dataclasses.fields(cls)
    if not fields or any(not f.init or f.kw_only for f in fields):
        raise _Unsupported(cls.__name__)
    hints = typing.get_type_hints(cls)
    layout = []
    for f in fields:
        parts = _parts(hints[f.name])
        optional = _NONE in parts
        others = [p for p in parts if p is not _NONE]
        none = {_NONE} if optional else set()
        if others and all(p in _PLAIN for p in others):
            layout.append(_Field(f.name, "plain", frozenset({*others, *none})))
        elif others == [Path]:
            layout.append(_Field(f.name, "path", frozenset({str, *none})))
        elif len(others) == 1 and _is_record(others[0]):
            layout.append(_Field(f.name, "record", frozenset(), others[0], optional))
        elif len(others) == 1 and typing.get_origin(others[0]) is tuple and not optional:
            args = typing.get_args(others[0])
            if len(args) != 2 or args[1] is not Ellipsis:
                raise _Unsupported(f"{cls.__name__}.{f.name}")
            items = _parts(args[0])
            if len(items) == 1 and _is_record(items[0]):
                layout.append(_Field(f.name, "records", frozenset(), items[0]))
            elif all(p in _PLAIN for p in items):
                layout.append(_Field(f.name, "tuple", frozenset(items)))
            else:
                raise _Unsupported(f"{cls.__name__}.{f.name}")
        else:
            raise _Unsupported(f"{cls.__name__}.{f.name}")
    return tuple(layout)


def _encode(cls: type, records: Sequence[Any]) -> list[Any]:
    """The records of one class as [n, column, column, ...]."""
    if any(type(r) is not cls for r in records):
        raise _Unsupported(cls.__name__)
    out: list[Any] = [len(records)]
    for f in _layout(cls):
        values = [getattr(r, f.name) for r in records]
        record = f.record or cls
        if f.kind == "plain" or f.kind == "tuple":  # json.dumps writes a tuple as a list
            out.append(values)
        elif f.kind == "path":
            out.append([None if v is None else str(v) for v in values])
        elif f.kind == "records":
            inner = [x for v in values for x in v]
            out.append([[len(v) for v in values], _encode(record, inner)])
        else:
            inner = [v for v in values if v is not None]
            out.append([[int(v is not None) for v in values], _encode(record, inner)])
    return out


def _column(values: Any, n: int, json_types: frozenset[type]) -> list[Any]:
    if type(values) is not list or len(values) != n or not json_types.issuperset(map(type, values)):
        raise ValueError("a column of the wrong length or type")
    return values


def _decode(cls: type, data: Any) -> list[Any]:
    """The records back from [n, column, ...]; any wrong length or JSON type raises."""
    layout = _layout(cls)
    if type(data) is not list or len(data) != len(layout) + 1 or type(data[0]) is not int:
        raise ValueError(f"not a column table of {cls.__name__}")
    n = data[0]
    columns = []
    for f, raw in zip(layout, data[1:], strict=True):
        if f.kind == "plain":
            columns.append(_column(raw, n, f.json_types))
        elif f.kind == "path":
            columns.append([None if v is None else Path(v) for v in _column(raw, n, f.json_types)])
        elif f.kind == "tuple":
            values = _column(raw, n, frozenset({list}))
            if not f.json_types.issuperset(map(type, itertools.chain.from_iterable(values))):
                raise ValueError("a tuple item of the wrong type")
            columns.append(list(map(tuple, values)))
        else:
            if type(raw) is not list or len(raw) != 2:
                raise ValueError("not a nested column")
            counts = _column(raw[0], n, frozenset({int}))
            inner = iter(_decode(f.record or cls, raw[1]))
            if f.kind == "records":
                column = [tuple(itertools.islice(inner, c)) for c in counts]
                if any(len(t) != c for t, c in zip(column, counts, strict=True)):
                    raise ValueError("fewer nested records than counted")
            else:
                if not frozenset({0, 1} if f.optional else {1}).issuperset(counts):
                    raise ValueError("a record counted other than once")
                column = [next(inner) if c else None for c in counts]
            if next(inner, None) is not None:
                raise ValueError("more nested records than counted")
            columns.append(column)
    names = [f.name for f in layout]
    if hasattr(cls, "__post_init__") or hasattr(cls, "__slots__"):
        return [cls(*row) for row in zip(*columns, strict=True)]
    # Without __init__: the fields set as a frozen dataclass's __init__ sets them, 3x faster.
    new, records = object.__new__, []
    for row in zip(*columns, strict=True):
        record = new(cls)
        record.__dict__.update(zip(names, row, strict=True))
        records.append(record)
    return records


def _encode_bank(bank: Bank) -> list[Any]:
    return _encode(Bank, [bank])


def _decode_bank(data: Any) -> Bank:
    (bank,) = _decode(Bank, data)
    return bank
