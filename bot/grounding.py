"""Grounding a generated paragraph: what an LLM wrote is shown only if it passes these checks.

- Every sentence must cite a passage the model was given, as [n] (n counts from 1).
- Every span in double quotation marks must be in the source: after the normalisation rule,
  it must occur in one of the numbered passages, and it is mapped to offsets in the original
  text. Only typographic quote marks and apostrophes are folded for the match (' for ’); the
  shown quote is then replaced by the source's own text, so what is shown stays verbatim.
  Dropping a "not" or changing a digit fails.
- A sentence without a verified quote must take its words from the passages it cites: at
  least `SUPPORT_MIN` of its content words (stemmed, stopwords and reporting verbs aside), so
  a sentence that invents a fact or echoes the question ("Yes, a summit is planned") fails. This
  lexical check is a proxy for entailment (there is no offline NLI model); it is skipped when
  the sentence and its passages are in different scripts (a Russian answer to English text).
  When the passages it cites fall short but another passage it was given (not flagged, below)
  passes, the sentence cites that one instead: a small model often writes the right sentence
  with the wrong number.
- Text in the corpus is evidence, never instruction. A passage with instruction-like text
  ("ignore previous instructions", "you are now", "system prompt") is flagged, and a sentence
  is removed when it reads as an instruction itself, cites or quotes a flagged passage, or has
  words its cited passages lack that a flagged passage supplies ("ten hours" planted next to
  "ignore previous instructions"). The patterns are a tripwire for planted text, not a proof
  of its absence: the prompt's delimiters and the checks above do the rest.
- A sentence that cites nothing, quotes something that fails, is not supported or follows
  planted instructions is removed, and the answer's notice says how many were removed and why.
- A paragraph cut off by the time limit is checked up to its last finished sentence.
- The [n] markers are renumbered to the answer's citations, which are listed under the text:
  the extractive citations stay first, and a passage the text cites without one is appended.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from quotebot.index.records import Passage
from quotebot.index.segment import sentence_spans
from quotebot.index.text import content_tokens, is_cyrillic, normalise

from .records import Answer, Citation, GeneratedAnswer

CITE = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_CITE_RUN = re.compile(r"^(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+")
_CITE_RUNS = re.compile(r"(?:\s*\[\])+")
QUOTE = re.compile(r"\u201c([^\u201c\u201d]+)\u201d|\"([^\"]+)\"")
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_TRAILING = ".,;:"
_ELLIPSIS = ("...", "\u2026")
SUPPORT_MIN = 0.6
_REPORTING = frozenset(
    content_tokens("said says say stated states mentioned mentions noted told added according")
)

# instruction-like text: addressed to a model, not part of what an official said
INSTRUCTION = re.compile(
    r"""\b(?:
      (?:ignore|disregard|forget|override)\s+(?:(?:all|any|the|your|of|these)\s+)*
        (?:previous|prior|above|earlier|preceding|other|former)\s+
        (?:instructions?|prompts?|rules|directions|directives|messages|context)
    | you\s+are\s+now\b | from\s+now\s+on,?\s+you\b | you\s+must\s+now\b
    | (?:system|developer)\s+(?:prompt|message|instructions?)
    | new\s+instructions?\b
    | (?:respond|reply|answer)\s+(?:only\s+)?with\s+(?:the\s+)?(?:following|this|exactly)\b
    | (?:tell|inform)\s+the\s+user\b
    | as\s+an?\s+(?:ai|language\s+model|assistant|chatbot)\b
    | (?:игнорир|проигнорир|забудь)\w*\s+(?:\w+\s+)?(?:предыдущ|прежн|все)\w*\s+
        (?:\w+\s+)?(?:инструкц|указани|правил)\w*
    | ты\s+теперь\b | системн\w+\s+(?:промпт|подсказк|инструкц)\w*
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_SENTENCE_END = re.compile(
    r"[.!?\u2026][\"'\u201d\u2019)\]]*(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])*\s*$"
)

DROPPED = "The generated answer was dropped ({why}); showing the quoted answer."
REMOVED = "{n} generated sentence{s} removed ({why})."
CUT_OFF = "The generated answer stopped early ({why}); showing the sentences it finished."
INJECTED = "it follows instructions found in the passages"


@dataclass(frozen=True)
class QuoteCheck:
    """A quoted span of generated text; when verified, where it is in the source."""

    text: str
    passage: int | None = None  # 1-based number of the passage it was found in
    start: int | None = None
    end: int | None = None
    quote: str | None = None  # normalise(source[start:end]), the verbatim text

    @property
    def verified(self) -> bool:
        """Return True when the quote was found in a numbered passage."""
        return self.quote is not None


@dataclass(frozen=True)
class SentenceCheck:
    """One generated sentence, with the passages it cites and its quotes checked."""

    text: str
    cites: tuple[int, ...]
    quotes: tuple[QuoteCheck, ...]
    support: float | None = None  # share of its own words found in the cited passages
    injected: bool = False  # repeats or follows instruction-like text from the passages

    @property
    def problem(self) -> str | None:
        """Return why the sentence cannot be shown, or None if it passes."""
        if self.injected:
            return INJECTED
        if not self.cites:
            return "no citation"
        if not all(q.verified for q in self.quotes):
            return "a quote not in the statement"
        if self.support is not None and self.support < SUPPORT_MIN:
            return "words not in the passages it cites"
        return None


def split_sentences(text: str) -> list[str]:
    """Return the sentences of a generated paragraph.

    A citation written after the full stop ("... hours. [1]") stays with its sentence, and a
    sentence end inside quotation marks does not split.
    """
    text = normalise(text)
    pieces = [text[s:e] for s, e in sentence_spans(text, 0, len(text))]
    merged: list[str] = []
    for piece in pieces:
        run = _CITE_RUN.match(piece)
        if merged and run:
            merged[-1] += " " + run.group().strip()
            piece = piece[run.end() :].strip()
        if merged and _open_quote(merged[-1]):
            merged[-1] = f"{merged[-1]} {piece}".strip()
        elif piece:
            merged.append(piece)
    return merged


def whole_sentences(text: str) -> str:
    """Return a cut-off paragraph up to its last finished sentence (one that ends with a full
    stop, question or exclamation mark, perhaps followed by quote marks and citations)."""
    sentences = split_sentences(text)
    if sentences and not _SENTENCE_END.search(sentences[-1]):
        sentences.pop()
    return " ".join(sentences)


def instruction_like(text: str) -> bool:
    """Return True when `text` contains wording addressed to a language model (see
    `INSTRUCTION`): in a passage it is planted, in generated text it is followed."""
    return INSTRUCTION.search(normalise(text)) is not None


def flagged(passages: Sequence[Passage]) -> frozenset[int]:
    """Return the 1-based numbers of the passages with instruction-like text."""
    return frozenset(n for n, p in enumerate(passages, 1) if instruction_like(p.text))


def _open_quote(text: str) -> bool:
    return text.count('"') % 2 == 1 or text.count("\u201c") > text.count("\u201d")


def cited_numbers(sentence: str, n_passages: int) -> tuple[int, ...]:
    """Return the passage numbers a sentence cites that exist (1..n_passages), in order."""
    found = []
    for marker in CITE.finditer(sentence):
        for number in re.split(r"\s*[,;]\s*", marker.group(1)):
            n = int(number)
            if 1 <= n <= n_passages and n not in found:
                found.append(n)
    return tuple(found)


def quoted_spans(sentence: str) -> list[str]:
    """Return the texts inside double quotation marks (curly or straight) in a sentence."""
    return [m.group(1) or m.group(2) for m in QUOTE.finditer(sentence)]


def own_words(sentence: str) -> list[str]:
    """Return the sentence's content words outside quotes and markers, reporting verbs aside."""
    return [
        t for t in content_tokens(CITE.sub(" ", QUOTE.sub(" ", sentence))) if t not in _REPORTING
    ]


def support(sentence: str, cited: Sequence[Passage]) -> float | None:
    """Return the share of the sentence's content words (outside quotes and markers) found in
    the cited passages or their speakers' names; None when there is nothing to compare."""
    own = own_words(sentence)
    if not own or not cited:
        return None
    passages_text = " ".join(f"{p.speaker or ''} {p.text}" for p in cited)
    if is_cyrillic(" ".join(own)) != is_cyrillic(passages_text):
        return None
    found = set(content_tokens(passages_text))
    return sum(t in found for t in own) / len(own)


def check_quote(
    text: str, passages: Sequence[Passage], source: Callable[[str], str], prefer: Sequence[int]
) -> QuoteCheck:
    """Return `text` checked against the passages (the cited ones `prefer` first)."""
    candidates = _quote_candidates(text)
    order = list(dict.fromkeys([*prefer, *range(1, len(passages) + 1)]))
    for n in order:
        passage = passages[n - 1]
        original = source(passage.doc)
        for candidate in candidates:
            span = locate(candidate, original, passage.start, passage.end)
            if span:
                return QuoteCheck(text, n, span[0], span[1], normalise(original[span[0] : span[1]]))
    return QuoteCheck(text)


def _quote_candidates(text: str) -> list[str]:
    """Return the forms of a quote to look for: as written, without the end punctuation a
    writer adds inside quotation marks, and either with its first letter's case swapped."""
    core = normalise(text)
    for mark in _ELLIPSIS:
        core = core.removeprefix(mark).removesuffix(mark).strip()
    forms = [core, core.rstrip(_TRAILING).strip()]
    # a quote run into a sentence often changes the case of its first letter only
    forms += [f[:1].swapcase() + f[1:] for f in forms]
    return [f for f in dict.fromkeys(forms) if f]


def locate(quote: str, original: str, start: int, end: int) -> tuple[int, int] | None:
    """Return the offsets in `original` of the first match of `quote` within `[start, end)`,
    comparing normalised text with typographic quote marks folded, or None."""
    flat, offsets = normalised_with_offsets(original[start:end])
    at = flat.translate(_FOLD).find(normalise(quote).translate(_FOLD))
    if at < 0:
        return None
    first, last = offsets[at], offsets[at + len(normalise(quote)) - 1]
    span = (start + first, start + last + 1)
    # the check that every citation must pass, on the original text at those offsets
    if normalise(original[span[0] : span[1]]).translate(_FOLD) != normalise(quote).translate(_FOLD):
        return None
    return span


def normalised_with_offsets(text: str) -> tuple[str, list[int]]:
    """Return `normalise(text)` (whitespace part) and the offset in `text` of each character."""
    chars: list[str] = []
    offsets: list[int] = []
    space_at = -1
    for i, ch in enumerate(text):
        if ch.isspace():
            if chars and space_at < 0:
                space_at = i
            continue
        if space_at >= 0:
            chars.append(" ")
            offsets.append(space_at)
            space_at = -1
        chars.append(ch)
        offsets.append(i)
    return "".join(chars), offsets


def check(
    text: str, passages: Sequence[Passage], source: Callable[[str], str]
) -> list[SentenceCheck]:
    """Return every sentence of `text` with its citations and quotes checked."""
    planted = flagged(passages)
    clean = [p for n, p in enumerate(passages, 1) if n not in planted]
    checks = []
    for sentence in split_sentences(text):
        cites = cited_numbers(sentence, len(passages))
        quotes = tuple(check_quote(q, passages, source, cites) for q in quoted_spans(sentence))
        quoted = any(q.verified for q in quotes)
        share = None if quoted else support(sentence, [passages[n - 1] for n in cites])
        injected = (
            instruction_like(sentence)
            or any(n in planted for n in cites)
            or any(q.passage in planted for q in quotes)
            or _words_from(sentence, [passages[n - 1] for n in sorted(planted)], clean)
        )
        if cites and not injected and share is not None and share < SUPPORT_MIN:
            sentence, cites, share = _recite(sentence, cites, share, passages, planted)
        checks.append(SentenceCheck(sentence, cites, quotes, share, injected))
    return checks


def _recite(
    sentence: str,
    cites: tuple[int, ...],
    share: float,
    passages: Sequence[Passage],
    planted: frozenset[int],
) -> tuple[str, tuple[int, ...], float]:
    """Return the sentence citing the one unflagged passage that supports it best, when its
    own citations do not and that one does (a small model often gets the number wrong)."""
    scored = [
        (support(sentence, [p]) or 0.0, n)
        for n, p in enumerate(passages, 1)
        if n not in planted and n not in cites
    ]
    best, n = max(scored, default=(0.0, 0))
    if best < SUPPORT_MIN:
        return sentence, cites, share
    return _CITE_RUNS.sub(f" [{n}]", CITE.sub("[]", sentence)), (n,), best


def _words_from(sentence: str, planted: Sequence[Passage], clean: Sequence[Passage]) -> bool:
    """Return True when the sentence has words that only the planted passages contain."""
    if not planted:
        return False
    own = set(own_words(sentence)) - set(content_tokens(" ".join(p.text for p in clean)))
    return bool(own & set(content_tokens(" ".join(p.text for p in planted))))


def ground(
    text: str,
    answer: Answer,
    passages: Sequence[Passage],
    source: Callable[[str], str],
    cut_off: str | None = None,
) -> Answer:
    """Return `answer` with `text` as its lead-in if any sentence passes the checks.

    `passages` are the passages the model saw, numbered from 1 in this order; `source` returns
    the original text of a document. With no passing sentence, the extractive answer comes back
    unchanged but for a notice. `cut_off` says why the text stopped early (the time limit):
    its unfinished last sentence is left out, and the notice says so.
    """
    checks = check(whole_sentences(text) if cut_off else text, passages, source)
    kept = [c for c in checks if c.problem is None]
    if not kept:
        why = "; ".join(w for w in (cut_off, _reasons(checks)) if w) or "it was empty"
        return replace(answer, notice=DROPPED.format(why=why))
    citations = list(answer.citations)
    numbering = {}
    for c in kept:
        for n in c.cites:
            if n not in numbering:
                numbering[n] = _citation_number(citations, passages, kept, n, source)
    sentences = [_rewrite(c, numbering) for c in kept]
    removed = [c for c in checks if c.problem is not None]
    notices = [CUT_OFF.format(why=cut_off)] if cut_off else []
    if removed:
        plural = "" if len(removed) == 1 else "s"
        notices.append(REMOVED.format(n=len(removed), s=plural, why=_reasons(removed)))
    return GeneratedAnswer.of(
        answer, text=" ".join(sentences), citations=citations, notice=" ".join(notices) or None
    )


def _reasons(checks: Sequence[SentenceCheck]) -> str:
    return ", ".join(dict.fromkeys(c.problem for c in checks if c.problem))


def _citation_number(
    citations: list[Citation],
    passages: Sequence[Passage],
    kept: Sequence[SentenceCheck],
    n: int,
    source: Callable[[str], str],
) -> int:
    """Return the 1-based number of the citation for passage `n`, appending one if needed:
    the first verified quote of that passage, or else its sentence closest to the text."""
    passage = passages[n - 1]
    for i, citation in enumerate(citations, 1):
        if citation.passage_id == passage.id:
            return i
    quote = next((q for c in kept for q in c.quotes if q.passage == n), None)
    if quote is not None:
        start, end = quote.start, quote.end
    else:
        citing = " ".join(c.text for c in kept if n in c.cites)
        start, end = closest_sentence(passage, citing, source(passage.doc))
    text = normalise(source(passage.doc)[start:end])
    citations.append(
        Citation(passage.id, passage.doc, passage.speaker, passage.role, start, end, text)
    )
    return len(citations)


def closest_sentence(passage: Passage, text: str, original: str) -> tuple[int, int]:
    """Return the span of the passage's sentence sharing the most content words with `text`
    (the first sentence on a tie)."""
    words = set(content_tokens(CITE.sub(" ", text)))
    spans = passage.sentences or ((passage.start, passage.end),)
    return max(spans, key=lambda s: len(words & set(content_tokens(original[s[0] : s[1]]))))


def _rewrite(check: SentenceCheck, numbering: dict[int, int]) -> str:
    """Return the sentence with verbatim quotes and its markers renumbered to citations."""
    text = check.text
    for q in check.quotes:
        text = text.replace(q.text, _verbatim(q), 1)

    def renumber(marker: re.Match) -> str:
        numbers = [int(n) for n in re.split(r"\s*[,;]\s*", marker.group(1))]
        mapped = sorted({numbering[n] for n in numbers if n in numbering})
        return "".join(f"[{m}]" for m in mapped)

    text = CITE.sub(renumber, text)
    return re.sub(r"\s+([.,;:!?])", r"\1", normalise(text))


def _verbatim(q: QuoteCheck) -> str:
    """Return `q.text` with the part that matched replaced by the source's own text."""
    for candidate in _quote_candidates(q.text):
        if candidate.translate(_FOLD) == q.quote.translate(_FOLD):
            written = candidate if candidate in q.text else candidate[:1].swapcase() + candidate[1:]
            return q.text.replace(written, q.quote, 1)
    return q.text
