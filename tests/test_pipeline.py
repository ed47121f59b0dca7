"""The answering stages over the seed indexed with the fake embedder: frozen records, the
chain's order, the condense stage, verification against the source (a tampered index is
caught), the composed answer and the stream's events."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from quotebot.bot.bot import Bot
from quotebot.bot.conversation import Turn
from quotebot.bot.pipeline import (
    Asked,
    Laps,
    Selected,
    answerer,
    answering_chain,
    check,
    compose,
    condense,
)
from quotebot.bot.question import prepare
from quotebot.bot.records import Citation, ExtractedAnswer
from quotebot.bot.scorer import ANSWER_FEATURES, LinearModel
from quotebot.bot.scoring import load_scoring
from quotebot.bot.selector import Quote, Selection
from quotebot.bot.verify import stored_quote
from quotebot.index.store import CorpusIndex
from quotebot.index.text import normalise

ROOT = Path(__file__).resolve().parents[1]

# the shipped models, made to answer whatever the fake embedder's evidence: these tests are
# about the stages, not about the models' decisions on fake vectors
SHIPPED = load_scoring()
ANSWERING = replace(SHIPPED, model=replace(SHIPPED.model, threshold=0.0))

QUESTION = "How many points were in the document?"  # the fake index quotes p13's 27 points


def asked(question: str, history=()) -> Asked:
    return Asked(question, tuple(history), Laps(time.perf_counter()))


def tampered(index: CorpusIndex, passage_id: str, old: str, new: str) -> CorpusIndex:
    """Return `index` with one passage's stored text changed (the source is untouched)."""
    passages = list(index.passages)
    row = index.by_id[passage_id]
    assert old in passages[row].text
    passages[row] = replace(passages[row], text=passages[row].text.replace(old, new))
    return CorpusIndex(index.corpus_hash, index.documents, passages, index.vectors, index.lexicon)


@pytest.fixture
def bot(fake_settings, fake_index):
    return Bot(fake_settings, index=fake_index, scoring=ANSWERING)


def test_the_stored_text_of_every_sentence_run_is_the_normalised_source(fake_index):
    for p in fake_index.passages:
        source = fake_index.source(p.doc)
        for first in range(len(p.sentences)):
            for last in range(first, len(p.sentences)):
                start, end = p.sentences[first][0], p.sentences[last][1]
                assert stored_quote(p, first, last, source) == normalise(source[start:end])


def test_a_quote_from_a_tampered_index_is_rejected_and_counted(fake_settings, fake_index):
    honest = Bot(fake_settings, index=fake_index, scoring=ANSWERING).answer(QUESTION)
    assert [c.passage_id for c in honest.citations] == ["statement#p13"]
    assert "27 points" in honest.citations[0].quote and honest.rejected_quotes == 0
    index = tampered(fake_index, "statement#p13", "27 points", "72 points")
    answer = Bot(fake_settings, index=index, scoring=ANSWERING).answer(QUESTION)
    assert answer.rejected_quotes == 1
    assert not any("72" in c.quote for c in answer.citations)
    assert answer.abstained and answer.text == "The statement does not say."


def test_the_verify_stage_keeps_a_repeated_quote_once(fake_index):
    row = fake_index.by_id["statement#p13"]
    query = prepare(QUESTION, [], 2000, fake_index.lexicon)
    quotes = [Quote(row, 0, 0, 0.9), Quote(row, 0, 0, 0.8), Quote(row, 1, 1, 0.7)]
    selected = Selected(query, Selection(quotes, 0.9, []), Laps(time.perf_counter()))
    verified = check(selected, fake_index)
    assert [(c.passage_id, c.quote[:9]) for c in verified.citations] == [
        ("statement#p13", "If we are"),
        ("statement#p13", normalise(fake_index.passages[row].text).split(". ")[1][:9]),
    ]
    assert verified.rejected == 0 and [name for name, _ in verified.laps.stages] == ["verify"]


def test_a_yes_no_verdict_leads_only_an_answer_more_likely_right_than_not(fake_index):
    row = next(i for i, p in enumerate(fake_index.passages) if p.text.startswith("Yes, we can"))
    query = prepare("Is Kushner a new participant?", [], 2000, fake_index.lexicon)

    def lead(confidence: float) -> str:
        selection = Selection([Quote(row, 0, 0, 0.9)], confidence, [])
        verified = check(Selected(query, selection, Laps(time.perf_counter())), fake_index)
        return compose(verified, fake_index, SHIPPED, top_k=3).text

    sure = SHIPPED.verdict_confidence
    assert lead(sure) == "Yes. Yury Ushakov said:"
    assert lead(sure - 0.01) == "Yury Ushakov said:"


def test_stage_records_are_frozen():
    record = asked("Why?")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.question = "What?"
    laps = record.laps.lap("condense", time.perf_counter())
    assert record.laps.stages == () and [n for n, _ in laps.stages] == ["condense"]


def test_the_chain_runs_the_stages_in_order_and_times_each(bot):
    bot.warm_up()
    chain = answering_chain(
        bot.index, bot.ranker, bot.scoring, max_chars=2000, max_quotes=3, top_k=8
    )
    stages = ["condense", "retrieve", "select", "verify", "compose"]
    assert chain.names == stages
    answer = chain.invoke(asked(QUESTION))
    assert isinstance(answer, ExtractedAnswer) and answer.citations
    assert list(answer.timings_ms) == [*stages, "total"]
    assert 0 < answer.confidence < 1 and len(answer.retrieved) == 8


def test_the_chain_as_a_langchain_runnable_answers_as_the_bot_does(bot):
    from langchain_core.runnables import RunnableSequence

    runnable = bot.runnable()
    assert isinstance(runnable, RunnableSequence)
    assert [step.name for step in runnable.steps] == bot.warm_up()._chain.names
    history = (Turn("How long did the meeting last?", "Five hours."),)
    for question, turns in ((QUESTION, ()), ("And was it discussed?", history)):
        through_langchain = runnable.invoke(asked(question, turns))
        direct = bot.answer(question, turns)
        assert replace(through_langchain, timings_ms={}) == replace(direct, timings_ms={})


def test_the_confidence_is_the_answerability_models_probability(fake_settings, fake_index):
    """Answering, the confidence is P(the answer is right); abstaining, P(abstaining is):
    the abstention model's P(the document does not answer)."""
    answer = Bot(fake_settings, index=fake_index, scoring=ANSWERING).answer(QUESTION)
    n = len(ANSWER_FEATURES)
    sure = LinearModel(ANSWER_FEATURES, np.zeros(n), np.ones(n), np.zeros(n), float(np.log(9)))
    never = replace(ANSWERING, model=replace(ANSWERING.model, threshold=1.01, unanswerable=sure))
    abstained = Bot(fake_settings, index=fake_index, scoring=never).answer(QUESTION)
    assert answer.citations and 0.0 < answer.confidence < 1.0
    assert abstained.abstained and abstained.confidence == pytest.approx(0.9)


def test_condense_asks_the_rewriter_only_for_a_question_the_rules_leave_alone(fake_index):
    calls = []

    def rewrite(question, history):
        calls.append(question)
        return "How many points did the document comprise?"

    history = (Turn("Was a document handed over?", "Yes."),)
    follow_up = condense(asked("And was it discussed?", history), fake_index, 2000, rewrite)
    assert follow_up.query.is_follow_up and calls == []
    alone = condense(asked("How big was the document?", history), fake_index, 2000, rewrite)
    assert calls == ["How big was the document?"]
    assert alone.query.question == "How big was the document?"
    assert alone.query.search == "How many points did the document comprise?"
    assert [n for n, _ in alone.laps.stages] == ["condense", "condense_llm", "condense"]
    no_llm = condense(
        asked("How big was the document?", history), fake_index, 2000, lambda q, h: None
    )
    assert no_llm.query.search == "How big was the document?"
    assert [n for n, _ in no_llm.laps.stages] == ["condense"]


def test_a_quotes_only_stream_is_the_final_answer_at_once(bot):
    events = list(bot.stream(QUESTION))
    assert [e.kind for e in events] == ["final"]
    assert events[-1].answer.citations == bot.answer(QUESTION).citations
    never = replace(ANSWERING, model=replace(ANSWERING.model, threshold=1.01))
    abstaining = Bot(bot.settings, index=bot.index, scoring=never)
    abstained = list(abstaining.stream("What is the boiling point of mercury?"))
    assert [(e.kind, e.answer.abstained) for e in abstained] == [("final", True)]


def test_a_journalists_question_is_labelled_against_whoever_answers_it_in_its_document(
    fake_embedder, tmp_path
):
    from quotebot.index.corpus import load_corpus
    from quotebot.index.store import build

    from quotebot.settings import DEFAULT_CORPUS, Settings

    briefing = ROOT / "evals" / "corpora" / "01_wh-briefing-leavitt-2025-01-29.md"
    settings = Settings.load(environ={}, cache_dir=tmp_path, embedders=("fake",))
    index = build(load_corpus([DEFAULT_CORPUS, briefing]), [fake_embedder], settings)
    # not the corpus's first answering speaker (the seed's Yury Ushakov): the briefing's
    assert answerer([_first_question(index, briefing.stem)], index) == "Karoline Leavitt"
    assert answerer([_first_question(index, "statement")], index) == "Yury Ushakov"
    assert answerer([], index) is None
    ushakov = next(p for p in index.passages if p.doc == "statement" and p.role == "answer")
    said = Citation(ushakov.id, "statement", ushakov.speaker, "answer", 0, 1, ushakov.text)
    assert answerer([said], index) is None  # the lead-in names no answerer for his own words


def _first_question(index: CorpusIndex, doc: str) -> Citation:
    """Return the citation of the first journalist's question of `doc`."""
    p = next(p for p in index.passages if p.doc == doc and p.role == "question")
    return Citation(p.id, p.doc, p.speaker, p.role, p.start, p.end, p.text)
