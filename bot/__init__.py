"""quotebot's answering core: a question (and history) becomes a cited Answer.

Importing this package is cheap: the Bot loads its index and models on first use.
"""

from quotebot.errors import QuestionError

from .records import Answer, Citation, ExtractedAnswer, GeneratedAnswer, StreamEvent

__all__ = [
    "Answer",
    "Citation",
    "ExtractedAnswer",
    "GeneratedAnswer",
    "QuestionError",
    "StreamEvent",
]
