"""The Gradio page: a thin class over a shared Bot and `quotebot.evaluation`. It lays out the chat,
the source viewer, the settings and the evaluation tab, and turns results into page text
through `ui.render`; it answers and scores nothing itself.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

try:
    import gradio as gr
except ImportError as exc:  # the page is the only part of quotebot that needs gradio
    raise ImportError(
        "the quotebot page needs gradio, which is not installed: run `make setup` "
        "or `pip install gradio==6.31.0`"
    ) from exc

from quotebot.bot.conversation import Turn
from quotebot.bot.question import is_follow_up

from quotebot.errors import QuestionError
from quotebot.settings import DEFAULT_QUESTION_SET

from .render import (
    answer_markdown,
    error_markdown,
    escape_markdown,
    question_markdown,
    source_html,
)

if TYPE_CHECKING:
    from quotebot.bot.bot import Bot
    from quotebot.bot.records import Answer
    from quotebot.evaluation.records import Result
    from quotebot.index.store import CorpusIndex

    from quotebot.settings import Settings

# Answers take tens of milliseconds of CPU on 2 cores: two at a time keeps both cores busy
# without oversubscribing torch, and 64 waiting questions (well under a second of work, and
# more than a 32-client load) is enough; past it Gradio answers "This application is
# currently busy. Please try again." instead of letting waits grow without bound.
# (Measured with `python -m bench.load`, 16 clients: 1, 2 and 4 at a time all served 33-34
# answers/s with p95 within 490-530 ms; the work is mostly Python under one lock.)
CHAT_CONCURRENCY = 2
QUEUE_MAX_SIZE = 64
# After every event Gradio recomputes, with pandas, a monitoring summary over up to 10,000
# recorded events, though the page serves no monitoring: answers/s fell from 30 to 26 within
# 90 s of load, and rose to 37-40 with one record kept and no recomputation.
GRADIO_ANALYTICS = {
    "GRADIO_ANALYTICS_MAX_EVENTS": "1",
    "GRADIO_ANALYTICS_CACHE_FREQUENCY": "2147483647",
}
MAX_UPLOAD = "5mb"
MAX_QUOTES_CHOICE = 5
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
EXAMPLES = 6
EXAMPLE_MAX_CHARS = 90
SHIPPED_SET = DEFAULT_QUESTION_SET
SHIPPED, UPLOADED = "The shipped set (evals/statement.jsonl)", "An uploaded JSONL file"
RESULT_COLUMNS = [
    "id", "category", "split", "answerable", "abstained", "citation_recall", "f1",
    "latency_ms", "failure", "question", "error",
]  # fmt: skip

CSS = """
.qb-source { position: relative; max-height: 74vh; overflow-y: auto; padding: 0 .75rem;
  line-height: 1.5; font-size: .95rem; }
.qb-doc-title { font-size: 1rem; margin: .4rem 0; }
.qb-turn { margin: .7rem 0; padding: .2rem .6rem; border-left: 3px solid #cbd5e1; }
.qb-role-title { border-left-color: transparent; font-weight: 600; }
.qb-role-question { background: #fff7ed; border-left-color: #f97316; font-style: italic;
  color: #431407; }
.qb-speaker { font-weight: 600; font-size: .8rem; letter-spacing: .02em; color: #475569; }
.qb-role-question .qb-speaker { color: #c2410c; font-style: normal; }
.qb-passage { white-space: pre-line; margin: .25rem 0; padding: .15rem .3rem;
  border-radius: 4px; }
.qb-pid { font: .7rem ui-monospace, Menlo, Consolas, monospace; color: #94a3b8; }
.qb-cited { background: #fef9c3; color: #1f2937; }
.qb-quote { background: #fde047; color: #1f2937; padding: 0 .1rem; }
.qb-focus { outline: 2px solid #2563eb; }
.qb-n { color: #1d4ed8; font-weight: 700; margin-left: .1rem; }
.qb-gap { color: #94a3b8; text-align: center; }
"""

# Runs once when the source viewer mounts: after each new highlight, scroll the viewer to the
# cited passage whose link was clicked, or else the first one; citation links in the chat
# scroll the viewer instead of navigating.
VIEWER_JS = """
const box = () => document.getElementById('qb-source');
const focus = (el) => {
  const b = box();
  if (!b || !el) return;
  b.querySelectorAll('.qb-focus').forEach((x) => x.classList.remove('qb-focus'));
  el.classList.add('qb-focus');
  b.scrollTop = Math.max(0, el.offsetTop - 40);  // keep the speaker line in view
};
watch('value', () => {
  const wanted = window.qbWanted && document.getElementById(window.qbWanted);
  window.qbWanted = null;
  const cited = wanted && wanted.classList.contains('qb-cited');
  focus(cited ? wanted : element.querySelector('.qb-cited'));
});
if (!window.qbCitationLinks) {
  window.qbCitationLinks = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#p-"]');
    if (!link) return;
    event.preventDefault();
    window.qbWanted = link.getAttribute('href').slice(1);
    focus(document.getElementById(window.qbWanted));
  }, true);
}
"""


@dataclass(frozen=True)
class Exchange:
    """One question and what the page replied: an answer, or an error to act on."""

    question: str
    reply: str
    answer: Answer | None = None


@dataclass(frozen=True)
class EvalView:
    """What the evaluation tab shows after a run."""

    status: str
    metrics: list[list[str]]
    results: list[list[Any]]
    plot: str
    files: list[str]


class QuotebotUI:
    """The page over one Bot; its index and models are shared by every session."""

    def __init__(self, bot: Bot):
        self.bot = bot
        self._bots: dict[tuple[int, str], Bot] = {}
        self._lock = threading.Lock()

    @property
    def index(self) -> CorpusIndex:
        """Return the shared corpus index."""
        return self.bot.index

    def bot_for(self, quotes: int, mode: str) -> Bot:
        """Return a Bot with these settings; it shares the index (and the cached models)."""
        settings = replace(self.bot.settings, max_quotes=int(quotes), llm=mode)
        if settings == self.bot.settings:
            return self.bot
        with self._lock:
            key = (int(quotes), mode)
            if key not in self._bots:
                self._bots[key] = type(self.bot)(settings, index=self.index)
            return self._bots[key]

    # ------------------------------------------------------------------ chat handlers

    def respond(
        self, question: str, exchanges: list[Exchange], quotes: int, mode: str
    ) -> Iterator[tuple[str, list[dict], str, list[Exchange]]]:
        """Yield (question box, chat messages, source viewer, state) as the answer grows."""
        history = [Turn.of(e.answer) for e in exchanges if e.answer is not None]
        try:
            for event in self.bot_for(quotes, mode).stream(question, history):
                answer = event.answer
                done = [*exchanges, Exchange(question, answer_markdown(answer), answer)]
                yield "", messages(done), source_html(self.index, answer.citations), done
        except QuestionError as exc:
            done = [*exchanges, Exchange(question, error_markdown(str(exc)))]
            yield question, messages(done), self.viewer(exchanges), done

    def viewer(self, exchanges: list[Exchange]) -> str:
        """Return the source viewer highlighting the latest answer's citations."""
        latest = next((e.answer for e in reversed(exchanges) if e.answer is not None), None)
        return source_html(self.index, latest.citations if latest else ())

    def show_exchange(self, exchanges: list[Exchange], evt: gr.SelectData) -> str:
        """Return the source viewer for the answer of the clicked message."""
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not isinstance(row, int) or not 0 <= row // 2 < len(exchanges):
            return self.viewer(exchanges)
        answer = exchanges[row // 2].answer
        return source_html(self.index, answer.citations if answer else ())

    def new_conversation(self) -> tuple[str, list[dict], str, list[Exchange]]:
        """Return an empty question box, chat, unmarked source viewer and state."""
        return "", [], source_html(self.index), []

    # ------------------------------------------------------------------ evaluation handlers

    def run_evaluation(
        self,
        choice: str,
        upload: str | None,
        split: str,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - gradio's idiom
    ) -> tuple[str, list[list[str]], list[list[Any]], str, list[str], list[list[Any]]]:
        """Run a question set with `quotebot.evaluation`; return the tab's status, metrics table,
        results table, plot, files to download, and all result rows (for the filter).

        `progress` is never called: it makes Gradio show the evaluation's tqdm bar.
        """
        from quotebot.evaluation.records import QuestionSetError
        from quotebot.index.corpus import CorpusError
        from quotebot.index.store import IndexCorrupt

        if choice == UPLOADED and not upload:
            return error_markdown("upload a JSONL question set first"), [], [], "", [], []
        path = Path(upload) if choice == UPLOADED else SHIPPED_SET
        try:
            view = evaluate_file(path, self.bot.settings, split)
        except (QuestionSetError, CorpusError, IndexCorrupt, OSError) as exc:
            return error_markdown(str(exc)), [], [], "", [], []
        return view.status, view.metrics, view.results, view.plot, view.files, view.results

    # ------------------------------------------------------------------ layout

    def build(self) -> gr.Blocks:
        """Return the page: a chat tab and an evaluation tab."""
        with gr.Blocks(title="quotebot", analytics_enabled=False) as demo:
            gr.Markdown(
                "## quotebot\nAsk about the statement. Every answer is quoted verbatim from "
                "it, checked against the source, and cited; when the statement does not say, "
                "quotebot says so."
            )
            with gr.Tab("Chat"):
                self._chat_tab()
            with gr.Tab("Evaluation"):
                self._evaluation_tab()
        return demo

    def _chat_tab(self) -> None:
        exchanges = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    elem_id="qb-chat",
                    height=560,
                    buttons=["copy", "copy_all"],
                    latex_delimiters=[],
                    feedback_options=None,
                    group_consecutive_messages=False,
                    placeholder="Ask a question about the statement, or pick an example.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask about the statement\u2026",
                        show_label=False,
                        elem_id="qb-question",
                        scale=5,
                        autofocus=True,
                    )
                    ask = gr.Button("Ask", variant="primary", elem_id="qb-ask", scale=1)
                gr.Examples(
                    [[q] for q in example_questions(self.index)],
                    inputs=question,
                    label="Questions from the statement",
                )
                new = gr.Button("New conversation", elem_id="qb-new", size="sm")
                quotes, mode = self._settings_accordion()
            with gr.Column(scale=4):
                gr.Markdown("### The statement")
                viewer = gr.HTML(source_html(self.index), elem_id="qb-viewer", js_on_load=VIEWER_JS)
        chat = {"outputs": [question, chatbot, viewer, exchanges], "show_progress": "hidden"}
        inputs = [question, exchanges, quotes, mode]
        question.submit(self.respond, inputs, concurrency_id="chat", **chat)
        ask.click(self.respond, inputs, concurrency_id="chat", **chat)
        new.click(self.new_conversation, None, queue=False, **chat)
        chatbot.clear(self.new_conversation, None, queue=False, **chat)
        chatbot.select(self.show_exchange, exchanges, viewer, queue=False)

    def _settings_accordion(self) -> tuple[gr.Slider, gr.Radio]:
        settings = self.bot.settings
        modes = available_modes(settings)
        ready = len(modes) > 1
        with gr.Accordion("Settings", open=False):
            quotes = gr.Slider(
                1,
                MAX_QUOTES_CHOICE,
                value=min(settings.max_quotes, MAX_QUOTES_CHOICE),
                step=1,
                label="Quotes per answer (at most)",
            )
            mode = gr.Radio(
                modes,
                value=settings.llm if settings.llm in modes else "none",
                label="Answer mode",
                interactive=ready,
                info="none: quotes only; local or openai: the quotes, then a generated paragraph"
                if ready
                else "quotes only: no LLM backend is installed (pip install -e '.[llm]')",
            )
        return quotes, mode

    def _evaluation_tab(self) -> None:
        rows = gr.State([])
        gr.Markdown(
            "Run a question set through the bot and score it (SQuAD EM/F1, citation recall and "
            "precision, recall@k, MRR, abstention, latency). The format is described in "
            "`evaluation/questions.py`."
        )
        with gr.Row():
            choice = gr.Radio(
                [SHIPPED, UPLOADED] if SHIPPED_SET.exists() else [UPLOADED],
                value=SHIPPED if SHIPPED_SET.exists() else UPLOADED,
                label="Question set",
            )
            upload = gr.File(label="JSONL question set", file_types=[".jsonl"], type="filepath")
            split = gr.Radio(["all", "dev", "test"], value="all", label="Split")
        run = gr.Button("Run the evaluation", variant="primary", elem_id="qb-eval-run")
        status = gr.Markdown(elem_id="qb-eval-status")
        with gr.Row():
            metrics = gr.Dataframe(
                headers=["metric", "value"],
                label="Metrics",
                interactive=False,
                scale=1,
                elem_id="qb-eval-metrics",
            )
            plot = gr.HTML(elem_id="qb-eval-plot")
        failures_only = gr.Checkbox(label="Show only failures", elem_id="qb-failures-only")
        results = gr.Dataframe(
            headers=RESULT_COLUMNS,
            label="Per-question results",
            interactive=False,
            wrap=True,
            elem_id="qb-eval-results",
        )
        files = gr.File(
            label="Download the results",
            file_count="multiple",
            interactive=False,
            elem_id="qb-eval-files",
        )

        run.click(
            self.run_evaluation,
            [choice, upload, split],
            [status, metrics, results, plot, files, rows],
            concurrency_id="eval",
            concurrency_limit=1,
        ).then(only_failures, [rows, failures_only], results, queue=False)
        failures_only.change(only_failures, [rows, failures_only], results, queue=False)

    # ------------------------------------------------------------------ serving

    def launch(
        self,
        host: str = "127.0.0.1",
        port: int = 7860,
        auth: tuple[str, str] | None = None,
        block: bool = True,
    ) -> gr.Blocks:
        """Serve the page on `host:port` (never shared, no analytics) and print its URL."""
        demo = self.build()
        for name, value in GRADIO_ANALYTICS.items():  # read when the queue is made
            os.environ.setdefault(name, value)
        demo.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_MAX_SIZE)
        demo.launch(
            server_name=host,
            server_port=port,
            auth=auth,
            auth_message="Sign in with the user and password given to quotebot ui --auth.",
            share=False,
            quiet=True,
            prevent_thread_lock=True,
            ssr_mode=False,
            pwa=False,
            mcp_server=False,
            enable_monitoring=False,
            max_file_size=MAX_UPLOAD,
            footer_links=["settings"],
            theme=theme(),
            css=CSS,
        )
        print(f"quotebot: the page is at {url(host, port)} (Ctrl-C stops it)", flush=True)
        if block:
            demo.block_thread()
        return demo


def messages(exchanges: list[Exchange]) -> list[dict[str, Any]]:
    """Return the chat messages for `exchanges`: each question, then its reply."""
    out: list[dict[str, Any]] = []
    for e in exchanges:
        out.append({"role": "user", "content": question_markdown(e.question)})
        out.append({"role": "assistant", "content": e.reply})
    return out


def example_questions(index: CorpusIndex, limit: int = EXAMPLES) -> list[str]:
    """Return up to `limit` short journalists' questions from the statement that stand alone
    (not follow-ups like "Was it discussed?")."""
    found: list[str] = []
    for p in index.passages:
        if p.role != "question":
            continue
        source = index.source(p.doc)
        for start, end in p.sentences:
            text = " ".join(source[start:end].split())
            if text.endswith("?") and len(text) <= EXAMPLE_MAX_CHARS and not is_follow_up(text):
                found.append(text)
    return list(dict.fromkeys(found))[:limit]


def evaluate_file(path: Path, settings: Settings, split: str) -> EvalView:
    """Run `quotebot eval` on `path` into a new folder and return what the tab shows."""
    from quotebot.evaluation.report import PLOTTED, bar_chart, is_failure
    from quotebot.evaluation.runner import evaluate
    from quotebot.evaluation.summary import fmt

    out = Path(tempfile.mkdtemp(prefix="quotebot-eval-"))
    run = evaluate(path, settings, out, split=split)
    questions = {q.id: q for q in run.questions}
    system = next(iter(run.summary["systems"].values()))
    metrics = [[m, fmt(v, m)] for m, v in system["overall"].items()]
    categories = list(system["by_category"])
    plot = "".join(
        bar_chart(
            f"{m} by category",
            categories,
            {"quotebot": [system["by_category"][c][m] for c in categories]},
        )
        for m in PLOTTED
    )
    rows = [result_row(r, is_failure(questions[r.id], r)) for r in run.results]
    failed = len(only_failures(rows, True))
    status = escape_markdown(
        f"{len(rows)} questions, {failed} failure(s), split {split}. {run.summary['note']}"
    )
    files = [str(out / name) for name in ("results.jsonl", "summary.json", "report.html")]
    return EvalView(status, metrics, rows, plot, files)


def result_row(result: Result, failure: bool) -> list[Any]:
    """Return one row of the per-question table (columns as in RESULT_COLUMNS)."""
    return [
        result.id,
        result.category,
        result.split,
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


def available_modes(settings: Settings) -> list[str]:
    """Return the answer modes offered on the page (see `bot.llm.available_modes`)."""
    try:
        llm = importlib.import_module("quotebot.bot.llm")
    except ImportError:
        return ["none"]
    return llm.available_modes(settings)


def theme() -> gr.themes.Base:
    """Return the page theme with system fonts only, so the page fetches nothing from outside."""
    return gr.themes.Soft(
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
    )


def bind_warning(host: str, auth: tuple[str, str] | None) -> str | None:
    """Return a warning when the page would be reachable from other machines without a login."""
    if host in LOOPBACK or auth is not None:
        return None
    return (
        f"serving on {host} without --auth: anyone who can reach this machine can use the "
        "page; add --auth USER:PASS, or use --host 127.0.0.1"
    )


def url(host: str, port: int) -> str:
    """Return the address to open in a browser for `host:port`."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"


def serve(bot: Bot, host: str, port: int, auth: tuple[str, str] | None = None) -> None:
    """Warn about an open bind, then serve the page until interrupted."""
    warning = bind_warning(host, auth)
    if warning:
        print(f"quotebot: warning: {warning}", file=sys.stderr)
    QuotebotUI(bot).launch(host, port, auth)
