"""The Gradio page: a thin class over a shared Bot. It lays out the chat, the source viewer,
the settings and the evaluation tab, and turns results into page text through `ui.render`;
it answers and scores nothing itself.

Memory per session is kept small: the corpus, the models and each document's passages are held
once (`SourceViewer`); a session holds its conversation, and the viewer it shows is only the
cited passages' neighbourhood, sent when it changes.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

try:
    import gradio as gr
except ImportError as exc:  # the page is the only part of quotebot that needs gradio
    raise ImportError(
        "the quotebot page needs gradio, which is not installed: run `make setup` "
        "or `pip install gradio==6.31.0`"
    ) from exc
import anyio  # gradio's dependency
from quotebot.bot.conversation import Turn
from quotebot.bot.question import is_follow_up

from quotebot.errors import QuestionError
from quotebot.settings import DEFAULT_QUESTION_SET

from .evaluation import (
    RESULT_COLUMNS,
    EvaluationCancelled,
    EvaluationRefused,
    Limits,
    Runs,
    evaluate_set,
    only_failures,
)
from .library import ALL, document, library_panel
from .render import EMPTY_VIEWER, SourceViewer, error_markdown
from .transcript import (
    Exchange,
    messages,
    restored,
    saved,
    transcript_json,
    transcript_markdown,
)

if TYPE_CHECKING:
    from quotebot.bot.bot import Bot
    from quotebot.bot.records import Citation
    from quotebot.index.store import CorpusIndex

    from quotebot.settings import Settings

# A quotes-only answer takes about 10 ms of CPU: it is not put on Gradio's queue (one POST from
# the browser, where the queue costs a join, an event stream and the queue's polling: 45
# answers/s at 16 clients instead of 35, docs/performance.md). Two are answered at a time
# (1, 2 and 4 served the same answers/s: the work is mostly Python under one lock) and at most
# 64 more wait; past that the page answers "busy" at once instead of letting waits grow.
# An LLM writes one answer at a time, on Gradio's queue (cancellable, streamed), with the same
# limit on waiting answers: quotes-only answers never wait for it.
CHAT_CONCURRENCY = 2
LLM_CONCURRENCY = 1
QUEUE_MAX_SIZE = 64
BUSY = "the server is busy answering other questions; ask again in a moment"
T = TypeVar("T")
# Sessions kept in memory (Gradio's default is 10,000), and how long an idle conversation and
# the page's temporary files (uploads, downloads) are kept; the browser keeps the conversation.
SESSION_CAPACITY = 5_000
SESSION_TTL_S = 4 * 3600
DELETE_CACHE = (3600, 4 * 3600)
MAX_UPLOAD = "5mb"
MAX_QUOTES_CHOICE = 5
EXAMPLES = 6
EXAMPLE_MAX_CHARS = 90
SHIPPED_SET = DEFAULT_QUESTION_SET
SHIPPED, UPLOADED = "The shipped set (evals/statement.jsonl)", "An uploaded JSONL file"
SAVED_KEY = "quotebot-conversation"

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
.qb-empty { color: #64748b; }
.qb-close { display: none; }
.qb-hidden { display: none !important; }
#qb-eval-plot svg { max-width: 100%; height: auto; }
#qb-eval-metrics, #qb-eval-results { max-width: 100%; overflow-x: auto; }
@media (max-width: 480px) {
  #qb-viewer-col { position: fixed; left: 0; right: 0; bottom: 0; z-index: 1000;
    max-height: 70vh; min-width: 0 !important; background: var(--background-fill-primary);
    border-top: 2px solid #2563eb; box-shadow: 0 -4px 16px rgba(0, 0, 0, .2);
    transform: translateY(110%); transition: transform .2s; }
  #qb-viewer-col.qb-open { transform: none; }
  #qb-viewer-col .qb-source { max-height: 62vh; }
  .qb-close { display: block; position: sticky; top: 0; margin-left: auto; z-index: 1;
    font-size: 1.4rem; line-height: 1; padding: .2rem .6rem; border: 0;
    background: var(--background-fill-primary); }
}
"""

# Runs once when the source viewer mounts. After each new viewer, scroll to the cited passage
# whose link was clicked, or else the first one; citation links in the chat scroll the viewer
# instead of navigating (on a phone they open the viewer as a drawer, which × closes). A chat
# message's Copy button copies the message as plain text, with its citations written out.
VIEWER_JS = """
const box = () => document.getElementById('qb-source');
const drawer = () => document.getElementById('qb-viewer-col');
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
const plain = (message) => {
  const parts = [];
  message.querySelectorAll(':scope p, :scope blockquote').forEach((el) => {
    if (el.tagName === 'P' && el.closest('blockquote')) return;
    parts.push(el.innerText.split('\\n').map((s) => s.trim()).filter(Boolean).join(' '));
  });
  return parts.filter(Boolean).join('\\n\\n') || message.innerText.trim();
};
if (!window.qbDocumentHandlers) {
  window.qbDocumentHandlers = true;
  document.addEventListener('click', (event) => {
    const target = event.target.closest ? event.target : event.target.parentElement;
    if (target.closest('.qb-close')) {
      drawer().classList.remove('qb-open');
      return;
    }
    const copy = target.closest('#qb-chat button[aria-label^="Copy message"]');
    let holder = copy;
    while (holder && !holder.querySelector('.message')) holder = holder.parentElement;
    const before = holder ? [...holder.querySelectorAll('.message')].filter(
      (m) => m.compareDocumentPosition(copy) & Node.DOCUMENT_POSITION_FOLLOWING) : [];
    const message = before.pop();  // the message the button follows
    if (message) {
      event.preventDefault();
      event.stopPropagation();
      navigator.clipboard.writeText(plain(message));
      return;
    }
    const link = target.closest('a[href^="#p-"]');
    if (!link) return;
    event.preventDefault();
    window.qbWanted = link.getAttribute('href').slice(1);
    drawer().classList.add('qb-open');
    focus(document.getElementById(window.qbWanted));
  }, true);
}
"""
# Ask shown, Stop hidden, set in the browser (Gradio applies an update a script returns): an
# LLM answer cancelled by a new question or a new conversation leaves Stop shown, and a
# quotes-only answer need not send the buttons (two components Gradio builds for each answer).
IDLE_JS = "[{__type__: 'update', visible: true}, {__type__: 'update', visible: false}]"
# Asking empties the question box for the next question, keeps the question to answer, and
# shows Ask.
TAKE_JS = f"(question) => ['', question, ...{IDLE_JS}]"
# After a question is taken: answer it in the LLM's queue or in the quotes-only one, once the
# page's load event has brought a saved conversation back (RESTORED_JS). A question asked before
# then was answered without that history, and whichever reply came last emptied the other: the
# saved conversation, or the answer.
ROUTE_JS = """async (mode) => {
  if (!window.qbRestored) await new Promise((go) => (window.qbOnRestored ||= []).push(go));
  document.getElementById(mode && mode !== 'none' ? 'qb-go-llm' : 'qb-go').click();
}"""
RESTORED_JS = """() => {
  window.qbRestored = true;
  (window.qbOnRestored || []).splice(0).forEach((go) => go());
}"""

SKIP = gr.skip()
ASKING = (gr.update(visible=False), gr.update(visible=True))  # Ask hidden, Stop shown
IDLE = (gr.update(visible=True), gr.update(visible=False))


def history_of(exchanges: list[Exchange]) -> list[Turn]:
    """Return the earlier turns a follow-up is answered with: the answered exchanges."""
    return [Turn.of(e.answer) for e in exchanges if e.answer is not None]


def kept(done: list[Exchange]) -> tuple:
    """Return (exchanges, saved conversation) as an answer's last snapshot sets them."""
    return done, saved(done)


def refusal(question: str, exchanges: list[Exchange], exc: QuestionError) -> tuple:
    """Return (question box, chat, source viewer, exchanges, saved conversation) for a refused
    question: the box gets it back, the chat the reason."""
    done = [*exchanges, Exchange.refused(question, str(exc))]
    return question, messages(done), SKIP, done, SKIP


class QuotebotUI:
    """The page over one Bot; its index, models and documents are shared by every session."""

    def __init__(self, bot: Bot, limits: Limits = Limits()):  # noqa: B008 - frozen
        self.bot = bot
        self.sources = SourceViewer(bot.index)
        self.modes = offered_modes(bot.settings)
        self.limits = limits
        self.evaluations = Runs()
        self._answering = anyio.CapacityLimiter(CHAT_CONCURRENCY)
        self._admitted = 0  # quotes-only answers under way or waiting (on the event loop)
        self._bots: dict[tuple[int, str], Bot] = {}
        self._lock = threading.Lock()

    @property
    def index(self) -> CorpusIndex:
        """Return the shared corpus index."""
        return self.bot.index

    def use(self, bot: Bot) -> None:
        """Answer from `bot` from now on (documents were added); answers under way finish."""
        sources = SourceViewer(bot.index)
        with self._lock:
            self.bot, self.sources, self._bots = bot, sources, {}

    def bot_for(self, quotes: int, mode: str) -> Bot:
        """Return a Bot with these settings; it shares the index (and the cached models).

        Raises QuestionError for a mode the server does not offer or a quote count out of range.
        """
        if mode not in self.modes:
            raise QuestionError(
                f"answer mode {mode!r} is not offered by this server (offered: "
                f"{', '.join(self.modes)}; the operator chooses with quotebot ui --llm)"
            )
        if not isinstance(quotes, (int, float)) or not 1 <= quotes <= MAX_QUOTES_CHOICE:
            raise QuestionError(f"quotes must be a number from 1 to {MAX_QUOTES_CHOICE}")
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
        self, question: str, exchanges: list[Exchange], quotes: int, mode: str, scope: str = ALL
    ) -> tuple:
        """Return (question box, chat, source viewer, exchanges, saved conversation) for the
        answer to `question` from the document `scope` (or ALL), quotes only: found in
        milliseconds, it is sent whole, as one event (a streamed one cost Gradio a snapshot
        more per answer). The box gets the question back when it is refused."""
        try:
            bot = self.bot_for(quotes, mode)
            if mode != "none":
                raise QuestionError(f"answer mode {mode!r} is not answered by respond")
            answer = bot.answer(question, history_of(exchanges), doc=document(scope))
        except QuestionError as exc:
            return refusal(question, exchanges, exc)
        done = [*exchanges, Exchange.answered(question, answer)]
        return SKIP, messages(done), self.sources.html(tuple(answer.citations)), *kept(done)

    async def respond_admitted(
        self, question: str, exchanges: list[Exchange], quotes: int, mode: str, scope: str = ALL
    ) -> tuple:
        """The page's quotes-only handler: `respond`, admitted (`admitted`), or refused at
        once as BUSY."""
        answer = partial(self.respond, question, exchanges, quotes, mode, scope)
        busy = partial(refusal, question, exchanges, QuestionError(BUSY))
        return await self.admitted(answer, busy)

    async def admitted(self, work: Callable[[], T], busy: Callable[[], T]) -> T:
        """Return `work()`, run on a worker thread, CHAT_CONCURRENCY at a time: the page's
        quotes-only answers and the API's share the limit. When QUEUE_MAX_SIZE more are
        waiting, return `busy()` at once, before it takes a thread. Called on the server's
        event loop, where the count needs no lock."""
        if self._admitted >= CHAT_CONCURRENCY + QUEUE_MAX_SIZE:
            return busy()
        self._admitted += 1
        try:
            return await anyio.to_thread.run_sync(work, limiter=self._answering)
        finally:
            self._admitted -= 1

    def respond_llm(
        self, question: str, exchanges: list[Exchange], quotes: int, mode: str, scope: str = ALL
    ) -> Iterator[tuple]:
        """Yield what `respond` returns, and (Ask, Stop), as the answer grows with the local
        LLM's words, one snapshot per event of `Bot.stream`; outputs that did not change are
        skipped. Ask becomes Stop with the first snapshot; the last gives the browser the
        conversation to save and the Ask button back."""
        try:
            sources, bot = self.sources, self.bot_for(quotes, mode)
            if mode == "none":
                raise QuestionError("answer mode 'none' is not answered by respond_llm")
            shown: tuple[Citation, ...] | None = None
            buttons = ASKING  # Ask becomes Stop with the first snapshot
            for event in bot.stream(question, history_of(exchanges), doc=document(scope)):
                answer = event.answer
                done = [*exchanges, Exchange.answered(question, answer)]
                cited = tuple(answer.citations)
                viewer = SKIP if cited == shown else sources.html(cited)
                shown = cited
                if event.kind == "final":
                    yield SKIP, messages(done), viewer, *kept(done), *IDLE
                    return
                yield SKIP, messages(done), viewer, done, SKIP, *buttons
                buttons = (SKIP, SKIP)
        except QuestionError as exc:
            yield *refusal(question, exchanges, exc), *IDLE

    def stopped(self) -> tuple:
        """Return (Ask, Stop) as they are when no answer streams."""
        return IDLE

    def show_exchange(self, exchanges: list[Exchange], evt: gr.SelectData) -> str:
        """Return the source viewer for the answer of the clicked message."""
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not isinstance(row, int) or not 0 <= row // 2 < len(exchanges):
            return SKIP
        answer = exchanges[row // 2].answer
        return self.sources.html(answer.citations if answer else ())

    def new_conversation(self) -> tuple:
        """Return (question box, chat, source viewer, exchanges, saved conversation) emptied."""
        return "", [], EMPTY_VIEWER, [], []

    def restore(self, data: object) -> tuple:
        """Return (chat, exchanges) for the conversation the browser saved, its quotes checked
        again against the source (the viewer opens when a citation is clicked); both skipped
        when it saved none. In the page a question waits for this (ROUTE_JS); a script calling
        the events may still ask first, and with nothing saved its answer is kept: the load's
        reply came after the first answer under load and erased it (an empty chat, then the
        second question answered as the first)."""
        exchanges = restored(data, self.index)
        if not exchanges:
            return SKIP, SKIP
        return messages(exchanges), exchanges

    def export(self, exchanges: list[Exchange]) -> list[str] | None:
        """Return the conversation as downloads: conversation.md and conversation.json."""
        from gradio.processing_utils import save_bytes_to_cache

        if not exchanges:
            return None
        cache = gr.utils.get_upload_folder()
        return [
            save_bytes_to_cache(transcript_markdown(exchanges).encode(), "conversation.md", cache),
            save_bytes_to_cache(transcript_json(exchanges).encode(), "conversation.json", cache),
        ]

    # ------------------------------------------------------------------ evaluation handlers

    def run_evaluation(
        self,
        choice: str,
        upload: str | None,
        split: str,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(track_tqdm=True),  # noqa: B008 - gradio's idiom
    ) -> tuple[str, list[list[str]], list[list[Any]], str, list[str] | None, list[list[Any]]]:
        """Run a question set; return the tab's status, metrics table, results table, plot,
        files to download, and all result rows (for the filter). One run per session; Stop
        or closing the page stops it before its next question.

        `progress` is never called: it makes Gradio show the evaluation's tqdm bar.
        """
        from gradio.processing_utils import save_bytes_to_cache
        from quotebot.index.corpus import CorpusError

        if choice == UPLOADED and not upload:
            return error_markdown("upload a JSONL question set first"), [], [], "", None, []
        path = Path(upload) if choice == UPLOADED else SHIPPED_SET
        shown = path.name if choice == UPLOADED else "evals/statement.jsonl"

        def work(flag: threading.Event):
            return evaluate_set(path, self.bot, split, flag, self.limits, shown)

        try:
            view = self.evaluations.guarded(session_of(request), work)
        except EvaluationCancelled:
            return error_markdown("the evaluation was stopped"), [], [], "", None, []
        except (EvaluationRefused, CorpusError, OSError) as exc:
            return error_markdown(f"cannot run the question set: {exc}"), [], [], "", None, []
        cache = gr.utils.get_upload_folder()
        files = [save_bytes_to_cache(data, name, cache) for name, data in view.files.items()]
        return view.status, view.metrics, view.results, view.plot, files, view.results

    def stop_evaluation(self, request: gr.Request) -> None:
        """Stop this session's evaluation before its next question."""
        self.evaluations.stop(session_of(request))

    # ------------------------------------------------------------------ layout

    def build(self) -> gr.Blocks:
        """Return the page: a chat tab and an evaluation tab."""
        with gr.Blocks(
            title="quotebot", analytics_enabled=False, delete_cache=DELETE_CACHE
        ) as demo:
            gr.Markdown(
                "## quotebot\nAsk about the statement. Every answer is quoted verbatim from "
                "it, checked against the source, and cited; when the statement does not say, "
                "quotebot says so."
            )
            with gr.Tab("Chat"):
                self._chat_tab(demo)
            with gr.Tab("Evaluation"):
                self._evaluation_tab(demo)
        demo.state_session_capacity = SESSION_CAPACITY
        return demo

    def _chat_tab(self, demo: gr.Blocks) -> None:
        exchanges = gr.State([], time_to_live=SESSION_TTL_S)
        kept = gr.BrowserState([], storage_key=SAVED_KEY)
        with gr.Row(equal_height=False):
            with gr.Column(scale=5, min_width=280):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    elem_id="qb-chat",
                    height=560,
                    buttons=["copy"],
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
                    stop = gr.Button(
                        "Stop", variant="stop", elem_id="qb-stop", scale=1, visible=False
                    )
                pending = gr.Textbox(visible=False)
                go = gr.Button(elem_id="qb-go", elem_classes="qb-hidden")
                go_llm = gr.Button(elem_id="qb-go-llm", elem_classes="qb-hidden")
                examples = gr.Examples(
                    [[q] for q in example_questions(self.index)],
                    inputs=question,
                    label="Questions from the statement (click to ask)",
                )
                with gr.Row():
                    new = gr.Button("New conversation", elem_id="qb-new", size="sm")
                    export = gr.Button("Download the conversation", elem_id="qb-export", size="sm")
                downloads = gr.File(
                    label="The conversation (Markdown and JSON)",
                    file_count="multiple",
                    interactive=False,
                    visible=True,
                    elem_id="qb-downloads",
                )
                quotes, mode = self._settings_accordion()
                scope = library_panel(self)
            with gr.Column(scale=4, min_width=280, elem_id="qb-viewer-col"):
                gr.Markdown("### The source")
                viewer = gr.HTML(EMPTY_VIEWER, elem_id="qb-viewer", js_on_load=VIEWER_JS)

        answer = {
            "inputs": [pending, exchanges, quotes, mode, scope],
            "outputs": [question, chatbot, viewer, exchanges, kept],
            "show_progress": "hidden",
            "trigger_mode": "always_last",
        }
        go.click(self.respond_admitted, api_name="respond", queue=False, **answer)
        answering = go_llm.click(  # cancelled by a new question, Stop or a new conversation
            self.respond_llm,
            concurrency_id="llm",
            concurrency_limit=LLM_CONCURRENCY,
            api_name="respond_llm",
            **{**answer, "outputs": [*answer["outputs"], ask, stop]},
        )
        taking = {  # in the browser, at once: a question typed next is never overwritten
            "fn": None,
            "js": TAKE_JS,
            "inputs": question,
            "outputs": [question, pending, ask, stop],
            "queue": False,
            "cancels": answering,
            "api_visibility": "private",
        }
        route = {"fn": None, "inputs": mode, "js": ROUTE_JS, "queue": False}
        question.submit(**taking).then(**route)
        ask.click(**taking).then(**route)
        examples.load_input_event.then(**taking).then(**route)
        stop.click(self.stopped, None, [ask, stop], queue=False, cancels=answering)

        cleared = {"outputs": [question, chatbot, viewer, exchanges, kept], "queue": False}
        idle = {"fn": None, "js": f"() => {IDLE_JS}", "outputs": [ask, stop], "queue": False}
        new.click(self.new_conversation, None, cancels=answering, **cleared).then(**idle)
        chatbot.clear(self.new_conversation, None, cancels=answering, **cleared).then(**idle)
        chatbot.select(self.show_exchange, exchanges, viewer, queue=False)
        export.click(self.export, exchanges, downloads, queue=False)
        restoring = demo.load(self.restore, kept, [chatbot, exchanges], queue=False)
        restoring.then(None, js=RESTORED_JS, queue=False)  # after it, even when it failed

    def _settings_accordion(self) -> tuple[gr.Slider, gr.Radio]:
        settings = self.bot.settings
        ready = len(self.modes) > 1
        with gr.Accordion("Settings", open=False):
            quotes = gr.Slider(
                1,
                MAX_QUOTES_CHOICE,
                value=min(settings.max_quotes, MAX_QUOTES_CHOICE),
                step=1,
                label="Quotes per answer (at most)",
            )
            mode = gr.Radio(
                self.modes,
                value=settings.llm if settings.llm in self.modes else "none",
                label="Answer mode",
                interactive=ready,
                info=f"none: quotes only; {self.modes[-1]}: the quotes, then a generated paragraph"
                if ready
                else "quotes only (the server was started without --llm)",
            )
        return quotes, mode

    def _evaluation_tab(self, demo: gr.Blocks) -> None:
        rows = gr.State([], time_to_live=SESSION_TTL_S)
        gr.Markdown(
            "Run a question set through the bot and score it (SQuAD EM/F1, citation recall and "
            "precision, recall@k, MRR, abstention, latency). The format is described in "
            f"`evaluation/runner.py`; at most {self.limits.max_questions:,} questions and "
            f"{self.limits.max_bytes:,} bytes."
        )
        with gr.Row():
            choice = gr.Radio(
                [SHIPPED, UPLOADED] if SHIPPED_SET.exists() else [UPLOADED],
                value=SHIPPED if SHIPPED_SET.exists() else UPLOADED,
                label="Question set",
            )
            upload = gr.File(label="JSONL question set", file_types=[".jsonl"], type="filepath")
            split = gr.Radio(["all", "dev", "test"], value="all", label="Split")
        with gr.Row():
            run = gr.Button("Run the evaluation", variant="primary", elem_id="qb-eval-run")
            stop = gr.Button("Stop", variant="stop", elem_id="qb-eval-stop")
        status = gr.Markdown(elem_id="qb-eval-status")
        with gr.Row():
            metrics = gr.Dataframe(
                headers=["metric", "value"],
                label="Metrics",
                interactive=False,
                scale=1,
                min_width=240,
                elem_id="qb-eval-metrics",
            )
            plot = gr.HTML(elem_id="qb-eval-plot", min_height=0)
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

        running = run.click(
            self.run_evaluation,
            [choice, upload, split],
            [status, metrics, results, plot, files, rows],
            concurrency_id="eval",
            concurrency_limit=1,
        )
        running.then(only_failures, [rows, failures_only], results, queue=False)
        stop.click(self.stop_evaluation, None, None, queue=False)
        demo.unload(self.stop_evaluation)
        failures_only.change(only_failures, [rows, failures_only], results, queue=False)


def session_of(request: gr.Request | None) -> str:
    """Return the Gradio session a request belongs to."""
    return getattr(request, "session_hash", None) or "no-session"


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
            if len(dict.fromkeys(found)) >= limit:
                return list(dict.fromkeys(found))
    return list(dict.fromkeys(found))[:limit]


def offered_modes(settings: Settings) -> list[str]:
    """Return the answer modes the page and the API accept: quotes only ("none"), and the LLM
    the server was started with (`--llm`) when it can run here (`bot.llm.available_modes`)."""
    if settings.llm == "none":
        return ["none"]
    try:
        llm = importlib.import_module("quotebot.bot.llm")
    except ImportError:
        return ["none"]
    return ["none", settings.llm] if settings.llm in llm.available_modes(settings) else ["none"]


def theme() -> gr.themes.Base:
    """Return the page theme with system fonts only, so the page fetches nothing from outside."""
    return gr.themes.Soft(
        font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
        font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
    )


def serve(bot: Bot, host: str, port: int, auth: tuple[str, str] | None = None, **options) -> None:
    """Serve the page and the API until interrupted (`ui.server.serve`, which takes `options`:
    eval_max_bytes, eval_max_questions)."""
    from .server import serve as serve_forever

    serve_forever(bot, host, port, auth, **options)
