"""The learned scorer: logistic models over feature rows, stored as JSON (never pickle).

Three models, all fitted by `python -m bench.tune` on the dev documents only, and stored in
the scoring configuration (`bot/scoring.py`):
- the sentence model: P(this sentence is (part of) a right answer | its features);
- the answerability model: P(the best sentence is a right answer | the best candidates'
  features). Its output is an answer's `confidence`, a calibrated probability; the bot answers
  when it is at least the model's `threshold`, and says "the statement does not say" otherwise;
- the abstention model: P(the document does not answer | the same features), the confidence
  of "the statement does not say". It is not one minus the answerability model's output: that
  is the chance that the best sentence is wrong, and a question whose answer the sentences rank
  low is answerable all the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .features import SENTENCE_FEATURES

# Columns of the answerability model, computed by `answer_features`.
ANSWER_FEATURES = (
    "p_top",
    "p_second",
    "p_margin",
    "logit_top",
    "cos_top",
    "cos_best_any",
    "cos_passage_top",
    "overlap_top",
    "overlap_best_any",
    "type_asked",
    "type_miss_top",
    "role_question_top",
    "unknown_names",
    "unseen_words",
    "follow_up",
    "other_language",
    "by_named_top",  # the user names the top sentence's speaker
    # the quotes shown (the top sentence and those at least `ratio` of its probability, up to
    # the number of quotes asked for): the answer is right when one of them is
    "shown",  # how many
    "type_miss_shown",  # the question asks for a kind of answer none of them holds
    "overlap_shown",  # the best idf-weighted overlap among them
)


class ModelFileError(ValueError):
    """A stored model is malformed or made for other features."""


@dataclass(frozen=True)
class LinearModel:
    """A standardised logistic regression: P = sigmoid(((x - mean) / scale) @ coef + bias)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    bias: float

    def logit(self, matrix: np.ndarray) -> np.ndarray:
        """Return the log-odds for each row of `matrix`."""
        return ((matrix - self.mean) / self.scale) @ self.coef + self.bias

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Return P(positive) for each row of `matrix`."""
        return 1.0 / (1.0 + np.exp(-self.logit(matrix)))

    def to_json(self) -> dict:
        """Return the model as a JSON-ready dict."""
        return {
            "features": list(self.features),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "bias": self.bias,
        }

    @classmethod
    def from_json(cls, data: dict, expected: tuple[str, ...]) -> LinearModel:
        """Return the model in `data`; raise ModelFileError unless it uses `expected` features."""
        features = tuple(data.get("features", ()))
        if features != expected:
            raise ModelFileError(f"the model uses features {features}, not {expected}")
        arrays = [np.asarray(data[k], dtype=np.float64) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(expected),) or not np.isfinite(a).all() for a in arrays):
            raise ModelFileError("the model's arrays do not match its features")
        mean, scale, coef = arrays
        return cls(features, mean, np.where(scale > 0, scale, 1.0), coef, float(data["bias"]))


@dataclass(frozen=True)
class Scorer:
    """The sentence model, the answerability model, the answer threshold, and the abstention
    model."""

    sentence: LinearModel
    answerable: LinearModel
    unanswerable: LinearModel
    threshold: float
    version: str

    def to_json(self) -> dict:
        """Return the scorer as the JSON its model file holds."""
        return {
            "version": self.version,
            "threshold": self.threshold,
            "sentence": self.sentence.to_json(),
            "answerable": self.answerable.to_json(),
            "unanswerable": self.unanswerable.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict, features: tuple[str, ...] = SENTENCE_FEATURES) -> Scorer:
        """Return the scorer in `data` (as written by `to_json`), whose sentence model reads
        `features`."""
        try:
            return cls(
                LinearModel.from_json(data["sentence"], features),
                LinearModel.from_json(data["answerable"], ANSWER_FEATURES),
                LinearModel.from_json(data["unanswerable"], ANSWER_FEATURES),
                float(data["threshold"]),
                str(data["version"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed scorer model: {exc}") from exc


def answer_features(
    matrix: np.ndarray, probabilities: np.ndarray, logits: np.ndarray, ratio: float, most: int
):
    """Return the answerability row for candidates `matrix` with sentence `probabilities`, whose
    shown quotes are the `most` best sentences with at least `ratio` of the best probability."""
    col = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
    if len(probabilities) == 0:
        return np.zeros(len(ANSWER_FEATURES), dtype=np.float64)
    order = np.argsort(-probabilities, kind="stable")
    top = matrix[order[0]]
    p_top = float(probabilities[order[0]])
    shown = [i for i in order if probabilities[i] >= ratio * p_top][:most]
    misses = all(matrix[i, col["type_miss"]] == 1 for i in shown)
    p_second = float(probabilities[order[1]]) if len(order) > 1 else 0.0
    return np.asarray(
        [
            p_top,
            p_second,
            p_top - p_second,
            float(logits[order[0]]),
            top[col["cos"]],
            float(matrix[:, col["cos"]].max()),
            top[col["cos_passage"]],
            top[col["overlap"]],
            float(matrix[:, col["overlap"]].max()),
            top[col["type_asked"]],
            top[col["type_miss"]],
            top[col["role_question"]],
            top[col["unknown_names"]],
            top[col["unseen_words"]],
            top[col["follow_up"]],
            top[col["other_language"]],
            top[col["by_named"]],
            float(len(shown)),
            float(top[col["type_asked"]] == 1 and misses),
            float(matrix[shown, col["overlap"]].max()),
        ],
        dtype=np.float64,
    )
