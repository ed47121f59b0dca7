"""A quotebot embedder as LangChain `Embeddings`, for a LangChain vector store that embeds its
texts itself (the langchain-stock baseline's FAISS store, evaluation/baselines.py). The index
calls the embedders' array methods directly and never imports this module."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from .embedder import ArrayEmbeddings


class LangChainEmbeddings(Embeddings):
    """LangChain `Embeddings` over `embedder`: texts embedded as passages, a query as a query."""

    def __init__(self, embedder: ArrayEmbeddings) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Return the passage vectors of `texts`, as lists."""
        return self.embedder.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        """Return the query vector of `text`, as a list."""
        return self.embedder.embed_queries([text])[0].tolist()
