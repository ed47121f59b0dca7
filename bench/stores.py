"""The vector stores at corpus scale: FAISS (as index/store.py builds it) and Qdrant local mode
(index/qdrant_store.py), on the vectors of N synthetic statements.

    python -m bench.stores [--sizes 1000 10000] [--queries 60]

The vectors are random unit vectors of MiniLM's dimension (384), as many per statement as
bench/synthetic.py's statements segment into (passages and sentences, counted on a sample):
embedding 100,000 statements takes hours here, and a store's costs depend on the number and
dimension of the vectors, not on what they mean. Each size and store runs in a fresh process
on one thread (OMP/BLAS threads 1, faiss.omp_set_num_threads(1)) and reports: build time
(FAISS: building both indexes; Qdrant: creating and filling both collections), the bytes the
store writes (FAISS files; local-mode Qdrant writes none: it is filled from them at load), the
process's resident memory with the store built (the vectors generated for it freed) and its
peak, and the vector work of one answer, timed per query: the passage search (k = 72), the
sentence search (depth 216) and the selector's 24 `reconstruct_n` reads of candidate
passages' sentence vectors. Times are wall clock and, since other jobs may share the cores,
also the process's CPU time (on one thread, what the wall time would be on idle cores).
Figures go to artifacts/bench/stores-<time>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DIM = 384
PASSAGE_K = 72  # the retriever's k: max(candidates 24 x search_factor 3, search_min 64)
SENTENCE_DEPTH = 216  # k x sentence_search_factor 3
CANDIDATES = 24
CHUNK = 100_000


def per_statement(sample: int = 200) -> tuple[float, float]:
    """Return the mean passages and sentences of a synthetic statement (statements 1..sample)."""
    from quotebot.index.records import Document
    from quotebot.index.segment import segment

    from bench.synthetic import read_seed, statement

    seed = read_seed()
    passages = sentences = 0
    for number in range(1, sample + 1):
        text = statement(seed, number)
        doc = Document(f"s{number}", "", text, hashlib.sha256(text.encode()).hexdigest())
        found = segment(doc)
        passages += len(found)
        sentences += sum(len(p.sentences) for p in found)
    return passages / sample, sentences / sample


def unit_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((n, DIM), np.float32)
    for i in range(0, n, CHUNK):
        block = rng.standard_normal((min(CHUNK, n - i), DIM), dtype=np.float32)
        out[i : i + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def rss_mib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(store: str, passages: int, sentences: int, queries: int) -> dict:
    """Build `store` over random vectors in this process and time the answers' vector work."""
    import gc

    import faiss
    import langchain_qdrant  # noqa: F401  (imported before the baseline RSS)
    import qdrant_client  # noqa: F401
    from quotebot.index import qdrant_store
    from quotebot.index.store import faiss_index

    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(7)
    base = rss_mib()
    pv, sv = unit_vectors(passages, rng), unit_vectors(sentences, rng)
    t0, c0 = time.perf_counter(), time.process_time()
    disk = 0
    if store == "faiss":
        p_index, s_index = faiss_index(pv), faiss_index(sv)
        build_s, build_cpu_s = time.perf_counter() - t0, time.process_time() - c0
        with tempfile.TemporaryDirectory() as tmp:
            for name, index in (("p", p_index), ("s", s_index)):
                faiss.write_index(index, f"{tmp}/{name}.faiss")
                disk += os.path.getsize(f"{tmp}/{name}.faiss")
        kind = f"{type(p_index).__name__}/{type(s_index).__name__}"
    else:
        client = qdrant_store.connect(None)
        qdrant_store.upload(client, "p", pv, server=False)
        qdrant_store.upload(client, "s", sv, server=False)
        build_s, build_cpu_s = time.perf_counter() - t0, time.process_time() - c0
        p_index = qdrant_store.QdrantVectors(client, "p", DIM, passages)
        s_index = qdrant_store.QdrantVectors(client, "s", DIM, sentences)
        kind = "Qdrant local (in memory)"
    del pv, sv
    gc.collect()
    rss = rss_mib() - base
    per_passage = sentences / passages
    timings = {"passages": [], "sentences": [], "reconstruct": [], "total": [], "total_cpu": []}
    qv = unit_vectors(queries + 1, np.random.default_rng(11))
    for i, x in enumerate(qv):
        t0, c0 = time.perf_counter(), time.process_time()
        _, rows = p_index.search(x[None, :], PASSAGE_K)
        t1 = time.perf_counter()
        s_index.search(x[None, :], SENTENCE_DEPTH)
        t2 = time.perf_counter()
        for row in rows[0][:CANDIDATES]:
            first = min(int(row * per_passage), sentences - 3)
            s_index.reconstruct_n(first, 2)
        t3, c3 = time.perf_counter(), time.process_time()
        if i == 0:
            continue  # the first query warms caches
        values = (t1 - t0, t2 - t1, t3 - t2, t3 - t0, c3 - c0)
        for key, value in zip(timings, values, strict=True):
            timings[key].append(value * 1000)
    return {
        "store": store,
        "index": kind,
        "passages": passages,
        "sentences": sentences,
        "build_s": round(build_s, 2),
        "build_cpu_s": round(build_cpu_s, 2),
        "disk_mib": round(disk / 2**20, 1),
        "rss_mib": round(rss, 1),
        "peak_rss_mib": round(rss_mib("VmHWM"), 1),
        "query_ms": {
            key: {
                "p50": round(float(np.percentile(v, 50)), 2),
                "p95": round(float(np.percentile(v, 95, method="inverted_cdf")), 2),
            }
            for key, v in timings.items()
        },
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--stores", nargs="+", default=["faiss", "qdrant"])
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--child", nargs=3, metavar=("STORE", "PASSAGES", "SENTENCES"))
    args = parser.parse_args(argv)
    if args.child:
        store, p, s = args.child
        print(json.dumps(measure(store, int(p), int(s), args.queries)))
        return
    p_per, s_per = per_statement()
    print(f"per statement: {p_per:.2f} passages, {s_per:.2f} sentences", file=sys.stderr)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    env["MKL_NUM_THREADS"] = "1"
    results = []
    for size in args.sizes:
        p, s = round(size * p_per), round(size * s_per)
        for store in args.stores:
            cmd = [sys.executable, "-m", "bench.stores", "--queries", str(args.queries)]
            out = subprocess.run(
                [*cmd, "--child", store, str(p), str(s)], env=env, capture_output=True, text=True
            )
            if out.returncode != 0:
                print(f"{size} statements, {store}: failed\n{out.stderr[-2000:]}", file=sys.stderr)
                continue
            result = {"statements": size, **json.loads(out.stdout)}
            results.append(result)
            q, cpu = result["query_ms"]["total"], result["query_ms"]["total_cpu"]
            print(
                f"{size:>7} statements {store:6} {result['index']:32}"
                f" build {result['build_s']:8.1f} s (CPU {result['build_cpu_s']:8.1f} s)"
                f"  disk {result['disk_mib']:7.1f} MiB"
                f"  RSS {result['rss_mib']:7.1f} MiB"
                f" (peak {result['peak_rss_mib']:7.1f})  answer's vector work p50 {q['p50']:7.2f}"
                f" ms p95 {q['p95']:7.2f} ms (CPU p50 {cpu['p50']:7.2f} ms"
                f" p95 {cpu['p95']:7.2f} ms)",
                flush=True,
            )
    out_dir = Path("artifacts/bench")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"stores-{time.strftime('%Y%m%d-%H%M%S')}.json"
    load = os.getloadavg()
    path.write_text(json.dumps({"load_average": load, "results": results}, indent=1))
    print(f"saved {path}; load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")


if __name__ == "__main__":
    main()
