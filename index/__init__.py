"""quotebot's index: statement files -> speaker-aware passages -> vectors, persisted.

Importing this package is cheap: it does not import torch, sentence-transformers or gradio.
"""

from quotebot.settings import Settings

from .corpus import CorpusError, load_corpus
from .records import Document, Passage
from .segment import segment
from .store import CorpusIndex, IndexCorrupt, IndexStale, ensure_index
from .text import normalise

__all__ = [
    "CorpusError",
    "CorpusIndex",
    "Document",
    "IndexCorrupt",
    "IndexStale",
    "Passage",
    "Settings",
    "ensure_index",
    "load_corpus",
    "normalise",
    "segment",
]
