"""The benchmark: every stage against the floor, and against the `langchain-stock` baseline.

    python -m bench.run            # the full run (about half an hour on 2 cores)
    python -m bench.run --quick    # fewer runs, 100 statements, 8 clients x 10 s (a few minutes)

Measured, each a bounded number of times, in fresh processes where it matters, with every index
and vector cache in a new temporary folder (`--work`), so runs are reproducible:
- cold start: a fresh `quotebot ask` process to its first answer (the index already built),
  with where its imports' time goes (`python -X importtime`, by top-level package); the
  baseline: a fresh process that builds its in-memory store and answers;
- index builds: the seed, and the synthetic 1,000-statement corpus (`bench.synthetic`) with its
  progress bar: until it is searchable (the English vectors), and until the multilingual (e5)
  vectors are added; then re-indexing after one file changes (in the building process, and as
  a fresh `quotebot index` process);
- embedding throughput (texts/s) of MiniLM through onnxruntime and through torch, and of e5,
  on 1 and 2 threads (`bench.throughput`);
- warm answers per stage (condense, embed = the question's embedding on the answering thread,
  search = the rest of retrieval with the second view's embedding beside it, select, verify,
  compose) and in total, over `evals/statement.jsonl` (follow-ups with their history), on the
  seed and on the 1,000 statements;
- peak memory (RSS) of each process;
- the chat page under load: concurrent clients through the real server (`bench.load`).

Prints a table of medians, p95 and quotebot/baseline ratios with the issue's targets, and
writes the figures as JSON under `artifacts/bench/` so the next change can be compared.
The machine's load average is printed too: re-run when another job is using the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from quotebot.evaluation.metrics.latency import percentile

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "evals" / "statement.jsonl"
OUT = ROOT / "artifacts" / "bench"
COLD_QUESTION = "How long did the meeting last?"
STAGES = ("condense", "embed", "search", "select", "verify", "compose")


@dataclass(frozen=True)
class Plan:
    """How much to measure."""

    runs: int  # cold starts and seed builds, each
    rounds: int  # passes over the question set for warm latency (after one warm-up pass)
    statements: int  # size of the synthetic corpus
    clients: int
    seconds: float
    throughput_statements: int  # texts embedded per throughput figure: about 90 a statement


FULL = Plan(runs=5, rounds=5, statements=1000, clients=16, seconds=60.0, throughput_statements=20)
QUICK = Plan(runs=3, rounds=2, statements=100, clients=8, seconds=10.0, throughput_statements=5)


# --------------------------------------------------------------------------- workers
# Each runs in its own process (`python -m bench.run --worker NAME ARG...`) and prints one JSON
# line; `peak_mib` is that process's peak RSS.


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _settings(cache: str, corpus: str | None = None):
    from quotebot.settings import Settings, apply_runtime

    settings = Settings.load(
        cache_dir=Path(cache), corpus=(Path(corpus),) if corpus else None, llm="none"
    )
    apply_runtime(settings)
    return settings


def _load_models(settings) -> float:
    from quotebot.index.embedder import get_embedder

    started = time.perf_counter()
    for name in settings.embedders:
        get_embedder(name, settings.threads, settings.query_threads, settings.cache_dir).warm_up()
    return time.perf_counter() - started


def worker_build(cache: str, corpus: str | None = None) -> dict:
    """Build the index of `corpus` (default: the seed) into the empty `cache`, models loaded:
    searchable (the first embedder's vectors), then complete (the others added)."""
    from quotebot.index.store import complete_index, ensure_index

    settings = _settings(cache, corpus)
    models_s = _load_models(settings)
    started = time.perf_counter()
    index = ensure_index(settings, rebuild=True)
    build_s = time.perf_counter() - started
    complete_index(index, settings)
    return {
        "models_s": models_s,
        "build_s": build_s,
        "complete_s": time.perf_counter() - started,
        "passages": len(index.passages),
        "sentences": len(index.sentence_refs),
        "peak_mib": _peak_mib(),
    }


def worker_reindex(cache: str, corpus: str, changed: str) -> dict:
    """Build the index of `corpus` (searchable, then complete), change the file `changed`, and
    index again (timed)."""
    from quotebot.index.store import complete_index, ensure_index

    from bench.synthetic import change_one

    settings = _settings(cache, corpus)
    models_s = _load_models(settings)
    started = time.perf_counter()
    index = ensure_index(settings)
    build_s = time.perf_counter() - started
    complete_index(index, settings)
    complete_s = time.perf_counter() - started
    change_one(Path(changed))
    started = time.perf_counter()
    ensure_index(settings, complete=True)
    reindex_s = time.perf_counter() - started
    return {
        "models_s": models_s,
        "build_s": build_s,
        "complete_s": complete_s,
        "reindex_s": reindex_s,
        "passages": len(index.passages),
        "sentences": len(index.sentence_refs),
        "peak_mib": _peak_mib(),
    }


def worker_warm(cache: str, corpus: str, rounds: str) -> dict:
    """Answer the question set `rounds` times after a warm-up pass; return per-stage times."""
    from quotebot.bot.bot import Bot

    settings = _settings(cache, corpus)
    started = time.perf_counter()
    bot = Bot(settings).warm_up()
    load_s = time.perf_counter() - started
    embed_ms: list[float] = []
    for emb in bot.ranker.embedders.values():
        emb.embed_queries = _timed(emb.embed_queries, embed_ms)
    stages: dict[str, list[float]] = {s: [] for s in (*STAGES, "total")}
    questions = _questions()
    for n in range(int(rounds) + 1):
        for question, history in questions:
            embed_ms.clear()
            started = time.perf_counter()
            answer = bot.answer(question, history)
            total = (time.perf_counter() - started) * 1000
            if n == 0:
                continue  # the warm-up pass
            t = answer.timings_ms
            embed = sum(embed_ms)
            stages["condense"].append(t["condense"])
            stages["embed"].append(embed)
            stages["search"].append(t["retrieve"] - embed)
            for stage in ("select", "verify", "compose"):
                stages[stage].append(t[stage])
            stages["total"].append(total)
    return {"load_s": load_s, "stages_ms": stages, "peak_mib": _peak_mib()}


def worker_baseline(corpus: str, rounds: str) -> dict:
    """Build the langchain-stock baseline over `corpus` and answer the question set."""
    from quotebot.evaluation.baselines import LangChainStock
    from quotebot.index.corpus import load_corpus
    from quotebot.index.embedder import MiniLMTorchEmbeddings

    settings = _settings(tempfile.gettempdir())
    started = time.perf_counter()
    embedder = MiniLMTorchEmbeddings(settings.threads)
    embedder.warm_up()
    models_s = time.perf_counter() - started
    sources = {d.doc: d.text for d in load_corpus([Path(corpus)])}
    started = time.perf_counter()
    baseline = LangChainStock(sources, settings.top_k, settings.threads, embedder).warm_up()
    build_s = time.perf_counter() - started
    totals = []
    for n in range(int(rounds) + 1):
        for question, _ in _questions():
            started = time.perf_counter()
            baseline.answer(question)
            if n:
                totals.append((time.perf_counter() - started) * 1000)
    return {
        "models_s": models_s,
        "build_s": build_s,
        "chunks": len(baseline.chunks),
        "stages_ms": {"total": totals},
        "peak_mib": _peak_mib(),
    }


def worker_baseline_ask() -> dict:
    """The baseline's cold start: build its store over the seed and answer one question."""
    from quotebot.evaluation.baselines import LangChainStock

    from quotebot.settings import DEFAULT_CORPUS

    settings = _settings(tempfile.gettempdir())
    sources = {"statement": DEFAULT_CORPUS.read_text(encoding="utf-8")}
    answer = LangChainStock(sources, settings.top_k, settings.threads).answer(COLD_QUESTION)
    return {"quote": answer.citations[0].quote[:80]}


def _timed(function: Callable, sink: list[float]) -> Callable:
    """Return `function`, its time (ms) added to `sink` when it runs on the calling thread: the
    retriever embeds the second view on a worker thread, beside the search (not on the answer's
    critical path, so not counted as "embed"; waiting for it counts as "search")."""
    caller = threading.get_ident()

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            if threading.get_ident() == caller:
                sink.append((time.perf_counter() - started) * 1000)

    return timed


def _questions() -> list[tuple[str, list]]:
    out = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            out.append((item["question"], item.get("history") or []))
    return out


WORKERS = {
    "build": worker_build,
    "reindex": worker_reindex,
    "warm": worker_warm,
    "baseline": worker_baseline,
    "baseline_ask": worker_baseline_ask,
}


# --------------------------------------------------------------------------- processes


@dataclass(frozen=True)
class Child:
    """A finished child process: wall time, peak RSS, exit code and output."""

    seconds: float
    peak_mib: float
    code: int
    stdout: str

    def result(self) -> dict:
        """Return the JSON a worker printed last; raise RuntimeError if it failed."""
        if self.code != 0:
            raise RuntimeError(f"a benchmark process failed (exit {self.code})")
        return json.loads(self.stdout.strip().splitlines()[-1])


def run_child(args: list[str], env: dict[str, str]) -> Child:
    """Run `python args...` from the repository root; stderr (progress bars) passes through."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env={**os.environ, **env}, stdout=out
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        return Child(seconds, usage.ru_maxrss / 1024, proc.returncode, out.read())


def worker(name: str, *args: str, env: dict[str, str] | None = None) -> Child:
    """Run the worker `name` in a fresh process."""
    return run_child(["-m", "bench.run", "--worker", name, *args], env or {})


# --------------------------------------------------------------------------- the run


class Results:
    """Named samples and single figures, printed as a table and saved as JSON."""

    def __init__(self) -> None:
        self.samples: dict[str, list[float]] = {}
        self.notes: dict[str, object] = {}

    def add(self, key: str, *values: float) -> None:
        self.samples.setdefault(key, []).extend(values)

    def median(self, key: str) -> float | None:
        values = self.samples.get(key)
        return statistics.median(values) if values else None

    def p95(self, key: str) -> float | None:
        return percentile(self.samples.get(key) or [], 95)


def measure(plan: Plan, work: Path, say: Callable[[str], None]) -> Results:
    """Run every measurement of `plan` with scratch files in `work`; return the results."""
    from bench.synthetic import write_corpus

    results = Results()
    results.notes["load_average_start"] = os.getloadavg()
    cache = work / "cache"
    for stale in (cache, work / "large-cache"):  # a reused --work folder starts empty too
        shutil.rmtree(stale, ignore_errors=True)
    env = {"QUOTEBOT_CACHE_DIR": str(cache)}
    seed = str(ROOT / "index" / "corpus" / "statement.txt")

    say("seed index builds (models loaded), fresh cache each time")
    for n in range(plan.runs):
        r = worker("build", str(work / f"build-{n}"), env=env).result()
        results.add("seed_build_s", r["build_s"])
        results.add("seed_complete_s", r["complete_s"])
        results.add("models_s", r["models_s"])
        results.add("peak_build_seed_mib", r["peak_mib"])
        shutil.rmtree(work / f"build-{n}", ignore_errors=True)
    say("seed index builds as fresh `quotebot index --rebuild` processes")
    for n in range(plan.runs):
        fresh = {"QUOTEBOT_CACHE_DIR": str(work / f"cli-{n}")}
        child = run_child(["-m", "quotebot.cli", "index", "--rebuild"], fresh)
        results.add("seed_build_process_s", child.seconds)
        shutil.rmtree(work / f"cli-{n}", ignore_errors=True)

    say("cold starts: `quotebot ask` and the baseline, alternating")
    run_child(["-m", "quotebot.cli", "index"], env)  # the cold start finds its index built
    results.notes["cold_imports"] = import_breakdown(env)
    for _ in range(plan.runs):
        child = run_child(["-m", "quotebot.cli", "ask", COLD_QUESTION], env)
        if child.code != 0 or "five hours" not in child.stdout:
            raise RuntimeError(f"quotebot ask failed: {child.stdout[-500:]}")
        results.add("cold_s", child.seconds)
        results.add("cold_peak_mib", child.peak_mib)
        child = worker("baseline_ask", env=env)
        child.result()
        results.add("base_cold_s", child.seconds)
        results.add("base_cold_peak_mib", child.peak_mib)

    say("warm answers on the seed")
    r = worker("warm", str(cache), seed, str(plan.rounds), env=env).result()
    _add_stages(results, "seed", r)
    say("warm answers on the seed: langchain-stock")
    r = worker("baseline", seed, str(plan.rounds), env=env).result()
    results.add("base_seed_total_ms", *r["stages_ms"]["total"])
    results.add("base_seed_build_s", r["build_s"])
    results.add("base_seed_peak_mib", r["peak_mib"])

    n = plan.statements
    say(f"{n}-statement corpus: generate, build (progress bar), change one file, re-index")
    corpus = work / f"synthetic-{n}"
    paths = write_corpus(corpus, n)
    results.notes["large_corpus_mb"] = sum(p.stat().st_size for p in paths) / 1e6
    large_cache = work / "large-cache"
    large_env = {"QUOTEBOT_CACHE_DIR": str(large_cache)}
    child = worker("reindex", str(large_cache), str(corpus), str(paths[n // 2]), env=large_env)
    r = child.result()
    results.add("large_build_s", r["build_s"])
    results.add("large_complete_s", r["complete_s"])
    results.add("large_reindex_s", r["reindex_s"])
    results.add("large_build_peak_mib", r["peak_mib"])
    results.notes["large_passages"] = r["passages"]
    results.notes["large_sentences"] = r["sentences"]
    say("re-index after one more file changes, as a fresh `quotebot index` process")
    from bench.synthetic import change_one

    change_one(paths[n // 2 + 1])
    child = run_child(["-m", "quotebot.cli", "index", str(corpus)], large_env)
    results.add("large_reindex_process_s", child.seconds)
    say(f"warm answers on {n} statements")
    rounds = str(max(1, plan.rounds - 2))
    r = worker("warm", str(large_cache), str(corpus), rounds, env=large_env).result()
    _add_stages(results, "large", r)
    say(f"warm answers on {n} statements: langchain-stock (builds its store first)")
    r = worker("baseline", str(corpus), rounds, env=large_env).result()
    results.add("base_large_total_ms", *r["stages_ms"]["total"])
    results.add("base_large_build_s", r["build_s"])
    results.add("base_large_peak_mib", r["peak_mib"])

    say("embedding throughput: MiniLM onnxruntime and torch, e5; 1 and 2 threads")
    from bench.throughput import run as throughput

    for runtime in ("onnx", "torch", "e5"):
        for threads in (1, 2):
            r = throughput(runtime, threads, plan.throughput_statements)
            results.add(f"tput_{runtime}_{threads}", r["texts_per_s"])
    say(f"the chat page under load: {plan.clients} clients for {plan.seconds:.0f} s")
    from bench.load import Server, load_questions, reference_answers, run_load

    questions = load_questions()
    with Server(env) as server:
        expected = reference_answers(server.url, questions)
        report = run_load(
            server.url, questions, plan.clients, plan.seconds, expected, server_pid=server.pid
        )
    results.add("load_p50_ms", report.p50_ms)
    results.add("load_p95_ms", report.p95_ms)
    results.notes["load"] = report.line()
    results.notes["load_errors"] = report.errors + report.mismatches
    results.add("server_rss_mib", report.rss_after_mib or 0.0)
    results.notes["load_average_end"] = os.getloadavg()
    return results


def import_breakdown(env: dict[str, str], top: int = 8) -> list[tuple[str, float]]:
    """Return the cold `ask`'s import time by top-level package (ms, self times summed, most
    first), from `python -X importtime`."""
    import re

    child = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "quotebot.cli", "ask", COLD_QUESTION],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
    )  # fmt: skip
    totals: dict[str, float] = {}
    for line in child.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*([\w.]+)", line)
        if m:
            package = m.group(2).split(".")[0]
            totals[package] = totals.get(package, 0.0) + int(m.group(1)) / 1000
    ranked = sorted(totals.items(), key=lambda kv: kv[1], reverse=True)
    return [*ranked[:top], ("all imports", sum(totals.values()))]


def _add_stages(results: Results, corpus: str, r: dict) -> None:
    for stage, values in r["stages_ms"].items():
        results.add(f"{corpus}_{stage}_ms", *values)
    results.add(f"{corpus}_load_s", r["load_s"])
    results.add(f"{corpus}_peak_mib", r["peak_mib"])


# --------------------------------------------------------------------------- the table

# (label, quotebot key, baseline key, target: (statistic, limit) or a baseline comparison)
ROWS: list[tuple[str, str, str | None, str]] = [
    ("cold start: fresh `ask` to its answer (s)", "cold_s", "base_cold_s", "p50 <= 1"),
    ("", "cold_s", "base_cold_s", "p50 <= 0.2 x baseline"),
    ("seed index build, models loaded (s)", "seed_build_s", "base_seed_build_s", "p50 <= 3"),
    ("  ... with the e5 vectors added (s)", "seed_complete_s", None, ""),
    ("seed index build, fresh process (s)", "seed_build_process_s", None, ""),
    ("model load, both embedders (s)", "models_s", None, ""),
    ("{n} statements: searchable (s)", "large_build_s", "base_large_build_s", "p50 <= 300"),
    ("  ... with the e5 vectors added (s)", "large_complete_s", None, ""),
    ("{n} statements: re-index 1 changed file (s)", "large_reindex_s", None, "p50 <= 5"),
    ("  ... as a fresh `quotebot index` process (s)", "large_reindex_process_s", None, ""),
    ("warm answer, seed: total (ms)", "seed_total_ms", "base_seed_total_ms", "p50 <= 50"),
    ("", "seed_total_ms", None, "p95 <= 150"),
    *[(f"  seed: {s} (ms)", f"seed_{s}_ms", None, "") for s in STAGES],
    ("warm answer, {n} statements: total (ms)", "large_total_ms", "base_large_total_ms",
     "p50 <= 150"),
    *[(f"  {{n}} statements: {s} (ms)", f"large_{s}_ms", None, "") for s in STAGES],
    ("index load + warm-up, seed (s)", "seed_load_s", None, ""),
    ("index load + warm-up, {n} statements (s)", "large_load_s", None, ""),
    ("peak RSS: cold `ask` (MiB)", "cold_peak_mib", "base_cold_peak_mib", ""),
    ("peak RSS: warm, seed (MiB)", "seed_peak_mib", "base_seed_peak_mib", ""),
    ("peak RSS: warm, {n} statements (MiB)", "large_peak_mib", "base_large_peak_mib", ""),
    ("peak RSS: building {n} statements (MiB)", "large_build_peak_mib", None, ""),
    *[(f"embedding {r} on {t} thread(s) (texts/s)", f"tput_{r}_{t}", None, "")
      for r in ("onnx", "torch", "e5") for t in (1, 2)],
    ("page under load: latency p50 (ms)", "load_p50_ms", None, ""),
    ("page under load: latency p95 (ms)", "load_p95_ms", None, "p95 <= 1000"),
    ("server RSS after the load (MiB)", "server_rss_mib", None, ""),
]  # fmt: skip


def table(results: Results, plan: Plan) -> str:
    """Return the results as a fixed-width table with the targets and whether each is met."""
    head = (
        f"{'':46} {'quotebot':>19} {'langchain-stock':>19} {'ratio':>6}  target\n"
        f"{'':46} {'median':>9} {'p95':>9} {'median':>9} {'p95':>9} {'':>6}"
    )
    lines = [head]
    for label, key, base, target in ROWS:
        if key not in results.samples:
            continue
        ours, ours95 = results.median(key), results.p95(key)
        theirs = results.median(base) if base else None
        theirs95 = results.p95(base) if base else None
        ratio = f"{ours / theirs:6.2f}" if theirs else ""
        verdict = _verdict(target, results.samples[key], theirs)
        lines.append(
            f"{label.format(n=plan.statements):46} {_fmt(ours)} {_fmt(ours95)} "
            f"{_fmt(theirs)} {_fmt(theirs95)} {ratio:>6}  {verdict}"
        )
    imports = results.notes.get("cold_imports")
    if imports:
        lines.append(
            "cold `ask` imports (ms, by package): "
            + ", ".join(f"{name} {ms:.0f}" for name, ms in imports)
        )
    load = results.notes.get("load")
    if load:
        errors = results.notes["load_errors"]
        lines.append(f"page under load: {load}; zero errors: {'met' if not errors else 'NOT met'}")
    lines.append(
        f"load average (1/5/15 min) at start {_avg(results.notes['load_average_start'])}, "
        f"at end {_avg(results.notes.get('load_average_end'))}; "
        f"{plan.statements} statements = {results.notes.get('large_corpus_mb', 0):.1f} MB, "
        f"{results.notes.get('large_passages')} passages, "
        f"{results.notes.get('large_sentences')} sentences"
    )
    return "\n".join(lines)


def _verdict(target: str, values: list[float], baseline: float | None) -> str:
    if not target:
        return ""
    stat, _, limit = target.split(" ", 2)
    value = statistics.median(values) if stat == "p50" else percentile(values, 95)
    if limit.endswith("baseline"):  # "baseline" or "<factor> x baseline"
        if baseline is None:
            return f"{target} (no baseline)"
        factor = float(limit.split(" x ")[0]) if " x " in limit else 1.0
        bound = factor * baseline
    else:
        bound = float(limit)
    return f"{target}: {'met' if value <= bound else 'NOT met'}"


def _fmt(value: float | None) -> str:
    if value is None:
        return f"{'':>9}"
    return f"{value:9.1f}" if value >= 10 else f"{value:9.2f}"


def _avg(loads) -> str:
    return "/".join(f"{x:.1f}" for x in loads) if loads else "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs, smaller corpus")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temp folder)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](*args.args)))
        return 0
    plan = QUICK if args.quick else FULL
    work = args.work or Path(tempfile.mkdtemp(prefix="quotebot-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    def say(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", file=sys.stderr, flush=True)

    results = measure(plan, work, say)
    print(table(results, plan))
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"bench-{time.strftime('%Y%m%d-%H%M%S')}{'-quick' if args.quick else ''}.json"
    out.write_text(
        json.dumps({"plan": plan.__dict__, "samples": results.samples, "notes": results.notes}),
        encoding="utf-8",
    )
    print(f"figures saved to {out.relative_to(ROOT)}; scratch files in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
