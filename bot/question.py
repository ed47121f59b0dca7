"""Question preparation: cleaning, language, requests to do something else, follow-ups, and
what the corpus's lexicon says about its words (misspellings, names it never uses)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from quotebot.index.dictionary import is_english_word
from quotebot.index.lexicon import Lexicon
from quotebot.index.text import (
    STOPWORDS,
    content_tokens,
    fold,
    normalise,
    stem,
    strip_control,
    tokens,
)

from quotebot.errors import QuestionError

from .conversation import Turn
from .language import detect

_WORD = re.compile(r"[^\W\d_]+")
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
    r"|\b(system prompt|jailbreak|developer mode|you are now|pretend (to be|you)|roleplay)\b"
    # "act as" told to the bot, not a statute read as one ("the Anti-Injunction Act as ...")
    r"|(^|[.!;:,]\s*|\b(please|now|you to|you will|you must|you should)\s+)act as\b"
    r"|\bas (saying|verbatim)\b|\bpresent (it|this|that) as\b|\bput words\b"
    r"|^\s*(please\s+)?(write|compose|generate|draw|translate|code|create|make up|invent|sing|"
    r"tell me a (joke|story)|print|output|repeat after)\b"
    r"|\b(poem|song|haiku|joke|limerick|essay|python code|sql)\b"
    r"|игнорируй|забудь (все|свои)|напиши (стих|песню|код)",
    re.IGNORECASE,
)

# A message that is only a greeting, thanks or goodbye: answered with what quotebot does, not
# with a quote that happens to match "hello".
_SMALL_TALK = re.compile(
    r"^\W*(hi|hello|hey|hiya|greetings|good (morning|afternoon|evening|day)|thanks?|thank you|"
    r"many thanks|cheers|ok(ay)?|cool|great|nice|bye|goodbye|see you|bonjour|salut|merci|"
    r"hallo|guten tag|danke|hola|gracias|привет|здравствуйте|спасибо)"
    r"(\s+(there|all|everyone|again|a lot|so much|very much|you|quotebot|bot))*\W*$",
    re.IGNORECASE,
)


_QUOTED = re.compile(r"“([^“”]+)”")  # a quote in an answer's text
# "What did Kirby say about <his mistake over notifying Iraq>?": the frame asks for someone's
# words, the topic is what they are about. Embedded whole, the frame matches the sentences that
# talk about talking ("I'm sure many of you saw the statement that I issued") over the ones that
# say something about the topic. Verbs of saying only: "How did they respond to X?" asks for a
# reaction, which the words "respond to" help find.
_SAYING_FRAME = re.compile(
    r"^\s*(?:what|how)\s+(?:did|does|do|has|have|had|will|would|is|was)\s+.{1,60}?\s+"
    r"(?:say|said|tell|think|feel|mention|explain|add|note|argue|claim|suggest|describe)"
    r"(?:\s+(?:us|reporters|the \w+))?\s+(?:about|on|regarding|concerning|of|to)\s+"
    r"(?P<topic>.+?)\s*\??\s*$",
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
    carried_quotes: tuple[str, ...] = ()  # what the earlier answer quoted (its “...” spans)
    earlier_answer: str = ""  # the earlier answer's text, for a follow-up
    is_request: bool = False
    small_talk: bool = False  # a greeting or thanks, not a question
    unknown_names: tuple[str, ...] = ()  # capitalised words the corpus never uses
    uncorrected: str = ""  # the search text before spelling correction, when it changed
    doc: str | None = None  # the one document the question is about (None: every document)

    @property
    def text(self) -> str:
        """Return everything searched: the question and, for a follow-up, the earlier turn."""
        return f"{self.search} {self.previous}".strip()

    @property
    def embedded(self) -> str:
        """Return what the embedders read for the question: `search`, or only its topic when it
        asks what someone said about it (`topic`); BM25 and the features read all of it."""
        return topic(self.search)

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


def prepare(question: str, history: Sequence[Turn], max_chars: int, lexicon: Lexicon) -> Query:
    """Return the Query for `question`: resolved against the last turn when it is a
    follow-up, spelling-corrected and with its unknown names found by `lexicon`."""
    query = parse(question, history, max_chars)
    query = correct_spelling(query, lexicon)
    return replace(query, unknown_names=unknown_names(query, lexicon))


def parse(question: str, history: Sequence[Turn], max_chars: int) -> Query:
    """Return the Query for `question` by the rules alone (no corpus): cleaned, its language,
    whether it is a request, and a follow-up resolved against the last turn."""
    text = clean(question, max_chars)
    language = detect(text)
    is_request = bool(_REQUEST.search(text))
    if _SMALL_TALK.match(text):
        return Query(text, language, text, small_talk=True)
    last = history[-1] if history else None
    if last is not None and not is_request and is_follow_up(text):
        previous = last.query or last.question
        quotes = tuple(normalise(q) for q in _QUOTED.findall(last.answer))
        return Query(text, language, text, previous, last.passage_ids, quotes, last.answer)
    return Query(text, language, text, is_request=is_request)


def correct_spelling(query: Query, lexicon: Lexicon) -> Query:
    """Return `query` with misspelt words corrected in its search text: words that neither the
    corpus nor general English uses, and that are close to a corpus word; English only."""
    if query.language != "en":
        return query

    def fix(match: re.Match) -> str:
        word = match.group()
        folded = word.casefold()
        if folded in STOPWORDS or stem(folded) in lexicon.stems or is_english_word(folded):
            return word  # known, a form of a known word ("envoys"), or English ("land")
        better = lexicon.speller.correct(folded)
        if better is None:
            return word
        return better.capitalize() if word[:1].isupper() else better

    search = _WORD.sub(fix, query.search)
    if search == query.search:
        return query
    return replace(query, search=search, uncorrected=query.search)


def unknown_names(query: Query, lexicon: Lexicon) -> tuple[str, ...]:
    """Return names in the question (capitalised words after the first) that the corpus
    never mentions: "What did Zelensky say?" asks about someone the statement doesn't."""
    if query.language != "en":
        return ()
    names = []
    for word in query.search.split()[1:]:
        for token in tokens(word):
            if (
                word[:1].isupper()
                and len(token) > 2
                and token not in STOPWORDS
                and fold(token) not in lexicon
            ):
                names.append(word.strip("?!.,;:\"'()"))
    return tuple(names)


def topic(question: str) -> str:
    """Return what `question` is about when it asks what someone said, thought or explained
    about it (at least two content words: "the drivers" alone embeds as little), else the
    question itself."""
    match = _SAYING_FRAME.match(question)
    if match is None or len(content_tokens(match.group("topic"))) < 2:
        return question
    return match.group("topic")


def is_follow_up(text: str) -> bool:
    """Return True when `text` leans on an earlier turn: a pronoun and few content words,
    or an opener like "And ..." / "What about ...".
    """
    lowered = text.casefold()
    if lowered.startswith(_FOLLOW_UP_OPENERS):
        return True
    words = set(tokens(text))
    return bool(words & _ANAPHORA) and len(content_tokens(text)) <= 4
