"""The bank schema: plain data checked key by key, each problem one CvquizError naming file and line."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cvquiz.bank.checker import Checker as _Checker
from cvquiz.bank.checker import key_name as _name
from cvquiz.bank.checker import shown_value as _shown
from cvquiz.bank.checker import type_name as _type_name
from cvquiz.bank.model import (
    DIFFICULTIES,
    Bank,
    Concept,
    Erratum,
    Misconception,
    Probe,
    Question,
)
from cvquiz.bank.yaml_source import parse, read_text
from cvquiz.paths import display_path

if TYPE_CHECKING:  # a bank from the cache never needs yaml: it is imported when a file is parsed
    pass

BANK_KEYS = ("id", "title", "chapter", "source", "questions")
QUESTION_KEYS = (
    "number", "id", "topic", "tags", "difficulty", "question", "answer",
    "code", "concepts", "misconceptions", "probes", "errata", "related", "demo",
)  # fmt: skip
CONCEPT_KEYS = ("name", "core", "synonyms")
MISCONCEPTION_KEYS = ("name", "phrases", "why")
PROBE_KEYS = ("prompt", "answer", "concepts", "misconceptions")
ERRATUM_KEYS = ("correction", "source", "demo", "check")
MAX_ERRATA = 3
MAX_CONCEPTS = 6
MAX_MISCONCEPTIONS = 8
MAX_PROBES = 4
MAX_TEXT_CHARS = 10_000  # any one text (a question, an answer, ...): a long essay, not a bank
# Question and chapter numbers: YAML's 0x.., 0o.. and 1:30 forms build ints of any size, which
# Python then refuses to print (over 4,300 digits); no bank numbers its questions past this.
MAX_NUMBER = 999_999_999

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def load_bank(path: str | os.PathLike[str], *, demo_ids: Collection[str]) -> Bank:
    """Load and check one bank file; any problem raises CvquizError naming the file and line.

    `demo_ids` are the demos a question may name (the bank knows no demo itself: see cvquiz.links).
    A bank loaded before, with the same bytes, comes from the cache (see cvquiz.bank.cache).
    """
    from cvquiz.bank import cache

    return cache.load_bank(path, demo_ids=demo_ids, build=partial(check_bank, demo_ids=demo_ids))


def check_bank(path: str | os.PathLike[str], *, demo_ids: Collection[str]) -> Bank:
    """load_bank without the cache: parse and check the file itself."""
    path = Path(path)
    shown = display_path(path)
    data, root = parse(read_text(path), shown)
    check = _Checker(shown, root)
    if not isinstance(data, dict):
        raise check.fail(
            (), f"a bank must be a map with keys {', '.join(BANK_KEYS)} (got {_type_name(data)})"
        )
    for key in data:
        if key not in BANK_KEYS:
            raise check.fail(
                (key,),
                f"unknown bank key '{_name(key)}' (valid: {', '.join(BANK_KEYS)})",
                at_key=True,
            )
    bank_id = _slug(check, data, ("id",), "bank id", required=True)
    title = _text(check, data, ("title",), "bank title", required=True)
    chapter = data.get("chapter")
    if chapter is not None and (isinstance(chapter, bool) or not isinstance(chapter, int | str)):
        raise check.fail(
            ("chapter",), f"bank chapter must be a number or text (got {_type_name(chapter)})"
        )
    if isinstance(chapter, int) and abs(chapter) > MAX_NUMBER:
        raise check.fail(
            ("chapter",),
            f"bank chapter must be a number up to {MAX_NUMBER:,} or text (got {_shown(chapter)})",
        )
    source = _text(check, data, ("source",), "bank source", required=False)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise check.fail(
            ("questions",),
            "the bank needs a non-empty list 'questions'",
            at_key="questions" in data,
        )

    questions = [_question(check, bank_id, i, raw) for i, raw in enumerate(raw_questions)]
    _check_references(check, questions, demo_ids)
    return Bank(
        id=bank_id,
        title=title,
        path=path,
        questions=tuple(questions),
        chapter=chapter,
        source=source,
    )


def _known_keys(
    check: _Checker, item: Mapping[Any, Any], where: tuple[Any, ...], keys: Sequence[str], what: str
) -> None:
    """Every key of the map is one of `keys`; `what` begins the error ("question 'x': unknown key")."""
    for key in item:
        if key not in keys:
            raise check.fail(
                where + (key,), f"{what} '{_name(key)}' (valid: {', '.join(keys)})", at_key=True
            )


def _label(raw: Mapping[str, Any], index: int) -> str:
    qid = raw.get("id")
    return f"question '{qid}'" if isinstance(qid, str) and qid else f"question #{index + 1}"


def _text(
    check: _Checker, data: Mapping[str, Any], path: tuple[Any, ...], what: str, *, required: bool
) -> Any:
    value = data.get(path[-1])
    if value is None:
        if required:
            raise check.fail(path[:-1], f"{what} is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise check.fail(path, f"{what} must be non-empty text (got {_type_name(value)})")
    if len(value) > MAX_TEXT_CHARS:
        raise check.fail(
            path, f"{what} is {len(value):,} characters long; the limit is {MAX_TEXT_CHARS:,}"
        )
    return value


def _slug(
    check: _Checker, data: Mapping[str, Any], path: tuple[Any, ...], what: str, *, required: bool
) -> Any:
    value = _text(check, data, path, what, required=required)
    if value is not None and not _SLUG.match(value):
        raise check.fail(
            path, f"{what} must be lowercase kebab-case like 'depthwise-conv' (got {_shown(value)})"
        )
    return value


def _slug_list(
    check: _Checker, data: Mapping[str, Any], path: tuple[Any, ...], what: str
) -> tuple[str, ...]:
    value = data.get(path[-1], [])
    if value is None:
        value = []
    if not isinstance(value, list):
        raise check.fail(path, f"{what} must be a list (got {_type_name(value)})")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _SLUG.match(item):
            raise check.fail(
                path + (i,), f"{what} must be lowercase kebab-case (got {_shown(item)})"
            )
    return tuple(value)


def _question(check: _Checker, bank_id: str, index: int, raw: Any) -> Question:
    at = ("questions", index)
    if not isinstance(raw, dict):
        raise check.fail(at, f"question #{index + 1} must be a map (got {_type_name(raw)})")
    label = _label(raw, index)
    _known_keys(check, raw, at, QUESTION_KEYS, f"{label}: unknown key")
    number = raw.get("number")
    if number is None:
        raise check.fail(at, f"{label}: number is missing")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise check.fail(
            at + ("number",),
            f"{label}: number must be a whole number from 1 (got {_shown(number)})",
        )
    if number > MAX_NUMBER:
        raise check.fail(
            at + ("number",),
            f"{label}: number must be at most {MAX_NUMBER:,} (got {_shown(number)})",
        )
    qid = _slug(check, raw, at + ("id",), f"{label}: id", required=True)
    topic = _slug(check, raw, at + ("topic",), f"{label}: topic", required=True)
    difficulty = raw.get("difficulty")
    if difficulty is None:
        raise check.fail(at, f"{label}: difficulty is missing")
    if difficulty not in DIFFICULTIES:
        raise check.fail(
            at + ("difficulty",),
            f"{label}: difficulty must be easy, medium or hard (got {_shown(difficulty)})",
        )
    code = raw.get("code")
    if code is not None and not isinstance(code, str):
        raise check.fail(at + ("code",), f"{label}: code must be text (got {_type_name(code)})")
    demo = raw.get("demo")
    if demo is not None and (not isinstance(demo, str) or not _SLUG.match(demo)):
        raise check.fail(
            at + ("demo",),
            f"{label}: demo must be a demo id like 'depthwise-cost' (got {_shown(demo)})",
        )
    return Question(
        bank_id=bank_id,
        number=number,
        id=qid,
        topic=topic,
        difficulty=difficulty,
        question=_text(check, raw, at + ("question",), f"{label}: question", required=True),
        answer=_text(check, raw, at + ("answer",), f"{label}: answer", required=True),
        tags=_slug_list(check, raw, at + ("tags",), f"{label}: tags"),
        code=code,
        concepts=_concepts(check, raw, at, label),
        misconceptions=_misconceptions(check, raw, at, label),
        probes=_probes(check, raw, at, label),
        errata=_errata(check, raw, at, label),
        related=_slug_list(check, raw, at + ("related",), f"{label}: related"),
        demo=demo,
    )


def _concepts(
    check: _Checker, raw: Mapping[str, Any], at: tuple[Any, ...], label: str
) -> tuple[Concept, ...]:
    value = raw.get("concepts")
    value = [] if value is None else value
    path = at + ("concepts",)
    if not isinstance(value, list):
        raise check.fail(path, f"{label}: concepts must be a list (got {_type_name(value)})")
    if len(value) > MAX_CONCEPTS:
        raise check.fail(path, f"{label}: at most {MAX_CONCEPTS} concepts (got {len(value)})")
    concepts = []
    for i, item in enumerate(value):
        where = path + (i,)
        if not isinstance(item, dict):
            raise check.fail(where, f"{label}: a concept must be a map with name and synonyms")
        _known_keys(check, item, where, CONCEPT_KEYS, f"{label}: unknown concept key")
        name = _text(check, item, where + ("name",), f"{label}: concept name", required=True)
        synonyms = item.get("synonyms") or []
        if not isinstance(synonyms, list) or not all(
            isinstance(s, str) and s.strip() for s in synonyms
        ):
            raise check.fail(
                where + ("synonyms",), f"{label}: concept '{name}': synonyms must be a list of text"
            )
        core = item.get("core", False)
        if not isinstance(core, bool):
            raise check.fail(
                where + ("core",),
                f"{label}: concept '{name}': core must be true or false (got {_shown(core)})",
            )
        concepts.append(Concept(name=name, synonyms=tuple(synonyms), core=core))
    return tuple(concepts)


def _misconceptions(
    check: _Checker, raw: Mapping[str, Any], at: tuple[Any, ...], label: str
) -> tuple[Misconception, ...]:
    """The wrong ideas a typed answer is checked for: each a name, its phrases and why."""
    value = raw.get("misconceptions")
    value = [] if value is None else value
    path = at + ("misconceptions",)
    if not isinstance(value, list):
        raise check.fail(path, f"{label}: misconceptions must be a list (got {_type_name(value)})")
    if len(value) > MAX_MISCONCEPTIONS:
        raise check.fail(
            path, f"{label}: at most {MAX_MISCONCEPTIONS} misconceptions (got {len(value)})"
        )
    found = []
    for i, item in enumerate(value):
        where = path + (i,)
        if not isinstance(item, dict):
            raise check.fail(
                where, f"{label}: a misconception must be a map with name, phrases and why"
            )
        _known_keys(check, item, where, MISCONCEPTION_KEYS, f"{label}: unknown misconception key")
        what = f"{label}: misconception"
        name = _text(check, item, where + ("name",), f"{what} name", required=True)
        why = _text(check, item, where + ("why",), f"{what} '{name}': why", required=True)
        phrases = item.get("phrases")
        if (
            not isinstance(phrases, list)
            or not phrases
            or not all(isinstance(s, str) and s.strip() for s in phrases)
        ):
            raise check.fail(
                where + ("phrases",) if "phrases" in item else where,
                f"{what} '{name}': phrases must be a non-empty list of text",
            )
        found.append(Misconception(name=name, phrases=tuple(phrases), why=why))
    return tuple(found)


def _record_list(
    check: _Checker, raw: Mapping[str, Any], at: tuple[Any, ...], label: str, key: str, most: int
) -> tuple[tuple[Any, ...], list[Any]]:
    """An optional list of records under `key` (none: empty), at most `most` long: its path and items."""
    value = raw.get(key)
    value = [] if value is None else value
    path = at + (key,)
    if not isinstance(value, list):
        raise check.fail(path, f"{label}: {key} must be a list (got {_type_name(value)})")
    if len(value) > most:
        raise check.fail(path, f"{label}: at most {most} {key} (got {len(value)})")
    return path, value


def _probes(
    check: _Checker, raw: Mapping[str, Any], at: tuple[Any, ...], label: str
) -> tuple[Probe, ...]:
    """The follow-ups an interviewer asks after the answer, each checked as a small question."""
    path, value = _record_list(check, raw, at, label, "probes", MAX_PROBES)
    probes = []
    for i, item in enumerate(value):
        where, what = path + (i,), f"{label}: probe #{i + 1}"
        if not isinstance(item, dict):
            raise check.fail(where, f"{what} must be a map with prompt, answer and concepts")
        _known_keys(check, item, where, PROBE_KEYS, f"{what}: unknown key")
        prompt = _text(check, item, where + ("prompt",), f"{what}: prompt", required=True)
        answer = _text(check, item, where + ("answer",), f"{what}: answer", required=True)
        concepts = _concepts(check, item, where, what)
        if not concepts:  # a probe is graded by its concepts alone
            raise check.fail(
                where + ("concepts",) if "concepts" in item else where,
                f"{what}: needs at least one concept",
            )
        probes.append(Probe(prompt, answer, concepts, _misconceptions(check, item, where, what)))
    return tuple(probes)


def _errata(
    check: _Checker, raw: Mapping[str, Any], at: tuple[Any, ...], label: str
) -> tuple[Erratum, ...]:
    """Sourced corrections of the answer, each naming the demo check that proves it."""
    path, value = _record_list(check, raw, at, label, "errata", MAX_ERRATA)
    found = []
    for i, item in enumerate(value):
        where, what = path + (i,), f"{label}: erratum #{i + 1}"
        if not isinstance(item, dict):
            raise check.fail(where, f"{what} must be a map with {', '.join(ERRATUM_KEYS)}")
        _known_keys(check, item, where, ERRATUM_KEYS, f"{what}: unknown key")
        texts = [_text(check, item, where + (k,), f"{what}: {k}", required=True)
                 for k in ERRATUM_KEYS]  # fmt: skip
        if not _SLUG.match(texts[2]):
            raise check.fail(
                where + ("demo",), f"{what}: demo must be a demo id (got {_shown(texts[2])})"
            )
        found.append(Erratum(*texts))
    return tuple(found)


def _check_references(
    check: _Checker, questions: Sequence[Question], demo_ids: Collection[str]
) -> None:
    ids: dict[str, int] = {}
    numbers: dict[int, int] = {}
    for i, q in enumerate(questions):
        at = ("questions", i)
        if q.id in ids:
            raise check.fail(
                at + ("id",), f"question '{q.id}': duplicate id (also question #{ids[q.id] + 1})"
            )
        if q.number in numbers:
            raise check.fail(
                at + ("number",),
                f"question '{q.id}': duplicate number {q.number} (also '{questions[numbers[q.number]].id}')",
            )
        ids[q.id] = i
        numbers[q.number] = i
    for i, q in enumerate(questions):
        at = ("questions", i)
        for j, rel in enumerate(q.related):
            if rel == q.id:
                raise check.fail(
                    at + ("related", j), f"question '{q.id}': related names the question itself"
                )
            if rel not in ids:
                raise check.fail(
                    at + ("related", j),
                    f"question '{q.id}': related question '{rel}' is not in this bank",
                )
        if q.demo is not None:
            if q.demo not in demo_ids:
                from cvquiz.suggest import closest

                hint = closest(q.demo, sorted(demo_ids))
                extra = f"; did you mean {', '.join(hint)}?" if hint else ""
                raise check.fail(
                    at + ("demo",),
                    f"question '{q.id}': unknown demo '{q.demo}' (banks can only name built-in demos{extra})",
                )
        for j, e in enumerate(q.errata):
            if e.demo not in demo_ids:
                raise check.fail(
                    at + ("errata", j, "demo"),
                    f"question '{q.id}': erratum #{j + 1}: unknown demo '{e.demo}' (banks can "
                    "only name built-in demos)",
                )
