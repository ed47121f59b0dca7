"""Retrieval's pieces: reciprocal rank fusion, routes from a journalist's question to its
answers, the query's token weights, and the retriever over a small fake-embedded index."""

from __future__ import annotations

import pytest
from quotebot.bot.conversation import Turn
from quotebot.bot.question import Query, prepare
from quotebot.bot.retriever import Retriever, fuse, routes, shortlist, token_weights
from quotebot.bot.scoring import load_scoring


def test_fusion_sums_reciprocal_ranks():
    fused = dict(fuse([[1, 2, 3], [3, 1]], rrf_k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2] == pytest.approx(1 / 62)


def test_fusion_ranks_agreement_above_one_first_place():
    ranked = [row for row, _ in fuse([[7, 1, 2], [1, 2, 7], [1, 7, 2]], rrf_k=60)]
    assert ranked == [1, 7, 2]


def test_fusion_breaks_ties_by_first_appearance():
    assert [row for row, _ in fuse([[4, 5], [5, 4]], rrf_k=60)] == [4, 5]


def test_a_small_rrf_k_lets_a_first_place_beat_two_third_places():
    rankings = [[1, 5, 2], [3, 6, 2]]
    assert fuse(rankings, rrf_k=0)[0][0] == 1
    assert fuse(rankings, rrf_k=1000)[0][0] == 2


def test_each_rankings_first_passages_stay_candidates_whatever_their_fused_rank():
    # passage 9 is first in both dense rankings and in no other; four rankings agree on 1-4
    rankings = [[9, 1, 2, 3, 4], [9, 2, 1, 4, 3], [1, 2, 3, 4], [2, 1, 4, 3]]
    fused = fuse(rankings, rrf_k=60)
    assert [row for row, _ in fused[:4]] == [1, 2, 3, 4]
    kept = shortlist(rankings, fused, n=4, keep=1)
    assert [row for row, _ in kept] == [1, 2, 3, 4, 9]
    assert kept[-1][1] == dict(fused)[9]  # its own fused score: ranked last
    assert shortlist(rankings, fused, n=4, keep=0) == fused[:4]


def test_routes_give_each_answer_its_best_questions_score():
    routed = routes({10: 0.8, 12: 0.3, 5: 0.9}, {10: (11,), 12: (13, 11)})
    assert routed == {11: 0.8, 13: 0.3}


def test_token_weights_count_the_earlier_turn_less():
    query = Query("Was it discussed?", "en", "Was it discussed?", previous="territorial issue")
    weights = token_weights(query, 0.5)
    assert weights == {"territorial": 0.5, "issue": 0.5, "discuss": 1.0}
    alone = Query("territorial issue", "en", "territorial issue", previous="issue")
    assert token_weights(alone, 0.5)["issue"] == 1.0, "the question's own word counts fully"


@pytest.fixture
def ranker(fake_index, fake_embedder):
    embedders = {"fake": fake_embedder}
    return Retriever(fake_index, embedders, load_scoring(), primary="fake", top_k=4, candidates=6)


def test_the_retriever_finds_the_passage_that_shares_the_questions_words(ranker):
    query = prepare("How many points were in the document?", [], 2000, ranker.index.lexicon)
    evidence = ranker.evidence(query)
    top = [ranker.index.passages[row].id for row, _ in evidence.ranked[:3]]
    assert "statement#p13" in top, top
    assert len(evidence.ranked) == 6 and evidence.embedder == "fake"
    scores = [s for _, s in evidence.ranked]
    assert scores == sorted(scores, reverse=True)


def test_a_follow_up_carries_the_earlier_answers_passages(ranker):
    lexicon = ranker.index.lexicon
    cold = prepare("Was it discussed?", [], 2000, lexicon)
    warm = prepare("Was it discussed?", [Turn("Q", "A", ("statement#p20",), "x")], 2000, lexicon)
    row = ranker.index.by_id["statement#p20"]
    bonus = ranker.scoring.carry_bonus
    cold_dense = ranker.evidence(cold).dense.get(row, 0.0)
    warm_dense = ranker.evidence(warm).dense[row]
    assert warm_dense > cold_dense + bonus / 2


def test_a_question_about_one_document_retrieves_only_its_passages(tmp_path, fake_embedder):
    from quotebot.bot.bot import Bot

    from quotebot.errors import QuestionError
    from quotebot.settings import DEFAULT_CORPUS, Settings

    other = tmp_path / "other.txt"
    other.write_text(
        "Question: How long did the meeting last?\n\nJohn Smith: It lasted two days.\n"
    )
    settings = Settings.load(
        environ={}, corpus=(DEFAULT_CORPUS, other), cache_dir=tmp_path / "c", embedders=("fake",)
    )
    bot = Bot(settings).warm_up()
    everywhere = bot.answer("How long did the meeting last?")
    assert {bot.index.passage(pid).doc for pid, _ in everywhere.retrieved} == {"statement", "other"}
    for doc in ("statement", "other"):
        scoped = bot.answer("How long did the meeting last?", doc=doc)
        assert {bot.index.passage(pid).doc for pid, _ in scoped.retrieved} == {doc}
        assert all(c.doc == doc for c in scoped.citations)
    with pytest.raises(QuestionError, match="no document named 'nope'"):
        bot.answer("How long?", doc="nope")


def test_the_embedder_reads_the_topic_of_a_question_about_what_someone_said(ranker):
    seen = []
    embedder = ranker.embedders["fake"]
    original = embedder.embed_queries
    embedder.embed_queries = lambda texts: seen.extend(texts) or original(texts)
    query = prepare(
        "What did Ushakov say about the territorial issue?", [], 2000, ranker.index.lexicon
    )
    ranker.evidence(query)
    assert seen == ["the territorial issue"]
    assert "territorial" in token_weights(query, 0.5) and "ushakov" not in seen[0].casefold()
