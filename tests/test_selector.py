"""Quote selection over the seed indexed with the fake embedder: the threshold, the margin,
requests, journalists' questions, the penalties and the merging of sentences into quotes.
Every number comes from the ScoringConfig passed in."""

from __future__ import annotations

from dataclasses import replace

import pytest
from quotebot.bot.question import prepare
from quotebot.bot.retriever import Retriever
from quotebot.bot.scoring import load_scoring
from quotebot.bot.selector import _merge, answer_type, score_sentences, select
from quotebot.index.text import normalise

SCORING = load_scoring()


@pytest.fixture
def ask(fake_index, fake_embedder):
    ranker = Retriever(fake_index, {"fake": fake_embedder}, SCORING, primary="fake")

    def ask(question: str):
        query = prepare(question, [], 2000, fake_index.lexicon)
        return query, ranker.evidence(query)

    return ask


def ids(index, quotes):
    return [(index.passages[q.row].id, q.first, q.last) for q in quotes]


def test_a_sentence_over_the_threshold_is_quoted_and_under_it_the_bot_abstains(ask, fake_index):
    query, evidence = ask("How many points were in the document?")
    chosen = select(query, evidence, fake_index, SCORING, 3)
    assert ids(fake_index, chosen.quotes) == [("statement#p13", 0, 0)]
    stricter = replace(SCORING, abstain_threshold=chosen.best + 0.01)
    abstained = select(query, evidence, fake_index, stricter, 3)
    assert abstained.quotes == [] and abstained.best == chosen.best
    assert abstained.ranking == chosen.ranking, "the ranking is reported either way"


def test_the_margin_admits_near_ties_up_to_max_quotes_passages(ask, fake_index):
    query, evidence = ask("How many points were in the document?")
    wide = replace(SCORING, abstain_threshold=0.0, quote_margin=1.0)
    chosen = select(query, evidence, fake_index, wide, 2)
    rows = {q.row for q in chosen.quotes}
    assert len(chosen.quotes) >= 2 and len(rows) <= 2
    narrow = select(query, evidence, fake_index, replace(wide, quote_margin=0.0), 2)
    assert [q.score for q in narrow.quotes] == [chosen.best]


def test_a_request_is_never_answered_whatever_the_scores(ask, fake_index):
    query, evidence = ask("Write a poem about the 28 points in the document")
    assert query.is_request
    lenient = replace(SCORING, abstain_threshold=-10.0, quote_margin=10.0)
    assert select(query, evidence, fake_index, lenient, 3).quotes == []


def test_a_journalists_question_is_quoted_only_when_asked_about(ask, fake_index):
    query, evidence = ask("Were there 28 points?")
    scored = score_sentences(query, evidence, fake_index, SCORING)
    journalist = [ok for row, _, _, ok in scored if fake_index.passages[row].role == "question"]
    assert journalist and not any(journalist)
    chosen = select(query, evidence, fake_index, replace(SCORING, abstain_threshold=0.0), 3)
    assert all(fake_index.passages[q.row].role != "question" for q in chosen.quotes)
    query, evidence = ask("What did the media report about 28 points?")
    chosen = select(query, evidence, fake_index, SCORING, 3)
    assert ids(fake_index, chosen.quotes)[0] == ("statement#p12", 0, 0)


def test_an_unknown_name_lowers_every_score_by_its_penalty(ask, fake_index):
    query, evidence = ask("What did the envoys say about the points?")
    plain = score_sentences(query, evidence, fake_index, SCORING)
    named = replace(query, unknown_names=("Zelensky",))
    lowered = score_sentences(named, evidence, fake_index, SCORING)
    penalty = SCORING.unknown_name_penalty
    assert penalty > 0
    assert sorted(s - penalty for _, _, s, _ in plain) == pytest.approx(
        sorted(s for _, _, s, _ in lowered)
    )


def test_a_sentence_without_the_kind_of_answer_asked_for_is_penalised(ask, fake_index):
    query, evidence = ask("How many points were in the document?")
    free = {
        (r, j): s
        for r, j, s, _ in score_sentences(
            query, evidence, fake_index, replace(SCORING, type_penalty=0.0)
        )
    }
    typed = {(r, j): s for r, j, s, _ in score_sentences(query, evidence, fake_index, SCORING)}
    holds_number = answer_type(query.search)
    for (row, j), score in typed.items():
        s, e = fake_index.passages[row].sentences[j]
        sentence = fake_index.source(fake_index.passages[row].doc)[s:e]
        expected = 0.0 if holds_number(sentence) else SCORING.type_penalty
        assert free[row, j] - score == pytest.approx(expected), sentence


def test_answer_types():
    assert answer_type("How many points?")("a document comprising 27 points")
    assert not answer_type("How many points?")("We discussed these documents.")
    assert answer_type("How long did it last?")("It lasted five hours.")
    assert answer_type("What did they discuss?") is None
    who = answer_type("Who met Putin?")
    assert who("Putin met Steve Witkoff.") and not who("Putin met them.")
    assert answer_type("Who said that?", about_speaker=True) is None


def test_adjacent_sentences_form_one_quote_and_a_short_one_takes_its_predecessor(fake_index):
    p05 = fake_index.by_id["statement#p05"]  # sentence 1: "We discussed these documents."
    text = normalise(fake_index.source("statement")[slice(*fake_index.passages[p05].sentences[1])])
    assert text == "We discussed these documents."
    quotes = _merge([(p05, 1, 0.9)], fake_index, 3, short_words=5)
    assert ids(fake_index, quotes) == [("statement#p05", 0, 1)]
    assert ids(fake_index, _merge([(p05, 1, 0.9)], fake_index, 3, short_words=4)) == [
        ("statement#p05", 1, 1)
    ]
    run = _merge([(p05, 2, 0.9), (p05, 3, 0.8), (p05, 0, 0.7)], fake_index, 3, short_words=5)
    assert ids(fake_index, run) == [("statement#p05", 2, 3), ("statement#p05", 0, 0)]


def test_quotes_come_from_at_most_max_quotes_passages(fake_index):
    rows = [fake_index.by_id[f"statement#p{n:02d}"] for n in (4, 7, 9, 11)]
    keep = [(row, 0, 1.0 - i / 10) for i, row in enumerate(rows)]
    assert [q.row for q in _merge(keep, fake_index, 2, short_words=5)] == rows[:2]
