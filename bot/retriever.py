"""Hybrid retrieval: dense FAISS search and BM25, fused by reciprocal rank, with routing from a
matched journalist's question to the answer that follows it."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict
from quotebot.index.embedder import ArrayEmbeddings
from quotebot.index.spelling import Speller
from quotebot.index.store import CorpusIndex
from quotebot.index.text import STOPWORDS, content_tokens, fold, stem, tokens

from .question import Query

_WORD = re.compile(r"[^\W\d_]+")
RRF_K = 60
FOLLOW_UP_WEIGHT = 0.5  # weight of the earlier turn in a follow-up's query vector
CARRY_BONUS = 0.1  # dense-score bonus for passages the earlier answer cited


@dataclass
class Evidence:
    """What retrieval found for one query: fused ranking and the scores selection needs."""

    embedder: str
    query_vector: np.ndarray
    query_weights: dict[str, float]  # content token -> weight (earlier turn's tokens count less)
    ranked: list[tuple[int, float]]  # (passage row, fused score), best first, top-k
    dense: dict[int, float] = field(default_factory=dict)  # passage row -> cosine
    routed: dict[int, float] = field(default_factory=dict)  # answer row -> its question's cosine
    unknown_names: tuple[str, ...] = ()  # capitalised question words the corpus never uses


class HybridRetriever(BaseRetriever):
    """A LangChain retriever over a `CorpusIndex`; `evidence()` is the scored form."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: CorpusIndex
    embedders: dict[str, ArrayEmbeddings]
    primary: str
    multilingual: str | None = None
    top_k: int = 8
    candidates: int = 24  # passages whose sentences are scored (the top_k are reported)
    bm25: object = None
    postings: dict = {}  # token -> (passage rows, term frequencies)
    doc_len: object = None  # tokens per passage, as BM25 counts them
    answers_of: dict = {}
    vocabulary: frozenset = frozenset()
    stems: frozenset = frozenset()
    speller: Speller | None = None

    def model_post_init(self, __context) -> None:
        from rank_bm25 import BM25Okapi

        corpus = [content_tokens(p.text) or ["\0"] for p in self.index.passages]
        self.bm25 = BM25Okapi(corpus)
        self.postings = _postings(self.bm25.doc_freqs)
        self.doc_len = np.asarray(self.bm25.doc_len)
        answers = defaultdict(list)
        for row, p in enumerate(self.index.passages):
            if p.question_id:
                answers[self.index.by_id[p.question_id]].append(row)
        self.answers_of = dict(answers)
        words = [t for d in self.index.documents.values() for t in tokens(d.text)]
        self.vocabulary = frozenset(words)
        self.stems = frozenset(stem(w) for w in self.vocabulary)
        self.speller = Speller(words)

    def correct(self, query: Query) -> Query:
        """Return `query` with misspelt words (unknown to the corpus, close to a corpus word)
        corrected in its search text; English questions only."""
        if query.language != "en":
            return query

        def fix(match: re.Match) -> str:
            word = match.group()
            folded = word.casefold()
            if folded in STOPWORDS or stem(folded) in self.stems:
                return word  # known, or a form of a known word ("envoys")
            better = self.speller.correct(folded)
            if better is None:
                return word
            return better.capitalize() if word[:1].isupper() else better

        search = _WORD.sub(fix, query.search)
        return query if search == query.search else replace(query, search=search)

    def embedder_for(self, query: Query) -> str:
        """Return the embedder name to use: the multilingual one for a non-English question."""
        if query.language != "en" and self.multilingual:
            return self.multilingual
        return self.primary

    def evidence(self, query: Query) -> Evidence:
        """Return the fused ranking of passages for `query` and the scores behind it."""
        name = self.embedder_for(query)
        vector = self._query_vector(name, query)
        n = len(self.index.passages)
        k = min(n, max(self.candidates * 3, 64))
        scores, rows = self.index.vectors[name].passages.search(vector[None, :], k)
        dense = {int(r): float(s) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0}
        for pid in query.carried_ids:
            if pid in self.index.by_id:
                row = self.index.by_id[pid]
                dense[row] = dense.get(row, 0.0) + CARRY_BONUS
        weights = self._token_weights(query)
        rankings = [sorted(dense, key=dense.get, reverse=True), self._by_sentence(name, vector, k)]
        lexical = self._bm25(weights, k)
        if lexical:
            rankings.append(lexical)
        routed = self._routes(dense)
        if routed:
            rankings.append(sorted(routed, key=routed.get, reverse=True))
        fused: dict[int, float] = defaultdict(float)
        for ranking in rankings:
            for rank, row in enumerate(ranking):
                fused[row] += 1.0 / (RRF_K + rank + 1)
        ranked = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)
        ranked = ranked[: max(self.candidates, self.top_k)]
        return Evidence(name, vector, weights, ranked, dense, routed, self._unknown_names(query))

    def _unknown_names(self, query: Query) -> tuple[str, ...]:
        """Return names in the question (capitalised words after the first) that the corpus
        never mentions: "What did Zelensky say?" asks about someone the statement doesn't."""
        if query.language != "en":
            return ()
        words = query.search.split()[1:]
        names = []
        for word in words:
            for token in tokens(word):
                if (
                    word[:1].isupper()
                    and len(token) > 2
                    and token not in STOPWORDS
                    and fold(token) not in self.vocabulary
                ):
                    names.append(word.strip("?!.,;:\"'()"))
        return tuple(names)

    def _by_sentence(self, name: str, vector: np.ndarray, k: int) -> list[int]:
        """Return passage rows ordered by their best-matching sentence."""
        sentences = self.index.vectors[name].sentences
        _, rows = sentences.search(vector[None, :], min(sentences.ntotal, k * 3))
        order = [self.index.sentence_refs[r][0] for r in rows[0] if r >= 0]
        return list(dict.fromkeys(order))

    def _query_vector(self, name: str, query: Query) -> np.ndarray:
        emb = self.embedders[name]
        if not query.previous:
            return emb.embed_queries([query.search])[0]
        cur, prev = emb.embed_queries([query.search, query.previous])
        vec = cur + FOLLOW_UP_WEIGHT * prev
        return (vec / np.linalg.norm(vec)).astype(np.float32)

    @staticmethod
    def _token_weights(query: Query) -> dict[str, float]:
        weights = dict.fromkeys(content_tokens(query.previous), FOLLOW_UP_WEIGHT)
        weights.update(dict.fromkeys(content_tokens(query.search), 1.0))
        return weights

    def _bm25(self, weights: dict[str, float], k: int) -> list[int]:
        """Return the `k` passage rows with the best weighted BM25 scores (above 0), best first.

        The same scores as `sum(w * bm25.get_scores([token]))`, but computed over each token's
        postings only: rank_bm25 loops over every passage in Python for every token.
        """
        bm25 = self.bm25
        known = {t: w for t, w in weights.items() if t in bm25.idf}
        if not known:
            return []
        scores = np.zeros(len(self.index.passages))
        for token, w in known.items():
            rows, tf = self.postings[token]
            norm = bm25.k1 * (1 - bm25.b + bm25.b * self.doc_len[rows] / bm25.avgdl)
            scores[rows] += w * (bm25.idf[token] * (tf * (bm25.k1 + 1) / (tf + norm)))
        hits = np.flatnonzero(scores > 0)
        # stable: ties keep passage order, as sorted(..., reverse=True) did
        return hits[np.argsort(-scores[hits], kind="stable")][:k].tolist()

    def _routes(self, dense: dict[int, float]) -> dict[int, float]:
        """Return answer rows scored by how well their journalist's question matches."""
        routed: dict[int, float] = {}
        for row, score in dense.items():
            for answer_row in self.answers_of.get(row, ()):
                routed[answer_row] = max(routed.get(answer_row, 0.0), score)
        return routed

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        from .question import prepare
        from .selector import rank_passages, score_sentences

        prepared = self.correct(prepare(query, (), 10**6))
        evidence = self.evidence(prepared)
        scored = score_sentences(prepared, evidence, self.index, self.bm25.idf)
        docs = []
        for row, score in rank_passages(scored)[: self.top_k]:
            p = self.index.passages[row]
            meta = {
                "id": p.id,
                "doc": p.doc,
                "speaker": p.speaker,
                "role": p.role,
                "start": p.start,
                "end": p.end,
                "score": score,
            }
            docs.append(LCDocument(page_content=p.text, metadata=meta))
        return docs


def _postings(doc_freqs: list[dict[str, int]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return token -> (rows of the passages holding it, its count in each), from BM25's
    per-passage term counts."""
    rows: dict[str, list[int]] = defaultdict(list)
    counts: dict[str, list[int]] = defaultdict(list)
    for row, freqs in enumerate(doc_freqs):
        for token, tf in freqs.items():
            rows[token].append(row)
            counts[token].append(tf)
    return {t: (np.asarray(rows[t]), np.asarray(counts[t])) for t in rows}
