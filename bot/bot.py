"""The Bot: question (and history) -> cited Answer, through the answering chain of
bot/pipeline.py, and with an LLM (settings.llm) a generated, grounded text."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from functools import cached_property

from quotebot.index.embedder import get_embedder
from quotebot.index.store import CorpusIndex, complete_index, ensure_index, pending_embedders

from quotebot.errors import QuestionError
from quotebot.settings import Settings, apply_runtime

from .conversation import Turn, as_turns
from .language import detect
from .pipeline import Asked, Laps, answering_chain
from .records import Answer, ExtractedAnswer, GeneratedAnswer, StreamEvent
from .retriever import Retriever
from .scoring import ScoringConfig, load_scoring

GENERATING = "Writing an answer; it is checked against the statement when it is complete."


class Bot:
    """Answers questions about the corpus in `settings` with verified quotes.

    Construction is cheap; the index and models load on first use (or `warm_up()`), once,
    and are shared by every conversation that uses this Bot. `scoring` defaults to the file
    `settings.scoring_file` names, or the shipped configuration.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        index: CorpusIndex | None = None,
        scoring: ScoringConfig | None = None,
    ):
        self.settings = settings or Settings.load()
        self._index = index
        self._scoring = scoring
        self._retriever: Retriever | None = None
        self._chain = None
        self._lock = threading.Lock()

    def warm_up(self) -> Bot:
        """Load the index and the embedders, and build the pipeline (once)."""
        with self._lock:
            if self._chain is not None:
                return self
            apply_runtime(self.settings)
            if self._scoring is None:
                self._scoring = load_scoring(self.settings.scoring_file)
            if self._index is None:
                self._index = ensure_index(self.settings)
            names = list(self._index.vectors)
            embedders = {
                n: get_embedder(
                    n, self.settings.threads, self.settings.query_threads, self.settings.cache_dir
                )
                for n in names
            }
            embedders[names[0]].warm_up()  # the others (e5) load on their first question
            self._retriever = Retriever(
                self._index,
                embedders,
                self._scoring,
                primary=names[0],
                multilingual="e5" if "e5" in names else None,
                top_k=self.settings.top_k,
                candidates=self.settings.candidates,
                threads=self.settings.query_threads,
            )
            self._chain = answering_chain(
                self._index,
                self._retriever,
                self._scoring,
                max_chars=self.settings.max_question_chars,
                max_quotes=self.settings.max_quotes,
                top_k=self.settings.top_k,
                rewrite=self._condense,
                read=self.reader,
            )
        return self

    @property
    def index(self) -> CorpusIndex:
        """Return the corpus index (loading it if needed)."""
        self.warm_up()
        return self._index

    @property
    def scoring(self) -> ScoringConfig:
        """Return the scoring configuration in use."""
        self.warm_up()
        return self._scoring

    @property
    def ranker(self) -> Retriever:
        """Return the retriever that ranks passages for the answers."""
        self.warm_up()
        return self._retriever

    def runnable(self):
        """Return the answering chain as a LangChain runnable, Asked -> ExtractedAnswer
        (bot/pipeline.py; `Asked` holds the question, the earlier turns and the document)."""
        self.warm_up()
        return self._chain.runnable()

    @cached_property
    def retriever(self):
        """Return the answers' retrieval as a LangChain retriever (bot/langchain_retriever.py)."""
        from .langchain_retriever import QuotebotRetriever

        return QuotebotRetriever(ranker=self.ranker)

    def answer(
        self, question: str, history: Sequence[Turn | dict] = (), doc: str | None = None
    ) -> Answer:
        """Return the answer to `question`, with `history` as the earlier turns, from the
        document `doc` (None: every document of the corpus)."""
        answer = self.extract(question, history, doc)
        if self.generator is None:
            return answer
        return self.generator.answer(*self._generation_inputs(answer))

    def stream(
        self, question: str, history: Sequence[Turn | dict] = (), doc: str | None = None
    ) -> Iterator[StreamEvent]:
        """Yield the answer as it grows. Quotes only: one `final` event (the quotes are found
        together, in milliseconds). With an LLM: a `quote` event with the verified quotes and
        the lead-in, a `token` event per generated token (an unchecked draft), and last one
        `final` event with the answer to keep."""
        answer = self.extract(question, history, doc)
        if self.generator is None or not answer.citations:
            yield StreamEvent("final", answer)
            return
        yield StreamEvent("quote", answer)
        question, answer, passages, source = self._generation_inputs(answer)
        generation = self.generator.stream(question, answer, passages)
        for _ in generation:
            draft = GeneratedAnswer.of(answer, text=generation.text, notice=GENERATING)
            yield StreamEvent("token", draft)
        yield StreamEvent("final", self.generator.finish(generation, answer, passages, source))

    def extract(
        self, question: str, history: Sequence[Turn | dict] = (), doc: str | None = None
    ) -> ExtractedAnswer:
        """Return the extractive answer: the lead-in and the verified quotes. Raises
        QuestionError when `doc` is not a document of the corpus."""
        self.warm_up()
        if doc is not None and doc not in self._index.documents:
            names = ", ".join(sorted(self._index.documents))
            raise QuestionError(f"no document named {doc!r}; the corpus has: {names}")
        if detect(question) != "en" and pending_embedders(self._index, self.settings):
            self._add_pending_vectors()
        asked = Asked(question, tuple(as_turns(history)), Laps(time.perf_counter()), doc)
        return self._chain.invoke(asked)

    def _add_pending_vectors(self) -> None:
        """Build the multilingual vectors the index lacks (a new index has the English ones
        only), then the pipeline again with them; once, on the first non-English question."""
        with self._lock:
            if pending_embedders(self._index, self.settings):
                complete_index(self._index, self.settings)
                self._chain = None
        self.warm_up()

    # --- generated answers (settings.llm): see bot/llm.py and bot/grounding.py -------------

    @cached_property
    def generator(self):
        """Return the LLM that writes the answer's text (`settings.llm`), or None: quotes only."""
        if self.settings.llm == "none":
            return None  # without importing bot.llm (LangChain's chat models: 0.5 s)
        from .llm import make_llm

        return make_llm(self.settings)

    @cached_property
    def reader(self):
        """Return the LLM that reads the best sentences (`settings.reader`), or None."""
        if self.settings.reader == "none":
            return None  # without importing bot.llm
        from .reader import make_reader

        return make_reader(self.settings)

    def _condense(self, question: str, history: Sequence[Turn]) -> str | None:
        """Return `question` as the LLM rewrote it to stand alone, or None without an LLM."""
        return None if self.generator is None else self.generator.condense(question, history)

    def _generation_inputs(self, answer: Answer) -> tuple:
        """Return (question, answer, retrieved passages, source) for the generator."""
        passages = [self._index.passage(pid) for pid, _ in answer.retrieved]
        return answer.query or answer.question, answer, passages, self._index.source
