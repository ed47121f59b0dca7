"""Loading statement files: a transcript file or a folder of them becomes `Document`s.

Reading each format is `formats.py`'s job; this module finds files and reports mistakes.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

from .document_cache import HeaderCache
from .formats import KINDS, SUFFIXES, FormatError, extract
from .records import Document

MAX_FILE_BYTES = 64 * 1024 * 1024


class CorpusError(ValueError):
    """A user mistake in the corpus: the message says which file and what to do."""


def load_corpus(paths: Iterable[Path], headers: HeaderCache | None = None) -> list[Document]:
    """Return the documents found at `paths` (files or folders), sorted, duplicates dropped.
    With `headers`, a header read before is taken from it, and one read now is kept in it (for
    its `save`)."""
    files: list[tuple[Path, str]] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise CorpusError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and not p.is_dir()
            )
            for odd in [p for p in found if not p.is_file()]:  # FIFOs, devices, broken links
                print(f"quotebot: skipping {odd}: not a regular file", file=sys.stderr)
                found.remove(odd)
            if not found:
                raise CorpusError(f"{path}: the folder holds no {KINDS} file")
            files += [(p, p.relative_to(path).with_suffix("").as_posix()) for p in found]
        else:
            files.append((path, path.stem))
    documents: list[Document] = []
    seen_hash: dict[str, str] = {}
    seen_name: set[str] = set()
    for path, name in files:
        document = read_document(path, name, headers)
        if document.sha256 in seen_hash:
            print(
                f"quotebot: skipping {path}: same content as {seen_hash[document.sha256]}",
                file=sys.stderr,
            )
            continue
        if name in seen_name:
            raise CorpusError(f"{path}: another file is also named {name!r}; rename one of them")
        seen_hash[document.sha256] = str(path)
        seen_name.add(name)
        documents.append(document)
    if not documents:
        raise CorpusError("the corpus is empty: give a transcript file, or a folder of them")
    return documents


def read_document(path: Path, name: str, headers: HeaderCache | None = None) -> Document:
    """Return the document in `path`, or raise CorpusError if its reader cannot read it. A title
    or date the file does not give is read from its text's header (through `headers`)."""
    if path.suffix.lower() not in SUFFIXES:
        raise CorpusError(f"{path}: only {KINDS} files can be indexed")
    data = read_file_bytes(path)
    try:
        extracted = extract(path.suffix, data)
    except FormatError as exc:
        raise CorpusError(f"{path}: {exc}") from exc
    text = extracted.text
    if not text.strip():
        raise CorpusError(f"{path}: the file is empty")
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    title, date = extracted.title, extracted.date
    if extracted.header and not (title and date):
        header_title, header_date = (headers or HeaderCache(None)).header(text, sha256)
        title, date = title or header_title, date or header_date
    return Document(
        doc=name,
        path=str(path),
        text=text,
        sha256=sha256,
        title=title,
        date=date,
        source=extracted.source,
    )


def read_file_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Return the bytes of the regular file at `path` (links followed), at most `limit` of them.

    A FIFO, device or socket is refused without being opened for a blocking read (it could hang
    or never end), and so is a file over `limit`, checked on the open file as it is read.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise CorpusError(f"{path}: not a regular file (a device, FIFO or socket?)")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        with open(fd, "rb") as fh:
            st = os.fstat(fd)  # the file opened, should it have been swapped since the stat
            if not stat.S_ISREG(st.st_mode):
                raise CorpusError(f"{path}: not a regular file (a device, FIFO or socket?)")
            data = fh.read(limit + 1) if st.st_size <= limit else b""
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    if len(data) > limit or st.st_size > limit:
        size = max(len(data), st.st_size)
        raise CorpusError(f"{path}: {size / 1e6:.0f} MB is over the {limit // 2**20} MiB limit")
    return data
