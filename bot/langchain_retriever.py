"""The answers' retrieval as a LangChain `BaseRetriever`: passages ranked by their best
sentence, by the learned sentence model, with their speaker and offsets as metadata."""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .question import prepare
from .retriever import Retriever
from .selector import rank_passages, scored_candidates, sentence_probabilities

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
        cands, model = scored_candidates(prepared, evidence, index, self.ranker.scoring)
        probs, _ = sentence_probabilities(cands, model)
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
