"""The answering stages: frozen records passed through module-level functions, composed as
one chain (condense -> retrieve -> select -> verify -> compose), which is also a LangChain
runnable sequence."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain

from quotebot.index.store import CorpusIndex

from .composer import lead_in
from .conversation import Turn
from .question import Query, prepare
from .reader import Read
from .records import Citation, ExtractedAnswer
from .retriever import Evidence, Retriever
from .scoring import ScoringConfig
from .selector import Selection, select
from .verify import Originals, stored_quote, verify

# question, earlier turns -> the standalone question to search for (None: no LLM to ask)
Condense = Callable[[str, Sequence[Turn]], str | None]


@dataclass(frozen=True)
class Laps:
    """When a question arrived and how long each stage took (ms), in stage order."""

    started: float
    stages: tuple[tuple[str, float], ...] = ()

    def lap(self, stage: str, since: float) -> Laps:
        """Return these laps and `stage`, begun at `since` (a perf_counter time)."""
        return replace(self, stages=(*self.stages, (stage, (time.perf_counter() - since) * 1000)))

    def timings(self) -> dict[str, float]:
        """Return the stage times and the total so far, in ms."""
        return {**dict(self.stages), "total": (time.perf_counter() - self.started) * 1000}


@dataclass(frozen=True)
class Asked:
    """A question as asked, with the earlier turns and the document it is about (None: all)."""

    question: str
    history: tuple[Turn, ...]
    laps: Laps
    doc: str | None = None


@dataclass(frozen=True)
class Prepared:
    """The question made a query."""

    query: Query
    laps: Laps


@dataclass(frozen=True)
class Retrieved:
    """The query and the evidence retrieval found for it."""

    query: Query
    evidence: Evidence
    laps: Laps


@dataclass(frozen=True)
class Selected:
    """The query and the quotes selected (or none)."""

    query: Query
    selection: Selection
    laps: Laps


@dataclass(frozen=True)
class Verified:
    """The quotes that passed the verifier as citations, and how many did not."""

    query: Query
    selection: Selection
    citations: tuple[Citation, ...]
    rejected: int
    laps: Laps


def condense(
    asked: Asked, index: CorpusIndex, max_chars: int, rewrite: Condense | None
) -> Prepared:
    """Prepare the question. With `rewrite` (an LLM's condense), earlier turns, and a question
    the rules do not resolve as a follow-up, search for it as rewritten (standalone), keeping
    the question as asked. The rules go first: on the shipped follow-ups their citation recall
    is 1.00, the local model's rewrites 0.75 (docs/llm.md)."""
    t = time.perf_counter()
    query = replace(prepare(asked.question, asked.history, max_chars, index.lexicon), doc=asked.doc)
    laps = asked.laps.lap("condense", t)
    if rewrite is None or not asked.history or query.is_follow_up:
        return Prepared(query, laps)
    t = time.perf_counter()
    standalone = rewrite(query.question, asked.history)
    if standalone is None:  # no LLM after all
        return Prepared(query, laps)
    laps = laps.lap("condense_llm", t)
    if standalone == query.question:
        return Prepared(query, laps)
    t = time.perf_counter()
    rewritten = prepare(standalone, (), max_chars, index.lexicon)
    laps = laps.lap("condense", t)
    return Prepared(replace(rewritten, question=query.question, doc=asked.doc), laps)


def retrieve(prepared: Prepared, retriever: Retriever) -> Retrieved:
    """Find the evidence for the query."""
    t = time.perf_counter()
    evidence = retriever.evidence(prepared.query)
    return Retrieved(prepared.query, evidence, prepared.laps.lap("retrieve", t))


def choose(
    retrieved: Retrieved,
    index: CorpusIndex,
    scoring: ScoringConfig,
    max_quotes: int,
    read: Read | None = None,
) -> Selected:
    """Select the quotes that answer, or none (with `read`, an LLM reader has its say)."""
    t = time.perf_counter()
    selection = select(retrieved.query, retrieved.evidence, index, scoring, max_quotes, read)
    return Selected(retrieved.query, selection, retrieved.laps.lap("select", t))


def check(selected: Selected, index: CorpusIndex, originals: Originals | None = None) -> Verified:
    """Make each quote a citation from the index's stored text and keep those that are the
    original file at their offsets (`verify`, `Originals`); count the others, and those from a
    file changed since it was indexed. A repeated quote is kept once."""
    t = time.perf_counter()
    originals = originals or Originals(index.documents)
    citations: list[Citation] = []
    seen: set[str] = set()
    rejected = 0
    for quote in selected.selection.quotes:
        passage = index.passages[quote.row]
        source = originals.text(passage.doc)
        if source is None:
            rejected += 1
            continue
        citation = Citation(
            passage.id,
            passage.doc,
            passage.speaker,
            passage.role,
            passage.sentences[quote.first][0],
            passage.sentences[quote.last][1],
            stored_quote(passage, quote.first, quote.last, source),
        )
        if citation.quote in seen:
            continue
        if verify(citation, source):
            seen.add(citation.quote)
            citations.append(citation)
        else:
            rejected += 1
    laps = selected.laps.lap("verify", t)
    return Verified(selected.query, selected.selection, tuple(citations), rejected, laps)


def compose(
    verified: Verified, index: CorpusIndex, scoring: ScoringConfig, top_k: int
) -> ExtractedAnswer:
    """Return the answer: the lead-in (a yes/no verdict only at a confidence of at least
    `scoring.verdict_confidence`), the citations, the confidence and the ranking."""
    t = time.perf_counter()
    query, selection, citations = verified.query, verified.selection, list(verified.citations)
    confidence = selection.confidence
    if selection.quotes and not citations:  # every quote failed verification: nothing shown
        confidence = 1.0 - confidence
    text = lead_in(
        citations,
        query.language,
        query.is_request,
        answerer(citations, index),
        query.question,
        query.small_talk,
        sure=confidence >= scoring.verdict_confidence,
        dated=selection.dated if citations else None,
    )
    retrieved = [(index.passages[row].id, score) for row, score in selection.ranking[:top_k]]
    timings = verified.laps.lap("compose", t).timings()
    return ExtractedAnswer(
        question=query.question,
        text=text,
        citations=citations,
        abstained=not citations,
        confidence=confidence,
        retrieved=retrieved,
        timings_ms=timings,
        language=query.language,
        rejected_quotes=verified.rejected,
        query=query.text,
    )


def answerer(citations: Sequence[Citation], index: CorpusIndex) -> str | None:
    """Return who answers the journalist's question the first citation quotes: the speaker of
    the answer that follows it, else the first answering speaker of the same document (None
    when the first citation is not a journalist's question, or there is neither)."""
    if not citations or citations[0].role != "question":
        return None
    first = citations[0]
    answer_rows = index.lexicon.answers_of.get(index.by_id[first.passage_id], ())
    routed = (index.passages[r] for r in answer_rows)
    same_document = (p for p in index.passages if p.doc == first.doc)
    replies = chain(routed, same_document)
    return next((p.speaker for p in replies if p.role == "answer" and p.speaker), None)


@dataclass(frozen=True)
class AnsweringChain:
    """The stages in order, each a function from one record to the next. `invoke` runs them
    one after the other; `runnable()` composes the same functions as LangChain's runnable
    sequence, for LCEL pipelines. The Bot answers through `invoke`: the module that holds
    LangChain's `RunnableLambda` imports its tracers and langsmith, 0.4 s of a 0.95 s cold
    `quotebot ask` (docs/performance.md), for callbacks nothing here uses."""

    stages: tuple[tuple[str, Callable], ...]

    @property
    def names(self) -> list[str]:
        """Return the stages' names in order."""
        return [name for name, _ in self.stages]

    def invoke(self, asked: Asked) -> ExtractedAnswer:
        """Return the answer to `asked`, through every stage."""
        record = asked
        for _, stage in self.stages:
            record = stage(record)
        return record

    def runnable(self):
        """Return the stages as a LangChain `RunnableSequence` Asked -> ExtractedAnswer
        (LangChain is imported here)."""
        from langchain_core.runnables import RunnableLambda, RunnableSequence

        steps = []
        for name, stage in self.stages:
            # LangChain reads a stage's signature on every call (does it take a config?):
            # worked out from a partial, that was 1.7 ms of each answer's 16-19; read once here
            stage.__signature__ = inspect.signature(stage)
            steps.append(RunnableLambda(stage, name=name))
        return RunnableSequence(*steps)


def answering_chain(
    index: CorpusIndex,
    retriever: Retriever,
    scoring: ScoringConfig,
    *,
    max_chars: int,
    max_quotes: int,
    top_k: int,
    rewrite: Condense | None = None,
    read: Read | None = None,
) -> AnsweringChain:
    """Return the chain Asked -> ExtractedAnswer over `index`."""
    return AnsweringChain(
        (
            ("condense", partial(condense, index=index, max_chars=max_chars, rewrite=rewrite)),
            ("retrieve", partial(retrieve, retriever=retriever)),
            (
                "select",
                partial(choose, index=index, scoring=scoring, max_quotes=max_quotes, read=read),
            ),
            ("verify", partial(check, index=index, originals=Originals(index.documents))),
            ("compose", partial(compose, index=index, scoring=scoring, top_k=top_k)),
        )
    )
