"""The answer normalisation and no-answer rule of the official SQuAD 2.0 evaluation script
(`evaluate-v2.0.py`, Rajpurkar et al. 2018), shared by `exact_match` and `f1`.

`normalize_answer(s)`: lower-case; remove every character of Python's `string.punctuation`
(ASCII punctuation only: typographic quotes such as ’ “ ” are kept, as upstream); replace the
words a, an, the (`\\b(a|an|the)\\b`) by a space; join the whitespace-split words with one space.

No-answer rule: a gold answer that normalises to "" is dropped; if none is left (an
unanswerable question) the only gold answer is the empty string. quotebot maps an abstention
to the empty prediction "", and any other answer to its `full_text` (lead-in plus quotes).
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(s: str) -> str:
    """Return `s` lower-cased, without ASCII punctuation and articles, whitespace collapsed."""
    text = s.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def get_tokens(s: str) -> list[str]:
    """Return the tokens of `normalize_answer(s)` (none for an empty string)."""
    if not s:
        return []
    return normalize_answer(s).split()


def gold_answers(answers: Sequence[str]) -> list[str]:
    """Return the gold answers that survive normalisation, or `[""]` when none does."""
    kept = [a for a in answers if normalize_answer(a)]
    return kept or [""]


def prediction_text(abstained: bool, full_text: str) -> str:
    """Return the prediction scored: "" for an abstention, else the answer's full text."""
    return "" if abstained else full_text
