"""Baselines that `quotebot eval --compare` runs beside quotebot, on the same runner and metrics.

- `langchain-stock`: stock LangChain retrieval. `RecursiveCharacterTextSplitter(chunk_size=1000,
  chunk_overlap=200, add_start_index=True)` over each statement's original text, the same
  MiniLM embeddings through sentence-transformers (the stock runtime), an in-memory
  `FAISS.from_documents`; the answer is the top chunk, quoted
  whole. It never abstains and ignores the conversation history.
- `bm25`: the same chunks ranked by `rank_bm25.BM25Okapi` over `index.text.tokens`.

Both return `bot.records.Answer`s whose citation is the chunk at its offsets in the source, so
the quote verifies like quotebot's: `quote == normalise(source[start:end])`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from quotebot.bot.records import Answer, Citation
from quotebot.index.embedder import ArrayEmbeddings, MiniLMTorchEmbeddings
from quotebot.index.text import normalise, tokens

from quotebot.settings import Settings

from .metrics.spans import Span
from .records import System

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200


@dataclass(frozen=True)
class Chunk:
    """A splitter chunk: its id, document and offsets in the original text."""

    id: str
    doc: str
    start: int
    end: int
    text: str


def split_chunks(sources: Mapping[str, str]) -> list[Chunk]:
    """Return the stock splitter's chunks of every document, with their source offsets.

    Raises RuntimeError if a chunk is not a substring of its document at its start index.
    """
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
    )
    chunks = []
    for doc, text in sources.items():
        for d in splitter.create_documents([text]):
            start = d.metadata["start_index"]
            end = start + len(d.page_content)
            if start < 0 or text[start:end] != d.page_content:
                raise RuntimeError(f"{doc}: a splitter chunk is not at its start index {start}")
            chunks.append(Chunk(f"{doc}#c{len(chunks) + 1:02d}", doc, start, end, d.page_content))
    return chunks


class ChunkBaseline:
    """The shared answer step: the top-ranked chunk becomes the one quote."""

    name = ""

    def __init__(self, sources: Mapping[str, str], top_k: int = 8) -> None:
        self.sources = dict(sources)
        self.top_k = top_k
        self.chunks = split_chunks(self.sources)
        self._by_id = {c.id: c for c in self.chunks}

    @property
    def units(self) -> dict[str, Span]:
        """Return chunk id -> source span, the retrieval units of this baseline."""
        return {c.id: Span(c.doc, c.start, c.end) for c in self.chunks}

    def warm_up(self) -> ChunkBaseline:
        """Build what ranking needs (once); return self."""
        return self

    def rank(self, question: str, doc: str | None = None) -> list[tuple[str, float]]:
        """Return up to `top_k` (chunk id, score) pairs, best first (chunks of `doc` only,
        unless None)."""
        raise NotImplementedError

    def answer(self, question: str, history: Sequence = (), doc: str | None = None) -> Answer:
        """Return the top chunk (of `doc`, unless None) as the quoted answer (history is
        ignored; never abstains)."""
        started = time.perf_counter()
        ranked = self.rank(question, doc)
        top = self._by_id[ranked[0][0]]
        citation = Citation(
            passage_id=top.id,
            doc=top.doc,
            speaker=None,
            role="chunk",
            start=top.start,
            end=top.end,
            quote=normalise(self.sources[top.doc][top.start : top.end]),
        )
        return Answer(
            question=question,
            text="",
            citations=[citation],
            abstained=False,
            confidence=float(ranked[0][1]),
            retrieved=ranked,
            timings_ms={"total": (time.perf_counter() - started) * 1000},
            query=question,
        )


class LangChainStock(ChunkBaseline):
    """Stock LangChain: MiniLM embeddings in an in-memory FAISS vector store."""

    name = "langchain-stock"

    def __init__(
        self,
        sources: Mapping[str, str],
        top_k: int = 8,
        threads: int = 2,
        embedder: ArrayEmbeddings | None = None,
    ) -> None:
        super().__init__(sources, top_k)
        self.threads = threads
        self.embedder = embedder  # default: MiniLM through sentence-transformers
        self._store = None

    def warm_up(self) -> LangChainStock:
        if self._store is None:
            with warnings.catch_warnings():  # the sunset notice of langchain-community
                warnings.simplefilter("ignore", DeprecationWarning)
                from langchain_community.vectorstores import FAISS
            from langchain_core.documents import Document
            from quotebot.index.langchain_embeddings import LangChainEmbeddings

            docs = [
                Document(page_content=c.text, metadata={"doc": c.doc, "start_index": c.start})
                for c in self.chunks
            ]
            if self.embedder is None:
                self.embedder = MiniLMTorchEmbeddings(self.threads)
            self._store = FAISS.from_documents(
                docs, LangChainEmbeddings(self.embedder), ids=[c.id for c in self.chunks]
            )
        return self

    def rank(self, question: str, doc: str | None = None) -> list[tuple[str, float]]:
        self.warm_up()
        scope = {} if doc is None else {"filter": {"doc": doc}, "fetch_k": len(self.chunks)}
        hits = self._store.similarity_search_with_score(question, k=self.top_k, **scope)
        # FAISS gives squared L2 distances; between unit vectors cosine = 1 - d / 2
        return [(d.id, 1.0 - float(d2) / 2) for d, d2 in hits]


class BM25Baseline(ChunkBaseline):
    """The same chunks ranked by BM25 (Okapi, rank_bm25's defaults)."""

    name = "bm25"

    def __init__(self, sources: Mapping[str, str], top_k: int = 8) -> None:
        super().__init__(sources, top_k)
        self._bm25 = None

    def warm_up(self) -> BM25Baseline:
        if self._bm25 is None:
            from rank_bm25 import BM25Okapi

            self._bm25 = BM25Okapi([tokens(c.text) for c in self.chunks])
        return self

    def rank(self, question: str, doc: str | None = None) -> list[tuple[str, float]]:
        self.warm_up()
        scores = self._bm25.get_scores(tokens(question))
        rows = [i for i, c in enumerate(self.chunks) if doc is None or c.doc == doc]
        order = sorted(rows, key=lambda i: -scores[i])[: self.top_k]
        return [(self.chunks[i].id, float(scores[i])) for i in order]


def baseline_systems(settings: Settings, sources: Mapping[str, str]) -> list[System]:
    """Return the two baselines as warmed-up evaluation systems."""
    stock = LangChainStock(sources, settings.top_k, settings.threads).warm_up()
    bm25 = BM25Baseline(sources, settings.top_k).warm_up()
    return [System(b.name, b, b.units) for b in (stock, bm25)]
