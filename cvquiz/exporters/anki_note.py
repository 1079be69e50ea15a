"""The Anki note a question becomes: note type, stable ids, deck names, tags and HTML fields."""

from __future__ import annotations

import hashlib
import html
import re

from cvquiz.bank.model import Bank, Question
from cvquiz.demos.result import DemoResult, format_cell
from cvquiz.exporters.demo_evidence import check_line
from cvquiz.inert import inert

NOTETYPE_NAME = "cvquiz Q&A"
FIELDS = ("Number", "Question", "Answer", "Code", "Concepts", "Demo", "Source")
TOPIC_LABELS = {
    "resnet": "ResNet",
    "resnext": "ResNeXt",
    "mobilenet": "MobileNet",
    "efficientnet": "EfficientNet",
    "densenet": "DenseNet",
    "shufflenet": "ShuffleNet",
    "vgg": "VGG",
    "vit": "ViT",
}


def stable_id(seed: str) -> int:
    """A fixed id in genanki's recommended range [2**30, 2**31), derived from `seed`."""
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


# Bump the suffix only when the fields change: Anki then treats it as a new note type.
MODEL_ID = stable_id("cvquiz-note-v1")


def note_guid(question: Question) -> str:
    """The note's identity in Anki: its bank and question id only, so edited answers update the note."""
    import genanki

    return genanki.guid_for(question.key)


def topic_label(topic: str) -> str:
    """'resnet' -> 'ResNet'; an unknown slug 'vision-transformer' -> 'Vision Transformer'."""
    return TOPIC_LABELS.get(topic) or " ".join(w.capitalize() for w in topic.split("-"))


def deck_name(bank: Bank, topic: str | None = None) -> str:
    """The bank's deck, or its subdeck for a topic. Deck names are plain text in Anki, not HTML."""
    title = deck_part(bank.title)
    return title if topic is None else f"{title}::{topic_label(topic)}"


def deck_part(text: str) -> str:
    """One level of a deck name: on one line, inert, and no '::' (Anki's level separator) in it.

    '::' becomes '∷' (U+2237 PROPORTION), which looks the same; a colon at the very end becomes
    '∶' (U+2236 RATIO), or it would join the '::' before a subdeck into ':::'.
    """
    part = inert(" ".join(text.split())).replace("::", "\u2237")
    return part[:-1] + "\u2236" if part.endswith(":") else part


def deck_id(bank: Bank, topic: str | None = None) -> int:
    # From the bank id and topic slug, not the title: retitling a bank keeps its deck ids.
    return stable_id(f"cvquiz-deck:{bank.id}:{topic or ''}")


def note_tags(question: Question) -> list[str]:
    """Hierarchical tags under cvquiz:: (slugs, so never a space, which Anki and genanki refuse)."""
    return [
        f"cvquiz::topic::{question.topic}",
        f"cvquiz::difficulty::{question.difficulty}",
        *(f"cvquiz::tag::{t}" for t in question.tags),
    ]


# Anki finds sound, TTS and LaTeX ([sound:..], [anki:tts], [latex], [$], [$$]) in a field's raw
# HTML, and its editor finds MathJax (\( and \[) the same way; as entities they show as themselves.
_ANKI_SYNTAX = re.compile(r"\\(?=[(\[])|\[")
_ENTITIES = {"\\": "&#92;", "[": "&#91;"}


def text_html(text: str) -> str:
    """Bank text as an Anki field: inert, escaped, every line break (CR too) a <br>."""
    text = inert(text.replace("\r\n", "\n").replace("\r", "\n"))
    escaped = _ANKI_SYNTAX.sub(lambda m: _ENTITIES[m[0]], html.escape(text, quote=True))
    return escaped.replace("\n", "<br>")


def code_html(code: str) -> str:
    # <br> rather than raw newlines keeps every field on one line of the TSV; <pre> still wraps none.
    return f"<pre><code>{text_html(code)}</code></pre>"


def demo_html(result: DemoResult) -> str:
    """A demo's evidence as HTML: its tables, then its checks; every value escaped."""
    parts = [f'<div class="cvq-demo-title">Demo: {text_html(result.title)}</div>']
    for table in result.tables:
        rows = [
            "<tr>" + "".join(f"<th>{text_html(c)}</th>" for c in table.columns) + "</tr>",
            *(
                "<tr>"
                + "".join(
                    f'<td class="num">{text_html(format_cell(c))}</td>'
                    if isinstance(c, int | float) and not isinstance(c, bool)
                    else f"<td>{text_html(format_cell(c))}</td>"
                    for c in row
                )
                + "</tr>"
                for row in table.rows
            ),
        ]
        parts.append(
            f'<table class="cvq-table"><caption>{text_html(table.title)}</caption>{"".join(rows)}</table>'
        )
        if table.note:
            parts.append(f'<div class="cvq-note">{text_html(table.note)}</div>')
    if result.checks:
        items = "".join(
            f'<li class="{"pass" if c.passed else "fail"}">{text_html(check_line(c))}</li>'
            for c in result.checks
        )
        parts.append(
            f'<div class="cvq-checks-title">Checks: {result.checks_passed}/{len(result.checks)} passed</div>'
            f'<ul class="cvq-checks">{items}</ul>'
        )
    if result.convention:
        parts.append(f'<div class="cvq-note">{text_html(result.convention)}</div>')
    return "".join(parts)


def errata_html(question: Question) -> str:
    """The sourced corrections, after the answer it corrects (which stays as the source has it)."""
    return "".join(
        f'<div class="cvq-erratum"><b>Erratum:</b> {text_html(e.correction)} '
        f'<span class="cvq-source">({text_html(e.source)})</span></div>'
        for e in question.errata
    )


def note_fields(question: Question, bank: Bank, demo: DemoResult | None = None) -> list[str]:
    """The note's fields in FIELDS order, as Anki HTML (used by both the .apkg and the TSV)."""
    return [
        str(question.number),
        text_html(question.question),
        text_html(question.answer) + errata_html(question),
        code_html(question.code) if question.code else "",
        " · ".join(text_html(c.name) for c in question.concepts),
        demo_html(demo) if demo is not None else "",
        text_html(f"{bank.title} · Q{question.number} · {question.key}"),
    ]


# The card's MathJax skips these classes (mathjax_ignore since MathJax 3.2, tex2jax_ignore before):
# \( and \[ in bank text are text, not formulas. Anki's own config leaves the class option alone.
FRONT = """\
<div class="cvq-text mathjax_ignore tex2jax_ignore">
<div class="cvq-meta">Q{{Number}} · {{Subdeck}}</div>
<div class="cvq-question">{{Question}}</div>
</div>
"""

BACK = """\
{{FrontSide}}
<hr id="answer">
<div class="cvq-text mathjax_ignore tex2jax_ignore">
<div class="cvq-answer">{{Answer}}</div>
{{#Code}}<div class="cvq-code">{{Code}}</div>{{/Code}}
{{#Concepts}}<div class="cvq-concepts"><span class="cvq-label">Key concepts</span> {{Concepts}}</div>{{/Concepts}}
{{#Demo}}<div class="cvq-demo">{{Demo}}</div>{{/Demo}}
{{#Source}}<div class="cvq-source">{{Source}}</div>{{/Source}}
</div>
"""

# Colours as variables, swapped for Anki's night mode: .nightMode (desktop) and .night_mode (AnkiDroid).
CSS = """\
.card {
  --cvq-fg: #1f2328; --cvq-bg: #ffffff; --cvq-muted: #59636e; --cvq-accent: #0969da;
  --cvq-code-bg: #f6f8fa; --cvq-border: #d1d9e0; --cvq-pass: #1a7f37; --cvq-fail: #cf222e;
  font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 19px; line-height: 1.5; text-align: left;
  color: var(--cvq-fg); background-color: var(--cvq-bg);
  max-width: 40em; margin: 0 auto; padding: 0.5em 1em;
}
.card.nightMode, .card.night_mode, .nightMode .card, .night_mode .card {
  --cvq-fg: #e6edf3; --cvq-bg: #0d1117; --cvq-muted: #9198a1; --cvq-accent: #4493f8;
  --cvq-code-bg: #161b22; --cvq-border: #3d444d; --cvq-pass: #3fb950; --cvq-fail: #f85149;
}
.cvq-meta { font-size: 0.75em; color: var(--cvq-muted); letter-spacing: 0.02em; }
.cvq-question { font-size: 1.2em; font-weight: 600; margin: 0.3em 0 0.2em; }
hr#answer { border: none; border-top: 1px solid var(--cvq-border); margin: 0.8em 0; }
.cvq-answer { margin-bottom: 0.8em; }
.cvq-code pre {
  background: var(--cvq-code-bg); border: 1px solid var(--cvq-border); border-radius: 6px;
  padding: 0.6em 0.8em; overflow-x: auto; font-size: 0.8em;
}
.cvq-code code, .cvq-code pre { font-family: "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; }
.cvq-concepts { font-size: 0.85em; margin: 0.6em 0; }
.cvq-label {
  font-weight: 600; color: var(--cvq-accent); text-transform: uppercase;
  font-size: 0.8em; letter-spacing: 0.05em; margin-right: 0.4em;
}
.cvq-demo { border-left: 3px solid var(--cvq-accent); padding-left: 0.8em; margin: 1em 0; font-size: 0.8em; }
.cvq-demo-title { font-weight: 600; margin-bottom: 0.4em; }
.cvq-table { border-collapse: collapse; margin: 0.4em 0 0.6em; }
.cvq-table caption { text-align: left; font-style: italic; color: var(--cvq-muted); padding-bottom: 0.2em; }
.cvq-table th, .cvq-table td { border: 1px solid var(--cvq-border); padding: 0.15em 0.5em; }
.cvq-table th { background: var(--cvq-code-bg); text-align: left; }
.cvq-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cvq-note { color: var(--cvq-muted); font-size: 0.9em; margin-bottom: 0.4em; }
.cvq-checks { list-style: none; padding-left: 0; margin: 0.2em 0; }
.cvq-checks li.pass::before { content: "✓ "; color: var(--cvq-pass); font-weight: 700; }
.cvq-checks li.fail::before { content: "✗ "; color: var(--cvq-fail); font-weight: 700; }
.cvq-source { font-size: 0.7em; color: var(--cvq-muted); margin-top: 1.2em; }
"""


def model():  # -> genanki.Model
    """The note type: fixed id, the fields above, one card (question -> answer)."""
    import genanki

    return genanki.Model(
        MODEL_ID,
        NOTETYPE_NAME,
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Question → Answer", "qfmt": FRONT, "afmt": BACK}],
        css=CSS,
        sort_field_index=0,
    )
