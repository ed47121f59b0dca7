"""Loading statement files: a `.txt`/`.md` file or a folder of them becomes `Document`s."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path

from .records import Document

SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 64 * 1024 * 1024


class CorpusError(ValueError):
    """A user mistake in the corpus: the message says which file and what to do."""


def load_corpus(paths: Iterable[Path]) -> list[Document]:
    """Return the documents found at `paths` (files or folders), sorted, duplicates dropped."""
    files: list[tuple[Path, str]] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise CorpusError(f"{path}: no such file or folder")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
            if not found:
                raise CorpusError(f"{path}: the folder holds no .txt or .md file")
            files += [(p, p.relative_to(path).with_suffix("").as_posix()) for p in found]
        else:
            files.append((path, path.stem))
    documents: list[Document] = []
    seen_hash: dict[str, str] = {}
    seen_name: set[str] = set()
    for path, name in files:
        document = read_document(path, name)
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
        raise CorpusError("the corpus is empty: give a .txt or .md file, or a folder of them")
    return documents


def read_document(path: Path, name: str) -> Document:
    """Return the document in `path`, or raise CorpusError if it is not readable UTF-8 text."""
    if path.suffix not in SUFFIXES:
        raise CorpusError(f"{path}: only .txt and .md files can be indexed")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(
                f"{path}: {size / 1e6:.0f} MB is over the {MAX_FILE_BYTES // 2**20} MiB limit"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read it ({exc.strerror})") from exc
    if b"\x00" in data:
        raise CorpusError(f"{path}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path}: not UTF-8 text (byte {exc.start}); convert it, e.g. iconv -t UTF-8"
        ) from exc
    if not text.strip():
        raise CorpusError(f"{path}: the file is empty")
    return Document(doc=name, path=str(path), text=text, sha256=hashlib.sha256(data).hexdigest())
