"""Hybrid retrieval: dense FAISS search and BM25, fused by reciprocal rank, with routing from a
matched journalist's question to the answer that follows it. It only ranks: the question work
is done (bot/question.py) and the corpus statistics are the index's lexicon."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

import numpy as np
from quotebot.index.embedder import ArrayEmbeddings
from quotebot.index.store import HALF_MIN_VECTORS, CorpusIndex
from quotebot.index.text import content_tokens

from .question import Query
from .scoring import ScoringConfig

T = TypeVar("T")


@dataclass(frozen=True)
class Evidence:
    """What retrieval found for one query: fused ranking and the scores selection needs."""

    embedder: str
    query_vector: np.ndarray
    query_weights: dict[str, float]  # content token -> weight (earlier turn's tokens count less)
    # (passage row, fused score): the fused best, then each ranking's first if they missed it
    ranked: list[tuple[int, float]]
    dense: dict[int, float] = field(default_factory=dict)  # passage row -> cosine
    routed: dict[int, float] = field(default_factory=dict)  # answer row -> its question's cosine
    # the second embedder and its vector of the question (None: one embedder's evidence only)
    second: tuple[str, np.ndarray] | None = None


def fuse(rankings: Sequence[Sequence[int]], rrf_k: int) -> list[tuple[int, float]]:
    """Return rows by reciprocal rank fusion of `rankings` (each best first): a row scores
    the sum of 1 / (rrf_k + rank) over the rankings holding it; best first, ties by first
    appearance."""
    fused: dict[int, float] = defaultdict(float)
    for ranking in rankings:
        for rank, row in enumerate(ranking):
            fused[row] += 1.0 / (rrf_k + rank + 1)
    return sorted(fused.items(), key=lambda kv: kv[1], reverse=True)


def shortlist(
    rankings: Sequence[Sequence[int]], fused: list[tuple[int, float]], n: int, keep: int
) -> list[tuple[int, float]]:
    """Return the `n` best of `fused` (the fusion of `rankings`), then the first `keep` rows of
    each ranking that they miss, with their fused scores. A passage one ranking puts first can
    fall out of the fused best: 1 / 61 twice loses to four rankings' middling places (a
    question's paraphrase, first in both dense rankings and in no other, ranked 25th)."""
    best = fused[:n]
    have = {row for row, _ in best}
    missed = [row for ranking in rankings for row in ranking[:keep] if row not in have]
    if missed:  # seldom: the fused scores of every row are looked up only then
        score = dict(fused)
        for row in dict.fromkeys(missed):
            best.append((row, score[row]))
    return best


def routes(dense: Mapping[int, float], answers_of: Mapping[int, Sequence[int]]) -> dict[int, float]:
    """Return answer rows scored by how well their journalist's question matches (`dense`)."""
    routed: dict[int, float] = {}
    for row, score in dense.items():
        for answer_row in answers_of.get(row, ()):
            routed[answer_row] = max(routed.get(answer_row, 0.0), score)
    return routed


def token_weights(query: Query, follow_up_weight: float) -> dict[str, float]:
    """Return the query's content tokens with their weights: the question's, as corrected and
    as asked, count 1; an earlier turn's count `follow_up_weight`."""
    weights = dict.fromkeys(content_tokens(query.previous), follow_up_weight)
    weights.update(dict.fromkeys(content_tokens(query.uncorrected), 1.0))
    weights.update(dict.fromkeys(content_tokens(query.search), 1.0))
    return weights


class Retriever:
    """Ranks the passages of a `CorpusIndex` for a prepared `Query`."""

    def __init__(
        self,
        index: CorpusIndex,
        embedders: dict[str, ArrayEmbeddings],
        scoring: ScoringConfig,
        primary: str,
        multilingual: str | None = None,
        top_k: int = 8,
        candidates: int = 24,
        threads: int = 1,
    ) -> None:
        self.index = index
        self.embedders = embedders
        self.scoring = scoring
        self.primary = primary
        self.multilingual = multilingual
        self.top_k = top_k
        self.candidates = candidates  # passages whose sentences are scored
        # OpenMP threads of a FAISS search: one query's flat search over the 68,717 sentences
        # of 1,000 statements took 4.8 ms on one thread, 6.7 ms on two (2 cores)
        self.threads = threads
        self._scopes: dict[str, tuple[range, range]] = {}

    def embedder_for(self, query: Query) -> str:
        """Return the embedder name to use: the multilingual one for a non-English question."""
        if query.language != "en" and self.multilingual:
            return self.multilingual
        return self.primary

    def evidence(self, query: Query) -> Evidence:
        """Return the fused ranking of passages for `query` and the scores behind it."""
        cfg = self.scoring
        name = self.embedder_for(query)
        second = self._second(name, query)
        vector = self._query_vector(name, query)
        n = len(self.index.passages)
        k = min(n, max(self.candidates * cfg.search_factor, cfg.search_min))
        scope = self._scope(query.doc)
        sentence_range = scope and scope[1]
        # a large sentence index (one stored in fp16) is searched on a worker thread, beside the
        # passage search (FAISS releases the GIL): on 1,000 statements (68,831 sentences, a 4.9 ms
        # search) a warm answer's p50 went from 26.8 to 21.3 ms; a small one is searched at once
        # (tens of microseconds, less than handing it over)
        large = self.index.vectors[name].sentences.ntotal >= HALF_MIN_VECTORS
        by_sentence = _soon(large, self._by_sentence, name, vector, k, sentence_range)
        passages = self.index.vectors[name].passages
        scores, rows = _search(passages, vector, k, scope and scope[0], self.threads)
        dense = {int(r): float(s) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0}
        for pid in query.carried_ids:
            if pid in self.index.by_id:
                row = self.index.by_id[pid]
                dense[row] = dense.get(row, 0.0) + cfg.carry_bonus
        weights = token_weights(query, cfg.follow_up_weight)
        rankings = [sorted(dense, key=dense.get, reverse=True), by_sentence.result()]
        lexical = self._bm25(weights, k, scope and scope[0])
        if lexical:
            rankings.append(lexical)
        routed = routes(dense, self.index.lexicon.answers_of)
        if routed:
            rankings.append(sorted(routed, key=routed.get, reverse=True))
        fused = fuse(rankings, cfg.rrf_k)
        ranked = shortlist(rankings, fused, max(self.candidates, self.top_k), cfg.ranking_keep)
        view = None if second is None else (self.multilingual, second.result())
        return Evidence(name, vector, weights, ranked, dense, routed, view)

    def _second(self, name: str, query: Query) -> Future[np.ndarray] | None:
        """Start embedding the question with the multilingual embedder when the question is
        searched with another embedder and the index has the multilingual vectors (the
        selector reads both views); None otherwise. It runs on a worker thread while the
        first embedder's search runs (onnxruntime releases the GIL): on the seed, a warm
        answer's p50 went from 16.4 to 11.6 ms on 2 cores (the same answers)."""
        other = self.multilingual
        if other is None or other == name or other not in self.index.vectors:
            return None
        if other not in self.embedders:
            return None
        return _soon(True, self._query_vector, other, query)

    def _scope(self, doc: str | None) -> tuple[range, range] | None:
        """Return the passage rows and the sentence rows of document `doc` (None: all)."""
        if doc is None:
            return None
        if doc not in self._scopes:
            rows = [r for r, p in enumerate(self.index.passages) if p.doc == doc]
            lo, hi = rows[0], rows[-1] + 1
            assert rows == list(range(lo, hi)), "a document's passages are contiguous"
            first = self.index.first_sentence
            last = hi - 1
            sentences = range(first[lo], first[last] + len(self.index.passages[last].sentences))
            self._scopes[doc] = (range(lo, hi), sentences)
        return self._scopes[doc]

    def _by_sentence(
        self, name: str, vector: np.ndarray, k: int, scope: range | None = None
    ) -> list[int]:
        """Return passage rows ordered by their best-matching sentence (within `scope`)."""
        sentences = self.index.vectors[name].sentences
        depth = min(sentences.ntotal, k * self.scoring.sentence_search_factor)
        _, rows = _search(sentences, vector, depth, scope, self.threads)
        order = [self.index.sentence_refs[r][0] for r in rows[0] if r >= 0]
        return list(dict.fromkeys(order))

    def _query_vector(self, name: str, query: Query) -> np.ndarray:
        """Return the question's vector: the spelling-corrected question's (a misspelt word
        embeds as noise: "How lnog did the meetng last?" averaged with its correction lowered
        the answer's confidence from 0.45 to 0.23; the words as asked still count in BM25), and
        for a follow-up the earlier turn's, at `follow_up_weight`. A question asking what
        someone said about a topic is embedded as its topic (`Query.embedded`): dev citation
        recall 0.632 -> 0.644, test unchanged (0.624)."""
        texts = [query.embedded]
        if query.previous:
            texts.append(query.previous)
        vectors = self.embedders[name].embed_queries(texts)
        if len(texts) == 1:
            return vectors[0]
        vec = vectors[0] / np.linalg.norm(vectors[0]) + self.scoring.follow_up_weight * vectors[1]
        return (vec / np.linalg.norm(vec)).astype(np.float32)

    def _bm25(self, weights: dict[str, float], k: int, scope: range | None = None) -> list[int]:
        """Return the `k` passage rows with the best weighted BM25 scores (above 0), best first.

        The same scores as rank_bm25's `sum(w * get_scores([token]))`, but computed over each
        token's postings only: rank_bm25 loops over every passage in Python for every token.
        """
        scores = self.index.lexicon.bm25.scores(weights, len(self.index.passages))
        if scope is not None:
            scores[: scope.start] = 0.0
            scores[scope.stop :] = 0.0
        hits = np.flatnonzero(scores > 0)
        # stable: ties keep passage order, as sorted(..., reverse=True) did
        return hits[np.argsort(-scores[hits], kind="stable")][:k].tolist()


def _soon(parallel: bool, work: Callable[..., T], *args) -> Future[T]:
    """Return the future result of `work(*args)`: run on a worker thread when `parallel` (it
    then overlaps what the caller does next), else at once."""
    if parallel:
        return _workers().submit(work, *args)
    done: Future[T] = Future()
    done.set_result(work(*args))
    return done


@cache
def _workers() -> ThreadPoolExecutor:
    """Return the worker threads of retrieval (shared by every Retriever of the process; two,
    one per core of the machines measured)."""
    return ThreadPoolExecutor(2, thread_name_prefix="quotebot-retrieve")


def _search(vectors, vector: np.ndarray, k: int, scope: range | None, threads: int = 1):
    """Return FAISS's (scores, rows) for `vector` over `vectors`, within the rows `scope`, on
    `threads` OpenMP threads (a setting of the calling thread)."""
    import faiss

    faiss.omp_set_num_threads(threads)
    if scope is None:
        return vectors.search(vector[None, :], k)
    selector = faiss.IDSelectorRange(scope.start, scope.stop)
    kind = faiss.SearchParametersHNSW if hasattr(vectors, "hnsw") else faiss.SearchParameters
    params = kind(sel=selector)
    return vectors.search(vector[None, :], min(k, len(scope)), params=params)
