"""Embedding throughput (texts/s) of each embedder runtime, as an index build embeds: the
distinct passage and sentence texts of synthetic statements, sorted by length, in batches of
the store's size.

    python -m bench.throughput                       # minilm onnx/torch and e5, 1 and 2 threads
    python -m bench.throughput --runtime onnx --threads 2 --statements 20

Each runtime runs in its own process (torch and onnxruntime each bring a thread pool).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNTIMES = ("onnx", "torch", "e5")


def texts_of(statements: int) -> list[str]:
    """Return the distinct passage and sentence texts of `statements` synthetic statements."""
    from quotebot.index.corpus import load_corpus
    from quotebot.index.segment import segment

    from bench.synthetic import write_corpus

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_corpus(Path(tmp), statements)
        documents = load_corpus(paths)
    texts = []
    for d in documents:
        for p in segment(d, 4, 700):
            texts.append(p.text)
            texts += [d.text[s:e] for s, e in p.sentences]
    return sorted(set(texts), key=len)


def measure(runtime: str, threads: int, statements: int) -> dict:
    """Return texts/s of `runtime` on `threads` threads (after a warm-up batch)."""
    from quotebot.index import embedder
    from quotebot.index.store import _BATCH

    from quotebot.settings import Settings, apply_runtime

    settings = Settings.load(threads=threads)
    apply_runtime(settings)
    make = {
        "onnx": embedder.MiniLMEmbeddings,
        "torch": embedder.MiniLMTorchEmbeddings,
        "e5": embedder.E5Embeddings,
    }[runtime]
    emb = make(threads=threads, query_threads=1, cache_dir=settings.cache_dir)
    texts = texts_of(statements)
    emb.embed_passages(texts[-_BATCH:])  # load, and the longest batch once
    started, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), _BATCH):
        emb.embed_passages(texts[i : i + _BATCH])
    seconds = time.perf_counter() - started
    return {
        "runtime": runtime,
        "threads": threads,
        "texts": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts),
        "seconds": seconds,
        "texts_per_s": len(texts) / seconds,
        "cpu_s": time.process_time() - cpu,
        "load_average": os.getloadavg()[0],
    }


def run(runtime: str, threads: int, statements: int) -> dict:
    """Run `measure` in a fresh process and return its figures."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.throughput", "--runtime", runtime, "--threads",
         str(threads), "--statements", str(statements), "--json"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--runtime", choices=RUNTIMES, action="append")
    parser.add_argument("--threads", type=int, action="append")
    parser.add_argument("--statements", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="measure here, print one JSON line")
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(measure(args.runtime[0], args.threads[0], args.statements)))
        return 0
    for runtime in args.runtime or RUNTIMES:
        for threads in args.threads or (1, 2):
            r = run(runtime, threads, args.statements)
            print(
                f"{runtime:6} {threads} thread(s): {r['texts_per_s']:6.1f} texts/s "
                f"({r['texts']} texts of {r['mean_chars']:.0f} chars in {r['seconds']:.1f} s, "
                f"cpu {r['cpu_s']:.1f} s, load average {r['load_average']:.1f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
