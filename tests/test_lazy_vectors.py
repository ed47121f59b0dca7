"""A new index is searchable with its first embedder's vectors; the others (e5) are added on
the first non-English question or by `quotebot index`, in place."""

from __future__ import annotations

import json

import pytest
from conftest import FakeEmbeddings
from quotebot.bot.bot import Bot
from quotebot.index import store
from quotebot.index.corpus import load_corpus
from quotebot.index.embedder import EMBEDDERS, get_embedder
from quotebot.index.store import (
    IndexStale,
    check_target,
    complete_index,
    ensure_index,
    load,
    pending_embedders,
)

from quotebot.cli import main
from quotebot.settings import Settings


class SecondFake(FakeEmbeddings):
    """Stands for e5: another embedder, counted separately."""

    name = "fake2"


@pytest.fixture
def two_fakes(tmp_path, monkeypatch, fake_embedder) -> Settings:
    """Two embedders, and every corpus counted as large (the seed is small: see below)."""
    monkeypatch.setitem(EMBEDDERS, "fake2", SecondFake)
    monkeypatch.setattr(store, "SMALL_CORPUS_TEXTS", 0)
    get_embedder.cache_clear()
    return Settings.load(environ={}, cache_dir=tmp_path / "cache", embedders=("fake", "fake2"))


def test_a_small_corpus_gets_every_embedders_vectors_at_once(two_fakes, monkeypatch):
    monkeypatch.setattr(store, "SMALL_CORPUS_TEXTS", 1_000)  # the seed: about 110 texts
    messages = []
    index = ensure_index(two_fakes, log=messages.append)
    assert list(index.vectors) == ["fake", "fake2"] and _manifest_names(index) == ["fake", "fake2"]
    assert len(messages) == 1 and "sharpen English answers" in messages[0]


def _manifest_names(index) -> list[str]:
    manifest = json.loads((index.path / "manifest.json").read_text())
    return [e["name"] for e in manifest["embedders"]]


def _listed_files(index) -> list[str]:
    return json.loads((index.path / "manifest.json").read_text())["files"]


def test_a_new_index_has_the_first_embedder_and_gets_the_others_in_place(two_fakes):
    messages = []
    index = ensure_index(two_fakes, log=messages.append)
    assert list(index.vectors) == ["fake"] and _manifest_names(index) == ["fake"]
    assert pending_embedders(index, two_fakes) == ["fake2"]
    assert get_embedder("fake2").calls == 0 and messages == []
    # a partial index is loaded as it is, not rebuilt
    again = ensure_index(two_fakes, log=messages.append)
    assert list(again.vectors) == ["fake"] and messages == []
    complete_index(index, two_fakes, log=messages.append)
    assert len(messages) == 1 and "fake2 vectors" in messages[0]
    assert list(index.vectors) == ["fake", "fake2"]
    assert _manifest_names(index) == ["fake", "fake2"]
    loaded = load(index.path, index.corpus_hash, two_fakes.embedders)
    assert list(loaded.vectors) == ["fake", "fake2"]
    assert loaded.vectors["fake2"].sentences.ntotal == len(index.sentence_refs)
    with pytest.raises(IndexStale):  # an index whose first embedder is another one is stale
        load(index.path, index.corpus_hash, ["fake2", "fake"])


def test_added_vectors_are_listed_by_the_manifest_and_checked_on_load(two_fakes):
    index = ensure_index(two_fakes)
    sources = load_corpus(two_fakes.corpus)
    partial = load(index.path, index.corpus_hash, two_fakes.embedders, sources)
    assert list(partial.vectors) == ["fake"]
    assert "fake2.passages.faiss" not in _listed_files(index)
    complete_index(index, two_fakes, log=lambda _: None)
    files = sorted(p.name for p in index.path.iterdir())
    assert _listed_files(index) == files  # every file, the new ones too, and nothing else
    assert {"fake2.passages.faiss", "fake2.sentences.faiss"} <= set(files)
    assert check_target(index.path) == files  # still an index quotebot may replace
    assert not list(index.path.parent.glob(f".{index.path.name}.tmp-*"))
    loaded = load(index.path, index.corpus_hash, two_fakes.embedders, sources)
    assert list(loaded.vectors) == ["fake", "fake2"]
    rebuilt = ensure_index(two_fakes, rebuild=True)  # replaces the completed index
    assert list(rebuilt.vectors) == ["fake"] and _manifest_names(rebuilt) == ["fake"]


def test_vectors_another_process_added_meanwhile_are_taken_not_embedded_again(two_fakes):
    first = ensure_index(two_fakes)
    second = ensure_index(two_fakes)  # another process, holding the same partial index
    complete_index(first, two_fakes, log=lambda _: None)
    calls = get_embedder("fake2").calls
    complete_index(second, two_fakes, log=lambda _: None)
    assert get_embedder("fake2").calls == calls  # read from the directory, not embedded again
    assert second.vectors["fake2"].sentences.ntotal == len(second.sentence_refs)
    assert _manifest_names(second) == ["fake", "fake2"]


def test_quotebot_index_builds_every_embedder(two_fakes, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("QUOTEBOT_CACHE_DIR", str(two_fakes.cache_dir))
    monkeypatch.setenv("QUOTEBOT_EMBEDDERS", "fake,fake2")
    assert main(["index"]) == 0
    index = ensure_index(two_fakes)
    assert list(index.vectors) == ["fake", "fake2"]
    assert "fake2 vectors" in capsys.readouterr().err


def test_only_a_non_english_question_builds_the_multilingual_vectors(two_fakes):
    bot = Bot(two_fakes)
    bot.answer("How long did the meeting last?")
    assert list(bot.index.vectors) == ["fake"] and get_embedder("fake2").calls == 0
    bot.answer("Сколько длилась встреча?")
    assert list(bot.index.vectors) == ["fake", "fake2"]
    assert "fake2" in bot.ranker.embedders
    built = bot.index.vectors["fake2"]
    bot.answer("Кто был на встрече?")
    assert bot.index.vectors["fake2"] is built  # built once


def test_vectors_that_cannot_be_saved_stay_in_memory_and_the_index_stays_whole(
    two_fakes, monkeypatch
):
    import os

    index = ensure_index(two_fakes)
    real_replace = os.replace

    def failing_replace(src, dst):  # the disk fills up while the second file moves in
        if str(dst).endswith("fake2.sentences.faiss"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    complete_index(index, two_fakes, log=lambda _: None)
    monkeypatch.setattr(os, "replace", real_replace)
    assert list(index.vectors) == ["fake", "fake2"]  # answering goes on, from memory
    assert _manifest_names(index) == ["fake"]
    files = sorted(p.name for p in index.path.iterdir())
    assert "fake2.passages.faiss" in files and set(files) <= set(_listed_files(index))
    assert check_target(index.path) == files  # nothing unlisted: still replaceable
    assert not list(index.path.parent.glob(f".{index.path.name}.tmp-*"))
    assert list(load(index.path, index.corpus_hash, two_fakes.embedders).vectors) == ["fake"]
    again = ensure_index(two_fakes)  # a later run adds them over the leftover
    complete_index(again, two_fakes, log=lambda _: None)
    assert _manifest_names(again) == ["fake", "fake2"]
    assert list(load(again.path, again.corpus_hash, two_fakes.embedders).vectors) == [
        "fake",
        "fake2",
    ]


def test_a_question_in_another_latin_script_language_builds_them_too(two_fakes):
    bot = Bot(two_fakes)  # the retriever sends every non-English question to e5, not only Russian
    bot.answer("Combien de temps a duré la réunion avec les ministres ?")
    assert list(bot.index.vectors) == ["fake", "fake2"]


def test_added_vectors_go_to_qdrant_when_it_is_the_store(two_fakes):
    pytest.importorskip("qdrant_client")
    pytest.importorskip("langchain_qdrant")
    from quotebot.index.qdrant_store import QdrantVectors

    settings = Settings.load(environ={}, **{**two_fakes.__dict__, "vector_store": "qdrant"})
    index = ensure_index(settings)
    assert list(index.vectors) == ["fake"]
    complete_index(index, settings, log=lambda _: None)
    added = index.vectors["fake2"]
    assert isinstance(added.passages, QdrantVectors)
    assert isinstance(added.sentences, QdrantVectors)
    assert added.sentences.ntotal == len(index.sentence_refs)
    assert _manifest_names(index) == ["fake", "fake2"]  # and saved beside the others
