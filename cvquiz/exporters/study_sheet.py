"""A printable Markdown study sheet: banks, then topics, then each question with its answer."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from cvquiz.bank.model import DIFFICULTIES, Bank, Question
from cvquiz.demos.result import DemoResult, Table, format_cell
from cvquiz.exporters.anki_note import topic_label
from cvquiz.exporters.demo_evidence import check_line
from cvquiz.inert import inert
from cvquiz.render.labels import DIFFICULTY_ICONS
from cvquiz.words import plural

# Characters that start Markdown syntax anywhere in a line; a backslash makes each one literal.
_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
# '&' only matters where it would start an entity such as '&lt;'; elsewhere it stays readable.
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# What would turn a line into a heading, list, quote or rule.
_BLOCK_START = re.compile(r"^(\s*)([#+\-=]|\d+[.)])")


def md_inline(text: str) -> str:
    """Text on one line, shown as itself inside a heading, a table cell or after other text."""
    # inert first: str.split() would silently drop some controls (U+001C-U+001F, U+0085).
    return _ENTITY.sub(r"\\&", _INLINE.sub(r"\\\1", " ".join(inert(text).split())))


def md_text(text: str) -> str:
    """Text that starts a block (a paragraph, a list item), shown as itself; its lines are kept."""
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = md_inline(line)
        lines.append(
            _BLOCK_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], line)
        )
    return "\n".join(lines)


def _fence(code: str) -> str:
    code = inert(code.replace("\r\n", "\n"))
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}python\n{code.rstrip()}\n{fence}"


def _table(table: Table) -> list[str]:
    numeric = table.numeric_columns()
    lines = [
        f"*{md_inline(table.title)}*",
        "",
        "| " + " | ".join(md_inline(c) for c in table.columns) + " |",
        "|" + "|".join(" ---: " if n else " --- " for n in numeric) + "|",
        *("| " + " | ".join(md_inline(format_cell(c)) for c in row) + " |" for row in table.rows),
    ]
    if table.note:
        lines += ["", md_text(table.note)]
    return lines + [""]


def _demo(result: DemoResult) -> list[str]:
    lines = [f"**Demo: {md_inline(result.title)}**", ""]
    for table in result.tables:
        lines += _table(table)
    if result.checks:
        lines.append(f"Checks: {result.checks_passed}/{len(result.checks)} passed")
        lines.append("")
        lines += [f"- {'✓' if c.passed else '✗'} {md_text(check_line(c))}" for c in result.checks]
        lines.append("")
    if result.convention:
        lines += [f"*{md_inline(result.convention)}*", ""]
    return lines


def _question(q: Question, demo: DemoResult | None) -> list[str]:
    lines = [
        f"### {DIFFICULTY_ICONS[q.difficulty]} Q{q.number}. {md_inline(q.question)}",
        "",
        md_text(q.answer),
        "",
    ]
    for e in q.errata:
        lines += [f"> **Erratum:** {md_inline(e.correction)} *({md_inline(e.source)}; proven by "
                  f"`cvquiz demo {q.number}`: {md_inline(e.check)})*", ""]  # fmt: skip
    if q.code:
        lines += [_fence(q.code), ""]
    if q.concepts:
        lines += ["**Key concepts:** " + " · ".join(md_inline(c.name) for c in q.concepts), ""]
    if demo is not None:
        lines += _demo(demo)
    meta = [f"{q.difficulty}"]
    if q.tags:
        meta.append("tags: " + ", ".join(q.tags))
    meta.append(q.key)
    lines += [f"*{md_inline(' · '.join(meta))}*", ""]
    return lines


def build_markdown(
    questions: Sequence[Question],
    banks: Sequence[Bank],
    *,
    demos: Mapping[str, DemoResult] | None = None,
) -> bytes:
    """One section per bank, one per topic (in bank order), a legend with the difficulty counts."""
    demos = demos or {}
    lines: list[str] = []
    for bank in banks:
        chosen = [q for q in questions if q.bank_id == bank.id]
        if not chosen:
            continue
        counts = " · ".join(
            f"{DIFFICULTY_ICONS[d]} {n} {d}"
            for d in DIFFICULTIES
            if (n := sum(q.difficulty == d for q in chosen))
        )
        lines += [f"# {md_inline(bank.title)}", ""]
        if bank.source:
            lines += [f"*{md_inline(bank.source)}*", ""]
        lines += [f"{plural(len(chosen), 'question')}: {counts}", ""]
        for topic in dict.fromkeys(q.topic for q in chosen):
            lines += [f"## {md_inline(topic_label(topic))}", ""]
            for q in chosen:
                if q.topic == topic:
                    lines += _question(q, demos.get(q.key))
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")
