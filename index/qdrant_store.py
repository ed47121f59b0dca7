"""Qdrant as the vector store: the index's vectors in Qdrant collections behind the small
FAISS-like surface the bot uses (`search`, `reconstruct_n`, `reconstruct`, `ntotal`, `d`).

Two modes, chosen by `qdrant_url`:
  server (a URL)  the vectors live in a Qdrant server or cluster, in collections named by corpus
                  hash, embedder and kind; `quotebot index` uploads them once and any number of
                  processes attach to them without holding a vector in memory.
  local (None)    an in-process Qdrant (`QdrantClient(":memory:")`) filled from the index's own
                  FAISS files at load time: the same code path for development and tests.
                  Qdrant's on-disk local mode (`QdrantClient(path=...)`) is not used: it keeps
                  its points as Python-serialised objects in SQLite, and an index directory
                  holds no pickle.

Searching goes through langchain-qdrant's `QdrantVectorStore` (LangChain's `VectorStore`
interface; `QdrantVectors.store`). Creating a collection and adding vectors use qdrant-client
directly: `QdrantVectorStore` adds texts only (it embeds them itself), while the index already
holds the vectors. A point's id is its row; its payload `row` carries the row again so that a
search can be kept to a range of rows (a document's rows are contiguous). The distance is the
dot product, the inner product FAISS computes over the same unit vectors.
"""

from __future__ import annotations

import numpy as np

from quotebot.errors import StoreError

_UPLOAD_BATCH = 1024
TIE = 1e-6  # scores closer than this are equal (float32 sums in another order)
_KINDS = ("passages", "sentences")


def collection_name(corpus_hash: str, embedder: str, kind: str) -> str:
    """Return the Qdrant collection of `kind` ("passages"|"sentences") vectors of `embedder`."""
    return f"quotebot-{corpus_hash[:16]}-{embedder}-{kind}"


def connect(url: str | None):
    """Return a client of the Qdrant server at `url`, or of a new in-process Qdrant (None)."""
    try:
        from qdrant_client import QdrantClient
    except ImportError as exc:
        raise StoreError(
            "the Qdrant vector store needs the qdrant extra: pip install 'quotebot[qdrant]'"
        ) from exc
    if not url:
        return QdrantClient(location=":memory:")
    # the version check warns on stderr when the server is down; the first request says so
    return QdrantClient(url=url, check_compatibility=False)


class QdrantVectors:
    """One collection of unit vectors, searched and read back as a FAISS index would be."""

    def __init__(
        self,
        client,
        collection: str,
        dim: int,
        ntotal: int,
        exact: bool | None = None,
        ef: int = 128,
    ) -> None:
        from langchain_qdrant import QdrantVectorStore
        from qdrant_client import models

        self.client = client
        self.collection = collection
        self.d = dim
        self.ntotal = ntotal
        # a server searches exactly or through its HNSW graph with `ef` candidates; local mode
        # (None) is always exact and takes no search parameters
        self.exact = exact
        self.ef = ef
        self.store = QdrantVectorStore(
            client,
            collection,
            distance=models.Distance.DOT,
            validate_embeddings=False,
            validate_collection_config=False,
        )

    def search(self, x: np.ndarray, k: int, params=None) -> tuple[np.ndarray, np.ndarray]:
        """Return (scores, rows), each of shape (len(x), k), best first, padded as FAISS pads
        (lowest float, row -1); `params` may keep the search to a `faiss.IDSelectorRange`."""
        query_filter = _row_filter(params)
        scores = np.full((len(x), k), np.finfo(np.float32).min, np.float32)
        rows = np.full((len(x), k), -1, np.int64)
        for i, vector in enumerate(np.asarray(x, np.float32)):
            hits = self._top(vector.tolist(), k, query_filter)
            scores[i, : len(hits)] = [s for s, _ in hits]
            rows[i, : len(hits)] = [r for _, r in hits]
        return scores, rows

    def _top(self, vector: list[float], k: int, query_filter) -> list[tuple[float, int]]:
        """Return the best `k` (score, row) in FAISS's order. Vectors of equal texts tie: FAISS's
        flat search keeps the lowest rows of a tie at the k-th place and lists a tie by
        descending row (its heaps order equal scores by id). Qdrant's matrix product may give
        equal vectors scores an ulp apart, so scores within TIE of each other count as a tie."""
        limit = k + 1
        while True:
            found = self.store.similarity_search_with_score_by_vector(
                vector,
                limit,
                filter=query_filter,
                search_params=self._search_params(limit),
            )
            hits = sorted(((s, d.metadata["_id"]) for d, s in found), key=lambda h: -h[0])
            if len(hits) < limit or hits[k - 1][0] - hits[-1][0] > TIE:
                break
            limit *= 2
        ties: list[list[tuple[float, int]]] = []
        for hit in hits:
            if ties and ties[-1][-1][0] - hit[0] <= TIE:
                ties[-1].append(hit)
            else:
                ties.append([hit])
        out = []
        for tie in ties:
            kept = sorted(tie, key=lambda h: h[1])[: k - len(out)]
            out += sorted(kept, key=lambda h: -h[1])
            if len(out) == k:
                break
        return out

    def _search_params(self, limit: int):
        from qdrant_client import models

        if self.exact is None:
            return None
        return models.SearchParams(
            exact=self.exact, hnsw_ef=None if self.exact else max(self.ef, limit)
        )

    def reconstruct_n(self, first: int, n: int) -> np.ndarray:
        """Return the vectors of rows first .. first + n - 1, shape (n, d)."""
        if n == 0:
            return np.zeros((0, self.d), np.float32)
        points = self.client.retrieve(
            self.collection, ids=list(range(first, first + n)), with_vectors=True
        )
        if len(points) != n:
            raise IndexError(f"rows {first}..{first + n - 1} not all in {self.collection}")
        points.sort(key=lambda p: p.id)
        return np.asarray([p.vector for p in points], np.float32)

    def reconstruct(self, row: int) -> np.ndarray:
        """Return the vector of `row`."""
        return self.reconstruct_n(row, 1)[0]


def _row_filter(params):
    """Return the Qdrant filter on payload `row` for the FAISS `params`' IDSelectorRange."""
    if params is None:
        return None
    import faiss
    from qdrant_client import models

    # faiss keeps the Python selector it was given here; the SWIG attribute `sel` is a base
    # IDSelector that no longer tells its range
    sel = getattr(params, "_sp_field_refs", {}).get("sel")
    if not isinstance(sel, faiss.IDSelectorRange):
        raise TypeError("QdrantVectors.search supports search parameters with an IDSelectorRange")
    return models.Filter(
        must=[models.FieldCondition(key="row", range=models.Range(gte=sel.imin, lt=sel.imax))]
    )


def upload(client, collection: str, vectors: np.ndarray, server: bool) -> None:
    """(Re)create `collection` holding `vectors`, row i as point i with payload {"row": i}."""
    from qdrant_client import models

    if client.collection_exists(collection):
        client.delete_collection(collection)
    client.create_collection(
        collection, vectors_config=models.VectorParams(size=vectors.shape[1], distance="Dot")
    )
    if server:  # local mode keeps no payload indexes (and says so)
        client.create_payload_index(collection, "row", models.PayloadSchemaType.INTEGER)
    client.upload_collection(
        collection,
        vectors=np.ascontiguousarray(vectors, np.float32),
        payload=({"row": i} for i in range(len(vectors))),
        ids=range(len(vectors)),
        batch_size=_UPLOAD_BATCH,
        wait=True,
    )


def attach(
    index, url: str | None, upload_vectors: bool, exact_up_to: int, ef: int
) -> dict[str, tuple[QdrantVectors, ...]]:
    """Return, per embedder of the CorpusIndex `index`, its (passages, sentences) vectors in
    Qdrant: the server's collections, uploaded from the index's FAISS indexes when
    `upload_vectors` and the server does not hold them complete yet (in local mode, always).
    A collection's name fixes its vectors (corpus hash and embedder), so one built by another
    process is kept and the processes searching it are not disturbed. As with FAISS, a
    collection of up to `exact_up_to` vectors is searched exactly, a larger one through HNSW
    with `ef` candidates (at least k).

    Raises LookupError when a server collection is missing or holds other vectors, and
    StoreError when qdrant-client is not installed or the server fails.
    """
    client = connect(url)
    from qdrant_client.http.exceptions import ApiException

    try:
        return _attach(client, index, url, upload_vectors, exact_up_to, ef)
    except ApiException as exc:  # the server is down, unreachable or refused a request
        raise StoreError(f"Qdrant at {url}: {exc}") from exc


def _attach(client, index, url, upload_vectors, exact_up_to, ef):
    counts = {"passages": len(index.passages), "sentences": len(index.sentence_refs)}
    out = {}
    for vs in index.vectors.values():
        sets = []
        for kind in _KINDS:
            name = collection_name(index.corpus_hash, vs.name, kind)
            problem = _problem(client, name, counts[kind], vs.dim) if url else "local"
            if problem and (upload_vectors or not url):
                faiss_index = getattr(vs, kind)
                upload(client, name, faiss_index.reconstruct_n(0, faiss_index.ntotal), bool(url))
            elif problem:
                raise LookupError(problem)
            exact = counts[kind] <= exact_up_to if url else None
            sets.append(QdrantVectors(client, name, vs.dim, counts[kind], exact, ef))
        out[vs.name] = tuple(sets)
    return out


def _problem(client, name: str, count: int, dim: int) -> str | None:
    """Return why collection `name` does not hold `count` vectors of `dim`, or None."""
    if not client.collection_exists(name):
        return f"Qdrant has no collection {name}"
    size = client.get_collection(name).config.params.vectors.size
    points = client.count(name, exact=True).count
    if points != count or size != dim:
        return f"Qdrant collection {name} holds {points} vectors of dim {size}, not {count} x {dim}"
    return None
