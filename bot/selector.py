"""Quote selection: the learned sentence model ranks the candidate sentences, the answerability
model decides whether the document answers at all, and the best sentences become quotes.

A journalist's question (or a moderator's words) is context, not an answer: it is quoted only
when the user asks what was asked (or who asked). The heading and dateline answer only
questions about the date or the title; asked when or where the document itself took place, the
lines that say so are quoted (bot/setting.py). Asked what a named speaker said ("What did Rob Pike
say about ...?"), only that speaker's words are quoted. A request for a summary ("summarise the
statement", "the main topics") is answered with the document's most central sentences, each a
quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from quotebot.index.store import CorpusIndex
from quotebot.index.text import content_tokens, fold

from .features import (
    SENTENCE_FEATURES,
    Candidates,
    candidates,
    contiguous,
    counted,
    counts,
    unquoted_person,
    with_second_view,
)
from .question import Query
from .reader import Read, ReaderModel, first_choice, shown
from .retriever import Evidence
from .scorer import Scorer, answer_features
from .scoring import ScoringConfig
from .setting import asked_setting, metadata_date, setting_lines

_COLUMN = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
SUMMARY = re.compile(
    r"\b(summari[sz]e|summary|sum up|main (points?|topics?|themes?|issues?|messages?)|"
    r"key (points?|topics?|messages?)|takeaways?|highlights|gist|overview|in (brief|short)|"
    r"in a nutshell|bottom line|tl;?dr)\b"
    r"|\bwhat (was|is) (it|this|the (statement|briefing|transcript|interview)) about\b"
    r"|\bкратко\b|\bрезюм|\bосновн\w* (тем|мысл)|\bzusammenfass"
    r"|\brésum(e|é|er|ez)\b|\bresum(en|ir|a)\b",  # French, Spanish: not "presumably", "resume"
    re.IGNORECASE,
)

# "What are the next steps?", "What happens next?": answered, like a summary, with what the
# document says is to come, from across it
NEXT_STEPS = re.compile(
    r"\bnext steps?\b|\bwhat (happens|comes|is|will happen|would happen)( \w+)? next\b"
    r"|\bwhat(['’]s| is) next\b|\bgoing forward\b|\bwhat(['’]s| is) the plan\b",
    re.IGNORECASE,
)
# what a question may name beside "next" and still ask about the event as a whole
_EVENT = frozenset(
    "meet talk briefing conference call hearing interview visit summit session discussion "
    "happen come plan step after today now".split()
)
_AHEAD = re.compile(  # a sentence about what is to come
    r"\b(will|won['’]t|shall|going to|plans?|planned|intends?|expects? to|next|continue|further"
    r"|upcoming|later|soon|tomorrow|agreed to|hope to)\b",
    re.IGNORECASE,
)

# the question asks for several things: a plural noun after "what" or "which", its complement,
# and its verb ("What defence steps did the two leaders announce?", "Which parachute and landing
# events did Grissom call out?", "Which points of friction with China did Sullivan raise?"), or
# what the plural things are ("What are the parts of the strategy?"); not "What did the
# Americans do?"
_NOT_MODIFIER = r"(?!(?:did|do|does|is|was|are|were|has|have|had|will|would|can|could|the|a|an)\b)"
_PLURAL = (
    r"(?!(?:is|was|has|does|this|its|his|us|thus|plus|across|unless|less|yes|news)\b)"
    r"(?:[a-z]+[^s\W]s|people|children)"
)
ASKS_LIST = re.compile(
    rf"\b(?:what|which)\s+(?:{_NOT_MODIFIER}[\w'’-]+\s+){{0,3}}?{_PLURAL}\s+"
    r"(?:(?:and|or|of|for|to|in|on|with|about|from)\s+(?:[\w'’-]+\s+){0,5}?)?"
    r"(?:did|do|does|were|are|was|is|has|have|had|will|would|could|can|should|might|may)\b"
    rf"|\bwhat\s+(?:are|were)\s+(?:the|his|her|their|its|[\w-]+['’]s?)\s+(?:[\w'’-]+\s+){{0,2}}?"
    rf"{_PLURAL}\b",
    re.IGNORECASE,
)
# the question asks who (or which one), not what: a journalist's preamble that names them is
# the answer, without the question it leads to
ASKS_WHO = re.compile(
    r"\W*(who|whose|whom|which|what (reporter|journalist|outlet|newspaper|agency|network))\b",
    re.IGNORECASE,
)


# a sentence that is an item of a spoken list ("First, we're investing ...", "Secondly, ...",
# "One is the problem that ...", "And finally, ...")
_ITEM = re.compile(
    r"^\W*(?:(?:and|but|so|now)[,\s]+)?(?:(?:first|second|third|fourth|fifth)(?:ly)?\b|finally\b"
    r"|lastly\b|additionally\b|number (?:one|two|three|four|five)\b"
    r"|(?:one|two|three|four)(?=,|\s+(?:is|was|are)\b))",
    re.IGNORECASE,
)

# a phrase the question puts in double quotes ("Who dismissed the allegations as “a bunch of
# malarkey”?"): the sentence that says it, verbatim, answers
_QUOTED = re.compile(r'["“”„«]([^"“”„«»\n]{3,300}?)["“”»]')


@dataclass(frozen=True)
class Quote:
    """A run of sentences `first..last` (inclusive) of one passage, with its probability."""

    row: int
    first: int
    last: int
    score: float


@dataclass(frozen=True)
class Selection:
    """The chosen quotes, best first; `confidence`, the calibrated probability that the
    answer shown (quotes, or "does not say" when there are none) is right; and the
    retrieved passages re-ranked by their best sentence's probability."""

    quotes: list[Quote]
    confidence: float
    ranking: list[tuple[int, float]]
    dated: str | None = None  # asked when: the document's metadata date the quotes lack


def select(
    query: Query,
    evidence: Evidence,
    index: CorpusIndex,
    scoring: ScoringConfig,
    max_quotes: int,
    read: Read | None = None,
) -> Selection:
    """Return up to `max_quotes` quotes when the answerability model is at least the answer
    threshold sure the best one answers; none otherwise, or when the question is a request.
    With a second embedder's view in `evidence`, the models over both embedders decide. With
    `read` (an LLM reader, bot/reader.py), an answer quotes first the sentence the reader's
    reading puts first."""
    cands, model = scored_candidates(query, evidence, index, scoring)
    probs, logits = sentence_probabilities(cands, model)
    ranking = rank_passages(cands, probs)
    allowed = np.isfinite(logits)
    if not allowed.any():
        return Selection([], 1.0, ranking)
    ratio = scoring.extra_quote_ratio
    row = answer_features(cands.matrix[allowed], probs[allowed], logits[allowed], ratio, max_quotes)
    p = float(model.answerable.probability(row[None, :])[0])
    if query.is_request or query.small_talk:
        return Selection([], 1.0, ranking)
    quoted = _quoted(query, index, scoring, ranking, max_quotes)
    if quoted is not None:
        return quoted
    if SUMMARY.search(query.question):
        return Selection(summary(cands, probs, index, evidence, scoring), p, ranking)
    if asks_next_steps(query.question):
        ahead = next_steps(cands, probs, allowed, index, max_quotes)
        if ahead:
            return Selection(ahead, p, ranking)
    if unquoted_person(query.search, index, query.doc):
        return Selection([], scoring.unquoted_confidence, ranking)
    setting = _setting(query, index, ranking, scoring)
    if setting is not None:
        return setting
    if p < model.threshold:
        if not _names_its_asker(cands.matrix, probs, allowed):
            return Selection([], float(model.unanswerable.probability(row[None, :])[0]), ranking)
        p = scoring.asked_confidence  # what a named reporter asked, found by name, not by topic
    order = list(np.argsort(-probs, kind="stable"))
    first = _read(query, cands, logits, index, read, scoring.reader) if read else None
    if first is not None:  # the reader's choice first, then the sentences nearly as likely
        order = [first, *(i for i in order if i != first)]
    best = float(probs[order[0]])
    asks_list = bool(ASKS_LIST.search(query.question))
    ratio = scoring.list_quote_ratio if asks_list else ratio
    kept = [i for i in order if allowed[i] and probs[i] >= ratio * best]
    if cands.matrix[kept[:max_quotes], _COLUMN["type_miss"]].all():
        # asked how many, how long, when or who, and no quote holds a number, a duration, a
        # date or a name: none can answer
        return Selection([], scoring.mistyped_confidence, ranking)
    things = counted(query.search)
    if things and not any(
        counts(index.sentence_text(*cands.refs[i]), things) for i in kept[:max_quotes]
    ):
        # asked how many of something, and no quote counts it ("How many Navy SEALs took part in
        # the raid?" and a quote on the raid with no number of SEALs)
        return Selection([], scoring.mistyped_confidence, ranking)
    keep = [(*cands.refs[i], float(probs[i])) for i in kept]
    if asks_list:
        keep = listed(keep, index, scoring.list_item_gap)
    who = bool(ASKS_WHO.match(query.question))
    quotes = _merge(keep, index, max_quotes, scoring.short_sentence_words, who)
    return Selection(quotes, p, ranking)


def listed(
    keep: list[tuple[int, int, float]], index: CorpusIndex, gap: int
) -> list[tuple[int, int, float]]:
    """Return `keep` (sentences `(row, j, probability)`, best first) with the items of the
    spoken list ("First, ...", "Secondly, ...") that the likeliest sentence opening or belonging
    to one has, first, at the best probability: any of the kept sentences, not only those
    that would be quoted (a list's items are often less like the question than its opener)."""
    lists = (enumeration(index, row, j, gap) for row, j, _ in keep)
    items = next((e for e in lists if e), [])
    chosen = set(items)
    return [(row, j, keep[0][2]) for row, j in items] + [k for k in keep if k[:2] not in chosen]


def enumeration(index: CorpusIndex, row: int, j: int, gap: int) -> list[tuple[int, int]]:
    """Return the items of the spoken list that sentence `j` of passage `row` belongs to, or
    opens (the items start within `gap` sentences after it), in order, within its speaker's
    turn: each a sentence opening with "First", "Secondly", "One is" ... and at most `gap`
    sentences after the one before; none when there are fewer than two."""
    passage = index.passages[row]
    rows = contiguous(index, row, lambda p: _same_turn(p, passage))
    turn = [(r, k) for r in rows for k in range(len(index.passages[r].sentences))]
    at = turn.index((row, j))
    item = [bool(_ITEM.match(index.sentence_text(r, k))) for r, k in turn]
    if not item[at]:
        later = [k for k in range(at + 1, min(at + 1 + gap, len(turn))) if item[k]]
        if not later:
            return []
        at = later[0]
    start = end = at
    while True:
        before = [k for k in range(max(0, start - gap), start) if item[k]]
        if not before:
            break
        start = before[-1]
    while True:
        after = [k for k in range(end + 1, min(end + 1 + gap, len(turn))) if item[k]]
        if not after:
            break
        end = after[0]
    items = [turn[k] for k in range(start, end + 1) if item[k]]
    return items if len(items) >= 2 else []


def _same_turn(a, b) -> bool:
    return a.doc == b.doc and a.turn == b.turn and a.speaker == b.speaker


def quoted_phrases(question: str) -> tuple[str, ...]:
    """Return the phrases of two words or more that `question` puts in double quotes, folded
    (`index.text.fold`) and without the end punctuation a question puts inside them."""
    folded = (fold(m).strip(" .,;:!?…") for m in _QUOTED.findall(question))
    return tuple(dict.fromkeys(f for f in folded if len(f.split()) >= 2))


def saying(index: CorpusIndex, phrases: tuple[str, ...], doc: str | None) -> list[tuple[int, int]]:
    """Return `(passage row, sentence)` of the sentences that say one of `phrases` verbatim
    (folded), in document order, within document `doc` (None: every document). A phrase
    that runs over two sentences gives the first of them."""
    found = []
    for row, passage in enumerate(index.passages):
        if doc is not None and passage.doc != doc:
            continue
        text = fold(passage.text)
        hits = [p for p in phrases if p in text]
        if not hits:
            continue
        said = [fold(index.sentence_text(row, j)) for j in range(len(passage.sentences))]
        for j in range(len(said)):
            pair = said[j] + " " + said[j + 1] if j + 1 < len(said) else said[j]
            if any(p in said[j] or (p in pair and p not in said[j + 1]) for p in hits):
                found.append((row, j))
    return found


def _quoted(
    query: Query,
    index: CorpusIndex,
    scoring: ScoringConfig,
    ranking: list[tuple[int, float]],
    max_quotes: int,
) -> Selection | None:
    """Return the answer to a question that quotes a phrase: the sentences that say it, at
    `phrase_confidence`; asked who said a phrase of three words or more that no sentence says,
    "does not say" at `misquoted_confidence`; None when the question quotes nothing (or only
    a missing phrase, and does not ask who)."""
    phrases = quoted_phrases(query.question)
    if not phrases:
        return None
    found = saying(index, phrases, query.doc)
    if found:
        keep = [(row, j, 1.0) for row, j in found]
        who = bool(ASKS_WHO.match(query.question))
        quotes = _merge(keep, index, max_quotes, scoring.short_sentence_words, who)
        return Selection(quotes, scoring.phrase_confidence, ranking)
    if ASKS_WHO.match(query.question) and any(len(p.split()) >= 3 for p in phrases):
        return Selection([], scoring.misquoted_confidence, ranking)
    return None


def _setting(
    query: Query, index: CorpusIndex, ranking: list[tuple[int, float]], scoring: ScoringConfig
) -> Selection | None:
    """Return the answer to a question about the document's own date, time or place (of the
    document holding the best candidate) from the lines that state it, or None when the
    question is not about the setting or no line states it (bot/setting.py)."""
    kinds = asked_setting(query.question)
    if not kinds:
        return None
    doc = query.doc or (index.passages[ranking[0][0]].doc if ranking else index.passages[0].doc)
    lines = setting_lines(index, doc, kinds, query.question, scoring.setting_max_words)
    if not lines:
        return None
    quotes = [Quote(row, j, j, 1.0) for row, j in lines]
    dated = metadata_date(index, doc, kinds, lines)
    return Selection(quotes, scoring.setting_confidence, ranking, dated)


def _read(
    query: Query,
    cands: Candidates,
    logits: np.ndarray,
    index: CorpusIndex,
    read: Read,
    model: ReaderModel,
) -> int | None:
    """Return the candidate the reader's reading puts first, or None without a reading."""
    order = shown(logits, model.candidates)
    sentences = [
        (index.passages[cands.refs[i][0]].speaker, index.sentence_text(*cands.refs[i]))
        for i in order
    ]
    reading = read(query.question, sentences)
    if reading is None:
        return None
    return first_choice(logits, order, reading, model.weight)


def _names_its_asker(matrix: np.ndarray, probs: np.ndarray, allowed: np.ndarray) -> bool:
    """Return True when the best quotable candidate is a question of the asker the user names
    ("What did Weijia want to know from Vilsack?": the turn after "Go ahead, Weijia."). Such a
    question shares no words with the user's, so its cosines say nothing of whether it answers."""
    if not allowed.any():
        return False
    best = int(np.argmax(np.where(allowed, probs, -1.0)))
    row = matrix[best]
    return bool(row[_COLUMN["by_named"]] == 1 and row[_COLUMN["question_x_asks"]] == 1)


def scored_candidates(
    query: Query, evidence: Evidence, index: CorpusIndex, scoring: ScoringConfig
) -> tuple[Candidates, Scorer]:
    """Return the candidate sentences of `evidence` with their features, and the models that
    read them: over both embedders' features when `evidence` has a second view."""
    cosines = scoring.cosines(evidence.embedder)
    cands = candidates(
        query,
        evidence,
        index,
        cosines,
        scoring.caller_turns,
        (scoring.reported_share, scoring.reported_words),
    )
    if evidence.second is None:
        return cands, scoring.model
    name, vector = evidence.second
    return with_second_view(cands, index, name, vector, scoring.cosines(name)), scoring.model_both


def sentence_probabilities(cands: Candidates, model: Scorer) -> tuple[np.ndarray, np.ndarray]:
    """Return each candidate's probability of answering under `model`, and its log-odds (-inf
    for a sentence that may not be quoted for this question: probability 0)."""
    logits = model.sentence.logit(cands.matrix) if len(cands) else np.zeros(0)
    allowed = quotable_rows(cands.matrix)
    logits = np.where(allowed, logits, -np.inf)
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-logits)), logits


def quotable_rows(matrix: np.ndarray) -> np.ndarray:
    """Return which candidate rows may be quoted: a journalist's question, or a moderator's
    words, only when the user asks what was asked; the heading only when the user asks for
    the date or the title; when the user asks what a named speaker said, not another
    speaker's words; a speaker saying who they are only when the user asks who someone is."""
    if not len(matrix):
        return np.zeros(0, dtype=bool)
    question = matrix[:, _COLUMN["role_question"]] == 1
    asks_this = matrix[:, _COLUMN["question_x_asks"]] == 1  # what was asked, or this asker
    moderator = matrix[:, _COLUMN["role_moderator"]] == 1
    asks_asked = matrix[:, _COLUMN["asks_what_was_asked"]] == 1
    title = matrix[:, _COLUMN["role_title"]] == 1
    asks_heading = matrix[:, _COLUMN["asks_date_or_title"]] == 1
    other_speaker = matrix[:, _COLUMN["other_speaker"]] == 1
    closed = (question & ~asks_this) | (moderator & ~asks_asked) | (title & ~asks_heading)
    introduction = matrix[:, _COLUMN["introduces_self"]] == 1
    return ~closed & ~other_speaker & ~introduction


def rank_passages(cands: Candidates, probs: np.ndarray) -> list[tuple[int, float]]:
    """Return `(passage row, best sentence probability)`, best first (ties: retrieval order)."""
    best: dict[int, float] = {}
    for (row, _), p in zip(cands.refs, probs, strict=True):
        best[row] = max(best.get(row, 0.0), float(p))
    return sorted(best.items(), key=lambda kv: kv[1], reverse=True)


def asks_next_steps(question: str) -> bool:
    """Return whether `question` asks what comes next, of the event itself ("What are the next
    steps?", "What happens next after the meeting?"), not of a topic ("What are the next steps
    on testing?" is answered as any question is)."""
    match = NEXT_STEPS.search(question)
    if match is None:
        return False
    rest = question[: match.start()] + " " + question[match.end() :]
    return not set(content_tokens(rest)) - _EVENT


def next_steps(
    cands: Candidates, probs: np.ndarray, allowed: np.ndarray, index: CorpusIndex, most: int
) -> list[Quote]:
    """Return what the document says is to come, for "What are the next steps?": the likeliest
    candidate sentences that speak of the future (`_AHEAD`), one per passage, up to `most`,
    best first; none when no candidate does."""
    chosen: dict[int, Quote] = {}
    for i in np.argsort(-probs, kind="stable"):
        row, j = cands.refs[i]
        if allowed[i] and row not in chosen and _AHEAD.search(index.sentence_text(row, j)):
            chosen[row] = Quote(row, j, j, float(probs[i]))
            if len(chosen) == most:
                break
    return list(chosen.values())


def summary(
    cands: Candidates,
    probs: np.ndarray,
    index: CorpusIndex,
    evidence: Evidence,
    scoring: ScoringConfig,
) -> list[Quote]:
    """Return an extractive summary of the document the question is about (the one holding
    the best candidate): its most central spoken sentences, one per passage, in document order.

    A sentence is central when its vector is close to the mean of the document's sentence
    vectors. Only what says something is summed up: not the journalists' questions, not a
    sentence that asks, not one shorter than `summary_min_words` ("Yeah.", "Thank you very
    much."), not one nobody says where the document names its speakers (a page's "THIS IS A
    RUSH TRANSCRIPT."), and not one that repeats a sentence already chosen (its scaled cosine to
    it at least `summary_max_similarity`); the short ones only when nothing longer is said."""
    doc = index.passages[cands.refs[int(np.argmax(probs))][0]].doc if len(cands) else None
    rows = [r for r, p in enumerate(index.passages) if p.doc == doc]
    named = sum(1 for r in rows if index.passages[r].speaker) * 2 > len(rows)
    spoken = [
        (i, row, j)
        for i, (row, j) in enumerate(index.sentence_refs)
        if index.passages[row].doc == doc
        and index.passages[row].role in ("answer", "statement")
        and (index.passages[row].speaker or not named)
    ]

    def says(row: int, j: int) -> bool:
        text = index.sentence_text(row, j).strip()
        return len(text.split()) >= scoring.summary_min_words and not text.endswith("?")

    refs = [ref for ref in spoken if says(ref[1], ref[2])] or spoken
    if not refs:
        return []
    vectors = index.vectors[evidence.embedder].sentences
    matrix = np.stack([vectors.reconstruct(int(i)) for i, _, _ in refs])
    centre = matrix.mean(axis=0)
    centrality = matrix @ (centre / (np.linalg.norm(centre) or 1.0))
    low, high = scoring.cosines(evidence.embedder)
    chosen: dict[int, tuple[int, float, int]] = {}  # passage row -> (sentence, score, k)
    for k in np.argsort(-centrality, kind="stable"):
        _, row, j = refs[k]
        if row in chosen:
            continue
        taken = [c for _, _, c in chosen.values()]
        if (
            taken
            and (matrix[taken] @ matrix[k] - low).max() / (high - low)
            >= scoring.summary_max_similarity
        ):
            continue
        chosen[row] = (j, float(centrality[k]), int(k))
        if len(chosen) == scoring.summary_sentences:
            break
    return [Quote(row, j, j, score) for row, (j, score, _) in sorted(chosen.items())]


def _merge(
    keep: list[tuple[int, int, float]],
    index: CorpusIndex,
    max_quotes: int,
    short_words: int,
    who: bool = False,
) -> list[Quote]:
    """Return quotes from the best `max_quotes` kept sentences (as `bench.tune` measures them):
    adjacent sentences of one passage form one run, and a sentence of fewer than `short_words`
    words takes the one before it along (the one after it, when it opens its passage: a turn's
    "Never." and its reason). A journalist's preamble is quoted through the question
    it leads to (see `_through_the_question`), in a later passage too unless the user asks `who`
    asked."""
    chosen: dict[int, set[int]] = {}
    order = keep[:max_quotes]
    for row, j, _ in order:
        chosen.setdefault(row, set()).add(j)
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
        if len(index.source(passage.doc)[s:e].split()) < short_words:
            if first > 0:
                first -= 1
            elif last + 1 < len(passage.sentences):  # a turn's "Never.": the sentence after it
                last += 1
        question = None
        if passage.role == "question":
            last, question = _through_the_question(index, row, first, last)
        quotes.append(Quote(row, first, last, score))
        if question is not None and not who and question[:2] not in seen:
            later, start, end = question
            seen.update((later, k) for k in range(start, end + 1))
            quotes.append(Quote(later, start, end, score))
        if len(quotes) >= max_quotes:
            break
    return quotes[:max_quotes]


def _through_the_question(
    index: CorpusIndex, row: int, first: int, last: int
) -> tuple[int, tuple[int, int, int] | None]:
    """Return where a quote of sentences `first..last` of a journalist's question (passage
    `row`) should end, and the question it leads to in a later passage of the same turn, if
    any, as `(row, first, last)`. A run that asks stays as it is; a preamble runs through the
    question ("A very serious question, Mr President." is followed by "What kind of granddad
    are you?"); when the question is in a later passage (a reporter's "Laura Barrón-López with
    the PBS NewsHour." opens a long one), that passage is quoted too, through the question."""
    passage = index.passages[row]

    def asks(p: int, j: int) -> bool:
        return index.sentence_text(p, j).rstrip().endswith("?")

    if any(asks(row, j) for j in range(first, last + 1)):
        return last, None
    ask = next((j for j in range(last + 1, len(passage.sentences)) if asks(row, j)), None)
    if ask is not None:
        return ask, None
    for later in range(row + 1, len(index.passages)):
        other = index.passages[later]
        if (other.doc, other.turn, other.role) != (passage.doc, passage.turn, passage.role):
            break
        ask = next((j for j in range(len(other.sentences)) if asks(later, j)), None)
        if ask is not None:
            return last, (later, 0, ask)
    return last, None
