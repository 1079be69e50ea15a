"""The parsed, checked bank kept between commands: one JSON file per bank in the user cache folder.

An entry is used only when everything that decides the result is unchanged: the bank file (its
path, size, mtime and the SHA-256 of its bytes: an mtime alone misses a same-size edit within the
clock's granularity, or a copy that keeps the old mtime), the cvquiz and PyYAML versions, the
source of the modules that load and check banks, and the demo ids a question may name.

A cache file is a header line (that key and the SHA-256 of the body), then the body: the bank as
JSON, each record a list of its fields in order. JSON of plain data, so reading one runs no code.
A missing, damaged, truncated, foreign or outdated file is ignored and rebuilt, never trusted; an
entry is written atomically, and only after it reads back equal to the bank it holds. Errors are
never cached: a bad bank is checked again, and reported the same way, every time.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import stat
import tempfile
import types
import typing
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from cvquiz import __version__
from cvquiz.bank.model import Bank

FORMAT = "cvquiz-bank-cache"
BANKS_DIR = "banks"
# Modules whose code decides what a bank file loads to: a change to any of them is a new key.
SOURCES = ("model.py", "schema.py", "yaml_source.py", "cache.py")
# A cache file is JSON of a bank no bigger than the 64 MiB a bank file may be; a bigger one is foreign.
MAX_CACHE_BYTES = 512 * 2**20

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
    path = Path(path)
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
        with path.open("rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
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
    """A digest of the cvquiz version, PyYAML's install and the bank modules' source."""
    import importlib.util

    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"{FORMAT} {__version__}".encode())
    try:
        spec = importlib.util.find_spec("yaml")
        origin = spec.origin if spec is not None else None
        if origin is None:
            return None
        # Without importing yaml (a cache hit never needs it): a reinstall changes these.
        info = os.stat(origin)
        digest.update(f"{origin} {info.st_size} {info.st_mtime_ns}".encode())
        for name in SOURCES:
            digest.update(name.encode() + b"\0" + (here / name).read_bytes())
    except (OSError, ImportError, ValueError):
        return None
    return digest.hexdigest()


def _entry_path(resolved: str, env: Mapping[str, str] | None) -> Path | None:
    """The cache file for this bank path (one per bank, overwritten when the bank changes)."""
    from cvquiz.errors import CvquizError
    from cvquiz.home import cache_dir

    try:
        folder = cache_dir(env) / BANKS_DIR
    except CvquizError:  # an unusable override: load without a cache rather than fail
        return None
    name = hashlib.sha256(resolved.encode()).hexdigest()[:32]
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
        bank = _decoder(Bank)(json.loads(bytes(body)))
    except Exception:  # whatever a damaged or foreign file raises, it is not used
        return None
    return bank if isinstance(bank, Bank) else None


def _write(entry: Path, key: Mapping[str, Any], bank: Bank) -> None:
    """Write the entry atomically; a bank the body cannot hold exactly, or a failed write, is
    silently not cached (the next load builds it again)."""
    try:
        body = json.dumps(
            _encoder(Bank)(bank), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        ).encode("utf-8")
        if _decoder(Bank)(json.loads(body)) != bank:
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


# --------------------------------------------------------------------------- the records as lists

# Each frozen dataclass of cvquiz.bank.model is written as the list of its fields in order and
# read back from its type hints: tuples of values or of records, optional records, a Path. New
# fields need nothing here; a field of another kind makes the bank uncached (see _Unsupported).

Convert = Callable[[Any], Any]
_PLAIN = (str, int, float, bool, type(None))


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, ...], dict[str, Any]]:
    if not dataclasses.is_dataclass(cls):
        raise _Unsupported(cls.__name__)
    fields = dataclasses.fields(cls)
    if any(not f.init or f.kw_only for f in fields):
        raise _Unsupported(cls.__name__)
    return tuple(f.name for f in fields), typing.get_type_hints(cls)


def _convert(hint: Any, record: Callable[[type], Convert]) -> Convert | None:
    """How to turn one field between JSON and its value; None when JSON holds it as it is."""
    if hint in _PLAIN:
        return None
    if hint is Path:
        return Path if record is _decoder else str
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [_convert(a, record) for a in args if a is not type(None)]
        if all(c is None for c in inner):
            return None
        if len(inner) == 1 and type(None) in args:
            (one,) = inner
            return lambda v: None if v is None else one(v)
        raise _Unsupported(str(hint))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = _convert(args[0], record)
        if item is None:
            return tuple if record is _decoder else None  # json.dumps writes a tuple as a list
        return lambda v: tuple(map(item, v)) if record is _decoder else list(map(item, v))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return record(hint)
    raise _Unsupported(str(hint))


@functools.cache
def _encoder(cls: type) -> Convert:
    """A record as the list of its fields (records inside it as lists too)."""
    names, hints = _fields(cls)
    steps = [(n, _convert(hints[n], _encoder)) for n in names]

    def encode(obj: Any) -> list[Any]:
        if type(obj) is not cls:
            raise _Unsupported(type(obj).__name__)
        return [getattr(obj, n) if c is None else c(getattr(obj, n)) for n, c in steps]

    return encode


@functools.cache
def _decoder(cls: type) -> Convert:
    """The record back from its list of fields; a list of the wrong length raises."""
    names, hints = _fields(cls)
    steps = [(i, c) for i, n in enumerate(names) if (c := _convert(hints[n], _decoder))]
    size = len(names)

    def decode(row: Any) -> Any:
        if type(row) is not list or len(row) != size:
            raise ValueError(f"a {cls.__name__} needs {size} fields")
        for i, convert in steps:
            row[i] = convert(row[i])
        return cls(*row)

    return decode
