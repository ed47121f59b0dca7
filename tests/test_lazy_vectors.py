"""A new index is searchable with its first embedder's vectors; the others (e5) are added on
the first non-English question or by `quotebot index`, in place."""

from __future__ import annotations

import json

import pytest
from conftest import FakeEmbeddings
from quotebot.bot.bot import Bot
from quotebot.index.embedder import EMBEDDERS, get_embedder
from quotebot.index.store import (
    IndexStale,
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
    monkeypatch.setitem(EMBEDDERS, "fake2", SecondFake)
    get_embedder.cache_clear()
    return Settings.load(environ={}, cache_dir=tmp_path / "cache", embedders=("fake", "fake2"))


def _manifest_names(index) -> list[str]:
    manifest = json.loads((index.path / "manifest.json").read_text())
    return [e["name"] for e in manifest["embedders"]]


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
