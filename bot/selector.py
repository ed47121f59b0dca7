"""Quote selection: score the sentences of retrieved passages and keep the smallest spans that
answer, or decide that the statement does not answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from quotebot.index.store import CorpusIndex
from quotebot.index.text import content_tokens

from .question import Query
from .retriever import Evidence
from .scoring import ScoringConfig

# Every number (weights, penalties, cosine ranges, threshold, margin) is the ScoringConfig's.
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"hundred|thousand|million|billion|several|dozens?|half)\b",
    re.IGNORECASE,
)
_DURATION = re.compile(
    r"\b(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|several|few|many)\s+"
    r"(minutes?|hours?|days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(
    r"\b\d{1,2}([:.]\d{2})?\s*(am|pm|a\.m\.|p\.m\.|o.clock)|\b(morning|afternoon|evening|"
    r"night|noon|midnight)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|today|yesterday|"
    r"tomorrow)\b|\b\d{4}\b",
    re.IGNORECASE,
)
_AGE = re.compile(r"\b\d+\b.{0,20}\byears?\b|\baged?\b", re.IGNORECASE)
_ASKS_WHO = re.compile(r"^\s*(and\s+)?(who|whom)\b|^\s*кто\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-z]+\b")  # a capitalised word: a name, when not opening a sentence
# (what the question asks for, what a sentence holding the answer must contain)
ANSWER_TYPES = (
    (re.compile(r"^\s*how long\b|сколько (длил|продолжал)", re.IGNORECASE), _DURATION),
    (re.compile(r"\bhow old\b|сколько лет", re.IGNORECASE), _AGE),
    (re.compile(r"\b(what|which) time\b|\bat what hour\b|во сколько", re.IGNORECASE), _CLOCK),
    (
        re.compile(
            r"\b(what|which) (date|day|year|month)\b|какого числа|какая дата", re.IGNORECASE
        ),
        _DATE,
    ),
    (re.compile(r"^\s*how (many|much)\b|сколько", re.IGNORECASE), _NUMBER),
)
_ASKS_ABOUT_QUESTION = re.compile(
    r"\b(journalists?|reporters?|asked|ask|asking|premise|who (said|mentioned|raised|"
    r"brought up|referenced|cited)|media|press)\b|журналист|спросил|спрашива",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quote:
    """A run of sentences `first..last` (inclusive) of one passage, with its score."""

    row: int
    first: int
    last: int
    score: float


@dataclass(frozen=True)
class Selection:
    """The chosen quotes, best first; the best quotable sentence score (the evidence strength);
    and the retrieved passages re-ranked by their best sentence."""

    quotes: list[Quote]
    best: float
    ranking: list[tuple[int, float]]


def select(
    query: Query, evidence: Evidence, index: CorpusIndex, scoring: ScoringConfig, max_quotes: int
) -> Selection:
    """Return up to `max_quotes` quotes scoring at least the abstention threshold and within
    the quote margin of the best; none when the best sentence is under the threshold or the
    question is a request."""
    scored = score_sentences(query, evidence, index, scoring)
    ranked = rank_passages(scored)
    quotable = [(row, j, s) for row, j, s, ok in scored if ok]
    best = quotable[0][2] if quotable else 0.0
    threshold = scoring.abstain_threshold
    if query.is_request or best < threshold:
        return Selection([], best, ranked)
    cutoff = max(threshold, best - scoring.quote_margin)
    keep = [(row, j, s) for row, j, s in quotable if s >= cutoff]
    return Selection(_merge(keep, index, max_quotes, scoring.short_sentence_words), best, ranked)


def rank_passages(scored: list[tuple[int, int, float, bool]]) -> list[tuple[int, float]]:
    """Return `(passage row, best sentence score)` from `score_sentences`' output, quotable
    passages first (a journalist's question is context, not the answer), best first."""
    ranking: dict[int, tuple[bool, float]] = {}
    for row, _, score, quotable in scored:
        ranking.setdefault(row, (quotable, score))
    ordered = sorted(ranking.items(), key=lambda kv: kv[1], reverse=True)
    return [(row, score) for row, (_, score) in ordered]


def score_sentences(
    query: Query, evidence: Evidence, index: CorpusIndex, scoring: ScoringConfig
) -> list[tuple[int, int, float, bool]]:
    """Return `(passage row, sentence index, score, quotable)` for the sentences of the
    retrieved passages, best first."""
    idf = index.lexicon.bm25.idf

    def scale(cosine: float) -> float:
        return scoring.cosine_scale(evidence.embedder, cosine)

    # a journalist's words are quoted only when the question is about what was asked
    asks_about_question = bool(_ASKS_ABOUT_QUESTION.search(query.question))
    # an English corpus offers no lexical evidence for a question in another language
    w = scoring.weights if query.language == "en" else scoring.dense_only_weights
    weights = evidence.query_weights
    total = sum(w * idf.get(t, _unknown_idf(idf)) for t, w in weights.items()) or 1.0
    sentence_vectors = index.vectors[evidence.embedder].sentences
    penalty = scoring.unknown_name_penalty if query.unknown_names else 0.0
    wanted = answer_type(query.search, about_speaker=asks_about_question)
    out = []
    for row, _ in evidence.ranked:
        passage = index.passages[row]
        quotable = passage.role != "question" or asks_about_question
        context = scale(max(evidence.dense.get(row, 0.0), evidence.routed.get(row, 0.0)))
        # journalists' questions are the statement's own index: an answer gets a share of the
        # match between its question and the user's
        route = scoring.route_weight * scale(evidence.routed.get(row, 0.0))
        first = index.first_sentence[row]
        vectors = sentence_vectors.reconstruct_n(first, len(passage.sentences))
        cosines = vectors @ evidence.query_vector
        source = index.source(passage.doc)
        for j, (s, e) in enumerate(passage.sentences):
            words = set(content_tokens(source[s:e]))
            lexical = sum(w * idf.get(t, 0.0) for t, w in weights.items() if t in words) / total
            score = (
                w.sentence * scale(float(cosines[j]))
                + w.context * context
                + w.lexical * lexical
                + route
                - penalty
            )
            if passage.role == "title":
                score -= scoring.title_penalty
            if wanted is not None and not wanted(source[s:e]):
                score -= scoring.type_penalty
            out.append((row, j, score, quotable))
    out.sort(key=lambda t: t[2], reverse=True)
    return out


def answer_type(question: str, about_speaker: bool = False) -> Callable[[str], bool] | None:
    """Return a test a sentence must pass to hold the kind of answer the question asks for
    (a duration, an age, a time, a date, a number, a person), or None for any other question.

    "Who said X?" (`about_speaker`) is answered by who speaks a sentence, not by a name in it.
    """
    for asks, holds in ANSWER_TYPES:
        if asks.search(question):
            return lambda sentence: bool(holds.search(sentence))
    if _ASKS_WHO.search(question) and not about_speaker:
        asked = {w.casefold() for w in _NAME.findall(question)}
        return lambda sentence: any(
            w.casefold() not in asked for w in _NAME.findall(sentence.split(" ", 1)[-1])
        )
    return None


def _unknown_idf(idf: dict[str, float]) -> float:
    # a question word the corpus never uses weighs like the rarest word it does use
    return max(idf.values(), default=1.0)


def _merge(
    keep: list[tuple[int, int, float]], index: CorpusIndex, max_quotes: int, short_words: int
) -> list[Quote]:
    """Return quotes from kept sentences: adjacent sentences of one passage form one run, and a
    sentence of fewer than `short_words` words takes the one before it along."""
    chosen: dict[int, set[int]] = {}
    order: list[tuple[int, int, float]] = []
    for row, j, score in keep:
        if row not in chosen and len(chosen) >= max_quotes:
            continue
        chosen.setdefault(row, set()).add(j)
        order.append((row, j, score))
    quotes: list[Quote] = []
    seen: set[tuple[int, int]] = set()
    for row, j, score in order:
        if (row, j) in seen:
            continue
        first = last = j
        while first - 1 in chosen[row]:
            first -= 1
        while last + 1 in chosen[row]:
            last += 1
        seen.update((row, k) for k in range(first, last + 1))
        passage = index.passages[row]
        s, e = passage.sentences[first]
        if first > 0 and len(index.source(passage.doc)[s:e].split()) < short_words:
            first -= 1
        quotes.append(Quote(row, first, last, score))
        if len(quotes) == max_quotes:
            break
    return quotes
