"""Qdrant as the vector store (index/qdrant_store.py, local mode): the same search results as
FAISS, with and without a row range, and the same answers to the shipped question set."""

from __future__ import annotations

import json

import numpy as np
import pytest
from quotebot.bot.bot import Bot
from quotebot.index.qdrant_store import QdrantVectors
from quotebot.index.store import ensure_index

from quotebot.settings import DEFAULT_QUESTION_SET, Settings

pytest.importorskip("qdrant_client")
pytest.importorskip("langchain_qdrant")
faiss = pytest.importorskip("faiss")

QUERIES = [
    "How long did the meeting last?",
    "Thank you",
    "territorial issues Donbas",
    "will Putin meet Zelensky",
    "economic cooperation opportunities",
]


@pytest.fixture
def qdrant_settings(fake_settings) -> Settings:
    return Settings.load(environ={}, **{**fake_settings.__dict__, "vector_store": "qdrant"})


def assert_same(faiss_result, qdrant_result) -> None:
    """Assert the same rows in the same order (ties too) and the same scores."""
    (fs, fr), (qs, qr) = faiss_result, qdrant_result
    assert qr.tolist() == fr.tolist()
    np.testing.assert_allclose(qs, fs, atol=1e-5)


def test_ensure_index_puts_the_vectors_in_qdrant(qdrant_settings, fake_index):
    index = ensure_index(qdrant_settings)
    vs = index.vectors["fake"]
    assert isinstance(vs.passages, QdrantVectors) and isinstance(vs.sentences, QdrantVectors)
    assert vs.passages.ntotal == len(fake_index.passages)
    assert vs.sentences.ntotal == len(fake_index.sentence_refs)
    first = fake_index.first_sentence[3]
    assert np.array_equal(
        vs.sentences.reconstruct_n(first, 4),
        fake_index.vectors["fake"].sentences.reconstruct_n(first, 4),
    )
    assert np.array_equal(
        vs.passages.reconstruct(5), fake_index.vectors["fake"].passages.reconstruct(5)
    )


@pytest.mark.parametrize("kind", ["passages", "sentences"])
def test_search_matches_faiss_with_and_without_a_row_range(
    qdrant_settings, fake_index, fake_embedder, kind
):
    flat = getattr(fake_index.vectors["fake"], kind)
    index = ensure_index(qdrant_settings)
    assert index.corpus_hash == fake_index.corpus_hash
    qdrant = getattr(index.vectors["fake"], kind)
    lo, hi = flat.ntotal // 4, flat.ntotal // 2
    for query in QUERIES:
        x = fake_embedder.embed_queries([query])
        for k in (1, 10, flat.ntotal + 5):
            assert_same(flat.search(x, k), qdrant.search(x, k))
        ranged = faiss.SearchParameters(sel=faiss.IDSelectorRange(lo, hi))
        result = qdrant.search(x, 10, params=ranged)
        assert_same(flat.search(x, 10, params=ranged), result)
        assert all(lo <= r < hi for r in result[1][0] if r >= 0)


def test_search_rejects_a_selector_it_cannot_scope_by(qdrant_settings, fake_embedder):
    sentences = ensure_index(qdrant_settings).vectors["fake"].sentences
    batch = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.array([1, 2], np.int64)))
    with pytest.raises(TypeError, match="IDSelectorRange"):
        sentences.search(fake_embedder.embed_queries(["five hours"]), 3, params=batch)


@pytest.mark.filterwarnings("ignore:Payload indexes have no effect")
def test_server_mode_uploads_once_then_attaches(qdrant_settings, fake_embedder, monkeypatch):
    """With a URL, a build uploads the vectors and a later start attaches to the collections
    without embedding or reading a FAISS file; a server without them is a stale index, whose
    rebuild uploads only what the server lacks."""
    from qdrant_client import QdrantClient, models
    from quotebot.index import qdrant_store

    server = QdrantClient(location=":memory:")  # stands in for the server at the URL
    monkeypatch.setattr(qdrant_store, "connect", lambda url: server)
    settings = Settings.load(
        environ={}, **{**qdrant_settings.__dict__, "qdrant_url": "http://127.0.0.1:6333"}
    )
    messages = []
    first = ensure_index(settings, log=messages.append)
    names = sorted(c.name for c in server.get_collections().collections)
    assert names == [
        f"quotebot-{first.corpus_hash[:16]}-fake-{k}" for k in ("passages", "sentences")
    ]
    calls = fake_embedder.calls
    for path in first.path.glob("*.faiss"):
        path.write_bytes(b"not read in server mode")
    second = ensure_index(settings, log=messages.append)
    assert fake_embedder.calls == calls and messages == []
    assert second.vectors["fake"].sentences.ntotal == len(first.sentence_refs)
    server.delete_collection(names[0])
    server.upsert(names[1], [models.PointStruct(id=0, vector=[0.0] * 64, payload={"row": 0})])
    ensure_index(settings, log=messages.append)
    assert len(messages) == 1 and f"no collection {names[0]}" in messages[0]
    assert server.count(names[0]).count == len(first.passages)
    kept = server.retrieve(names[1], [0], with_vectors=True)[0].vector
    assert kept == [0.0] * 64, "a complete collection is kept by a rebuild, not uploaded again"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"QUOTEBOT_VECTOR_STORE": "milvus"}, "QUOTEBOT_VECTOR_STORE='milvus'"),
        ({"QUOTEBOT_QDRANT_URL": "127.0.0.1:6333"}, "QUOTEBOT_QDRANT_URL='127.0.0.1:6333'"),
        (
            {"QUOTEBOT_VECTOR_STORE": "qdrant", "QUOTEBOT_QDRANT_URL": "http://127.0.0.1:9"},
            "Qdrant at http://127.0.0.1:9",
        ),
    ],
)
def test_an_unusable_store_is_one_line_and_exit_2(
    fake_settings, monkeypatch, capsys, variables, message
):
    from quotebot import cli

    monkeypatch.setenv("QUOTEBOT_CACHE_DIR", str(fake_settings.cache_dir))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["index", "--embedder", "fake"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"quotebot: error: {message}") and err.count("\n") == 1
    assert "Traceback" not in err


def assert_same_answers(with_faiss: Bot, with_qdrant: Bot) -> None:
    with open(DEFAULT_QUESTION_SET, encoding="utf-8") as fh:
        questions = [json.loads(line)["question"] for line in fh if line.strip()]
    assert len(questions) >= 10
    name = list(with_qdrant.index.vectors)[0]
    assert isinstance(with_qdrant.index.vectors[name].sentences, QdrantVectors)
    for question in questions:
        a, b = with_faiss.answer(question), with_qdrant.answer(question)
        assert [c.passage_id for c in b.citations] == [c.passage_id for c in a.citations]
        assert [(c.start, c.end) for c in b.citations] == [(c.start, c.end) for c in a.citations]
        assert [p for p, _ in b.retrieved] == [p for p, _ in a.retrieved], question
        assert b.text == a.text and b.abstained == a.abstained


def test_answers_are_the_same_with_either_store(fake_settings, qdrant_settings, fake_index):
    assert_same_answers(Bot(fake_settings, index=fake_index), Bot(qdrant_settings))


@pytest.mark.integration
def test_real_answers_are_the_same_with_either_store(real_settings, real_bot):
    """The real models and the session's real index, its vectors in local-mode Qdrant."""
    settings = Settings.load(environ={}, **{**real_settings.__dict__, "vector_store": "qdrant"})
    assert_same_answers(real_bot, Bot(settings))
