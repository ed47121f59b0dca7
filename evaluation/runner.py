"""Running systems over a question set: score each answer, write results as they come,
resume an interrupted run, and `evaluate()` a question set into a typed `Run`.

From Python (e.g. to tune a threshold on the dev split):
    questions = [q for q in load_questions("evals/statement.jsonl") if q.split == "dev"]
    results = run(questions, [quotebot_system(settings)])
    summary = summarise(questions, results)
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from quotebot.bot.records import Answer

from quotebot.contract import answer_json
from quotebot.errors import QuestionError
from quotebot.settings import Settings

from .metrics import (
    citation_precision,
    citation_recall,
    exact_match,
    f1,
    recall_at_k,
    reciprocal_rank,
    verified_count,
)
from .metrics.spans import Span, relevant_units
from .metrics.squad import prediction_text
from .questions import corpus_sources, load_questions
from .records import Question, QuestionSetError, Result, Run, System
from .summary import RECALL_AT, summarise


def quotebot_system(settings: Settings) -> System:
    """Return quotebot's Bot as a system, warmed up, with its passages as retrieval units. Its
    index has every embedder's vectors before the first question (as after `quotebot index`),
    so that no answer depends on which questions came before it."""
    from quotebot.bot.bot import Bot
    from quotebot.index.store import ensure_index

    bot = Bot(settings, index=ensure_index(settings, complete=True)).warm_up()
    units = {p.id: Span(p.doc, p.start, p.end) for p in bot.index.passages}
    return System("quotebot", bot, units)


def score(
    question: Question, answer: Answer, units: Mapping[str, Span], sources: Mapping[str, str]
) -> dict:
    """Return the per-question scores of `answer` as a JSON-ready dict."""
    citations = answer.to_json()["citations"]
    cited = [Span(c["doc"], c["start"], c["end"]) for c in citations]
    retrieved = [pid for pid, _ in answer.retrieved]
    relevant = [relevant_units(occ, units) for occ in question.gold]
    predicted = prediction_text(answer.abstained, answer.full_text)
    scores = {
        "exact_match": exact_match(predicted, question.answers),
        "f1": f1(predicted, question.answers),
        "cited": len(citations),
        "verified": verified_count(citations, sources),
        "citation_recall": citation_recall(question.gold, cited),
        "citation_precision": citation_precision(question.gold, cited),
    }
    for k in RECALL_AT:
        scores[f"recall@{k}"] = recall_at_k(relevant, retrieved, k)
    scores["reciprocal_rank"] = reciprocal_rank(relevant, retrieved)
    return scores


def run(
    questions: Sequence[Question],
    systems: Sequence[System],
    out_dir: Path | None = None,
    resume: bool = False,
    sources: Mapping[str, str] | None = None,
    progress: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> list[Result]:
    """Answer every question with every system; return one result per (system, question).

    With `out_dir`, each result is appended to `out_dir/results.jsonl` and flushed as soon as
    it is known, so an interruption keeps what was done. With `resume`, results already in that
    file are kept and their questions skipped; otherwise the file is started afresh. Results in
    the file for other systems or questions stay there but are not returned.
    """
    sources = sources if sources is not None else corpus_sources(Settings.load())
    path = Path(out_dir) / "results.jsonl" if out_dir is not None else None
    kept = _start_results(path, resume)
    done = {(r.system, r.id) for r in kept}
    results = list(kept)
    sink = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115 - kept open
    try:
        for system in systems:
            todo = [q for q in questions if (system.name, q.id) not in done]
            for q in _progress(todo, system.name, progress):
                result = _run_one(system, q, sources, clock)
                results.append(result)
                if sink:
                    sink.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
                    sink.flush()
    except BaseException:
        if path:
            print(
                f"quotebot: {len(results)} result(s) kept in {path}; "
                "run again with --resume to continue",
                file=sys.stderr,
            )
        raise
    finally:
        if sink:
            sink.close()
    names, ids = {s.name for s in systems}, {q.id for q in questions}
    return [r for r in results if r.system in names and r.id in ids]


def _run_one(system: System, q: Question, sources: Mapping[str, str], clock) -> Result:
    error = None
    started = clock()
    try:
        answer = system.answerer.answer(q.question, list(q.history), q.doc)
    except QuestionError as exc:
        answer, error = Answer(question=q.question, text="", abstained=True), str(exc)
    latency_ms = (clock() - started) * 1000
    return Result(
        system=system.name,
        id=q.id,
        category=q.category,
        split=q.split,
        doc=q.doc,
        question=q.question,
        history=q.history,
        answerable=q.answerable,
        answer=None if error else answer_json(answer),
        full_text=answer.full_text,
        abstained=answer.abstained,
        latency_ms=round(latency_ms, 3),
        scores=score(q, answer, system.units, sources),
        error=error,
    )


def _start_results(path: Path | None, resume: bool) -> list[Result]:
    """Return the results to keep from an earlier run, and leave the file holding just them."""
    if path is None:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    kept: list[Result] = []
    if resume and path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                result = Result.from_json(json.loads(line))
            except (ValueError, TypeError, KeyError):
                continue  # the line being written when the run stopped, or an older format
            if not result.error:  # questions that failed are asked again
                kept.append(result)
    tmp = path.with_name(path.name + ".tmp")
    lines = "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in kept)
    tmp.write_text(lines, "utf-8")
    os.replace(tmp, path)
    return kept


def _progress(items: list, name: str, show: bool) -> Iterable:
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=name, unit="q", file=sys.stderr, leave=True)


def evaluate(
    path: Path,
    settings: Settings,
    out_dir: Path,
    compare: bool = False,
    resume: bool = False,
    split: str = "all",
) -> Run:
    """Answer the question set at `path` (one `split`, or "all") with quotebot, and with the
    baselines if `compare`; write results.jsonl, summary.json and report.html to `out_dir`
    and return the run. Raises QuestionSetError for a bad set or an empty split."""
    from .report import write_report

    sources = corpus_sources(settings)
    questions = load_questions(path, sources)
    if split != "all":
        questions = [q for q in questions if q.split == split]
        if not questions:
            raise QuestionSetError(f"{path}: no question is in the {split} split")
    systems = [quotebot_system(settings)]
    if compare:
        from .baselines import baseline_systems

        systems += baseline_systems(settings, sources)
    results = run(questions, systems, out_dir, resume=resume, sources=sources)
    summary = {"question_set": str(path), **summarise(questions, results, split)}
    evaluation = Run(Path(path), split, tuple(questions), tuple(results), summary, out_dir)
    _write_json(out_dir / "summary.json", summary)
    write_report(out_dir / "report.html", evaluation)
    return evaluation


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
