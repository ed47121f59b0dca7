"""Shared fixtures: the seed statement, a deterministic fake embedder, and a real index built
once per session into a temporary cache (real models, real FAISS)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from quotebot.index.corpus import load_corpus
from quotebot.index.embedder import EMBEDDERS, ArrayEmbeddings, get_embedder
from quotebot.index.store import CorpusIndex, build
from quotebot.index.text import tokens

from quotebot.settings import DEFAULT_CORPUS, Settings, apply_runtime

SEED = DEFAULT_CORPUS


class FakeEmbeddings(ArrayEmbeddings):
    """A deterministic bag-of-words embedder: each word hashes to a fixed random direction."""

    name = "fake"
    dim = 64

    def __init__(self, threads: int = 1, query_threads: int = 1) -> None:
        self.calls = 0

    def warm_up(self) -> None:
        pass

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for word in tokens(text):
            seed = int.from_bytes(hashlib.sha1(word.encode()).digest()[:4], "little")
            v += np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim))

    embed_queries = embed_passages


@pytest.fixture(autouse=True)
def isolated_environment(request, monkeypatch, tmp_path):
    """Give each test a clean environment: no QUOTEBOT_* variable, and a cache of its own
    (XDG_CACHE_HOME in its temporary directory). A test that asks for `real_settings` gets the
    session's real cache as QUOTEBOT_CACHE_DIR, so the CLI it runs finds the built index."""
    for name in [v for v in os.environ if v.startswith("QUOTEBOT_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    if "real_settings" in request.fixturenames:
        cache = request.getfixturevalue("real_settings").cache_dir
        monkeypatch.setenv("QUOTEBOT_CACHE_DIR", str(cache))


@pytest.fixture
def fake_embedder(monkeypatch) -> FakeEmbeddings:
    """Register the fake embedder under the name "fake" and return the shared instance."""
    monkeypatch.setitem(EMBEDDERS, "fake", FakeEmbeddings)
    get_embedder.cache_clear()
    yield get_embedder("fake")
    get_embedder.cache_clear()


@pytest.fixture
def fake_settings(tmp_path, fake_embedder) -> Settings:
    """Settings over the seed with the fake embedder and a temporary cache."""
    return Settings.load(environ={}, cache_dir=tmp_path / "cache", embedders=("fake",))


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory) -> CorpusIndex:
    """The seed indexed in memory with the fake embedder (real FAISS); shared: do not change
    it (build a new CorpusIndex from its parts instead)."""
    cache = tmp_path_factory.mktemp("fake-cache")
    with pytest.MonkeyPatch.context() as patch:  # settings accept registered embedders only
        patch.setitem(EMBEDDERS, "fake", FakeEmbeddings)
        settings = Settings.load(environ={}, cache_dir=cache, embedders=("fake",))
    return build(load_corpus([SEED]), [FakeEmbeddings()], settings)


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    """Settings over the seed with the real embedders and a session-wide temporary cache."""
    cache = tmp_path_factory.mktemp("quotebot-cache")
    settings = Settings.load(environ={}, cache_dir=cache)
    apply_runtime(settings)
    return settings


@pytest.fixture(scope="session")
def real_bot(real_settings):
    """A warmed-up Bot over the seed with the real models and a real FAISS index."""
    from quotebot.bot.bot import Bot

    return Bot(real_settings).warm_up()


@pytest.fixture
def seed_text() -> str:
    """The original text of the seed statement."""
    return Path(SEED).read_text(encoding="utf-8")


@pytest.fixture
def statements(tmp_path, seed_text) -> Path:
    """A folder of five statements like the seed, each with its own number of hours."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for n in range(5):
        text = seed_text.replace("five hours", f"{n + 6} hours")
        (folder / f"s{n}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def indexed(tmp_path, fake_embedder, fake_settings):
    """Index `text` as the file `name` with the fake embedder (real FAISS): (index, its doc)."""

    def indexed(name: str, text: str):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        index = build(load_corpus([path]), [fake_embedder], fake_settings)
        return index, index.passages[0].doc

    return indexed


@pytest.fixture
def large_settings(tmp_path, fake_embedder) -> Settings:
    """Settings over 200 statements like the seed (each with different numbers of hours)."""
    text = Path(SEED).read_text(encoding="utf-8")
    corpus = []
    for n in range(200):
        path = tmp_path / f"doc{n:03}.txt"
        path.write_text(text if n == 0 else text.replace("five", f"{n + 6}"), encoding="utf-8")
        corpus.append(path)
    return Settings.load(
        environ={}, corpus=tuple(corpus), cache_dir=tmp_path / "cache", embedders=("fake",)
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (`item.report_call`...): a fixture's teardown
    can then tell that its test failed, and say what it saw (tests/test_ui_browser.py)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report
