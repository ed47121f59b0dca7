"""The persisted index: passages, sources and FAISS vectors in a directory, written atomically.

Layout of an index directory (no pickle anywhere):
  manifest.json    format version, corpus hash, embedders (name, dim), counts
  documents.json   doc name, original path, extracted text, its sha256, title, date, source
  passages.json    the passages, with sentence spans
  lexicon.json     vocabulary, BM25 statistics and question->answer routes (index/lexicon.py)
  <embedder>.passages.faiss / <embedder>.sentences.faiss   inner-product indexes of unit vectors

An index is searchable once its first embedder's vectors are saved: the others (e5, for
non-English questions) are added later by `add_vectors`, which writes their files and then
replaces the manifest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from quotebot.settings import Settings

from .corpus import load_corpus
from .embedder import ArrayEmbeddings, get_embedder
from .lexicon import Lexicon, build_lexicon
from .records import Document, Passage
from .segment import SEGMENTATION_VERSION, segment
from .vector_cache import VectorCache, text_key

FORMAT_VERSION = 2  # 2: lexicon.json
PROGRESS_MIN_TEXTS = 500
_BATCH = 256
# Index type by size, measured on 2 cores (docs/performance.md): one flat search for k=216
# costs about 0.06 us per 384-dim vector (4 ms at 70,000, the sentences of 1,000 statements;
# 28 ms at 500,000), while HNSW answers in 1-2 ms but takes 26 s to build at 70,000 and
# 100 s at 200,000. Flat (exact) stays until a search would cost over ~12 ms.
FLAT_MAX_VECTORS = 200_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 128  # faiss searches max(efSearch, k) candidates


class IndexCorrupt(RuntimeError):
    """An index file is unreadable or inconsistent; the message names it and says what to run."""


class IndexStale(RuntimeError):
    """An index was built for another corpus, embedder or format version."""


@dataclass
class VectorSet:
    """The passage and sentence vectors of one embedder, as FAISS indexes."""

    name: str
    dim: int
    passages: object
    sentences: object


@dataclass
class CorpusIndex:
    """Everything answering needs: documents (with original text), passages, vectors and the
    lexicon."""

    corpus_hash: str
    documents: dict[str, Document]
    passages: list[Passage]
    vectors: dict[str, VectorSet]
    lexicon: Lexicon
    path: Path | None = None
    by_id: dict[str, int] = field(init=False, repr=False)
    sentence_refs: list[tuple[int, int]] = field(init=False, repr=False)
    first_sentence: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_id = {p.id: i for i, p in enumerate(self.passages)}
        self.sentence_refs = [
            (i, j) for i, p in enumerate(self.passages) for j in range(len(p.sentences))
        ]
        # row of each passage's first sentence in the sentence vectors
        self.first_sentence = [
            int(n) for n in np.cumsum([0] + [len(p.sentences) for p in self.passages])
        ]

    def passage(self, passage_id: str) -> Passage:
        """Return the passage with id `passage_id`."""
        return self.passages[self.by_id[passage_id]]

    def source(self, doc: str) -> str:
        """Return the original text of document `doc`."""
        return self.documents[doc].text


def corpus_hash(documents: Sequence[Document], settings: Settings) -> str:
    """Return a hash of the documents and of every setting that changes the passages."""
    h = hashlib.sha256()
    h.update(f"v{FORMAT_VERSION}.{SEGMENTATION_VERSION}".encode())
    h.update(f"{settings.max_passage_sentences}/{settings.max_passage_chars}".encode())
    for d in sorted(documents, key=lambda d: d.doc):
        h.update(f"\0{d.doc}\0{d.sha256}".encode())
    return h.hexdigest()


def default_index_dir(settings: Settings, chash: str) -> Path:
    """Return the per-user cache directory for this corpus hash and embedder set."""
    if settings.index_dir is not None:
        return Path(settings.index_dir)
    return Path(settings.cache_dir) / "indexes" / f"{chash[:16]}-{'+'.join(settings.embedders)}"


def build(
    documents: Sequence[Document],
    embedders: Sequence[ArrayEmbeddings],
    settings: Settings,
    progress: bool | None = None,
    cache_dir: Path | None = None,
) -> CorpusIndex:
    """Return a new in-memory index of `documents`: segmented, embedded, in FAISS.

    With `cache_dir`, vectors of texts embedded before are reused from its vector cache.
    """
    passages = [
        p
        for d in documents
        for p in segment(d, settings.max_passage_sentences, settings.max_passage_chars)
    ]
    if not passages:
        raise IndexCorrupt("the corpus has no text to index after dropping page chrome")
    docs = {d.doc: d for d in documents}
    vectors = {emb.name: vector_set(emb, docs, passages, progress, cache_dir) for emb in embedders}
    lexicon = build_lexicon(documents, passages)
    return CorpusIndex(corpus_hash(documents, settings), docs, passages, vectors, lexicon)


def vector_set(
    emb: ArrayEmbeddings,
    docs: dict[str, Document],
    passages: list[Passage],
    progress: bool | None = None,
    cache_dir: Path | None = None,
) -> VectorSet:
    """Return `emb`'s passage and sentence vectors of `passages` as FAISS indexes."""
    texts = [p.text for p in passages]
    texts += [docs[p.doc].text[s:e] for p in passages for s, e in p.sentences]
    cache = VectorCache(cache_dir, emb.name, emb.dim) if cache_dir is not None else None
    table = embed_texts(emb, texts, progress, cache)
    pv, sv = table[: len(passages)], table[len(passages) :]
    return VectorSet(emb.name, emb.dim, faiss_index(pv), faiss_index(sv))


def embed_texts(
    emb: ArrayEmbeddings,
    texts: list[str],
    progress: bool | None = None,
    cache: VectorCache | None = None,
) -> np.ndarray:
    """Return passage vectors for `texts`, embedding each distinct text once, in batches, and
    only when `cache` does not hold it already (new vectors are added to `cache`)."""
    from .text import normalise

    keys = [normalise(t) for t in texts]
    unique = list(dict.fromkeys(keys))
    if cache is not None:
        hashed = [text_key(u) for u in unique]
        table, missing = cache.lookup(hashed)
    else:
        table, missing = np.zeros((len(unique), emb.dim), np.float32), list(range(len(unique)))
    missing.sort(key=lambda r: len(unique[r]))  # batches of similar length pad less
    show = progress if progress is not None else len(missing) >= PROGRESS_MIN_TEXTS
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(total=len(missing), desc=f"embedding ({emb.name})", unit="text", file=sys.stderr)
    for i in range(0, len(missing), _BATCH):
        rows = missing[i : i + _BATCH]
        table[rows] = emb.embed_passages([unique[r] for r in rows])
        if bar:
            bar.update(len(rows))
    if bar:
        bar.close()
    if cache is not None and missing:
        cache.add(hashed, table, used=hashed)
    row = {k: i for i, k in enumerate(unique)}
    return table[[row[k] for k in keys]]


def faiss_index(vectors: np.ndarray):
    """Return an inner-product FAISS index over `vectors` (unit rows): exact (flat) up to
    FLAT_MAX_VECTORS rows, approximate (HNSW) past it."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if len(vectors) <= FLAT_MAX_VECTORS:
        index = faiss.IndexFlatIP(vectors.shape[1])
    else:
        index = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(vectors)
    return index


def save(index: CorpusIndex, directory: Path) -> Path:
    """Write `index` to `directory` atomically (temporary directory, then rename)."""
    import faiss

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    try:
        _write_json(
            tmp / "documents.json",
            [dataclasses.asdict(d) for d in index.documents.values()],
        )
        _write_json(tmp / "passages.json", [p.to_json() for p in index.passages])
        _write_json(tmp / "lexicon.json", index.lexicon.to_json())
        for vs in index.vectors.values():
            faiss.write_index(vs.passages, str(tmp / f"{vs.name}.passages.faiss"))
            faiss.write_index(vs.sentences, str(tmp / f"{vs.name}.sentences.faiss"))
        # the manifest goes last: a directory without it is never taken for an index
        _write_json(tmp / "manifest.json", _manifest(index))
        old = None
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old-{os.getpid()}-{time.time_ns()}")
            os.rename(directory, old)
        os.rename(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    index.path = directory
    return directory


def _manifest(index: CorpusIndex) -> dict:
    return {
        "format_version": FORMAT_VERSION,
        "corpus_hash": index.corpus_hash,
        "embedders": [{"name": v.name, "dim": v.dim} for v in index.vectors.values()],
        "passages": len(index.passages),
        "sentences": len(index.sentence_refs),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def add_vectors(
    index: CorpusIndex, embedders: Sequence[ArrayEmbeddings], settings: Settings
) -> CorpusIndex:
    """Embed `index` with `embedders` it lacks and add their vectors to it (and to its
    directory: their FAISS files, then the manifest, replaced atomically). Returns `index`."""
    from filelock import FileLock

    missing = [emb for emb in embedders if emb.name not in index.vectors]
    if not missing:
        return index
    if index.path is None:
        for emb in missing:
            index.vectors[emb.name] = vector_set(emb, index.documents, index.passages)
        return index
    with FileLock(str(index.path) + ".lock", timeout=900):
        try:  # another process may have added them while we waited
            on_disk = load(index.path, index.corpus_hash)
        except (FileNotFoundError, IndexStale, IndexCorrupt):
            on_disk = index
        for emb in missing:
            if emb.name in on_disk.vectors:
                index.vectors[emb.name] = on_disk.vectors[emb.name]
                continue
            vs = vector_set(emb, index.documents, index.passages, cache_dir=settings.cache_dir)
            index.vectors[emb.name] = vs
            try:
                import faiss

                faiss.write_index(vs.passages, str(index.path / f"{vs.name}.passages.faiss"))
                faiss.write_index(vs.sentences, str(index.path / f"{vs.name}.sentences.faiss"))
                fd, tmp = tempfile.mkstemp(prefix=".manifest-", suffix=".json", dir=index.path)
                os.close(fd)
                _write_json(Path(tmp), _manifest(index))
                os.replace(tmp, index.path / "manifest.json")
            except OSError:  # a read-only index: the vectors stay in memory
                pass
    return index


def _write_json(path: Path, data) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(data, ensure_ascii=False))  # dumps encodes in C, dump in Python
        fh.flush()
        os.fsync(fh.fileno())


def load(
    directory: Path, expected_hash: str | None = None, embedders: Sequence[str] | None = None
) -> CorpusIndex:
    """Return the index in `directory`.

    Raises FileNotFoundError if there is none, IndexStale if it was built for another corpus,
    embedder set or format, and IndexCorrupt if a file is unreadable or inconsistent.
    """
    import faiss

    directory = Path(directory)
    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        raise FileNotFoundError(f"no index at {directory}")
    manifest = _read_json(manifest_path)
    try:
        version = manifest["format_version"]
        chash = manifest["corpus_hash"]
        dims = {e["name"]: int(e["dim"]) for e in manifest["embedders"]}
    except (KeyError, TypeError) as exc:
        raise _corrupt(manifest_path, f"missing field {exc}") from exc
    if version != FORMAT_VERSION:
        raise IndexStale(f"index format {version}, this quotebot reads {FORMAT_VERSION}")
    if expected_hash is not None and chash != expected_hash:
        raise IndexStale("the corpus changed since the index was built")
    if embedders is not None and (not dims or list(embedders)[: len(dims)] != list(dims)):
        # the first embedders are enough: the others are added by `add_vectors`
        raise IndexStale(f"index embedders {list(dims)}, wanted {list(embedders)}")
    documents = {}
    for item in _read_json(directory / "documents.json"):
        try:
            doc = Document(**item)
        except (KeyError, TypeError) as exc:
            raise _corrupt(directory / "documents.json", f"bad record {exc}") from exc
        if hashlib.sha256(doc.text.encode("utf-8")).hexdigest() != doc.sha256:
            raise _corrupt(directory / "documents.json", f"text of {doc.doc} fails its sha256")
        documents[doc.doc] = doc
    try:
        passages = [Passage.from_json(p) for p in _read_json(directory / "passages.json")]
    except (KeyError, TypeError) as exc:
        raise _corrupt(directory / "passages.json", f"bad record {exc}") from exc
    try:
        lexicon = Lexicon.from_json(_read_json(directory / "lexicon.json"))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _corrupt(directory / "lexicon.json", f"bad record {exc}") from exc
    if len(lexicon.bm25.doc_len) != len(passages):
        raise _corrupt(directory / "lexicon.json", "its passages are not the index's")
    n_sentences = sum(len(p.sentences) for p in passages)
    vectors = {}
    for name, dim in dims.items():
        sets = []
        for level, count in (("passages", len(passages)), ("sentences", n_sentences)):
            path = directory / f"{name}.{level}.faiss"
            try:
                fi = faiss.read_index(str(path))
            except Exception as exc:  # faiss raises RuntimeError with C++ text
                raise _corrupt(
                    path, str(exc).splitlines()[0] if str(exc) else "unreadable"
                ) from exc
            if fi.ntotal != count or fi.d != dim:
                raise _corrupt(path, f"{fi.ntotal} vectors of dim {fi.d}, expected {count} x {dim}")
            sets.append(fi)
        vectors[name] = VectorSet(name, dim, *sets)
    return CorpusIndex(chash, documents, passages, vectors, lexicon, path=directory)


def _read_json(path: Path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError as exc:
        raise _corrupt(path, "file missing") from exc
    except (OSError, ValueError) as exc:
        raise _corrupt(path, f"unreadable ({exc.__class__.__name__}: {exc})") from exc


def _corrupt(path: Path, why: str) -> IndexCorrupt:
    return IndexCorrupt(f"{path}: {why}; run `quotebot index --rebuild` to rebuild the index")


def ensure_index(
    settings: Settings,
    rebuild: bool = False,
    log: Callable[[str], None] | None = None,
    complete: bool = False,
) -> CorpusIndex:
    """Return the index of `settings.corpus`, loading it from the cache or building it.

    A new index gets the vectors of the first embedder only (English: searchable soonest); the
    others are added by `complete_index`, here with `complete` or later on the first question
    that needs them. A stale index is rebuilt with a one-line message, and so is a corrupt one
    in the cache. When the index cannot be written (a read-only cache) it is built in memory
    with a warning.
    """
    log = log or (lambda msg: print(f"quotebot: {msg}", file=sys.stderr))
    index = _first_vectors(settings, rebuild, log)
    if complete:
        complete_index(index, settings, log)
    return index


def pending_embedders(index: CorpusIndex, settings: Settings) -> list[str]:
    """Return the names of `settings.embedders` whose vectors `index` does not have yet."""
    return [n for n in settings.embedders if n not in index.vectors]


def complete_index(
    index: CorpusIndex, settings: Settings, log: Callable[[str], None] | None = None
) -> CorpusIndex:
    """Add the vectors of every embedder in `settings` that `index` lacks, saying so first."""
    pending = pending_embedders(index, settings)
    if pending:
        log = log or (lambda msg: print(f"quotebot: {msg}", file=sys.stderr))
        log(
            f"building the {'+'.join(pending)} vectors for non-English questions "
            f"({len(index.passages) + len(index.sentence_refs)} texts, once)"
        )
        add_vectors(index, [_embedder(n, settings) for n in pending], settings)
    return index


def _embedder(name: str, settings: Settings) -> ArrayEmbeddings:
    return get_embedder(name, settings.threads, settings.query_threads, settings.cache_dir)


def _first_vectors(settings: Settings, rebuild: bool, log: Callable[[str], None]) -> CorpusIndex:
    """Return the index of `settings.corpus` with at least its first embedder's vectors."""
    documents = load_corpus(settings.corpus)
    chash = corpus_hash(documents, settings)
    directory = default_index_dir(settings, chash)
    if not rebuild:
        try:
            return load(directory, chash, settings.embedders)
        except FileNotFoundError:
            pass
        except (IndexStale, IndexCorrupt) as exc:
            log(f"rebuilding the index at {directory}: {exc}")
    from filelock import FileLock, Timeout  # not needed to load an index

    embedders = [_embedder(settings.embedders[0], settings)]
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(directory) + ".lock", timeout=900)
        with lock:
            if not rebuild:  # another process may have built it while we waited
                try:
                    return load(directory, chash, settings.embedders)
                except (FileNotFoundError, IndexStale, IndexCorrupt):
                    pass
            index = build(documents, embedders, settings, cache_dir=settings.cache_dir)
            save(index, directory)
            return index
    except (OSError, Timeout) as exc:  # read-only or full cache, or a lock held too long
        log(
            f"cannot write the index to {directory} ({exc}); using it in memory only. "
            "Set QUOTEBOT_CACHE_DIR or --index-dir to a writable folder to keep it."
        )
        return build(documents, embedders, settings)
