"""What segmenting one document gives, kept between index builds: re-indexing after one file of
a corpus changes segments, counts and normalises that file only.

One JSON file per document under `<cache_dir>/documents/`, named by a key over the
segmentation version, the passage limits and the document's name, title and text hash (what
`segment` reads): {"key", "passages", "words", "terms", "sentences"}. An entry is written
atomically and read back only when its key matches and its passages are the document's text
at their offsets (normalised), so a damaged entry counts as missing and is made again; the
speakers and roles are checked when the index is loaded (index/store.py segments every document
then), and a build that must not trust the cache (a rebuild, or an index found corrupt)
segments every document again. Past MAX_ENTRIES the
least recently used entries are removed. Documents over MAX_CACHED_CHARS are not cached: their
counts are streamed instead (index/lexicon.py), and one document is all a re-index would
segment anyway. JSON only, never pickle.

Beside it, `<cache_dir>/headers.json` keeps the title and date each document's header gives
(`HeaderCache`): reading a corpus scans every file's header otherwise (0.1 s of 1,000
statements, for a re-index that segments one of them).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import orjson

from .records import Document, Passage
from .segment import SEGMENTATION_KEY, header_metadata, segment
from .text import content_tokens, normalise, token_counts

CACHE_VERSION = 1
MAX_CACHED_CHARS = 2_000_000  # a statement is 7,600 characters; a 2 MB hearing is still cached
MAX_ENTRIES = 20_000
EMPTY_PASSAGE = "\0"  # the term of a passage with no content word (BM25 needs one)
HEADERS_FILE = "headers.json"
HEADERS_VERSION = 1


@dataclass(frozen=True)
class Segmented:
    """A document's passages, its word counts (the speller's) and, for a document small enough
    to cache, each passage's content-term counts (BM25's) and its sentences' normalised text
    (what is embedded), passage by passage; None for a larger one (computed when read)."""

    passages: tuple[Passage, ...]
    words: dict[str, int]
    terms: tuple[dict[str, int], ...] | None
    sentences: tuple[str, ...] | None


def passage_terms(text: str) -> dict[str, int]:
    """Return the content-term counts of a passage's text (one EMPTY_PASSAGE term if none)."""
    return dict(Counter(content_tokens(text) or [EMPTY_PASSAGE]))


def sentence_texts(documents: Mapping[str, Document], passages: Iterable[Passage]) -> list[str]:
    """Return the normalised text of every sentence of `passages` (of `documents`, by name),
    in order."""
    return [normalise(documents[p.doc].text[s:e]) for p in passages for s, e in p.sentences]


def segmented(
    document: Document, limits: tuple[int, int], cache_dir: Path | None, trust: bool = True
) -> Segmented:
    """Return what segmenting `document` with passage `limits` gives: from the cache in
    `cache_dir` when it holds it (and `trust`), else computed, and then cached."""
    small = len(document.text) <= MAX_CACHED_CHARS
    folder = Path(cache_dir) / "documents" if cache_dir is not None and small else None
    key = entry_key(document, limits)
    if folder is not None and trust:
        found = _read(folder / f"{key}.json", key, document)
        if found is not None:
            return found
    passages = tuple(segment(document, *limits))
    words = dict(token_counts(document.text))
    if not small:
        return Segmented(passages, words, None, None)
    result = Segmented(
        passages,
        words,
        tuple(passage_terms(p.text) for p in passages),
        tuple(sentence_texts({document.doc: document}, passages)),
    )
    if folder is not None:
        _write(folder, key, result)
    return result


def entry_key(document: Document, limits: tuple[int, int]) -> str:
    """Return the cache key of `document` segmented with `limits`."""
    h = hashlib.sha256()
    h.update(f"c{CACHE_VERSION}.s{SEGMENTATION_KEY}.{limits[0]}/{limits[1]}".encode())
    h.update(f"\0{document.doc}\0{document.title or ''}\0{document.sha256}".encode())
    return h.hexdigest()


def all_sentences(documents: list[Document], parts: list[Segmented]) -> list[str]:
    """Return the normalised text of every sentence of `parts` (of `documents`), in order."""
    out: list[str] = []
    for document, part in zip(documents, parts, strict=True):
        out += (
            part.sentences
            if part.sentences is not None
            else sentence_texts({document.doc: document}, part.passages)
        )
    return out


def all_terms(parts: list[Segmented]) -> Iterator[dict[str, int]]:
    """Yield the content-term counts of every passage of `parts`, computing those not cached."""
    for part in parts:
        if part.terms is not None:
            yield from part.terms
        else:
            yield from (passage_terms(p.text) for p in part.passages)


def _read(path: Path, key: str, document: Document) -> Segmented | None:
    """Return the entry at `path` if it is `document`'s and sound, else None."""
    try:
        with open(path, "rb") as fh:
            data = orjson.loads(fh.read())
        if data.get("key") != key:
            return None
        passages = tuple(Passage.from_json(p) for p in data["passages"])
        terms = tuple(data["terms"])
        sentences = tuple(data["sentences"])
        words = dict(data["words"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not _sound(document, passages, terms, sentences):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used
    return Segmented(passages, words, terms, sentences)


def _sound(
    document: Document, passages: tuple[Passage, ...], terms: tuple, sentences: tuple
) -> bool:
    """Return True when `passages` fit `document` (`passages_fit`) and there is one term count
    per passage and one text per sentence."""
    return (
        passages_fit(document, passages)
        and len(terms) == len(passages)
        and len(sentences) == sum(len(p.sentences) for p in passages)
        and all(isinstance(t, dict) for t in terms)
        and all(isinstance(s, str) for s in sentences)
    )


def passages_fit(document: Document, passages: Iterable[Passage]) -> bool:
    """Return True when `passages` are of `document`, each its text at its offsets, with
    sentences inside it."""
    text = document.text
    for p in passages:
        if p.doc != document.doc or not 0 <= p.start < p.end <= len(text):
            return False
        if p.text != normalise(text[p.start : p.end]):
            return False
        if any(not p.start <= s < e <= p.end for s, e in p.sentences):
            return False
    return True


def _write(folder: Path, key: str, part: Segmented) -> None:
    """Write `part` as the entry `key` in `folder` (see `_write_json`)."""
    data = {
        "key": key,
        "passages": [p.to_json() for p in part.passages],
        "words": part.words,
        "terms": part.terms,
        "sentences": part.sentences,
    }
    _write_json(folder / f"{key}.json", data)


def _write_json(path: Path, data: object) -> None:
    """Write `data` as JSON to `path` atomically (a temporary file beside it, then renamed);
    never raises OSError: a cache that cannot be written is only slower next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".entry-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(orjson.dumps(data))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return


class HeaderCache:
    """The (title, date) that `header_metadata` reads from a document's text, by the text's
    sha256, kept in `<cache_dir>/headers.json` (held in memory only without a cache folder).

    The file is {"version", "checksum", "headers": {sha256: [title, date]}}. Its version names
    the segmentation key, whose module reads headers (its version and a digest of its code: a
    header that reads differently is read again): a file of another version, or whose checksum
    (the sha256 of its headers as written) or records do not hold, counts as empty, and is
    rewritten. A changed file has another hash, so its header is read again. Past MAX_ENTRIES,
    a write keeps the headers asked for since the cache was opened only."""

    def __init__(self, cache_dir: Path | None, trust: bool = True) -> None:
        self.path = Path(cache_dir) / HEADERS_FILE if cache_dir is not None else None
        self._headers = self._read() if self.path is not None and trust else {}
        self._asked: set[str] = set()
        self._changed = False

    def header(self, text: str, sha256: str) -> tuple[str | None, str | None]:
        """Return `header_metadata(text)`, whose sha256 is `sha256`: from the cache if held."""
        self._asked.add(sha256)
        found = self._headers.get(sha256)
        if found is None:
            found = self._headers[sha256] = header_metadata(text)
            self._changed = True
        return found

    def save(self) -> None:
        """Write the cache when a header was read (see `_write_json`)."""
        if self.path is None or not self._changed:
            return
        headers = self._headers
        if len(headers) > MAX_ENTRIES:
            headers = {k: v for k, v in headers.items() if k in self._asked}
        records = {k: list(v) for k, v in headers.items()}
        data = {"version": _headers_version(), "checksum": _checksum(records), "headers": records}
        _write_json(self.path, data)
        self._changed = False

    def _read(self) -> dict[str, tuple[str | None, str | None]]:
        try:
            with open(self.path, "rb") as fh:
                data = orjson.loads(fh.read())
            records = data["headers"]
            if data["version"] != _headers_version() or data["checksum"] != _checksum(records):
                return {}
            if not all(_is_header(record) for record in records.values()):
                return {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}
        return {key: (title, date) for key, (title, date) in records.items()}


def _is_header(record: object) -> bool:
    """Return True when `record` is a header as `HeaderCache` writes it: [title, date]."""
    return (
        isinstance(record, list)
        and len(record) == 2
        and all(v is None or isinstance(v, str) for v in record)
    )


def _headers_version() -> str:
    return f"h{HEADERS_VERSION}.s{SEGMENTATION_KEY}"


def _checksum(records: dict) -> str:
    return hashlib.sha256(orjson.dumps(records)).hexdigest()


def prune(cache_dir: Path | None, keep: int = MAX_ENTRIES) -> None:
    """Remove the least recently used entries past `keep` (a temporary file that a killed
    writer left counts as one)."""
    if cache_dir is None:
        return
    folder = Path(cache_dir) / "documents"
    try:
        entries = [e for e in os.scandir(folder) if e.name.endswith(".json")]
    except OSError:
        return
    if len(entries) <= keep:
        return
    for entry in sorted(entries, key=lambda e: e.stat().st_mtime)[: len(entries) - keep]:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
