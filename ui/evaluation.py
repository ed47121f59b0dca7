"""The evaluation tab's work, without gradio: a bounded question set run through the page's
shared Bot (cancellable between questions), scored, and turned into what the tab shows. Its
files are written to a temporary folder that is removed when the run ends.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quotebot.errors import QuestionError

from .render import escape_markdown

if TYPE_CHECKING:
    from collections.abc import Sequence

    from quotebot.bot.bot import Bot
    from quotebot.evaluation.records import Result

EVAL_MAX_BYTES = 2_000_000
EVAL_MAX_QUESTIONS = 2_000
RESULT_COLUMNS = [
    "id", "category", "split", "answerable", "abstained", "citation_recall", "f1",
    "latency_ms", "failure", "question", "error",
]  # fmt: skip
OUTPUT_FILES = ("results.jsonl", "summary.json", "report.html")


class EvaluationCancelled(Exception):
    """The caller stopped the evaluation (Stop, or the page was closed)."""


class EvaluationRefused(Exception):
    """The question set cannot be run: too large, malformed, or no question in the split."""


@dataclass(frozen=True)
class Limits:
    """How large a question set the page and the API accept."""

    max_bytes: int = EVAL_MAX_BYTES
    max_questions: int = EVAL_MAX_QUESTIONS


@dataclass(frozen=True)
class EvalView:
    """What an evaluation produced: status line, metrics table, result rows, plot (SVG),
    summary, and the output files' contents by name."""

    status: str
    metrics: list[list[str]]
    results: list[list[Any]]
    plot: str
    summary: dict
    files: dict[str, bytes]


@dataclass
class _Cancellable:
    """The Bot as an evaluation answerer that stops between questions once `cancelled` is set."""

    bot: Bot
    cancelled: threading.Event

    def answer(self, question: str, history: Sequence[dict] = (), doc: str | None = None):
        if self.cancelled.is_set():
            raise EvaluationCancelled("the evaluation was stopped")
        return self.bot.answer(question, history, doc)


def check_size(path: Path, limits: Limits, shown: str) -> None:
    """Raise EvaluationRefused when the file at `path` is larger than `limits` allow."""
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise EvaluationRefused(
            f"{shown} is {size:,} bytes; the limit for a question set is {limits.max_bytes:,}"
        )


def evaluate_set(
    path: Path,
    bot: Bot,
    split: str,
    cancelled: threading.Event,
    limits: Limits = Limits(),  # noqa: B008 - frozen
    shown: str | None = None,
) -> EvalView:
    """Run the question set at `path` (named `shown` in messages) through `bot` and score it.

    Raises EvaluationRefused for a set it cannot run, EvaluationCancelled once `cancelled` is
    set (checked before each question).
    """
    from quotebot.evaluation.metrics.spans import Span
    from quotebot.evaluation.questions import load_questions
    from quotebot.evaluation.records import QuestionSetError, Run, System
    from quotebot.evaluation.report import PLOTTED, bar_chart, is_failure, write_report
    from quotebot.evaluation.runner import run
    from quotebot.evaluation.summary import fmt, summarise

    shown = shown or path.name
    check_size(path, limits, shown)
    sources = {doc: bot.index.source(doc) for doc in bot.index.documents}
    try:
        questions = load_questions(path, sources)
    except (QuestionSetError, QuestionError) as exc:
        raise EvaluationRefused(str(exc).replace(str(path), shown)) from exc
    if len(questions) > limits.max_questions:
        raise EvaluationRefused(
            f"{shown} has {len(questions):,} questions; the limit is {limits.max_questions:,}"
        )
    if split != "all":
        questions = [q for q in questions if q.split == split]
        if not questions:
            raise EvaluationRefused(f"{shown}: no question is in the {split} split")
    labelled = _ids_with_split(path)
    units = {p.id: Span(p.doc, p.start, p.end) for p in bot.index.passages}
    system = System("quotebot", _Cancellable(bot, cancelled), units)
    results = run(questions, [system], None, sources=sources, progress=True)
    summary = {"question_set": shown, **summarise(questions, results, split)}
    with tempfile.TemporaryDirectory(prefix="quotebot-eval-") as tmp:
        out = Path(tmp)
        with open(out / "results.jsonl", "w", encoding="utf-8") as sink:
            sink.writelines(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in results)
        text = json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
        (out / "summary.json").write_text(text, encoding="utf-8")
        evaluation = Run(path, split, tuple(questions), tuple(results), summary, out)
        write_report(out / "report.html", evaluation)
        files = {name: (out / name).read_bytes() for name in OUTPUT_FILES}
    system_summary = next(iter(summary["systems"].values()))
    metrics = [[m, fmt(v, m)] for m, v in system_summary["overall"].items()]
    categories = list(system_summary["by_category"])
    plot = "".join(
        bar_chart(
            f"{m} by category",
            categories,
            {"quotebot": [system_summary["by_category"][c][m] for c in categories]},
        )
        for m in PLOTTED
    )
    by_id = {q.id: q for q in questions}
    rows = [result_row(r, is_failure(by_id[r.id], r), r.id in labelled) for r in results]
    failed = len(only_failures(rows, True))
    status = escape_markdown(
        f"{len(rows)} questions, {failed} failure(s), split {split}. {summary['note']}"
    )
    return EvalView(status, metrics, rows, plot, summary, files)


def _ids_with_split(path: Path) -> set[str]:
    """Return the ids of the questions whose line names a split (the others are unlabelled)."""
    ids = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            if isinstance(item, dict) and "split" in item:
                ids.add(item.get("id"))
    return ids


def result_row(result: Result, failure: bool, labelled: bool = True) -> list[Any]:
    """Return one row of the per-question table (columns as in RESULT_COLUMNS); the split is
    blank for a question whose line names none."""
    return [
        result.id,
        result.category,
        result.split if labelled else "",
        result.answerable,
        result.abstained,
        result.scores["citation_recall"],
        round(result.scores["f1"], 3),
        result.latency_ms,
        "failure" if failure else "",
        result.question,
        result.error or "",
    ]


def only_failures(rows: list[list[Any]], failures: bool) -> list[list[Any]]:
    """Return the result rows, or only the failed ones."""
    column = RESULT_COLUMNS.index("failure")
    return [r for r in rows if r[column]] if failures else rows


class Runs:
    """At most one running evaluation per session: each has a flag that stops it."""

    def __init__(self) -> None:
        self._running: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    def start(self, session: str) -> threading.Event:
        """Return the stop flag of a new run in `session`; raise EvaluationRefused when one is
        already running there."""
        with self._lock:
            if session in self._running:
                raise EvaluationRefused("an evaluation is already running for this page")
            flag = self._running[session] = threading.Event()
            return flag

    def finish(self, session: str) -> None:
        """Forget the run of `session`."""
        with self._lock:
            self._running.pop(session, None)

    def stop(self, session: str) -> bool:
        """Stop the run of `session` (before its next question); return whether one ran."""
        with self._lock:
            flag = self._running.get(session)
        if flag is not None:
            flag.set()
        return flag is not None

    def guarded(self, session: str, work: Callable[[threading.Event], EvalView]) -> EvalView:
        """Return `work(flag)` as this session's one run."""
        flag = self.start(session)
        try:
            return work(flag)
        finally:
            self.finish(session)
