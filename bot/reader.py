"""The LLM's reading (`Settings.reader`, off by default): an LLM reads the best candidate
sentences and says which one answers the question, or that none does.

The sentence model ranks by what it can measure (cosines, overlap, answer types, roles); it
cannot read whether a sentence answers. With a reader, the selector shows the LLM the
`ReaderModel.candidates` best quotable sentences, numbered, each with its speaker, and "[0]
none of these" (prompts/read.v1.txt); the probability of each number as the reply's first
token comes from the model's log probabilities. The sentences are then re-ranked by their
log-odds plus `weight` times the log of the reader's probability (relative to an even choice),
and the answer quotes the first of them first, then those the models found nearly as likely
as it. The reader reads only when the answerability model answers, and changes neither that
decision nor the confidence: calibrated with the reader, they abstained on more answerable
questions than they saved (docs/llm.md). `python -m bench.reader` chooses the weight on the
dev documents. A reader that fails or times out leaves the answer as the models made it.

Backends are those of the generated answers (bot/llm.py): the local Qwen2.5-Coder-1.5B, or an
OpenAI-compatible server that returns log probabilities. Reading takes one prompt of 300-900
tokens and one generated token: a median of 5-6 s an answer on 2 cores with the local model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from quotebot import prompts

from .scorer import ModelFileError

# alternatives asked for the first token: enough to hold every number shown
TOP_LOGPROBS = 20


@dataclass(frozen=True)
class ReaderModel:
    """How the reader's probabilities change the answer: the sentences shown, and the weight
    of the reader's log-probability in their ranking."""

    candidates: int
    weight: float

    def to_json(self) -> dict:
        """Return the JSON form that `from_json` reads."""
        return {"candidates": self.candidates, "weight": self.weight}

    @classmethod
    def from_json(cls, data: dict) -> ReaderModel:
        """Return the model in `data`; raise ModelFileError when it does not fit."""
        try:
            candidates = int(data["candidates"])
            if not 1 <= candidates <= 9:  # a one-digit number each
                raise ValueError(f"{candidates} candidates, not 1 to 9")
            return cls(candidates, float(data["weight"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed reader model: {exc}") from exc


# question, [(speaker or None, sentence)] -> P(0), P(1), ..., P(n), or None when unread
Read = Callable[[str, Sequence[tuple[str | None, str]]], tuple[float, ...] | None]


def numbered(sentences: Sequence[tuple[str | None, str]]) -> str:
    """Return the sentences as the prompt shows them: "[0] None ..." then "[n] (speaker) text",
    each on one line."""
    lines = ["[0] None of these sentences answers the question."]
    for n, (speaker, text) in enumerate(sentences, 1):
        lines.append(f"[{n}] ({speaker or 'unnamed'}) {' '.join(text.split())}")
    return "\n".join(lines)


def choice_probabilities(message, n: int) -> tuple[float, ...] | None:
    """Return P(0..n) from the first token's alternatives in `message` (a LangChain AIMessage
    with OpenAI-style `logprobs` in its response metadata), normalised over the numbers; None
    when no number is among them."""
    content = (message.response_metadata.get("logprobs") or {}).get("content") or []
    if not content:
        return None
    p = [0.0] * (n + 1)
    for alternative in content[0].get("top_logprobs") or ():
        token = str(alternative.get("token", "")).strip().strip("[]")
        if token.isdigit() and int(token) <= n:
            p[int(token)] += math.exp(float(alternative["logprob"]))
    total = sum(p)
    return tuple(x / total for x in p) if total > 0 else None


class Reader:
    """Asks a chat model which numbered sentence answers a question (see the module's text).
    `make_chat` builds the model on first use; any failure reads as None."""

    def __init__(self, make_chat: Callable) -> None:
        self.prompt = prompts.load("read")
        self._make_chat = make_chat
        self._chat = None

    def __call__(
        self, question: str, sentences: Sequence[tuple[str | None, str]]
    ) -> tuple[float, ...] | None:
        """Return P(0..n) for the `sentences` (n of them) and `question`, or None."""
        messages = self.prompt.render(question=question, sentences=numbered(sentences))
        try:
            if self._chat is None:
                self._chat = self._make_chat()
            reply = self._chat.invoke(
                messages, max_tokens=1, logprobs=True, top_logprobs=TOP_LOGPROBS
            )
        except Exception:  # LLMError, a time limit, a server's own (connection, HTTP status)
            return None
        return choice_probabilities(reply, len(sentences))


def make_reader(settings) -> Reader | None:
    """Return the Reader for `settings.reader`, or None for "none"."""
    if settings.reader == "none":
        return None
    from .llm import local_chat, openai_chat

    factory = {"local": local_chat, "openai": openai_chat}[settings.reader]
    return Reader(lambda: factory(settings, max_tokens=1))


def shown(logits: np.ndarray, candidates: int) -> np.ndarray:
    """Return the candidates the reader is shown: the `candidates` best that may be quoted
    (finite log-odds), best first."""
    allowed = np.flatnonzero(np.isfinite(logits))
    return allowed[np.argsort(-logits[allowed], kind="stable")][:candidates]


def first_choice(
    logits: np.ndarray, order: Sequence[int], read: tuple[float, ...], weight: float
) -> int:
    """Return the candidate first once the reading `read` of those at `order` has moved them
    (`reread`)."""
    return int(np.argmax(reread(logits, order, read, weight)))


def reread(
    logits: np.ndarray, order: Sequence[int], read: tuple[float, ...], weight: float
) -> np.ndarray:
    """Return `logits` with the candidates at `order` (those shown, in the order shown) moved
    by `weight` times the log of the reader's probability of each, relative to an even choice
    among them (`read` is P(0), P(1), ...)."""
    out = logits.copy()
    share = np.asarray(read[1:], dtype=np.float64)
    share = share / max(share.sum(), 1e-12)
    out[list(order)] += weight * np.log(np.maximum(share * len(order), 1e-6))
    return out
