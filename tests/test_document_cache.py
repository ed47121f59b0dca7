"""The document cache: re-indexing after one file changes segments that file only, gives the
index a full build gives, and never trusts a damaged entry, a rebuild or a corrupt index."""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import replace

import orjson
import pytest
from quotebot.index import document_cache
from quotebot.index.corpus import load_corpus
from quotebot.index.document_cache import (
    HEADERS_FILE,
    MAX_CACHED_CHARS,
    HeaderCache,
    prune,
    segmented,
)
from quotebot.index.store import build, ensure_index


@pytest.fixture
def segmenting(monkeypatch) -> list[str]:
    """The names of the documents segmented (not read from the cache), in order."""
    done: list[str] = []
    real = document_cache.segment

    def spy(document, *limits):
        done.append(document.doc)
        return real(document, *limits)

    monkeypatch.setattr(document_cache, "segment", spy)
    return done


@pytest.fixture
def reading_headers(monkeypatch) -> list[str]:
    """The statements (of `statements`) whose header was read, not taken from the header cache."""
    done: list[str] = []
    real = document_cache.header_metadata

    def spy(text):
        hours = int(re.search(r"(\d+) hours", text).group(1))  # s0 says 6 hours, s1 7, ...
        done.append(f"s{hours - 6}")
        return real(text)

    monkeypatch.setattr(document_cache, "header_metadata", spy)
    return done


def test_a_re_index_segments_the_changed_file_only_and_equals_a_full_build(
    statements, fake_settings, fake_embedder, segmenting
):
    settings = replace(fake_settings, corpus=(statements,))
    ensure_index(settings)
    assert sorted(segmenting) == [f"s{n}" for n in range(5)]
    segmenting.clear()
    path = statements / "s2.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("8 hours", "9 hours"), "utf-8")
    again = ensure_index(settings)
    assert segmenting == ["s2"]
    fresh = build(load_corpus([statements]), [fake_embedder], settings)  # no cache: all segmented
    assert again.passages == fresh.passages
    assert again.lexicon.to_json() == fresh.lexicon.to_json()
    for level in ("passages", "sentences"):
        a, b = (getattr(i.vectors["fake"], level) for i in (again, fresh))
        assert (a.reconstruct_n(0, a.ntotal) == b.reconstruct_n(0, b.ntotal)).all()


def test_a_damaged_or_foreign_entry_is_segmented_again(statements, fake_settings, segmenting):
    document = load_corpus([statements / "s0.txt"])[0]
    limits = (fake_settings.max_passage_sentences, fake_settings.max_passage_chars)
    first = segmented(document, limits, fake_settings.cache_dir)
    (entry,) = (fake_settings.cache_dir / "documents").iterdir()
    data = json.loads(entry.read_text(encoding="utf-8"))
    for damage in (
        lambda d: d["passages"][3].update(speaker="Someone Else", text="Words never said."),
        lambda d: d["passages"][3].update(end=10**9),
        lambda d: d.update(terms=d["terms"][:-1]),
        lambda d: d.update(key="another document's"),
    ):
        broken = json.loads(json.dumps(data))
        damage(broken)
        entry.write_text(json.dumps(broken), encoding="utf-8")
        segmenting.clear()
        assert segmented(document, limits, fake_settings.cache_dir) == first
        assert segmenting == ["s0"]
    entry.write_text("{not json", encoding="utf-8")
    assert segmented(document, limits, fake_settings.cache_dir) == first
    segmenting.clear()
    assert segmented(document, limits, fake_settings.cache_dir) == first  # rewritten: a hit
    assert segmenting == []
    assert segmented(document, limits, fake_settings.cache_dir, trust=False) == first
    assert segmenting == ["s0"]


def test_a_rebuild_and_a_corrupt_index_trust_neither_cache(
    statements, fake_settings, segmenting, reading_headers
):
    settings = replace(fake_settings, corpus=(statements,))
    index = ensure_index(settings)
    every = [f"s{n}" for n in range(5)]
    segmenting.clear()
    reading_headers.clear()
    ensure_index(settings)
    assert segmenting == reading_headers == []
    ensure_index(settings, rebuild=True)
    assert sorted(segmenting) == sorted(reading_headers) == every
    segmenting.clear()
    reading_headers.clear()
    (index.path / "passages.json").write_text("[]", encoding="utf-8")
    ensure_index(settings, log=lambda message: None)
    assert sorted(segmenting) == sorted(reading_headers) == every


def test_a_large_document_is_not_cached_and_its_counts_are_the_same(tmp_path, seed_text):
    text = seed_text * (MAX_CACHED_CHARS // len(seed_text) + 1)
    (tmp_path / "big.txt").write_text(text, encoding="utf-8")
    document = load_corpus([tmp_path / "big.txt"])[0]
    part = segmented(document, (4, 700), tmp_path / "cache")
    assert part.terms is None and part.sentences is None
    assert not (tmp_path / "cache" / "documents").exists()


def test_prune_keeps_the_most_recently_used_entries(statements, fake_settings):
    limits = (fake_settings.max_passage_sentences, fake_settings.max_passage_chars)
    documents = load_corpus([statements])
    for document in documents:
        segmented(document, limits, fake_settings.cache_dir)
    folder = fake_settings.cache_dir / "documents"
    for age, entry in enumerate(sorted(folder.iterdir())):
        os.utime(entry, (1_000_000 + age, 1_000_000 + age))
    newest = sorted(folder.iterdir())[-2:]
    prune(fake_settings.cache_dir, keep=2)
    assert sorted(folder.iterdir()) == newest


def read_corpus(folder, cache) -> list:
    """Return the documents in `folder`, read through the header cache in `cache` (then saved)."""
    headers = HeaderCache(cache)
    documents = load_corpus([folder], headers)
    headers.save()
    return documents


def retitle(path, title: str, date: str) -> None:
    """Give the statement at `path` another title and dateline (its header)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("Commentary"))
    lines[at] = f"{title}\n"
    path.write_text("".join(lines).replace("December 3, 2025", date), encoding="utf-8")


def test_headers_are_read_once_per_text_and_again_for_a_changed_file(
    statements, tmp_path, reading_headers
):
    cache = tmp_path / "cache"
    first = read_corpus(statements, cache)
    assert sorted(reading_headers) == [f"s{n}" for n in range(5)]
    assert read_corpus(statements, cache) == first == load_corpus([statements])
    assert sorted(reading_headers) == sorted([f"s{n}" for n in range(5)] * 2)  # the last: no cache
    reading_headers.clear()
    retitle(statements / "s3.txt", "Talks in Geneva", "January 9, 2026")
    again = read_corpus(statements, cache)
    assert reading_headers == ["s3"]
    assert (again[3].title, again[3].date) == ("Talks in Geneva", "2026-01-09")
    assert again == load_corpus([statements]) and again[:3] == first[:3]


def resign(data: dict, headers: dict) -> None:
    """Put `headers` in the header cache's `data`, with their checksum."""
    data.update(headers=headers, checksum=hashlib.sha256(orjson.dumps(headers)).hexdigest())


@pytest.mark.parametrize(
    "change",
    [
        lambda path, data: data.update(version="h1.s1"),  # another segmentation version
        lambda path, data: data["headers"].update({k: ["Forged", None] for k in data["headers"]}),
        lambda path, data: resign(data, {k: "ab" for k in data["headers"]}),
        lambda path, data: path.write_text("{not json", encoding="utf-8"),
    ],
    ids=["version", "checksum", "record", "unreadable"],
)
def test_a_header_cache_of_another_version_or_damaged_is_read_again(
    statements, tmp_path, reading_headers, change
):
    cache = tmp_path / "cache"
    first = read_corpus(statements, cache)
    path = cache / HEADERS_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    if change(path, data) is None:
        path.write_text(json.dumps(data), encoding="utf-8")
    reading_headers.clear()
    assert read_corpus(statements, cache) == first
    assert sorted(reading_headers) == [f"s{n}" for n in range(5)]
    reading_headers.clear()
    assert read_corpus(statements, cache) == first  # rewritten: every header from the cache
    assert reading_headers == []


def test_a_new_segmentation_version_reads_every_header_again(
    statements, tmp_path, reading_headers, monkeypatch
):
    cache = tmp_path / "cache"
    first = read_corpus(statements, cache)
    reading_headers.clear()
    monkeypatch.setattr(document_cache, "SEGMENTATION_KEY", "another")
    assert read_corpus(statements, cache) == first
    assert sorted(reading_headers) == [f"s{n}" for n in range(5)]


def test_the_header_cache_keeps_the_latest_corpus_past_its_limit(
    statements, tmp_path, reading_headers, monkeypatch
):
    cache = tmp_path / "cache"
    read_corpus(statements, cache)
    monkeypatch.setattr(document_cache, "MAX_ENTRIES", 5)
    retitle(statements / "s1.txt", "Talks in Geneva", "January 9, 2026")
    read_corpus(statements, cache)  # six headers: the five of this corpus are kept
    reading_headers.clear()
    read_corpus(statements, cache)
    assert reading_headers == []
    kept = json.loads((cache / HEADERS_FILE).read_text(encoding="utf-8"))["headers"]
    assert len(kept) == 5


def test_the_segmentation_key_follows_the_code_that_segments():
    # a change to the segmenter's code, even without a new version, keys new cache entries
    # (stop 32 changed the code and left the version: its runs were served stale documents)
    import hashlib
    import importlib
    from pathlib import Path

    segment = importlib.import_module("quotebot.index.segment")
    folder = Path(segment.__file__).parent
    code = b"".join(
        (folder / name).read_bytes() for name in ("segment.py", "text.py", "dictionary.py")
    )
    version, digest = segment.SEGMENTATION_KEY.split(".")
    assert version == str(segment.SEGMENTATION_VERSION)
    assert digest == hashlib.sha256(code).hexdigest()[:16]
