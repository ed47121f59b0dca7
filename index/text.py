"""The one normalisation rule, and the tokeniser used for lexical matching.

The rule (used for passage text, sentence text, quotes and their verification):
  1. Unicode NFC;
  2. every run of whitespace, including non-breaking spaces (U+00A0, U+202F, U+2007),
     tabs and line breaks (LF, CRLF, CR), becomes one ASCII space;
  3. leading and trailing whitespace is removed.
Nothing else changes: punctuation, curly quotes, case and digits stay as they are, so a
sentence and its negation never normalise to the same text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

_WORD = re.compile(r"[0-9]+|[^\W\d_]+", re.UNICODE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# a word of a name: capitalised, accents allowed ("Niinistö", "Erdoğan")
NAME_WORD = re.compile(r"\b[A-ZÀ-ÖØ-ÞĀ-ſ][a-zß-öø-ÿĀ-ſ]+\b")

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being both but
    by can could did do does doing during each few for from further had has have having he her
    here hers him his how i if in into is it its itself just let me more most my no nor not now
    of off on once only or other our ours out over own same she should so some such than that
    the their them then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yury ushakov
    s t don didn won isn wasn
    say says said tell told talk talked speak spoke spoken mention mentioned state stated
    statement think thought""".split()
)


def normalise(text: str) -> str:
    """Return `text` under the normalisation rule stated in this module's docstring."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def strip_control(text: str) -> str:
    """Return `text` without C0/C1 control characters (tabs and newlines become spaces)."""
    return _CONTROL.sub("", text.replace("\t", " ").replace("\r", " ").replace("\n", " "))


def fold(text: str) -> str:
    """Return a search key: normalised, lower-cased, with typographic apostrophes made plain."""
    return normalise(text).casefold().replace("\u2019", "'").replace("\u2018", "'")


def tokens(text: str) -> list[str]:
    """Return the lexical tokens of `text` (folded words and numbers) for BM25 and overlap."""
    return _WORD.findall(fold(text))


def token_counts(text: str, chunk: int = 1 << 20) -> Counter[str]:
    """Return how often each token of `tokens(text)` occurs, folding `text` in pieces of about
    `chunk` characters cut at whitespace (no token spans one): a 50 MB file has millions of
    words, and `fold` of it at once would hold them all as a list."""
    counts: Counter[str] = Counter()
    start = 0
    while start < len(text):
        end = min(len(text), start + chunk)
        while end < len(text) and not text[end].isspace():
            end += 1
        counts.update(m.group() for m in _WORD.finditer(fold(text[start:end])))
        start = end
    return counts


def content_tokens(text: str) -> list[str]:
    """Return `tokens(text)` without stopwords and light-stemmed (plural and -ed/-ing endings)."""
    return [stem(t) for t in tokens(text) if t not in STOPWORDS]


@lru_cache(maxsize=1 << 17)  # a corpus repeats its words: 540,000 calls for 1,000 statements
def stem(word: str) -> str:
    """Return a crude stem so that "discussed", "discussions" and "discuss" meet."""
    for suffix in ("ations", "ation", "ions", "ion", "ings", "ing", "ies", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def is_cyrillic(text: str) -> bool:
    """Return True when most letters of `text` are Cyrillic."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    cyr = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    return cyr / len(letters) > 0.5
