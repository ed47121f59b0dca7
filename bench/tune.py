"""Tune the scoring configuration: fit the learned models on the dev documents only, report
dev and test, and write the configuration.

    python -m bench.tune evals/transcripts.jsonl [evals/synthetic.jsonl] [--write]

Each question is answered against its own document (`doc`: "statement" is the seed, any other
name a file of evals/corpora/). For every question, the candidate sentences of the retrieved
passages get their feature rows (`bot/features.py`); a sentence is a positive when it overlaps
a gold quote. The sentence model is fitted on the dev split's rows; the answerability model on
out-of-fold sentence probabilities (grouped by document, so no question scores itself), so its
output is a calibrated probability that the answer shown is right. The answer threshold is the
one that maximises dev accuracy of the answer-or-abstain decision. Test documents are only
scored. The extra-quote ratio (also quote sentences nearly as likely as the best) is lowered
from one quote while each further sentence quoted adds enough dev coverage, out of fold
(`choose_ratio`), and the answerability model learns whether a quote shown, with those extras,
is right (`--ratio R` fixes it instead: a refit's choice can flip between 0.8 and 0.9 and
move every answer with it). The abstention model, the confidence of "does not say", learns
from the same out-of-fold rows where the bot abstains, on the question set's own questions
(`abstention`); `--only-abstention` fits it alone, keeping the shipped models. `--write`
stores the models in the shipped configuration (`bot/scoring.v5.json`); `--out FILE` writes a
copy elsewhere (point QUOTEBOT_SCORING at it).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from quotebot.bot.features import BOTH_FEATURES, SENTENCE_FEATURES
from quotebot.bot.scorer import ANSWER_FEATURES, LinearModel, Scorer, answer_features
from quotebot.bot.scoring import SHIPPED, ScoringConfig, load_scoring, save_scoring
from quotebot.bot.selector import quotable_rows
from quotebot.evaluation.metrics.spans import Span, locate

from quotebot.settings import DEFAULT_CORPUS, Settings

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "evals" / "corpora"


@dataclass
class Sample:
    """One question's candidates: feature rows, labels, and what a right answer is."""

    qid: str
    doc: str
    split: str
    category: str
    answerable: bool
    matrix: np.ndarray  # BOTH_FEATURES columns; the SECOND_FEATURES ones NaN without `both`
    labels: np.ndarray  # 1 where the sentence overlaps a gold quote
    group: np.ndarray  # passage row of each candidate
    both: bool = False  # the answer reads both embedders' features (an English question)


def doc_path(doc: str, corpora: Path = CORPORA) -> Path:
    """Return the file of document `doc` ("statement": the seed) in the folder `corpora`."""
    if doc == "statement":
        return DEFAULT_CORPUS
    matches = sorted(p for p in corpora.glob(f"{doc}.*") if p.suffix != ".json")
    if not matches:
        raise SystemExit(f"no file for document {doc!r} in {corpora}")
    return matches[0]


def answers(span: Span, gold: list[Span]) -> bool:
    """Return whether a sentence at `span` is right for gold quotes at `gold`: it overlaps one
    by at least half the shorter of the two."""
    return any(span.overlap(g) >= 0.5 * min(len(span), len(g)) for g in gold)


def candidates_for(bot, question: str, history: list[dict]):
    """Return (query, candidates, both) for a question, through the Bot's own stages: the
    candidates' rows have BOTH_FEATURES columns (the second view NaN when there is none), and
    `both` says whether the answer reads them all."""
    from quotebot.bot.conversation import as_turns
    from quotebot.bot.question import prepare
    from quotebot.bot.selector import scored_candidates

    index = bot.index
    query = prepare(question, as_turns(history), 2000, index.lexicon)
    evidence = bot.ranker.evidence(query)
    cands, _ = scored_candidates(query, evidence, index, bot.scoring)
    matrix = np.full((len(cands), len(BOTH_FEATURES)), np.nan, dtype=np.float32)
    matrix[:, : cands.matrix.shape[1]] = cands.matrix
    return query, replace(cands, matrix=matrix), evidence.second is not None


def collect(path: Path, cache: Path, embedders: tuple[str, ...] | None = None) -> list[Sample]:
    """Return a Sample for every question of the question set at `path`."""
    from quotebot.bot.bot import Bot
    from quotebot.index.store import ensure_index

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    by_doc: dict[str, list[dict]] = {}
    for q in rows:
        by_doc.setdefault(q.get("doc", "statement"), []).append(q)
    samples = []
    for doc, questions in by_doc.items():
        settings = Settings.load(
            environ={}, corpus=(doc_path(doc),), cache_dir=cache, embedders=embedders
        )
        index = ensure_index(settings, complete=True)  # both embedders: both views
        bot = Bot(settings, index=index, scoring=base_config()).warm_up()
        sources = {d.doc: d.text for d in bot.index.documents.values()}
        for q in questions:
            query, cands, both = candidates_for(bot, q["question"], q.get("history", []))
            gold = [s for quote in q.get("quotes", []) for s in locate(quote, sources)]
            labels = np.zeros(len(cands), dtype=np.int8)
            for i, (row, j) in enumerate(cands.refs):
                p = bot.index.passages[row]
                s, e = p.sentences[j]
                span = Span(p.doc, s, e)
                if answers(span, gold):
                    labels[i] = 1
            answerable = bool(q["answerable"]) and not query.is_request
            samples.append(
                Sample(
                    q["id"],
                    doc,
                    q.get("split", "test"),
                    q.get("category", ""),
                    answerable,
                    cands.matrix,
                    labels,
                    np.asarray([row for row, _ in cands.refs], dtype=np.int32),
                    both,
                )
            )
        print(f"{doc}: {len(questions)} questions", flush=True)
    return samples


def save_samples(samples: list[Sample], path: Path) -> None:
    """Write `samples` to `path` as JSON (features as lists)."""
    rows = [
        {
            **{k: getattr(s, k) for k in ("qid", "doc", "split", "category", "answerable", "both")},
            "matrix": s.matrix.tolist(),
            "labels": s.labels.tolist(),
            "group": s.group.tolist(),
        }
        for s in samples
    ]
    path.write_text(json.dumps(rows), encoding="utf-8")


def load_samples(path: Path) -> list[Sample]:
    """Return the samples `save_samples` wrote to `path`."""
    out = []
    for r in json.loads(path.read_text(encoding="utf-8")):
        matrix = np.asarray(r["matrix"], dtype=np.float32).reshape(-1, len(BOTH_FEATURES))
        out.append(
            Sample(
                r["qid"],
                r["doc"],
                r["split"],
                r["category"],
                r["answerable"],
                matrix,
                np.asarray(r["labels"], dtype=np.int8),
                np.asarray(r["group"], dtype=np.int32),
                bool(r.get("both", False)),
            )
        )
    return out


def base_config(model: Scorer | None = None, model_both: Scorer | None = None) -> ScoringConfig:
    """Return the shipped configuration's numbers with `model` and `model_both` (default:
    untrained ones, enough to retrieve and compute features while the shipped models may be
    out of date)."""
    data = json.loads((ROOT / "bot" / SHIPPED).read_text(encoding="utf-8"))
    models = {
        "model": (model or untrained()).to_json(),
        "model_both": (model_both or untrained(BOTH_FEATURES)).to_json(),
    }
    return ScoringConfig.from_json({**data, **models})


def untrained(features: tuple[str, ...] = SENTENCE_FEATURES) -> Scorer:
    """Return a model of `features` whose weights are all zero."""

    def zeros(names: tuple[str, ...]) -> LinearModel:
        n = len(names)
        return LinearModel(names, np.zeros(n), np.ones(n), np.zeros(n), 0.0)

    return Scorer(zeros(features), zeros(ANSWER_FEATURES), zeros(ANSWER_FEATURES), 0.5, "untrained")


def fit_linear(
    x: np.ndarray, y: np.ndarray, features: tuple[str, ...], c: float, balanced: bool = True
) -> LinearModel:
    """Return a standardised logistic regression fitted on (x, y); `balanced` weighs the
    classes equally (for ranking), otherwise the output is a calibrated probability."""
    from sklearn.linear_model import LogisticRegression

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced" if balanced else None)
    model.fit((x - mean) / scale, y)
    return LinearModel(
        features, mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0])
    )


def _logits(model: LinearModel, s: Sample) -> np.ndarray:
    """Return the sentence model's log-odds for the candidates of `s`, -inf where the
    selector would not quote the sentence (as at run time)."""
    if not len(s.matrix):
        return np.zeros(0)
    return np.where(quotable_rows(s.matrix), model.logit(s.matrix), -np.inf)


def answer_rows(
    samples: list[Sample], model: LinearModel, ratio: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Return the answerability rows of `samples` under `model`, and whether the answer shown
    is right (the label the answerability model learns): a quoted sentence, with the extra
    quotes `ratio` admits, overlaps a gold quote."""
    covered = iter(shown(samples, model, ratio)[0])
    xs, ys = [], []
    for s in samples:
        logits = _logits(model, s)
        allowed = np.isfinite(logits)
        with np.errstate(over="ignore"):
            probs = 1.0 / (1.0 + np.exp(-logits))
        row = answer_features(s.matrix[allowed], probs[allowed], logits[allowed], ratio, MAX_QUOTES)
        xs.append(row)
        ys.append(int(next(covered)) if s.answerable else 0)
    return np.asarray(xs), np.asarray(ys)


@dataclass(frozen=True)
class Fitted:
    """What `fit` learns: the models and threshold, and the extra-quote ratio."""

    scorer: Scorer
    ratio: float


def fit(
    samples: list[Sample],
    c: float = 0.5,
    features: tuple[str, ...] = SENTENCE_FEATURES,
    ratio: float | None = None,
    calibrate: frozenset[str] | None = None,
) -> Fitted:
    """Return the scorer over `features` fitted on `samples` (the dev split; over both
    embedders' features, only those with `both`) and the extra-quote ratio (`ratio`, or
    chosen on `samples`); the abstention model learns from the questions `calibrate` names
    (default: all), `abstention` says why."""
    samples = view(samples, features)
    sentence = fit_linear(*_stack([s for s in samples if s.answerable]), features, c)
    parts = out_of_fold(samples, features, c)
    ratio = choose_ratio(parts) if ratio is None else ratio
    ax, ay, aa, ids = oof_rows(parts, ratio)
    # unweighted, so that its output stays a calibrated probability
    answerable = fit_linear(ax, ay, ANSWER_FEATURES, c, balanced=False)
    threshold = best_threshold(answerable.probability(ax), ay, aa)
    abstains = answerable.probability(ax) < threshold
    unanswerable = abstention(ax[abstains], aa[abstains], ids[abstains], c, calibrate)
    return Fitted(Scorer(sentence, answerable, unanswerable, threshold, "3"), ratio)


def refit_abstention(
    samples: list[Sample],
    scorer: Scorer,
    ratio: float,
    c: float = 0.5,
    calibrate: frozenset[str] | None = None,
) -> Scorer:
    """Return `scorer` with its abstention model fitted anew on `samples`, its other models
    kept (a refit of them all moves every answer)."""
    features = scorer.sentence.features
    ax, _, aa, ids = oof_rows(out_of_fold(view(samples, features), features, c), ratio)
    abstains = scorer.answerable.probability(ax) < scorer.threshold
    model = abstention(ax[abstains], aa[abstains], ids[abstains], c, calibrate)
    return replace(scorer, unanswerable=model)


def out_of_fold(
    samples: list[Sample], features: tuple[str, ...], c: float
) -> list[tuple[list[Sample], LinearModel]]:
    """Return, for each fold of `samples`, its samples and a sentence model fitted without
    them: they choose the extra-quote ratio and make the answerability rows, so that no
    question's own label scores it."""
    folds = _folds(samples)
    parts = []
    for fold in sorted(set(folds.values())):
        train = [s for s in samples if folds[s.qid] != fold and s.answerable]
        held = [s for s in samples if folds[s.qid] == fold]
        parts.append((held, fit_linear(*_stack(train), features, c)))
    return parts


def oof_rows(parts: list[tuple[list[Sample], LinearModel]], ratio: float):
    """Return the out-of-fold answerability rows of `parts`, whether the answer shown is right,
    whether the question is answerable, and the question ids."""
    ax, ay, aa, ids = [], [], [], []
    for held, m in parts:
        x, y = answer_rows(held, m, ratio)
        ax.append(x)
        ay.append(y)
        aa += [s.answerable for s in held]
        ids += [s.qid for s in held]
    return np.concatenate(ax), np.concatenate(ay), np.asarray(aa, dtype=bool), np.asarray(ids)


def abstention(
    ax: np.ndarray, aa: np.ndarray, ids: np.ndarray, c: float, calibrate: frozenset[str] | None
) -> LinearModel:
    """Return the abstention model: P(the question is not answerable | its answerability row),
    unweighted (a calibrated probability), fitted on the rows of the questions `calibrate`
    names (default: all). The caller passes the rows where the bot abstains, and the question
    set's own dev questions: their mix of answerable questions and near misses is a user's,
    where the near-miss set (`evals/negatives.jsonl`) would teach that most go unanswered.
    Over the 28 abstentions of the test documents that the models decide (`quotebot eval`),
    54% right, the answerability model's complement said 0.93 on average; this model says
    0.54."""
    mine = np.ones(len(ids), dtype=bool) if calibrate is None else np.isin(ids, list(calibrate))
    y = (~aa[mine]).astype(int)
    if 0 < y.sum() < len(y):
        return fit_linear(ax[mine], y, ANSWER_FEATURES, c, balanced=False)
    # all of one kind (or none): the share, Laplace-smoothed, whatever the features
    share = (y.sum() + 1) / (len(y) + 2)
    n = len(ANSWER_FEATURES)
    bias = float(np.log(share / (1 - share)))
    return LinearModel(ANSWER_FEATURES, np.zeros(n), np.ones(n), np.zeros(n), bias)


def view(samples: list[Sample], features: tuple[str, ...]) -> list[Sample]:
    """Return `samples` with the columns of `features` only: all of them for the one-embedder
    features; for both embedders' features, only the samples that have them."""
    if features != SENTENCE_FEATURES:
        samples = [s for s in samples if s.both]
    return [replace(s, matrix=s.matrix[:, : len(features)]) for s in samples]


RATIOS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
MAX_QUOTES = Settings.load(environ={}).max_quotes  # as answered: up to --quotes (default 4) quotes
# A lower ratio is taken while each further sentence quoted adds at least this much coverage.
MIN_GAIN_PER_QUOTE = 0.1


def shown(samples: list[Sample], model: LinearModel, ratio: float, max_quotes: int = MAX_QUOTES):
    """Return, over the answerable `samples`, what the selector would quote when it also quotes
    sentences with at least `ratio` of the best probability (up to `max_quotes`): per question,
    whether a quoted sentence overlaps a gold quote (coverage), the share of quoted sentences
    that do (precision), and how many sentences are quoted."""
    covered, precision, quoted = [], [], []
    for s in samples:
        if not s.answerable:
            continue
        logits = _logits(model, s)
        if not np.isfinite(logits).any():
            covered.append(False)
            continue
        with np.errstate(over="ignore"):
            probs = 1.0 / (1.0 + np.exp(-logits))
        order = np.argsort(-probs, kind="stable")
        kept = [i for i in order if probs[i] >= ratio * probs[order[0]]][:max_quotes]
        right = int(s.labels[kept].sum())
        covered.append(right > 0)
        precision.append(right / len(kept))
        quoted.append(len(kept))
    return np.asarray(covered), np.asarray(precision), np.asarray(quoted)


def choose_ratio(parts: list[tuple[list[Sample], LinearModel]]) -> float:
    """Return the extra-quote ratio: starting from one quote (1.0), the next lower ratio of
    RATIOS is taken while the dev coverage it adds per further sentence quoted is at least
    MIN_GAIN_PER_QUOTE (a right quote among those shown is what a reader needs; each further
    quote costs reading). `parts` pairs held-out samples with the sentence model fitted
    without them: an in-sample model finds further quotes worth more than they are."""

    def measure(ratio: float) -> tuple[np.ndarray, np.ndarray]:
        runs = [shown(held, model, ratio) for held, model in parts]
        return np.concatenate([r[0] for r in runs]), np.concatenate([r[2] for r in runs])

    chosen = RATIOS[0]
    covered, quoted = measure(chosen)
    for ratio in RATIOS[1:]:
        c, q = measure(ratio)
        added = q.mean() - quoted.mean()
        if added <= 0 or (c.mean() - covered.mean()) / added < MIN_GAIN_PER_QUOTE:
            break
        chosen, covered, quoted = ratio, c, q
    return chosen


def _folds(samples: list[Sample], k: int = 5) -> dict[str, int]:
    """Return question id -> fold: its document, given three documents or more; otherwise one
    of `k` folds by position (questions on one document)."""
    docs = sorted({s.doc for s in samples})
    if len(docs) >= 3:
        return {s.qid: docs.index(s.doc) for s in samples}
    return {s.qid: i % k for i, s in enumerate(samples)}


def _stack(samples: list[Sample]) -> tuple[np.ndarray, np.ndarray]:
    x = np.concatenate([s.matrix for s in samples if len(s.matrix)])
    y = np.concatenate([s.labels for s in samples if len(s.matrix)])
    return x, y


def best_threshold(p: np.ndarray, right: np.ndarray, answerable: np.ndarray) -> float:
    """Return the answer threshold that maximises the mean of the two rates the product is
    judged by: right quotes among answerable questions, and the F1 of abstaining on the
    unanswerable ones (answering when P(right) >= 0.5 instead abstains on about half of the
    answerable questions, since the best sentence is right about half of the time)."""
    candidates = np.unique(np.concatenate([[0.5], p]))
    return float(max(candidates, key=lambda t: _balanced(p >= t, right, answerable)))


def _balanced(answered: np.ndarray, right: np.ndarray, answerable: np.ndarray) -> float:
    right_quotes = (answered & (right == 1)).sum() / max(1, answerable.sum())
    abstained = ~answered
    hits = (abstained & ~answerable).sum()
    precision = hits / max(1, abstained.sum())
    recall = hits / max(1, (~answerable).sum())
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return (right_quotes + f1) / 2


def report(samples: list[Sample], fitted: Fitted, name: str, both: Fitted | None = None) -> dict:
    """Return and print the figures of `fitted` on `samples` (with `both`: as shipped, the
    samples that have both embedders' features answered by `both`): the answer shown is right
    when one of its quotes overlaps a gold quote."""
    from sklearn.metrics import roc_auc_score

    groups = (
        [(samples, fitted)]
        if both is None
        else [
            ([s for s in samples if not s.both], fitted),
            (view(samples, BOTH_FEATURES), both),
        ]
    )
    parts = []
    for part, model in groups:
        if not part:
            continue
        plain = view(part, SENTENCE_FEATURES) if model is fitted else part
        x, right = answer_rows(plain, model.scorer.sentence, model.ratio)
        p = model.scorer.answerable.probability(x)
        covered, precision, quoted = shown(plain, model.scorer.sentence, model.ratio)
        parts.append(
            (
                plain,
                right,
                p,
                p >= model.scorer.threshold,
                shown(plain, model.scorer.sentence, 1.0)[0],
                covered,
                precision,
                quoted,
                model.scorer.unanswerable.probability(x),
            )
        )
    samples = [s for part in parts for s in part[0]]
    right, p, answered, top1, covered, precision, quoted, u = (
        np.concatenate([part[i] for part in parts]) for i in range(1, 9)
    )
    answerable = np.asarray([s.answerable for s in samples])
    # a response (an answer or "does not say") and its confidence, as `quotebot eval` scores them
    response = np.where(answered, right == 1, ~answerable).astype(int)
    confidence = np.where(answered, p, u)
    n_ans = answerable.sum()
    reachable = np.asarray([bool(s.labels.any()) for s in samples])
    figures = {
        "questions": len(samples),
        "answerable": int(n_ans),
        "gold among candidates (answerable)": float(reachable[answerable].mean()),
        "top sentence right (answerable)": float(top1.mean()) if n_ans else None,
        "a shown quote right (answerable)": float(covered.mean()) if n_ans else None,
        "quoted sentences right (precision)": float(precision.mean()) if n_ans else None,
        "sentences quoted per answer": float(quoted.mean()) if n_ans else None,
        "right quote (answered and right / answerable)": float(
            (answered & (right == 1) & answerable).sum() / max(1, n_ans)
        ),
        "abstain_precision": float((~answered & ~answerable).sum() / max(1, (~answered).sum())),
        "abstain_recall": float((~answered & ~answerable).sum() / max(1, (~answerable).sum())),
        "auroc_confidence": float(roc_auc_score(right, p))
        if 0 < right.sum() < len(right)
        else None,
        "ece": ece(p, right),
        "responses right": float(response.mean()),
        "auroc_response_confidence": float(roc_auc_score(response, confidence))
        if 0 < response.sum() < len(response)
        else None,
        "ece_response": ece(confidence, response),
    }
    print(f"\n{name}")
    for k, v in figures.items():
        print(f"  {k:48s} {v if not isinstance(v, float) else round(v, 3)}")
    return figures


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Return the expected calibration error of probabilities `p` for outcomes `y`."""
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (p >= lo) & ((p < hi) | (hi == 1.0))
        if inside.any():
            total += inside.mean() * abs(p[inside].mean() - y[inside].mean())
    return float(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="+", type=Path)
    parser.add_argument(
        "--cache", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "quotebot-train"
    )
    parser.add_argument("--embedders", help="embedders to index with, the first searched first")
    parser.add_argument("--samples", type=Path, help="cache of the collected features (JSON)")
    parser.add_argument("--write", action="store_true", help=f"write the shipped bot/{SHIPPED}")
    parser.add_argument("--out", type=Path, help="write the configuration to this file")
    parser.add_argument("--c", type=float, default=0.5, help="inverse regularisation strength")
    parser.add_argument(
        "--ratio",
        type=float,
        help="quote further sentences from this share of the best's probability (default: chosen)",
    )
    parser.add_argument(
        "--only-abstention",
        action="store_true",
        help="fit the abstention model only; keep the shipped models, threshold and ratio",
    )
    args = parser.parse_args()
    if args.samples and args.samples.exists():
        samples = load_samples(args.samples)
    else:
        embedders = tuple(args.embedders.split(",")) if args.embedders else None
        samples = [s for path in args.questions for s in collect(path, args.cache, embedders)]
        if args.samples:
            save_samples(samples, args.samples)
    dev = [s for s in samples if s.split == "dev"]
    test = [s for s in samples if s.split != "dev"]
    # the first file is the question set; the others (synthetic, near-miss questions) are
    # fitted on, not reported, and do not calibrate the abstention model
    first = frozenset(
        json.loads(line)["id"] for line in args.questions[0].open(encoding="utf-8") if line
    )
    if args.only_abstention:
        shipped = load_scoring()
        ratio = shipped.extra_quote_ratio
        both = Fitted(refit_abstention(dev, shipped.model_both, ratio, args.c, first), ratio)
        fitted = Fitted(refit_abstention(dev, shipped.model, ratio, args.c, first), ratio)
    else:
        both = fit(dev, args.c, BOTH_FEATURES, ratio=args.ratio, calibrate=first)
        fitted = fit(dev, args.c, ratio=both.ratio, calibrate=first)
    written = [s for s in dev if s.qid in first]
    report(written, fitted, "dev documents, as shipped (fitted here; the set's questions)", both)
    if test:
        report(test, fitted, "test documents, as shipped (held out)", both)
        report(test, fitted, "test documents, one embedder only (before the e5 vectors)")
    for label, model in (("one embedder", fitted.scorer), ("both embedders", both.scorer)):
        features = model.sentence.features
        coefs = sorted(zip(features, model.sentence.coef, strict=True), key=lambda t: -abs(t[1]))
        print(f"\n{label}: sentence model weights:", ", ".join(f"{n} {w:+.2f}" for n, w in coefs))
        print(f"{label}: answer threshold {model.threshold:.3f}")
    print(f"extra quotes from {both.ratio:.0%} of the best sentence's probability")
    config = replace(base_config(fitted.scorer, both.scorer), extra_quote_ratio=both.ratio)
    for path in ([ROOT / "bot" / SHIPPED] if args.write else []) + ([args.out] if args.out else []):
        print(f"wrote {save_scoring(config, path)}")


if __name__ == "__main__":
    main()
