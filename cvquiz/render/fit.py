"""Tables that fit the terminal: text wraps at spaces, a number, id or time is never broken, and
when even that is too wide the least important columns are shortened or dropped, in the order
each screen declares; past that, the rows are drawn as records, one line of fields each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from rich import box
from rich.cells import cell_len
from rich.console import ConsoleOptions, Group, RenderableType
from rich.table import Table
from rich.text import Text

Cell = str | Text
Justify = Literal["left", "right", "center"]
Step = tuple[Literal["shorten", "drop"], str]
WORD_CAP = 32  # a longer word (a path, a URL) may fold rather than force a column this wide


class _Rule(box.Box):
    """SIMPLE_HEAD (a rule under the header, nothing else), drawn with '-' where the terminal's
    encoding lacks box characters (Rich would switch to a full grid of + and |)."""

    def substitute(self, options: ConsoleOptions, safe: bool = True) -> box.Box:
        return ASCII_RULE if options.ascii_only else self


RULE = _Rule("    \n    \n ── \n    \n    \n    \n    \n    \n")
ASCII_RULE = box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)


@dataclass(frozen=True)
class Column:
    """One column: its header, alignment and style, whether its text may wrap at spaces, and a
    shorter form of its cells (and header) to use before the column is dropped."""

    header: str
    justify: Justify = "left"
    style: str = ""
    wrap: bool = True  # False: every cell stays on one line (a time, an id, a label)
    min_width: int = 0  # a wrapped column narrower than this reads badly: squeeze others first
    shorten: Callable[[Text], Text] | None = None
    short_header: str | None = None


def _text(cell: Cell) -> Text:
    return cell.copy() if isinstance(cell, Text) else Text(cell)  # never markup


def _longest_word(text: str) -> int:
    return max((Text(word).cell_len for word in text.split()), default=0)


def _bounds(column: Column, header: str, cells: Sequence[Text]) -> tuple[int, int]:
    """The narrowest width that breaks no word of the column (no line of an unwrapped one), and
    the width of its longest line."""
    lines = [line for cell in cells for line in cell.plain.splitlines()]
    natural = max([Text(header).cell_len, *(Text(line).cell_len for line in lines)])
    if column.wrap:
        narrowest = min(WORD_CAP, max(_longest_word(line) for line in [*lines, ""]))
        narrowest = max(narrowest, min(column.min_width, natural))
    else:
        narrowest = max([0, *(Text(line).cell_len for line in lines)])
    return max(narrowest, _longest_word(header), 1), max(natural, 1)


def _share(spare: int, wants: list[int]) -> list[int]:
    """Split `spare` columns among the columns' wants, fairly: a column that wants little gets
    all of it, and the wide ones share what is left evenly."""
    shares = [0] * len(wants)
    waiting = sorted(range(len(wants)), key=lambda i: wants[i])
    while waiting:
        even = spare // len(waiting)
        i = waiting.pop(0)
        shares[i] = min(wants[i], even if waiting else spare)
        spare -= shares[i]
    return shares


def _layout(
    columns: Sequence[Column], headers: list[str], cells: list[list[Text]], width: int, gap: int
) -> list[int] | None:
    bounds = [_bounds(c, h, col) for c, h, col in zip(columns, headers, cells, strict=True)]
    spare = width - gap * (len(columns) - 1) - sum(low for low, _ in bounds)
    if spare < 0:
        return None
    grow = _share(spare, [high - low for low, high in bounds])
    return [low + extra for (low, _), extra in zip(bounds, grow, strict=True)]


def fit_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    *,
    width: int,
    squeeze: Sequence[Step] = (),
    gaps: Sequence[int] = (2, 1),
) -> RenderableType:
    """A table no wider than `width`; `squeeze` lists, most expendable first, what may be
    shortened or dropped to get there. Records when nothing else fits."""
    # The widest gap between columns, squeezing columns as declared; then narrower gaps (1 to 3
    # spaces); then records.
    for gap in gaps:
        kept = list(range(len(columns)))
        short: set[int] = set()
        for step in (None, *squeeze):
            if step is not None:
                action, name = step
                index = [c.header for c in columns].index(name)
                if action == "drop":
                    kept.remove(index)
                else:
                    short.add(index)
            chosen = [columns[i] for i in kept]
            headers = [_header(columns[i], shortened=i in short) for i in kept]
            cells = [
                [_cell(columns[i], row[i], shortened=i in short) for row in rows] for i in kept
            ]
            widths = _layout(chosen, headers, cells, width, gap)
            if widths is not None:
                return _table(chosen, headers, cells, widths, gap)
    return records(columns, rows)


def _header(column: Column, *, shortened: bool) -> str:
    return column.short_header if shortened and column.short_header is not None else column.header


def _cell(column: Column, cell: Cell, *, shortened: bool) -> Text:
    text = _text(cell)
    return column.shorten(text) if shortened and column.shorten is not None else text


def _table(
    columns: Sequence[Column],
    headers: list[str],
    cells: list[list[Text]],
    widths: list[int],
    gap: int,
) -> Table:
    # The box puts one space between columns; padding on both sides of a cell adds two (a gap of
    # 3), collapsed padding one (a gap of 2).
    table = Table(box=RULE, show_edge=False, pad_edge=False, padding=(0, min(gap - 1, 1)),
                  collapse_padding=gap == 2)  # fmt: skip
    for column, header, w in zip(columns, headers, widths, strict=True):
        table.add_column(
            header, justify=column.justify, style=column.style or None, width=w, overflow="fold"
        )
    for row in zip(*cells, strict=True):
        table.add_row(*row)
    return table


def records(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> Group:
    """Each row as a record: its first cell in bold, then `header value` for the others, indented
    under it and wrapped at spaces."""
    parts: list[RenderableType] = []
    for row in rows:
        fields = Text()
        for column, cell in zip(columns[1:], row[1:], strict=True):
            value = _text(cell)
            if not value.plain.strip():
                continue
            if fields:
                fields.append(" · ", style="dim")
            if column.header.strip():
                fields.append(f"{column.header} ", style="dim")
            fields.append_text(value)
        grid = Table.grid(padding=(0, 0, 0, 2), pad_edge=True)
        grid.add_column(overflow="fold")
        grid.add_row(fields)
        parts += [Text(_text(row[0]).plain, style="bold"), grid]
    return Group(*parts)


def pack(groups: Sequence[Text], *, width: int, sep: str = " · ", indent: str = " ") -> Text:
    """Groups that must not break ('u undo', 'Due today 4'), joined by `sep`, on as few lines
    as `width` allows; every line starts with `indent`."""
    text = Text(indent)
    line = cell_len(indent)
    for i, group in enumerate(groups):
        if i and line + cell_len(sep) + group.cell_len > width:
            text.append(sep.rstrip(), style="dim")
            text.append("\n" + indent)
            line = cell_len(indent)
        elif i:
            text.append(sep, style="dim")
            line += cell_len(sep)
        text.append_text(group)
        line += group.cell_len
    return text
