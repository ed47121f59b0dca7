"""The persisted index: passages, sources and FAISS vectors in a directory, written atomically.

Layout of an index directory (no pickle anywhere):
  manifest.json    format version, corpus hash, embedders (name, dim), counts, passage limits,
                   where the corpus was read from (a later index of it starts from this one,
                   see `updated`), and the name of every file in the directory: it marks
                   the directory as quotebot's, the only kind quotebot ever replaces (see
                   `check_target`)
  documents.json   doc name, original path, extracted text, its sha256, title, date, source
  passages.json    the passages, with sentence spans
  lexicon.json     vocabulary, BM25 statistics and question->answer routes (index/lexicon.py)
  <embedder>.passages.faiss / <embedder>.sentences.faiss   inner-product indexes of unit vectors

An index is searchable once its first embedder's vectors are saved: the others (e5, for
non-English questions) are added later by `add_vectors`, which writes their files and then
the manifest.

Loading trusts nothing the index holds that can be checked: given the documents as read from
their files now, the stored copies must match them (they answer, not the copies), the passages
must be what segmenting them gives, and the vectors must be finite unit rows, as many as the
passages and sentences.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import glob
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import orjson

from quotebot.errors import UserError
from quotebot.settings import Settings

from .corpus import load_corpus
from .document_cache import (
    HeaderCache,
    all_sentences,
    all_terms,
    passages_fit,
    prune,
    segmented,
    sentence_texts,
)
from .embedder import ArrayEmbeddings, get_embedder
from .lexicon import Lexicon, build_lexicon, updated_lexicon
from .records import Document, Passage
from .segment import SEGMENTATION_KEY, segment
from .text import NAME_WORD, token_counts
from .vector_cache import VectorCache, text_key, unit_rows

FORMAT_VERSION = 5  # 2: lexicon.json; 3: the manifest lists the files and the passage limits;
# 4: every passage of a question turn routes to its answers (lexicon.json); 5: e5's passage
# vectors from its ONNX export
MANIFEST = "manifest.json"
MAX_MANIFEST_BYTES = 2**20
_CHECK_ROWS = 16_384  # vectors checked per block on load (bounded memory)
_LEVELS = ("passages", "sentences")
_KINDS = (".json", ".faiss")  # the kinds of file an index consists of
PROGRESS_MIN_TEXTS = 500
# A new index of at most this many texts (passages and sentences) gets every embedder's vectors
# at once: e5 embeds 40-60 short texts a second on 2 cores, so at most about 20 s (the seed's
# 107 texts: 2.4 s); a larger one is searchable with its first embedder first.
SMALL_CORPUS_TEXTS = 1_000
_BATCH = 256
# Index type by size, measured on 2 cores (docs/performance.md): one flat search for k=216
# costs about 0.06 us per 384-dim vector (4 ms at 70,000, the sentences of 1,000 statements;
# 28 ms at 500,000), while HNSW answers in 1-2 ms but takes 26 s to build at 70,000 and
# 100 s at 200,000. Flat (exact) stays until a search would cost over ~12 ms. A flat search
# reads every vector, so from HALF_MIN_VECTORS on they are stored as fp16 (a scalar quantizer):
# at 68,765 (the sentences of 1,000 statements) a search took 4.2 ms against 7.5 ms for fp32,
# with 99.97% of the top 216 the same and scores within 1e-4. Smaller corpora (every question
# set) stay fp32.
FLAT_MAX_VECTORS = 200_000
HALF_MIN_VECTORS = 20_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 128  # faiss searches max(efSearch, k) candidates
# Each change to a corpus makes a new index in the cache (183 MB for 1,000 statements): past this
# many there, the least recently used are removed (`prune_indexes`)
MAX_CACHED_INDEXES = 8
_CACHED_INDEX = re.compile(r"[0-9a-f]{16}-[a-z0-9_+-]+")  # the names default_index_dir gives


class IndexCorrupt(RuntimeError):
    """An index file is unreadable or inconsistent; the message names it and says what to run."""


class IndexStale(RuntimeError):
    """An index was built for another corpus, embedder or format version."""


class IndexDirError(UserError):
    """The place given for an index holds something quotebot did not create: left untouched."""


@dataclass
class VectorSet:
    """The passage and sentence vectors of one embedder, as FAISS indexes."""

    name: str
    dim: int
    passages: object
    sentences: object


@dataclass(frozen=True)
class Texts:
    """What an index embeds: each passage's normalised text, then each sentence's. `unique`
    holds each distinct text once, with its vector cache key in `keys`; row i of the vectors
    is the vector of `unique[where[i]]`, and the first `passages` rows are the passages'."""

    unique: list[str]
    keys: list[str]
    where: np.ndarray
    passages: int


def index_texts(
    docs: dict[str, Document], passages: list[Passage], sentences: list[str] | None = None
) -> Texts:
    """Return the texts of `passages` (of `docs`) to embed (`sentences`: the normalised text of
    every sentence of `passages`, in order, when known)."""
    texts = [p.text for p in passages]  # normalised already
    texts += sentences if sentences is not None else sentence_texts(docs, passages)
    first: dict[str, int] = {}  # distinct text -> its row in `unique`
    where = np.fromiter((first.setdefault(t, len(first)) for t in texts), np.int64, len(texts))
    unique = list(first)
    return Texts(unique, [text_key(u) for u in unique], where, len(passages))


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
    limits: tuple[int, int] = (0, 0)  # (max sentences, max chars) per passage, as segmented
    corpus: tuple[str, ...] = ()  # where the documents were read from (`corpus_location`)
    # what a build embedded, kept until every embedder's vectors are added (not saved)
    texts: Texts | None = field(default=None, repr=False, compare=False)
    by_id: dict[str, int] = field(init=False, repr=False)
    sentence_refs: list[tuple[int, int]] = field(init=False, repr=False)
    first_sentence: list[int] = field(init=False, repr=False)
    speakers: frozenset[str] = field(init=False, repr=False)  # every speaker of the passages
    askers: frozenset[str] = field(init=False, repr=False)  # ... of a question passage
    _lower_case: dict[str, bool] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self.by_id = {p.id: i for i, p in enumerate(self.passages)}
        self.sentence_refs = [
            (i, j) for i, p in enumerate(self.passages) for j in range(len(p.sentences))
        ]
        # row of each passage's first sentence in the sentence vectors
        self.first_sentence = [
            int(n) for n in np.cumsum([0] + [len(p.sentences) for p in self.passages])
        ]
        self.speakers = frozenset(p.speaker for p in self.passages if p.speaker)
        self.askers = frozenset(
            p.speaker for p in self.passages if p.speaker and p.role == "question"
        )

    @cached_property
    def speakers_by_doc(self) -> dict[str, frozenset[str]]:
        """Return each document's speakers."""
        found: dict[str, set[str]] = {}
        for p in self.passages:
            if p.speaker:
                found.setdefault(p.doc, set()).add(p.speaker)
        return {doc: frozenset(speakers) for doc, speakers in found.items()}

    @cached_property
    def speaker_names(self) -> dict[str, str]:
        """Return the words of the speakers' names by their lower-case form ("lamport" ->
        "Lamport")."""
        return {w.lower(): w for s in self.speakers for w in NAME_WORD.findall(s)}

    def in_lower_case(self, word: str) -> bool:
        """Return whether the documents write `word` (lower case) in lower case: "long" in "how
        long", where "lamport" is only ever a name. Remembered per word."""
        found = self._lower_case.get(word)
        if found is None:
            pattern = re.compile(rf"\b{re.escape(word)}\b")
            found = any(pattern.search(d.text) for d in self.documents.values())
            self._lower_case[word] = found
        return found

    def passage(self, passage_id: str) -> Passage:
        """Return the passage with id `passage_id`."""
        return self.passages[self.by_id[passage_id]]

    def source(self, doc: str) -> str:
        """Return the original text of document `doc`."""
        return self.documents[doc].text

    def sentence_text(self, row: int, j: int) -> str:
        """Return the original text of sentence `j` of the passage at `row`."""
        passage = self.passages[row]
        start, end = passage.sentences[j]
        return self.documents[passage.doc].text[start:end]


def corpus_hash(documents: Sequence[Document], settings: Settings) -> str:
    """Return a hash of the documents and of every setting that changes the passages."""
    return hash_of_texts({d.doc: d.sha256 for d in documents}, settings)


def hash_of_texts(hashes: dict[str, str], settings: Settings) -> str:
    """Return `corpus_hash` of documents given as their names' text hashes (`hashes`)."""
    h = hashlib.sha256()
    h.update(f"v{FORMAT_VERSION}.{SEGMENTATION_KEY}".encode())
    h.update(f"{settings.max_passage_sentences}/{settings.max_passage_chars}".encode())
    for doc in sorted(hashes):
        h.update(f"\0{doc}\0{hashes[doc]}".encode())
    return h.hexdigest()


def corpus_location(settings: Settings) -> tuple[str, ...]:
    """Return the absolute paths the corpus of `settings` is read from, sorted."""
    return tuple(sorted(os.path.abspath(p) for p in settings.corpus))


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
    trust_cache: bool = True,
) -> CorpusIndex:
    """Return a new in-memory index of `documents`: segmented, embedded, in FAISS.

    With `cache_dir`, what segmenting a document gave and the vectors of texts embedded before
    are reused from its caches (index/document_cache.py, index/vector_cache.py); without
    `trust_cache` every document is segmented again (and its cache entry replaced).
    """
    limits = (settings.max_passage_sentences, settings.max_passage_chars)
    parts = [segmented(d, limits, cache_dir, trust_cache) for d in documents]
    passages = [p for part in parts for p in part.passages]
    if not passages:
        raise IndexCorrupt("the corpus has no text to index after dropping page chrome")
    docs = {d.doc: d for d in documents}
    texts = index_texts(docs, passages, all_sentences(documents, parts))
    vectors = {emb.name: vector_set(emb, texts, progress, cache_dir) for emb in embedders}
    words = Counter()
    for part in parts:
        words.update(part.words)
    lexicon = build_lexicon(documents, passages, words, all_terms(parts))
    prune(cache_dir)
    chash = corpus_hash(documents, settings)
    where = corpus_location(settings)
    return CorpusIndex(
        chash, docs, passages, vectors, lexicon, limits=limits, corpus=where, texts=texts
    )


def vector_set(
    emb: ArrayEmbeddings,
    texts: Texts,
    progress: bool | None = None,
    cache_dir: Path | None = None,
) -> VectorSet:
    """Return `emb`'s passage and sentence vectors of `texts` as FAISS indexes."""
    cache = vector_cache(emb, cache_dir)
    table = embed_texts(emb, texts, progress, cache)
    pv, sv = table[: texts.passages], table[texts.passages :]
    return VectorSet(emb.name, emb.dim, faiss_index(pv), faiss_index(sv))


def vector_cache(emb: ArrayEmbeddings, cache_dir: Path | None) -> VectorCache | None:
    """Return the vector cache of `emb` in `cache_dir` (None without one)."""
    return VectorCache(cache_dir, emb.vector_name, emb.dim) if cache_dir is not None else None


def embed_texts(
    emb: ArrayEmbeddings,
    texts: Texts,
    progress: bool | None = None,
    cache: VectorCache | None = None,
    used: Callable[[], list[str]] | None = None,
) -> np.ndarray:
    """Return passage vectors for every row of `texts`, embedding each distinct text once, in
    batches, and only when `cache` does not hold it already (new vectors are added to `cache`;
    `used` gives the keys of every text of the index, should it have to be trimmed, by default
    those of `texts`)."""
    unique, hashed = texts.unique, texts.keys
    if cache is not None:
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
        cache.add(hashed, table, used=used or (lambda: hashed))
    return table if len(unique) == len(texts.where) else table[texts.where]


def faiss_index(vectors: np.ndarray):
    """Return an inner-product FAISS index over `vectors` (unit rows), as `empty_index` makes
    it for their number."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    index = empty_index(vectors.shape[1], len(vectors))
    index.add(vectors)
    return index


def empty_index(dim: int, count: int):
    """Return the empty inner-product FAISS index for `count` unit vectors of `dim` dimensions:
    exact (flat) up to FLAT_MAX_VECTORS, stored as fp16 from HALF_MIN_VECTORS, approximate
    (HNSW) past it."""
    import faiss

    if HALF_MIN_VECTORS <= count <= FLAT_MAX_VECTORS:
        fp16 = faiss.ScalarQuantizer.QT_fp16
        return faiss.IndexScalarQuantizer(dim, fp16, faiss.METRIC_INNER_PRODUCT)
    if count <= FLAT_MAX_VECTORS:
        return faiss.IndexFlatIP(dim)
    index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def save(index: CorpusIndex, directory: Path) -> Path:
    """Write `index` to `directory` atomically (a sibling temporary directory, then rename).

    Raises IndexDirError, before writing anything, if `directory` is not a new path, an empty
    folder or a quotebot index. A replaced index is removed file by file, by its manifest.
    """
    import faiss

    directory = Path(os.path.abspath(directory))
    check_target(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    try:
        _write_json(
            tmp / "documents.json",
            [dataclasses.asdict(d) for d in index.documents.values()],
        )
        _write_json(tmp / "passages.json", [p.to_json() for p in index.passages])
        _write_json(tmp / "lexicon.json", index.lexicon.to_json())
        writes = [
            (fi, str(tmp / f"{vs.name}.{level}.faiss"))
            for vs in index.vectors.values()
            for level, fi in zip(_LEVELS, (vs.passages, vs.sentences), strict=True)
        ]
        # two at a time (faiss writes outside the GIL): 155 MB for 1,000 statements
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda job: faiss.write_index(*job), writes))
        # the manifest goes last: a directory without it is never taken for an index
        _write_json(tmp / MANIFEST, _manifest(index, os.listdir(tmp)))
        old, old_files = None, check_target(directory)
        if old_files is not None:
            old = directory.with_name(f".{directory.name}.old-{os.getpid()}-{time.time_ns()}")
            os.rename(directory, old)
        os.rename(tmp, directory)
        if old is not None:
            _remove_index(old, old_files)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    index.path = directory
    return directory


def _manifest(
    index: CorpusIndex, files: Sequence[str], vectors: Sequence[VectorSet] | None = None
) -> dict:
    """Return the manifest of `index`, whose directory holds `files` (and the manifest) and the
    vectors `vectors` (all of the index's by default)."""
    vectors = list(index.vectors.values()) if vectors is None else vectors
    return {
        "format_version": FORMAT_VERSION,
        "corpus_hash": index.corpus_hash,
        "embedders": [{"name": v.name, "dim": v.dim} for v in vectors],
        "passages": len(index.passages),
        "sentences": len(index.sentence_refs),
        "limits": list(index.limits),
        "corpus": list(index.corpus),
        "files": sorted({*files, MANIFEST}),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _lock(directory: Path):
    """Return the file lock that writers of the index at `directory` hold."""
    from filelock import FileLock

    return FileLock(str(directory.with_name(f".{directory.name}.lock")), timeout=900)


def add_vectors(
    index: CorpusIndex, embedders: Sequence[ArrayEmbeddings], settings: Settings
) -> CorpusIndex:
    """Embed `index` with `embedders` it lacks and add their vectors to it and, holding the
    index's lock, to its directory (see `_save_vectors`). When the directory cannot be
    written the vectors stay in memory. With Qdrant as the store they are put there too.
    Returns `index`."""
    from filelock import Timeout

    missing = [emb for emb in embedders if emb.name not in index.vectors]
    if not missing:
        return index
    if index.path is not None:
        with contextlib.suppress(OSError, Timeout), _lock(index.path):  # else kept in memory
            _save_vectors(index, missing, settings)
    for emb in missing:
        if emb.name not in index.vectors:
            index.vectors[emb.name] = vector_set(emb, _texts(index))
    index.texts = None  # every embedder has its vectors: no longer needed
    if settings.vector_store != "faiss":  # the new vectors are searched where the others are
        added = replace(index, vectors={emb.name: index.vectors[emb.name] for emb in missing})
        index.vectors.update(_stored(added, settings).vectors)
    return index


def _save_vectors(
    index: CorpusIndex, embedders: Sequence[ArrayEmbeddings], settings: Settings
) -> None:
    """Add `embedders`' vectors to `index` and to its directory (call it holding the lock).

    Every file the directory holds stays listed by its manifest (so it stays replaceable, see
    `check_target`): the manifest is first replaced by one that lists the new FAISS files too,
    then they are moved in, then the manifest naming their embedders replaces it, last.
    """
    import faiss

    directory = index.path
    listed_and_saved = _listed_and_saved(directory, index.corpus_hash)
    if listed_and_saved is None:
        return  # replaced or removed meanwhile: not ours to add to
    listed, saved = listed_and_saved
    if any(emb.name in saved for emb in embedders):  # another process added them meanwhile
        try:
            on_disk = load(directory, index.corpus_hash, sources=list(index.documents.values()))
        except (FileNotFoundError, IndexStale, IndexCorrupt):
            return
        saved = dict(on_disk.vectors)
    for emb in embedders:
        if emb.name in saved:
            index.vectors[emb.name] = saved[emb.name]
            continue
        vs = vector_set(emb, _texts(index), cache_dir=settings.cache_dir)
        index.vectors[emb.name] = vs
        names = [f"{vs.name}.{level}.faiss" for level in _LEVELS]
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
        try:
            for name, fi in zip(names, (vs.passages, vs.sentences), strict=True):
                faiss.write_index(fi, str(tmp / name))
            listed = sorted({*listed, *names})
            _replace_manifest(directory, tmp, _manifest(index, listed, list(saved.values())))
            for name in names:
                os.replace(tmp / name, directory / name)
            saved[vs.name] = vs
            _replace_manifest(directory, tmp, _manifest(index, listed, list(saved.values())))
        except RuntimeError as exc:  # faiss cannot write: a full disk
            raise OSError(str(exc)) from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _texts(index: CorpusIndex) -> Texts:
    """Return what `index` embeds: as its build computed it, else computed (and kept) now."""
    if index.texts is None:
        index.texts = index_texts(index.documents, index.passages)
    return index.texts


def _listed_and_saved(
    directory: Path, corpus_hash: str
) -> tuple[list[str], dict[str, VectorSet]] | None:
    """Return the files the manifest in `directory` lists and the vector sets it names (name
    and dimension only: no FAISS file is read), or None when the directory no longer holds the
    index of `corpus_hash`. Reading the manifest is enough to add vectors: loading the whole
    index again would segment every document once more (2.3 s for 1,000 statements)."""
    try:
        manifest = _read_json(directory / MANIFEST)
        if manifest.get("corpus_hash") != corpus_hash:
            return None
        saved = {
            e["name"]: VectorSet(e["name"], int(e["dim"]), None, None)
            for e in manifest["embedders"]
        }
        return list(manifest.get("files", [])), saved
    except (IndexCorrupt, KeyError, TypeError, ValueError, AttributeError):
        return None


def _replace_manifest(directory: Path, tmp: Path, manifest: dict) -> None:
    """Write `manifest` in `tmp` (a folder beside `directory`), then move it over the index's."""
    _write_json(tmp / MANIFEST, manifest)
    os.replace(tmp / MANIFEST, directory / MANIFEST)


# --- where an index may be written: only where nothing of the user's can be lost -----------


def check_target(directory: Path) -> list[str] | None:
    """Return None if `directory` does not exist, else the names of the files in it when it
    is an empty folder or a quotebot index (a real folder whose manifest lists every entry,
    each a regular file). Raise IndexDirError for anything else: a file, a symbolic link, a
    folder quotebot did not create or that holds more than the index."""
    if os.path.islink(directory):
        raise IndexDirError(
            f"{directory} is a symbolic link; give the folder itself for the index, "
            "or a new path (e.g. --index-dir)"
        )
    if not os.path.lexists(directory):
        return None
    if not os.path.isdir(directory):
        raise IndexDirError(
            f"{directory} is a file, not an index folder; give a new path (e.g. --index-dir)"
        )
    names = _index_files(Path(directory))
    if names is None:
        raise IndexDirError(
            f"{directory} is a folder that is not a quotebot index and not empty; quotebot "
            "writes only to a new path, an empty folder or its own index: give another one"
        )
    return names


def _index_files(directory: Path) -> list[str] | None:
    """Return the names in `directory` if it is empty or holds only the files of a quotebot
    index (as listed by its manifest), else None."""
    try:
        entries = {e.name: e for e in os.scandir(directory)}
    except OSError as exc:
        raise IndexDirError(f"{directory}: cannot list it ({exc.strerror})") from exc
    if not entries:
        return []
    manifest = entries.get(MANIFEST)
    if manifest is None or not manifest.is_file(follow_symlinks=False):
        return None
    if manifest.stat(follow_symlinks=False).st_size > MAX_MANIFEST_BYTES:
        return None
    try:
        data = json.loads(Path(manifest.path).read_bytes())
        listed = set(data["files"]) if "files" in data else _unlisted_files(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not all(n in listed and e.is_file(follow_symlinks=False) for n, e in entries.items()):
        return None
    return sorted(entries)


def _unlisted_files(manifest: dict) -> set[str]:
    """Return the files an index of format 1 or 2 (whose manifest did not list them) holds."""
    version = manifest["format_version"]
    if version not in (1, 2) or "corpus_hash" not in manifest:
        raise KeyError("files")
    faiss_files = {f"{e['name']}.{lvl}.faiss" for e in manifest["embedders"] for lvl in _LEVELS}
    lexicon = {"lexicon.json"} if version == 2 else set()
    return {MANIFEST, "documents.json", "passages.json", *faiss_files, *lexicon}


def _remove_index(directory: Path, names: list[str]) -> None:
    """Remove the files `names` of a replaced index, then its folder if nothing else came in."""
    for name in names:
        (directory / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something was added since the check: it stays aside
        directory.rmdir()


def prune_indexes(folder: Path, keep: Path, most: int = MAX_CACHED_INDEXES) -> None:
    """Remove the least recently used (loaded or written) indexes in `folder`, the cache's,
    past `most`, never `keep`. Only folders named as `default_index_dir` names them that hold
    a quotebot index and nothing else are candidates, and one whose lock another process holds
    is skipped. A process that loaded an index keeps answering from memory after its removal."""
    from filelock import Timeout

    used = {}
    try:
        for e in os.scandir(folder):
            if _CACHED_INDEX.fullmatch(e.name) and e.is_dir(follow_symlinks=False):
                used[Path(e.path)] = e.stat(follow_symlinks=False).st_mtime
    except OSError:  # one removed meanwhile: next time
        return
    kept = 1  # `keep`
    for directory in sorted(used, key=used.get, reverse=True):
        with contextlib.suppress(IndexDirError):
            if directory == keep or not _index_files(directory):
                continue  # not an index: not counted
        if kept < most:
            kept += 1
            continue
        lock = _lock(directory)
        lock.timeout = 0
        try:
            with lock:
                names = check_target(directory)
                if names:
                    _remove_index(directory, names)
                    Path(lock.lock_file).unlink(missing_ok=True)
        except (OSError, Timeout, IndexDirError):
            continue


def _remove_abandoned(directory: Path) -> None:
    """Remove the temporary folders that writers of `directory` killed mid-write left (call it
    holding the lock): those holding only files an index consists of."""
    for tmp in directory.parent.glob(f".{glob.escape(directory.name)}.tmp-*"):
        if tmp.is_symlink() or not tmp.is_dir():
            continue
        entries = list(os.scandir(tmp))
        if all(e.is_file(follow_symlinks=False) and e.name.endswith(_KINDS) for e in entries):
            _remove_index(tmp, [e.name for e in entries])


def _write_json(path: Path, data) -> None:
    """Write `data` as UTF-8 JSON to `path`, synced to disk. orjson writes the passages of
    1,000 statements (14 MB) in 0.01 s, `json.dumps` in 0.16 s (and reads them in 0.07 s
    against 0.13 s)."""
    with open(path, "wb") as fh:
        fh.write(orjson.dumps(data))
        fh.flush()
        os.fsync(fh.fileno())


def load(
    directory: Path,
    expected_hash: str | None = None,
    embedders: Sequence[str] | None = None,
    sources: Sequence[Document] | None = None,
    vectors: bool = True,
) -> CorpusIndex:
    """Return the index in `directory`, checked as the module docstring says; with `sources`
    (the documents as read from their files now) the index answers from them. Without
    `vectors` its FAISS files are not read (their VectorSets hold None).

    Raises FileNotFoundError if there is none, IndexStale if it was built for another corpus,
    embedder set or format, and IndexCorrupt if a file is unreadable or inconsistent.
    """
    import faiss

    directory = Path(directory)
    manifest_path = directory / MANIFEST
    if not manifest_path.exists():
        raise FileNotFoundError(f"no index at {directory}")
    manifest = _read_json(manifest_path)
    try:
        version = manifest["format_version"]
        chash = manifest["corpus_hash"]
        dims = {e["name"]: int(e["dim"]) for e in manifest["embedders"]}
        limits = (int(manifest["limits"][0]), int(manifest["limits"][1]))
        where = tuple(str(p) for p in manifest.get("corpus", ()))
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        if isinstance(manifest, dict) and manifest.get("format_version") != FORMAT_VERSION:
            raise IndexStale(
                f"index format {manifest.get('format_version')}, this quotebot reads "
                f"{FORMAT_VERSION}"
            ) from exc
        raise _corrupt(manifest_path, f"missing field {exc}") from exc
    if version != FORMAT_VERSION:
        raise IndexStale(f"index format {version}, this quotebot reads {FORMAT_VERSION}")
    if expected_hash is not None and chash != expected_hash:
        raise IndexStale("the corpus changed since the index was built")
    if embedders is not None and (not dims or list(embedders)[: len(dims)] != list(dims)):
        # the first embedders are enough: the others are added by `add_vectors`
        raise IndexStale(f"index embedders {list(dims)}, wanted {list(embedders)}")
    documents = _load_documents(directory / "documents.json", sources)
    passages_path = directory / "passages.json"
    try:
        passages = [Passage.from_json(p) for p in _read_json(passages_path)]
    except (KeyError, TypeError) as exc:
        raise _corrupt(passages_path, f"bad record {exc}") from exc
    segmented = [p for d in documents.values() for p in segment(d, *limits)]
    if passages != segmented:
        raise _corrupt(
            passages_path, "the passages (speakers, roles or offsets) differ from the documents'"
        )
    try:
        lexicon = Lexicon.from_json(_read_json(directory / "lexicon.json"))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _corrupt(directory / "lexicon.json", f"bad record {exc}") from exc
    if len(lexicon.bm25.doc_len) != len(passages):
        raise _corrupt(directory / "lexicon.json", "its passages are not the index's")
    n_sentences = sum(len(p.sentences) for p in passages)
    sets_of = {}
    for name, dim in dims.items():
        if not vectors:
            sets_of[name] = VectorSet(name, dim, None, None)
            continue
        sets = []
        for level, count in zip(_LEVELS, (len(passages), n_sentences), strict=True):
            path = directory / f"{name}.{level}.faiss"
            try:
                fi = faiss.read_index(str(path))
            except Exception as exc:  # faiss raises RuntimeError with C++ text
                raise _corrupt(
                    path, str(exc).splitlines()[0] if str(exc) else "unreadable"
                ) from exc
            _check_vectors(fi, path, count, dim)
            sets.append(fi)
        sets_of[name] = VectorSet(name, dim, *sets)
    return CorpusIndex(
        chash, documents, passages, sets_of, lexicon, path=directory, limits=limits, corpus=where
    )


def _load_documents(path: Path, sources: Sequence[Document] | None) -> dict[str, Document]:
    """Return the documents of documents.json, each checked against its sha256 and, given
    `sources`, replaced by the source document, which must have the same name and content."""
    documents = {}
    for item in _read_json(path):
        try:
            doc = Document(**item)
        except (KeyError, TypeError) as exc:
            raise _corrupt(path, f"bad record {exc}") from exc
        if hashlib.sha256(doc.text.encode("utf-8")).hexdigest() != doc.sha256:
            raise _corrupt(path, f"text of {doc.doc} fails its sha256")
        documents[doc.doc] = doc
    if sources is None:
        return documents
    current = {d.doc: d for d in sources}
    if set(current) != set(documents):
        raise IndexStale("the corpus changed since the index was built")
    for name, doc in documents.items():
        if doc.sha256 != current[name].sha256:
            raise _corrupt(path, f"the copy of {name} differs from its file {current[name].path}")
    return {name: current[name] for name in documents}


def _check_vectors(fi, path: Path, count: int, dim: int) -> None:
    """Raise IndexCorrupt unless `fi` is an inner-product index of `count` finite unit (or
    zero) vectors of `dim` dimensions."""
    import faiss

    half = isinstance(fi, faiss.IndexScalarQuantizer) and (
        fi.sq.qtype == faiss.ScalarQuantizer.QT_fp16
    )
    if not (half or isinstance(fi, faiss.IndexFlat | faiss.IndexHNSWFlat)):
        raise _corrupt(path, f"a {type(fi).__name__}, not a flat (fp32 or fp16) or HNSW index")
    if fi.metric_type != faiss.METRIC_INNER_PRODUCT:
        raise _corrupt(path, "not an inner-product index")
    if fi.ntotal != count or fi.d != dim:
        raise _corrupt(path, f"{fi.ntotal} vectors of dim {fi.d}, expected {count} x {dim}")
    for start in range(0, count, _CHECK_ROWS):
        block = fi.reconstruct_n(start, min(_CHECK_ROWS, count - start))
        if not np.isfinite(block).all():
            raise _corrupt(path, "holds values that are not finite numbers")
        if not unit_rows(block).all():
            raise _corrupt(path, "holds vectors that are not of unit length")


def _codes(fi) -> np.ndarray:
    """Return a view of the codes of `fi` (a flat or fp16 index), one row per vector: no copy
    (`fi` must stay alive beside it)."""
    import faiss

    codes = faiss.rev_swig_ptr(fi.codes.data(), fi.ntotal * fi.code_size)
    return codes.reshape(fi.ntotal, fi.code_size)


def _read_json(path: Path):
    try:
        with open(path, "rb") as fh:
            return orjson.loads(fh.read())
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

    A new index gets the vectors of the first embedder first (English: searchable soonest); the
    others are added by `complete_index`: here with `complete` or for a corpus of at most
    SMALL_CORPUS_TEXTS texts (seconds), else by `quotebot index` or on the first question that
    needs them (until then English questions are answered with the first embedder's features).
    A stale, corrupt or tampered index is rebuilt with a one-line message.
    Raises IndexDirError, before writing anything, when the index would replace something
    quotebot did not create. When the index cannot be written (a read-only cache) it is built
    in memory with a warning.
    """
    log = log or (lambda msg: print(f"quotebot: {msg}", file=sys.stderr))
    index = _first_vectors(settings, rebuild, log)
    if complete or len(index.passages) + len(index.sentence_refs) <= SMALL_CORPUS_TEXTS:
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
            f"building the {'+'.join(pending)} vectors ({len(index.passages)} passages and "
            f"{len(index.sentence_refs)} sentences, once): they answer non-English questions "
            "and sharpen English answers"
        )
        add_vectors(index, [_embedder(n, settings) for n in pending], settings)
    return index


def _embedder(name: str, settings: Settings) -> ArrayEmbeddings:
    return get_embedder(name, settings.threads, settings.query_threads, settings.cache_dir)


def _first_vectors(settings: Settings, rebuild: bool, log: Callable[[str], None]) -> CorpusIndex:
    """Return the index of `settings.corpus` with at least its first embedder's vectors."""
    # a rebuild, or one of a corrupt index, reads every header and segments every document again
    trust = not rebuild
    headers = HeaderCache(settings.cache_dir, trust)
    documents = load_corpus(settings.corpus, headers)
    chash = corpus_hash(documents, settings)
    directory = Path(os.path.abspath(default_index_dir(settings, chash)))
    if not rebuild:
        try:
            index = _open(directory, chash, settings, documents)
        except FileNotFoundError:
            pass
        except (IndexStale, IndexCorrupt) as exc:
            log(f"rebuilding the index at {directory}: {exc}")
            if isinstance(exc, IndexCorrupt):
                trust = False
                headers = HeaderCache(settings.cache_dir, trust)
                documents = load_corpus(settings.corpus, headers)
        else:
            headers.save()
            return index
    from filelock import Timeout  # not needed to load an index

    check_target(directory)
    headers.save()  # nothing is written before the index's place is checked
    embedders = [_embedder(settings.embedders[0], settings)]
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        with _lock(directory):
            _remove_abandoned(directory)
            if not rebuild:  # another process may have built it while we waited
                try:
                    return _open(directory, chash, settings, documents)
                except (FileNotFoundError, IndexStale, IndexCorrupt):
                    pass
            with _gc_paused():
                index = _updated(directory, documents, settings, chash) if trust else None
                if index is None:
                    index = build(
                        documents,
                        embedders,
                        settings,
                        cache_dir=settings.cache_dir,
                        trust_cache=trust,
                    )
                save(index, directory)
        if settings.index_dir is None:
            prune_indexes(directory.parent, keep=directory)
        return _stored(index, settings)
    except (OSError, Timeout) as exc:  # read-only or full cache, or a lock held too long
        log(
            f"cannot write the index to {directory} ({exc}); using it in memory only. "
            "Set QUOTEBOT_CACHE_DIR or --index-dir to a writable folder to keep it."
        )
        return _stored(build(documents, embedders, settings), settings)


@contextlib.contextmanager
def _gc_paused():
    """Pause Python's cyclic garbage collector: a build makes and writes hundreds of thousands
    of small objects (passages, JSON records) and no cycles, and the collections their number
    sets off took a third of a re-index's time on 1,000 statements (0.3 of 0.9 s of JSON
    reading, checking and writing). Those still alive then go to the oldest generation (moved
    there by `gc.freeze` and `gc.unfreeze`, without a scan), where a full collection still sees
    them: the first young collection after the pause went over them all (0.05-0.07 s)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def _updated(
    directory: Path, documents: Sequence[Document], settings: Settings, chash: str
) -> CorpusIndex | None:
    """Return the index of `documents` made from the previous index of the same corpus (see
    `updated`), or None when there is none it can be made from."""
    previous = previous_index(directory, settings)
    if previous is None:
        return None
    # the models load on a second core while the previous index is read and checked (their
    # sessions take 0.16 s to make, most of it outside the GIL); a failure to load shows when
    # the update embeds, as without this
    warming = threading.Thread(target=_warm_up, args=(previous, settings), daemon=True)
    warming.start()
    try:
        return updated(previous, directory, documents, settings, chash)
    finally:
        warming.join()


def _warm_up(previous: Path, settings: Settings) -> None:
    """Load the models of the embedders whose vectors the index at `previous` holds (an update
    embeds the changed files with those); errors are left for their first real use."""
    with contextlib.suppress(Exception):
        names = [e["name"] for e in _read_json(previous / MANIFEST)["embedders"]]
        for name in (n for n in settings.embedders if n in names):
            _embedder(name, settings).warm_up()


def _open(
    directory: Path, chash: str, settings: Settings, documents: Sequence[Document]
) -> CorpusIndex:
    """Load the index in `directory` (answering from `documents`) with its vectors in the
    configured store. A Qdrant server must hold them already (IndexStale if not): no FAISS
    file is read then."""
    server = settings.vector_store == "qdrant" and settings.qdrant_url is not None
    index = load(directory, chash, settings.embedders, documents, vectors=not server)
    with contextlib.suppress(OSError):  # its last use, for `prune_indexes` (a read-only cache)
        os.utime(directory)
    return _stored(index, settings, upload=False)


def _stored(index: CorpusIndex, settings: Settings, upload: bool = True) -> CorpusIndex:
    """Return `index` with its vectors in the configured store: as built (FAISS), or in Qdrant
    (index/qdrant_store.py), uploaded from FAISS in local mode, or with `upload` where the
    server lacks them."""
    if settings.vector_store == "faiss":
        return index
    from .qdrant_store import attach

    try:
        sets = attach(index, settings.qdrant_url, upload, FLAT_MAX_VECTORS, HNSW_EF_SEARCH)
    except LookupError as exc:
        raise IndexStale(str(exc)) from exc
    vectors = {name: VectorSet(name, vs.dim, *sets[name]) for name, vs in index.vectors.items()}
    return replace(index, vectors=vectors)


# --- a re-index made from the previous index of the same corpus --------------------------
#
# Re-indexing after one file of 1,000 changed reads the earlier index's passages, vectors and
# lexicon, and segments, embeds and counts the changed files only (`build` does everything from
# the caches otherwise).
#
# The previous index is the most recently written one of the same corpus location, format,
# passage limits and first embedder (in the cache's `indexes/` folder, or the index directory
# given), read holding its lock (until the update is made, as its vectors are read on worker
# threads meanwhile); its corpus hash must be that of its documents under this segmentation
# version (its passages were segmented as now). It is trusted no more than the document cache:
# a document's passages are taken from it only when the document's text hash is the one read
# from its file now, and they must be its text at their offsets (normalised) with their
# sentences inside them;
# its vectors must be finite unit rows, as many as its passages and sentences, in a flat index of
# the kind a full build would make; and its lexicon must fit its passages. When anything does not
# hold (or the lock is taken), None is returned and the index is built in full. The result equals
# a full build of the same files (tests/test_store.py): the same passages, vectors, lexicon.


@dataclass(frozen=True)
class Previous:
    """What an earlier index holds, by document: its records as stored (documents.json), the
    rows of its passages and of their sentences, its lexicon (JSON) and, per embedder, its
    FAISS indexes (passages, sentences) with their codes, one row per vector, as they are read
    (`_previous_vectors`)."""

    documents: dict[str, dict]
    passages: dict[str, list[dict]]
    rows: dict[str, tuple[int, int, int]]  # doc -> (first passage, passages, first sentence)
    counts: tuple[int, int]  # passages, sentences
    lexicon: dict
    vectors: dict[str, list[Future]]  # each of a (FAISS index, codes) or None


def previous_index(directory: Path, settings: Settings) -> Path | None:
    """Return the most recently written index that the index at `directory` can be made from:
    of the same corpus location, format, passage limits and first embedder; `directory` itself
    when it is the index directory given (`settings.index_dir`)."""
    if settings.index_dir is not None:
        candidates = [directory]
    else:
        try:
            candidates = [
                Path(e.path)
                for e in os.scandir(directory.parent)
                if _CACHED_INDEX.fullmatch(e.name)
                and e.is_dir(follow_symlinks=False)
                and Path(e.path) != directory
            ]
        except OSError:
            return None
    wanted = {
        "format_version": FORMAT_VERSION,
        "limits": [settings.max_passage_sentences, settings.max_passage_chars],
        "corpus": list(corpus_location(settings)),
    }
    found = {}
    for candidate in candidates:
        try:
            with open(candidate / MANIFEST, "rb") as fh:
                manifest = json.load(fh)
            first = manifest["embedders"][0]["name"]
            if first == settings.embedders[0] and all(
                manifest.get(k) == v for k, v in wanted.items()
            ):
                found[candidate] = os.stat(candidate / MANIFEST).st_mtime
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            continue
    return max(found, key=found.get) if found else None


def updated(
    previous: Path,
    directory: Path,
    documents: Sequence[Document],
    settings: Settings,
    chash: str,
) -> CorpusIndex | None:
    """Return the index of `documents` (hash `chash`) for `directory`, made from the index at
    `previous`, or None when that cannot serve (see the module docstring)."""
    from filelock import Timeout

    lock = _lock(previous)
    lock.timeout = 0
    # the lock is held until the update is made (its vectors are read meanwhile; the caller
    # holds it when `previous` is `directory`). The FAISS files are read and checked two at a
    # time on worker threads while the JSON is read and the passages and lexicon are made
    # (faiss reads and numpy's checks run outside the GIL; 0.2-0.3 s for 1,000 statements).
    held = contextlib.nullcontext() if previous == directory else lock
    try:
        with held, ThreadPoolExecutor(2) as pool:
            try:
                old = read_previous(previous, settings, pool)
                return None if old is None else _made(old, documents, settings, chash, pool)
            finally:
                pool.shutdown(cancel_futures=True)
    except Timeout:
        return None


def read_previous(directory: Path, settings: Settings, pool: ThreadPoolExecutor) -> Previous | None:
    """Return what the index in `directory` holds (its vectors read by `pool`, see
    `_previous_vectors`), or None if a file is missing, unreadable or inconsistent, its
    embedders are not the first of `settings`, or it was segmented by another version."""
    try:
        manifest = _read_json(directory / MANIFEST)
        dims = {e["name"]: int(e["dim"]) for e in manifest["embedders"]}
        chash = manifest["corpus_hash"]
    except (IndexCorrupt, ValueError, KeyError, TypeError):
        return None
    if list(dims) != list(settings.embedders[: len(dims)]):
        return None
    vectors = {
        name: [pool.submit(_previous_vectors, directory, name, level, dim) for level in _LEVELS]
        for name, dim in dims.items()
    }
    try:
        stored = {d["doc"]: d for d in _read_json(directory / "documents.json")}
        if hash_of_texts({doc: d["sha256"] for doc, d in stored.items()}, settings) != chash:
            return None  # segmented by another version (or its documents are not its own)
        records = _read_json(directory / "passages.json")
        lexicon = _read_json(directory / "lexicon.json")
        passages: dict[str, list[dict]] = {}
        rows: dict[str, tuple[int, int, int]] = {}
        sentences = 0
        for row, record in enumerate(records):
            doc = record["doc"]
            if doc not in passages:
                if doc in rows or doc not in stored:
                    return None  # a document's passages must be one run
                passages[doc], rows[doc] = [], (row, 0, sentences)
            passages[doc].append(record)
            sentences += len(record["sentences"])
            if rows[doc][0] + len(passages[doc]) != row + 1:
                return None
        rows = {doc: (first, len(passages[doc]), s) for doc, (first, _, s) in rows.items()}
    except (IndexCorrupt, ValueError, KeyError, TypeError):
        return None
    counts = (len(records), sentences)
    return Previous(stored, passages, rows, counts, lexicon, vectors)


def _previous_vectors(directory: Path, name: str, level: str, dim: int):
    """Return the FAISS index of `name`'s `level` vectors in `directory` and a view of its codes,
    or None unless it is a flat index of the kind a full build makes of as many vectors of `dim`
    dimensions, each a finite unit (or zero) vector."""
    import faiss

    try:
        # the codes memory-mapped, not copied (0.1 s of 157 MB): an index's files are never
        # changed in place, only removed (which leaves a mapping intact) or replaced by renaming
        fi = faiss.read_index(str(directory / f"{name}.{level}.faiss"), faiss.IO_FLAG_MMAP_IFC)
    except RuntimeError:
        return None
    if fi.d != dim or not _flat(fi, empty_index(dim, fi.ntotal)):
        return None
    codes = _codes(fi)
    return (fi, codes) if _sound(fi, codes) else None


def _made(
    old: Previous,
    documents: Sequence[Document],
    settings: Settings,
    chash: str,
    pool: ThreadPoolExecutor,
) -> CorpusIndex | None:
    """Return the index of `documents` made from `old` (its vectors on a thread of `pool`), or
    None when `old` does not fit."""
    limits = (settings.max_passage_sentences, settings.max_passage_chars)
    docs = {d.doc: d for d in documents}
    passages: list[Passage] = []
    # per document, the rows of its passages and of its sentences: (True, first, end) in `old`,
    # or (False, first, end) among the rows embedded now
    blocks: tuple[list, list] = ([], [])
    new_row = np.full(old.counts[0], -1, np.int64)
    added: dict[int, dict[str, int]] = {}
    fresh_docs, fresh_parts = [], []
    fresh = [0, 0]  # passages, sentences of the changed documents so far
    words_in: Counter[str] = Counter()
    for document in documents:
        stored = old.documents.get(document.doc)
        if stored is not None and stored.get("sha256") == document.sha256:
            try:
                kept = [Passage.from_json(r) for r in old.passages.get(document.doc, [])]
            except (KeyError, TypeError):
                return None
            if not passages_fit(document, kept):
                return None
            first, count, sentence = old.rows.get(document.doc, (0, 0, 0))
            new_row[first : first + count] = np.arange(len(passages), len(passages) + count)
            blocks[0].append((True, first, first + count))
            blocks[1].append((True, sentence, sentence + sum(len(p.sentences) for p in kept)))
            passages += kept
            continue
        part = segmented(document, limits, settings.cache_dir)
        rows = range(len(passages), len(passages) + len(part.passages))
        added.update(zip(rows, all_terms([part]), strict=True))
        passages += part.passages
        words_in.update(part.words)
        fresh_docs.append(document)
        fresh_parts.append(part)
        for level, count in enumerate(
            (len(part.passages), sum(len(p.sentences) for p in part.passages))
        ):
            blocks[level].append((False, fresh[level], fresh[level] + count))
            fresh[level] += count
    if not passages or (not fresh_docs and len(docs) == len(old.documents)):
        return None  # no text, or nothing changed: not a case for an update
    texts = index_texts(
        docs,
        [p for part in fresh_parts for p in part.passages],
        all_sentences(fresh_docs, fresh_parts),
    )
    counts = (len(passages), sum(len(p.sentences) for p in passages))
    # the vectors are made on a worker thread (their embedding and copying run outside the GIL)
    # while the lexicon is made here
    vectors = pool.submit(
        _vector_sets, old, texts, blocks, counts, lambda: index_texts(docs, passages), settings
    )
    words_out: Counter[str] = Counter()
    for name, stored in old.documents.items():
        if name not in docs or docs[name].sha256 != stored.get("sha256"):
            text = stored.get("text")
            if not isinstance(text, str):
                return None
            if hashlib.sha256(text.encode("utf-8")).hexdigest() != stored.get("sha256"):
                return None
            words_out.update(token_counts(text))
    try:
        lexicon = updated_lexicon(old.lexicon, new_row, passages, added, words_out, words_in)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    sets = vectors.result()
    if sets is None:
        return None
    prune(settings.cache_dir)
    where = corpus_location(settings)
    return CorpusIndex(chash, docs, passages, sets, lexicon, limits=limits, corpus=where)


def _vector_sets(
    old: Previous,
    texts: Texts,
    blocks: tuple[list, list],
    counts: tuple[int, int],
    every_text: Callable[[], Texts],
    settings: Settings,
) -> dict[str, VectorSet] | None:
    """Return, per embedder of `old`, the vectors of the updated index (`counts` passages and
    sentences): block by block (`blocks`) codes of `old` or `texts` embedded now (looked up in
    the vector cache first, which may keep only `every_text()`'s); None when `old`'s vectors
    are unsound or of another kind than a full build would make."""
    vectors = {}
    for name, reads in old.vectors.items():
        levels = [read.result() for read in reads]
        for level, stored, count in zip(levels, old.counts, counts, strict=True):
            if level is None or level[0].ntotal != stored:
                return None
            if type(empty_index(level[0].d, count)) is not type(level[0]):
                return None  # the count crossed a kind's limit (fp32 to fp16, flat to HNSW)
        emb = _embedder(name, settings)
        cache = vector_cache(emb, settings.cache_dir)
        table = embed_texts(emb, texts, cache=cache, used=lambda: every_text().keys)
        new = (table[: texts.passages], table[texts.passages :])
        sets = [
            _joined(fi.d, count, level, codes, vectors_now)
            for (fi, codes), count, level, vectors_now in zip(
                levels, counts, blocks, new, strict=True
            )
        ]
        vectors[name] = VectorSet(name, emb.dim, *sets)
    return vectors


def _flat(fi, kind) -> bool:
    """Return True when `fi` is an inner-product index of the same kind as `kind`, flat (fp32)
    or fp16: one that can be taken apart row by row (HNSW cannot)."""
    import faiss

    if type(fi) is not type(kind) or fi.metric_type != faiss.METRIC_INNER_PRODUCT:
        return False
    if isinstance(fi, faiss.IndexScalarQuantizer):
        return fi.sq.qtype == faiss.ScalarQuantizer.QT_fp16
    return isinstance(fi, faiss.IndexFlat)


def _sound(fi, codes: np.ndarray) -> bool:
    """Return True when the rows `codes` holds (of `fi`, a flat fp32 or fp16 index) are finite
    unit (or zero) vectors."""
    import faiss

    values = codes.view(np.float16 if isinstance(fi, faiss.IndexScalarQuantizer) else np.float32)
    return all(
        unit_rows(values[start : start + _CHECK_ROWS]).all()
        for start in range(0, len(values), _CHECK_ROWS)
    )


def _joined(dim: int, count: int, blocks: list, codes: np.ndarray, vectors: np.ndarray):
    """Return the FAISS index of `count` vectors whose rows are, block by block, rows of the
    previous index's `codes` or of `vectors` (embedded now), encoded as a full build would."""
    index = empty_index(dim, count)
    encoded = index.sa_encode(np.ascontiguousarray(vectors, dtype=np.float32))
    parts = [(codes if kept else encoded)[a:b] for kept, a, b in blocks]
    # copied once, into the index's own codes, as `add_sa_codes` does (concatenating them first
    # copied the 150 MB of 1,000 statements twice: 0.28 s against 0.11)
    index.codes.resize(count * index.code_size)
    index.ntotal = count
    np.concatenate(parts, out=_codes(index))
    return index
