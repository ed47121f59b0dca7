"""Generate synthetic training questions with the local LLM: one per answering sentence.

    python -m bench.synth_questions DOC [DOC...] --out evals/synthetic.jsonl [--per-doc N]

For each document (ids as in `bench.tune.doc_path`), sentences of the answer and
statement turns with at least 8 words are sampled (seeded), and the local model writes a
question each sentence answers (`prompts/synth_question.v1.txt`). Each line of the output is a
question-set row whose gold quote is that sentence, split "dev" (training only). Rows are
appended as they are made, so a killed run keeps what it had and a re-run skips done ids.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from quotebot.bot.llm import local_chat
from quotebot.index.text import normalise

from quotebot import prompts
from quotebot.settings import Settings

from .tune import doc_path

MIN_WORDS = 8


def doc_index(doc: str, cache: Path):
    """Return the index of document `doc` alone (built in `cache` when it is not there)."""
    from quotebot.index.store import ensure_index

    return ensure_index(Settings.load(environ={}, corpus=(doc_path(doc),), cache_dir=cache))


def sentences_of(index, min_words: int = MIN_WORDS) -> list[tuple[str, str, int, int]]:
    """Return (context, sentence, start, end) of each sentence of at least `min_words` words of
    the answering turns of `index`: the passage with its speaker, the normalised sentence and
    its offsets in the source."""
    found = []
    for p in index.passages:
        if p.role not in ("answer", "statement"):
            continue
        source = index.source(p.doc)
        for s, e in p.sentences:
            sentence = normalise(source[s:e])
            if len(sentence.split()) >= min_words:
                found.append((f"{p.speaker or 'Speaker'}: {p.text}", sentence, s, e))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs", nargs="+")
    parser.add_argument("--out", type=Path, default=Path("evals/synthetic.jsonl"))
    parser.add_argument("--per-doc", type=int, default=40)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/quotebot-train"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    done = set()
    if args.out.exists():
        done = {json.loads(line)["id"] for line in args.out.read_text().splitlines() if line}
    prompt = prompts.load("synth_question")
    # a generous limit: this runs offline, often beside other work on the same cores
    settings = Settings.load(environ={}, threads=args.threads, llm_timeout_s=900.0)
    chat = local_chat(settings, max_tokens=48)
    with args.out.open("a", encoding="utf-8") as out:
        for doc in args.docs:
            pairs = sentences_of(doc_index(doc, args.cache))
            random.Random(doc).shuffle(pairs)
            for n, (context, sentence, _, _) in enumerate(pairs[: args.per_doc]):
                qid = f"synth-{doc[:12]}-{n:03d}"
                if qid in done:
                    continue
                reply = chat.invoke(prompt.render(context=context[:1500], sentence=sentence))
                question = normalise(str(reply.content)).split("?")[0].strip()
                if len(question.split()) < 3:
                    continue
                row = {
                    "id": qid,
                    "doc": doc,
                    "question": question + "?",
                    "answerable": True,
                    "answers": [],
                    "quotes": [sentence],
                    "category": "synthetic",
                    "split": "dev",
                }
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
                print(qid, row["question"], flush=True)


if __name__ == "__main__":
    main()
