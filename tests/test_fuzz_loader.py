"""Property-based fuzzing of the bank loader: whatever a bank file holds (wrong types, deep nesting,
huge integers, odd tags, anchors, aliases, merge keys, binary), `load_bank` returns a bank or
raises CvquizError naming the file, never anything else; and a bank loads the same from the cache."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cvquiz.bank.model import Bank
from cvquiz.errors import CvquizError
from cvquiz.links import load_bank

FUZZ = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,  # the same examples on every run: the suite stays reproducible
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example],
)

# A valid bank, field by field; the fuzzer replaces some fields with hostile values.
BANK_FIELDS = {
    "id": "my-bank",
    "title": "My bank",
    "chapter": "3",
    "source": "Notes",
}
QUESTION_FIELDS = {
    "number": "1",
    "id": "q-one",
    "topic": "resnet",
    "tags": "[residual, shortcut]",
    "difficulty": "easy",
    "question": "What?",
    "answer": "This.",
    "code": "'x = 1'",
    "concepts": "[{name: skip, core: true, synonyms: [shortcut]}]",
    "misconceptions": "[{name: concat, phrases: [concatenates], why: It adds.}]",
    "related": "[q-two]",
    "demo": "residual-block",
}
SECOND = "  - {number: 2, id: q-two, topic: resnet, difficulty: hard, question: Q?, answer: A.}\n"

HUGE = "1" * 4400
SCALARS = [
    "1", "0", "-1", "2", "1.5", "1e3", ".nan", ".inf", "-.inf", "0x1A", "0o17", "017", "0b101",
    "1:30", "1_000", "+5", "0x" + "F" * 4000, "0" + "7" * 5000, "1" + ":59" * 2000, HUGE,
    "-" + HUGE, "9" * 5000 + ".5", "~", "null", "yes", "no", "on", "off", "true", "y", "n",
    "2026-02-28", "2026-02-30", "2001-12-14t21:59:43.10-05:00", "''", '""', "' '", "'\\n'",
    '"\\x00\\u202e\\x1b[2J"', '"\\ud800"', "resnet", "easy", "hard", "q-one", "my-bank",
    "Bad Id", "kebab-", "<<", "=", "'<<'", "x" * 12_000, "😀", "\u202eevil", "é",
    "!!binary aGVsbG8=", "!!binary '@@@'", "!!python/object:os.system ''",
    "!!python/name:os.system ''", "!!python/object/apply:os.system [echo]", "!!str 5",
    "!!int x", "!!int 0x" + "F" * 3000, "!!float x", "!!bool maybe", "!!null x",
    "!!timestamp x", "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1]", "!foo bar", "!<tag:x> y",
    "!!merge x", "!!value x", "&a 1", "*a", "*nope", "&a [1, 2]",
]  # fmt: skip
KEYS = sorted({*BANK_FIELDS, *QUESTION_FIELDS, "questions", "name", "core", "synonyms",
               "phrases", "why", "<<", "=", "? [a]", "1", "~", "0x" + "F" * 3000, "&k id"})  # fmt: skip


def _nested(depth: int, kind: str) -> str:
    return (
        ("[" * depth + "1" + "]" * depth) if kind == "list" else "{a: " * depth + "1" + "}" * depth
    )


def values() -> st.SearchStrategy[str]:
    """A YAML value in flow style, on one line."""
    leaf = st.one_of(
        st.sampled_from(SCALARS),
        st.builds(_nested, st.integers(1, 1100), st.sampled_from(["list", "map"])),
        st.text(st.characters(codec="utf-8", exclude_characters="\n\r"), max_size=12).map(
            lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
        ),
    )
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=4).map(
                lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
            ),
            inner.map(lambda v: f"&a {v}"),
            inner.map(lambda v: f"{{<<: {v}, id: x}}"),
        ),
        max_leaves=8,
    )


@st.composite
def bank_texts(draw: st.DrawFn) -> str:
    """A bank with some fields replaced, dropped or added, and sometimes a document around it."""
    value = values()

    # Most fields stay valid, so that the checks past the first field run too.
    altered = draw(st.sets(st.sampled_from([*BANK_FIELDS, *QUESTION_FIELDS]), max_size=3))

    def fields(template: dict[str, str], indent: str, first: str) -> str:
        lines = []
        for key, text in template.items():
            action = draw(st.sampled_from(["replace", "drop"])) if key in altered else "keep"
            if action == "drop":
                continue
            lines.append(f"{key}: {draw(value) if action == 'replace' else text}")
        for _ in range(draw(st.sampled_from([0, 0, 0, 1]))):
            lines.append(f"{draw(st.sampled_from(KEYS))}: {draw(value)}")
        return "".join((first if i == 0 else indent) + line + "\n" for i, line in enumerate(lines))

    text = fields(BANK_FIELDS, "", "")
    questions = draw(st.sampled_from(["list"] * 4 + ["replace", "drop"]))
    if questions == "list":
        text += "questions:\n" + fields(QUESTION_FIELDS, "    ", "  - ") + SECOND
    elif questions == "replace":
        text += f"questions: {draw(value)}\n"
    prefix = draw(
        st.sampled_from(["", "", "", "%YAML 1.1\n---\n", "--- &root\n", "\ufeff", "# c\n"])
    )
    suffix = draw(st.sampled_from(["", "", "", "...\n", "---\nid: x\n", "--- *a\n", "\x00", "\t"]))
    return prefix + text + suffix


@st.composite
def damaged(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> bytes:
    """A bank's bytes with a few bytes inserted, overwritten or cut (invalid UTF-8 among them)."""
    data = bytearray(draw(texts).encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["insert", "overwrite", "cut"]))
        chunk = draw(st.binary(min_size=1, max_size=4))
        if edit == "insert":
            data[at:at] = chunk
        elif edit == "overwrite":
            data[at : at + len(chunk)] = chunk
        else:
            del data[at : at + len(chunk)]
    return bytes(data)


def _outcome(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        try:
            first = load_bank(path)
        except CvquizError as exc:
            assert "fuzz.yaml" in exc.message, exc.message
            event("refused")
            return
        event("loaded")
        assert isinstance(first, Bank)
        assert load_bank(path) == first  # the second load may come from the cache


@FUZZ
@given(bank_texts())
def test_any_bank_text_loads_or_is_one_clear_error(text: str) -> None:
    _outcome(text.encode("utf-8", "surrogatepass"))


@settings(FUZZ, max_examples=120)
@given(damaged(bank_texts()))
def test_damaged_bytes_load_or_are_one_clear_error(data: bytes) -> None:
    _outcome(data)
