"""A page conversation as records: what the browser keeps across reloads, and the Markdown and
JSON downloads. A conversation read back from the browser is checked again: a citation whose
quote is not the source's text at its offsets is dropped, so only verified quotes are shown.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from quotebot.bot.records import Answer, Citation
from quotebot.bot.verify import verify

from quotebot.contract import answer_json

from .render import answer_markdown, error_markdown, escape_markdown, question_markdown

if TYPE_CHECKING:
    from quotebot.index.store import CorpusIndex

SAVED_EXCHANGES = 50  # the most recent exchanges a browser keeps
_CITATION_FIELDS = ("passage_id", "doc", "speaker", "role", "start", "end", "quote")


@dataclass(frozen=True)
class Exchange:
    """One question and what the page replied: an answer, or an error to act on; `reply` is
    the chat message, rendered once."""

    question: str
    reply: str
    answer: Answer | None = None

    @classmethod
    def answered(cls, question: str, answer: Answer) -> Exchange:
        """Return the exchange of an answer."""
        return cls(question, answer_markdown(answer), answer)

    @classmethod
    def refused(cls, question: str, message: str) -> Exchange:
        """Return the exchange of a question that got an error message instead of an answer."""
        return cls(question, error_markdown(message))


def messages(exchanges: list[Exchange]) -> list[dict[str, Any]]:
    """Return the chat messages for `exchanges`: each question, then its reply."""
    out: list[dict[str, Any]] = []
    for e in exchanges:
        out.append({"role": "user", "content": question_markdown(e.question)})
        out.append({"role": "assistant", "content": e.reply})
    return out


def saved(exchanges: list[Exchange]) -> list[dict]:
    """Return the answered exchanges as the browser keeps them (the latest SAVED_EXCHANGES)."""
    out = []
    for e in exchanges:
        if e.answer is None:
            continue
        a = e.answer
        out.append(
            {
                "question": e.question,
                "text": a.text,
                "abstained": a.abstained,
                "notice": a.notice,
                "query": a.query,
                "citations": [asdict(c) for c in a.citations],
            }
        )
    return out[-SAVED_EXCHANGES:]


def restored(data: object, index: CorpusIndex) -> list[Exchange]:
    """Return the exchanges in `data` (as `saved` wrote them), keeping only citations that
    verify against the index; anything malformed is left out."""
    if not isinstance(data, list):
        return []
    out = []
    for item in data[-SAVED_EXCHANGES:]:
        answer = _answer(item, index)
        if answer is not None:
            out.append(Exchange.answered(item["question"], answer))
    return out


def _answer(item: object, index: CorpusIndex) -> Answer | None:
    if not isinstance(item, dict):
        return None
    question, text, notice = item.get("question"), item.get("text"), item.get("notice")
    cites = item.get("citations")
    if not (isinstance(question, str) and isinstance(text, str) and isinstance(cites, list)):
        return None
    citations = [c for c in (_citation(c, index) for c in cites) if c is not None]
    return Answer(
        question,
        text,
        citations,
        abstained=not citations,
        notice=notice if isinstance(notice, str) else None,
        query=item["query"] if isinstance(item.get("query"), str) else question,
    )


def _citation(data: object, index: CorpusIndex) -> Citation | None:
    """Return the citation in `data` if it is one of the index's passages, by its speaker, and
    its quote is the source's text at its offsets; else None."""
    if not isinstance(data, dict) or set(data) != set(_CITATION_FIELDS):
        return None
    try:
        c = Citation(**data)
        p = index.passage(c.passage_id)
    except (TypeError, KeyError):
        return None
    if not (isinstance(c.start, int) and isinstance(c.end, int) and isinstance(c.quote, str)):
        return None
    same = (c.doc, c.speaker, c.role) == (p.doc, p.speaker, p.role)
    inside = p.start <= c.start < c.end <= p.end
    return c if same and inside and verify(c, index.source(c.doc)) else None


def transcript_markdown(exchanges: list[Exchange]) -> str:
    """Return the conversation as Markdown: each question, the answer, and each quote with its
    speaker, document, passage and character offsets."""
    parts = ["# quotebot conversation"]
    for e in exchanges:
        parts.append(f"## {escape_markdown(e.question)}")
        if e.answer is None:
            parts.append(e.reply)
            continue
        if e.answer.notice:
            parts.append(f"**Note:** {escape_markdown(e.answer.notice)}")
        parts.append(escape_markdown(e.answer.text))
        for n, c in enumerate(e.answer.citations, 1):
            parts.append(
                f"> \u201c{escape_markdown(c.quote)}\u201d\n>\n"
                f"> \u2014 **{escape_markdown(c.speaker_label)}**, \\[{n}\\] document "
                f"`{c.doc}`, passage `{c.passage_id}`, characters {c.start}\u2013{c.end}"
            )
    return "\n\n".join(parts) + "\n"


def transcript_json(exchanges: list[Exchange]) -> str:
    """Return the conversation as JSON: each question with its answer in the `ask --json`
    contract (or null, with the error shown)."""
    items = [
        {
            "question": e.question,
            "answer": answer_json(e.answer) if e.answer is not None else None,
            "error": None if e.answer is not None else e.reply,
        }
        for e in exchanges
    ]
    return json.dumps({"conversation": items}, ensure_ascii=False, indent=2) + "\n"
