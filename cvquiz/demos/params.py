"""A demo's settings, declared as data: type, default, range, choices, multiples; parsed from `--set`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cvquiz.errors import CvquizError

_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


@dataclass(frozen=True)
class Param:
    """One setting of a demo, changed with `--set name=value`.

    `multiple_of` is a number, or the name of another setting the value must divide by; `why`
    says why (shown in the error).
    """

    name: str
    type: type
    default: Any
    help: str
    min: int | float | None = None
    max: int | float | None = None
    choices: tuple | None = None
    multiple_of: int | str | None = None
    why: str = ""

    def allowed(self) -> str:
        """The valid values in words: '1..4096', 'one of 1, 2, 4', 'true or false'."""
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.type is bool:
            return "true or false"
        kind = {int: "an integer", float: "a number", str: "text"}.get(
            self.type, self.type.__name__
        )
        if self.min is not None and self.max is not None:
            return f"{kind} in {self.min}..{self.max}"
        if self.min is not None:
            return f"{kind} ≥ {self.min}"
        if self.max is not None:
            return f"{kind} ≤ {self.max}"
        return kind

    def _bad(self, text: object) -> CvquizError:
        return CvquizError(f"--set {self.name}={text}: expected {self.allowed()} ({self.help})")

    def parse(self, text: str) -> Any:
        """The value `text` stands for, or a CvquizError naming the setting and what it allows."""
        raw = text.strip()
        value: Any
        if self.type is bool:
            if raw.lower() not in _TRUE + _FALSE:
                raise self._bad(text)
            value = raw.lower() in _TRUE
        elif self.type is int:
            try:
                value = int(raw.replace("_", ""))
            except ValueError:
                raise self._bad(text) from None
        elif self.type is float:
            try:
                value = float(raw)
            except ValueError:
                raise self._bad(text) from None
            if value != value or value in (float("inf"), float("-inf")):
                raise self._bad(text)
        else:
            value = self.type(raw)
        self.validate(value, shown=text)
        return value

    def validate(self, value: Any, *, shown: object = None) -> None:
        """Choices and range; a CvquizError naming the setting otherwise."""
        if (
            (self.choices is not None and value not in self.choices)
            or (self.min is not None and value < self.min)
            or (self.max is not None and value > self.max)
        ):
            raise self._bad(value if shown is None else shown)

    def check_multiple(self, values: Mapping[str, Any]) -> None:
        """The `multiple_of` rule, once every setting is known."""
        if self.multiple_of is None:
            return
        value = values[self.name]
        if isinstance(self.multiple_of, str):
            step, named = values[self.multiple_of], f"{self.multiple_of}={values[self.multiple_of]}"
        else:
            step, named = self.multiple_of, str(self.multiple_of)
        if value % step:
            rule = (
                "be even"
                if step == 2 and not isinstance(self.multiple_of, str)
                else f"be a multiple of {named}"
            )
            raise CvquizError(
                f"--set {self.name}={value}: must {rule}" + (f" ({self.why})" if self.why else "")
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.__name__,
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "choices": list(self.choices) if self.choices is not None else None,
            "help": self.help,
            "allowed": self.allowed(),
        }


class Settings(Mapping[str, Any]):
    """A demo's validated settings, read as attributes (`s.in_channels`) or as a mapping."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Settings({self._values!r})"


def parse_settings(items: Iterable[str]) -> dict[str, str]:
    """`--set NAME=VALUE` options as a mapping (a later NAME wins)."""
    settings: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CvquizError(f"--set {item}: expected NAME=VALUE, like --set in_channels=64")
        settings[name.strip()] = value
    return settings


def resolve_settings(
    demo_id: str, params: Sequence[Param], settings: Mapping[str, Any] | None
) -> Settings:
    """Defaults overridden by validated settings (strings from the CLI, or values already typed)."""
    by_name = {p.name: p for p in params}
    values = {p.name: p.default for p in params}
    for name, value in (settings or {}).items():
        if name not in by_name:
            valid = ", ".join(by_name) or "none"
            raise CvquizError(
                f"--set {name}: demo '{demo_id}' has no parameter '{name}' (valid: {valid})"
            )
        p = by_name[name]
        if isinstance(value, str):
            values[name] = p.parse(value)
        else:
            p.validate(value)
            values[name] = value
    for p in params:
        p.check_multiple(values)
    return Settings(values)
