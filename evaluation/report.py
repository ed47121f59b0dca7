"""The HTML report of an eval run: tables, inline SVG plots, and the failures beside the gold.

One self-contained file with no scripts and no external assets, rendered from
`templates/report.html.j2` by Jinja2 with autoescape on: every text that comes from a question
set, an answer or a quote is HTML-escaped. The plots are SVG built here, escaped the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from html import escape
from pathlib import Path

from .records import Question, Result, Run
from .summary import METRICS, fmt

TEMPLATES = Path(__file__).with_name("templates")
COLOURS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c")
CATEGORY_METRICS = (
    "questions",
    "exact_match",
    "f1",
    "citation_recall",
    "citation_precision",
    "recall@3",
    "mrr",
    "abstention_f1",
    "latency_p50_ms",
)
PLOTTED = ("f1", "citation_recall")
FAILURE_RULE = (
    "A failure is an answerable question that was not answered with at least half of its gold "
    "quote characters cited (citation recall under 0.5), an unanswerable question that was "
    "answered, or a question that raised an error."
)


@cache
def _template():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


def write_report(path: Path, run: Run) -> Path:
    """Write the report of `run` to `path`; return it."""
    path = Path(path)
    path.write_text(render(run.summary, run.questions, run.results), encoding="utf-8")
    return path


def render(summary: dict, questions: Sequence[Question], results: Sequence[Result]) -> str:
    """Return the report as one HTML document: overall (side by side), by split, plots, by
    category, then the first system's failures."""
    from markupsafe import Markup

    systems = summary["systems"]
    names = list(systems)
    rows = ("questions", "answerable", "abstained", "errors", *METRICS)
    split_columns = [(n, s) for n in names for s in systems[n]["by_split"]]
    return _template().render(
        title=f"quotebot evaluation: {summary.get('question_set', 'question set')}",
        summary=summary,
        names=names,
        heading=f"Side by side: {' vs '.join(names)}" if len(names) > 1 else "Overall",
        overall=[(m, [fmt(systems[n]["overall"][m], m) for n in names]) for m in rows],
        split_columns=[f"{n} {s}" for n, s in split_columns],
        by_split=[
            (m, [fmt(systems[n]["by_split"][s][m], m) for n, s in split_columns]) for m in rows
        ],
        figures=[Markup(f) for f in _plots(systems, results)],  # noqa: S704 - built escaped
        category_metrics=CATEGORY_METRICS,
        by_category=[
            (
                name,
                [
                    (c, [fmt(g[m], m) for m in CATEGORY_METRICS])
                    for c, g in s["by_category"].items()
                ],
            )
            for name, s in systems.items()
        ],
        failure_rule=FAILURE_RULE,
        failures=_failures(names[0], questions, results),
    )


def _plots(systems: dict, results: Sequence[Result]) -> list[str]:
    """Return the figures: scores by category (all systems), and each system's latencies."""
    names = list(systems)
    categories = list(systems[names[0]]["by_category"])
    figures = []
    for metric in PLOTTED:
        series = {
            n: [systems[n]["by_category"].get(c, {}).get(metric) for c in categories] for n in names
        }
        figures.append(bar_chart(f"{metric} by category", categories, series))
    for i, name in enumerate(names):
        latencies = [r.latency_ms for r in results if r.system == name]
        figures.append(histogram(f"latency of {name} (ms)", latencies, COLOURS[i % len(COLOURS)]))
    return figures


def is_failure(question: Question, result: Result) -> bool:
    """Return True when `result` fails `question` by the rule in FAILURE_RULE."""
    if result.error:
        return True
    if not question.answerable:
        return not result.abstained
    recall = result.scores["citation_recall"]
    return result.abstained or recall is None or recall < 0.5


def _failures(system: str, questions: Sequence[Question], results: Sequence[Result]) -> list:
    by_id = {r.id: r for r in results if r.system == system}
    failed = []
    for q in questions:
        r = by_id.get(q.id)
        if r is None or not is_failure(q, r):
            continue
        answer = r.answer or {}
        failed.append(
            {
                "question": q,
                "meta": f"{q.id} · {q.category} · {q.split} · "
                f"{'answerable' if q.answerable else 'unanswerable'}"
                + (f" · {q.doc}" if q.doc else ""),
                "recall": fmt(r.scores["citation_recall"]),
                "answer": answer.get("answer", ""),
                "citations": [{**c, "speaker": _speaker(c)} for c in answer.get("citations", [])],
                "instead": f"error: {r.error}" if r.error else "abstained",
            }
        )
    return failed


def _speaker(citation: dict) -> str:
    if citation.get("role") == "question":
        return "Journalist (question)"
    return citation.get("speaker") or citation.get("role") or "unknown"


def bar_chart(title: str, groups: Sequence[str], series: dict[str, list[float | None]]) -> str:
    """Return an SVG of horizontal grouped bars: one group per category, one bar per system,
    values on a 0..1 scale (an undefined value draws no bar and reads "–")."""
    label_w, bar_w, bar_h, gap = 130, 360, 11, 8
    group_h = bar_h * len(series) + gap
    legend_h = 16 * len(series)
    height = 30 + group_h * len(groups) + legend_h + 10
    width = label_w + bar_w + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" font-size="11">',
        f'<text x="0" y="14" font-weight="bold" font-size="13">{escape(title)}</text>',
    ]
    for g, group in enumerate(groups):
        y0 = 26 + g * group_h
        out.append(
            f'<text x="{label_w - 6}" y="{y0 + group_h / 2}" text-anchor="end">'
            f"{escape(group)}</text>"
        )
        for s, (name, values) in enumerate(series.items()):
            value = values[g]
            y = y0 + s * bar_h
            w = 0 if value is None else max(0.0, min(1.0, value)) * bar_w
            out.append(
                f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 1}" '
                f'fill="{COLOURS[s % len(COLOURS)]}"><title>{escape(name)}: '
                f"{fmt(value)}</title></rect>"
            )
            out.append(f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 2}">{fmt(value)}</text>')
    axis_y = 26 + group_h * len(groups)
    out.append(f'<line x1="{label_w}" y1="26" x2="{label_w}" y2="{axis_y}" stroke="#999"/>')
    for s, name in enumerate(series):
        y = axis_y + 8 + 16 * s
        out.append(
            f'<rect x="{label_w}" y="{y}" width="10" height="10" '
            f'fill="{COLOURS[s % len(COLOURS)]}"/>'
        )
        out.append(f'<text x="{label_w + 14}" y="{y + 9}">{escape(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def histogram(title: str, values: Sequence[float], colour: str = COLOURS[0], bins: int = 20) -> str:
    """Return an SVG histogram of `values` in `bins` equal-width bins from 0 to the maximum."""
    width, height, left, bottom = 420, 200, 36, 30
    plot_w, plot_h = width - left - 10, height - bottom - 24
    top = max(values, default=0.0) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int(v / top * bins))] += 1
    peak = max(counts) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" font-size="11">',
        f'<text x="0" y="14" font-weight="bold" font-size="13">{escape(title)}</text>',
    ]
    base = height - bottom
    step = plot_w / bins
    for i, c in enumerate(counts):
        h = c / peak * plot_h
        out.append(
            f'<rect x="{left + i * step:.1f}" y="{base - h:.1f}" width="{step - 1:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{top * i / bins:.1f}-'
            f"{top * (i + 1) / bins:.1f} ms: {c}</title></rect>"
        )
    out.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#999"/>')
    out.append(f'<text x="{left}" y="{base + 14}">0</text>')
    out.append(f'<text x="{left + plot_w}" y="{base + 14}" text-anchor="end">{top:.1f} ms</text>')
    out.append(f'<text x="{left - 4}" y="{base - plot_h + 4}" text-anchor="end">{peak}</text>')
    out.append(
        f'<text x="{left + plot_w / 2}" y="{base + 26}" text-anchor="middle">'
        f"{len(values)} answers</text>"
    )
    out.append("</svg>")
    return "".join(out)
