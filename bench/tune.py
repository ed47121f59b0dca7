"""Tune the selection weights and the abstention threshold on the dev split only.

    python -m bench.tune [evals/statement.jsonl]

Retrieval runs once per question; every weight combination then re-scores the same evidence.
The objective per question: citation F1 by character overlap with the gold spans when the
question is answerable (0 if the bot abstained), and 1 for abstaining when it is not.
Prints the best combinations on dev, and the same combination's score on test (held out,
reported, never used to choose).
"""

from __future__ import annotations

import itertools
import sys

from quotebot.bot import selector
from quotebot.bot.bot import Bot
from quotebot.bot.conversation import as_turns
from quotebot.bot.question import prepare
from quotebot.evaluation.metrics.spans import Span, covered, locate, union
from quotebot.evaluation.runner import load_questions

from quotebot.settings import Settings

GRID = {
    "W_ROUTE": [0.0, 0.1, 0.2],
    "TYPE_PENALTY": [0.2],
    "weights": [(0.5, 0.25, 0.25), (0.4, 0.3, 0.3), (0.5, 0.15, 0.35), (0.6, 0.2, 0.2)],
    "threshold": [0.35, 0.40, 0.45, 0.50],
    "margin": [0.0, 0.01, 0.02, 0.03, 0.06],
}


def main(path: str = "evals/statement.jsonl") -> None:
    bot = Bot(Settings.load()).warm_up()
    index, retriever = bot.index, bot.retriever
    sources = {d: index.source(d) for d in index.documents}
    questions = load_questions(path, sources)
    prepared = []
    for q in questions:
        query = retriever.correct(
            prepare(q.question, as_turns(q.history), bot.settings.max_question_chars)
        )
        gold = union(s for quote in q.quotes for s in locate(quote, sources))
        prepared.append((q, query, retriever.evidence(query), gold))
    results = []
    for route, type_penalty, weights, threshold, margin in itertools.product(*GRID.values()):
        selector.W_ROUTE = route
        selector.TYPE_PENALTY = type_penalty
        selector.WEIGHTS = {**selector.WEIGHTS, "lexical": weights}
        scores = {"dev": [], "test": []}
        for q, query, evidence, gold in prepared:
            sel = selector.select(
                query,
                evidence,
                index,
                retriever.bm25.idf,
                bot.settings.max_quotes,
                threshold,
                margin,
            )
            cited = [_span(index, quote) for quote in sel.quotes]
            scores[q.split].append(_objective(q.answerable, cited, gold))
        results.append(
            (
                sum(scores["dev"]) / len(scores["dev"]),
                sum(scores["test"]) / len(scores["test"]),
                route,
                type_penalty,
                weights,
                threshold,
                margin,
            )
        )
    results.sort(reverse=True)
    print("dev     test    W_ROUTE TYPE_PENALTY weights            threshold margin")
    for dev, test, route, type_penalty, weights, threshold, margin in results[:15]:
        print(
            f"{dev:.3f}   {test:.3f}   {route:<7} {type_penalty:<12} {weights!s:<18} "
            f"{threshold:<9} {margin}"
        )


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
    main(*sys.argv[1:])
