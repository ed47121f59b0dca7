"""Spelling correction against a corpus vocabulary ("meetng" -> "meeting").

A symmetric-delete index (as in SymSpell): every vocabulary word is stored under itself and
each string one deletion away; a query word's own deletions then find every vocabulary word
within two edits, and the closest (optimal string alignment distance) wins, the more frequent
on a tie. Words of four letters or fewer are corrected only one edit away.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping


class Speller:
    """Corrects words to the nearest word of a vocabulary (word -> count; words of letters
    only, longer than two, are kept)."""

    def __init__(self, frequency: Mapping[str, int]) -> None:
        self.frequency = {w: n for w, n in frequency.items() if w.isalpha() and len(w) > 2}
        self._deletes: dict[str, set[str]] = defaultdict(set)
        for word in self.frequency:
            for key in _deletions(word):
                self._deletes[key].add(word)

    def __contains__(self, word: str) -> bool:
        return word in self.frequency

    def correct(self, word: str) -> str | None:
        """Return the vocabulary word closest to `word`, or None when none is close enough."""
        if word in self.frequency or not word.isalpha() or len(word) < 3:
            return None
        limit = 1 if len(word) <= 4 else 2
        candidates = set().union(*(self._deletes.get(k, ()) for k in _deletions(word)))
        best = None
        for cand in candidates:
            d = distance(word, cand)
            if d <= limit:
                key = (d, -self.frequency[cand], cand)
                best = min(best, key) if best else key
        return best[2] if best else None


def _deletions(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def distance(a: str, b: str) -> int:
    """Return the optimal string alignment distance (Levenshtein plus adjacent transposition)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]
