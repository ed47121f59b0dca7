"""The tuner's pieces on made-up samples: fitting separates, the threshold maximises the
answer-or-abstain accuracy, the calibration error is computed as defined, and the features are
cached as JSON."""

from __future__ import annotations

import numpy as np
import pytest
from quotebot.bot.features import BOTH_FEATURES, SENTENCE_FEATURES
from quotebot.bot.scorer import ANSWER_FEATURES

from bench.tune import (
    Sample,
    abstention,
    best_threshold,
    choose_ratio,
    ece,
    fit,
    fit_linear,
    load_samples,
    refit_abstention,
    save_samples,
    shown,
    view,
)

COS = SENTENCE_FEATURES.index("cos")


def sample(i: int, answerable: bool, doc: str) -> Sample:
    rng = np.random.default_rng(i)
    matrix = np.full((6, len(BOTH_FEATURES)), np.nan, dtype=np.float32)  # no second view
    matrix[:, : len(SENTENCE_FEATURES)] = rng.normal(size=(6, len(SENTENCE_FEATURES)))
    labels = np.zeros(6, np.int8)
    if answerable:
        labels[2] = 1
        matrix[2, COS] += 6.0  # the answering sentence is the most similar, by far
    else:
        matrix[:, COS] -= 2.0
    return Sample(f"q{i}", doc, "dev", "", answerable, matrix, labels, np.arange(6, dtype=np.int32))


def test_fitting_learns_what_separates_answers_and_when_to_abstain():
    samples = [sample(i, i % 3 != 0, f"d{i % 4}") for i in range(120)]
    fitted = fit(samples)
    scorer = fitted.scorer
    assert scorer.sentence.coef[COS] > 0
    assert fitted.ratio == 1.0  # the answering sentence stands out: one quote is enough
    plain = view(samples, SENTENCE_FEATURES)
    right = [int(np.argmax(scorer.sentence.logit(s.matrix))) == 2 for s in plain if s.answerable]
    assert np.mean(right) > 0.9
    assert 0.0 < scorer.threshold < 1.0


def test_best_threshold_balances_right_quotes_and_abstentions():
    p = np.array([0.1, 0.2, 0.6, 0.8, 0.9])
    right = np.array([0, 0, 1, 1, 1])
    answerable = np.array([False, False, True, True, True])
    assert 0.2 < best_threshold(p, right, answerable) <= 0.6  # exactly the three right ones
    # the first two are answerable but the best sentence is wrong: abstaining on them costs
    # nothing, answering them gains nothing
    everything = np.array([True] * 5)
    assert best_threshold(p, right, everything) <= 0.6


def test_expected_calibration_error_as_defined():
    # two bins: p=0.25 (outcome mean 0.5, weight 0.5), p=0.75 (outcome mean 1.0, weight 0.5)
    p = np.array([0.25, 0.25, 0.75, 0.75])
    y = np.array([0, 1, 1, 1])
    assert ece(p, y) == pytest.approx(0.5 * 0.25 + 0.5 * 0.25)


def test_samples_round_trip_through_json(tmp_path):
    samples = [sample(i, True, "d") for i in range(3)]
    save_samples(samples, tmp_path / "s.json")
    again = load_samples(tmp_path / "s.json")
    assert [s.qid for s in again] == ["q0", "q1", "q2"]
    assert (
        np.allclose(again[1].matrix, samples[1].matrix, equal_nan=True)
        and (again[1].labels == samples[1].labels).all()
    )


def test_a_further_quote_is_added_only_while_it_buys_enough_coverage():
    # two sentences look alike (nearly the same cosine); the gold one is the first in half of
    # the questions and the second in the others: quoting both covers every question
    samples = []
    for i in range(40):
        s = sample(i, True, "d")
        s.matrix[:] = 0.0
        s.matrix[1, COS], s.matrix[2, COS] = 3.0, 2.95
        s.labels[:] = 0
        s.labels[1 + i % 2] = 1
        samples.append(s)
    samples = view(samples, SENTENCE_FEATURES)
    model = fit_linear(
        np.concatenate([s.matrix for s in samples]),
        np.concatenate([s.labels for s in samples]),
        SENTENCE_FEATURES,
        0.5,
    )
    one, _, _ = shown(samples, model, 1.0)
    assert one.mean() < 0.8
    ratio = choose_ratio([(samples, model)])
    covered, precision, quoted = shown(samples, model, ratio)
    assert ratio < 1.0 and covered.mean() == 1.0 and quoted.mean() <= 3
    # with the two far apart, the second is never worth quoting
    for s in samples:
        s.matrix[2, COS] = -3.0
        s.labels[:] = 0
        s.labels[1] = 1
    assert choose_ratio([(samples, model)]) == 1.0


def test_the_models_over_both_embedders_learn_from_the_samples_that_have_both():
    samples = [sample(i, i % 3 != 0, f"d{i % 4}") for i in range(120)]
    second = len(SENTENCE_FEATURES)  # second_cos
    for s in samples[:80]:  # English questions: the second view, and it finds the answer
        s.both = True
        s.matrix[:, second:] = 0.0
        if s.answerable:
            s.matrix[2, second] = 4.0
    both = fit(samples, features=BOTH_FEATURES)
    assert both.scorer.sentence.features == BOTH_FEATURES
    assert both.scorer.sentence.coef[second] > 0
    assert len(view(samples, BOTH_FEATURES)) == 80  # the others have no second view


def test_the_abstention_model_is_calibrated_on_the_question_sets_own_questions():
    rng = np.random.default_rng(0)
    n = len(ANSWER_FEATURES)
    ours = rng.normal(size=(400, n))  # a quarter unanswerable, as in a question set
    unanswerable = rng.random(400) < 0.25
    ours[unanswerable, 0] += 1.0  # a feature that leans towards the unanswerable
    negatives = rng.normal(size=(400, n))  # a near-miss set: all unanswerable
    ax = np.vstack([ours, negatives])
    aa = np.concatenate([~unanswerable, np.zeros(400, dtype=bool)])
    ids = np.asarray([f"q{i}" for i in range(400)] + [f"neg{i}" for i in range(400)])
    mine = abstention(ax, aa, ids, 1.0, frozenset(ids[:400]))
    assert mine.probability(ours).mean() == pytest.approx(0.25, abs=0.03)
    assert mine.coef[0] > 0
    every = abstention(ax, aa, ids, 1.0, None)  # the near misses would teach "mostly not"
    assert every.probability(ours).mean() > 0.5
    # rows of one kind only: their share, Laplace-smoothed (3 unanswerable of 3: 4/5)
    three = abstention(negatives[:3], np.zeros(3, dtype=bool), ids[400:403], 1.0, None)
    assert three.probability(ours).tolist() == pytest.approx([0.8] * 400)


def test_refitting_the_abstention_model_keeps_the_others():
    samples = [sample(i, i % 3 != 0, f"d{i % 4}") for i in range(120)]
    scorer = fit(samples).scorer
    again = refit_abstention(samples, scorer, 1.0, calibrate=frozenset(f"q{i}" for i in range(60)))
    assert again.sentence is scorer.sentence and again.answerable is scorer.answerable
    assert again.threshold == scorer.threshold
    assert again.unanswerable.to_json() != scorer.unanswerable.to_json()  # fewer questions
