"""A general English word list, so that the speller leaves correct English alone.

The list is the 82,765-word frequency dictionary that symspellpy ships (SCOWL words with Google
n-gram counts). Only its words are read, once, on the first question holding a word the corpus
does not use, or the first speaker label naming what a title is of ("Minister of Agriculture
Dmitry Patrushev"); symspellpy itself is never imported. The list holds many surnames as well
("gates", "clinton"): a word of it may still be a name.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

WORD_LIST = "frequency_dictionary_en_82_765.txt"


def is_english_word(word: str) -> bool:
    """Return True when `word` (folded) is a word of general English."""
    return word in _words()


@cache
def _words() -> frozenset[str]:
    spec = importlib.util.find_spec("symspellpy")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()  # no list: every word unknown to the corpus may be corrected
    path = Path(spec.submodule_search_locations[0]) / WORD_LIST
    with path.open(encoding="utf-8") as lines:
        return frozenset(line.split(" ", 1)[0] for line in lines)
