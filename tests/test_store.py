"""Index persistence: round trip, stale and corrupt indexes, atomic writes, no pickle."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from quotebot.index.corpus import load_corpus
from quotebot.index.store import (
    FORMAT_VERSION,
    IndexCorrupt,
    IndexStale,
    build,
    default_index_dir,
    ensure_index,
    load,
    save,
)


def built(settings, embedder):
    return build(load_corpus(settings.corpus), [embedder], settings)


def test_round_trip_keeps_passages_sources_and_vectors(tmp_path, fake_settings, fake_embedder):
    index = built(fake_settings, fake_embedder)
    save(index, tmp_path / "ix")
    loaded = load(tmp_path / "ix", index.corpus_hash, ["fake"])
    assert loaded.passages == index.passages
    assert loaded.source("statement") == index.source("statement")
    assert loaded.vectors["fake"].passages.ntotal == len(index.passages)
    assert loaded.vectors["fake"].sentences.ntotal == len(index.sentence_refs)
    q = fake_embedder.embed_queries(["five hours"])
    assert (
        loaded.vectors["fake"].sentences.search(q, 3)[1]
        == index.vectors["fake"].sentences.search(q, 3)[1]
    ).all()
    names = sorted(p.name for p in (tmp_path / "ix").iterdir())
    assert names == [
        "documents.json",
        "fake.passages.faiss",
        "fake.sentences.faiss",
        "lexicon.json",
        "manifest.json",
        "passages.json",
    ]
    assert loaded.lexicon.to_json() == index.lexicon.to_json()
    manifest = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["embedders"] == [{"name": "fake", "dim": 64}]
    assert manifest["corpus_hash"] == index.corpus_hash


def test_ensure_index_builds_once_then_loads(fake_settings, fake_embedder):
    first = ensure_index(fake_settings)
    calls = fake_embedder.calls
    second = ensure_index(fake_settings)
    assert fake_embedder.calls == calls, "a fresh index is loaded, not rebuilt"
    assert second.path == first.path == default_index_dir(fake_settings, first.corpus_hash)
    assert second.passages == first.passages


def test_a_changed_corpus_gets_a_new_index(tmp_path, fake_settings, seed_text):
    corpus = tmp_path / "statement.txt"
    corpus.write_text(seed_text, encoding="utf-8")
    settings = replace(fake_settings, corpus=(corpus,))
    first = ensure_index(settings)
    corpus.write_text(seed_text.replace("five hours", "six hours"), encoding="utf-8")
    second = ensure_index(settings)
    assert second.corpus_hash != first.corpus_hash
    assert "six hours" in second.source("statement")


def test_stale_index_in_a_fixed_dir_is_rebuilt_with_a_message(tmp_path, fake_settings):
    settings = replace(fake_settings, index_dir=tmp_path / "fixed")
    ensure_index(settings)
    manifest = tmp_path / "fixed" / "manifest.json"
    data = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**data, "corpus_hash": "0" * 64}))
    messages = []
    index = ensure_index(settings, log=messages.append)
    assert len(messages) == 1 and "corpus changed" in messages[0]
    assert json.loads(manifest.read_text())["corpus_hash"] == index.corpus_hash


def test_version_and_embedder_mismatch_are_stale(tmp_path, fake_settings, fake_embedder):
    index = built(fake_settings, fake_embedder)
    save(index, tmp_path / "ix")
    with pytest.raises(IndexStale, match="embedders"):
        load(tmp_path / "ix", index.corpus_hash, ["minilm"])
    manifest = tmp_path / "ix" / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format_version": 0}))
    with pytest.raises(IndexStale, match="format"):
        load(tmp_path / "ix")


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("fake.sentences.faiss", lambda b: b[: len(b) // 2]),
        ("fake.passages.faiss", lambda b: b"garbage" * 10),
        ("passages.json", lambda b: b[:-20]),
        ("documents.json", lambda b: b.replace(b"five hours", b"nine hours")),
        ("manifest.json", lambda b: b"{"),
        ("lexicon.json", lambda b: b[:-20]),
        ("lexicon.json", lambda b: b.replace(b'"bm25"', b'"bm26"')),
    ],
)
def test_corrupt_files_get_an_error_naming_the_file_and_the_fix(
    tmp_path, fake_settings, fake_embedder, name, damage
):
    save(built(fake_settings, fake_embedder), tmp_path / "ix")
    path = tmp_path / "ix" / name
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(IndexCorrupt) as err:
        load(tmp_path / "ix")
    assert name in str(err.value) and "quotebot index --rebuild" in str(err.value)


def test_a_corrupt_cached_index_is_rebuilt(fake_settings):
    index = ensure_index(fake_settings)
    (index.path / "fake.passages.faiss").write_bytes(b"broken")
    messages = []
    again = ensure_index(fake_settings, log=messages.append)
    assert "fake.passages.faiss" in messages[0]
    assert again.vectors["fake"].passages.ntotal == len(index.passages)


def test_a_half_written_index_is_never_loaded(tmp_path, fake_settings, fake_embedder, monkeypatch):
    index = built(fake_settings, fake_embedder)
    import faiss

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(OSError):
        save(index, tmp_path / "ix")
    assert not (tmp_path / "ix").exists()
    assert list(tmp_path.iterdir()) == [], "the temporary directory is cleaned up"


def test_rebuild_replaces_an_existing_index_atomically(tmp_path, fake_settings, fake_embedder):
    index = built(fake_settings, fake_embedder)
    save(index, tmp_path / "ix")
    save(index, tmp_path / "ix")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ix"]
    assert load(tmp_path / "ix").passages == index.passages


def test_a_read_only_cache_falls_back_to_memory(tmp_path, fake_settings):
    import os

    if os.geteuid() == 0:
        target = tmp_path / "file-not-dir"
        target.write_text("x")  # a path under a regular file cannot be created, even as root
        settings = replace(fake_settings, cache_dir=target / "cache")
    else:
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        settings = replace(fake_settings, cache_dir=ro)
    messages = []
    index = ensure_index(settings, log=messages.append)
    assert index.path is None and len(index.passages) > 10
    assert "in memory" in messages[0] and "QUOTEBOT_CACHE_DIR" in messages[0]


def test_no_pickle_is_written(fake_settings):
    index = ensure_index(fake_settings)
    for path in index.path.iterdir():
        assert path.suffix in (".json", ".faiss")
        assert not path.read_bytes().startswith(b"\x80"), f"{path} looks like a pickle"
