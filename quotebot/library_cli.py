"""`quotebot add FILE...` and `quotebot docs [--remove NAME]`: the user's document library
(index/library.py) from the command line. Each command takes plain arguments and returns the
exit code; a user mistake is one line on stderr and exit 2."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from quotebot.index import library
from quotebot.index.corpus import CorpusError
from quotebot.index.records import Passage
from quotebot.index.store import IndexCorrupt
from quotebot.settings import Settings

SPEAKERS_SHOWN = 4


def add_command(files: Sequence[Path], settings: Settings) -> int:
    """Add `files` to the library and index corpus + library (only new text is embedded); print
    each added document's name, passages and speakers, then the time taken."""
    from quotebot.index.store import ensure_index

    started = time.perf_counter()
    try:
        added = library.add(files, settings)
        index = ensure_index(library.with_library(settings))
    except (CorpusError, IndexCorrupt) as exc:
        return _error(exc)
    took = time.perf_counter() - started
    by_doc = _passages_by_doc(index.passages)
    for document in added:
        passages = by_doc.get(document.doc, [])
        print(
            f"added {document.doc}: {len(passages)} passages; "
            f"speakers: {_speakers(passages)} ({document.path})"
        )
    print(
        f"{len(added)} document(s) added in {took:.2f} s; the index has {len(index.documents)} "
        f"documents, {len(index.passages)} passages -> {index.path or '(memory)'}"
    )
    return 0


def docs_command(settings: Settings, remove: str | None = None) -> int:
    """List the documents answered from (the configured corpus, then the library) with format,
    passages, speakers and path; with `remove`, drop that document from the library instead."""
    from quotebot.index.corpus import load_corpus
    from quotebot.index.segment import segment

    try:
        if remove is not None:
            entry = library.remove(remove, settings)
            print(f"removed {entry.name} from the library ({entry.path})")
            return 0
        added = {e.name for e in library.documents(settings)}
        loaded = load_corpus(library.corpus_paths(settings))
    except CorpusError as exc:
        return _error(exc)
    rows = []
    for d in loaded:
        passages = segment(d, settings.max_passage_sentences, settings.max_passage_chars)
        origin = "library" if d.doc in added else "corpus"
        fmt = Path(d.path).suffix.lower().lstrip(".")
        rows.append((d.doc, fmt, str(len(passages)), origin, _speakers(passages), d.path))
    width = max(len(r[0]) for r in rows)
    for name, fmt, count, origin, who, path in rows:
        print(f"{name:<{width}}  {fmt:<4}  {count:>5} passages  {origin:<7}  {who}  {path}")
    return 0


def _passages_by_doc(passages: Sequence[Passage]) -> dict[str, list[Passage]]:
    found: dict[str, list[Passage]] = {}
    for p in passages:
        found.setdefault(p.doc, []).append(p)
    return found


def _speakers(passages: Sequence[Passage]) -> str:
    names = library.speakers(passages)
    if not names:
        return "no named speaker"
    more = f" and {len(names) - SPEAKERS_SHOWN} more" if len(names) > SPEAKERS_SHOWN else ""
    return ", ".join(names[:SPEAKERS_SHOWN]) + more


def _error(exc: Exception) -> int:
    print(f"quotebot: error: {exc}", file=sys.stderr)
    return 2
