"""A new index made from the previous index of the same corpus: re-indexing after one file of
1,000 changed reads the earlier index's passages, vectors and lexicon, and segments, embeds and
counts the changed files only (index/store.py builds everything from the caches otherwise).

The previous index is the most recently written one of the same corpus location, format,
passage limits and first embedder (in the cache's `indexes/` folder, or the index directory
given), read holding its lock. It is trusted no more than the document cache: a document's
passages are taken from it only when the document's text hash is the one read from its file
now, and they must be its text at their offsets (normalised) with their sentences inside them;
its vectors must be finite unit rows, as many as its passages and sentences, in a flat index of
the kind a full build would make; and its lexicon must fit its passages. When anything does not
hold (or the lock is taken), None is returned and the index is built in full. The result equals
a full build of the same files (tests/test_store.py): the same passages, vectors, lexicon.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from quotebot.settings import Settings

from .document_cache import all_sentences, all_terms, passages_fit, prune, segmented
from .lexicon import updated_lexicon
from .records import Document, Passage
from .store import (
    _CACHED_INDEX,
    _CHECK_ROWS,
    _LEVELS,
    FORMAT_VERSION,
    MANIFEST,
    UNIT_NORM_TOLERANCE,
    CorpusIndex,
    IndexCorrupt,
    VectorSet,
    _embedder,
    _lock,
    _read_json,
    corpus_location,
    embed_texts,
    empty_index,
    index_texts,
    vector_cache,
)
from .text import token_counts


@dataclass(frozen=True)
class Previous:
    """What an earlier index holds, by document: its records as stored (documents.json), the
    rows of its passages and of their sentences, its lexicon (JSON) and, per embedder, its
    FAISS indexes (passages, sentences) with their codes, one row per vector."""

    documents: dict[str, dict]
    passages: dict[str, list[dict]]
    rows: dict[str, tuple[int, int, int]]  # doc -> (first passage, passages, first sentence)
    counts: tuple[int, int]  # passages, sentences
    lexicon: dict
    vectors: dict[str, list[tuple[object, np.ndarray]]]


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
                if _CACHED_INDEX.fullmatch(e.name) and Path(e.path) != directory
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
        except (OSError, ValueError, KeyError, TypeError, IndexError):
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
    try:
        if previous == directory:  # the caller holds its lock
            old = read_previous(previous, settings)
        else:
            with lock:
                old = read_previous(previous, settings)
    except Timeout:
        return None
    return None if old is None else _made(old, documents, settings, chash)


def read_previous(directory: Path, settings: Settings) -> Previous | None:
    """Return what the index in `directory` holds, or None if a file is missing, unreadable or
    inconsistent, or its embedders are not the first of `settings`."""
    import faiss

    try:
        manifest = _read_json(directory / MANIFEST)
        dims = {e["name"]: int(e["dim"]) for e in manifest["embedders"]}
        if list(dims) != list(settings.embedders[: len(dims)]):
            return None
        stored = {d["doc"]: d for d in _read_json(directory / "documents.json")}
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
        vectors = {}
        for name, dim in dims.items():
            vectors[name] = []
            for level, count in zip(_LEVELS, (len(records), sentences), strict=True):
                fi = faiss.read_index(str(directory / f"{name}.{level}.faiss"))
                if fi.ntotal != count or fi.d != dim:
                    return None
                if not _flat(fi, empty_index(dim, count)):
                    return None
                # a view of the index's own codes (`fi` stays alive beside it): no copy
                codes = faiss.rev_swig_ptr(fi.codes.data(), count * fi.code_size)
                codes = codes.reshape(count, fi.code_size)
                vectors[name].append((fi, codes))
    except (IndexCorrupt, ValueError, KeyError, TypeError, RuntimeError):
        return None
    counts = (len(records), sentences)
    return Previous(stored, passages, rows, counts, lexicon, vectors)


def _made(
    old: Previous, documents: Sequence[Document], settings: Settings, chash: str
) -> CorpusIndex | None:
    """Return the index of `documents` made from `old`, or None when `old` does not fit."""
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
    texts = index_texts(
        docs,
        [p for part in fresh_parts for p in part.passages],
        all_sentences(fresh_docs, fresh_parts),
    )
    counts = (len(passages), sum(len(p.sentences) for p in passages))
    vectors = {}
    for name, levels in old.vectors.items():
        for (fi, codes), count in zip(levels, counts, strict=True):
            if type(empty_index(fi.d, count)) is not type(fi) or not _sound(fi, codes):
                return None
        emb = _embedder(name, settings)
        table = embed_texts(
            emb,
            texts,
            cache=vector_cache(emb, settings.cache_dir),
            used=lambda: index_texts(docs, passages).keys,
        )
        new = (table[: texts.passages], table[texts.passages :])
        sets = [
            _joined(fi.d, count, level, codes, vectors_now)
            for (fi, codes), count, level, vectors_now in zip(
                levels, counts, blocks, new, strict=True
            )
        ]
        vectors[name] = VectorSet(name, emb.dim, *sets)
    prune(settings.cache_dir)
    where = corpus_location(settings)
    return CorpusIndex(chash, docs, passages, vectors, lexicon, limits=limits, corpus=where)


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
    for start in range(0, len(values), _CHECK_ROWS):
        block = values[start : start + _CHECK_ROWS]
        norms = np.einsum("ij,ij->i", block, block, dtype=np.float32)  # NaN or inf shows here
        if not ((np.abs(norms - 1) < UNIT_NORM_TOLERANCE) | (norms == 0)).all():
            return False
    return True


def _joined(dim: int, count: int, blocks: list, codes: np.ndarray, vectors: np.ndarray):
    """Return the FAISS index of `count` vectors whose rows are, block by block, rows of the
    previous index's `codes` or of `vectors` (embedded now), encoded as a full build would."""
    index = empty_index(dim, count)
    encoded = index.sa_encode(np.ascontiguousarray(vectors, dtype=np.float32))
    index.add_sa_codes(np.concatenate([(codes if kept else encoded)[a:b] for kept, a, b in blocks]))
    return index
