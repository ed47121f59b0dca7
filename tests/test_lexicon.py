"""The lexicon built with the index: its JSON round trip, BM25 as rank_bm25 scores it, the
question->answer routes, and the speller."""

from __future__ import annotations

import json

import numpy as np
import pytest
from quotebot.index.corpus import load_corpus
from quotebot.index.lexicon import Lexicon, build_lexicon
from quotebot.index.segment import segment
from quotebot.index.spelling import Speller, distance
from quotebot.index.text import content_tokens

from quotebot.settings import DEFAULT_CORPUS as SEED


@pytest.fixture(scope="module")
def corpus():
    documents = load_corpus([SEED])
    passages = [p for d in documents for p in segment(d)]
    return documents, passages, build_lexicon(documents, passages)


def test_the_lexicon_survives_a_json_round_trip(corpus):
    _, _, lexicon = corpus
    again = Lexicon.from_json(json.loads(json.dumps(lexicon.to_json())))
    assert again.words == lexicon.words and again.answers_of == lexicon.answers_of
    assert again.bm25.idf == lexicon.bm25.idf and again.bm25.avgdl == lexicon.bm25.avgdl
    assert (again.bm25.doc_len == lexicon.bm25.doc_len).all()
    assert again.bm25.postings.keys() == lexicon.bm25.postings.keys()
    for token, (rows, counts) in lexicon.bm25.postings.items():
        assert (again.bm25.postings[token][0] == rows).all()
        assert (again.bm25.postings[token][1] == counts).all()
    weights = {"five": 1.0, "hour": 0.5, "territorial": 1.0}
    assert (again.bm25.scores(weights, 60) == lexicon.bm25.scores(weights, 60)).all()
    assert again.stems == lexicon.stems
    assert again.speller.correct("meetng") == lexicon.speller.correct("meetng") == "meeting"


def test_a_lexicon_of_another_version_is_refused(corpus):
    data = {**corpus[2].to_json(), "version": 0}
    with pytest.raises(ValueError, match="lexicon version 0"):
        Lexicon.from_json(data)


def test_bm25_scores_are_rank_bm25s(corpus):
    from rank_bm25 import BM25Okapi

    _, passages, lexicon = corpus
    okapi = BM25Okapi([content_tokens(p.text) or ["\0"] for p in passages])
    weights = {"territorial": 1.0, "discuss": 0.5, "never-seen": 1.0}
    expected = sum(w * okapi.get_scores([t]) for t, w in weights.items())
    assert np.allclose(lexicon.bm25.scores(weights, len(passages)), expected)
    assert lexicon.bm25.scores(weights, len(passages)).max() > 0


def test_routes_lead_from_each_journalists_question_to_its_answers(corpus):
    _, passages, lexicon = corpus
    questions = {i for i, p in enumerate(passages) if p.role == "question"}
    assert set(lexicon.answers_of) <= questions and lexicon.answers_of
    first = {p.id: p for p in passages}
    for q, answers in lexicon.answers_of.items():
        for a in answers:  # an answer's question is the turn `q` is part of
            asked = first[passages[a].question_id]
            assert (passages[q].doc, passages[q].turn) == (asked.doc, asked.turn)
    answered = [i for i, p in enumerate(passages) if p.question_id]
    assert sorted({a for rows in lexicon.answers_of.values() for a in rows}) == answered


def test_every_passage_of_a_long_question_routes_to_its_answers(tmp_path):
    text = (
        "Question: Good afternoon, Mr President.\n\n"
        "What is your attitude to the faked death of the journalist? "
        + "It was reported widely. " * 40
        + "\n\nVladimir Putin: Any fake is counterproductive.\n"
    )
    (tmp_path / "d.txt").write_text(text, encoding="utf-8")
    (document,) = load_corpus([tmp_path / "d.txt"])
    passages = segment(document, 4, 700)
    asked = [i for i, p in enumerate(passages) if p.role == "question"]
    (answer,) = [i for i, p in enumerate(passages) if p.role == "answer"]
    assert len(asked) > 1
    lexicon = build_lexicon([document], passages)
    assert all(lexicon.answers_of[q] == (answer,) for q in asked)


def test_the_vocabulary_counts_every_folded_word_of_the_documents(corpus):
    _, _, lexicon = corpus
    assert lexicon.words["ushakov"] > 3 and "witkoff" in lexicon and "Witkoff" not in lexicon
    assert "hours" in lexicon and "hour" in lexicon.stems


def test_the_speller_corrects_within_two_edits_and_one_for_short_words():
    speller = Speller({"meeting": 3, "meetings": 1, "hours": 2, "peace": 1, "piece": 5})
    assert speller.correct("meetng") == "meeting"
    assert speller.correct("meteing") == "meeting", "a transposition is one edit"
    assert speller.correct("mtng") is None, "too far"
    assert speller.correct("hors") == "hours"
    assert speller.correct("peice") == "piece", "on a tie, the more frequent word"
    assert speller.correct("meeting") is None, "a known word needs no correction"
    assert speller.correct("ab") is None and speller.correct("h0urs") is None


def test_distance_is_the_optimal_string_alignment_distance():
    assert distance("kitten", "sitting") == 3
    assert distance("ab", "ba") == 1
    assert distance("", "abc") == 3 and distance("same", "same") == 0
