"""The FAISS index type follows the corpus size: exact (flat) when small, flat over fp16 from
`HALF_MIN_VECTORS`, HNSW past `FLAT_MAX_VECTORS`; each persists with faiss.write_index and
answers the same nearest rows."""

from __future__ import annotations

import faiss
import numpy as np
from quotebot.index import store
from quotebot.index.corpus import load_corpus
from quotebot.index.store import build, load, save


def test_small_corpora_get_an_exact_flat_index(fake_settings, fake_embedder):
    index = build(load_corpus(fake_settings.corpus), [fake_embedder], fake_settings)
    assert isinstance(index.vectors["fake"].sentences, faiss.IndexFlatIP)


def test_past_the_size_limit_the_index_is_hnsw_and_round_trips(
    tmp_path, monkeypatch, fake_settings, fake_embedder
):
    monkeypatch.setattr(store, "FLAT_MAX_VECTORS", 10)
    index = build(load_corpus(fake_settings.corpus), [fake_embedder], fake_settings)
    sentences = index.vectors["fake"].sentences
    assert isinstance(sentences, faiss.IndexHNSWFlat)
    save(index, tmp_path / "ix")
    loaded = load(tmp_path / "ix", index.corpus_hash, ["fake"]).vectors["fake"].sentences
    assert isinstance(loaded, faiss.IndexHNSWFlat)
    vectors = loaded.reconstruct_n(0, loaded.ntotal)
    assert np.array_equal(vectors, sentences.reconstruct_n(0, sentences.ntotal))
    # every stored sentence finds itself first, as an exact search would
    _, rows = loaded.search(vectors, 1)
    distinct = [i for i in range(len(vectors)) if (vectors @ vectors[i] > 0.9999).sum() == 1]
    assert all(rows[i, 0] == i for i in distinct)


def test_from_the_half_limit_vectors_are_stored_as_fp16_and_round_trip(
    tmp_path, monkeypatch, fake_settings, fake_embedder
):
    exact = build(load_corpus(fake_settings.corpus), [fake_embedder], fake_settings)
    monkeypatch.setattr(store, "HALF_MIN_VECTORS", 10)
    index = build(load_corpus(fake_settings.corpus), [fake_embedder], fake_settings)
    sentences = index.vectors["fake"].sentences
    assert isinstance(sentences, faiss.IndexScalarQuantizer)
    assert sentences.sq.qtype == faiss.ScalarQuantizer.QT_fp16
    save(index, tmp_path / "ix")
    loaded = load(tmp_path / "ix", index.corpus_hash, ["fake"]).vectors["fake"].sentences
    assert isinstance(loaded, faiss.IndexScalarQuantizer)
    full = exact.vectors["fake"].sentences.reconstruct_n(0, loaded.ntotal)
    half = loaded.reconstruct_n(0, loaded.ntotal)
    assert np.abs(full - half).max() < 1e-3 and not np.array_equal(full, half)
    query = full[:5]
    _, want = exact.vectors["fake"].sentences.search(query, 5)
    _, got = loaded.search(query, 5)
    assert (want[:, 0] == got[:, 0]).all()
