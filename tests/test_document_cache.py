"""The document cache: re-indexing after one file changes segments that file only, gives the
index a full build gives, and never trusts a damaged entry, a rebuild or a corrupt index."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import pytest
from quotebot.index import document_cache
from quotebot.index.corpus import load_corpus
from quotebot.index.document_cache import MAX_CACHED_CHARS, prune, segmented
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


def test_a_rebuild_and_a_corrupt_index_do_not_trust_the_cache(
    statements, fake_settings, segmenting
):
    settings = replace(fake_settings, corpus=(statements,))
    index = ensure_index(settings)
    segmenting.clear()
    ensure_index(settings, rebuild=True)
    assert sorted(segmenting) == [f"s{n}" for n in range(5)]
    segmenting.clear()
    (index.path / "passages.json").write_text("[]", encoding="utf-8")
    ensure_index(settings, log=lambda message: None)
    assert sorted(segmenting) == [f"s{n}" for n in range(5)]


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
