"""Question preparation: cleaning, language, requests to do something else, and follow-ups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from quotebot.index.text import content_tokens, is_cyrillic, normalise, strip_control, tokens

from quotebot.errors import QuestionError

from .conversation import Turn

# Words that point back to an earlier turn ("Was a compromise reached on it?").
_ANAPHORA = frozenset(
    "it its this that these those they them their he him his she her there such "
    "это этом этого эту он она они оно его её ее их ним ней нём нем там этим".split()
)
_FOLLOW_UP_OPENERS = (
    "and ",
    "but ",
    "so ",
    "also",
    "what about",
    "how about",
    "why",
    "а ",
    "и ",
    "но ",
    "почему",
)
# Requests to do something other than answer from the statement, or to change the rules.
_REQUEST = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instruction|rule|prompt|above|previous)"
    r"|\b(system prompt|jailbreak|developer mode|you are now|pretend (to be|you)|act as|roleplay)\b"
    r"|\bas (saying|verbatim)\b|\bpresent (it|this|that) as\b|\bput words\b"
    r"|^\s*(please\s+)?(write|compose|generate|draw|translate|code|create|make up|invent|sing|"
    r"tell me a (joke|story)|print|output|repeat after)\b"
    r"|\b(poem|song|haiku|joke|limerick|essay|python code|sql)\b"
    r"|игнорируй|забудь (все|свои)|напиши (стих|песню|код)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Query:
    """A cleaned question, ready for retrieval."""

    question: str
    language: str
    search: str  # what is searched: the question, spelling-corrected against the corpus
    previous: str = ""  # the earlier turn's search text, for a follow-up
    carried_ids: tuple[str, ...] = ()  # passages the earlier answer cited
    is_request: bool = False

    @property
    def text(self) -> str:
        """Return everything searched: the question and, for a follow-up, the earlier turn."""
        return f"{self.search} {self.previous}".strip()

    @property
    def is_follow_up(self) -> bool:
        """Return True when the question was resolved against an earlier turn."""
        return bool(self.previous)


def clean(question: str, max_chars: int) -> str:
    """Return the question without control characters, normalised.

    Raises QuestionError when it is empty or longer than `max_chars`.
    """
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    text = normalise(strip_control(question))
    if not text:
        raise QuestionError("the question is empty: type a question about the statement")
    if len(text) > max_chars:
        raise QuestionError(
            f"the question is {len(text):,} characters long; the limit is {max_chars:,}"
        )
    return text


def prepare(question: str, history: Sequence[Turn], max_chars: int) -> Query:
    """Return the Query for `question`, resolving a follow-up against the last turn."""
    text = clean(question, max_chars)
    language = "ru" if is_cyrillic(text) else "en"
    is_request = bool(_REQUEST.search(text))
    last = history[-1] if history else None
    if last is not None and not is_request and is_follow_up(text):
        previous = last.query or last.question
        return Query(text, language, text, previous, last.passage_ids)
    return Query(text, language, text, is_request=is_request)


def is_follow_up(text: str) -> bool:
    """Return True when `text` leans on an earlier turn: a pronoun and few content words,
    or an opener like "And ..." / "What about ...".
    """
    lowered = text.casefold()
    if lowered.startswith(_FOLLOW_UP_OPENERS):
        return True
    words = set(tokens(text))
    return bool(words & _ANAPHORA) and len(content_tokens(text)) <= 4
