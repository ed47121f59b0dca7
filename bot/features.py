"""Sentence features: every signal retrieval found, per candidate sentence, as one numeric row.

The learned scorer (`bot/scorer.py`) turns a row into the probability that the sentence answers
the question; the answerability model turns the best rows into the probability that the answer
shown is right. Features describe a sentence *in context*: its own similarity, its passage's,
its neighbours', the journalist's question it answers, lexical overlap and what the sentence
adds beyond the question's words, the kind of answer asked for, and who speaks it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from quotebot.index.records import Passage
from quotebot.index.segment import UNNAMED_ASKERS
from quotebot.index.text import NAME_WORD, STOPWORDS, content_tokens, normalise, stem, tokens

# The names of the columns `sentence_features` returns, in order. A model file records the
# names it was trained on; `Scorer` refuses a file whose names differ.
SENTENCE_FEATURES = (
    "cos",  # cosine of the sentence to the question
    "cos_gap",  # cos minus the best candidate's cos
    "cos_rank",  # 1 / (1 + rank of cos among the candidates)
    "cos_neighbour",  # best cosine of the sentence before or after, in the same passage
    "cos_passage",  # cosine of the passage
    "cos_route",  # cosine of the journalist's question this passage answers
    "fused_rank",  # 1 / (1 + rank of the passage in the fused retrieval)
    "bm25_passage",  # BM25 of the passage over the best passage's
    "overlap",  # idf-weighted share of the question's content words in the sentence
    "overlap_passage",  # the same, in the whole passage
    "novelty",  # share of the sentence's content words that the question does not contain
    "type_asked",  # the question asks for a number, duration, date, time, age or person
    "type_match",  # ... and the sentence holds one
    "type_miss",  # ... and the sentence holds none
    "role_answer",
    "role_question",
    "role_statement",
    "role_title",
    "role_moderator",
    "asks_what_was_asked",  # the question is about what a journalist asked
    "asks_date_or_title",  # the question asks for the date or the title (the heading answers)
    "question_x_asks",  # a question, when the user asks what was asked (of its asker, if named;
    # or the named asker is the subject: "What did Stephen Twigg call for?")
    "other_speaker",  # the user asks what a named speaker said (or asked), and another says it
    "first_in_passage",
    "position",  # sentence index / sentences in passage
    "log_words",
    "content_words",  # log(1 + distinct content words): "Sure." and "Go ahead." say nothing
    "interrogative",  # the sentence ends with a question mark
    "unknown_names",  # the question names someone the corpus never mentions
    "unseen_words",  # share of the question's content words the corpus never uses (English)
    "follow_up",
    "other_language",  # the question is not in English (searched with the multilingual model)
    "after_previous",  # 1 / distance after a sentence the earlier answer quoted, in its turn
    "repeats_previous",  # the earlier answer quoted this sentence
    "by_named",  # the user names this sentence's speaker (what X said, or what X asked)
    "settles",  # the question asks yes or no, and the sentence opens with a verdict ("No, ...")
    "introduces_self",  # the speaker says who they are ("My name is Ed Templeton, and I am here
    # testifying on behalf of ..."), and the question does not ask who someone is
)
# A second embedder's view of the same candidates: for an English question (searched with
# MiniLM) the multilingual e5's cosines, when the index has its vectors. On the test documents
# of evals/transcripts.jsonl the top sentence is right 0.474 of the time against 0.436 without
# them, and the confidence's AUROC is 0.791 against 0.764 (bench/tune.py; dev, leaving out a
# document at a time: 0.523 against 0.485 for the English questions).
SECOND_FEATURES = (
    "second_cos",  # the second embedder's cosine of the sentence to the question
    "second_cos_gap",  # second_cos minus the best candidate's
    "second_cos_rank",  # 1 / (1 + rank of second_cos among the candidates)
    "second_cos_passage",  # its cosine of the passage
    "second_cos_neighbour",  # its best cosine of the sentence before or after
)
BOTH_FEATURES = SENTENCE_FEATURES + SECOND_FEATURES
# number words of the languages questions are answered in (English, Russian, French, German,
# Spanish), for a transcript in that language: "Встреча продолжалась пять часов."
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty"
    r"|hundred|thousand|million|billion|trillion|several|dozens?|half|percent"
    r"|одн\w*|один|два|две|тр[её]х|три|четыр\w*|пят\w*|шест\w*|сем\w*|восем\w*|девят\w*"
    r"|десят\w*|двадцат\w*|тридцат\w*|сорок\w*|сто|сот\w*|тысяч\w*|миллион\w*|миллиард\w*"
    r"|несколько|нескольких|половин\w*|процент\w*"
    r"|deux|trois|quatre|cinq|sept|huit|neuf|dix|vingt|trente|cent|mille|milliards?|plusieurs"
    r"|moitié|quarante|cinquante|soixante|quatre-vingts?|zwei|drei|vier|fünf|sechs|sieben"
    r"|acht|neun|zehn|zwanzig|dreißig|vierzig|fünfzig|sechzig|siebzig|achtzig|neunzig|hundert"
    r"|tausend|Millionen|Milliarden?|mehrere|Hälfte|Prozent|dos|tres|cuatro|cinco|seis|siete"
    r"|ocho|nueve|diez|veinte|treinta|cuarenta|cincuenta|sesenta|setenta|ochenta|noventa|cien"
    r"|mil|millón|millones|varios|varias|mitad|девяност\w*"
)
_NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.IGNORECASE)
_DURATION = re.compile(
    rf"\b(\d+|an?|{_NUMBER_WORDS}|few|many|some|une?|ein\w*|una?|полтора)\s+(more\s+)?"
    r"(seconds?|minutes?|hours?|days?|weeks?|months?|years?|decades?"
    r"|секунд\w*|минут\w*|час\w*|дн(?:я|ей)|день|недел\w*|месяц\w*|год\w*|лет"
    r"|secondes?|heures?|jours?|semaines?|mois|ans|années?|Sekunden?|Minuten?|Stunden?|Tagen?"
    r"|Wochen?|Monaten?|Monate|Jahren?|segundos?|minutos?|horas?|días?|semanas?|mes(?:es)?|años?)"
    r"\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(
    r"\b\d{1,2}([:.]\d{2})?\s*(am|pm|a\.m\.|p\.m\.|o.clock)|\b(morning|afternoon|evening|"
    r"night|noon|midnight)\b",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|\b(1[89]|20)\d{2}\b"
    r"|\b(in|since|from|until|by)\s+1[0-7]\d{2}\b"  # an older year: "in 1295"
    # months and weekdays in the transcript's own language: "Встреча прошла 3 декабря."
    r"|\b(январ|феврал|март|апрел|ма[йя]\b|июн|июл|август|сентябр|октябр|ноябр|декабр"
    r"|понедельник|вторник|сред[ау]\b|четверг|пятниц|суббот|воскресень)"
    r"|\b(janvier|février|avril|juin|juillet|août|septembre|octobre|novembre|décembre|lundi"
    r"|mardi|mercredi|jeudi|vendredi|samedi|dimanche|Januar|Februar|März|Juni|Juli|Oktober"
    r"|Dezember|Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag|enero|febrero"
    r"|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|lunes"
    r"|miércoles|jueves|viernes|sábado|domingo)\b",
    re.IGNORECASE,
)
_RATES = (  # rates given in percent
    r"(interest|unemployment|jobless|tariff|tax|inflation|growth|mortgage|vacancy|poverty"
    r"|default|savings|discount|funds|lending|borrowing|participation|approval|vaccination)"
)
_MONEY = re.compile(
    r"[$€£¥₽]|\b(dollars?|euros?|pounds?|rubles?|roubles?|yuan|yen|cents?|bucks)\b"
    r"|\b\d[\d,.]*\s*(million|billion|trillion|thousand|[mbk]n?)\b",
    re.IGNORECASE,
)
_RATE = re.compile(r"\d\s*(%|percent|per cent|basis points?)|\bpercent\b", re.IGNORECASE)
_AGE = re.compile(r"\b\d+\b.{0,20}\byears?\b|\baged?\b", re.IGNORECASE)
# a capitalised word, accents included ("Niinistö", "Erdoğan", "Müller")
_NAME = NAME_WORD
_LOWER_WORD = re.compile(r"\b[a-zß-öø-ÿ]+\b")
_NOT_NAMES = frozenset(  # titles and offices that end a speaker's label, or come before a name
    "Mr Mrs Ms Miss Dr Sir Dame Lord Lady Hon Rt Professor President Minister Secretary "
    "Counsel Inquiry Chair Chairman Speaker Deputy Member Committee Office State House "
    # "General Verrilli" (the Solicitor General), "Justice Ginsburg", "Ambassador Tefft"
    "General Gen Admiral Colonel Captain Commander Lieutenant Sergeant Governor Senator "
    "Representative Congressman Congresswoman Ambassador Justice Judge Mayor Director "
    "Administrator Commissioner Premier Reverend Father Rabbi Sheikh Solicitor Attorney "
    "The Court Presiding Officer Acting".split()  # "The President", "The Court"
)
# a speaker saying who they are: their name, or their post
_INTRODUCES_SELF = re.compile(
    r"\b(?:my name is|(?-i:I)(?: am|'m|’m) (?:(?-i:[A-Z])[\w.'’-]+(?:,|\s+(?-i:[A-Z]))"
    r"|(?:the |a |an )?(?:\w+ ){0,2}(?:chief|head|president|director|founder|co-founder|ceo|cto"
    r"|chairman|chair|lead|leader|maintainer|manager|owner|author|creator)\b))",
    re.IGNORECASE,
)
# ... which answers only who someone is, or what they do
_ASKS_IDENTITY = re.compile(
    r"\bwho (?:is|was|are|were)\b|\bwhat (?:does|did|do) (?:[\w.'’-]+ ){1,3}do\b"
    r"|\bwhat (?:is|was|are|were) (?:[\w.'’-]+ ){0,4}?(?:job|role|title|position|post|name)s?\b"
    r"|\bintroduc|\bwork(?:s|ed|ing)? (?:for|at)\b|\bwhere (?:is|was|does|did)\b.{0,30}\bwork",
    re.IGNORECASE,
)
_ASKS_WHO = re.compile(r"^\s*(and\s+)?(who|whom)\b|^\s*кто\b|^\s*qui\b|^\s*wer\b", re.IGNORECASE)
# "Who called the talks strictly confidential?" is answered by who speaks, not by a name
_SAYING = re.compile(
    r"\b(said|says|called|calls|described|describes|claimed|told|argued|insisted|stated|noted"
    r"|warned|mentioned|joked|promised|suggested|added|remarked|compared|praised|critici[sz]ed"
    r"|thanked|accused"
    # what someone thought or held, said aloud: "Who on the panel felt that ...?"
    r"|felt|feels|thinks|thought|believes|believed|admitted|conceded|predicted|recalled"
    r"|explained|expressed|pointed out|complained|worried|urged|acknowledged|emphasi[sz]ed"
    r"|stressed|proposed|recommended|disagreed|dismissed|likened|defended|rejected|wondered"
    r"|lamented|boasted|vowed)\b",
    re.IGNORECASE,
)
# ... or for a name: "What is the name of the Toronto company?", "Which bank lent it?"
_ASKS_NAME = re.compile(
    r"\bwhat(?:'s| is| was| were| are)? the names? of\b|\bwhat (?:was|is) (?:it|he|she) called\b"
    r"|^\s*(?:\w+\s+){0,2}?(which|what) (company|companies|firm|bank|agency|newspaper|outlet"
    r"|network|university|organi[sz]ation|app|product|brand|startup|fund|city|country|state)\b",
    re.IGNORECASE,
)
_SUBJECT_OF = r"(?:did|does|do|has|had|would|will|was|is|according to)"
_DOCUMENT = r"(commentary|statement|briefing|remarks|speech|address|interview|transcript|document)"
_ASKS_TITLE = re.compile(  # the heading names the document, and who gave it
    r"\b(title|headline|heading|called)\b"
    rf"|\bwho\b.{{0,30}}\b(gave|give|made|make|delivered|deliver|issued|giving|making)\b"
    rf"\s+(this|the)\s+{_DOCUMENT}\b"
    rf"|\bwhose\s+{_DOCUMENT}\b"
    rf"|\b(this|the)\s+{_DOCUMENT}\s+(is\s+)?(by|from)\s+whom\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\b(what|which) (date|day|year|month)\b|какого числа|какая дата|когда|\bquand\b|\bwann\b"
    r"|\bcuándo\b|^\s*¿?\s*cuando\b"  # not a clause's "cuando se vendió"
    # not a clause before the question ("When crude gets cheaper by $10, how much should ...?")
    r"|^\s*when\b(?![^?]*?,\s*(how|what|which|who|whom|why|where|does|did|do|is|are|was|were"
    r"|should|would|will|can|could)\b)",
    re.I,
)
# asked on what date or day, the answer names the day, not only a month or a year ("in
# February of this year" does not say on what date the visit takes place)
_ASKS_DAY = re.compile(r"\b(what|which) (date|day)\b", re.I)
_MONTHS = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
)
_DAY = re.compile(
    rf"\b{_MONTHS}\s+\d{{1,2}}(st|nd|rd|th)?\b|\b\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?{_MONTHS}"
    r"|\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b"
)
# (what the question asks for, what a sentence holding that answer contains)
ANSWER_TYPES = (
    (
        re.compile(
            r"\bhow long\b|сколько (длил|продолжал)|длительност|продолжительност|combien de temps"
            r"|\bla durée\b|wie lange|\bdauer|cuánto (tiempo )?dur|\bla duración\b",
            re.I,
        ),
        _DURATION,
    ),
    (re.compile(r"\bhow old\b|сколько лет|quel âge|wie alt", re.I), _AGE),
    (re.compile(r"\b(what|which) time\b|\bat what hour\b|во сколько|à quelle heure", re.I), _CLOCK),
    (_ASKS_DAY, _DAY),
    (_ASKS_DATE, _DATE),
    (
        re.compile(
            r"\bhow much (money|funding|cash)\b"
            r"|\bhow much did\b.{0,60}\b(pay|cost|lose|raise|spend|earn|make|charge|sell|buy|get)\b"
            r"|\bwhat (is|was|will be) the (total )?(price|cost|bill)\b",
            re.I,
        ),
        _MONEY,
    ),
    (re.compile(rf"\bwhat\b.{{0,25}}\b{_RATES}\s+rates?\b", re.I), _RATE),
    (
        re.compile(
            r"\bhow (many|much)\b|\bwhat (fraction|share|percentage|proportion|portion|amount|sum)"
            r"\b|\bhow (big|large|fast|far|high|strong|often|tall|heavy|deep|wide)\b"
            r"|сколько|combien|wie viele?|\bcu[aá]nt[oa]s?\b",
            re.I,
        ),
        _NUMBER,
    ),
)
# The question is about what a journalist asked (or who asked, or who said something a
# journalist may have said): only then may a journalist's question be quoted. "What did Modi
# say when asked about X?" is not such a question, nor is a request: "What did Putin ask the
# envoys to convey?", "What did Kyiv ask for?".
_ABOUT_ASKING = re.compile(
    r"\bwho (asked|mentioned|raised|brought up|referenced|cited|wanted to know|put the question"
    r"|said|says|remarked|joked|quipped|accused|claimed|argued|insisted|suggested|warned"
    r"|complained|challenged|pressed|criticized|criticised)\b"
    r"|\bwhat\b.*\b(was|were)\s+([\w.’'-]+\s+){0,3}asked\b(?!\s+to\b)"  # "Jean-Pierre", "Mr. Koo"
    r"|\bwhat (exactly |else |precisely )?did\b.*\b(ask|want to know)\b(?!\s+for\b)"
    r"(?!\s+(\w+\s+){0,3}to\s)"
    r"|\bwhat (exactly |else |precisely )?did\b.*\bwant\s+(\w+\s+){0,3}?"
    r"(explained|clarified|answered|confirmed)\b"
    r"|\bwhat did the (media|press)\b(?!\s+(secretary|office|officer|aide|spokes))"
    r"|\b(asking|questioners?|question was|first question|question about|'s question)\b"
    r"|\b(the|a|one|which|what) (reporter|journalist|correspondent|interviewer)s?\b"
    r"|\bcounsel\b|\bwhat did\b.*\bput to\b"
    r"|журналист|спросил|спрашива",
    re.IGNORECASE,
)
# ... unless it asks who answered: "Who answered the question about solar tax credits?" wants the
# answer's speaker, not the question; nor when it asks what a named speaker heard, estimated or
# said, or how someone responded, and a reporter comes up only in passing ("Had Earnest heard
# about the meeting before the reporter brought it up?", "A reporter floated the theory that ...
# How did the White House respond?"), without asking what was asked
_NAMED = r"(?-i:[A-Z])[\w.’'-]+"
_NO_ASKING = r"(?!.*\b(?:ask\w*|questions?)\b)"
ASKS_WHAT_WAS_ASKED = re.compile(
    r"^(?!.*\bwho\s+(?:answered|responded|replied|fielded|handled|took)\b)"
    rf"(?!\s*(?:had|has|have|did|does|do|was|were|is)\s+(?:{_NAMED}\s+){{1,3}}{_NO_ASKING})"
    r"(?!.*\bhow did\b(?:\s+[\w.’'-]+){1,4}?\s+(?:respond|react|answer|reply)\b)"
    rf"(?!.*\bdid\s+(?:{_NAMED}\s+){{1,3}}(?:estimate|say|think|predict|expect)\b{_NO_ASKING})"
    r".*?(?:" + _ABOUT_ASKING.pattern + ")",
    re.IGNORECASE | re.DOTALL,
)


# where a question about what was asked names the asker: before it says "ask"
_ASKING_VERB = re.compile(r"\b(?:ask|asks|asked|asking|want(?:s|ed)?)\b", re.IGNORECASE)
YES_NO_QUESTION = re.compile(
    r"^\s*(do|does|did|is|are|was|were|has|have|had|can|could|will|would|should|shall|may|"
    r"might|must)\b",
    re.IGNORECASE,
)
_SETTLES = re.compile(  # a sentence that opens by answering yes or no
    r"^\W*(yes|yeah|yep|no|nope|not|never|absolutely|certainly|definitely|of course|sure|"
    r"correct|indeed|none|nothing|neither)\b",
    re.IGNORECASE,
)


# "How many <people> got money back?": what is counted, up to the verb
_HOW_MANY = re.compile(
    r"\bhow many\s+(?:more\s+|other\s+|of\s+(?:the|their|its|his|her|our|these|those)\s+)?"
    r"(?P<counted>(?:(?!(?:did|do|does|is|are|was|were|has|have|had|will|would|can|could|should"
    r"|in|at|on|for|from|by|with|to|of)\b)[\w'’-]+\s*){1,3})",
    re.IGNORECASE,
)
_COUNT = re.compile(
    r"\d|^(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty"
    r"|forty|fifty|hundreds?|thousands?|millions?|billions?|several|dozens?|few|couple|handful)$"
)


def counted(question: str) -> frozenset[str]:
    """Return the stems of what a "how many" question counts ("How many Navy SEALs took part?"
    -> navy, seal, took), or nothing when it asks no "how many"."""
    match = _HOW_MANY.search(question)
    if match is None:
        return frozenset()
    return frozenset(content_tokens(match.group("counted")))


def counts(text: str, things: frozenset[str], reach: int = 4) -> bool:
    """Return whether `text` gives a number of `things`: a number at most `reach` words before
    one of them, or right after it ("nine mobile units", "nominees: three")."""
    words = tokens(text)
    for i, word in enumerate(words):
        if stem(word) in things:
            near = words[max(0, i - reach) : i] + words[i + 1 : i + 3]
            if any(_COUNT.match(w) for w in near):
                return True
    return False


@dataclass(frozen=True)
class Candidates:
    """Candidate sentences and their feature rows: `refs[i] = (passage row, sentence index)`."""

    refs: tuple[tuple[int, int], ...]
    matrix: np.ndarray  # (len(refs), len(SENTENCE_FEATURES)), float32

    def __len__(self) -> int:
        return len(self.refs)


def asks_for_date(question: str) -> bool:
    """Return True when the question asks when something happened (a date, a day, a year)."""
    return bool(_ASKS_DATE.search(question))


def answer_type(question: str, about_asking: bool = False) -> Callable[[str], bool] | None:
    """Return a test that a sentence holding the kind of answer asked for passes (a duration,
    age, time, date, number, or a person or other name), or None when the question asks for
    no such kind.

    "Who said X?" is answered by who speaks, not by a name in the sentence (`about_asking`).
    """
    for asks, holds in ANSWER_TYPES:
        if asks.search(question):
            return lambda sentence: bool(holds.search(sentence))
    asks_who = _ASKS_WHO.search(question) or _ASKS_NAME.search(question)
    if asks_who and not about_asking and not _SAYING.search(question):
        asked = {w.casefold() for w in _NAME.findall(question)}
        return lambda sentence: any(
            w.casefold() not in asked for w in _NAME.findall(sentence.split(" ", 1)[-1])
        )
    return None


def candidates(
    query,
    evidence,
    index,
    cosine_range: tuple[float, float] = (0.0, 1.0),
    caller_turns: int | None = None,
    reported: tuple[float, int] | None = None,
) -> Candidates:
    """Return the candidate sentences of the passages `evidence` ranked, with their features.

    Cosines are mapped linearly by the embedder's `cosine_range` (unrelated -> 0, strongly
    related -> 1): e5's cosines crowd into 0.7-0.9 while MiniLM's spread over 0-0.8, and the
    models must read both alike. A reporter the question names introduces at most
    `caller_turns` question turns (`introduced`). An earlier answer that quotes nothing
    reports the sentences that `reported` (share, words) finds (`reported_before`)."""
    lo, hi = cosine_range

    def scale(values):
        return (values - lo) / (hi - lo)

    rows = [row for row, _ in evidence.ranked]
    question = recased(query.search, index)
    called = introduced(question, index, rows, caller_turns)
    retrieved = set(rows)
    added = called + asked_by_name(question, index, rows)
    rows += [row for row in dict.fromkeys(added) if row not in retrieved]
    vectors = index.vectors[evidence.embedder].sentences
    cosines = sentence_cosines(vectors, index, rows, evidence.query_vector, cosine_range)
    dense = {row: scale(c) for row, c in evidence.dense.items()}
    # a candidate the passage search did not reach (found by BM25 or by a sentence, or a turn a
    # name introduces) gets its passage's cosine too, not 0
    passages = index.vectors[evidence.embedder].passages
    for row in rows:
        if row not in dense:
            dense[row] = scale(float(passages.reconstruct_n(row, 1)[0] @ evidence.query_vector))
    routed = {row: scale(c) for row, c in evidence.routed.items()}
    bm25 = index.lexicon.bm25.scores(evidence.query_weights, len(index.passages))
    top = float(bm25.max()) if len(bm25) else 0.0
    lexical = {row: float(bm25[row]) / top if top > 0 else 0.0 for row in rows}
    return sentence_features(
        question,
        evidence.query_weights,
        rows,
        dense,
        routed,
        lexical,
        cosines,
        index,
        index.lexicon.bm25.idf,
        bool(query.unknown_names),
        query.is_follow_up,
        unseen_share(query, index.lexicon.stems),
        query.language != "en",
        quoted_before(query.carried_quotes, index, rows)
        if query.carried_quotes or reported is None
        else reported_before(query.earlier_answer, index, rows, *reported),
        frozenset(called),
    )


# asked what a named person said, told or discussed, or how they responded: "What did Xi Jinping
# say about ...?", "How did Wang Yi respond to ...?"
_SAID_BY = re.compile(
    r"\b(?i:what|how)\s+(?i:did|does|do|has|had|would|will)\s+"
    r"(?P<who>(?:[A-ZÀ-ÖØ-Þ][\w.'’-]+\s+){1,4}?)"
    r"(?i:say|said|tell|told|discuss|discussed|mention|mentioned|respond|react|reply)\b"
)


def unquoted_person(question: str, index, doc: str | None = None) -> bool:
    """Return whether `question` asks what a named person said, told or discussed, or how they
    responded ("What did Xi Jinping say about Vice President Harris?", "How did Wang Yi respond
    to the concerns?"), and neither a speaker of the documents (`doc`, or all of them) nor
    their titles carry any of the names, every speaker's label giving a name: the documents
    quote nobody of that name."""
    match = _SAID_BY.search(question)
    if match is None:
        return False
    names = {w.casefold() for w in _NAME.findall(match.group("who")) if w not in _NOT_NAMES}
    if not names:
        return False
    documents = [index.documents[doc]] if doc in index.documents else index.documents.values()
    titles = {w.casefold() for d in documents for w in _NAME.findall(d.title or "")}
    if names & titles:
        return False
    by_doc = index.speakers_by_doc
    speakers = [_NAME.findall(s) for d in documents for s in by_doc.get(d.doc, ())]
    if any(all(w in _NOT_NAMES for w in label) for label in speakers):
        return False  # "THE PRESIDENT:", "CC:": a speaker whose name the label does not give
    words = {w.casefold() for label in speakers for w in label}
    return not names & words


def recased(question: str, index) -> str:
    """Return `question` with the speakers' names it types in lower case capitalised ("what did
    lamport say abuot retiring" -> "... Lamport ..."), for the rules that read names; only
    names the documents never write in lower case (`CorpusIndex.in_lower_case`)."""
    names = index.speaker_names

    def name(match: re.Match) -> str:
        word = match.group()
        typed = names.get(word)
        return word if typed is None or index.in_lower_case(word) else typed

    return _LOWER_WORD.sub(name, question)


def quoted_before(quotes: tuple[str, ...], index, rows: list[int]) -> dict[int, tuple[str, int]]:
    """Return the sentences of the passages `rows` that the earlier answer quoted (`quotes`,
    normalised), as {sentence row in the index: (document, speaker turn)}."""
    found: dict[int, tuple[str, int]] = {}
    if not quotes:
        return found
    for row in rows:
        passage = index.passages[row]
        if not any(q in passage.text or passage.text in q for q in quotes):
            continue
        source = index.source(passage.doc)
        for j, (start, end) in enumerate(passage.sentences):
            sentence = normalise(source[start:end])
            if any(sentence in q for q in quotes):
                found[index.first_sentence[row] + j] = (passage.doc, passage.turn)
    return found


def reported_before(
    answer: str, index, rows: list[int], share: float, words: int
) -> dict[int, tuple[str, int]]:
    """Return the sentences of the passages `rows` that an earlier answer in its own words
    reports (a history from elsewhere: "She said that in 2008, 106 countries voted in favour of
    a moratorium"), as `quoted_before` does: those sharing at least `words` content words with
    it, the shared words at least `share` of the sentence's content (idf-weighted)."""
    found: dict[int, tuple[str, int]] = {}
    said = frozenset(content_tokens(answer))
    if len(said) < words:
        return found
    idf = index.lexicon.bm25.idf
    rare = max(idf.values(), default=1.0)
    for row in rows:
        passage = index.passages[row]
        source = index.source(passage.doc)
        for j, (start, end) in enumerate(passage.sentences):
            content = content_words(source[start:end])
            shared = content & said
            if len(shared) < words:
                continue
            weight = sum(idf.get(w, rare) for w in shared)
            if weight >= share * sum(idf.get(w, rare) for w in content):
                found[index.first_sentence[row] + j] = (passage.doc, passage.turn)
    return found


def _after(
    previous: dict[int, tuple[str, int]], at: int, doc: str, turn: int
) -> tuple[float, float]:
    """Return (after_previous, repeats_previous) for the sentence at row `at` of the index, of
    document `doc`'s speaker turn `turn`: how closely it follows a sentence the earlier answer
    quoted in that turn (1 / distance in sentences), and whether it was quoted."""
    after = 0.0
    for row, (d, t) in previous.items():
        gap = at - row
        if gap == 0:
            return 0.0, 1.0
        if d == doc and t == turn and gap > 0:
            after = max(after, 1.0 / gap)
    return after, 0.0


def sentence_cosines(
    vectors, index, rows, query_vector: np.ndarray, cosine_range: tuple[float, float]
) -> dict[int, np.ndarray]:
    """Return, for each passage row of `rows`, its sentences' cosines to `query_vector` under the
    sentence `vectors`, mapped by `cosine_range` (see `candidates`)."""
    lo, hi = cosine_range
    cosines = {}
    for row in rows:
        first, n = index.first_sentence[row], len(index.passages[row].sentences)
        cosines[row] = (vectors.reconstruct_n(first, n) @ query_vector - lo) / (hi - lo)
    return cosines


def neighbour(cosines: np.ndarray, j: int) -> float:
    """Return the best cosine of the sentences before and after sentence `j` of a passage (its
    own when it has none)."""
    return max(
        (float(cosines[k]) for k in (j - 1, j + 1) if 0 <= k < len(cosines)),
        default=float(cosines[j]),
    )


def with_second_view(
    cands: Candidates,
    index,
    embedder: str,
    query_vector: np.ndarray,
    cosine_range: tuple[float, float] = (0.0, 1.0),
) -> Candidates:
    """Return `cands` with the SECOND_FEATURES columns appended: `embedder`'s cosines of each
    candidate sentence, its passage and its neighbours to `query_vector` (that embedder's vector
    of the question), mapped by `cosine_range` as in `candidates`."""
    lo, hi = cosine_range
    vectors = index.vectors[embedder]
    rows = list(dict.fromkeys(row for row, _ in cands.refs))
    sentence_cos = sentence_cosines(vectors.sentences, index, rows, query_vector, cosine_range)
    passage_cos = {
        row: (float(vectors.passages.reconstruct_n(row, 1)[0] @ query_vector) - lo) / (hi - lo)
        for row in rows
    }
    columns = np.zeros((len(cands), len(SECOND_FEATURES)), dtype=np.float32)
    if len(cands):
        cos = np.asarray([sentence_cos[row][j] for row, j in cands.refs], dtype=np.float32)
        rank = np.argsort(np.argsort(-cos, kind="stable"), kind="stable")
        for i, (row, j) in enumerate(cands.refs):
            columns[i] = (
                cos[i],
                cos[i] - cos.max(),
                1.0 / (1 + rank[i]),
                passage_cos[row],
                neighbour(sentence_cos[row], j),
            )
    return Candidates(cands.refs, np.concatenate([cands.matrix, columns], axis=1))


def unseen_share(query, stems: frozenset[str]) -> float:
    """Return the share of the (English) question's content words that no document uses: a
    question about "a prisoner exchange" to a statement that never mentions one."""
    if query.language != "en":
        return 0.0
    words = set(content_tokens(query.search))
    return sum(1 for w in words if w not in stems) / len(words) if words else 0.0


def sentence_features(
    question: str,
    query_weights: dict[str, float],
    ranked_rows: list[int],
    dense: dict[int, float],
    routed: dict[int, float],
    bm25: dict[int, float],
    sentence_cosines: dict[int, np.ndarray],
    index,
    idf: dict[str, float],
    unknown_names: bool,
    follow_up: bool,
    unseen: float = 0.0,
    other_language: bool = False,
    previous: dict[int, tuple[str, int]] | None = None,
    called: frozenset[int] = frozenset(),
) -> Candidates:
    """Return the feature rows of every sentence of the passages `ranked_rows` (best first).

    `sentence_cosines[row]` holds the cosine of each of the passage's sentences to the question;
    `called` the rows of the question turns that the reporter the question names introduces
    (`introduced`): only those may be quoted then.
    """
    asks_asked = bool(ASKS_WHAT_WAS_ASKED.search(question))
    asks_heading = asks_for_date(question) or bool(_ASKS_TITLE.search(question))
    wanted = answer_type(question, about_asking=asks_asked)
    rare = max(idf.values(), default=1.0)
    total = sum(w * idf.get(t, rare) for t, w in query_weights.items()) or 1.0
    question_tokens = set(query_weights)
    refs: list[tuple[int, int]] = []
    rows: list[list[float]] = []
    all_cos = np.concatenate([sentence_cosines[r] for r in ranked_rows]) if ranked_rows else []
    best_cos = float(np.max(all_cos)) if len(all_cos) else 0.0
    ascending = -np.sort(np.asarray(all_cos, dtype=np.float32))[::-1]  # minus the best first
    yes_no = bool(YES_NO_QUESTION.search(question))
    introductions = not _ASKS_IDENTITY.search(question)  # closed, unless asked who someone is
    named = _named_askers(question, index, ranked_rows)
    subjects = {n for n in named if _is_subject(question, n)}  # "What did Twigg call for?"
    speaker_asked = named_speaker(question, index, ranked_rows)
    for rank, row in enumerate(ranked_rows):
        passage = index.passages[row]
        asker = passage.speaker if passage.role == "question" else None
        by_named = (
            passage.speaker in named
            or (speaker_asked is not None and passage.speaker == speaker_asked)
            or row in called
        )
        # asked what X said, another speaker's words are not the answer; asked only what a
        # member or counsel asked ("What did Stephen Twigg call for?"), nobody else's are
        other = (
            (
                speaker_asked is not None
                and passage.role in ("answer", "statement")
                and passage.speaker != speaker_asked
            )
            or (
                bool(subjects)
                and passage.role != "title"
                and passage.speaker not in subjects
                and (speaker_asked is None or passage.role == "question")
            )
            or (bool(called) and row not in called)
        )
        source = index.source(passage.doc)
        cos = sentence_cosines[row]
        sentence_ranks = np.searchsorted(ascending, -np.asarray(cos, np.float32)).tolist()
        texts = [source[s:e] for s, e in passage.sentences]
        overlap_passage = _overlap(query_weights, content_words(passage.text), idf, total)
        n = len(texts)
        for j, text in enumerate(texts):
            word_set = content_words(text)
            novelty = (
                sum(1 for w in word_set if w not in question_tokens) / len(word_set)
                if word_set
                else 0.0
            )
            holds = wanted(text) if wanted is not None else False
            c = float(cos[j])
            role = passage.role
            rows.append(
                [
                    c,
                    c - best_cos,
                    1.0 / (1 + sentence_ranks[j]),
                    neighbour(cos, j),
                    dense.get(row, 0.0),
                    routed.get(row, 0.0),
                    1.0 / (1 + rank),
                    bm25.get(row, 0.0),
                    _overlap(query_weights, word_set, idf, total),
                    overlap_passage,
                    novelty,
                    float(wanted is not None),
                    float(wanted is not None and holds),
                    float(wanted is not None and not holds),
                    float(role == "answer"),
                    float(role == "question"),
                    float(role not in ("answer", "question", "title", "moderator")),
                    float(role == "title"),
                    float(role == "moderator"),
                    float(asks_asked),
                    float(asks_heading),
                    float(
                        role == "question"
                        and (
                            asker in named and (asks_asked or asker in subjects)
                            if named
                            else asks_asked
                        )
                    ),
                    float(other),
                    float(j == 0),
                    j / max(1, n - 1),
                    math.log1p(len(text.split())),
                    math.log1p(len(word_set)),
                    float(text.rstrip().endswith("?")),
                    float(unknown_names),
                    unseen,
                    float(follow_up),
                    float(other_language),
                    *_after(
                        previous or {}, index.first_sentence[row] + j, passage.doc, passage.turn
                    ),
                    float(by_named),
                    float(yes_no and bool(_SETTLES.search(text))),
                    float(introductions and bool(_INTRODUCES_SELF.search(text))),
                ]
            )
            refs.append((row, j))
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(SENTENCE_FEATURES))
    return Candidates(tuple(refs), matrix)


def named_speaker(question: str, index, rows: list[int]) -> str | None:
    """Return the speaker whose words `question` asks for ("What did Rob Pike say about ...?",
    "according to Griesemer"), when it names, by surname, exactly one of the speakers who
    answer or make statements in the passages `rows` (or one of them is the subject of "did",
    "does" ...: "What did Trump say about Modi?"); None otherwise. Who said it matters: then
    only that speaker's words are quoted (`selector.quotable_rows`)."""
    words = _NAME.findall(question)
    if not words:
        return None
    by_surname: dict[str, str] = {}
    given: dict[str, set[str]] = {}
    for row in rows:
        passage = index.passages[row]
        if passage.role not in ("answer", "statement") or passage.speaker in (
            None,
            *UNNAMED_ASKERS,
        ):
            continue
        surname = _surname(passage.speaker)
        if surname is not None:
            by_surname.setdefault(surname, passage.speaker)
        first = _given_name(passage.speaker)
        if first is not None:
            given.setdefault(first, set()).add(passage.speaker)
    # a podcast's or a panel's speakers go by their given names ("How much does Evan's Patreon
    # bring in?"): a given name one speaker has, and no speaker's surname
    for first, speakers in given.items():
        if len(speakers) == 1 and first not in by_surname:
            by_surname[first] = next(iter(speakers))
    named = [
        w for w in dict.fromkeys(words) if w in by_surname and _names(question, w, by_surname[w])
    ]
    if len({by_surname[w] for w in named}) > 1:
        named = [
            w for w in named if re.search(rf"\b(?i:{_SUBJECT_OF})\s+(\w+\s+){{0,1}}{w}\b", question)
        ]
    speakers = {by_surname[w] for w in named}  # "Rob Pike" names one speaker twice
    return speakers.pop() if len(speakers) == 1 else None


def _names(question: str, surname: str, speaker: str) -> bool:
    """Return whether `question` names `speaker` where it says `surname`: not when another
    name comes before it each time ("Bear Stearns" is no Cliff Stearns, "Hunter Biden" no Joe
    Biden)."""
    own = {w.casefold() for w in speaker.split()} | {w.casefold() for w in _NOT_NAMES}
    for match in re.finditer(rf"(\S+\s+)?\b{re.escape(surname)}\b", question):
        before = (match.group(1) or "").strip().strip(".,;:'’\"“”(").casefold()
        capital = (match.group(1) or " ")[0].isupper()
        if not capital or before in own or before in STOPWORDS or before == "according":
            return True
    return False


def introduced(question: str, index, rows: list[int], most_turns: int | None = None) -> list[int]:
    """Return the passages of the question turns that a name `question` gives introduces, when
    it asks what an unlabelled reporter asked ("What did Colleen Long ask?"): those of `rows`
    whose turn the name opens or follows (`_called`), then the turn that follows the turn of a
    passage of `rows` naming them ("I'd like to call on Associated Press, Colleen Long"), which
    retrieval misses when the question itself does not hold the name. None when the names
    introduce more than `most_turns` question turns: they are a topic, not who asked."""
    if (
        not ASKS_WHAT_WAS_ASKED.search(question)
        or _ASKS_WHO.search(question)  # who asked it: the names are the topic ("Navalny")
        or _named_askers(question, index, rows)
    ):
        return []
    callers = _callers(question, index)
    if not callers:
        return []
    extra = [row for row in rows if _called(index, row, callers)]
    for row in rows:
        passage = index.passages[row]
        if not _holds_name(passage.text, callers):
            continue
        nxt = row + 1  # past the rest of the naming turn, the next turn if it asks
        while nxt < len(index.passages) and index.passages[nxt].turn == passage.turn:
            nxt += 1
        while nxt < len(index.passages) and index.passages[nxt].role == "question":
            if index.passages[nxt].doc != passage.doc:
                break
            extra.append(nxt)
            nxt += 1
    if (
        most_turns is not None
        and len({(index.passages[r].doc, index.passages[r].turn) for r in extra}) > most_turns
    ):
        return []  # a topic many questions name ("Sunday's ICE arrests"), not who asked
    return list(dict.fromkeys(extra))


def asked_by_name(question: str, index, rows: list[int]) -> list[int]:
    """Return the question passages of the labelled askers `question` names by surname when it
    asks what was asked ("What did Tom Watson ask the Prime Minister?": a member's question at
    Prime Minister's Questions) or what the asker said ("What did Justice Alito point out to the
    Solicitor General?"), in the documents of `rows`: retrieval finds a question by its topic,
    and this one names only who asked it."""
    words = set(_NAME.findall(question))
    askers = {s for s in index.askers if s not in UNNAMED_ASKERS and _surname(s) in words}
    if not ASKS_WHAT_WAS_ASKED.search(question):
        askers = {s for s in askers if _is_subject(question, s)}
    if not askers:
        return []
    return [
        r
        for doc_rows in _document_rows(index, rows)
        for r in doc_rows
        if index.passages[r].role == "question" and index.passages[r].speaker in askers
    ]


def _document_rows(index, rows: list[int]) -> list[range]:
    """Return the rows of each document that a passage of `rows` belongs to (a document's
    passages are contiguous)."""
    spans: dict[str, range] = {}
    for row in rows:
        doc = index.passages[row].doc
        if doc not in spans:
            spans[doc] = contiguous(index, row, lambda p, doc=doc: p.doc == doc)
    return list(spans.values())


def contiguous(index, row: int, same: Callable[[Passage], bool]) -> range:
    """Return the rows around `row` (itself included) whose passages are all `same`: its
    document, or its speaker's turn."""
    lo = hi = row
    while lo > 0 and same(index.passages[lo - 1]):
        lo -= 1
    while hi + 1 < len(index.passages) and same(index.passages[hi + 1]):
        hi += 1
    return range(lo, hi + 1)


def _holds_name(text: str, names: frozenset[str]) -> bool:
    return bool(names & set(re.findall(r"[\w-]+", text)))


def _callers(question: str, index) -> frozenset[str]:
    """Return the names and acronyms `question` gives after its first word and before it says
    "ask" that are no speaker's ("Colleen", "Long", "Reuters", "VOA"), nor titles or offices:
    what comes after is the topic ("What did Senator Bennet ask the panel about TARP?")."""
    own = {w for speaker in index.speakers for w in speaker.split()}
    asker = _ASKING_VERB.split(question, maxsplit=1)[0]
    words = re.findall(r"\b[A-Z][A-Za-z0-9-]*[A-Za-z0-9]\b", asker)[1:]
    return frozenset(w for w in words if len(w) >= 3 and w not in _NOT_NAMES and w not in own)


def _called(index, row: int, names: frozenset[str]) -> bool:
    """Return whether `row` is a passage of a question turn that `names` introduce: the turn's
    first passage, or the passage before the turn (someone calling on a reporter), holds one."""
    passage = index.passages[row]
    if passage.role != "question":
        return False
    first = contiguous(index, row, lambda p: (p.doc, p.turn) == (passage.doc, passage.turn)).start
    before = [first - 1] if first > 0 and index.passages[first - 1].doc == passage.doc else []
    return any(_holds_name(index.passages[r].text, names) for r in [first, *before])


def _is_subject(question: str, speaker: str) -> bool:
    """Return whether `question` asks about what `speaker` said or asked: their surname is the
    subject ("What did Stephen Twigg call for?", "What was Paul Flynn's question?", "according
    to Flynn"), not the one addressed ("How did the minister answer Twigg?", "How did Powell
    answer Warren?": only names and titles stand between the verb and the surname)."""
    surname = re.escape(_surname(speaker) or speaker)
    names = r"([A-Z][\w.'’-]*\s+){0,2}"
    return bool(
        re.search(
            rf"\b(?i:{_SUBJECT_OF})\s+{names}{surname}\b|\b{surname}['’]s\s+(question|point)"
            rf"|\b(asked|raised|put)\s+by\s+{names}{surname}\b",
            question,
        )
    )


def _named_askers(question: str, index, rows: list[int]) -> set[str]:
    """Return the askers of the passages `rows` whom `question` names by surname ("What did
    Stephen Twigg call for?"): a Hansard member or an inquiry's counsel asks, and their
    questions are what such a question is about."""
    words = set(_NAME.findall(question))
    named = set()
    for row in rows:
        speaker = index.passages[row].speaker
        if index.passages[row].role != "question" or speaker in (None, *UNNAMED_ASKERS):
            continue
        if _surname(speaker) in words:
            named.add(speaker)
    return named


@lru_cache(maxsize=1 << 12)
def _surname(speaker: str) -> str | None:
    """Return the surname a question names `speaker` by: the last capitalised word of three
    letters or more of the name, unless it is a title or an office ("Counsel Inquiry")."""
    names = [w for w in _NAME.findall(speaker) if len(w) >= 3]
    return names[-1] if names and names[-1] not in _NOT_NAMES else None


def _given_name(speaker: str) -> str | None:
    """Return the given name of `speaker`: the first of two or more capitalised words of three
    letters or more, after any title ("Evan You" -> "Evan"; "Mr. Meltzer" has none)."""
    names = [w for w in _NAME.findall(speaker) if len(w) >= 3 and w not in _NOT_NAMES]
    return names[0] if len(names) >= 2 else None


@lru_cache(maxsize=1 << 13)
def content_words(text: str) -> frozenset[str]:
    """Return the distinct content tokens of a candidate sentence or passage. The same texts
    are candidates of question after question: tokenising them again was 1.7 ms of each
    answer's CPU. (8,192 texts, a few MB.)"""
    return frozenset(content_tokens(text))


def _overlap(weights: dict[str, float], words: frozenset[str], idf: dict[str, float], total: float):
    """Return the idf-weighted share of the question's content words among `words`: all of them
    (1.0) when the question has none ("When was this?"), as nothing it asks about is missing."""
    if not weights:
        return 1.0
    return sum(w * idf.get(t, 0.0) for t, w in weights.items() if t in words) / total
