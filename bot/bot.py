"""The Bot: question (and history) -> cited Answer, as a LangChain runnable pipeline
(prepare -> retrieve -> select -> verify -> compose)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from quotebot.index.embedder import get_embedder
from quotebot.index.store import CorpusIndex, ensure_index
from quotebot.index.text import normalise

from quotebot.settings import Settings, apply_runtime

from .composer import lead_in
from .conversation import Turn, as_turns
from .question import Query, prepare
from .records import Answer, Citation
from .retriever import Evidence, HybridRetriever
from .selector import Selection, select
from .verify import verify

CONFIDENCE_SLOPE = 10.0
GENERATING = "Writing an answer; it is checked against the statement when it is complete."


@dataclass
class _Run:
    """The state one question carries through the pipeline."""

    question: str
    history: list[Turn]
    started: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    query: Query | None = None
    evidence: Evidence | None = None
    selection: Selection | None = None
    citations: list[Citation] = field(default_factory=list)
    rejected: int = 0

    def lap(self, stage: str, since: float) -> None:
        self.timings[stage] = (time.perf_counter() - since) * 1000


class Bot:
    """Answers questions about the corpus in `settings` with verified quotes.

    Construction is cheap; the index and models load on first use (or `warm_up()`), once,
    and are shared by every conversation that uses this Bot.
    """

    def __init__(self, settings: Settings | None = None, index: CorpusIndex | None = None):
        self.settings = settings or Settings.load()
        self._index = index
        self._retriever: HybridRetriever | None = None
        self._chain = None
        self._lock = threading.Lock()

    def warm_up(self) -> Bot:
        """Load the index and the embedders, and build the pipeline (once)."""
        with self._lock:
            if self._chain is not None:
                return self
            apply_runtime(self.settings)
            if self._index is None:
                self._index = ensure_index(self.settings)
            names = list(self._index.vectors)
            embedders = {
                n: get_embedder(n, self.settings.threads, self.settings.query_threads)
                for n in names
            }
            for emb in embedders.values():
                emb.warm_up()
            self._retriever = HybridRetriever(
                index=self._index,
                embedders=embedders,
                primary=names[0],
                multilingual="e5" if "e5" in names else None,
                top_k=self.settings.top_k,
                candidates=self.settings.candidates,
            )
            self._chain = self._build_chain()
        return self

    @property
    def index(self) -> CorpusIndex:
        """Return the corpus index (loading it if needed)."""
        self.warm_up()
        return self._index

    @property
    def retriever(self) -> HybridRetriever:
        """Return the LangChain retriever behind the answers."""
        self.warm_up()
        return self._retriever

    def answer(self, question: str, history: Sequence[Turn | dict] = ()) -> Answer:
        """Return the answer to `question`, with `history` as the earlier turns."""
        answer = self._extractive(question, history)
        if self.generator is None:
            return answer
        return self.generator.answer(*self._generation_inputs(answer))

    def stream(self, question: str, history: Sequence[Turn | dict] = ()) -> Iterator[Answer]:
        """Yield growing snapshots of the answer: the lead-in, then one more quote at a time;
        with an LLM, then the generated text token by token, and last the grounded answer."""
        answer = self._extractive(question, history)
        if not answer.citations:
            yield answer
            return
        for n in range(1, len(answer.citations) + 1):
            yield replace(answer, citations=answer.citations[:n])
        if self.generator is None:
            return
        question, answer, passages, source = self._generation_inputs(answer)
        generation = self.generator.stream(question, answer, passages)
        for _ in generation:
            yield replace(answer, text=generation.text, notice=GENERATING)
        yield self.generator.finish(generation, answer, passages, source)

    # --- generated answers (settings.llm): see bot/llm.py and bot/grounding.py -------------

    @cached_property
    def generator(self):
        """Return the LLM that writes the answer's text (`settings.llm`), or None: quotes only."""
        if self.settings.llm == "none":
            return None  # without importing bot.llm (LangChain's chat models: 0.5 s)
        from .llm import make_llm

        return make_llm(self.settings)

    def _generation_inputs(self, answer: Answer) -> tuple:
        """Return (question, answer, retrieved passages, source) for the generator."""
        passages = [self._index.passage(pid) for pid, _ in answer.retrieved]
        return answer.query or answer.question, answer, passages, self._index.source

    def _prepare_with_llm(self, run: _Run) -> _Run:
        """Prepare the question. With an LLM, earlier turns, and a question the rules do not
        resolve as a follow-up, search for it as the condense prompt rewrote it (standalone),
        keeping the question as asked. The rules go first: on the shipped follow-ups their
        citation recall is 1.00, the local model's rewrites 0.75 (docs/llm.md)."""
        run = self._prepare(run)
        if self.generator is None or not run.history or run.query.is_follow_up:
            return run
        t = time.perf_counter()
        asked = run.query.question
        standalone = self.generator.condense(asked, run.history)
        run.lap("condense_llm", t)
        if standalone == asked:
            return run
        run.question, run.history = standalone, []
        run = self._prepare(run)
        run.query = replace(run.query, question=asked)
        return run

    def _extractive(self, question: str, history: Sequence[Turn | dict]) -> Answer:
        self.warm_up()
        return self._chain.invoke(_Run(question, as_turns(history)))

    def _build_chain(self):
        from langchain_core.runnables import RunnableLambda

        return (
            RunnableLambda(self._prepare_with_llm, name="condense")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._select, name="select")
            | RunnableLambda(self._verify, name="verify")
            | RunnableLambda(self._compose, name="compose")
        )

    def _prepare(self, run: _Run) -> _Run:
        t = time.perf_counter()
        query = prepare(run.question, run.history, self.settings.max_question_chars)
        run.query = self._retriever.correct(query)
        run.lap("condense", t)
        return run

    def _retrieve(self, run: _Run) -> _Run:
        t = time.perf_counter()
        run.evidence = self._retriever.evidence(run.query)
        run.lap("retrieve", t)
        return run

    def _select(self, run: _Run) -> _Run:
        t = time.perf_counter()
        run.selection = select(
            run.query,
            run.evidence,
            self._index,
            self._retriever.bm25.idf,
            self.settings.max_quotes,
            self.settings.abstain_threshold,
            self.settings.quote_margin,
        )
        run.lap("select", t)
        return run

    def _verify(self, run: _Run) -> _Run:
        """Turn quotes into citations read from the source at their offsets; keep those that
        pass the verifier, count the others."""
        t = time.perf_counter()
        seen: set[str] = set()
        for quote in run.selection.quotes:
            passage = self._index.passages[quote.row]
            start = passage.sentences[quote.first][0]
            end = passage.sentences[quote.last][1]
            source = self._index.source(passage.doc)
            citation = Citation(
                passage.id,
                passage.doc,
                passage.speaker,
                passage.role,
                start,
                end,
                normalise(source[start:end]),
            )
            if citation.quote in seen:
                continue
            if verify(citation, source):
                seen.add(citation.quote)
                run.citations.append(citation)
            else:
                run.rejected += 1
        run.lap("verify", t)
        return run

    def _compose(self, run: _Run) -> Answer:
        t = time.perf_counter()
        query, selection = run.query, run.selection
        answerer = next(
            (p.speaker for p in self._index.passages if p.role == "answer" and p.speaker), None
        )
        text = lead_in(run.citations, query.language, query.is_request, answerer)
        margin = selection.best - self.settings.abstain_threshold
        confidence = 1.0 / (1.0 + math.exp(-CONFIDENCE_SLOPE * margin))
        if not run.citations:
            confidence = 1.0 - confidence
        retrieved = [
            (self._index.passages[row].id, score)
            for row, score in selection.ranking[: self.settings.top_k]
        ]
        run.lap("compose", t)
        run.timings["total"] = (time.perf_counter() - run.started) * 1000
        return Answer(
            question=query.question,
            text=text,
            citations=run.citations,
            abstained=not run.citations,
            confidence=confidence,
            retrieved=retrieved,
            timings_ms=run.timings,
            language=query.language,
            rejected_quotes=run.rejected,
            query=query.text,
        )
