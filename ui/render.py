"""Answers and sources as page text: chat messages in Markdown, the source viewer in HTML.

Everything that comes from a person or a statement is escaped here, so the page shows it as
text: Markdown messages backslash-escape every character that Markdown or HTML would act on,
and the source viewer HTML-escapes each slice of the original text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from quotebot.index.text import normalise, strip_control

if TYPE_CHECKING:
    from quotebot.bot.records import Answer, Citation
    from quotebot.index.records import Passage
    from quotebot.index.store import CorpusIndex

# Markdown/HTML syntax characters; CommonMark lets any ASCII punctuation be backslash-escaped.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$&!])")
# Block syntax that only counts at the start of a line: "1. " / "1) " lists, "-", "+", "=".
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])")
_BULLET_START = re.compile(r"^([-+=])")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9-]")
# no-break spaces (frequent in Russian-style typography) would stop lines from wrapping
_WRAPPING_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2007": " "})

QUESTION_SHOWN_CHARS = 500
VIEWER_CONTEXT = 3  # passages shown either side of a cited one


def escape_markdown(text: str) -> str:
    """Return `text` on one line, normalised, with all Markdown and HTML syntax escaped."""
    escaped = _SPECIAL.sub(r"\\\1", normalise(text))
    escaped = _ORDERED_START.sub(r"\1\\\2", escaped)
    return _BULLET_START.sub(r"\\\1", escaped)


def anchor_id(passage_id: str) -> str:
    """Return the DOM id of a passage in the source viewer: `statement#p07` -> `p-statement-p07`."""
    safe = _UNSAFE_ID.sub(lambda m: "-" if m.group() == "#" else f"_{ord(m.group()):x}", passage_id)
    return f"p-{safe}"


def question_markdown(question: str, shown: int = QUESTION_SHOWN_CHARS) -> str:
    """Return the user's message as shown in the chat: escaped, and cut if very long."""
    text = normalise(strip_control(question))
    if len(text) <= shown:
        return escape_markdown(text)
    return f"{escape_markdown(text[:shown])}\u2026 _({len(text):,} characters)_"


def error_markdown(message: str) -> str:
    """Return a message the user has to act on (an empty or too long question), escaped."""
    text = normalise(message)
    return f"\u26a0\ufe0f {escape_markdown(text[:1].upper() + text[1:])}"


def answer_markdown(answer: Answer) -> str:
    """Return an answer as a chat message: notice, lead-in, then one block quote per citation
    with its speaker and a numbered link to the passage in the source viewer."""
    parts = []
    if answer.notice:
        parts.append(f"**Note:** {escape_markdown(answer.notice)}")
    parts.append(escape_markdown(answer.text))
    parts.extend(quote_markdown(n, c) for n, c in enumerate(answer.citations, 1))
    return "\n\n".join(parts)


def quote_markdown(n: int, citation: Citation) -> str:
    """Return citation `n` as a block quote: the quote, then speaker, passage id and offsets."""
    label = (
        f"\\[{n}\\] {escape_markdown(citation.passage_id)}, "
        f"characters {citation.start}\u2013{citation.end}"
    )
    return (
        f"> \u201c{escape_markdown(citation.quote)}\u201d\n"
        f"> \u2014 **{escape_markdown(citation.speaker_label)}** "
        f"[{label}](#{anchor_id(citation.passage_id)})"
    )


def quote_text(citation: Citation) -> str:
    """Return a citation as plain text: the quote, its speaker and where it is in its document."""
    return (
        f"\u201c{citation.quote}\u201d \u2014 {citation.speaker_label} "
        f"[{citation.doc}, characters {citation.start}\u2013{citation.end}]"
    )


def answer_text(answer: Answer) -> str:
    """Return an answer as plain text (what Copy gives): notice, lead-in, then each quote."""
    lines = [f"Note: {answer.notice}"] if answer.notice else []
    lines.append(answer.text)
    lines.extend(quote_text(c) for c in answer.citations)
    return "\n\n".join(lines)


EMPTY_VIEWER = (
    '<div class="qb-source" id="qb-source"><p class="qb-empty">The passages an answer cites '
    "appear here in their context, with the quotes highlighted.</p></div>"
)


class SourceViewer:
    """The source viewer of one index, shared by every session: each document's passages are
    listed once; a view shows only the cited documents, around their cited passages."""

    def __init__(self, index: CorpusIndex, context: int = VIEWER_CONTEXT):
        self.index = index
        self.context = context
        self._passages: dict[str, list[Passage]] = {}
        for p in index.passages:
            self._passages.setdefault(p.doc, []).append(p)

    def html(self, citations: Sequence[Citation] = ()) -> str:
        """Return the viewer for `citations`: each cited document turn by turn with its
        speakers, `context` passages either side of each cited one (class `qb-cited`), the
        quotes marked and numbered as in the answer; a short note when nothing is cited."""
        if not citations:
            return EMPTY_VIEWER
        numbered = list(enumerate(citations, 1))
        sections = []
        for doc in dict.fromkeys(c.doc for c in citations):
            cited = {c.passage_id for c in citations if c.doc == doc}
            shown = _window(self._passages.get(doc, []), cited, self.context)
            sections.append(
                f'<section class="qb-doc"><h3 class="qb-doc-title">{html.escape(doc)}</h3>'
                f"{_turns_html(self.index.source(doc), shown, numbered)}</section>"
            )
        close = (
            '<button class="qb-close" type="button" aria-label="Close the source">\u00d7</button>'
        )
        return f'<div class="qb-source" id="qb-source">{close}{"".join(sections)}</div>'


def _window(passages: list[Passage], cited: set[str], context: int) -> list[Passage | None]:
    """Return the passages within `context` of a cited one, with None where a run is left out."""
    rows = [i for i, p in enumerate(passages) if p.id in cited]
    keep = {j for i in rows for j in range(i - context, i + context + 1)}
    shown: list[Passage | None] = []
    for i, p in enumerate(passages):
        if i in keep:
            shown.append(p)
        elif not shown or shown[-1] is not None:
            shown.append(None)
    return shown


def _turns_html(
    source: str, shown: list[Passage | None], numbered: list[tuple[int, Citation]]
) -> str:
    """Return consecutive passages of one turn grouped under their speaker."""
    out, turn = [], None
    for p in shown:
        key = None if p is None else p.turn
        if key != turn and turn is not None:
            out.append("</div>")
        if p is None:
            out.append('<p class="qb-gap">\u2026 passages left out \u2026</p>')
        elif key != turn:
            out.append(
                f'<div class="qb-turn qb-role-{html.escape(p.role)}">'
                f'<div class="qb-speaker">{html.escape(p.speaker_label)}</div>'
            )
        if p is not None:
            cites = [(n, c) for n, c in numbered if c.passage_id == p.id]
            out.append(_passage_html(source, p, cites))
        turn = key
    if turn is not None:
        out.append("</div>")
    return "".join(out)


def _passage_html(source: str, p: Passage, cites: list[tuple[int, Citation]]) -> str:
    """Return one passage with its cited quotes marked and numbered."""
    body, cursor = [], p.start
    for n, c in sorted(cites, key=lambda nc: nc[1].start):
        start, end = max(c.start, cursor, p.start), min(c.end, p.end)
        if start < end:
            body.append(_text(source[cursor:start]))
            body.append(f'<mark class="qb-quote">{_text(source[start:end])}</mark>')
            cursor = end
        body.append(f'<sup class="qb-n">[{n}]</sup>')
    body.append(_text(source[cursor : p.end]))
    cls = "qb-passage qb-cited" if cites else "qb-passage"
    return (
        f'<p class="{cls}" id="{anchor_id(p.id)}" data-passage="{html.escape(p.id)}">'
        f'<span class="qb-pid">{html.escape(p.id)}</span> {"".join(body)}</p>'
    )


def _text(source_slice: str) -> str:
    """Return a slice of the source as HTML text: escaped, with spaces that can wrap."""
    return html.escape(source_slice.translate(_WRAPPING_SPACES))
