"""Fit the LLM reader's numbers (bot/reader.py) on the dev documents, and report the test ones.

    python -m bench.reader collect evals/transcripts.jsonl --out readings.jsonl [--every 2]
    python -m bench.reader fit readings.jsonl [--write]

`collect` answers each question against its own document, as `bench.tune` does, with the local
LLM reading (slow: about 4 s a question on 2 cores): for every question that reaches the
reader, it records the answerability model's confidence, the log-odds and labels of the
quotable candidates (1 where a sentence overlaps a gold quote), the sentences shown and the
reader's probabilities. `fit` chooses, on the dev rows only: the reader's weight in the ranking
(the most right best sentences), the calibrator of the confidence (a logistic regression over
the confidence's and the reader's log-odds, whose output is the probability that the answer
shown is right) and the answer threshold (`tune.best_threshold`); then prints dev and test.
`--write` stores them in the shipped scoring configuration.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from quotebot.bot.reader import READER_FEATURES, ReaderModel, read_logit, reread
from quotebot.bot.scoring import SHIPPED, load_scoring, save_scoring

from bench import tune

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


def collect(path: Path, corpora: Path, out: Path, every: int, cache: Path) -> None:
    """Write one JSON line per question of `path` that reaches the reader."""
    from quotebot.bot.bot import Bot
    from quotebot.bot.conversation import as_turns
    from quotebot.bot.question import prepare
    from quotebot.bot.reader import make_reader
    from quotebot.bot.selector import select
    from quotebot.evaluation.metrics.spans import Span, locate
    from quotebot.index.store import ensure_index

    from quotebot.settings import Settings

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    rows = rows[::every]
    reader = make_reader(Settings.load(environ={}, reader="local"))
    by_doc: dict[str, list[dict]] = {}
    for q in rows:
        by_doc.setdefault(q.get("doc", "statement"), []).append(q)
    with out.open("w", encoding="utf-8") as f:
        for doc, questions in by_doc.items():
            file = tune.DEFAULT_CORPUS if doc == "statement" else _file(corpora, doc)
            settings = Settings.load(environ={}, corpus=(file,), cache_dir=cache)
            bot = Bot(settings, index=ensure_index(settings, complete=True)).warm_up()
            index = bot.index
            sources = {d.doc: d.text for d in index.documents.values()}
            for q in questions:
                query = prepare(q["question"], as_turns(q.get("history", [])), 2000, index.lexicon)
                seen = {}

                def read(question, sentences, seen=seen):
                    seen["reading"] = reader(question, sentences)
                    seen["sentences"] = [text for _, text in sentences]
                    return seen["reading"]

                evidence = bot.ranker.evidence(query)
                confidence = _confidence(query, evidence, bot)
                select(query, evidence, index, bot.scoring, settings.max_quotes, read)
                if seen.get("reading") is None:
                    continue
                cands, logits = _logits(query, evidence, bot)
                gold = [s for quote in q.get("quotes", []) for s in locate(quote, sources)]
                labels = []
                for row, j in cands.refs:
                    s, e = index.passages[row].sentences[j]
                    labels.append(int(tune.answers(Span(index.passages[row].doc, s, e), gold)))
                record = {
                    "qid": q["id"],
                    "split": q.get("split", "test"),
                    "answerable": bool(q["answerable"]) and not query.is_request,
                    "confidence": confidence,
                    "logits": [x if math.isfinite(x) else None for x in logits.tolist()],
                    "labels": labels,
                    "sentences": seen["sentences"],
                    "reading": list(seen["reading"]),
                }
                f.write(json.dumps(record) + "\n")
                f.flush()
            print(f"{doc}: {len(questions)} questions", flush=True)


def _file(corpora: Path, doc: str) -> Path:
    matches = sorted(p for p in corpora.glob(f"{doc}.*") if p.suffix != ".json")
    if not matches:
        raise SystemExit(f"no file for document {doc!r} in {corpora}")
    return matches[0]


def _logits(query, evidence, bot):
    from quotebot.bot.selector import scored_candidates, sentence_probabilities

    cands, model = scored_candidates(query, evidence, bot.index, bot.scoring)
    return cands, sentence_probabilities(cands, model)[1]


def _confidence(query, evidence, bot) -> float:
    """Return the answerability model's confidence, as `selector.select` computes it."""
    from quotebot.bot.scorer import answer_features
    from quotebot.bot.selector import scored_candidates, sentence_probabilities

    cands, model = scored_candidates(query, evidence, bot.index, bot.scoring)
    probs, logits = sentence_probabilities(cands, model)
    allowed = np.isfinite(logits)
    if not allowed.any():
        return 0.0
    row = answer_features(
        cands.matrix[allowed],
        probs[allowed],
        logits[allowed],
        bot.scoring.extra_quote_ratio,
        bot.settings.max_quotes,
    )
    return float(model.answerable.probability(row[None, :])[0])


def load(path: Path) -> list[dict]:
    """Return the records `collect` wrote."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        r["logits"] = np.asarray([-np.inf if x is None else x for x in r["logits"]])
        r["labels"] = np.asarray(r["labels"])
        out.append(r)
    return out


def best_right(r: dict, weight: float, candidates: int) -> bool:
    """Return whether the best sentence after the reader's re-ranking at `weight` is right."""
    logits = r["logits"]
    allowed = np.flatnonzero(np.isfinite(logits))
    order = allowed[np.argsort(-logits[allowed], kind="stable")][:candidates]
    moved = reread(logits, order, tuple(r["reading"]), weight)
    return bool(r["answerable"] and r["labels"][int(np.argmax(moved))])


def rows(records: list[dict]) -> np.ndarray:
    """Return the calibrator's rows (READER_FEATURES) of `records`."""
    out = []
    for r in records:
        c = min(max(r["confidence"], 1e-6), 1 - 1e-6)
        out.append([math.log(c / (1 - c)), read_logit(tuple(r["reading"]))])
    return np.asarray(out)


def fit(records: list[dict], candidates: int) -> ReaderModel:
    """Return the reader's numbers fitted on `records` (the dev split)."""
    answerable = [r for r in records if r["answerable"] and r["labels"].any()]
    weight = max(WEIGHTS, key=lambda w: sum(best_right(r, w, candidates) for r in answerable))
    right = np.asarray([best_right(r, weight, candidates) for r in records], dtype=int)
    calibrator = tune.fit_linear(rows(records), right, READER_FEATURES, 1.0, balanced=False)
    p = calibrator.probability(rows(records))
    is_answerable = np.asarray([r["answerable"] for r in records])
    threshold = tune.best_threshold(p, right, is_answerable)
    return ReaderModel(candidates, weight, calibrator, threshold)


def report(records: list[dict], model: ReaderModel, name: str) -> None:
    """Print the best sentence's rate of right, with and without the reader, the AUROC of the
    confidences, and the answer-or-abstain figures at the threshold."""
    from sklearn.metrics import roc_auc_score

    if not records:
        return
    answerable = [r for r in records if r["answerable"]]
    before = np.mean([best_right(r, 0.0, model.candidates) for r in answerable])
    after = np.mean([best_right(r, model.weight, model.candidates) for r in answerable])
    right = np.asarray([best_right(r, model.weight, model.candidates) for r in records])
    p = model.calibrator.probability(rows(records))
    shipped = np.asarray([r["confidence"] for r in records])
    base = np.asarray([best_right(r, 0.0, model.candidates) for r in records])
    auroc = roc_auc_score(right, p) if 0 < right.sum() < len(right) else float("nan")
    auroc0 = roc_auc_score(base, shipped) if 0 < base.sum() < len(base) else float("nan")
    answered = p >= model.threshold
    unanswerable = ~np.asarray([r["answerable"] for r in records])
    hits = (~answered & unanswerable).sum()
    print(
        f"{name}: {len(records)} questions ({len(answerable)} answerable); best sentence right "
        f"{before:.3f} -> {after:.3f}; AUROC {auroc0:.3f} -> {auroc:.3f}; "
        f"right quotes {(answered & right).sum() / max(1, len(answerable)):.3f}; abstention "
        f"P {hits / max(1, (~answered).sum()):.3f} R {hits / max(1, unanswerable.sum()):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect")
    c.add_argument("questions", type=Path)
    c.add_argument("--corpora", type=Path, default=tune.CORPORA)
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--every", type=int, default=1, help="every Nth question only")
    c.add_argument("--cache", type=Path, default=ROOT / "artifacts" / "tune-cache")
    f = sub.add_parser("fit")
    f.add_argument("readings", type=Path, nargs="+")
    f.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.command == "collect":
        collect(args.questions, args.corpora, args.out, args.every, args.cache)
        return
    records = [r for path in args.readings for r in load(path)]
    shipped = load_scoring()
    dev = [r for r in records if r["split"] == "dev"]
    model = fit(dev, shipped.reader.candidates)
    print(json.dumps(model.to_json()))
    report(dev, model, "dev")
    report([r for r in records if r["split"] != "dev"], model, "test")
    if args.write:
        save_scoring(replace(shipped, reader=model), ROOT / "bot" / SHIPPED)


if __name__ == "__main__":
    main()
