"""Evaluation question sets: load and validate them, run systems over them, summarise.

A question set is JSONL, one question per line:
    {"id", "question", "history"?: [{"role", "content"}], "answerable": bool,
     "answers": [str], "quotes": [verbatim gold quotes], "category"?: str,
     "split"?: "dev" | "test"}
A question without a split counts as "test" (never used for tuning).

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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from quotebot.bot.records import Answer

from quotebot.errors import QuestionError
from quotebot.settings import Settings

from .metrics import (
    abstention_scores,
    citation_precision,
    citation_recall,
    exact_match,
    f1,
    mean_reciprocal_rank,
    percentile,
    quote_verification_rate,
    recall_at_k,
    reciprocal_rank,
    verified_count,
)
from .metrics.spans import Span, locate, relevant_units
from .metrics.squad import normalize_answer, prediction_text

SPLITS = ("dev", "test")
RECALL_AT = (1, 3, 5)
SCORE_METRICS = (
    "exact_match",
    "f1",
    "quote_verification_rate",
    "citation_recall",
    "citation_precision",
    *(f"recall@{k}" for k in RECALL_AT),
    "mrr",
    "abstention_precision",
    "abstention_recall",
    "abstention_f1",
)
LATENCY_METRICS = ("latency_p50_ms", "latency_p95_ms")
METRICS = SCORE_METRICS + LATENCY_METRICS
TUNING_NOTE = (
    "Thresholds (such as the abstention threshold) were tuned on the dev split only; "
    "the test split is held out."
)
_FIELDS = ("id", "question", "history", "answerable", "answers", "quotes", "category", "split")
_REQUIRED = ("id", "question", "answerable", "answers", "quotes")


class QuestionSetError(ValueError):
    """A user mistake in a question set or an eval run: the message names the file, the line
    and the field, or the question id."""


@dataclass(frozen=True)
class Question:
    """One evaluation question; `gold` holds the source spans of each gold quote."""

    id: str
    question: str
    answerable: bool
    answers: tuple[str, ...]
    quotes: tuple[str, ...]
    history: tuple[dict, ...] = ()
    category: str = "uncategorised"
    split: str = "test"
    line: int = 0
    gold: tuple[tuple[Span, ...], ...] = field(default=(), repr=False)


class Answerer(Protocol):
    """Anything that answers: quotebot's Bot, or a baseline."""

    def answer(self, question: str, history: Sequence[dict] = ()): ...


@dataclass
class System:
    """A named answerer and its retrieval units (passage or chunk id -> source span)."""

    name: str
    answerer: Answerer
    units: Mapping[str, Span]


# ---------------------------------------------------------------- loading


def load_questions(path: str | Path, sources: Mapping[str, str] | None = None) -> list[Question]:
    """Return the validated questions of the JSONL file `path`.

    `sources` maps document names to their original text (default: the configured corpus).
    Raises QuestionSetError naming the line and field, or the question id of a gold quote
    that is not verbatim in the sources.
    """
    path = Path(path)
    if sources is None:
        sources = corpus_sources(Settings.load())
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise QuestionSetError(f"{path}: no such question file") from exc
    except UnicodeDecodeError as exc:
        raise QuestionSetError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise QuestionSetError(f"{path}: cannot read it ({exc.strerror})") from exc
    questions: list[Question] = []
    first_line: dict[str, int] = {}
    for lineno, text in enumerate(lines, 1):
        if not text.strip():
            continue
        q = _parse_question(f"{path}:{lineno}", text, lineno)
        if q.id in first_line:
            raise QuestionSetError(
                f'{path}:{lineno}: id "{q.id}" is already used on line {first_line[q.id]}'
            )
        first_line[q.id] = lineno
        questions.append(_with_gold(f"{path}:{lineno}", q, sources))
    if not questions:
        raise QuestionSetError(f"{path}: the question set is empty")
    return questions


def corpus_sources(settings: Settings) -> dict[str, str]:
    """Return document name -> original text for the corpus in `settings`."""
    from quotebot.index.corpus import load_corpus

    return {d.doc: d.text for d in load_corpus(settings.corpus)}


def _parse_question(where: str, text: str, lineno: int) -> Question:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionSetError(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise QuestionSetError(f"{where}: expected a JSON object, got {_kind(data)}")
    for name in data:
        if name not in _FIELDS:
            raise QuestionSetError(f'{where}: unknown field "{name}" (known: {", ".join(_FIELDS)})')
    for name in _REQUIRED:
        if name not in data:
            raise QuestionSetError(f'{where}: missing field "{name}"')

    def bad(name: str, wanted: str, value: object) -> QuestionSetError:
        return QuestionSetError(f'{where}: field "{name}" must be {wanted}, got {_show(value)}')

    for name in ("id", "question"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise bad(name, "a non-empty string", data[name])
    if not isinstance(data["answerable"], bool):
        raise bad("answerable", "true or false", data["answerable"])
    for name in ("answers", "quotes"):
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise bad(name, "a list of non-empty strings", value)
    category = data.get("category", "uncategorised")
    if not isinstance(category, str) or not category.strip():
        raise bad("category", "a non-empty string", category)
    split = data.get("split", "test")
    if split not in SPLITS:
        raise bad("split", '"dev" or "test"', split)
    history = data.get("history", [])
    if not isinstance(history, list):
        raise bad("history", 'a list of {"role", "content"} messages', history)
    for i, message in enumerate(history):
        if not isinstance(message, dict) or set(message) != {"role", "content"}:
            raise bad(f"history[{i}]", 'an object with "role" and "content"', message)
        if message["role"] not in ("user", "assistant"):
            raise bad(f"history[{i}].role", '"user" or "assistant"', message["role"])
        if not isinstance(message["content"], str):
            raise bad(f"history[{i}].content", "a string", message["content"])
    if data["answerable"]:
        if not data["quotes"]:
            raise QuestionSetError(
                f'{where}: field "quotes" needs at least one gold quote when "answerable" is true'
            )
        if not any(normalize_answer(a) for a in data["answers"]):
            raise QuestionSetError(
                f'{where}: field "answers" needs at least one answer when "answerable" is true'
            )
    else:
        for name in ("answers", "quotes"):
            if data[name]:
                raise QuestionSetError(
                    f'{where}: field "{name}" must be empty when "answerable" is false'
                )
    return Question(
        id=data["id"],
        question=data["question"],
        answerable=data["answerable"],
        answers=tuple(data["answers"]),
        quotes=tuple(data["quotes"]),
        history=tuple(history),
        category=category,
        split=split,
        line=lineno,
    )


def _with_gold(where: str, q: Question, sources: Mapping[str, str]) -> Question:
    gold = []
    for quote in q.quotes:
        spans = locate(quote, sources)
        if not spans:
            short = quote if len(quote) <= 70 else quote[:67] + "..."
            raise QuestionSetError(
                f'{where}: question "{q.id}": gold quote not found verbatim in the source: '
                f'"{short}"'
            )
        gold.append(tuple(spans))
    return replace(q, gold=tuple(gold))


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


# ---------------------------------------------------------------- systems


def quotebot_system(settings: Settings) -> System:
    """Return quotebot's Bot as a system, warmed up, with its passages as retrieval units."""
    from quotebot.bot.bot import Bot

    bot = Bot(settings).warm_up()
    units = {p.id: Span(p.doc, p.start, p.end) for p in bot.index.passages}
    return System("quotebot", bot, units)


# ---------------------------------------------------------------- scoring


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


# ---------------------------------------------------------------- running


def run(
    questions: Sequence[Question],
    systems: Sequence[System],
    out_dir: Path | None = None,
    resume: bool = False,
    sources: Mapping[str, str] | None = None,
    progress: bool = True,
    clock: Callable[[], float] = time.perf_counter,
) -> list[dict]:
    """Answer every question with every system; return one result dict per (system, question).

    With `out_dir`, each result is appended to `out_dir/results.jsonl` and flushed as soon as
    it is known, so an interruption keeps what was done. With `resume`, results already in that
    file are kept and their questions skipped; otherwise the file is started afresh. Results in
    the file for other systems or questions stay there but are not returned.
    """
    sources = sources if sources is not None else corpus_sources(Settings.load())
    path = Path(out_dir) / "results.jsonl" if out_dir is not None else None
    kept = _start_results(path, resume)
    done = {(r["system"], r["id"]) for r in kept}
    results = list(kept)
    sink = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115 - kept open
    try:
        for system in systems:
            todo = [q for q in questions if (system.name, q.id) not in done]
            for q in _progress(todo, system.name, progress):
                result = _run_one(system, q, sources, clock)
                results.append(result)
                if sink:
                    sink.write(json.dumps(result, ensure_ascii=False) + "\n")
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
    return [r for r in results if r["system"] in names and r["id"] in ids]


def _run_one(system: System, q: Question, sources: Mapping[str, str], clock) -> dict:
    error = None
    started = clock()
    try:
        answer = system.answerer.answer(q.question, list(q.history))
    except QuestionError as exc:
        answer, error = Answer(question=q.question, text="", abstained=True), str(exc)
    latency_ms = (clock() - started) * 1000
    return {
        "system": system.name,
        "id": q.id,
        "category": q.category,
        "split": q.split,
        "question": q.question,
        "history": list(q.history),
        "answerable": q.answerable,
        "answer": None if error else answer.to_json(),
        "full_text": answer.full_text,
        "abstained": answer.abstained,
        "latency_ms": round(latency_ms, 3),
        "scores": score(q, answer, system.units, sources),
        "error": error,
    }


def _start_results(path: Path | None, resume: bool) -> list[dict]:
    """Return the results to keep from an earlier run, and leave the file holding just them."""
    if path is None:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    kept: list[dict] = []
    if resume and path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                result = json.loads(line)
            except ValueError:
                continue  # the line being written when the run stopped
            complete = isinstance(result, dict) and {"system", "id", "scores"} <= set(result)
            if complete and not result.get("error"):  # questions that failed are asked again
                kept.append(result)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), "utf-8")
    os.replace(tmp, path)
    return kept


def _progress(items: list, name: str, show: bool) -> Iterable:
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=name, unit="q", file=sys.stderr, leave=True)


# ---------------------------------------------------------------- summary


def summarise(questions: Sequence[Question], results: Iterable[dict], split: str = "all") -> dict:
    """Return every metric per system, overall, by split and by category.

    Only results for `questions` count, in question order, so a resumed run summarises exactly
    like an uninterrupted one.
    """
    by_key = {(r["system"], r["id"]): r for r in results}
    systems = list(dict.fromkeys(name for name, _ in by_key))
    summary = {
        "split": split,
        "questions": len(questions),
        "note": TUNING_NOTE,
        "systems": {},
    }
    for name in systems:
        rows = [(q, by_key[(name, q.id)]) for q in questions if (name, q.id) in by_key]
        summary["systems"][name] = {
            "overall": aggregate(rows),
            "by_split": {
                s: aggregate([r for r in rows if r[0].split == s])
                for s in SPLITS
                if any(q.split == s for q, _ in rows)
            },
            "by_category": {
                c: aggregate([r for r in rows if r[0].category == c])
                for c in dict.fromkeys(q.category for q, _ in rows)
            },
        }
    return summary


def aggregate(rows: Sequence[tuple[Question, dict]]) -> dict:
    """Return the metrics over `(question, result)` pairs, as defined in `bot.metrics`."""
    scores = [r["scores"] for _, r in rows]
    answerable = [r["scores"] for q, r in rows if q.answerable]
    abst = abstention_scores((r["abstained"], q.answerable) for q, r in rows)
    latencies = [r["latency_ms"] for _, r in rows]
    out = {
        "questions": len(rows),
        "answerable": len(answerable),
        "abstained": sum(1 for _, r in rows if r["abstained"]),
        "errors": sum(1 for _, r in rows if r.get("error")),
        "exact_match": _mean(s["exact_match"] for s in scores),
        "f1": _mean(s["f1"] for s in scores),
        "quote_verification_rate": quote_verification_rate(
            sum(s["verified"] for s in scores), sum(s["cited"] for s in scores)
        ),
        "citation_recall": _mean(s["citation_recall"] for s in answerable),
        "citation_precision": _mean(s["citation_precision"] for s in answerable),
    }
    for k in RECALL_AT:
        out[f"recall@{k}"] = _mean(s[f"recall@{k}"] for s in answerable)
    out["mrr"] = mean_reciprocal_rank(s["reciprocal_rank"] for s in answerable)
    out.update(
        abstention_precision=abst.precision, abstention_recall=abst.recall, abstention_f1=abst.f1
    )
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    return out


def _mean(values: Iterable[float | None]) -> float | None:
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


# ---------------------------------------------------------------- the `quotebot eval` command


def parse_min_score(text: str) -> tuple[str, float]:
    """Return `(metric, value)` from "METRIC=VALUE" (an argparse type: a bad value raises
    ArgumentTypeError naming the problem)."""
    from argparse import ArgumentTypeError

    metric, sep, value = text.partition("=")
    metric = metric.strip()
    if not sep or metric not in SCORE_METRICS:
        raise ArgumentTypeError(
            f"expected METRIC=VALUE with METRIC one of {', '.join(SCORE_METRICS)}"
        )
    try:
        return metric, float(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a number") from None


def evaluate(
    path: Path,
    settings: Settings,
    out_dir: Path,
    compare: bool = False,
    min_scores: Sequence[tuple[str, float]] = (),
    resume: bool = False,
    split: str = "all",
) -> int:
    """Run `quotebot eval`: answer, write results/summary/report, print the table.

    Returns 1 when a question failed or a `min_scores` threshold is not met, else 0.
    """
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
    _write_json(out_dir / "summary.json", summary)
    write_report(out_dir / "report.html", summary, questions, results)
    print(format_table(summary))
    print(f"wrote {out_dir / 'results.jsonl'}, summary.json and report.html", file=sys.stderr)
    return _exit_code(summary, min_scores)


def _exit_code(summary: dict, min_scores: Sequence[tuple[str, float]]) -> int:
    primary = next(iter(summary["systems"].values()))["overall"]
    code = 0
    if primary["errors"]:
        print(
            f'quotebot: {primary["errors"]} question(s) failed; see the "error" field in '
            "results.jsonl",
            file=sys.stderr,
        )
        code = 1
    for metric, threshold in min_scores:
        value = primary[metric]
        if value is None or value < threshold:
            shown = "undefined" if value is None else f"{value:.3f}"
            print(
                f"quotebot: {metric} is {shown}, under --min-score {threshold:g}", file=sys.stderr
            )
            code = 1
    return code


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def fmt(value: float | int | None, metric: str = "") -> str:
    """Return a metric value for a table: 3 decimals, latency in ms with 1, "–" if undefined."""
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.1f}" if metric.endswith("_ms") else f"{value:.3f}"


def format_table(summary: dict) -> str:
    """Return the summary as plain-text tables: every metric by system, then the first
    system's metrics by split and by category."""
    systems = summary["systems"]
    primary = next(iter(systems))
    blocks = [
        f"{summary.get('question_set', 'question set')}: {summary['questions']} questions "
        f"(split: {summary['split']})",
        _table(
            "metric",
            list(systems),
            [
                (m, [fmt(s["overall"][m], m) for s in systems.values()])
                for m in ("questions", "abstained", *METRICS)
            ],
        ),
    ]
    splits = systems[primary]["by_split"]
    if len(splits) > 1:
        blocks.append(f"{primary} by split")
        blocks.append(
            _table(
                "metric",
                list(splits),
                [(m, [fmt(g[m], m) for g in splits.values()]) for m in ("questions", *METRICS)],
            )
        )
    cats = systems[primary]["by_category"]
    cols = (
        "questions",
        "f1",
        "citation_recall",
        "citation_precision",
        "recall@3",
        "abstention_f1",
        "latency_p50_ms",
    )
    blocks.append(f"{primary} by category")
    blocks.append(
        _table("category", list(cols), [(c, [fmt(g[m], m) for m in cols]) for c, g in cats.items()])
    )
    blocks.append(summary["note"])
    return "\n\n".join(blocks)


def _table(corner: str, columns: list[str], rows: list[tuple[str, list[str]]]) -> str:
    first = max(len(corner), *(len(name) for name, _ in rows))
    widths = [max(len(c), *(len(cells[i]) for _, cells in rows)) for i, c in enumerate(columns)]
    lines = [
        corner.ljust(first) + "".join(f"  {c:>{w}}" for c, w in zip(columns, widths, strict=True))
    ]
    lines.append("-" * len(lines[0]))
    for name, cells in rows:
        lines.append(
            name.ljust(first) + "".join(f"  {v:>{w}}" for v, w in zip(cells, widths, strict=True))
        )
    return "\n".join(lines)
