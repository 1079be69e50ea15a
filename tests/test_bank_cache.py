"""The bank cache and the one-pass parser: a cached bank is the bank, and nothing doubtful is used."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import cvquiz.bank.cache as cache
import cvquiz.bank.schema as schema
import cvquiz.bank.yaml_source as yaml_source
from cvquiz.bank.library import builtin_bank_path
from cvquiz.errors import CvquizError
from cvquiz.home import CACHE_ENV, cache_dir
from cvquiz.links import load_bank

BANK = """\
id: my-bank
title: My bank
questions:
  - number: 1
    id: first-question
    topic: vit
    tags: [attention]
    difficulty: easy
    question: "What is a ViT?"
    answer: "A transformer on image patches."
    concepts:
      - name: patches
        synonyms: [patch embedding]
    related: [second-question]
    demo: residual-block
  - number: 2
    id: second-question
    topic: vit
    difficulty: hard
    question: "Why <class> tokens & positions?"
    answer: "A class token pools; positions give order."
"""


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of this test's own (the conftest's CVQUIZ_HOME is per test already)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every YAML parse the loader makes (the cache's misses)."""
    seen: list[str] = []
    real = schema.parse

    def counting(text: str, shown: str):
        seen.append(shown)
        return real(text, shown)

    monkeypatch.setattr(schema, "parse", counting)
    return seen


def write(tmp_path: Path, text: str, name: str = "bank.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def entries(folder: Path) -> list[Path]:
    return sorted((folder / cache.BANKS_DIR).iterdir())


# --------------------------------------------------------------------------- hits and misses


def test_a_second_load_reads_the_cache_and_parses_no_yaml(tmp_path, cached, parses) -> None:
    path = write(tmp_path, BANK)
    first = load_bank(path)
    assert len(parses) == 1
    (entry,) = entries(cached)
    assert entry.read_bytes().startswith(b'{"format":"cvquiz-bank-cache"')
    again = load_bank(path)
    assert len(parses) == 1  # no second parse
    assert again == first and again is not first
    assert again.questions[0].concepts[0].synonyms == ("patch embedding",)
    assert again.path == path


def test_the_builtin_bank_comes_back_from_the_cache_exactly(cached, parses) -> None:
    fresh = schema.check_bank(builtin_bank_path(), demo_ids=_demo_ids())
    load_bank(builtin_bank_path())
    again = load_bank(builtin_bank_path())
    assert len(parses) == 2  # check_bank, then the first cached load; the third is a hit
    assert again == fresh
    assert [dataclasses.astuple(q) for q in again.questions] == [
        dataclasses.astuple(q) for q in fresh.questions
    ]


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(tmp_path, cached, parses) -> None:
    path = write(tmp_path, BANK)
    load_bank(path)
    before = path.stat()
    path.write_text(BANK.replace("What is a ViT?", "What is a VIT?"), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    assert load_bank(path).questions[0].question == "What is a VIT?"
    assert len(parses) == 2


def test_other_demo_ids_or_another_version_are_another_key(
    tmp_path, cached, parses, monkeypatch
) -> None:
    path = write(tmp_path, BANK)
    schema.load_bank(path, demo_ids={"residual-block"})
    # A bank that was valid with this demo is not valid without it: the cache must not say so.
    with pytest.raises(CvquizError, match="unknown demo 'residual-block'"):
        schema.load_bank(path, demo_ids={"relu6"})
    schema.load_bank(path, demo_ids={"residual-block"})
    assert len(parses) == 2
    with monkeypatch.context() as patched:
        patched.setattr(cache, "__version__", "99.0")
        cache._code_fingerprint.cache_clear()
        schema.load_bank(path, demo_ids={"residual-block"})
    cache._code_fingerprint.cache_clear()
    assert len(parses) == 3


def test_the_source_of_the_bank_modules_is_part_of_the_key(monkeypatch, tmp_path) -> None:
    before = cache._code_fingerprint()
    assert before is not None
    copy = tmp_path / "bank"
    copy.mkdir()
    for name in cache.SOURCES:
        (copy / name).write_bytes((Path(cache.__file__).parent / name).read_bytes())
    (copy / "schema.py").write_bytes((copy / "schema.py").read_bytes() + b"\n# changed\n")
    with monkeypatch.context() as patched:
        patched.setattr(cache, "__file__", str(copy / "cache.py"))
        cache._code_fingerprint.cache_clear()
        changed = cache._code_fingerprint()
    cache._code_fingerprint.cache_clear()
    assert changed not in (None, before)
    assert cache._code_fingerprint() == before


def test_errors_are_never_cached(tmp_path, cached, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, BANK)
    load_bank(path)
    path.write_text(BANK.replace("difficulty: hard", "difficulty: hardd"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(CvquizError) as info:
            load_bank(path)
        assert str(info.value).startswith(
            "bank.yaml:19: question 'second-question': difficulty must be easy, medium or hard"
        )


# --------------------------------------------------------------------------- never trusted


def _damage(entry: Path, how: str) -> None:
    data = entry.read_bytes()
    if how == "flipped byte":
        i = data.index(b"What is a ViT?")
        entry.write_bytes(data[:i] + b"X" + data[i + 1 :])  # still valid JSON, wrong text
    elif how == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        entry.write_bytes(b"")
    elif how == "garbage":
        entry.write_bytes(os.urandom(200))
    elif how == "foreign json":
        entry.write_text('{"format": "something-else"}\n[]', encoding="utf-8")
    elif how == "another bank's entry":
        header, _, body = data.partition(b"\n")
        fields = json.loads(header)
        fields["key"]["sha256"] = "0" * 64
        entry.write_bytes(json.dumps(fields).encode() + b"\n" + body)
    elif how == "wrong shape":
        header, _, _ = data.partition(b"\n")
        body = b'["my-bank","My bank","x",[[1,2,3]],null,null]'
        fields = json.loads(header)
        fields["body_bytes"] = len(body)
        fields["body_sha256"] = hashlib.sha256(body).hexdigest()
        entry.write_bytes(json.dumps(fields).encode() + b"\n" + body)
    elif how == "a folder":
        entry.unlink()
        entry.mkdir()
    elif how == "a fifo":
        entry.unlink()
        os.mkfifo(entry)
    else:
        raise AssertionError(how)


DAMAGE = (
    "flipped byte", "truncated", "empty", "garbage", "foreign json", "another bank's entry",
    "wrong shape", "a folder", "a fifo",
)  # fmt: skip


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_or_foreign_cache_file_is_ignored_and_rebuilt(
    how: str, tmp_path, cached, parses
) -> None:
    path = write(tmp_path, BANK)
    good = load_bank(path)
    (entry,) = entries(cached)
    _damage(entry, how)
    again = load_bank(path)
    assert again == good
    assert again.questions[0].question == "What is a ViT?"
    assert len(parses) == 2  # rebuilt from the YAML
    if how not in ("a folder", "a fifo"):  # a replacement is written, and then used
        load_bank(path)
        assert len(parses) == 2


def test_writes_are_atomic_and_leave_no_temporary_files(tmp_path, cached) -> None:
    for i in range(3):
        path = write(tmp_path, BANK.replace("My bank", f"My bank {i}"), f"bank{i}.yaml")
        load_bank(path)
        load_bank(path)
    assert [p.suffix for p in entries(cached)] == [".json"] * 3
    assert not [p for p in (cached / cache.BANKS_DIR).iterdir() if p.name.startswith(".")]


def test_an_unwritable_cache_folder_only_costs_speed(tmp_path, monkeypatch, parses) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv(CACHE_ENV, str(blocker))
    path = write(tmp_path, BANK)
    assert load_bank(path) == load_bank(path)
    assert len(parses) == 2


def test_the_cache_folder_is_the_override_else_none_beside_a_home_else_the_platform_one(
    tmp_path, monkeypatch
) -> None:
    assert cache_dir({CACHE_ENV: str(tmp_path / "c"), "CVQUIZ_HOME": "/x"}) == tmp_path / "c"
    assert cache_dir({"CVQUIZ_HOME": str(tmp_path / "h")}) is None  # nothing outside that home
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache_dir({}) == tmp_path / ".cache" / "cvquiz"  # platformdirs on Linux


def test_tests_never_write_to_the_real_cache_folder() -> None:
    folder = cache_dir()  # the conftest's CVQUIZ_HOME (and CVQUIZ_CACHE, when it sets one)
    real = Path("~/.cache/cvquiz").expanduser()
    assert folder is None or not str(folder.resolve()).startswith(str(real))


def test_a_home_without_a_cache_folder_loads_every_time(tmp_path, monkeypatch, parses) -> None:
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("CVQUIZ_HOME", str(tmp_path / "home"))
    path = write(tmp_path, BANK)
    assert load_bank(path) == load_bank(path)
    assert len(parses) == 2
    assert not (tmp_path / "home").exists()


# --------------------------------------------------------------------------- limits


def test_a_bank_file_over_the_size_limit_is_one_clear_error(tmp_path, monkeypatch, cli) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(yaml_source, "MAX_BANK_BYTES", 1024)
    write(tmp_path, BANK + "# padding\n" * 200)
    result = cli("check", "bank.yaml")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "cvquiz: error: bank.yaml: the bank file is over 1 KiB, the limit for one bank; "
        "split it into several banks"
    )


def test_the_real_size_limit_is_64_mib() -> None:
    assert yaml_source.MAX_BANK_BYTES == 64 * 2**20
    assert schema.MAX_TEXT_CHARS == 10_000


def test_a_question_text_over_the_limit_is_one_clear_error(tmp_path, monkeypatch, cli) -> None:
    monkeypatch.chdir(tmp_path)
    long = "x" * (schema.MAX_TEXT_CHARS + 1)
    write(tmp_path, BANK.replace("What is a ViT?", long))
    result = cli("check", "bank.yaml")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "cvquiz: error: bank.yaml:9: question 'first-question': question is 10,001 characters "
        "long; the limit is 10,000"
    )
    write(tmp_path, BANK.replace("What is a ViT?", long[:-1]))
    assert cli("check", "bank.yaml").exit_code == 0


# --------------------------------------------------------------------------- the one-pass parser

UNUSUAL = {
    "anchor": "a: &x 1\nb: 2\n",
    "alias": "a: &x 1\nb: *x\n",
    "tag": "a: !!str 1\n",
    "local tag": "a: !mine 1\n",
    "merge key": "a: 1\n<<: {b: 2}\n",
    "duplicate key": "a: 1\na: 2\n",
    "equal keys": "1: a\ntrue: b\n",
    "complex key": "? [1, 2]\n: x\n",
    "two documents": "--- a\n--- b\n",
    "only comments": "# nothing\n",
    "value key": "a: =\n",
}


@pytest.mark.parametrize("case", sorted(UNUSUAL))
def test_anything_beyond_plain_data_goes_to_the_exact_path(case: str) -> None:
    with pytest.raises(yaml_source._Unusual):
        yaml_source.plain_data(UNUSUAL[case])


def test_a_syntax_error_is_the_parsers_own() -> None:
    with pytest.raises(yaml.MarkedYAMLError):
        yaml_source.plain_data('a: "open\n')


def test_plain_data_is_what_yaml_load_gives_for_the_builtin_bank() -> None:
    text = builtin_bank_path().read_text(encoding="utf-8")
    assert yaml_source.plain_data(text) == yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506


def test_a_bad_date_is_one_line_with_its_line_number(tmp_path, monkeypatch, cli) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, BANK.replace("title: My bank", "title: My bank\nchapter: 2026-02-30"))
    result = cli("check", "bank.yaml")
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().startswith("cvquiz: error: bank.yaml:3: YAML error: ")
    assert "Traceback" not in result.output


_scalar = st.sampled_from(
    ["a", "1", "-2", "0x1f", "1.5", ".inf", "yes", "no", "on", "null", "~", "", "2026-01-02",
     "2026-01-02 10:00:00", '"quoted"', "'single'", '"1"', "x: y", "- z", "&a", "*a", "!t",
     "<<", "=", "{}", "[]", "#c", "é—×", "a b", '"\\u00e9"', "|\n  block", ">\n  folded"]
)  # fmt: skip


@st.composite
def _documents(draw, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["scalar", "map", "list", "flow"] if depth < 3 else ["scalar"]))
    if kind == "scalar":
        return draw(_scalar)
    items = draw(st.lists(_documents(depth + 1), max_size=3))
    pad = "  " * depth
    if kind == "flow":
        return "[" + ", ".join(i.replace("\n", " ") for i in items) + "]"
    if kind == "list":
        return "\n".join(f"{pad}- {i}" for i in items) or "[]"
    keys = draw(st.lists(_scalar, max_size=3))
    return "\n".join(f"{pad}{k}: {v}" for k, v in zip(keys, items, strict=False)) or "{}"


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_documents())
def test_plain_data_equals_yaml_load_or_defers_to_it(text: str) -> None:
    failed = (yaml.YAMLError, ValueError)
    try:
        expected: object = yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506
    except failed as exc:
        expected = failed if not isinstance(exc, yaml.composer.ComposerError) else "composer"
    try:
        got: object = yaml_source.plain_data(text)
    except yaml_source._Unusual:
        return  # the exact path decides, as it always did
    except failed:
        got = failed
    assert got == expected, text


def _demo_ids() -> list[str]:
    from cvquiz.demos.index import demo_ids

    return demo_ids()
