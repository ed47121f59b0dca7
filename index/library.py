"""The user's document library: documents added beyond the configured corpus, answered from
with it (`quotebot add`, `quotebot docs`, the page's upload).

`<cache_dir>/library.json` lists them as [{path, name, sha256, added}]: `path` is absolute,
`name` is the document id (the file's stem, unique across corpus and library) and `sha256` the
hash of the extracted text. Files uploaded through the page are copied into
`<cache_dir>/library/<sha256[:16]>/` first, so they outlive the server's temporary uploads.
The list is replaced atomically (temporary file, then os.replace) under a file lock; the index
itself is rebuilt by `store.ensure_index`, whose vector cache embeds only the new text.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from quotebot.settings import Settings

from .corpus import CorpusError, load_corpus, read_document
from .records import Document, Passage

LOCK_TIMEOUT_S = 60


@dataclass(frozen=True)
class Entry:
    """One library document: where its file is, its name, the sha256 of its text, when added."""

    path: str
    name: str
    sha256: str
    added: str


def library_file(settings: Settings) -> Path:
    """Return the file that lists the library."""
    return Path(settings.cache_dir) / "library.json"


def copies_dir(settings: Settings) -> Path:
    """Return the folder holding the library's own copies of uploaded files."""
    return Path(settings.cache_dir) / "library"


def documents(settings: Settings) -> list[Entry]:
    """Return the library's entries, in the order they were added (none without a library)."""
    path = library_file(settings)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Entry(**item) for item in data]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError) as exc:
        raise CorpusError(
            f"{path}: unreadable library ({exc.__class__.__name__}); fix or delete the file "
            "(the documents it lists are not touched)"
        ) from exc


def add(
    paths: Iterable[Path],
    settings: Settings,
    log: Callable[[str], None] | None = None,
    copy: bool = False,
) -> list[Document]:
    """Add the files at `paths` to the library and return their documents.

    Each file is read as the corpus reads it, so a binary, empty, oversized, non-regular or
    unsupported file raises CorpusError naming it, and then nothing is added. A file whose text
    is already in the corpus or the library is reported through `log` and skipped. A name that
    is taken raises CorpusError. With `copy`, the library keeps its own copy of each file.
    """
    log = log or _stderr
    with _locked(settings):
        entries = documents(settings)
        corpus = load_corpus(settings.corpus)
        names = {d.doc: d.path for d in corpus} | {e.name: e.path for e in entries}
        texts = {d.sha256: d.doc for d in corpus} | {e.sha256: e.name for e in entries}
        added: list[Document] = []
        for path in paths:
            path = Path(path).expanduser().absolute()
            if path.is_dir():
                raise CorpusError(f"{path}: a folder; add the files in it")
            if not path.exists():
                raise CorpusError(f"{path}: no such file")
            document = read_document(path, path.stem)
            if document.sha256 in texts:
                log(f"skipping {path}: same content as {texts[document.sha256]}")
                continue
            if document.doc in names:
                raise CorpusError(
                    f"{path}: a document is already named {document.doc!r} "
                    f"({names[document.doc]}); rename the file"
                )
            names[document.doc], texts[document.sha256] = str(path), document.doc
            added.append(document)
        if copy:
            added = [_copy(d, settings) for d in added]
        now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        entries += [Entry(d.path, d.doc, d.sha256, now) for d in added]
        _write(settings, entries)
        return added


def remove(name: str, settings: Settings) -> Entry:
    """Remove the document `name` from the library and return its entry. The file stays where
    it is, unless it is the library's own copy of an upload."""
    with _locked(settings):
        entries = documents(settings)
        entry = next((e for e in entries if e.name == name), None)
        if entry is None:
            configured = {d.doc: d.path for d in load_corpus(settings.corpus)}
            if name in configured:
                raise CorpusError(
                    f"{name!r} is in the configured corpus ({configured[name]}), not in the "
                    "library; only documents added with `quotebot add` can be removed"
                )
            known = ", ".join(e.name for e in entries) or "nothing yet"
            raise CorpusError(f"no library document is named {name!r}; the library has {known}")
        _write(settings, [e for e in entries if e is not entry])
    copies = copies_dir(settings).resolve()
    path = Path(entry.path).resolve()
    if path.is_relative_to(copies):
        shutil.rmtree(path.parent, ignore_errors=True)
    return entry


def corpus_paths(settings: Settings, log: Callable[[str], None] | None = None) -> tuple[Path, ...]:
    """Return the configured corpus followed by the library's files; a library file that is
    missing is reported through `log` and left out."""
    log = log or _stderr
    paths = list(settings.corpus)
    for entry in documents(settings):
        path = Path(entry.path)
        if not path.is_file():
            log(
                f"library document {entry.name!r} is missing ({path}); left out until it is "
                f"back, or run `quotebot docs --remove {entry.name}`"
            )
        elif path not in paths:
            paths.append(path)
    return tuple(paths)


def with_library(settings: Settings, log: Callable[[str], None] | None = None) -> Settings:
    """Return `settings` with the library added to the corpus."""
    return replace(settings, corpus=corpus_paths(settings, log))


def speakers(passages: Sequence[Passage]) -> list[str]:
    """Return the named speakers of `passages`, in order of appearance."""
    return list(dict.fromkeys(p.speaker for p in passages if p.speaker and p.role != "title"))


def _copy(document: Document, settings: Settings) -> Document:
    source = Path(document.path)
    folder = copies_dir(settings) / document.sha256[:16]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    return replace(document, path=str(target))


def _write(settings: Settings, entries: list[Entry]) -> None:
    path = library_file(settings)
    fd, tmp = tempfile.mkstemp(prefix=".library-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps([asdict(e) for e in entries], ensure_ascii=False, indent=1))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _locked(settings: Settings):
    from filelock import FileLock, Timeout

    path = library_file(settings)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{path}.lock", timeout=LOCK_TIMEOUT_S):
            yield
    except Timeout as exc:
        raise CorpusError(f"{path}: another quotebot is changing the library; try again") from exc
    except OSError as exc:
        raise CorpusError(f"{path}: cannot write the library ({exc.strerror or exc})") from exc


def _stderr(message: str) -> None:
    print(f"quotebot: {message}", file=sys.stderr)
