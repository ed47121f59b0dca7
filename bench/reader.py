"""Fit the LLM reader's numbers (bot/reader.py) on the dev documents, and report the test ones.

    python -m bench.reader collect evals/transcripts.jsonl --out readings.jsonl [--every 2]
    python -m bench.reader fit readings.jsonl [--write]

`collect` answers each question against its own document, as `bench.tune` does, with the local
LLM reading (slow: 5-10 s a question on 2 cores): for every question that reaches the reader,
it records the log-odds and labels of the quotable candidates (1 where a sentence overlaps a
gold quote), the sentences shown and the reader's probabilities. `fit` chooses, on the dev
rows only, the reader's weight in the ranking: the one whose answers quote a right sentence
for the most answerable questions; then prints dev and test. `--write` stores it in the
shipped scoring configuration.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from quotebot.bot.reader import ReaderModel, first_choice, shown
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
            file = tune.doc_path(doc, corpora)
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
                    "logits": [x if math.isfinite(x) else None for x in logits.tolist()],
                    "labels": labels,
                    "sentences": seen["sentences"],
                    "reading": list(seen["reading"]),
                }
                f.write(json.dumps(record) + "\n")
                f.flush()
            print(f"{doc}: {len(questions)} questions", flush=True)


def _logits(query, evidence, bot):
    from quotebot.bot.selector import scored_candidates, sentence_probabilities

    cands, model = scored_candidates(query, evidence, bot.index, bot.scoring)
    return cands, sentence_probabilities(cands, model)[1]


def load(path: Path) -> list[dict]:
    """Return the records `collect` wrote."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        r["logits"] = np.asarray([-np.inf if x is None else x for x in r["logits"]])
        r["labels"] = np.asarray(r["labels"])
        out.append(r)
    return out


def shown_right(r: dict, weight: float, candidates: int, ratio: float, most: int) -> bool:
    """Return whether the answer to record `r` quotes a right sentence when the reader's
    reading at `weight` chooses the first quote, as `selector.select` does: its choice, then
    the sentences at least `ratio` of its probability, `most` in all."""
    logits = r["logits"]
    order = shown(logits, len(logits))  # every quotable candidate, best first
    first = first_choice(logits, order[:candidates], tuple(r["reading"]), weight)
    probs = 1.0 / (1.0 + np.exp(-logits[order]))
    best = 1.0 / (1.0 + math.exp(-logits[first]))
    kept = [first] + [
        i for i, p in zip(order, probs, strict=True) if i != first and p >= ratio * best
    ]
    return bool(r["answerable"] and r["labels"][kept[:most]].any())


def fit(records: list[dict], candidates: int, ratio: float, most: int) -> ReaderModel:
    """Return the reader's weight that quotes the most right answers in `records` (dev)."""
    answerable = [r for r in records if r["answerable"]]
    weight = max(
        WEIGHTS,
        key=lambda w: sum(shown_right(r, w, candidates, ratio, most) for r in answerable),
    )
    return ReaderModel(candidates, weight)


def report(records: list[dict], model: ReaderModel, ratio: float, most: int, name: str) -> None:
    """Print how many answerable questions are answered with a right quote, with and
    without the reader."""
    answerable = [r for r in records if r["answerable"]]
    if not answerable:
        return
    before, after = (
        sum(shown_right(r, w, model.candidates, ratio, most) for r in answerable)
        for w in (0.0, model.weight)
    )
    print(
        f"{name}: {len(answerable)} answerable questions read; a right quote in "
        f"{before} -> {after} ({before / len(answerable):.3f} -> {after / len(answerable):.3f})"
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
    ratio, most = shipped.extra_quote_ratio, tune.MAX_QUOTES
    dev = [r for r in records if r["split"] == "dev"]
    model = fit(dev, shipped.reader.candidates, ratio, most)
    print(json.dumps(model.to_json()))
    report(dev, model, ratio, most, "dev")
    report([r for r in records if r["split"] != "dev"], model, ratio, most, "test")
    if args.write:
        save_scoring(replace(shipped, reader=model), ROOT / "bot" / SHIPPED)


if __name__ == "__main__":
    main()
