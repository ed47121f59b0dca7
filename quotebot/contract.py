"""The `ask --json` contract: one answer as JSON, described by `answer.schema.json` beside this
module. `answer` is the readable answer on its own (the lead-in and each quote with its citation
mark, or the checked generated text, which carries its marks); `citations` are beside it."""

from __future__ import annotations

from pathlib import Path

from quotebot.bot.records import Answer, GeneratedAnswer

CONTRACT_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("answer.schema.json")


def readable(answer: Answer) -> str:
    """Return the answer as one text a person reads: `Yury Ushakov said: “…” [1]`, or the
    generated text (which carries its own marks). When the quotes have different speakers,
    each names its own: `“…” [1] (Journalist (question)) “…” [2] (Karoline Leavitt)`."""
    if not answer.citations or isinstance(answer, GeneratedAnswer):
        return answer.text
    named = len({c.speaker_label for c in answer.citations}) > 1
    quotes = " ".join(
        f"\u201c{c.quote}\u201d [{n}]" + (f" ({c.speaker_label})" if named else "")
        for n, c in enumerate(answer.citations, 1)
    )
    return f"{answer.text} {quotes}".strip()


def answer_json(answer: Answer) -> dict:
    """Return the contract for `answer`."""
    return {"version": CONTRACT_VERSION, **answer.to_json(), "answer": readable(answer)}
