"""The question's language: lingua's detector, guarded against short English questions.

lingua's low-accuracy mode (letter trigrams; no model load, about 0.2 ms a question) is right
for nearly all questions, but calls a few short English ones French or German ("What is Melanie
Field's job?" -> German 0.95). Its high-accuracy mode fixes those but loads for 9 s. So: a
question holding a word that only English uses ("the", "what", "did", ...) is English; any
other is what lingua says (English when it cannot tell). On the 315 questions of
evals/transcripts.jsonl this makes no mistake (lingua alone: 5).
"""

from __future__ import annotations

from functools import cache

from quotebot.index.text import is_cyrillic, tokens

LANGUAGES = ("en", "ru", "uk", "fr", "de", "es", "it", "pt")
# Words frequent in English questions and rare as words of the other languages above.
ENGLISH_WORDS = frozenset(
    """the what did does is are was were how who whom whose when where which why has have had
    of and with about this that these those they their it its been being should would could
    any anything there said say tell much many long hello hi hey thanks thank bye""".split()
)


def detect(text: str) -> str:
    """Return the ISO 639-1 code of the language `text` is written in (one of LANGUAGES)."""
    if not is_cyrillic(text) and ENGLISH_WORDS.intersection(tokens(text)):
        return "en"
    language = _detector().detect_language_of(text)
    if language is None:
        return "ru" if is_cyrillic(text) else "en"
    return language.iso_code_639_1.name.lower()


@cache
def _detector():
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_low_accuracy_mode().build()
