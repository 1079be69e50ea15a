"""Checking plain data with file:line errors: the line index of a YAML tree, and how values are
quoted and named in an error message."""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cvquiz.errors import CvquizError

if TYPE_CHECKING:
    import yaml


class Checker:
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
                        f"{self.shown}:{key_node.start_mark.line + 1}: duplicate key '{key_name(key)}'"
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


class ShortRepr(reprlib.Repr):
    """repr for error messages: short, and safe for an int too long to print."""

    def __init__(self) -> None:
        super().__init__()
        self.maxstring = self.maxother = 60
        self.maxlevel, self.maxlist, self.maxdict = 2, 4, 4

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 64:
            return f"a number of about {int(x.bit_length() * 0.30103) + 1:,} digits"
        return repr(x)


shown_value = ShortRepr().repr


def key_name(key: Any) -> str:
    """A key as an error message quotes it: text as written (cut short), anything else by shown_value."""
    if isinstance(key, str):
        return key if len(key) <= 60 else key[:57] + "..."
    return shown_value(key)


def type_name(value: Any) -> str:
    return {
        dict: "a map",
        list: "a list",
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)
