"""The learned models: logistic regression stored as JSON, read strictly, and the
answerability row computed from the candidates' features."""

from __future__ import annotations

import numpy as np
import pytest
from quotebot.bot.features import SENTENCE_FEATURES
from quotebot.bot.scorer import (
    ANSWER_FEATURES,
    LinearModel,
    ModelFileError,
    Scorer,
    answer_features,
)

N = len(SENTENCE_FEATURES)


def model(coef, bias=0.0, features=SENTENCE_FEATURES):
    n = len(features)
    return LinearModel(features, np.zeros(n), np.ones(n), np.asarray(coef, float), bias)


def test_the_probability_is_the_logistic_of_the_standardised_row():
    m = LinearModel(
        ("a", "b"), np.array([1.0, 0.0]), np.array([2.0, 1.0]), np.array([1.0, -1.0]), 0.5
    )
    x = np.array([[3.0, 1.0]])  # ((3-1)/2)*1 + (1-0)/1*(-1) + 0.5 = 0.5
    assert m.logit(x)[0] == pytest.approx(0.5)
    assert m.probability(x)[0] == pytest.approx(1 / (1 + np.exp(-0.5)))


def test_a_scorer_round_trips_through_json():
    s = Scorer(
        model(np.arange(N) / 10, 0.3),
        model(np.ones(len(ANSWER_FEATURES)), -1, ANSWER_FEATURES),
        model(np.zeros(len(ANSWER_FEATURES)), 0.25, ANSWER_FEATURES),
        0.6,
        "t",
    )
    again = Scorer.from_json(s.to_json())
    assert again.to_json() == s.to_json() and again.threshold == 0.6


@pytest.mark.parametrize(
    "change",
    [
        lambda d: {**d, "features": d["features"][:-1]},
        lambda d: {**d, "coef": d["coef"][:-1]},
        lambda d: {**d, "mean": [float("nan")] * N},
    ],
)
def test_a_model_for_other_features_or_with_bad_numbers_is_refused(change):
    data = change(model(np.zeros(N)).to_json())
    with pytest.raises(ModelFileError):
        LinearModel.from_json(data, SENTENCE_FEATURES)


def test_a_zero_scale_never_divides_by_zero():
    data = {**model(np.ones(N)).to_json(), "scale": [0.0] * N}
    m = LinearModel.from_json(data, SENTENCE_FEATURES)
    assert np.isfinite(m.logit(np.ones((1, N)))).all()


def test_the_answerability_row_describes_the_best_and_second_candidates():
    matrix = np.zeros((3, N), np.float32)
    cos = SENTENCE_FEATURES.index("cos")
    matrix[:, cos] = [0.2, 0.9, 0.5]
    probs = np.array([0.1, 0.7, 0.4])
    row = dict(
        zip(
            ANSWER_FEATURES,
            answer_features(matrix, probs, np.log(probs / (1 - probs)), 1.0, 3),
            strict=True,
        )
    )
    assert row["p_top"] == pytest.approx(0.7) and row["p_second"] == pytest.approx(0.4)
    assert row["p_margin"] == pytest.approx(0.3) and row["cos_top"] == pytest.approx(0.9)
    assert row["shown"] == 1  # the second is not within the default ratio (1.0)
    # within 0.5 of the best, the second is shown too: it holds the duration asked for
    kind = [SENTENCE_FEATURES.index(n) for n in ("type_asked", "type_miss", "overlap")]
    matrix[:, kind[0]] = 1.0
    matrix[:, kind[1]] = [1.0, 1.0, 0.0]
    matrix[:, kind[2]] = [0.0, 0.1, 0.6]
    logits = np.log(probs / (1 - probs))
    narrow = dict(zip(ANSWER_FEATURES, answer_features(matrix, probs, logits, 1.0, 3), strict=True))
    wide = dict(zip(ANSWER_FEATURES, answer_features(matrix, probs, logits, 0.5, 3), strict=True))
    assert narrow["type_miss_shown"] == 1 and narrow["overlap_shown"] == pytest.approx(0.1)
    assert wide["shown"] == 2 and wide["type_miss_shown"] == 0
    assert wide["overlap_shown"] == pytest.approx(0.6)
    assert answer_features(np.zeros((0, N)), np.zeros(0), np.zeros(0), 1.0, 3).shape == (
        len(ANSWER_FEATURES),
    )
