"""The answers' retrieval as a LangChain `BaseRetriever`: passages ranked by their best
sentence, by the learned sentence model, with their speaker and offsets as metadata."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .features import candidates
from .question import prepare
from .retriever import Retriever
from .selector import rank_passages, sentence_probabilities

_NO_LIMIT = 10**6  # a caller of the retriever chose its query; only the Bot limits questions


class QuotebotRetriever(BaseRetriever):
    """A LangChain retriever over the Bot's `Retriever` (its index, embedders, scoring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    ranker: Retriever

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        index = self.ranker.index
        prepared = prepare(query, (), _NO_LIMIT, index.lexicon)
        evidence = self.ranker.evidence(prepared)
        scoring = self.ranker.scoring
        cands = candidates(prepared, evidence, index, scoring.cosines(evidence.embedder))
        probs, _ = sentence_probabilities(cands, scoring)
        docs = []
        for row, score in rank_passages(cands, probs)[: self.ranker.top_k]:
            p = index.passages[row]
            meta = {
                "id": p.id,
                "doc": p.doc,
                "speaker": p.speaker,
                "role": p.role,
                "start": p.start,
                "end": p.end,
                "score": score,
            }
            docs.append(Document(page_content=p.text, metadata=meta))
        return docs
