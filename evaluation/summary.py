"""Summaries of a run: every metric per system, overall, by split and by category, and the
plain-text tables `quotebot eval` prints."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .metrics import abstention_scores, mean_reciprocal_rank, percentile, quote_verification_rate
from .records import SPLITS, UNSPLIT, Question, Result

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
    "the test split is held out. Questions without a split are shown as unsplit."
)


def summarise(questions: Sequence[Question], results: Iterable[Result], split: str = "all") -> dict:
    """Return every metric per system, overall, by split and by category.

    Only results for `questions` count, in question order, so a resumed run summarises exactly
    like an uninterrupted one.
    """
    by_key = {(r.system, r.id): r for r in results}
    systems = list(dict.fromkeys(name for name, _ in by_key))
    summary = {"split": split, "questions": len(questions), "note": TUNING_NOTE, "systems": {}}
    for name in systems:
        rows = [(q, by_key[(name, q.id)]) for q in questions if (name, q.id) in by_key]
        summary["systems"][name] = {
            "overall": aggregate(rows),
            "by_split": {
                s: aggregate([r for r in rows if r[0].split == s])
                for s in (*SPLITS, UNSPLIT)
                if any(q.split == s for q, _ in rows)
            },
            "by_category": {
                c: aggregate([r for r in rows if r[0].category == c])
                for c in dict.fromkeys(q.category for q, _ in rows)
            },
        }
    return summary


def aggregate(rows: Sequence[tuple[Question, Result]]) -> dict:
    """Return the metrics over `(question, result)` pairs, as defined in `evaluation.metrics`."""
    scores = [r.scores for _, r in rows]
    answerable = [r.scores for q, r in rows if q.answerable]
    abst = abstention_scores((r.abstained, q.answerable) for q, r in rows)
    latencies = [r.latency_ms for _, r in rows]
    out = {
        "questions": len(rows),
        "answerable": len(answerable),
        "abstained": sum(1 for _, r in rows if r.abstained),
        "errors": sum(1 for _, r in rows if r.error),
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


def below_min_scores(summary: dict, min_scores: Sequence[tuple[str, float]]) -> list[str]:
    """Return why the first system fails the run: failed questions, and each metric under its
    `(metric, threshold)`; empty when it passes."""
    primary = next(iter(summary["systems"].values()))["overall"]
    problems = []
    if primary["errors"]:
        problems.append(
            f'{primary["errors"]} question(s) failed; see the "error" field in results.jsonl'
        )
    for metric, threshold in min_scores:
        value = primary[metric]
        if value is None or value < threshold:
            shown = "undefined" if value is None else f"{value:.3f}"
            problems.append(f"{metric} is {shown}, under --min-score {threshold:g}")
    return problems


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
