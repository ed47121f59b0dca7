"""Segmentation: a document becomes speaker-aware passages with offsets into the original text.

Shape of a transcript: web-page chrome, a title and a dateline, an opening statement
("Aide to the President Yury Ushakov: ..."), then `Question:` turns each followed by an answer.
A turn runs until the next speaker label; a paragraph is never split across passages, and a long
paragraph is cut at sentence boundaries. Plain prose without labels becomes paragraph passages
with no speaker.
"""

from __future__ import annotations

import math
import re

from .records import Document, Passage
from .text import normalise

SEGMENTATION_VERSION = 1

CHROME = frozenset(
    {
        "view settings",
        "font size:",
        "site colours:",
        "site colors:",
        "images",
        "settings",
        "official website of the president of russia",
        "документ /",
        "документ",
    }
)
QUESTION_LABELS = frozenset({"question", "questions", "remark", "q", "reply", "response"})
JOURNALIST = "Journalist"
_CONNECTORS = frozenset({"to", "the", "of", "and", "for", "on", "de", "von", "van", "al", "bin"})
_HONORIFICS = frozenset(
    {
        "president",
        "aide",
        "minister",
        "secretary",
        "spokesman",
        "spokeswoman",
        "press",
        "deputy",
        "foreign",
        "prime",
        "chairman",
        "chairwoman",
        "general",
        "mr",
        "ms",
        "mrs",
        "dr",
        "envoy",
        "special",
        "acting",
        "first",
        "vice",
        "head",
        "ambassador",
        "governor",
        "director",
        "the",
    }
)
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "no",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "jr",
        "sr",
        "prof",
        "gen",
        "col",
        "lt",
        "gov",
        "sen",
        "rep",
        "u.s",
        "u.k",
        "inc",
        "ltd",
        "co",
        "jan",
        "feb",
        "aug",
        "sept",
        "oct",
        "nov",
        "dec",
    }
)
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATELINE = re.compile(
    rf"^(?:(?:{_MONTHS})\s+\d{{1,2}},\s+\d{{4}}|\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}})"
)
_PARAGRAPH_BREAK = re.compile(r"\n(?:[^\S\n]*\n)+")
_LABEL = re.compile(r"(?P<label>[^\W\d_][^\n:.!?;\"“”]{0,60}?)[^\S\n]*:[^\S\n]+")
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s|$)")
_LAST_WORD = re.compile(r"([\w.]+)$")


def content_start(text: str) -> int:
    """Return the offset of the first line after the leading web-page chrome (and any BOM)."""
    offset = 0
    for line in text.splitlines(keepends=True):
        key = normalise(line.lstrip("\ufeff")).casefold()
        if key and key not in CHROME:
            break
        offset += len(line)
    return offset


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Return `(start, end)` narrowed so that the span neither starts nor ends with whitespace."""
    while start < end and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraphs(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Return the trimmed spans of the blank-line-separated paragraphs of `text[start:]`."""
    spans = []
    pos = start
    for brk in _PARAGRAPH_BREAK.finditer(text, start):
        spans.append(trim(text, pos, brk.start()))
        pos = brk.end()
    spans.append(trim(text, pos, len(text)))
    return [(s, e) for s, e in spans if e > s]


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Return the trimmed spans of the sentences in `text[start:end]`."""
    spans = []
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if not _is_boundary(text, pos, match, end):
            continue
        span = trim(text, pos, match.end())
        if span[1] > span[0]:
            spans.append(span)
        pos = match.end()
    span = trim(text, pos, end)
    if span[1] > span[0]:
        spans.append(span)
    return spans


def _is_boundary(text: str, sentence_start: int, match: re.Match, end: int) -> bool:
    nxt = match.end()
    while nxt < end and text[nxt].isspace():
        nxt += 1
    if nxt < end and text[nxt].islower():
        return False
    if match.group() == ".":
        word = _LAST_WORD.search(text, sentence_start, match.start())
        if word:
            token = word.group(1).casefold()
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                return False
    return True


def speaker_label(text: str, start: int, end: int) -> tuple[str, int] | None:
    """Return `(label, content offset)` if the paragraph at `start` opens with a speaker label."""
    match = _LABEL.match(text, start, end)
    if not match:
        return None
    label = normalise(match.group("label"))
    words = label.split()
    if label.casefold() in QUESTION_LABELS:
        return label, trim(text, match.end(), end)[0]
    if len(words) > 8 or not all(w[0].isupper() or w in _CONNECTORS for w in words):
        return None
    if len(person_name(label).split()) < 2:
        return None
    return label, trim(text, match.end(), end)[0]


def person_name(label: str) -> str:
    """Return the person in a label: "Aide to the President Yury Ushakov" -> "Yury Ushakov"."""
    words = label.split()
    tail: list[str] = []
    for word in reversed(words):
        if not word[0].isupper() or word.casefold() in _HONORIFICS:
            break
        tail.insert(0, word)
    return " ".join(tail)


def is_dateline(text: str) -> bool:
    """Return True for a short line that starts with a date ("December 3, 2025, The Kremlin")."""
    return len(text) <= 160 and bool(_DATELINE.match(normalise(text)))


def segment(document: Document, max_sentences: int = 4, max_chars: int = 700) -> list[Passage]:
    """Return the passages of `document`, in order, with offsets into `document.text`."""
    text = document.text
    paras = paragraphs(text, content_start(text))
    labels = [speaker_label(text, s, e) for s, e in paras]
    passages: list[Passage] = []
    turn, role, speaker, question_id = 0, "statement", None, None
    last_question_id: str | None = None

    def emit(start: int, end: int, role: str, speaker: str | None, qid: str | None) -> str:
        first_id = ""
        for chunk in _chunks(sentence_spans(text, start, end), max_sentences, max_chars):
            pid = f"{document.doc}#p{len(passages) + 1:02d}"
            first_id = first_id or pid
            s, e = chunk[0][0], chunk[-1][1]
            passages.append(
                Passage(
                    pid,
                    document.doc,
                    speaker,
                    role,
                    turn,
                    qid,
                    s,
                    e,
                    normalise(text[s:e]),
                    tuple(chunk),
                )
            )
        return first_id

    for i, ((start, end), label) in enumerate(zip(paras, labels, strict=True)):
        body = normalise(text[start:end])
        if label is None and (is_dateline(body) or (i == 0 and _looks_like_title(body))):
            emit(start, end, "title", None, None)
            continue
        if label is not None:
            name, start = label
            turn += 1
            if name.casefold() in QUESTION_LABELS:
                role, speaker, question_id = "question", JOURNALIST, None
            else:
                speaker = person_name(name)
                role = "answer" if role == "question" else "statement"
                question_id = last_question_id if role == "answer" else None
        elif not any(labels):
            turn += 1
        first = emit(start, end, role, speaker, question_id)
        if label is not None and role == "question":
            last_question_id = first
    return _canonical_speakers(passages)


def _looks_like_title(body: str) -> bool:
    return len(body) <= 300 and not body.endswith((".", "?", "!", ":"))


def _chunks(
    sentences: list[tuple[int, int]], max_sentences: int, max_chars: int
) -> list[list[tuple[int, int]]]:
    if not sentences:
        return []
    chars = sentences[-1][1] - sentences[0][0]
    n = max(math.ceil(len(sentences) / max_sentences), math.ceil(chars / max_chars))
    n = min(n, len(sentences))
    size, extra = divmod(len(sentences), n)
    out, pos = [], 0
    for k in range(n):
        take = size + (1 if k < extra else 0)
        out.append(sentences[pos : pos + take])
        pos += take
    return out


def _canonical_speakers(passages: list[Passage]) -> list[Passage]:
    """Map a longer form of a name to a shorter one it ends with ("Yury Ushakov")."""
    names = {p.speaker for p in passages if p.speaker and p.speaker != JOURNALIST}
    canon = {}
    for name in names:
        shorter = [m for m in names if m != name and name.endswith(" " + m)]
        canon[name] = min(shorter, key=len) if shorter else name
    out = []
    for p in passages:
        if p.speaker in canon and canon[p.speaker] != p.speaker:
            p = Passage(**{**p.__dict__, "speaker": canon[p.speaker]})
        out.append(p)
    return out
