"""Tune the scoring configuration (bot/scoring.py) on the dev split only.

    python -m bench.tune [evals/statement.jsonl] [--out artifacts/tune/scoring.v1.json]

Retrieval runs once per question; every combination of the grid then re-scores the same
evidence with its own ScoringConfig (a copy of the shipped one, the grid's fields replaced).
The objective per question: citation F1 by character overlap with the gold spans when the
question is answerable (0 if the bot abstained), and 1 for abstaining when it is not.
Prints the best combinations on dev, and the same combination's score on test (held out,
reported, never used to choose), and writes the best on dev as a scoring file: point
QUOTEBOT_SCORING at it, or copy it over bot/scoring.v1.json to ship it.
"""

from __future__ import annotations

import argparse
import itertools
from dataclasses import replace
from pathlib import Path

from quotebot.bot.bot import Bot
from quotebot.bot.conversation import as_turns
from quotebot.bot.question import prepare
from quotebot.bot.scoring import ScoringConfig, Weights, save_scoring
from quotebot.bot.selector import select
from quotebot.evaluation.metrics.spans import Span, covered, locate, union
from quotebot.evaluation.questions import load_questions

from quotebot.settings import Settings

# ScoringConfig field -> the values tried
GRID = {
    "route_weight": [0.0, 0.1, 0.2],
    "type_penalty": [0.2],
    "weights": [
        Weights(0.5, 0.25, 0.25),
        Weights(0.4, 0.3, 0.3),
        Weights(0.5, 0.15, 0.35),
        Weights(0.6, 0.2, 0.2),
    ],
    "abstain_threshold": [0.35, 0.40, 0.45, 0.50],
    "quote_margin": [0.0, 0.01, 0.02, 0.03, 0.06],
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tune")
    parser.add_argument("questions", nargs="?", default="evals/statement.jsonl")
    parser.add_argument("--out", type=Path, default=Path("artifacts/tune/scoring.v1.json"))
    args = parser.parse_args(argv)
    bot = Bot(Settings.load()).warm_up()
    index, ranker, base = bot.index, bot.ranker, bot.scoring
    sources = {d: index.source(d) for d in index.documents}
    prepared = []
    for q in load_questions(args.questions, sources):
        query = prepare(
            q.question, as_turns(q.history), bot.settings.max_question_chars, index.lexicon
        )
        gold = union(s for quote in q.quotes for s in locate(quote, sources))
        prepared.append((q, query, ranker.evidence(query), gold))
    results: list[tuple[float, float, ScoringConfig]] = []
    for values in itertools.product(*GRID.values()):
        scoring = replace(base, **dict(zip(GRID, values, strict=True)))
        scores = {"dev": [], "test": []}
        for q, query, evidence, gold in prepared:
            sel = select(query, evidence, index, scoring, bot.settings.max_quotes)
            cited = [_span(index, quote) for quote in sel.quotes]
            scores.setdefault(q.split, []).append(_objective(q.answerable, cited, gold))
        dev = sum(scores["dev"]) / len(scores["dev"])
        test = sum(scores["test"]) / len(scores["test"])
        results.append((dev, test, scoring))
    results.sort(key=lambda r: (r[0], r[1]), reverse=True)
    print("dev     test    " + "  ".join(GRID))
    for dev, test, scoring in results[:15]:
        print(f"{dev:.3f}   {test:.3f}   " + "  ".join(str(getattr(scoring, f)) for f in GRID))
    print(f"wrote the best on dev to {save_scoring(results[0][2], args.out)}")


def _span(index, quote) -> Span:
    p = index.passages[quote.row]
    return Span(p.doc, p.sentences[quote.first][0], p.sentences[quote.last][1])


def _objective(answerable: bool, cited: list[Span], gold: list[Span]) -> float:
    if not answerable:
        return float(not cited)
    if not cited or not gold:
        return 0.0
    cited = union(cited)
    hit = sum(covered(s, gold) for s in cited)
    precision = hit / sum(len(s) for s in cited)
    recall = sum(covered(g, cited) for g in gold) / sum(len(g) for g in gold)
    return 0.0 if hit == 0 else 2 * precision * recall / (precision + recall)


if __name__ == "__main__":
    main()
