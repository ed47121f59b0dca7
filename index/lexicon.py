"""The lexicon: the corpus statistics built with the index and saved beside it.

It holds the vocabulary (every folded word, with its count: the speller's dictionary), the
BM25 statistics of the passages (idf, postings, lengths) and the routes from a journalist's
question to the answer passages that follow it. Saved as JSON (`lexicon.json`), no pickle.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .document_cache import passage_terms
from .records import Document, Passage
from .spelling import Speller
from .text import stem, token_counts

LEXICON_VERSION = 1


@dataclass(frozen=True, eq=False)
class BM25:
    """Okapi BM25 statistics over the passages (rank_bm25's definition and defaults)."""

    k1: float
    b: float
    avgdl: float
    doc_len: np.ndarray  # content tokens per passage
    idf: dict[str, float]
    postings: dict[str, tuple[np.ndarray, np.ndarray]]  # token -> (passage rows, counts)

    def scores(self, weights: dict[str, float], n: int) -> np.ndarray:
        """Return the weighted BM25 score of each of the `n` passages for query `weights`
        (token -> weight), computed over each token's postings only."""
        scores = np.zeros(n)
        for token, w in weights.items():
            if token not in self.idf:
                continue
            rows, tf = self.postings[token]
            norm = self.k1 * (1 - self.b + self.b * self.doc_len[rows] / self.avgdl)
            scores[rows] += w * (self.idf[token] * (tf * (self.k1 + 1) / (tf + norm)))
        return scores


@dataclass(frozen=True, eq=False)
class Lexicon:
    """What the corpus's words say, computed once when the index is built."""

    words: dict[str, int]  # folded word -> count in the documents
    bm25: BM25
    answers_of: dict[int, tuple[int, ...]]  # a question turn's passage rows -> its answer rows
    stems: frozenset[str] = field(init=False, repr=False)
    speller: Speller = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "stems", frozenset(stem(w) for w in self.words))
        object.__setattr__(self, "speller", Speller(self.words))

    def __contains__(self, word: str) -> bool:
        return word in self.words

    def to_json(self) -> dict:
        """Return the JSON form that `from_json` reads."""
        b = self.bm25
        return {
            "version": LEXICON_VERSION,
            "words": self.words,
            "bm25": {
                "k1": b.k1,
                "b": b.b,
                "avgdl": b.avgdl,
                "doc_len": b.doc_len.tolist(),
                "idf": b.idf,
                "postings": {t: [r.tolist(), c.tolist()] for t, (r, c) in b.postings.items()},
            },
            "answers_of": [[q, list(a)] for q, a in self.answers_of.items()],
        }

    @classmethod
    def from_json(cls, data: dict) -> Lexicon:
        """Return the lexicon `to_json` produced `data` from; raise ValueError on another
        version, KeyError or TypeError on a malformed one."""
        if data.get("version") != LEXICON_VERSION:
            raise ValueError(f"lexicon version {data.get('version')}, expected {LEXICON_VERSION}")
        b = data["bm25"]
        bm25 = BM25(
            float(b["k1"]),
            float(b["b"]),
            float(b["avgdl"]),
            np.asarray(b["doc_len"], dtype=np.int64),
            {t: float(v) for t, v in b["idf"].items()},
            {
                t: (np.asarray(r, np.int64), np.asarray(c, np.int64))
                for t, (r, c) in b["postings"].items()
            },
        )
        answers = {int(q): tuple(int(r) for r in a) for q, a in data["answers_of"]}
        return cls({w: int(n) for w, n in data["words"].items()}, bm25, answers)


def build_lexicon(
    documents: Sequence[Document],
    passages: Sequence[Passage],
    words: Counter[str] | None = None,
    terms: Iterable[Mapping[str, int]] | None = None,
) -> Lexicon:
    """Return the lexicon of `documents`, segmented into `passages`: from the documents' word
    counts `words` and the passages' content-term counts `terms` when given (the document
    cache's, index/document_cache.py), else counted here."""
    if words is None:
        words = sum((token_counts(d.text) for d in documents), Counter())
    if terms is None:
        terms = (passage_terms(p.text) for p in passages)
    row_of = {p.id: row for row, p in enumerate(passages)}
    turn_rows: dict[tuple[str, int], list[int]] = defaultdict(list)  # a question turn's rows
    for row, p in enumerate(passages):
        if p.role == "question":
            turn_rows[p.doc, p.turn].append(row)
    answers: dict[int, list[int]] = defaultdict(list)
    for row, p in enumerate(passages):
        if p.question_id:  # the turn's first passage: "Good afternoon, Mr President." may open
            asked = passages[row_of[p.question_id]]  # it, the question come in the next
            for q in turn_rows.get((asked.doc, asked.turn), [row_of[p.question_id]]):
                answers[q].append(row)
    bm25 = okapi_bm25(terms, len(passages))
    return Lexicon(dict(words), bm25, {q: tuple(a) for q, a in answers.items()})


def okapi_bm25(terms: Iterable[Mapping[str, int]], n: int, k1: float = 1.5, b: float = 0.75):
    """Return BM25 statistics of `n` passages, given each one's content-term counts, as
    rank_bm25's `BM25Okapi` computes them (same idf, with its floor of 0.25 of the mean idf for
    words in over half the passages), reading one passage at a time: BM25Okapi holds every
    passage's token list and counts at once."""
    rows: dict[str, list[int]] = defaultdict(list)
    counts: dict[str, list[int]] = defaultdict(list)
    doc_len = np.zeros(n, dtype=np.int64)
    for row, freqs in enumerate(terms):
        doc_len[row] = sum(freqs.values())
        for token, tf in freqs.items():
            rows[token].append(row)
            counts[token].append(tf)
    idf = {t: math.log(n - len(r) + 0.5) - math.log(len(r) + 0.5) for t, r in rows.items()}
    floor = 0.25 * sum(idf.values()) / len(idf) if idf else 0.0
    idf = {t: v if v >= 0 else floor for t, v in idf.items()}
    postings = {t: (np.asarray(rows[t], np.int64), np.asarray(counts[t], np.int64)) for t in rows}
    avgdl = float(doc_len.sum()) / n if n else 0.0
    return BM25(k1, b, avgdl, doc_len, idf, postings)
