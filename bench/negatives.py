"""Make unanswerable training questions for the answerability model (dev documents only).

    python -m bench.negatives evals/transcripts.jsonl --out evals/negatives.jsonl

Two kinds, both written as question-set rows with `answerable: false` and split "dev":
- near misses: an answerable dev question with its rarest content word (by the document's own
  counts) swapped for a word of `SWAPS` that the document never uses ("Did they agree on a
  prisoner exchange?" kind: on topic, not answered);
- off-topic: each question of `OFF_TOPIC` asked of each dev document.
The choices are seeded, so the file is reproducible.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from quotebot.index.text import STOPWORDS, tokens

SWAPS = (
    "pension reform",
    "vaccine",
    "prisoner exchange",
    "oil price cap",
    "nuclear submarine",
    "election fraud",
    "grain corridor",
    "cyberattack",
    "refugee quota",
    "space station",
    "minimum wage",
    "olympic games",
    "climate summit",
    "central bank",
    "border wall",
    "chemical weapons",
    "trade union",
    "data privacy",
    "fishing rights",
    "art museum",
)
OFF_TOPIC = (
    "What is the boiling point of mercury?",
    "Who won the 2018 World Cup?",
    "What is the capital of Australia?",
    "How do I bake sourdough bread?",
    "What time is sunset in Madrid today?",
    "Which planet has the most moons?",
    "How many bones are in the human body?",
    "Who wrote Pride and Prejudice?",
    "What is the exchange rate of the yen?",
    "Can you recommend a good hiking trail?",
    "What is the population of Brazil?",
    "How does photosynthesis work?",
)


def near_miss(question: str, text: str, rng: random.Random) -> str | None:
    """Return `question` with its rarest noun (a word after an article or preposition, rarest
    in `text`) swapped for a phrase the text never uses, or None when it has none."""
    counts: dict[str, int] = {}
    for t in tokens(text):
        counts[t] = counts.get(t, 0) + 1
    # a noun, roughly: a word after an article or a preposition
    after = r"\b(?:the|a|an|about|of|on|in|for|with|to|his|her|their|its)\s+([A-Za-z][A-Za-z'-]+)"
    words = [w for w in re.findall(after, question, re.IGNORECASE) if w.lower() not in STOPWORDS]
    words = [w for w in words if counts.get(w.lower(), 0) > 0 and len(w) > 3]
    if not words:
        return None
    rare = min(words, key=lambda w: counts[w.lower()])
    unused = [s for s in SWAPS if not any(t in counts for t in tokens(s))]
    if not unused:
        return None
    return re.sub(rf"\b{re.escape(rare)}\b", rng.choice(unused), question, count=1)


def main() -> None:
    from .tune import doc_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--out", type=Path, default=Path("evals/negatives.jsonl"))
    args = parser.parse_args()
    rng = random.Random(13)
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line]
    dev = [r for r in rows if r.get("split") == "dev" and r.get("doc")]
    texts = {}
    out = []
    for r in dev:
        doc = r["doc"]
        if doc not in texts:
            from quotebot.index.corpus import read_document

            texts[doc] = read_document(doc_path(doc), doc).text
        if r["answerable"] and not r.get("history") and r.get("category") != "multilingual":
            q = near_miss(r["question"], texts[doc], rng)
            if q:
                out.append({"id": f"neg-{r['id']}", "doc": doc, "question": q})
    for doc in texts:
        for n, q in enumerate(OFF_TOPIC):
            out.append({"id": f"off-{doc[:12]}-{n:02d}", "doc": doc, "question": q})
    with args.out.open("w", encoding="utf-8") as f:
        for row in out:
            full = {**row, "answerable": False, "answers": [], "quotes": [], "split": "dev"}
            full["category"] = "near_miss" if row["id"].startswith("neg-") else "offtopic"
            f.write(json.dumps(full, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} questions to {args.out}")


if __name__ == "__main__":
    main()
