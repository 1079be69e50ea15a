"""The demo registry: a decorator that records demos, their parameters, and the one way to run them."""

from __future__ import annotations

import importlib
import inspect
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cvquiz.demos.result import Check, DemoResult
from cvquiz.errors import CvquizError

if TYPE_CHECKING:
    import torch

    from cvquiz.bank import Question

# Imported on first use, so that listing demos never imports torch (the modules import it lazily).
DEMO_MODULES = tuple(
    f"cvquiz.demos.{family}.{module}"
    for family, modules in (
        ("resnet", ("blocks", "models", "detection", "comparisons", "training")),
        ("mobilenet", ("convs", "multipliers", "blocks", "efficient", "deploy")),
    )
    for module in modules
)
DEVICES = ("cpu", "cuda", "auto")
# Tensors above this many elements (1 GiB of float32) are refused before allocation.
MAX_ELEMENTS = 2**28

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass(frozen=True)
class Param:
    """One setting of a demo, changed with `--set name=value`."""

    name: str
    type: type
    default: Any
    help: str
    min: int | float | None = None
    max: int | float | None = None
    choices: tuple | None = None

    def allowed(self) -> str:
        """The valid values in words: '1..4096', 'one of 1, 2, 4', 'true or false'."""
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.type is bool:
            return "true or false"
        kind = {int: "an integer", float: "a number", str: "text"}.get(self.type, self.type.__name__)
        if self.min is not None and self.max is not None:
            return f"{kind} in {self.min}..{self.max}"
        if self.min is not None:
            return f"{kind} ≥ {self.min}"
        if self.max is not None:
            return f"{kind} ≤ {self.max}"
        return kind

    def parse(self, text: str) -> Any:
        """The value `text` stands for, or a CvquizError naming the setting and what it allows."""
        bad = CvquizError(f"--set {self.name}={text}: expected {self.allowed()} ({self.help})")
        raw = text.strip()
        value: Any
        if self.type is bool:
            if raw.lower() not in _TRUE + _FALSE:
                raise bad
            value = raw.lower() in _TRUE
        elif self.type is int:
            try:
                value = int(raw.replace("_", ""))
            except ValueError:
                raise bad from None
        elif self.type is float:
            try:
                value = float(raw)
            except ValueError:
                raise bad from None
            if value != value or value in (float("inf"), float("-inf")):
                raise bad
        else:
            value = self.type(raw)
        self.validate(value, bad=bad)
        return value

    def validate(self, value: Any, *, bad: CvquizError | None = None) -> None:
        bad = bad or CvquizError(f"--set {self.name}={value}: expected {self.allowed()} ({self.help})")
        if self.choices is not None and value not in self.choices:
            raise bad
        if self.min is not None and value < self.min:
            raise bad
        if self.max is not None and value > self.max:
            raise bad


@dataclass(frozen=True)
class DemoContext:
    """What a demo may use: the device to compute on and the seed it was run with."""

    device: torch.device
    seed: int


@dataclass(frozen=True)
class DemoSpec:
    """A registered demo."""

    id: str
    title: str
    summary: str
    params: tuple[Param, ...]
    func: Callable[..., DemoResult]

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        valid = ", ".join(p.name for p in self.params) or "none"
        raise CvquizError(f"--set {name}: demo '{self.id}' has no parameter '{name}' (valid: {valid})")

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


_REGISTRY: dict[str, DemoSpec] = {}
_loaded = False


def demo(
    id: str, *, title: str, summary: str, params: tuple[Param, ...] = ()
) -> Callable[[Callable[..., DemoResult]], Callable[..., DemoResult]]:
    """Register a demo function under `id`; a duplicate id or a mismatched signature raises at import."""

    def register(func: Callable[..., DemoResult]) -> Callable[..., DemoResult]:
        if not _ID.match(id):
            raise ValueError(f"demo id {id!r} must be kebab-case (like 'depthwise-cost')")
        if id in _REGISTRY:
            raise ValueError(f"demo id {id!r} is registered twice ({_REGISTRY[id].func.__module__} and {func.__module__})")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise ValueError(f"demo {id!r}: duplicate parameter names {names}")
        keyword_only = [
            n for n, p in inspect.signature(func).parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY
        ]
        if sorted(keyword_only) != sorted(names):
            raise ValueError(f"demo {id!r}: function keywords {keyword_only} differ from params {names}")
        for p in params:
            p.validate(p.default, bad=ValueError(f"demo {id!r}: default of {p.name} is outside {p.allowed()}"))
        _REGISTRY[id] = DemoSpec(id=id, title=title, summary=summary, params=tuple(params), func=func)
        return func

    return register


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in DEMO_MODULES:
            importlib.import_module(module)


def all_demos() -> list[DemoSpec]:
    """Every registered demo, in registration order (ResNet first, then MobileNet)."""
    _load()
    return list(_REGISTRY.values())


def demo_ids() -> list[str]:
    return [spec.id for spec in all_demos()]


def get_demo(id: str) -> DemoSpec:
    """The demo named `id`, or a CvquizError suggesting close ids."""
    _load()
    if id in _REGISTRY:
        return _REGISTRY[id]
    raise CvquizError(f"no demo '{id}'{_suggest(id)}")


def _suggest(word: str) -> str:
    from cvquiz.suggest import closest

    hints = closest(word, list(_REGISTRY))
    return f"; closest: {', '.join(hints)}" if hints else " (see `cvquiz demo --list`)"


def parse_settings(items: Iterable[str]) -> dict[str, str]:
    """`--set NAME=VALUE` options as a mapping (a later NAME wins)."""
    settings: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CvquizError(f"--set {item}: expected NAME=VALUE, like --set in_channels=64")
        settings[name.strip()] = value
    return settings


def resolve_params(spec: DemoSpec, settings: Mapping[str, Any] | None) -> dict[str, Any]:
    """Defaults overridden by validated settings (strings from the CLI, or values already typed)."""
    params = spec.defaults
    for name, value in (settings or {}).items():
        p = spec.param(name)
        if isinstance(value, str):
            params[name] = p.parse(value)
        else:
            p.validate(value)
            params[name] = value
    return params


def resolve_device(name: str) -> torch.device:
    """'cpu', 'cuda' (or 'cuda:N') and 'auto' (cuda when available) as a torch.device."""
    import torch

    wanted = name.strip().lower()
    if wanted == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if wanted == "cpu":
        return torch.device("cpu")
    if wanted == "cuda" or re.fullmatch(r"cuda:\d+", wanted):
        if not torch.cuda.is_available():
            raise CvquizError(
                f"--device {name}: CUDA is not available here (torch {torch.__version__}); use --device cpu or auto"
            )
        device = torch.device(wanted)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise CvquizError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s) here")
        return device
    raise CvquizError(f"--device {name}: expected one of {', '.join(DEVICES)}")


def refuse_large(elements: int, *, what: str, limit: int = MAX_ELEMENTS) -> None:
    """Refuse, before allocating, a tensor of more than `limit` elements."""
    if elements > limit:
        raise CvquizError(
            f"{what} needs {elements:,} elements ({elements * 4 / 2**30:.1f} GiB as float32); "
            f"the limit is {limit:,}: choose smaller --set values"
        )


def run_demo(
    id: str, *, settings: Mapping[str, Any] | None = None, device: str = "cpu", seed: int = 0
) -> DemoResult:
    """Validate settings and device, seed torch, run the demo and stamp its params, device and seed."""
    spec = get_demo(id)
    params = resolve_params(spec, settings)
    if not 0 <= seed < 2**63:
        raise CvquizError(f"--seed {seed}: expected an integer in 0..{2**63 - 1}")
    torch_device = resolve_device(device)
    import torch

    torch.manual_seed(seed)
    result = spec.func(DemoContext(device=torch_device, seed=seed), **params)
    return replace(result, demo_id=spec.id, params=params, device=str(torch_device), seed=seed)


@dataclass(frozen=True)
class Verified:
    """One demo's verification: its result and how long its own work took."""

    spec: DemoSpec
    result: DemoResult
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "demo_id": self.spec.id,
            "checks_passed": self.result.checks_passed,
            "checks_total": len(self.result.checks),
            "passed": self.result.passed,
            "seconds": round(self.seconds, 3),
            "failed": [c.to_dict() for c in self.result.checks if not c.passed],
        }


@dataclass(frozen=True)
class Verification:
    """Every demo's verification, and the one-off cost of starting torch before them."""

    items: tuple[Verified, ...]
    warm_up_seconds: float

    @property
    def passed(self) -> bool:
        return all(item.result.passed for item in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "demos": len(self.items),
            "checks_passed": sum(i.result.checks_passed for i in self.items),
            "checks_total": sum(len(i.result.checks) for i in self.items),
            "warm_up_seconds": round(self.warm_up_seconds, 3),
            "results": [item.to_dict() for item in self.items],
        }


def warm_up() -> None:
    """Import torch and run one counted conv on meta, so per-demo times leave torch's start-up out."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        conv = torch.nn.Conv2d(2, 2, 3)
        x = torch.empty(1, 2, 4, 4)
    with torch.no_grad(), FlopCounterMode(display=False):
        conv(x)


def verify_demos(
    specs: Sequence[DemoSpec] | None = None,
    *,
    device: str = "cpu",
    seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
    on_done: Callable[[Verified], None] | None = None,
) -> Verification:
    """Run each demo with its defaults; `on_done` is told after each one (for a progress bar)."""
    start = clock()
    resolve_device(device)  # a bad device fails once, before any demo runs
    warm_up()
    warm = clock() - start
    done = []
    for spec in all_demos() if specs is None else specs:
        start = clock()
        try:
            result = run_demo(spec.id, device=device, seed=seed)
        except Exception as exc:  # a demo that crashes is a failed check, and the others still run
            crashed = Check("the demo runs with its defaults", "no error", f"{type(exc).__name__}: {exc}", "verify", False)
            result = DemoResult(demo_id=spec.id, title=spec.title, explanation=(), checks=(crashed,))
        item = Verified(spec=spec, result=result, seconds=clock() - start)
        done.append(item)
        if on_done is not None:
            on_done(item)
    return Verification(items=tuple(done), warm_up_seconds=warm)


# Finding a demo from a user's words, and listing demos with the questions they serve.


@dataclass(frozen=True)
class Target:
    """What `cvquiz demo QUERY` resolved to: a demo, and the question that led there if any."""

    spec: DemoSpec
    question: Question | None = None


def find_target(questions: Sequence[Question], query: str) -> Target:
    """A demo id, or a question (number, id, words) whose `demo` field names one."""
    from cvquiz.select import AmbiguousQuestion, resolve_question

    _load()
    key = query.strip().lower()
    if key in _REGISTRY:
        # A demo id wins; a question of the same id is named when it points at this demo.
        same = next((q for q in questions if q.id == key and q.demo == key), None)
        return Target(spec=_REGISTRY[key], question=same)
    try:
        question = resolve_question(questions, query)
    except AmbiguousQuestion as exc:
        listed = ", ".join(f"{q.number} {q.id}" + (f" (demo {q.demo})" if q.demo else "") for q in exc.matches[:6])
        more = ", ..." if len(exc.matches) > 6 else ""
        raise CvquizError(f"{len(exc.matches)} questions match '{query}': {listed}{more}; name one by number or id") from None
    except CvquizError as exc:
        if not key.isdigit():
            from cvquiz.suggest import closest

            hints = closest(key, list(_REGISTRY), limit=3, cutoff=75.0)
            if hints:
                raise CvquizError(f"{exc.message}; demos with close ids: {', '.join(hints)}") from None
        raise
    if question.demo is None:
        raise CvquizError(f"question {question.number} ({question.id}) has no demo; {_nearest_demos(questions, question)}")
    return Target(spec=get_demo(question.demo), question=question)


_STOP = frozenset("and are but can does for from how its not one the than that this vs what when why with".split())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in _STOP}


def _nearest_demos(questions: Sequence[Question], question: Question) -> str:
    """Demos of the question's related questions first, then demos sharing the most words with it."""
    by_id = {q.id: q for q in questions if q.bank_id == question.bank_id}
    related = [by_id[r].demo for r in question.related if r in by_id and by_id[r].demo in _REGISTRY]
    asked = _words(f"{question.id} {question.question} {' '.join(question.tags)} {question.answer}")
    scored = []
    for order, spec in enumerate(_REGISTRY.values()):
        shared = len(asked & _words(f"{spec.id} {spec.title} {spec.summary}"))
        if shared >= 2:
            scored.append((-shared, order, spec.id))
    names = list(dict.fromkeys(related + [name for _, _, name in sorted(scored)]))[:3]
    if not names:
        return "see `cvquiz demo --list`"
    return "nearest demos: " + ", ".join(names)


@dataclass(frozen=True)
class CatalogueEntry:
    """A demo and the questions (by number) whose `demo` field names it."""

    spec: DemoSpec
    questions: tuple[Question, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.spec.id,
            "title": self.spec.title,
            "summary": self.spec.summary,
            "questions": [{"key": q.key, "number": q.number, "id": q.id} for q in self.questions],
            "params": [param_dict(p) for p in self.spec.params],
        }


def param_dict(p: Param) -> dict[str, Any]:
    return {
        "name": p.name,
        "type": p.type.__name__,
        "default": p.default,
        "min": p.min,
        "max": p.max,
        "choices": list(p.choices) if p.choices is not None else None,
        "help": p.help,
        "allowed": p.allowed(),
    }


def catalogue(questions: Sequence[Question]) -> list[CatalogueEntry]:
    """Every demo with the loaded questions that name it."""
    return [
        CatalogueEntry(spec=spec, questions=tuple(q for q in questions if q.demo == spec.id))
        for spec in all_demos()
    ]
