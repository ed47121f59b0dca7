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
from itertools import chain

import numpy as np

from .document_cache import passage_terms
from .records import Document, Passage
from .spelling import Speller
from .text import stem, token_counts

LEXICON_VERSION = 1
K1, B = 1.5, 0.75  # rank_bm25's BM25Okapi defaults


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
    bm25 = okapi_bm25(terms, len(passages))
    return Lexicon(dict(words), bm25, answer_routes(passages))


def answer_routes(passages: Sequence[Passage]) -> dict[int, tuple[int, ...]]:
    """Return the rows of the answers to each question turn's passages (by row in `passages`)."""
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
    return {q: tuple(a) for q, a in answers.items()}


def okapi_bm25(terms: Iterable[Mapping[str, int]], n: int) -> BM25:
    """Return BM25 statistics of `n` passages, given each one's content-term counts, as
    rank_bm25's `BM25Okapi` computes them (see `_okapi`), reading one passage at a time:
    BM25Okapi holds every passage's token list and counts at once."""
    rows: dict[str, list[int]] = defaultdict(list)
    counts: dict[str, list[int]] = defaultdict(list)
    doc_len = np.zeros(n, dtype=np.int64)
    for row, freqs in enumerate(terms):
        doc_len[row] = sum(freqs.values())
        for token, tf in freqs.items():
            rows[token].append(row)
            counts[token].append(tf)
    postings = {t: (np.asarray(rows[t], np.int64), np.asarray(counts[t], np.int64)) for t in rows}
    return _okapi(postings, doc_len)


def _okapi(postings: dict[str, tuple[np.ndarray, np.ndarray]], doc_len: np.ndarray) -> BM25:
    """Return the BM25 statistics of passages of lengths `doc_len` with `postings`: rank_bm25's
    idf, with its floor of 0.25 of the mean idf for words in over half the passages. The mean
    is summed exactly (`math.fsum`), so it does not depend on the order of the words."""
    n = len(doc_len)
    idf = {t: math.log(n - len(r) + 0.5) - math.log(len(r) + 0.5) for t, (r, _) in postings.items()}
    floor = 0.25 * math.fsum(idf.values()) / len(idf) if idf else 0.0
    idf = {t: v if v >= 0 else floor for t, v in idf.items()}
    avgdl = float(doc_len.sum()) / n if n else 0.0
    return BM25(K1, B, avgdl, doc_len, idf, postings)


def updated_lexicon(
    previous: dict,
    new_row: np.ndarray,
    passages: Sequence[Passage],
    added: Mapping[int, Mapping[str, int]],
    words_out: Counter[str],
    words_in: Counter[str],
) -> Lexicon:
    """Return the lexicon of `passages` from `previous` (the JSON form of an earlier index's
    lexicon, `Lexicon.to_json`) without counting the passages both share again: previous
    passage i is passage `new_row[i]` now (-1: gone), the rows of `added` are new with those
    content-term counts, and the documents' word counts lost `words_out` and gained `words_in`.
    Equal to `build_lexicon` of the same passages (the words in another order).

    Raises ValueError, KeyError, TypeError or IndexError when `previous` is malformed or does
    not fit `new_row`.
    """
    if previous.get("version") != LEXICON_VERSION:
        raise ValueError(f"lexicon version {previous.get('version')}")
    words = Counter({w: int(n) for w, n in previous["words"].items()})
    words.subtract(words_out)
    words.update(words_in)
    if any(n < 0 for n in words.values()):
        raise ValueError("the words removed were not counted")
    b = previous["bm25"]
    old_len = np.asarray(b["doc_len"], np.int64)
    if old_len.shape != new_row.shape:
        raise ValueError("its passages are not the previous index's")
    names, lists = list(b["postings"]), list(b["postings"].values())
    sizes = np.fromiter((len(r) for r, _ in lists), np.int64, len(lists))
    if any(len(r) != len(c) for r, c in lists):
        raise ValueError("postings of unequal lengths")
    total = int(sizes.sum())
    rows = np.fromiter(chain.from_iterable(r for r, _ in lists), np.int64, total)
    counts = np.fromiter(chain.from_iterable(c for _, c in lists), np.int64, total)
    if total and (rows.min() < 0 or rows.max() >= len(new_row) or counts.min() < 1):
        raise ValueError("postings out of range")
    token = np.repeat(np.arange(len(names)), sizes)
    rows = new_row[rows]
    kept = rows >= 0
    token, rows, counts = [token[kept]], [rows[kept]], [counts[kept]]
    doc_len = np.zeros(len(passages), np.int64)
    doc_len[new_row[new_row >= 0]] = old_len[new_row >= 0]
    number = {t: i for i, t in enumerate(names)}
    for row, freqs in added.items():
        doc_len[row] = sum(freqs.values())
        token.append(np.fromiter((number.setdefault(t, len(number)) for t in freqs), np.int64))
        rows.append(np.full(len(freqs), row, np.int64))
        counts.append(np.fromiter(freqs.values(), np.int64, len(freqs)))
    token, rows, counts = (np.concatenate(a) for a in (token, rows, counts))
    order = np.lexsort((rows, token))
    token, rows, counts = token[order], rows[order], counts[order]
    bounds = np.searchsorted(token, np.arange(len(number) + 1)).tolist()
    postings = {
        t: (rows[bounds[i] : bounds[i + 1]], counts[bounds[i] : bounds[i + 1]])
        for i, t in enumerate(number)
        if bounds[i + 1] > bounds[i]
    }
    return Lexicon(+words, _okapi(postings, doc_len), answer_routes(passages))
