"""The vector cache: re-indexing after one file changes embeds only the new texts, gives the
same vectors as a fresh build, and a damaged cache is only slower, never wrong."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from quotebot.index import vector_cache
from quotebot.index.store import ensure_index
from quotebot.index.vector_cache import VectorCache, text_key


@pytest.fixture
def corpus(tmp_path, seed_text):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text(seed_text, encoding="utf-8")
    (folder / "b.txt").write_text(seed_text.replace("five hours", "six hours"), encoding="utf-8")
    return folder


@pytest.fixture
def embedded(monkeypatch, fake_embedder) -> list[str]:
    """Every text the fake embedder is asked to embed, in order."""
    texts: list[str] = []
    original = fake_embedder.embed_passages

    def recording(batch):
        texts.extend(batch)
        return original(batch)

    monkeypatch.setattr(fake_embedder, "embed_passages", recording)
    return texts


def vectors(index):
    vs = index.vectors["fake"]
    return [x.reconstruct_n(0, x.ntotal) for x in (vs.passages, vs.sentences)]


def test_reindexing_one_changed_file_embeds_only_its_new_texts(fake_settings, corpus, embedded):
    settings = replace(fake_settings, corpus=(corpus,))
    ensure_index(settings)
    first = len(embedded)
    (corpus / "b.txt").write_text(
        (corpus / "b.txt").read_text(encoding="utf-8") + "\n\nA new closing remark.\n",
        encoding="utf-8",
    )
    again = ensure_index(settings)
    assert embedded[first:] == ["A new closing remark."]
    fresh = ensure_index(replace(settings, cache_dir=settings.cache_dir.parent / "other"))
    for cached, built in zip(vectors(again), vectors(fresh), strict=True):
        assert np.array_equal(cached, built)


def test_a_damaged_cache_counts_as_empty(fake_settings, corpus, embedded):
    settings = replace(fake_settings, corpus=(corpus,))
    index = ensure_index(settings)
    folder = settings.cache_dir / "vectors" / "fake-64"
    (folder / "keys.json").write_text("{", encoding="utf-8")
    assert len(VectorCache(settings.cache_dir, "fake", 64)) == 0
    first = len(embedded)
    again = ensure_index(replace(settings, max_passage_chars=699))  # forces a rebuild
    assert len(embedded) > first, "everything was embedded again"
    assert len(again.passages) == len(index.passages)


def test_the_cache_is_npy_and_json_only(fake_settings, corpus):
    settings = replace(fake_settings, corpus=(corpus,))
    ensure_index(settings)
    folder = settings.cache_dir / "vectors" / "fake-64"
    assert sorted(p.suffix for p in folder.iterdir()) == [".json", ".npy"]
    cache = VectorCache(settings.cache_dir, "fake", 64)
    found, missing = cache.lookup([text_key("A sentence never embedded.")])
    assert missing == [0] and not found.any()


def keys_of(batch: int, n: int = 3) -> list[str]:
    return [text_key(f"text {batch} {i}") for i in range(n)]


def unit(batch: int, n: int = 3, dim: int = 4) -> np.ndarray:
    """`n` copies of the unit vector along axis `batch`."""
    return np.repeat(np.eye(dim, dtype=np.float32)[[batch]], n, axis=0)


def test_each_write_adds_a_segment_and_many_are_merged(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_cache, "MAX_SEGMENTS", 2)
    cache = VectorCache(tmp_path, "t", 4)
    cache.add(keys_of(0, 5), unit(0, 5), used=lambda: keys_of(0, 5))
    folder = tmp_path / "vectors" / "t-4"
    (largest,) = folder.glob("*.npy")
    for batch in (1, 2):  # the first is appended, the second merges the small segments
        cache.add(keys_of(batch), unit(batch), used=lambda: [])
        found, missing = cache.lookup([*keys_of(batch), keys_of(0, 5)[4], "unknown"])
        assert missing == [4] and (found[:3] == unit(batch)).all() and (found[3] == unit(0)).all()
    again = VectorCache(tmp_path, "t", 4)
    assert len(again) == 11
    found, missing = again.lookup([keys_of(1)[2], "unknown", keys_of(2)[0], keys_of(0, 5)[4]])
    assert missing == [1] and (found[0] == unit(1)[0]).all() and (found[2] == unit(2)[0]).all()
    assert (found[3] == unit(0)[0]).all()
    files = set(folder.glob("*.npy"))
    assert len(files) == 2 and largest in files, "the small segments merged, the largest kept"


def test_past_the_size_limit_only_the_latest_build_is_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_cache, "MAX_BYTES", 5 * 4 * 4)  # five vectors of dim 4
    cache = VectorCache(tmp_path, "t", 4)
    cache.add(keys_of(0), unit(0), used=lambda: keys_of(0))
    cache.add(keys_of(1), unit(1), used=lambda: keys_of(1))
    again = VectorCache(tmp_path, "t", 4)
    assert len(again) == 3
    assert again.lookup(keys_of(0))[1] == [0, 1, 2]
    assert again.lookup(keys_of(1))[1] == []


@pytest.mark.parametrize(
    "damage",
    [
        lambda v: np.where(v > 0.2, np.nan, v),
        lambda v: np.where(v > 0.2, np.inf, v),
        lambda v: v * 2,
    ],
    ids=["nan", "inf", "not-unit"],
)
def test_damaged_cached_vectors_are_embedded_again(fake_settings, corpus, embedded, capsys, damage):
    settings = replace(fake_settings, corpus=(corpus,))
    ensure_index(settings)
    for path in (settings.cache_dir / "vectors" / "fake-64").glob("*.npy"):
        np.save(path, damage(np.load(path)).astype(np.float32))
    first = len(embedded)
    capsys.readouterr()
    again = ensure_index(settings, rebuild=True)
    assert len(embedded) > first, "the damaged vectors were embedded again"
    assert "damaged" in capsys.readouterr().err
    fresh = ensure_index(replace(settings, cache_dir=settings.cache_dir.parent / "other"))
    for cached, built in zip(vectors(again), vectors(fresh), strict=True):
        assert np.array_equal(cached, built)
    embedded.clear()
    ensure_index(settings, rebuild=True)
    assert embedded == [], "the cache holds the new vectors"
    assert "damaged" not in capsys.readouterr().err
