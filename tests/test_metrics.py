"""Every metric against a worked example whose numbers are computed by hand in the comments."""

from __future__ import annotations

import pytest
from quotebot.evaluation.metrics import (
    abstention_scores,
    citation_precision,
    citation_recall,
    exact_match,
    f1,
    mean_reciprocal_rank,
    percentile,
    quote_verification_rate,
    recall_at_k,
    reciprocal_rank,
    verified_count,
)
from quotebot.evaluation.metrics.spans import Span, locate, relevant_units, union
from quotebot.evaluation.metrics.squad import gold_answers, normalize_answer, prediction_text

# ---------------------------------------------------------------- SQuAD 2.0 EM / F1


def test_normalize_answer_follows_the_official_script():
    # lower, ASCII punctuation out, articles a/an/the out, whitespace collapsed
    assert normalize_answer("The  Cat's, a HAT!") == "cats hat"
    assert normalize_answer("an apple\tand\nthe pear") == "apple and pear"
    # typographic quotes are not in string.punctuation, so they stay, as upstream
    assert normalize_answer("“five hours.”") == "“five hours”"


def test_exact_match_is_the_best_over_gold_answers():
    assert exact_match("Five hours.", ["five hours"]) == 1
    assert exact_match("It lasted five hours", ["five hours"]) == 0
    assert exact_match("27 points", ["27", "27 points"]) == 1


def test_f1_worked_example():
    # pred tokens: it did not last five minutes but five hours (9); gold: five hours (2)
    # common = five x1 + hours x1 = 2; P = 2/9, R = 2/2; F1 = 2PR/(P+R) = (4/9)/(11/9) = 4/11
    pred = "It did not last five minutes but five hours"
    assert f1(pred, ["five hours"]) == pytest.approx(4 / 11)
    # max over gold answers: "27 points" matches the second gold answer exactly
    assert f1("27 points", ["twenty-seven", "27 points"]) == 1.0
    assert f1("four documents", ["five hours"]) == 0.0


def test_no_answer_rule_maps_abstention_to_the_empty_prediction():
    assert gold_answers([]) == [""]
    assert gold_answers(["the", "."]) == [""]  # answers that normalise away are dropped
    assert prediction_text(True, "ignored text") == ""
    assert prediction_text(False, "A said: “x”") == "A said: “x”"
    # unanswerable + abstained: "" vs "" scores 1; unanswerable + answered scores 0
    assert exact_match("", []) == 1 and f1("", []) == 1.0
    assert exact_match("Ushakov said: “x”", []) == 0 and f1("Ushakov said: “x”", []) == 0.0
    # answerable + abstained scores 0
    assert exact_match("", ["five hours"]) == 0 and f1("", ["five hours"]) == 0.0


# ---------------------------------------------------------------- spans and verification

SOURCE = "Intro.\n\nThe\u00a0cat  sat.\nThe cat sat. End."


def test_locate_maps_a_normalised_quote_to_every_original_occurrence():
    spans = locate("The cat sat.", {"d": SOURCE})
    assert spans == [Span("d", 8, 21), Span("d", 22, 34)]
    assert SOURCE[8:21] == "The\u00a0cat  sat."
    assert locate("the cat sat.", {"d": SOURCE}) == []  # case matters: verbatim only
    assert locate("   ", {"d": SOURCE}) == []


def test_quote_verification_checks_the_source_at_the_offsets():
    sources = {"d": SOURCE}
    citations = [
        {"doc": "d", "start": 8, "end": 21, "quote": "The cat sat."},  # verified
        {"doc": "d", "start": 8, "end": 21, "quote": "The cat sat"},  # one character off
        {"doc": "d", "start": 30, "end": 99, "quote": "sat. End."},  # out of bounds
        {"doc": "other", "start": 8, "end": 21, "quote": "The cat sat."},  # unknown doc
    ]
    assert verified_count(citations, sources) == 1
    assert quote_verification_rate(1, 4) == 0.25
    assert quote_verification_rate(0, 0) is None


# ---------------------------------------------------------------- citation recall / precision


def test_citation_recall_and_precision_worked_example():
    # gold q1 = [10, 30) (20 chars), q2 = [50, 60) (10 chars); cited [0, 20) and [55, 70)
    gold = [(Span("d", 10, 30),), (Span("d", 50, 60),)]
    cited = [Span("d", 0, 20), Span("d", 55, 70)]
    # covered gold: 10..20 (10) + 55..60 (5) = 15 of 30
    assert citation_recall(gold, cited) == pytest.approx(15 / 30)
    # cited chars 20 + 15 = 35, of which inside gold 10 + 5 = 15
    assert citation_precision(gold, cited) == pytest.approx(15 / 35)


def test_overlapping_citations_are_counted_once():
    gold = [(Span("d", 10, 30),)]
    cited = [Span("d", 10, 20), Span("d", 15, 30)]  # union [10, 30)
    assert union(cited) == [Span("d", 10, 30)]
    assert citation_precision(gold, cited) == 1.0
    assert citation_recall(gold, cited) == 1.0


def test_a_repeated_gold_quote_is_satisfied_by_any_occurrence():
    gold = [(Span("d", 0, 10), Span("d", 100, 110))]
    cited = [Span("d", 100, 110)]
    assert citation_recall(gold, cited) == 1.0
    assert citation_precision(gold, cited) == 1.0


def test_citation_metrics_undefined_cases():
    assert citation_recall([], [Span("d", 0, 5)]) is None  # no gold
    assert citation_precision([(Span("d", 0, 5),)], []) is None  # nothing cited
    assert citation_recall([(Span("d", 0, 5),)], []) == 0.0  # abstained on an answerable one
    assert citation_precision([(Span("d", 0, 5),)], [Span("e", 0, 5)]) == 0.0  # other doc


# ---------------------------------------------------------------- retrieval


def test_relevant_units_prefer_units_holding_the_whole_quote():
    units = {"p1": Span("d", 0, 50), "p2": Span("d", 40, 100)}
    assert relevant_units([Span("d", 45, 60)], units) == {"p2"}
    # a quote crossing the unit boundary: every overlapping unit counts
    assert relevant_units([Span("d", 30, 70)], units) == {"p1", "p2"}


def test_recall_at_k_and_mrr_worked_example():
    relevant = [{"p3"}, {"p7", "p8"}]
    retrieved = ["p1", "p3", "p5", "p8"]
    assert recall_at_k(relevant, retrieved, 1) == 0.0
    assert recall_at_k(relevant, retrieved, 2) == 0.5
    assert recall_at_k(relevant, retrieved, 4) == 1.0
    assert reciprocal_rank(relevant, retrieved) == 0.5  # first relevant at rank 2
    assert reciprocal_rank(relevant, ["p9"]) == 0.0
    assert reciprocal_rank([], retrieved) is None
    # MRR = (0.5 + 1 + 0) / 3; undefined questions are left out
    assert mean_reciprocal_rank([0.5, 1.0, 0.0, None]) == pytest.approx(0.5)
    assert mean_reciprocal_rank([None]) is None


# ---------------------------------------------------------------- abstention and latency


def test_abstention_scores_worked_example():
    # (abstained, answerable): TP = 2, FP = 1, FN = 1, one true negative
    pairs = [(True, False), (True, False), (True, True), (False, False), (False, True)]
    scores = abstention_scores(pairs)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(4 / 6)  # 2TP / (2TP + FP + FN)


def test_abstention_scores_when_undefined():
    never = abstention_scores([(False, False), (False, True)])
    assert never.precision is None and never.recall == 0.0 and never.f1 == 0.0
    nothing = abstention_scores([(False, True)])
    assert nothing.precision is None and nothing.recall is None and nothing.f1 is None


def test_percentile_is_nearest_rank():
    values = [50, 15, 40, 20, 35]  # sorted: 15 20 35 40 50
    assert percentile(values, 5) == 15  # rank ceil(0.25) = 1
    assert percentile(values, 30) == 20  # rank ceil(1.5) = 2
    assert percentile(values, 50) == 35  # rank ceil(2.5) = 3
    assert percentile(values, 95) == 50  # rank ceil(4.75) = 5
    # 0.95 * 20 is exactly rank 19, not 20 through float rounding
    assert percentile(list(range(1, 21)), 95) == 19
    assert percentile([], 50) is None
    with pytest.raises(ValueError):
        percentile(values, 0)
