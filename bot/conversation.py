"""Conversation history: earlier turns, read from chat messages or a JSON file."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from quotebot.errors import QuestionError
from quotebot.jsonio import JSONInputError, loads

from .records import Answer


@dataclass(frozen=True)
class Turn:
    """One earlier exchange: the question as asked, the search text it resolved to, and the
    passages its answer cited (empty when the history came from plain messages)."""

    question: str
    answer: str = ""
    passage_ids: tuple[str, ...] = ()
    query: str = ""

    @classmethod
    def of(cls, answer: Answer) -> Turn:
        """Return the turn that `answer` adds to a conversation."""
        return cls(
            answer.question,
            answer.text,
            tuple(c.passage_id for c in answer.citations),
            answer.query or answer.question,
        )


def turns_from_messages(messages: Iterable[dict]) -> list[Turn]:
    """Return turns from `[{"role": "user"|"assistant", "content": str}, ...]` messages."""
    turns: list[Turn] = []
    for m in messages:
        if not isinstance(m, dict) or "role" not in m or "content" not in m:
            raise QuestionError('history items must be {"role": ..., "content": ...}')
        content = m["content"] if isinstance(m["content"], str) else str(m["content"])
        if m["role"] == "user":
            turns.append(Turn(content))
        elif m["role"] == "assistant" and turns and not turns[-1].answer:
            last = turns[-1]
            turns[-1] = Turn(last.question, content, last.passage_ids, last.query)
    return turns


def as_turns(history: Sequence[Turn | dict]) -> list[Turn]:
    """Return `history` as turns, whether it holds turns or role/content messages."""
    if all(isinstance(h, Turn) for h in history):
        return list(history)
    return turns_from_messages(history)


def read_history(path: Path) -> list[Turn]:
    """Return the turns in a JSON file of role/content messages."""
    try:
        data = loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise QuestionError(f"{path}: cannot read the history file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise QuestionError(f"{path}: the history file is not UTF-8 (byte {exc.start})") from exc
    except JSONInputError as exc:
        raise QuestionError(f"{path}: the history file is {exc}") from exc
    if not isinstance(data, list):
        raise QuestionError(f"{path}: the history must be a JSON list of messages")
    return turns_from_messages(data)
