"""Questions about the document's own setting: when and where it took place.

"On what date was the commentary given?", "What time did the hearing start, and in which room?"
and "Where was the interview done?" are answered by lines that are nobody's words: the dateline
("December 3, 2025, The Kremlin, Moscow"), a time on its own line ("11:06 A.M. EST"), a
record's "The Committee met at 10:09 a.m., in room SR-325, ...". They share no words with the
question, so retrieval seldom finds them and the sentence model, which learned from spoken
answers, does not rank them: they are looked up here instead. A question is about the setting
only when the document itself (the briefing, the hearing, this question time, the House) is
what it asks about: "Where did the envoys go after the meeting?" is not. Asked when, of a
document whose lines give only a time ("2:16 P.M. EDT") while its metadata has the date (a
page's YAML front matter: `date: '2023-06-08'`), the answer says that date too, as the
metadata's, not as a quote.
"""

from __future__ import annotations

import re

from quotebot.index.store import CorpusIndex

WHEN, DATE, TIME, PLACE = "when", "date", "time", "place"  # when: a date, else a time
_EVENT = (  # what a transcript records
    r"(commentary|statement|briefing|gaggle|(press |news )?conference|interview|hearing|session"
    r"|sitting|call|debate|question time|questions|remarks|speech|address|podcast|episode"
    r"|conversation|meeting|event|house|commons|lords|senate|committee|subcommittee|inquiry"
    r"|testimony|transcript|broadcast|show|programme|program|phone-in|direct line|q&a)"
)
_CUE = {  # how each kind is asked for
    WHEN: (r"when", r"(?!)"),  # (?!): no "the when of"
    DATE: (r"(on |in )?(what|which) (date|day|year)", r"date|day"),
    TIME: (r"(at )?what time|at what hour", r"time|hour"),
    PLACE: (
        r"where|(in |at )?(what|which) (room|place|city|venue|location|building)",
        r"place|venue|location",
    ),
}
_AUX = r"(was|were|did|does|do|is|are|will|has|had)"
_OWNER = r"(this|the|that|today's|today’s)\s+([\w'’-]+\s+){0,3}?"
_HAPPENS = (  # what the event did, if anything is said: "When was the briefing?"
    r"(\s+[\w'’-]+){0,2}?\s+(take|took|taking) place|(\s+[\w'’-]+){0,2}?\s+(happen|held|given|give"
    r"|start|begin|end|finish|conclude|occur|meet|sit|done|recorded|record|air|aired|broadcast"
    r"|dated|released|published|made|delivered|conducted|convene|convened|open|close|adjourn"
    r"|adjourned)\b|\s*[?.!]*\s*$"
)
_ASKS = {
    kind: re.compile(
        rf"(^|[,;]\s*|\band\s+)({cue})(\s+and\s+\w+(\s+\w+){{0,2}})?\s+{_AUX}\s+{_OWNER}{_EVENT}"
        rf"({_HAPPENS})|\b(what|which)\s+(was|is)\s+the\s+({noun})\s+of\s+{_OWNER}{_EVENT}\b",
        re.IGNORECASE,
    )
    for kind, (cue, noun) in _CUE.items()
}
_AND_WHERE = re.compile(r"\b(where|in (what|which) (room|place|city|venue|building))\b", re.I)
_AND_WHEN = re.compile(r"^\s*when\b|\band when\b", re.I)
_MONTH = (
    r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?)\.?"
)
_HOLDS = {
    DATE: re.compile(
        rf"\b{_MONTH}\s+\d{{1,2}}\b|\b\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?{_MONTH}\b"
        r"|\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
        re.IGNORECASE,
    ),
    TIME: re.compile(
        r"\b\d{1,2}[:.]\d{2}\s*([ap]\.?m\b\.?)?|\b\d{1,2}\s*[ap]\.m\.|\bhalf[- ]past\b"
        r"|\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+o.clock\b"
        r"|\b(noon|midnight)\b",
        re.IGNORECASE,
    ),
    PLACE: re.compile(  # a named place (title case: an all-capitals heading is not one)
        r"\b(Room|Building|Hall|House|Palace|Kremlin|Capitol|Speedway|Stadium|Center|Centre|"
        r"Airport|Base|Embassy|Hotel|Office|Residence|Street|Avenue|Square|Garden|Lawn|Commons|"
        r"Teleconference|Videoconference)\b|\broom\s+[A-Z0-9]|,\s+[A-Z][a-z]+(,\s+[A-Z][a-z]+)?$"
    ),
}
_END = re.compile(r"\b(end|ended|finish\w*|close|closed|conclude\w*|adjourn\w*|over)\b")
_START = re.compile(r"\b(start|started|begin|began|open|opened|commence\w*|met|sit|sat)\b")


def asked_setting(question: str) -> frozenset[str]:
    """Return what `question` asks about the document's own setting: some of WHEN, DATE, TIME
    and PLACE, or nothing when it is not about the setting."""
    kinds = {kind for kind, pattern in _ASKS.items() if pattern.search(question)}
    if kinds:  # "When and in which room did the subcommittee meet?": both
        if _AND_WHERE.search(question):
            kinds.add(PLACE)
        if _AND_WHEN.search(question) and not kinds & {DATE, TIME}:
            kinds.add(WHEN)
    return frozenset(kinds)


def _holds(kind: str, text: str) -> bool:
    if kind == WHEN:
        return _holds(DATE, text) or _holds(TIME, text)
    return bool(_HOLDS[kind].search(text))


def setting_lines(
    index: CorpusIndex, doc: str, kinds: frozenset[str], question: str, max_words: int
) -> list[tuple[int, int]]:
    """Return `(passage row, sentence)` of the lines of `doc` that are nobody's words (the
    heading, the dateline, a record's procedure of at most `max_words` words before the first
    turn or after the last) and hold what `kinds` ask for, in document order: a line holding
    every kind asked if there is one, else the first line of each kind (for "when", one with a
    date before one with only a time; for a time, the last line when the question asks when it
    ended, the first and the last when it asks both)."""
    source = index.source(doc)
    rows = [row for row, p in enumerate(index.passages) if p.doc == doc]
    spoken = [row for row in rows if index.passages[row].speaker is not None]
    unlabelled = [r for r in rows if index.passages[r].speaker is None] if spoken else rows
    # unlabelled text is the record's own only before the first turn or after the last, and
    # only where most of the text has speakers: else it is speech whose labels were missed
    labelled = len(unlabelled) <= len(rows) / 2
    lines = []
    for row in rows:
        p = index.passages[row]
        own = p.role == "title" or (
            p.speaker is None and labelled and not spoken[0] < row < spoken[-1]
        )
        if own:
            for j, (s, e) in enumerate(p.sentences):
                text = source[s:e].strip()
                held = frozenset(kind for kind in kinds if _holds(kind, text))
                if held and (p.role == "title" or len(text.split()) <= max_words):
                    lines.append(((row, j), held, text))
    if len(kinds) > 1:
        every = [at for at, held, _ in lines if held == kinds]
        if every:
            return every[:1]
    asked = question.lower()
    ended = bool(_END.search(asked))
    chosen: list[tuple[int, int]] = []
    for kind in sorted(kinds):
        of_kind = [(at, text) for at, held, text in lines if kind in held]
        if kind == WHEN:  # a line with a date first; asked when it ended, a time
            of_kind.sort(key=lambda line: not _holds(DATE, line[1]))
            if ended:
                of_kind = [line for line in of_kind if _holds(TIME, line[1])] or of_kind
        if not of_kind:
            continue
        picks = of_kind[:1]
        if kind in (TIME, WHEN) and ended:
            picks = [of_kind[0], of_kind[-1]] if _START.search(asked) else of_kind[-1:]
        chosen += [at for at, _ in picks if at not in chosen]
    return chosen


def metadata_date(
    index: CorpusIndex, doc: str, kinds: frozenset[str], lines: list[tuple[int, int]]
) -> str | None:
    """Return the date (YYYY-MM-DD) of `doc`'s metadata when the question asks when or on what
    date (`kinds`) and none of the quoted `lines` (passage row, sentence) holds a date."""
    date = index.documents[doc].date
    if date is None or not kinds & {WHEN, DATE}:
        return None
    for row, j in lines:
        if _holds(DATE, index.sentence_text(row, j)):
            return None
    return date
