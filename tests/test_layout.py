"""The shape of the code: no import cycles, packages by domain, small modules, thin package inits."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cvquiz"
MAX_LINES = 450  # "about 400": a module past this holds more than one thing


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every cvquiz module `name` imports, function-local imports included, TYPE_CHECKING ones not."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(sub)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for sub in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            # `from pkg import mod` runs pkg/__init__ and imports pkg.mod
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_bank_and_demos_do_not_know_each_other() -> None:
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith("cvquiz.bank"):
            assert not any(t.startswith("cvquiz.demos") for t in targets), (name, targets)
        if name.startswith("cvquiz.demos"):
            assert not any(t.startswith("cvquiz.bank") for t in targets), (name, targets)


def test_the_core_knows_no_screen() -> None:
    """bank, practice and demos never import the CLI, Rich drawing, Typer or Rich."""
    core = ("cvquiz.bank", "cvquiz.practice", "cvquiz.demos")
    for name, path in _modules().items():
        if not name.startswith(core):
            continue
        assert not any(
            t.startswith(("cvquiz.cli", "cvquiz.render"))
            for t in _imports(name, path, set(_modules()))
        ), name
        text = path.read_text(encoding="utf-8")
        assert (
            "import typer" not in text and "from rich" not in text and "import rich" not in text
        ), name


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except ValueError:
        return False
    return True


def test_package_inits_define_nothing() -> None:
    """A package's __init__ is its docstring, constants or a facade of imports: no functions or logic."""
    for path in PACKAGE.rglob("__init__.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            constant = isinstance(node, ast.Assign) and _is_literal(node.value)
            docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            assert constant or docstring or isinstance(node, ast.ImportFrom), (
                path,
                ast.unparse(node),
            )


def test_no_module_is_long() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
