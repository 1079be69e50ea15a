"""Tables that fit the terminal: words wrap, numbers never break, columns go in a declared order."""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from cvquiz.render.fit import Column, _share, fit_table, pack


def draw(renderable, *, width: int, encoding: str = "utf-8") -> str:
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, force_terminal=False)
    if encoding != "utf-8":
        console = Console(file=_Encoded(out, encoding), width=width, color_system=None)
    console.print(renderable)
    return out.getvalue()


class _Encoded(io.StringIO):
    def __init__(self, target: io.StringIO, encoding: str) -> None:
        super().__init__()
        self.target = target
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # what Rich reads to decide on ASCII boxes
        return self._encoding

    def write(self, text: str) -> int:
        return self.target.write(text)


COLUMNS = [
    Column("layer"),
    Column("output", wrap=False),
    Column("params", justify="right"),
    Column("MACs", justify="right"),
]
ROWS = [
    ["expand 1×1 → 6c", "144×56×56", "3,744", "10,838,016"],
    ["depthwise 3×3", "144×56×56", "1,584", "4,064,256"],
]


@pytest.mark.parametrize("width", [36, 40, 60, 80, 120])
def test_numbers_are_never_broken_and_nothing_is_wider_than_the_screen(width: int) -> None:
    text = draw(fit_table(COLUMNS, ROWS, width=width), width=width)
    assert max(cell_len(line) for line in text.splitlines()) <= width
    for row in ROWS:
        for cell in row[1:]:
            assert cell in text, (cell, text)


def test_text_wraps_at_spaces_when_the_screen_is_narrow() -> None:
    text = draw(fit_table(COLUMNS, ROWS, width=40), width=40)
    lines = text.splitlines()
    # 40 columns: the layer name wraps at a space, the shape and the counts stay whole
    assert lines[2].split() == ["expand", "144×56×56", "3,744", "10,838,016"]
    assert lines[3].split() == ["1×1", "→", "6c"]


def test_records_when_no_table_fits() -> None:
    text = draw(fit_table(COLUMNS, ROWS, width=30), width=30)
    assert [line.rstrip() for line in text.splitlines()] == [
        "expand 1×1 → 6c",
        "  output 144×56×56 · params",
        "  3,744 · MACs 10,838,016",
        "depthwise 3×3",
        "  output 144×56×56 · params",
        "  1,584 · MACs 4,064,256",
    ]


SQUEEZE = (("drop", "id"), ("shorten", "level"), ("drop", "topic"))
LIST = [
    Column("#", justify="right", wrap=False),
    Column("id", wrap=False),
    Column("topic", wrap=False),
    Column("level", wrap=False, shorten=lambda t: Text(t.plain[:1]), short_header=""),
    Column("question", min_width=20),
]
QUESTIONS = [
    ["24", "depthwise-vs-standard-cost", "mobilenet", "hard", "Complexity vs standard conv?"]
]


@pytest.mark.parametrize(
    ("width", "header"),
    [
        (80, ["#", "id", "topic", "level", "question"]),
        (60, ["#", "topic", "level", "question"]),  # the id goes first
        (42, ["#", "topic", "level", "question"]),
        (40, ["#", "topic", "question"]),  # then the level is shortened to its initial
        (34, ["#", "question"]),  # then the topic goes
    ],
)
def test_columns_are_squeezed_in_the_declared_order(width: int, header: list[str]) -> None:
    text = draw(fit_table(LIST, QUESTIONS, width=width, squeeze=SQUEEZE), width=width)
    assert text.splitlines()[0].split() == header
    assert max(cell_len(line) for line in text.splitlines()) <= width


def test_narrow_columns_get_all_they_want_before_wide_ones_share() -> None:
    assert _share(10, [2, 30, 30]) == [2, 4, 4]
    assert _share(100, [2, 30, 30]) == [2, 30, 30]
    assert _share(0, [5, 5]) == [0, 0]


def test_an_ascii_terminal_gets_a_plain_rule_not_a_grid() -> None:
    text = draw(fit_table(COLUMNS[:1], [["a"]], width=20), width=20, encoding="ascii")
    assert text.splitlines() == ["layer", "-----", "a    "]


def test_pack_never_breaks_a_group_and_indents_each_line() -> None:
    groups = [Text(g) for g in ("Enter reveal", "u undo", "s skip", "d demo", "q quit")]
    assert pack(groups, width=80).plain == " Enter reveal · u undo · s skip · d demo · q quit"
    assert pack(groups, width=30).plain.splitlines() == [
        " Enter reveal · u undo ·",
        " s skip · d demo · q quit",
    ]
    assert pack(groups[:1], width=5).plain == " Enter reveal"  # too wide alone: left to wrap
