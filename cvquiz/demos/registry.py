"""The demo registry: `demo(...)` declares a demo, its `measure` and `present` steps attach to it.

    cost = demo("depthwise-separable-cost", title=..., summary=..., params=(Param(...), ...),
                stochastic=False)   # its numbers do not depend on the seed: verify runs it once

    @cost.measure
    def measure(s: Settings, ctx: DemoContext) -> CostNumbers: ...   # torch work, numbers out

    @cost.present
    def present(n: CostNumbers, s: Settings) -> Presentation: ...    # text, tables, checks

Demo modules are imported on first use (see cvquiz.demos.index), so listing banks never imports
torch or a demo.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cvquiz.demos import index
from cvquiz.demos.params import Param
from cvquiz.demos.result import Presentation
from cvquiz.errors import CvquizError

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(eq=False)
class DemoSpec:
    """A registered demo: what it is called, its settings, and its two steps.

    `stochastic`: its numbers may depend on the seed (random tensors, module init, training), so
    `verify --seeds N` runs it at every seed; a demo whose numbers cannot depend on it says False.
    """

    id: str
    title: str
    summary: str
    params: tuple[Param, ...]
    stochastic: bool = True
    module: str | None = None  # where measure is defined
    measure_step: Callable[..., Any] | None = field(default=None, repr=False)
    present_step: Callable[..., Presentation] | None = field(default=None, repr=False)

    def measure(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Attach `measure(settings, ctx) -> numbers` (a decorator)."""
        if self.measure_step is not None:
            raise ValueError(f"demo {self.id!r}: measure is attached twice")
        self.measure_step = func
        self.module = func.__module__
        return func

    def present(self, func: Callable[..., Presentation]) -> Callable[..., Presentation]:
        """Attach `present(numbers, settings) -> Presentation` (a decorator)."""
        if self.present_step is not None:
            raise ValueError(f"demo {self.id!r}: present is attached twice")
        self.present_step = func
        return func

    @property
    def complete(self) -> bool:
        return self.measure_step is not None and self.present_step is not None


_REGISTRY: dict[str, DemoSpec] = {}
_imported: set[str] = set()


def demo(
    id: str,
    *,
    title: str,
    summary: str,
    params: Sequence[Param] = (),
    stochastic: bool = True,
) -> DemoSpec:
    """Register a demo under `id`; a bad or duplicate id, or a default outside its range, raises at import."""
    if not _ID.match(id):
        raise ValueError(f"demo id {id!r} must be kebab-case (like 'depthwise-cost')")
    if id in _REGISTRY:
        raise ValueError(f"demo id {id!r} is registered twice")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"demo {id!r}: duplicate parameter names {names}")
    for p in params:
        try:
            p.validate(p.default)
        except CvquizError:
            raise ValueError(f"demo {id!r}: default of {p.name} is outside {p.allowed()}") from None
        if isinstance(p.multiple_of, str) and p.multiple_of not in names:
            raise ValueError(
                f"demo {id!r}: {p.name} is a multiple of unknown setting {p.multiple_of!r}"
            )
    spec = DemoSpec(
        id=id, title=title, summary=summary, params=tuple(params), stochastic=stochastic
    )
    _REGISTRY[id] = spec
    return spec


def _import(module: str) -> None:
    if module in _imported:
        return
    importlib.import_module(module)
    _imported.add(module)
    for demo_id, where in index.DEMO_MODULES.items():
        if where != module:
            continue
        spec = _REGISTRY.get(demo_id)
        if spec is None or not spec.complete or spec.module != module:
            raise ValueError(
                f"demo {demo_id!r}: {module} does not register it with measure and present"
            )


def all_demos() -> list[DemoSpec]:
    """Every built-in demo, in the index's order (ResNet first, then MobileNet)."""
    for module in dict.fromkeys(index.DEMO_MODULES.values()):
        _import(module)
    return [_REGISTRY[demo_id] for demo_id in index.DEMO_MODULES]


def get_demo(id: str) -> DemoSpec:
    """The demo named `id` (importing only its module), or a CvquizError suggesting close ids."""
    if id in index.DEMO_MODULES:
        _import(index.DEMO_MODULES[id])
        return _REGISTRY[id]
    raise CvquizError(f"no demo '{id}'{_suggest(id)}")


def _suggest(word: str) -> str:
    from cvquiz.suggest import closest

    hints = closest(word, list(index.DEMO_MODULES))
    return f"; closest: {', '.join(hints)}" if hints else " (see `cvquiz demo --list`)"
