"""Question banks: safe YAML loading, a schema check with file:line errors, and the library of banks."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cvquiz.errors import CvquizError

DIFFICULTIES = ("easy", "medium", "hard")
DIFFICULTY_ICONS = {"easy": "⚡", "medium": "📊", "hard": "🔥"}
BANK_KEYS = ("id", "title", "chapter", "source", "questions")
QUESTION_KEYS = (
    "number", "id", "topic", "tags", "difficulty", "question", "answer",
    "code", "concepts", "related", "demo",
)  # fmt: skip
CONCEPT_KEYS = ("name", "synonyms")
MAX_CONCEPTS = 6
BANK_ENV = "CVQUIZ_BANK"

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def builtin_bank_path() -> Path:
    """The bank shipped with cvquiz: cvquiz/data in a wheel, data/ at the root of a checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "data" / "questions.yaml"
    return installed if installed.is_file() else package.parent / "data" / "questions.yaml"


@dataclass(frozen=True)
class Concept:
    """A key idea a typed answer must contain, with the other ways of saying it."""

    name: str
    synonyms: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "synonyms": list(self.synonyms)}


@dataclass(frozen=True)
class Question:
    """One question of a bank; `key` (bank-id/question-id) is what progress is stored under."""

    bank_id: str
    number: int
    id: str
    topic: str
    difficulty: str
    question: str
    answer: str
    tags: tuple[str, ...] = ()
    code: str | None = None
    concepts: tuple[Concept, ...] = ()
    related: tuple[str, ...] = ()
    demo: str | None = None

    @property
    def key(self) -> str:
        return f"{self.bank_id}/{self.id}"

    @property
    def icon(self) -> str:
        return DIFFICULTY_ICONS[self.difficulty]

    def to_dict(self) -> dict[str, Any]:
        """The question as the bank format writes it (optional fields only when set)."""
        data: dict[str, Any] = {
            "number": self.number,
            "id": self.id,
            "topic": self.topic,
            "tags": list(self.tags),
            "difficulty": self.difficulty,
            "question": self.question,
            "answer": self.answer,
        }
        if self.code is not None:
            data["code"] = self.code
        data["concepts"] = [c.to_dict() for c in self.concepts]
        data["related"] = list(self.related)
        if self.demo is not None:
            data["demo"] = self.demo
        return data


@dataclass(frozen=True)
class Bank:
    """A bank file: its metadata and its questions in file order."""

    id: str
    title: str
    path: Path
    questions: tuple[Question, ...]
    chapter: int | str | None = None
    source: str | None = None

    def to_dict(self, questions: Iterable[Question] | None = None) -> dict[str, Any]:
        """The bank in its file format, optionally restricted to some of its questions."""
        data: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.chapter is not None:
            data["chapter"] = self.chapter
        if self.source is not None:
            data["source"] = self.source
        chosen = self.questions if questions is None else tuple(questions)
        data["questions"] = [q.to_dict() for q in chosen]
        return data


@dataclass(frozen=True)
class Library:
    """Every loaded bank, the built-in one first."""

    banks: tuple[Bank, ...]
    questions: tuple[Question, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", tuple(q for b in self.banks for q in b.questions))

    def bank(self, bank_id: str) -> Bank:
        for b in self.banks:
            if b.id == bank_id:
                return b
        raise KeyError(bank_id)

    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}


# --------------------------------------------------------------------------- loading


def expand_path(text: str | os.PathLike[str], *, option: str) -> Path:
    """A user's path with ~ expanded; an unknown ~user is one clear error, not a RuntimeError."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise CvquizError(f"{option} {text}: cannot expand '~' (no such user or home directory)") from None


def display_path(path: Path) -> str:
    """The path as a user would type it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read_text(path: Path) -> str:
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


def _parse(text: str, shown: str) -> tuple[Any, yaml.Node]:
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
        raise CvquizError(f"{shown}{line}: YAML syntax error: {exc.problem or exc.context}") from None
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


class _Checker:
    """Validates plain data against the bank schema, reporting file:line for each problem."""

    def __init__(self, shown: str, root: yaml.Node) -> None:
        self.shown = shown
        self.lines: dict[tuple[Any, ...], int] = {}
        self.key_lines: dict[tuple[Any, ...], int] = {}
        # Keys are looked up as loaded (2, True), not as written ("2", "yes").
        self._keys = yaml.constructor.SafeConstructor()
        self._index(root, ())

    def _index(self, node: yaml.Node, path: tuple[Any, ...]) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                key = self._keys.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else key_node.value
                if key in seen:
                    raise CvquizError(
                        f"{self.shown}:{key_node.start_mark.line + 1}: duplicate key '{key}'"
                    )
                seen.add(key)
                self.key_lines[path + (key,)] = key_node.start_mark.line + 1
                self._index(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self._index(item, path + (i,))

    def fail(self, path: tuple[Any, ...], message: str, *, at_key: bool = False) -> CvquizError:
        probe = path
        table = self.key_lines if at_key else self.lines
        while probe and probe not in table:
            probe = probe[:-1]
        line = table.get(probe) or self.lines.get(probe, 1)
        return CvquizError(f"{self.shown}:{line}: {message}")


def _type_name(value: Any) -> str:
    return {dict: "a map", list: "a list", str: "text", int: "a number", float: "a number", bool: "true/false", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


def load_bank(path: str | os.PathLike[str], *, demo_ids: Iterable[str] | None = None) -> Bank:
    """Load and check one bank file; any problem raises CvquizError naming the file and line."""
    path = Path(path)
    shown = display_path(path)
    data, root = _parse(_read_text(path), shown)
    check = _Checker(shown, root)
    if not isinstance(data, dict):
        raise check.fail((), f"a bank must be a map with keys {', '.join(BANK_KEYS)} (got {_type_name(data)})")
    for key in data:
        if key not in BANK_KEYS:
            raise check.fail((key,), f"unknown bank key '{key}' (valid: {', '.join(BANK_KEYS)})", at_key=True)
    bank_id = _slug(check, data, ("id",), "bank id", required=True)
    title = _text(check, data, ("title",), "bank title", required=True)
    chapter = data.get("chapter")
    if chapter is not None and (isinstance(chapter, bool) or not isinstance(chapter, int | str)):
        raise check.fail(("chapter",), f"bank chapter must be a number or text (got {_type_name(chapter)})")
    source = _text(check, data, ("source",), "bank source", required=False)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise check.fail(("questions",), "the bank needs a non-empty list 'questions'", at_key="questions" in data)

    questions = [_question(check, bank_id, i, raw) for i, raw in enumerate(raw_questions)]
    _check_references(check, questions, demo_ids)
    return Bank(
        id=bank_id, title=title, path=path, questions=tuple(questions), chapter=chapter, source=source
    )


def _label(raw: Mapping[str, Any], index: int) -> str:
    qid = raw.get("id")
    return f"question '{qid}'" if isinstance(qid, str) and qid else f"question #{index + 1}"


def _text(check: _Checker, data: Mapping[str, Any], path: tuple[Any, ...], what: str, *, required: bool) -> Any:
    value = data.get(path[-1])
    if value is None:
        if required:
            raise check.fail(path[:-1], f"{what} is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise check.fail(path, f"{what} must be non-empty text (got {_type_name(value)})")
    return value


def _slug(check: _Checker, data: Mapping[str, Any], path: tuple[Any, ...], what: str, *, required: bool) -> Any:
    value = _text(check, data, path, what, required=required)
    if value is not None and not _SLUG.match(value):
        raise check.fail(path, f"{what} must be lowercase kebab-case like 'depthwise-conv' (got {value!r})")
    return value


def _slug_list(check: _Checker, data: Mapping[str, Any], path: tuple[Any, ...], what: str) -> tuple[str, ...]:
    value = data.get(path[-1], [])
    if value is None:
        value = []
    if not isinstance(value, list):
        raise check.fail(path, f"{what} must be a list (got {_type_name(value)})")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not _SLUG.match(item):
            raise check.fail(path + (i,), f"{what} must be lowercase kebab-case (got {item!r})")
    return tuple(value)


def _question(check: _Checker, bank_id: str, index: int, raw: Any) -> Question:
    at = ("questions", index)
    if not isinstance(raw, dict):
        raise check.fail(at, f"question #{index + 1} must be a map (got {_type_name(raw)})")
    label = _label(raw, index)
    for key in raw:
        if key not in QUESTION_KEYS:
            raise check.fail(
                at + (key,), f"{label}: unknown key '{key}' (valid: {', '.join(QUESTION_KEYS)})", at_key=True
            )
    number = raw.get("number")
    if number is None:
        raise check.fail(at, f"{label}: number is missing")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise check.fail(at + ("number",), f"{label}: number must be a whole number from 1 (got {number!r})")
    qid = _slug(check, raw, at + ("id",), f"{label}: id", required=True)
    topic = _slug(check, raw, at + ("topic",), f"{label}: topic", required=True)
    difficulty = raw.get("difficulty")
    if difficulty is None:
        raise check.fail(at, f"{label}: difficulty is missing")
    if difficulty not in DIFFICULTIES:
        raise check.fail(
            at + ("difficulty",), f"{label}: difficulty must be easy, medium or hard (got {difficulty!r})"
        )
    code = raw.get("code")
    if code is not None and not isinstance(code, str):
        raise check.fail(at + ("code",), f"{label}: code must be text (got {_type_name(code)})")
    demo = raw.get("demo")
    if demo is not None and (not isinstance(demo, str) or not _SLUG.match(demo)):
        raise check.fail(at + ("demo",), f"{label}: demo must be a demo id like 'depthwise-cost' (got {demo!r})")
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
        related=_slug_list(check, raw, at + ("related",), f"{label}: related"),
        demo=demo,
    )


def _concepts(check: _Checker, raw: Mapping[str, Any], at: tuple[Any, ...], label: str) -> tuple[Concept, ...]:
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
        for key in item:
            if key not in CONCEPT_KEYS:
                raise check.fail(where + (key,), f"{label}: unknown concept key '{key}' (valid: name, synonyms)", at_key=True)
        name = _text(check, item, where + ("name",), f"{label}: concept name", required=True)
        synonyms = item.get("synonyms") or []
        if not isinstance(synonyms, list) or not all(isinstance(s, str) and s.strip() for s in synonyms):
            raise check.fail(where + ("synonyms",), f"{label}: concept '{name}': synonyms must be a list of text")
        concepts.append(Concept(name=name, synonyms=tuple(synonyms)))
    return tuple(concepts)


def _check_references(check: _Checker, questions: Sequence[Question], demo_ids: Iterable[str] | None) -> None:
    ids: dict[str, int] = {}
    numbers: dict[int, int] = {}
    for i, q in enumerate(questions):
        at = ("questions", i)
        if q.id in ids:
            raise check.fail(at + ("id",), f"question '{q.id}': duplicate id (also question #{ids[q.id] + 1})")
        if q.number in numbers:
            raise check.fail(
                at + ("number",), f"question '{q.id}': duplicate number {q.number} (also '{questions[numbers[q.number]].id}')"
            )
        ids[q.id] = i
        numbers[q.number] = i
    known_demos: frozenset[str] | None = None
    for i, q in enumerate(questions):
        at = ("questions", i)
        for j, rel in enumerate(q.related):
            if rel == q.id:
                raise check.fail(at + ("related", j), f"question '{q.id}': related names the question itself")
            if rel not in ids:
                raise check.fail(at + ("related", j), f"question '{q.id}': related question '{rel}' is not in this bank")
        if q.demo is not None:
            if known_demos is None:
                known_demos = frozenset(demo_ids) if demo_ids is not None else _builtin_demo_ids()
            if q.demo not in known_demos:
                from cvquiz.suggest import closest

                hint = closest(q.demo, sorted(known_demos))
                extra = f"; did you mean {', '.join(hint)}?" if hint else ""
                raise check.fail(
                    at + ("demo",), f"question '{q.id}': unknown demo '{q.demo}' (banks can only name built-in demos{extra})"
                )


def _builtin_demo_ids() -> frozenset[str]:
    from cvquiz.demos.registry import demo_ids

    return frozenset(demo_ids())


def bank_paths_from_env(env: Mapping[str, str]) -> list[Path]:
    """Extra banks named by CVQUIZ_BANK (paths separated by ':')."""
    return [expand_path(p, option=BANK_ENV) for p in env.get(BANK_ENV, "").split(os.pathsep) if p.strip()]


def load_library(extra: Sequence[str | os.PathLike[str]] = (), *, env: Mapping[str, str] | None = None) -> Library:
    """The built-in bank, then CVQUIZ_BANK's banks, then --bank's, each path once.

    A user's bank with the built-in bank's id (an edited export of it) takes the built-in's place,
    so its progress, keyed by bank-id/question-id, carries over.
    """
    env = os.environ if env is None else env
    builtin = load_bank(builtin_bank_path())
    banks: list[Bank] = [builtin]
    seen_paths = {builtin.path.resolve()}
    replaced = False
    for path in [*bank_paths_from_env(env), *(expand_path(p, option="--bank") for p in extra)]:
        resolved = path.resolve()
        if resolved in seen_paths:
            continue
        seen_paths.add(resolved)
        bank = load_bank(path)
        if bank.id == builtin.id and not replaced:
            banks[0] = bank
            replaced = True
            continue
        for other in banks:
            if other.id == bank.id:
                raise CvquizError(
                    f"{display_path(path)}: bank id '{bank.id}' is already used by {display_path(other.path)}; "
                    "give each bank its own id"
                )
        banks.append(bank)
    return Library(banks=tuple(banks))
