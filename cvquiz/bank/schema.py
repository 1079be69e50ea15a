"""The bank schema: plain data checked key by key, each problem one CvquizError naming file and line."""

from __future__ import annotations

import os
import re
import reprlib
from collections.abc import Callable, Collection, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cvquiz.bank.model import DIFFICULTIES, Bank, Concept, Misconception, Probe, Question
from cvquiz.bank.yaml_source import parse, read_text
from cvquiz.errors import CvquizError
from cvquiz.paths import display_path

if TYPE_CHECKING:  # a bank from the cache never needs yaml: it is imported when a file is parsed
    import yaml

BANK_KEYS = ("id", "title", "chapter", "source", "questions")
QUESTION_KEYS = (
    "number", "id", "topic", "tags", "difficulty", "question", "answer",
    "code", "concepts", "misconceptions", "probes", "related", "demo",
)  # fmt: skip
CONCEPT_KEYS = ("name", "core", "synonyms")
MISCONCEPTION_KEYS = ("name", "phrases", "why")
PROBE_KEYS = ("prompt", "answer", "concepts", "misconceptions")
MAX_CONCEPTS = 6
MAX_MISCONCEPTIONS = 8
MAX_PROBES = 4
MAX_TEXT_CHARS = 10_000  # any one text (a question, an answer, ...): a long essay, not a bank
# Question and chapter numbers: YAML's 0x.., 0o.. and 1:30 forms build ints of any size, which
# Python then refuses to print (over 4,300 digits); no bank numbers its questions past this.
MAX_NUMBER = 999_999_999

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Checker:
    """Validates plain data against the bank schema, reporting file:line for each problem."""

    def __init__(self, shown: str, root: yaml.Node | Callable[[], yaml.Node]) -> None:
        self.shown = shown
        self.lines: dict[tuple[Any, ...], int] = {}
        self.key_lines: dict[tuple[Any, ...], int] = {}
        import yaml

        # Keys are looked up as loaded (2, True), not as written ("2", "yes").
        self._keys = yaml.constructor.SafeConstructor()
        # A plain bank's tree (no duplicate keys: see yaml_source) is composed only to name a line.
        self._compose = root if callable(root) else None
        if not callable(root):
            self._index(root, ())

    def _index(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        import yaml

        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                try:
                    key = (
                        self._keys.construct_object(key_node)
                        if isinstance(key_node, yaml.ScalarNode)
                        else key_node.value
                    )
                except (yaml.YAMLError, ValueError, OverflowError):  # '=' (a value key), say
                    key = key_node.value
                if key in seen:
                    raise CvquizError(
                        f"{self.shown}:{key_node.start_mark.line + 1}: duplicate key '{_name(key)}'"
                    )
                seen.add(key)
                self.key_lines[path + (key,)] = key_node.start_mark.line + 1
                self._index(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, path + (i,))

    def fail(self, path: tuple[Any, ...], message: str, *, at_key: bool = False) -> CvquizError:
        if self._compose is not None:
            root, self._compose = self._compose(), None
            self._index(root, ())
        probe = path
        table = self.key_lines if at_key else self.lines
        while probe and probe not in table:
            probe = probe[:-1]
        line = table.get(probe) or self.lines.get(probe, 1)
        return CvquizError(f"{self.shown}:{line}: {message}")


class _Short(reprlib.Repr):
    """repr for error messages: short, and safe for an int too long to print."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = 60
        self.maxlevel, self.maxlist, self.maxdict = 2, 4, 4

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 64:
            return f"a number of about {int(x.bit_length() * 0.30103) + 1:,} digits"
        return repr(x)


_shown = _Short().repr


def _name(key: Any) -> str:
    """A key as an error message quotes it: text as written (cut short), anything else by _shown."""
    if isinstance(key, str):
        return key if len(key) <= 60 else key[:57] + "..."
    return _shown(key)


def _type_name(value: Any) -> str:
    return {
        dict: "a map",
        list: "a list",
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


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


def _probes(
    check: _Checker, raw: Mapping[str, Any], at: tuple[Any, ...], label: str
) -> tuple[Probe, ...]:
    """The follow-ups an interviewer asks after the answer, each checked as a small question."""
    value = raw.get("probes")
    value = [] if value is None else value
    path = at + ("probes",)
    if not isinstance(value, list):
        raise check.fail(path, f"{label}: probes must be a list (got {_type_name(value)})")
    if len(value) > MAX_PROBES:
        raise check.fail(path, f"{label}: at most {MAX_PROBES} probes (got {len(value)})")
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
