"""Hypothetical questions as a retrieval signal (issue 13): does the similarity of a user's
question to questions the local LLM wrote for each sentence find the answering sentence?

    python -m bench.hypothetical generate statement --out evals/hypothetical.statement.jsonl
    python -m bench.hypothetical measure statement evals/hypothetical.statement.jsonl

`generate` asks the local model for one question per sentence of the answer and statement
turns (five words or more; `prompts/synth_question.v1.txt`, the synthetic training set's
prompt), appending to the output as it goes (a re-run skips done sentences). `measure` ranks
those sentences for every written, answerable, English, first-turn question on the document
(evals/transcripts.jsonl and, for the seed, evals/statement.jsonl) by the cosine to the
sentence, to its hypothetical question and by both, under each embedder, and prints sentence
recall at 1, 3 and 5 (a sentence is right as `bench.tune.answers` says).
Measured on the seed: docs/embedders.md, "Hypothetical questions".
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from quotebot.evaluation.metrics.spans import Span, locate
from quotebot.index.text import normalise

from quotebot.settings import Settings

from .synth_questions import doc_index, sentences_of
from .tune import ROOT, answers

MIN_WORDS = 5
QUESTION_SETS = ("evals/transcripts.jsonl", "evals/statement.jsonl")
SKIPPED = ("russian", "multilingual")  # the question is not in English


def generate(doc: str, out: Path, cache: Path, threads: int) -> None:
    """Append a hypothetical question for each answering sentence of `doc` to `out`."""
    from quotebot.bot.llm import local_chat

    from quotebot import prompts

    prompt = prompts.load("synth_question")
    chat = local_chat(Settings.load(environ={}, threads=threads, llm_timeout_s=900.0), 48)
    done = set()
    if out.exists():
        done = {(r["start"], r["end"]) for r in map(json.loads, out.read_text().splitlines())}
    with out.open("a", encoding="utf-8") as f:
        for context, sentence, s, e in sentences_of(doc_index(doc, cache), MIN_WORDS):
            if (s, e) in done:
                continue
            started = time.perf_counter()
            reply = chat.invoke(prompt.render(context=context[:1500], sentence=sentence))
            question = normalise(str(reply.content)).split("?")[0].strip() + "?"
            row = {"start": s, "end": e, "sentence": sentence, "question": question}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            print(f"{time.perf_counter() - started:.1f} s  {question}", flush=True)


def measure(doc: str, path: Path, cache: Path) -> None:
    """Print sentence recall@1/3/5 of the three rankings under each embedder."""
    from quotebot.index.embedder import get_embedder

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    index = doc_index(doc, cache)
    name = next(iter(index.documents))
    sources = {d.doc: d.text for d in index.documents.values()}
    spans = [Span(name, r["start"], r["end"]) for r in rows]
    questions, labels = [], []
    for file in QUESTION_SETS:
        for q in map(json.loads, (ROOT / file).read_text(encoding="utf-8").splitlines()):
            if q.get("doc", "statement") != doc or not q.get("answerable"):
                continue
            if q.get("history") or q.get("category") in SKIPPED:
                continue
            gold = [g for quote in q.get("quotes", []) for g in locate(quote, sources)]
            right = [answers(s, gold) for s in spans]
            if any(right):
                questions.append(q["question"])
                labels.append(np.asarray(right))
    print(f"{len(questions)} questions answered by the {len(rows)} sentences")
    for embedder in ("minilm", "e5"):
        emb = get_embedder(embedder, cache_dir=cache)
        asked = emb.embed_queries(questions)
        to_sentence = asked @ emb.embed_passages([r["sentence"] for r in rows]).T
        to_question = asked @ emb.embed_queries([r["question"] for r in rows]).T
        for ranking, scores in (
            ("the sentence", to_sentence),
            ("its hypothetical question", to_question),
            ("both (sum)", to_sentence + to_question),
        ):
            pairs = list(zip(scores, labels, strict=True))
            recall = [
                np.mean([right[np.argsort(-row)[:k]].any() for row, right in pairs])
                for k in (1, 3, 5)
            ]
            figures = " ".join(f"{r:.3f}" for r in recall)
            print(f"{embedder:7s} {ranking:26s} recall@1/3/5 {figures}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("generate", "measure"))
    parser.add_argument("doc", help="a document id, as in bench.tune ('statement': the seed)")
    parser.add_argument("questions", nargs="?", type=Path, help="measure: the generated file")
    parser.add_argument("--out", type=Path, help="generate: the file to append to")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/quotebot-train"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.step == "generate":
        if args.out is None:
            parser.error("generate needs --out")
        generate(args.doc, args.out, args.cache, args.threads)
    else:
        if args.questions is None:
            parser.error("measure needs the generated file")
        measure(args.doc, args.questions, args.cache)


if __name__ == "__main__":
    main()
