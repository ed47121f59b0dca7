"""Generated answers: an optional LLM writes a one-paragraph lead-in over the extractive answer.

Backends are LangChain chat models, chosen by `Settings.llm`:
- `none` (default): no generation; `make_llm` returns None.
- `local`: Qwen2.5-Coder-1.5B-Instruct (GGUF rebuilt from the `llm` extra's part packages)
  run in-process by xllamacpp, wrapped as `LocalChatModel`.
- `openai`: any OpenAI-compatible server (llama.cpp server, Ollama, vLLM) through
  langchain-openai's `ChatOpenAI`, at `Settings.llm_base_url` with `Settings.llm_model`.

The extractive answer always comes first. The model sees numbered passages, delimited as
quoted material (data, never instructions), and must cite them as [n]; `bot.grounding` checks
what it wrote. When retrieval abstained the model is not called, and any failure (missing
package or model, server down, unusable output) gives back the extractive answer with a notice.
`Settings.llm_timeout_s` bounds a whole generation: when it is reached, the finished sentences
that pass grounding are kept. Local generations take a slot of `LOCAL_GENERATION` (one at a
time by default), and are stopped, never abandoned, when the reader stops or the process exits.
Nothing here raises to the user.
"""

from __future__ import annotations

import atexit
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from quotebot.index.records import Passage

from quotebot import prompts
from quotebot.settings import Settings

from .conversation import Turn, as_turns
from .grounding import ground, whole_sentences
from .model_file import ensure_model, model_path
from .records import Answer

BACKENDS = ("none", "local", "openai")
INSTALL_HINT = "pip install -e '.[llm]'"
MAX_TOKENS = 120
CONDENSE_MAX_TOKENS = 48
CONDENSE_TURNS = 3
PROMPT_PASSAGES = 3
LOCAL_CONTEXT = 2048
UNAVAILABLE = "Generated answer unavailable ({why}); showing the quoted answer."


class LLMError(RuntimeError):
    """The LLM could not produce an answer: the message says why, for people."""


class GenerationTimeout(LLMError):
    """Generation reached its time limit; the text streamed so far may still be usable."""


class Slots:
    """A process-wide limit on how many local generations run at once (`LOCAL_GENERATION`).

    llama.cpp runs one request at a time here (`n_parallel=1`); a second one would wait inside
    it, where it can be neither seen nor bounded. Waiting happens here instead, and counts
    toward the generation's time limit. The page reads `busy` to keep answers off this path.
    """

    def __init__(self, size: int = 1) -> None:
        self._size = size
        self._in_use = 0
        self._free = threading.Condition()

    @property
    def size(self) -> int:
        """Return how many local generations may run at once."""
        return self._size

    @property
    def busy(self) -> bool:
        """Return True when a new local generation would have to wait."""
        with self._free:
            return self._in_use >= self._size

    def resize(self, size: int) -> None:
        """Allow `size` (at least 1) local generations at once."""
        if size < 1:
            raise ValueError("at least one local generation must be allowed")
        with self._free:
            self._size = size
            self._free.notify_all()

    def acquire(self, deadline: float) -> bool:
        """Take a slot; return False if none is free before `deadline` (time.monotonic)."""
        with self._free:
            while self._in_use >= self._size:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._free.wait(left)
            self._in_use += 1
            return True

    def release(self) -> None:
        """Give a slot back."""
        with self._free:
            self._in_use -= 1
            self._free.notify()


LOCAL_GENERATION = Slots(1)


class LocalChatModel(BaseChatModel):
    """A GGUF model run in-process by xllamacpp (llama.cpp), as a LangChain chat model.

    The model loads on first use and is shared by every instance with the same file and sizes.
    Each request takes a slot of `LOCAL_GENERATION` and runs on a worker thread; `timeout_s`
    bounds the whole request (waiting for a slot included). Closing the stream, or the time
    limit, stops the request inside llama.cpp at its next chunk.
    """

    model_path: str
    n_ctx: int = LOCAL_CONTEXT
    threads: int = 2
    max_tokens: int = MAX_TOKENS
    temperature: float = 0.0
    timeout_s: float = 60.0

    @property
    def _llm_type(self) -> str:
        return "xllamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "max_tokens": self.max_tokens}

    def warm_up(self) -> None:
        """Build the model file if needed and load it (once per process)."""
        _local_server(self.model_path, self.n_ctx, self.threads)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        chunks = list(self._stream(messages, stop, run_manager, **kwargs))
        text = "".join(c.text for c in chunks)
        tokens = [
            token
            for c in chunks
            for token in c.message.response_metadata.get("logprobs", {}).get("content", ())
        ]
        metadata = {"logprobs": {"content": tokens}} if tokens else {}
        message = AIMessage(content=text, response_metadata=metadata)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        from langchain_core.messages import convert_to_openai_messages

        server = _local_server(self.model_path, self.n_ctx, self.threads)
        deadline = time.monotonic() + self.timeout_s  # loading the model does not count
        request = {
            "messages": convert_to_openai_messages(messages),
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": self.temperature,
            "stream": True,
            # a chunk per prompt batch: a request can be stopped while the prompt is read
            "return_progress": True,
        }
        if stop:
            request["stop"] = stop
        if kwargs.get("logprobs"):  # as OpenAI's API: each token's `top_logprobs` alternatives
            request["logprobs"] = True
            request["top_logprobs"] = kwargs.get("top_logprobs", 0)
        for delta, logprobs in _server_stream(server, request, deadline, self.timeout_s):
            metadata = {"logprobs": {"content": logprobs}} if logprobs else {}
            message = AIMessageChunk(content=delta, response_metadata=metadata)
            chunk = ChatGenerationChunk(message=message)
            if run_manager:
                run_manager.on_llm_new_token(delta, chunk=chunk)
            yield chunk


_DONE = object()
_server_lock = threading.Lock()
# prompt tokens per llama.cpp batch: the request can be stopped between batches
LOCAL_BATCH = 64


@lru_cache(maxsize=2)
def _load_server(path: str, n_ctx: int, threads: int):
    try:
        import xllamacpp
    except ImportError as exc:
        raise LLMError(f"the local LLM needs xllamacpp: {INSTALL_HINT}") from exc
    ensure_model(Path(path))
    params = xllamacpp.CommonParams()
    params.model.path = path
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.n_batch = params.n_ubatch = LOCAL_BATCH
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.sampling.temp = 0.0
    params.verbosity = 0  # llama.cpp logs every request to stderr otherwise
    return xllamacpp.Server(params)


def _local_server(path: str, n_ctx: int, threads: int):
    """Return the shared xllamacpp server for this model file (loading it once)."""
    with _server_lock:
        return _load_server(path, n_ctx, threads)


class _Requests:
    """The local requests whose worker thread is still inside llama.cpp.

    At interpreter exit every one is told to stop and waited for: a thread that calls back
    into Python while the interpreter finalises is torn down inside llama.cpp's C++ frames,
    which aborts the process ("FATAL: exception not rethrown", SIGABRT).
    """

    def __init__(self) -> None:
        self._running: dict[threading.Thread, threading.Event] = {}
        self._lock = threading.Lock()

    def add(self, thread: threading.Thread, cancel: threading.Event) -> None:
        with self._lock:
            self._running[thread] = cancel

    def remove(self, thread: threading.Thread) -> None:
        with self._lock:
            self._running.pop(thread, None)

    def stop_all(self) -> None:
        """Cancel every running request and wait until its thread has left llama.cpp."""
        with self._lock:
            running = list(self._running.items())
        for _, cancel in running:
            cancel.set()
        for thread, _ in running:
            thread.join()


_REQUESTS = _Requests()
atexit.register(_REQUESTS.stop_all)


def _server_stream(
    server, request: dict, deadline: float, limit_s: float
) -> Iterator[tuple[str, list]]:
    """Yield the text deltas of a streamed chat completion, each with its tokens' log
    probabilities (empty unless the request asks for them).

    Raise LLMError on an error reply, GenerationTimeout when `deadline` (time.monotonic)
    passes. Stopping early (closing this generator) or the deadline cancels the request in
    llama.cpp at its next chunk: the callback's True return value is xllamacpp's stop signal.
    """
    if not LOCAL_GENERATION.acquire(deadline):
        raise GenerationTimeout(f"the local model was busy for {limit_s:g} s")
    cancel = threading.Event()
    chunks: queue.Queue = queue.Queue()

    def on_chunk(data: dict) -> bool:
        chunks.put(data)
        return cancel.is_set() or time.monotonic() > deadline  # True: stop generating

    def run() -> None:
        try:
            server.handle_chat_completions(request, on_chunk)
        except Exception as exc:  # reported to the reading thread
            chunks.put(exc)
        finally:
            LOCAL_GENERATION.release()
            _REQUESTS.remove(threading.current_thread())
            chunks.put(_DONE)

    worker = threading.Thread(target=run, name="xllamacpp", daemon=True)
    _REQUESTS.add(worker, cancel)
    try:
        worker.start()
    except BaseException:
        _REQUESTS.remove(worker)
        LOCAL_GENERATION.release()
        raise
    try:
        while True:
            try:
                item = chunks.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise GenerationTimeout(f"it took longer than {limit_s:g} s") from None
            if item is _DONE:
                return
            if isinstance(item, Exception):
                raise LLMError(f"the local model failed: {_first_line(item)}")
            if "error" in item or "code" in item:
                raise LLMError(f"the local model failed: {_error_message(item)}")
            for choice in item.get("choices", ()):
                delta = (choice.get("delta") or {}).get("content")
                if delta:
                    yield delta, (choice.get("logprobs") or {}).get("content") or []
    finally:
        cancel.set()


def _error_message(reply: dict) -> str:
    error = reply.get("error", reply)
    return str(error.get("message", error) if isinstance(error, dict) else error)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def local_chat(settings: Settings, max_tokens: int = MAX_TOKENS) -> LocalChatModel:
    """Return the local chat model for `settings` (nothing is loaded yet)."""
    return LocalChatModel(
        model_path=str(model_path(settings)),
        threads=settings.threads,
        max_tokens=max_tokens,
        timeout_s=settings.llm_timeout_s,
    )


def openai_chat(settings: Settings, max_tokens: int = MAX_TOKENS) -> BaseChatModel:
    """Return a ChatOpenAI client for the OpenAI-compatible server in `settings`."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise LLMError(f"--llm openai needs langchain-openai: {INSTALL_HINT}") from exc
    if not settings.llm_model:
        raise LLMError("--llm openai needs --model NAME (and --base-url URL of the server)")
    return ChatOpenAI(
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        # local OpenAI-compatible servers need no key, but the client refuses to start without
        api_key=settings.llm_api_key or "not-needed",
        timeout=settings.llm_timeout_s,
        max_retries=0,
        temperature=0.0,
        max_tokens=max_tokens,
    )


class Generation:
    """The tokens of one generated text, iterated once; afterwards `text`, `error` (a reason
    for people, or None), `timed_out` and the timings are set. An error ends the tokens; it
    never raises. `timeout_s` bounds the whole generation; when it is reached, `text` keeps
    what was streamed. `ready()` (loading the model) runs first and does not count. Closing the
    generation (or dropping it) stops the backend's request."""

    def __init__(
        self,
        tokens: Callable[[], Iterator[str]],
        timeout_s: float,
        ready: Callable[[], object] | None = None,
    ) -> None:
        self.text = ""
        self.error: str | None = None
        self.timed_out = False
        self.chunks = 0
        self.first_token_ms: float | None = None
        self.total_ms: float | None = None
        self._iterator = self._run(tokens, timeout_s, ready)

    def __iter__(self) -> Iterator[str]:
        return self._iterator

    def __next__(self) -> str:
        return next(self._iterator)

    def close(self) -> None:
        """Stop generating: a consumer that stops reading tokens calls this (or drops it)."""
        self._iterator.close()

    def _run(
        self, tokens: Callable[[], Iterator[str]], timeout_s: float, ready: Callable | None
    ) -> Iterator[str]:
        started = time.perf_counter()
        source = None
        try:
            if ready:
                ready()
                started = time.perf_counter()
            source = tokens()
            for token in source:
                if self.first_token_ms is None:
                    self.first_token_ms = (time.perf_counter() - started) * 1000
                self.text += token
                self.chunks += 1
                yield token
                if time.perf_counter() - started > timeout_s:
                    raise GenerationTimeout(f"it took longer than {timeout_s:g} s")
        except GenerationTimeout as exc:
            self.error, self.timed_out = str(exc), True
        except LLMError as exc:
            self.error = str(exc)
        except ImportError as exc:
            self.error = f"the LLM backend needs {exc.name}: {INSTALL_HINT}"
        except Exception as exc:  # any backend failure becomes a notice, never a crash
            self.error = f"the LLM failed: {_first_line(exc)}"
        finally:
            close = getattr(source, "close", None)
            if close:
                close()  # stops a local generation that is still running
            self.total_ms = (time.perf_counter() - started) * 1000


class Generator:
    """Writes grounded answers and condenses follow-ups with one chat model.

    `make_chat` builds the chat model on first use, so constructing a Generator is cheap and
    a backend that cannot start shows up as a notice on the answer.
    """

    def __init__(
        self,
        backend: str,
        make_chat: Callable[[], BaseChatModel],
        timeout_s: float = 60.0,
        max_tokens: int = MAX_TOKENS,
        max_passages: int = PROMPT_PASSAGES,
    ) -> None:
        self.backend = backend
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        self.max_passages = max_passages
        self.answer_prompt = prompts.load("answer")
        self.condense_prompt = prompts.load("condense")
        self._make_chat = make_chat
        self._chat: BaseChatModel | None = None
        self._lock = threading.Lock()

    @property
    def chat(self) -> BaseChatModel:
        """Return the chat model, building it on first use."""
        with self._lock:
            if self._chat is None:
                self._chat = self._make_chat()
            return self._chat

    def warm_up(self) -> Generator:
        """Build the chat model and load it if it is local (once)."""
        warm = getattr(self.chat, "warm_up", None)
        if warm:
            warm()
        return self

    def numbered(self, answer: Answer, passages: Sequence[Passage]) -> list[Passage]:
        """Return the passages the model sees, in the order they are numbered from 1: those the
        extractive answer cites first (so [n] tends to match its citations), then the others,
        at most `max_passages` unless more are cited."""
        by_id = {p.id: p for p in passages}
        cited = [by_id[c.passage_id] for c in answer.citations if c.passage_id in by_id]
        ordered = list({p.id: p for p in [*cited, *passages]}.values())
        return ordered[: max(self.max_passages, len({p.id for p in cited}))]

    def stream(self, question: str, answer: Answer, passages: Sequence[Passage]) -> Generation:
        """Return the generation of a one-paragraph answer citing passages as [n]; iterate it
        for the tokens. When `answer` abstained the model is not called: no tokens."""
        if answer.abstained:
            return Generation(lambda: iter(()), self.timeout_s)
        messages = self.answer_prompt.render(
            passages=passage_blocks(self.numbered(answer, passages)), question=question
        )
        tokens = partial(self._tokens, messages, self.max_tokens)
        return Generation(tokens, self.timeout_s, ready=self.warm_up)

    def finish(
        self,
        generated: Generation | str,
        answer: Answer,
        passages: Sequence[Passage],
        source: Callable[[str], str],
    ) -> Answer:
        """Return `answer` with the generated paragraph as its text if it passes grounding,
        else `answer` with a notice. `source(doc)` returns a document's original text. A
        generation cut off by its time limit keeps its finished sentences that pass."""
        if answer.abstained:
            return answer
        if isinstance(generated, Generation):
            timings = dict(answer.timings_ms)
            if generated.first_token_ms is not None:
                timings["llm_first_token"] = generated.first_token_ms
            timings["llm"] = generated.total_ms or 0.0
            answer = replace(answer, timings_ms=timings)
            if generated.timed_out and whole_sentences(generated.text):
                numbered = self.numbered(answer, passages)
                return ground(generated.text, answer, numbered, source, cut_off=generated.error)
            if generated.error:
                return replace(answer, notice=UNAVAILABLE.format(why=generated.error))
            generated = generated.text
        return ground(generated, answer, self.numbered(answer, passages), source)

    def answer(
        self,
        question: str,
        answer: Answer,
        passages: Sequence[Passage],
        source: Callable[[str], str],
    ) -> Answer:
        """Return the grounded answer without streaming (see `stream` and `finish`)."""
        generation = self.stream(question, answer, passages)
        for _ in generation:
            pass
        return self.finish(generation, answer, passages, source)

    def condense(self, question: str, history: Sequence[Turn | dict]) -> str:
        """Return `question` rewritten as a standalone question using the last turns of
        `history`, or `question` itself when there is no history or the model fails."""
        turns = as_turns(history)[-CONDENSE_TURNS:]
        if not turns:
            return question
        lines = []
        for turn in turns:
            lines.append(f"User: {turn.question}")
            if turn.answer:
                lines.append(f"Assistant: {_clip(turn.answer, 300)}")
        messages = self.condense_prompt.render(history="\n".join(lines), question=question)
        tokens = partial(self._tokens, messages, CONDENSE_MAX_TOKENS)
        generation = Generation(tokens, self.timeout_s, ready=self.warm_up)
        text = "".join(generation)
        return (None if generation.error else standalone(text)) or question

    def _tokens(self, messages: list[BaseMessage], max_tokens: int) -> Iterator[str]:
        for chunk in self.chat.stream(messages, max_tokens=max_tokens):
            if chunk.text:
                yield chunk.text


def passage_blocks(passages: Sequence[Passage]) -> str:
    """Return the passages as the answer prompt shows them: each delimited as quoted material
    and numbered from 1, `<passage id="n">` then `[n] Speaker: text`, then `</passage>`. Markup
    in the corpus that could open or close a passage is escaped, so no passage can leave its
    delimiters."""
    return "\n".join(
        f'<passage id="{n}">\n'
        + _PASSAGE_TAG.sub("&lt;", f"[{n}] {p.speaker_label}: {p.text}")
        + "\n</passage>"
        for n, p in enumerate(passages, 1)
    )


_PASSAGE_TAG = re.compile(r"<(?=\s*/?\s*passages?\b)", re.IGNORECASE)


def standalone(text: str) -> str:
    """Return the question in a condense reply: its first line, without a label or quotes."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    for label in ("Standalone question:", "Question:"):
        if line.casefold().startswith(label.casefold()):
            line = line[len(label) :].strip()
    return line.strip("\"'\u201c\u201d` ").strip()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def available_modes(settings: Settings) -> list[str]:
    """Return the answer modes this installation can run: always "none"; "local" when
    xllamacpp is installed; "openai" when langchain-openai is installed and a model is set."""
    from importlib.util import find_spec

    modes = ["none"]
    if find_spec("xllamacpp") is not None:
        modes.append("local")
    if find_spec("langchain_openai") is not None and settings.llm_model:
        modes.append("openai")
    return modes


def make_llm(settings: Settings) -> Generator | None:
    """Return the Generator for `settings.llm`, or None for `none`. Nothing loads yet."""
    if settings.llm == "none":
        return None
    factories = {"local": local_chat, "openai": openai_chat}
    factory = factories.get(settings.llm)

    def make_chat() -> BaseChatModel:
        if factory is None:
            raise LLMError(f"unknown LLM backend {settings.llm!r}; choose {', '.join(BACKENDS)}")
        return factory(settings)

    return Generator(settings.llm, make_chat, timeout_s=settings.llm_timeout_s)
