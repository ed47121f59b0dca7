"""Segmentation: a document becomes speaker-aware passages with offsets into its text.

A transcript is a run of turns, each opened by a speaker label at the start of a paragraph or
line: `Name:`, `MS. LEAVITT:`, `PRESIDENT TRUMP:`, `**Ms Melanie Field**:`, Hansard's `1. Mr
David Hanson (Delyn) (Lab):`, a bare `Q`, `Question:`; with a time stamp, a podcast's `Marc
Benioff (00:24):` or a machine transcript's `[02:26:11] Morgan Dwyer (OpenAI):`; a congressional
hearing's `Senator Shelby.` (among several such); a deposition's `Q.` and `A.` (the witness's
answer, only beside a `Q`; a court record's `A Good morning.` without a full stop, where such
lines follow a `Q`); television's and radio's name, comma, title (`DANA BASH, CNN CHIEF
POLITICAL CORRESPONDENT:`, `STEVE INSKEEP, HOST:`: a host or anchor asks); an Otter.ai export's
`Kelly  0:18` alone on its line; a call transcript's `Jensen Huang` alone in its paragraph (named
twice so, or in the call's list of participants, where nothing else labels turns). A label never
opens with a prose word ("And for President López Obrador:" goes on a question). A label may
stand alone on its line with the words below it. A turn runs until the next label (a following
paragraph goes on the same turn) or until a heading, and nothing after an `END` line is speech.
Lines that are not speech are dropped: time stamps (`[00:00:00:01]`, `*(10.54 am)*`), stage
directions on their own (`(Laughter.)`, `[Mr Speaker in the Chair]`), rules and column markers.
Short unpunctuated lines before the first turn, headings between turns and a time of day on its
own line (`11:06 A.M. EST`) are titles: not speech, but there to answer "when did it start?".

A candidate label must look like one (short, capitalised words, honorifics or a known role such
as `MODERATOR`). One that is neither titled nor a known role must be a name of two or more
words free of prose words, or have its speaker labelled again in the document, or (in capitals)
be one of several capital labels: a once-seen `In Ukraine:` or `Summary:` stays prose.

Each turn gets a role (question, answer, statement, moderator) and a canonical speaker: title
variants of a person map to one name within a document ("PRESIDENT TRUMP" and "THE PRESIDENT";
"Mr William Hague (Richmond (Yorks)) (Con)" and "Mr Hague"), and a lone surname is completed
from the other labels or the document's title ("MS. LEAVITT" -> "Karoline Leavitt"). Reporters'
turns are "Journalist" (in an interview whose title says by whom, that interviewer); a Hansard
member asking is named, role question. An answer is any named turn after a question, until the
next question. In an interview without question labels (a hearing, a podcast) nobody asks or
answers before the witness first speaks (the members' opening statements, a host's welcome), and
a turn that asks (holds a "?") and is followed by the witness is a question even when its
speaker mostly chairs. A footer's "See also" ends the speech. A paragraph is never split across
passages, and a long one is cut at sentence boundaries; a sentence that is wholly a stage
direction ("(Laughter.)") is left out of passages. Text without labels becomes paragraph
passages with no speaker. A "sentence" longer than MAX_SENTENCE_CHARS (text without punctuation)
is cut at whitespace, so every passage is bounded and segmentation is linear in the file's size.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from .dictionary import is_english_word
from .records import Document, Passage
from .text import normalise

_SEGMENTING_CODE = ("segment.py", "text.py", "dictionary.py")  # the modules whose code segments
SEGMENTATION_VERSION = 26  # 3: sentences cut at MAX_SENTENCE_CHARS; 4: trailing page chrome;
# 5: time-stamped labels, a bare "A", a hearing's "Senator Shelby." labels; 6: several answerers
# 7: nobody asks or answers before the witness first speaks; a chairman's questions
# 8: "NAME, TITLE:" labels, a host asks, no label opens with prose ("And for President X:");
# 9: "Interviewer:" asks; a heading's "# " and abbreviated months ("Oct 30, 2025"); 10: Otter.ai;
# 11: an interview's "Q" is the interviewer its title names ("Interview of X by Jamie Little");
# 12: a court record's "A Good morning." (no full stop) after a "Q"; 13: a call's names alone;
# 14: a hearing record's "[GRAPHIC] [TIFF OMITTED]" lines; 15: "my right hon. Friend" is one
# sentence; 16: a dateline in brackets ("(May 21, 2022)") is kept; 17: bold paragraphs as
# labels ("**Costa Rica | Representative**"), WebVTT voice tags in text ("<v Jane Doe>"), a
# court record's "BY MR. STEINGLASS:" names who asks the "Q"s after it; 18: a House record's
# "The Chairman." (named by the roster) and "Mr. Moore of Kansas.", its contents' "Prepared
# Statements:" no label, a witness named by "Massie, Mr. Steve", the chair never answers; a
# Pacific Hansard's "HON. M. S. N. KAMIKAMICA.-" labels, also where they run inside a paragraph;
# 19: an "Audience member:" asks as an audience member, not a journalist; 20: beside question
# labels, a named speaker who asks asks too (a town hall's or a panel's host); 21: "MR. KOO" is
# "Mr. Koo", "McCARTHY" "McCarthy"; 22: ... only when a named speaker answers them (a prime
# minister calling on reporters at a joint press conference had become an asker); 23: a
# heading in capitals of any length ("STATEMENT OF RICHARD C. KOO, CHIEF ECONOMIST, ...") and a
# contents list's lines ("Koo, Richard C., ... Tokyo..........   1") are headings, not words;
# 24: "Mr. Carmichael." is Jeffrey Carmichael when the text introduces "Dr. Jeffrey Carmichael";
# a plural title is no first name ("Present: Senators Lieberman, ..."); 25: a hearing record's
# footnotes ("\1\ The prepared statement of Mr. Carmichael appears in the Appendix ..."); 26:
# the formats of docs/formats.md's audits (stop 32, which had left the version at 25) and
# initials as labels ("GE:" is Gareth Evans, whom the heading names), an unlabelled opening
# statement, Factbase's labels, an interviewer who asks an eighth of the time

# what caches key segmented documents by: the version and a digest of the code that segments,
# so that code changed without a new version is never served documents the old code segmented
# (stop 32 changed it and left the version at 25)
SEGMENTATION_KEY = (
    f"{SEGMENTATION_VERSION}."
    + hashlib.sha256(
        b"".join((Path(__file__).parent / name).read_bytes() for name in _SEGMENTING_CODE)
    ).hexdigest()[:16]
)
MAX_SENTENCE_CHARS = 1000

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
        "the white house",
        "office of communications",
        "office of the press secretary",
        "for immediate release",
    }
)
# The footer of a web page after the transcript (the Kremlin site's): dropped from the end.
TAIL_CHROME = re.compile(
    r"see also|publication status|text version|print version|send by e-?mail|share"
    r"|(published in sections|publication date|direct link|geography|topics|persons):.*"
    r"|transcribed by \S+"  # Otter.ai's footer
)
QUESTION_LABELS = frozenset(
    {
        "question",
        "questions",
        "remark",
        "q",
        "interviewer",  # an oral history's
        "researcher",  # a research interview's
        "journalist",
        "reporter",
        "questioner",  # the IMF's press conferences
        "audience questioner",  # a town hall debate's
        "unidentified questioner",
        "correspondent",  # the UN's noon briefings
        "audience member",
        "вопрос",
        "реплика",  # a remark from the floor, the Kremlin's Russian transcripts
        "frage",
        "pregunta",
        "domanda",
        "pergunta",
    }
)
MODERATOR_LABELS = frozenset(
    {
        "moderator",
        "the moderator",
        "chair",
        "the chair",
        "chairman",
        "the chairman",
        "chairwoman",
        "chairperson",
        "host",
        "operator",
        "announcer",
        "mr speaker",
        "madam speaker",
        "mr deputy speaker",
        "madam deputy speaker",
        "presiding officer",
        # a parliament's presiding officers ("The Presiding Officer (Alex Fergusson):")
        "the speaker",
        "deputy speaker",
        "the deputy speaker",
        "acting speaker",
        "the acting speaker",
        "the presiding officer",
        "deputy presiding officer",
        "the deputy presiding officer",
    }
)
# a name of two to four capitalised words, or a call's operator, alone on its line
_ALONE = re.compile(
    r"(?:[A-Z][\w.’'-]*(?:[^\S\n]+[A-Z][\w.’'-]*){1,3}|Operator|Moderator"
    # a role alone, as an Otter transcript pasted into Word writes it: "Researcher"
    r"|Researcher|Interviewer|Interviewee|Participant|Respondent|Host|Guest|Facilitator)"
)
_ASKING_ROLES = frozenset({"Researcher", "Interviewer"})  # alone, they ask
# a call transcript's speaker as the Motley Fool writes one, in three lines ("Jensen Huang" /
# "--" / "President and Chief Executive Officer") or one ("Joe Moore -- Morgan Stanley --
# Analyst"); its "Operator" is a line of its own
_CALL_NAME = re.compile(r"[A-Z][\w.’'-]*(?:[^\S\n]+[A-Z][\w.’'-]*){1,3}")
_CALL_TITLE = re.compile(r"[A-Z][^.?!:\n]{1,100}")
_CALL_LINE = re.compile(
    r"(?P<name>"
    + _CALL_NAME.pattern
    + r")[^\S\n]+--[^\S\n]+(?P<title>"
    + _CALL_TITLE.pattern
    + r")"
)
# a bold line alone in its paragraph, a meeting record's "**IAHWG | Brian Wallace | Co-Chair**"
_MD_HEADING = re.compile(r"#{1,6}[^\S\n]+")
_BOLD_ALONE = re.compile(
    r"\*\*(?P<inner>[^*\n]{1,150}?)[^\S\n]*\*\*"
    r"|\*(?P<italic>[A-Z][^*\n.:()]{0,60}?)\*"  # or in italics: "*Alethe Denis*", no "*Laughter.*"
)
# a WebVTT voice tag opening a line, with the cue's time before it: "00:00:03 <v Michael Kennedy>"
_VOICE = re.compile(
    r"(?:\[?\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?\]?[^\S\n]+)?"
    r"<v(?:\.[\w-]+)*[^\S\n]+(?P<voice>[^<>\n]{1,150})>"
)
_PARTICIPANT = re.compile(
    r"^[^\S\n]*([A-Z][\w.’'-]*(?:[^\S\n]+[A-Z][\w.’'-]*){1,3})[^\S\n]+[-–—]{1,2}[^\S\n]+\S", re.M
)
_INTERVIEW_BY = re.compile(
    r"\b(?i:interview)(?:ed)?\b.*?\b(?i:by)\s+((?:[A-Z][\w’'.-]+\s+){1,3}[A-Z][\w’'-]+)\b"
)
HOST_TITLES = frozenset({"host", "co-host", "anchor", "interviewer", "presenter"})  # they ask
INTERPRETER_LABELS = frozenset({"interpreter", "the interpreter", "translator"})
_BARE = ("question", "answer")  # the kinds of a bare "Q" and "A"
WITNESS = "Witness"  # the speaker of a bare "A"
# the language a parliament's record says a speech goes on in ("<em>English:</em>" after a
# proverb in Sepedi): never a speaker
LANGUAGES = frozenset(
    """english afrikaans isizulu isixhosa sepedi sesotho setswana xitsonga tshivenda isindebele
    siswati french spanish german russian arabic chinese mandarin portuguese italian japanese
    welsh gaelic irish maori hindi""".split()
)
# a transcriber's word for a voice it could not name (Otter.ai's "Unknown Speaker"): a turn of
# its own, by nobody named (several people may share it)
UNKNOWN_SPEAKERS = frozenset(
    {
        "unknown speaker",
        "unknown",
        "unidentified speaker",
        "unidentified male",
        "unidentified female",
        "unidentified man",
        "unidentified woman",
    }
)
# a member who interjects unnamed ("An HON MEMBER: You knew!", "Some hon. members: Agreed.")
INTERJECTIONS = frozenset(
    {
        "an hon member",
        "an hon. member",
        "an honourable member",
        "an honorable member",
        "some hon members",
        "some hon. members",
        "hon members",
        "hon. members",
        "honourable members",
        "some honourable members",
        "several hon. members",
        "members",
    }
)
NOT_LABELS = frozenset(
    {
        "note",
        "notes",
        "nb",
        "ps",
        "update",
        "editor's note",
        "source",
        "sources",
        "date",
        "time",
        "location",
        "place",
        "subject",
        "subjects",  # an Australian transcript's header: "SUBJECTS: Federal Budget; ..."
        "media contact",  # ... and its footer: "MEDIA CONTACT: DAN DORAN 0427 464 350"
        "media contacts",
        "media enquiries",
        "re",
        "warning",
        "correction",
        "transcript",
        "title",
        "tags",
        "via",
        "end",
        # a hearing record's contents: "Prepared Statements:", "Statements for the Record:"
        "prepared statement",
        "prepared statements",
        "statement for the record",
        "statements for the record",
        "statements for the records",
        "additional material submitted for the record",
        # a web page saved through a reader: "URL Source: https://...", "Markdown Content:"
        "url source",
        "markdown content",
        "published time",
        "video",
        "audio",
    }
)
JOURNALIST = "Journalist"
AUDIENCE = "Audience member"  # a panel's or a town hall's "Audience member:"
UNNAMED_ASKERS = frozenset({JOURNALIST, AUDIENCE})  # who asks, but no name
# words that make a once-seen capitalised "label" prose: "In Ukraine:", "Our Goal:"
_PROSE = frozenset(
    """a about after again also an and as at but by first finally for from he her here his
    however i if in it its last let my next no not now of on one or our please second she so
    that the their then there these they this those three to today two we well what when where
    which who why with yes you your""".split()
)
_CHAIRS = frozenset({"chairman", "chairwoman", "chair", "chairperson"})
# "Minister of Agriculture Dmitry Patrushev", "MINISTER OF JUSTICE AND CONSTITUTIONAL ..."
_TITLE_OF = frozenset({"of", "for", "the", "and"})
_OF_BEFORE = re.compile(r"\b(?i:of|for|the|and)[^\S\n]+$")  # ... ending where a name would start
# the particles of a name, in lower case inside it: "Aaron van Wirdum", "Ursula von der Leyen"
_PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le", "ter", "bin"}
)
_CONNECTORS = frozenset({"to", "the", "of", "and", "for", "on", "de", "von", "van", "al", "bin"})
_AFTER = frozenset({"mp", "qc", "kc", "mep", "msp", "mla", "mpp", "td"})  # after a name
_HONORIFICS = frozenset(
    {
        "president",
        "aide",
        "minister",
        "secretary",
        "spokesman",
        "spokeswoman",
        "spokesperson",
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
        "miss",
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
        "lady",
        "lord",
        "sir",
        "dame",
        "baroness",
        "baron",
        "madam",
        "senator",
        "sen",
        "rep",
        "representative",
        "congressman",
        "congresswoman",
        "judge",
        "justice",
        "prof",
        "professor",
        "admiral",
        "colonel",
        "captain",
        "commissioner",
        "chancellor",
        "coordinator",
        "mayor",
        "administrator",
        "attorney",
        "adviser",
        "advisor",
        "chief",
        "commander",
        "second",
        "gentleman",
        "witness",
        "hon",
        "rt",
        "king",
        "queen",
        "prince",
        "princess",
        "whip",
        "leader",
        "earl",
        "duke",
        "bishop",
        "viscount",
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
        "hon",  # Hansard's "my right hon. Friend", "the Rt. Hon. Member"
        "rt",
    }
)
# in a label only: "SEC. AUSTIN:" (at a sentence's end, "the SEC." ends it)
_TITLE_ABBREVIATIONS = _ABBREVIATIONS | {"sec", "adm", "maj", "capt", "sgt", "hon", "rt"}
# words that address a person without saying who: "Mr:" alone (a record converted from PDF
# wraps "Mr. Speaker" as "Mr:" and "Speaker") is no label
_ADDRESS = frozenset({"mr", "mrs", "ms", "miss", "dr", "sir", "madam", "hon", "rt", "the"})
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# a month in full or abbreviated ("Oct 30, 2025", "30 Sept. 2025")
_MONTH = rf"(?:{_MONTHS}|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
_DATELINE = re.compile(rf"^(?:{_MONTH}\s+\d{{1,2}},\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}})")
_DATE = re.compile(
    rf"\b(?:(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}}),\s+(?P<y1>\d{{4}})"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<m2>{_MONTH})\s+(?P<y2>\d{{4}})"
    r"|(?P<y3>(?:19|20)\d\d)-(?P<n3>0[1-9]|1[0-2])-(?P<d3>0[1-9]|[12]\d|3[01]))\b"  # 2025-07-23
)
_PARAGRAPH_BREAK = re.compile(r"\n(?:[^\S\n]*\n)+")
_LINE = re.compile(
    r"[^\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]*(?:\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]|$)"
)
# tried only where a run of end marks starts: linear even in a long run of "!?!?"
_SENTENCE_END = re.compile(r"(?<![.!?…])[.!?…]+[\"'”’)\]]*(?=\s|$)")
_LAST_WORD = re.compile(r"([\w.]+)$")
# a bracketed time stamp: "(00:24)", "[04:22]"
_STAMP = r"[(\[]\d{1,2}(?::\d{2}){1,2}[)\]]"
# US congressional hearings (the Government Publishing Office's transcripts) open a turn with a
# title, a surname and a full stop: "Chairman Dodd.", "Senator Shelby.", "Mr. Bernanke."
_DOTTED_TITLES = (
    r"(?:Chairman|Chairwoman|Chair|Senator|Representative|Congressman|Congresswoman|Secretary"
    r"|Governor|General|Admiral|Ambassador|Commissioner|Director|Judge|Justice|Mayor"
    r"|Mr\.|Mrs\.|Ms\.|Dr\."
    # in capitals, as the Federal Reserve's transcripts write them: "CHAIRMAN GREENSPAN.",
    # "MR. BLACK.", "MR.BLACK."
    r"|CHAIRMAN|VICE[^\S\n]+CHAIRMAN|CHAIR|GOVERNOR|PRESIDENT|SENATOR|SECRETARY"
    r"|MR\.|MRS\.|MS\.|DR\.)"
)
# the House's way to tell two members of one name apart: "Mr. Moore of Kansas."
_OF_STATE = r"(?:[^\S\n]+of[^\S\n]+[A-Z][a-z]+(?:[^\S\n]+[A-Z][a-z]+)?)?"
# after a bare "A.", not a surname and a colon: "A. Krishnan: So, in Chennai, ..." is a name
_NOT_SURNAME = r"(?![^\S\n]*[A-Z][\w’'-]+[^\S\n]*:)"
# initials in any script ("J.V.", "В."), and one glued to the surname after it ("В.Путин")
_INITIALS_DOTTED = re.compile(r"(?:[^\W\d_]\.)+")
_GLUED_INITIAL = re.compile(r"(?<![\w.])([^\W\d_]\.)(?=[^\W\d_]{2})")
# a label's note that the words are a translation: "Question (retranslated):"
_TRANSLATED = re.compile(
    r"[^\S\n]*[(\[](?:re-?)?translat(?:ed|ion)[)\]]|[^\S\n]*[(\[]via interpreter[)\]]", re.I
)
# a transcription tool's time stamp inside a bold label: "**[00:14] SPEAKER_00:** So I ..."
_BOLD_STAMP = r"(?:\[\d{1,2}(?::\d{2}){1,2}\][^\S\n]+)?"
# a transcriber's note in brackets, not a speaker: "[Inaudible] [01:13:08]"
_NOTES = frozenset(
    {"inaudible", "unintelligible", "crosstalk", "cross talk", "laughter", "laughs", "applause"}
    | {"music", "silence", "pause", "noise", "overlapping", "foreign", "indiscernible", "blank"}
)
# a tool's speaker in brackets with the time: Zoom's saved captions' "[Saar Moshiashvili]
# 13:32:23" on its line (the words below), a podcast host's "[Speaker 1] [00:09] And I'm ..."
_TAGGED = re.compile(
    r"\[(?P<tag>[^\[\]\n]{1,60})\][^\S\n]+"
    r"(?:\[\d{1,2}(?::\d{2}){1,2}\]|\d{1,2}:\d{2}:\d{2}(?=[^\S\n]*(?:\n|$)))"
    # or the time first, the name alone after it on the line: Word's "00:00:18 Speaker 1"
    r"|\d{1,2}:\d{2}:\d{2}[^\S\n]+(?P<after>[A-Z][\w.’'-]*(?:[^\S\n]+[A-Z0-9][\w.’'-]*){0,3})"
    r"[^\S\n]*(?=\n|$)"
)
# a label: optional question number ("1. ", "T1. [66880] ") and time stamp ("[02:26:11] ",
# "0:00:43.2 "), then `Name:`, `**Name**:` or `**Name:**` (after a time stamp `**Name**`),
# followed by a space or the end of the line; a bare
# `Q` / `Q:` / `Q.` / `Q.1.` (and its `A`: a deposition's, or written answers); or a hearing's
# `Senator Shelby.`
_LABEL = re.compile(
    r"(?:T?\d{1,3}\.[^\S\n]+)?(?:\[\d+\][^\S\n]+)?"
    r"(?:\d{2}/\d{2}/\d{4}[A-Z]\d{5})?"  # the Oireachtas record's paragraph: 24/04/2015A00200
    r"(?:\[?\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?\]?[^\S\n]+)?"  # a time stamp: [02:26:11] Name:
    r"(?:\*\*" + _BOLD_STAMP + r"(?P<b1>[^*\n:]{1,150}?)[^\S\n]*\*\*[^\S\n]*:"
    # after a time stamp, a bold name needs no colon: "0:00:43.2 **Jen Luker** I'm Jen Luker."
    r"|(?<=[\d\]][^\S\n])\*\*(?P<b3>[^*\n:]{1,150}?)[^\S\n]*\*\*"
    r"|\*\*" + _BOLD_STAMP + r"(?P<b2>[^*\n:]{1,150}?)[^\S\n]*:[^\S\n]*\*\*"
    # a bold name with its time stamp needs none: "**Lex Fridman (00:00:00)** It's hard ..."
    r"|\*\*(?P<b4>[^*\n:]{1,150}?[^\S\n]*" + _STAMP + r")[^\S\n]*\*\*(?:[^\S\n]*[:：])?"
    r"|(?:\*\*)?(?P<q>Q)(?:\.\d{1,3})?[.:]?|(?P<a>A)(?:(?:\.\d{1,3})?[.:]"
    + _NOT_SURNAME
    + r"|(?P<bare>(?=[^\S\n]+[A-Z])))"
    r"|(?P<dotted>The[^\S\n]+(?:Chairman|Chairwoman|Chair)|"
    + _DOTTED_TITLES
    + r"(?:(?<=\.)[^\S\n]*|[^\S\n]+)[A-Z][\w’'-]+(?:[^\S\n]+[A-Z][\w’'-]+)?"
    + _OF_STATE
    + r")\."
    # beside them, the reporters of a Fed press conference: "MICHELLE SMITH.", "QUESTION."
    r"|(?P<capital>QUESTION|[A-Z][A-Z’'-]+(?:[^\S\n]+[A-Z][A-Z’'-]+){1,2})\.(?=[^\S\n])"
    # an Otter.ai export's "Kelly  0:18" alone on its line, the words below
    # or Factbase's "Sean Hannity 00:00:05-00:00:14 (9 sec)"
    r"|(?P<clocked>[^\W\d_][\w.’'-]*(?:[^\S\n][\w.’'-]+){0,3})(?:[^\S\n]{2,}\d{1,2}:\d{2}(?::\d{2})?"
    r"|[^\S\n]+\d{2}:\d{2}:\d{2}-\d{2}:\d{2}:\d{2}(?:[^\S\n]+\([^()\n]{0,12}\))?)"
    r"[^\S\n]*(?=\n|$)"
    r"|(?P<plain>[^\W\d_][^\n:*]{0,150}?(?:[^\S\n]*" + _STAMP + r")?)"
    r"[^\S\n]*:)"  # "Name:", or "Name (00:24):" with its time stamp
    r"(?=\s|$)"
)
_CLOCK = re.compile(r"\d{1,2}[:.]\d{2}\s*[ap]\.?m\.?(?:\s+[a-z]{2,4})?", re.I)  # 11:06 A.M. EST
# a division's record, a heading of its own and whatever follows it nobody's words: "AYES: Sen.
# Muthama, Machakos County; ...", "NOES: 1", "Tellers of the Ayes: ..."
_VOTES = re.compile(
    r"(?:AYES|NOES|NAYS|ABSTENTIONS?|ABSENTIONS|(?i:tellers?)\b[^:\n]{0,40})[^\S\n]*:"
)
_TIMESTAMP = re.compile(
    r"\[?\(?\d{1,3}(?:[:.]\d{2}){1,3}(?:\s*[ap]\.?m\.?)?(?:\s+[a-z]{2,4})?\)?\]?", re.I
)
_STAGE = re.compile(r"[(\[][^()\[\]]*(?:[(\[][^()\[\]]*[)\]][^()\[\]]*)*[)\]]\.?")
_SKIP_LINE = re.compile(
    r"\*[^*\s][^*]*\*"  # an italic line on its own: *MS MELANIE FIELD (affirmed).*
    r"|_[a-z]+:\s.*"  # a directive: _page: 42
    r"|(?:\\?[-_=*~#]\s*){3,}"  # a rule
    r"|.*\S\s*:\s*Column\s+\d+"  # a Hansard column marker
    r"|\[GRAPHIC\]\s*\[TIFF OMITTED\].*"  # a hearing record's image of a page
    r"|\d{1,3}"  # a page's number, on a line of its own
)
# Factbase's ratings of a turn's voice, a line of their own under its label
_RATING = re.compile(
    r"(?:No|Low|Medium|Moderate|High|Very Low|Very High)[^\S\n]+(?:StressLens|Signal)"
    r"(?:[^\S\n]+\(\d*(?:\.\d+)?\))?"
)
_END = re.compile(r"END(?:\s+\d{1,2}[:.]\d{2}.*)?")
_CLAUSE_END = re.compile(r"[.?!…:\"”’)\]\-—–]$")  # a line ending so: a label may open the next
# a hearing record's footnote, set between rules: "\1\ The prepared statement of Mr.
# Carmichael appears in the Appendix on page 318."
_FOOTNOTE = re.compile(r"[^\S\n]*\\\d+\\[^\S\n]")
# a court record's examining lawyer, on a line of its own: "BY MR. STEINGLASS:", "CROSS-
# EXAMINATION BY MS. NECHELES:"; the bare "Q"s after it are that lawyer's
_EXAMINER = re.compile(
    r"(?:[A-Z][A-Z-]*(?:[^\S\n]+[A-Z][A-Z-]*)*[^\S\n]+)?BY[^\S\n]+"
    r"((?:MR|MS|MRS|MISS|DR)\.?[^\S\n]+[A-Z][A-Z'’-]+(?:[^\S\n]+[A-Z][A-Z'’-]+)?)[^\S\n]*:"
)
_PARTY = re.compile(r"[A-Z][A-Za-z]{0,5}(?:[/-][A-Z][A-Za-z-]{0,6})?")
# a time stamp before the words: bracketed, or a clock to the second ("0:00:41.1 So I'm ...")
_SPOKEN_AT = re.compile(r"(?:" + _STAMP + r"|\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,3})?)(?=\s)")
# a Pacific Hansard's "HON. M. S. N. KAMIKAMICA.- Mr. Speaker, Sir, ...": the label ends in a
# full stop and a hyphen, at a line's start or inside a paragraph after a sentence (the record,
# converted from PDF, runs the turns together)
_SPEECH_DASH = re.compile(
    r"(?:^|(?<=[.?!…\"”’)] ))"
    r"(?P<who>(?:HON|MR|MRS|MS|DR|MADAM)\.?(?: [A-Z][A-Z.’'-]*){1,6})\.-(?=\s)",
    re.MULTILINE,
)
_LABEL_TIME = re.compile(r"\s*" + _STAMP)
# a list of participants' "Moderator:" and the name on its line or the next one
_MODERATOR = re.compile(
    r"^[^\S\n]*(?i:moderator)[^\S\n]*:\s*([A-Z][\w.'’-]*(?:[^\S\n]+[A-Z][\w.'’-]*){1,4})[^\S\n]*$",
    re.M,
)
PARTICIPANTS_CHARS = 3000  # how far into a transcript a list of participants is looked for
# a label in capitals run on after the sentence before it, in a line this long or longer (a
# transcript pasted without its line breaks: "I'm Robert Smith.ADAM DAVIDSON, HOST: And I'm")
_GLUED = re.compile(
    r"(?<=[.?!…\"”’)\]])[^\S\n]?"
    r"([A-Z][A-Z.’'-]+(?:[^\S\n][A-Z][A-Z.’'-]+){0,3}"
    r"(?:,[^\S\n][A-Z][A-Z’'-]+(?:[^\S\n][A-Z][A-Z’'-]+){0,3})?):(?=\s)"
)
GLUED_LINE = 2000


@dataclass(frozen=True)
class Label:
    """A speaker label as written, with what it says: kind, person and title."""

    kind: str  # "question", "moderator", "interpreter" or "person"
    text: str  # the label, normalised, without number, markup or colon
    name: str  # the person's words ("Yury Ushakov", "LEAVITT"); "" for a bare title
    title: str  # the words before the name ("Aide to the President", "THE PRESIDENT")
    member: bool = False  # Hansard member asking: "Name (Constituency) (Party)"
    dotted: bool = False  # a hearing's "Senator Shelby." (no colon)
    bare: bool = False  # a court record's "A Good morning." (an answer without "." or ":")
    alone: bool = False  # an earnings call's "Jensen Huang", a paragraph of its own (no colon)
    bold: bool = False  # "**Costa Rica | Representative**", a bold paragraph of its own
    call: bool = False  # a call transcript's "Jensen Huang" / "--" / "President and CEO"
    clocked: bool = False  # an Otter.ai export's "Tailor  2:26" alone on its line
    capital: bool = False  # a Fed press conference's "MICHELLE SMITH." (capitals, no title)


@dataclass
class _Unit:
    start: int
    end: int
    label: Label | None = None
    heading: bool = False


def content_start(text: str) -> int:
    """Return the offset of the first line after the leading web-page chrome (and any BOM)."""
    offset = 0
    for match in _LINE.finditer(text):  # one line at a time: the chrome is a few lines
        line = match.group()
        key = normalise(line.lstrip("\ufeff")).casefold()
        if key and key not in CHROME and not _SKIP_LINE.fullmatch(key):
            break
        offset += len(line)
    return offset


def _is_tail_chrome(text: str, unit: _Unit) -> bool:
    """Return True when `unit` is a line of a web page's footer ("Direct link: ...")."""
    return bool(TAIL_CHROME.fullmatch(normalise(text[unit.start : unit.end]).casefold()))


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Return `(start, end)` narrowed so that the span neither starts nor ends with whitespace."""
    while start < end and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraphs(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """Yield the trimmed spans of the blank-line-separated paragraphs of `text[start:]`, one at
    a time (reading a header stops after its first few)."""
    pos = start
    for brk in _PARAGRAPH_BREAK.finditer(text, start):
        s, e = trim(text, pos, brk.start())
        if e > s:
            yield s, e
        pos = brk.end()
    s, e = trim(text, pos, len(text))
    if e > s:
        yield s, e


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
    return [piece for s, e in spans for piece in bounded_spans(text, s, e)]


def bounded_spans(
    text: str, start: int, end: int, limit: int = MAX_SENTENCE_CHARS
) -> list[tuple[int, int]]:
    """Return the trimmed span `text[start:end]` cut into trimmed spans of at most `limit`
    chars, each cut at the last whitespace in the second half of its window (at the limit
    when there is none)."""
    spans = []
    while end - start > limit:
        cut = start + limit
        while cut > start + limit // 2 and not text[cut].isspace():
            cut -= 1
        if not text[cut].isspace():
            cut = start + limit
        spans.append(trim(text, start, cut))
        start = trim(text, cut, end)[0]
    spans.append((start, end))
    return spans


def _is_boundary(text: str, sentence_start: int, match: re.Match, end: int) -> bool:
    nxt = match.end()
    while nxt < end and text[nxt].isspace():
        nxt += 1
    if nxt < end and text[nxt].islower():
        return False
    if match.group() == ".":
        # the last word before the stop (a window keeps this linear in the sentence's length)
        word = _LAST_WORD.search(text, max(sentence_start, match.start() - 40), match.start())
        if word:
            token = word.group(1).casefold()
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                return False
    return True


def is_skip_line(line: str) -> bool:
    """Return True for a line that is not speech: a time stamp, a stage direction on its own,
    a directive, a rule, a column marker, a placeholder for an image of a page, a page's number
    or the language the speech goes on in."""
    line = line.strip()
    if not line or len(line) > 300:
        return False
    if line.endswith(":") and line[:-1].strip("*_ ").casefold() in LANGUAGES:
        return True  # "English:", the language a speech goes on in
    if _RATING.fullmatch(line):
        return True
    if line[0] not in "[(*_-=~#\\" and not line[0].isdigit() and "Column" not in line:
        return False  # what every pattern below needs, checked cheaply
    line = normalise(line)
    return bool(
        _TIMESTAMP.fullmatch(line.removesuffix(":").rstrip())  # a podcast's "(08:34):" goes on
        or is_stage_direction(line.strip("*_"))
        or _SKIP_LINE.fullmatch(line)
    )


def is_stage_direction(sentence: str) -> bool:
    """Return True for a sentence that is wholly a bracketed direction: "(Laughter.)", but not
    a dateline in brackets: "(May 21, 2022)"."""
    text = normalise(sentence)
    return bool(_STAGE.fullmatch(text)) and not is_dateline(text.strip("()[] "))


def parse_label(raw: str) -> Label | None:
    """Return what the label text `raw` (without colon) says, or None if it is no label."""
    text = _LABEL_TIME.sub("", normalise(raw)).strip()  # "Marc Benioff (00:24)"
    text = _TRANSLATED.sub("", text).strip()  # "Question (retranslated)", the Kremlin's
    text = _GLUED_INITIAL.sub(r"\1 ", text)  # "В.Путин", the Kremlin's Russian: "В. Путин"
    if re.search(r"\w{4,}\.$", text):  # "HON. J.V. BAINIMARAMA.:", a full stop before the colon
        text = text[:-1]
    key = text.casefold().rstrip(".")
    if text == "I":  # a research interview's interviewer, beside "B:" or "R:" (see _accepting)
        return Label("question", "Interviewer", "", "I")
    if key in QUESTION_LABELS:
        return Label("question", text, "", text)
    if key.replace(".", "") in MODERATOR_LABELS:  # "Mr. Speaker"
        return Label("moderator", text, "", text)
    if key in INTERPRETER_LABELS:
        return Label("interpreter", text, "", text)
    if key in NOT_LABELS or key in LANGUAGES or len(text) > 120:
        return None
    if key in INTERJECTIONS or key == "the court":  # a trial's judge speaks as the court
        return Label("person", text, "", text)
    text = _without_tooltip(text)
    split = _split_groups(text) if "(" in text or ")" in text else (text, [])
    if split is None:
        return None
    outer, groups = split
    words = outer.split()
    first = words[0].casefold() if words else ""
    # "And for President López Obrador:"; a list's "Second: Ms Abramchenko said ..." (a title
    # alone, as "First Lady" is one)
    if first in _PROSE and (first not in _HONORIFICS or len(words) == 1):
        return None
    if "," in outer and not groups:
        return _name_then_title(text, outer)
    # a comma only in a title before a bracketed name: "Minister of State, Foreign Office (Jo Bo)"
    if not 1 <= len(words) <= 12 or re.search(
        r"[;!?\"“”\[\]]" if groups else r"[,;!?\"“”\[\]]", outer
    ):
        return None
    for i, word in enumerate(words):
        word = word.rstrip(",")
        if not word:  # a comma on its own: a list of several ("Christian HORNER (Red Bull), Toto")
            return None
        if "." in word:
            bare = word.casefold().rstrip(".")
            if bare not in _TITLE_ABBREVIATIONS and not _INITIALS_DOTTED.fullmatch(word):
                return None
        elif re.fullmatch(r"\d+(?:/\d+)*", word):
            if i == 0:
                return None
        elif not (word[0].isupper() or (0 < i < len(words) - 1 and word in _CONNECTORS)):
            return None
    # "Mr David Hanson (Delyn) (Lab)": a constituency and a party; not "Jo Bo (OpenAI)"
    member = len(groups) >= 2 and bool(_PARTY.fullmatch(groups[-1]))
    name = person_name(outer)
    # "Minister of State, Foreign Office (Jo Bo)"; not what follows a name, "Alan Johnson (The
    # Secretary of State for the Home Department)", "Father Paul Kelly (St Michael's Roman
    # Catholic Church, Linlithgow)"
    # nor what follows a name alone: "Deb Knight (Nine Radio)"
    named = (
        name == outer and 2 <= len(words) <= 3 and not _HONORIFICS & {w.casefold() for w in words}
    )
    if groups and not member and not named and not _is_affiliation(groups[0]):
        inner = person_name(groups[0])
        if len(inner.split()) >= 2:
            return Label("person", text, inner, outer)
    title = outer[: outer.rfind(name)].strip() if name else outer  # "Mr. Moore of Kansas": "Mr."
    folded = [w.casefold().rstrip(".") for w in title.split()]
    # a title alone: its words before what it is of ("The MINISTER OF HOME AFFAIRS")
    of = next((i for i, w in enumerate(folded) if i and w in _TITLE_OF - {"the"}), len(folded))
    if not name and not all(w in _HONORIFICS | _CONNECTORS for w in folded[:of]):
        return None
    if not name and all(w in _ADDRESS for w in folded):
        return None
    return Label("person", text, name, title, member)


def _without_tooltip(text: str) -> str:
    """Return a label copied from a page with its name card's text glued on ("President of
    Turkey Recep Tayyip Erdogan Erdogan Recep TayyipPresident of Turkey (retranslated)", the
    Kremlin's: the name again, surname first, then the title) as the label alone ("President
    of Turkey Recep Tayyip Erdogan (retranslated)"); any other text as it is."""
    glue = re.search(r"(?<=[a-z])(?=[A-Z])", text)
    if glue is None:
        return text
    head, tail = text[: glue.start()], text[glue.start() :]
    groups = tail[tail.find("(") :] if "(" in tail else ""
    title = tail[: len(tail) - len(groups)].strip()
    if not title or not head.startswith(title + " "):
        return text
    words = head[len(title) :].split()
    half = len(words) // 2
    if len(words) % 2 or not half or sorted(words[:half]) != sorted(words[half:]):
        return text
    return " ".join([title, *words[:half], groups]).strip()


def _is_affiliation(group: str) -> bool:
    """Return whether a label's bracketed `group` says what or where the speaker is, not who:
    a title ("The Secretary of State for ..."), a place ("..., Linlithgow"), something of
    someone's ("St Michael's ..."), or more words than a name has."""
    return (
        group.casefold().startswith("the ")
        or bool(re.search(r",|[’']s\b", group))
        or len(group.split()) > 4
    )


def _name_then_title(text: str, outer: str) -> Label | None:
    """Return the label of a name and then what the speaker is, after a comma, as television
    and radio transcripts write them ("DANA BASH, CNN CHIEF POLITICAL CORRESPONDENT", "STEVE
    INSKEEP, HOST"), or None: the name must be two to four capitalised words, none of them
    prose ("Thank you, Mr Speaker" is none), the title capitalised words."""
    name, _, title = outer.partition(",")
    names, titles = name.split(), title.replace(",", " ").split()
    if not (2 <= len(names) <= 4 and 1 <= len(titles) <= 10):
        return None
    if re.search(r"[;!?\"“”\[\]]", outer):
        return None
    if any(not w[0].isupper() or w.casefold() in _PROSE for w in names):
        return None
    if any(not (w[0].isupper() or w in _CONNECTORS or w == "&") for w in titles):
        return None
    return Label("person", text, name.strip(), title.strip())


def _split_groups(text: str) -> tuple[str, list[str]] | None:
    """Return `(text without parenthesised groups, top-level groups)`; None if unbalanced."""
    outer, groups, depth, current = [], [], 0, []
    for ch in text:
        if ch == "(":
            if depth:
                current.append(ch)
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return None
            if depth:
                current.append(ch)
            else:
                groups.append(normalise("".join(current)))
                current = []
        elif depth:
            current.append(ch)
        else:
            outer.append(ch)
    if depth:
        return None
    return normalise("".join(outer)), groups


def person_name(label: str) -> str:
    """Return the person in a label: "Aide to the President Yury Ushakov" -> "Yury Ushakov".
    After "of", "for" or "the", the first capitalised words say what the title is of: "Minister
    of Agriculture Dmitry Patrushev" -> "Dmitry Patrushev", "Head of the Federal Security
    Service Alexander Bortnikov" -> "Alexander Bortnikov", "Secretary of State Blinken" ->
    "Blinken" (a name keeps two words, and three when its first is no word of general English:
    "Ketanji Brown Jackson"); when all of them are words of general English they say what, and
    there is no name: "The MINISTER OF HOME AFFAIRS", "Secretary of Defense Gates" (the list
    holds "gates": a surname may be a word too)."""
    words = label.split()
    # "and" joins what a title is of ("MINISTER OF JUSTICE AND CONSTITUTIONAL DEVELOPMENT"), or
    # two people ("BILLY SCAFURI AND ADAM LUSTICK")
    stops = _TITLE_OF if {"of", "for"} & {w.casefold() for w in words} else _TITLE_OF - {"and"}
    tail: list[str] = []
    for word in reversed(words):
        is_number = bool(re.fullmatch(r"\d+(?:/\d+)*", word))
        folded = word.casefold().rstrip(".")
        inside = tail and folded in _PARTICLES  # "Aaron van Wirdum", "Ursula von der Leyen"
        if (
            folded in _HONORIFICS
            or folded in stops
            or not (word[0].isupper() or is_number or inside)
        ):
            break
        tail.insert(0, word)
    while tail and not tail[0][0].isupper():
        tail.pop(0)
    # (not an article opening the label: "The SPEAKER")
    if tail and len(tail) < len(words) - 1 and words[-len(tail) - 1].casefold() in _TITLE_OF:
        if len(tail) <= 2 and all(is_english_word(w.casefold()) for w in tail):
            # all of it says what or where: "The MINISTER OF HOME AFFAIRS" names nobody, "Mr.
            # Moore of Kansas" the surname before it
            rest = words[: -len(tail) - 1]
            while rest and rest[-1].casefold() in _TITLE_OF:  # "... OF THE OPPOSITION"
                rest.pop()
            before: list[str] = []
            for word in reversed(rest):
                if word.casefold().rstrip(".") in _HONORIFICS or not word[0].isupper():
                    break
                before.insert(0, word)
            if len(before) < len(rest) and rest[-len(before) - 1].casefold() in _TITLE_OF:
                return ""  # a place of two parts: "The Lord Bishop of Ripon and Leeds"
            return " ".join(before)
        if len(tail) == 2 and is_english_word(tail[0].casefold()):
            tail.pop(0)  # "Secretary of State Blinken"
        while (n := sum(w.casefold() not in _PARTICLES for w in tail)) > 3 or (
            n == 3 and is_english_word(tail[0].casefold())
        ):
            tail.pop(0)
    return " ".join(tail)


def is_dateline(text: str) -> bool:
    """Return True for a short line that starts with a date ("December 3, 2025, The Kremlin")."""
    return len(text) <= 160 and bool(_DATELINE.match(normalise(text)))


def iso_date(text: str) -> str | None:
    """Return the first "Month D, YYYY", "D Month YYYY" or "YYYY-MM-DD" date in `text` as
    YYYY-MM-DD."""
    match = _DATE.search(text)
    if not match:
        return None
    if match.group("y3"):
        return match.group(0)
    month = match.group("m1") or match.group("m2")
    day = match.group("d1") or match.group("d2")
    year = match.group("y1") or match.group("y2")
    number = [m[:3] for m in _MONTHS.split("|")].index(month[:3]) + 1
    return f"{year}-{number:02d}-{int(day):02d}"


def header_metadata(text: str) -> tuple[str | None, str | None]:
    """Return `(title, date)` read from the header of a transcript (before the first turn)."""
    start = content_start(text)
    units = _scan(text, start, lambda label: not label.alone, limit=8)[:8]  # "East Room"
    end = next((u.start for u in units if u.label), units[-1].end if units else start)
    title = None
    for unit in units[:3]:
        if unit.label is not None:
            break
        if unit.heading:
            continue
        body = normalise(text[unit.start : unit.end]).lstrip("#").strip()  # "# Session 4"
        if body and _looks_like_title(body):
            title = body
            break
    return title, iso_date(text[start:end])


def _presides(title: str) -> bool:
    """Return whether a label's title is a parliament's presiding officer's ("The Presiding
    Officer", "Mr. Deputy Speaker"); not a committee's chairman, who also speaks and asks."""
    key = title.replace(".", "").casefold()
    return key in MODERATOR_LABELS and ("speaker" in key or "presiding" in key)


def _is_chair(label: str) -> bool:
    """Return whether a label, its full stops dropped, is a chair's ("MR. SPEAKER")."""
    return label.replace(".", "").casefold() in MODERATOR_LABELS


def _label_of(match: re.Match) -> Label | None:
    if match.re is _SPEECH_DASH:  # "HON. M. S. N. KAMIKAMICA", "MR. SPEAKER"
        who = re.sub(r"\.(?=[A-Z])", ". ", normalise(match.group("who")))  # "P.D." as "P. D."
        label = parse_label(who.replace(".", "") if _is_chair(who) else who)
        return replace(label, text=who, dotted=True) if label else None
    if match.re is _VOICE:
        voice = normalise(match.group("voice"))  # a name, by the tag's own definition
        return parse_label(voice) or Label("person", voice, voice, "")
    if match.re is _TAGGED:  # the tool's speaker field: a name, or "Speaker 1", as it is
        tag = normalise(match.group("tag") or match.group("after"))
        if not tag[0].isupper() or tag.casefold() in _NOTES:  # "[unintelligible] [01:13:08]"
            return None
        return replace(parse_label(tag) or Label("person", tag, tag, ""), clocked=True)
    if match.group("q"):
        return Label("question", "Q", "", "Q")
    if match.group("a"):
        return Label("answer", "A", "", "A", bare=match.group("bare") is not None)
    if match.group("dotted"):
        dotted = re.sub(r"\.(?=[A-Z])", ". ", normalise(match.group("dotted")))  # "MR.BLACK"
        if dotted.startswith("The "):  # the chair, named in the roster or by "Chairman Frank"
            return Label("person", dotted, "", dotted, dotted=True)
        label = parse_label(re.sub(r" of [A-Z][a-z]+(?: [A-Z][a-z]+)?$", "", dotted))
        return replace(label, text=dotted, dotted=True) if label else None
    if match.group("clocked"):
        label = parse_label(match.group("clocked"))
        return replace(label, clocked=True) if label else None
    if match.group("capital"):
        label = parse_label(match.group("capital"))
        return replace(label, capital=True) if label else None
    raw = next(match.group(g) for g in ("b1", "b2", "b3", "b4", "plain") if match.group(g))
    label = parse_label(raw)
    if label is None and raw is not match.group("plain") and _HANDLE.fullmatch(raw.strip()):
        return Label("person", raw.strip(), raw.strip(), "")  # a handle in bold: "**kushti**:"
    return label


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        span = trim(text, pos, stop)
        if span[1] > span[0]:
            spans.append(span)
        pos = stop + 1
    return spans


def _scan(text: str, start: int, accept, limit: int | None = None) -> list[_Unit]:
    """Return the units of `text[start:]`: label-opened blocks, plain blocks and headings; with
    `limit`, stop after the paragraph that completes the first `limit` of them or holds the
    first label (the header)."""
    units: list[_Unit] = []
    for pstart, pend in paragraphs(text, start):
        if limit is not None and (len(units) >= limit or any(u.label for u in units)):
            return units  # the header ends at the first turn
        lines = _lines(text, pstart, pend)
        lines = [piece for line in lines for piece in _dash_turns(text, *line, accept)]
        alone = _alone_label(text, lines)
        if alone is not None and accept(alone):
            units.append(_Unit(lines[0][1], lines[0][1], alone))
            continue
        may_label = True
        current: _Unit | None = None
        footnote = False  # inside a hearing record's footnote, until the rule that closes it
        block = text[pstart:pend]
        maybe_call = len(lines) > 1 and ("--" in block or "Operator" in block)
        calls = _call_labels(text, lines) if maybe_call else {}
        skip = 0
        after_date = False
        for i, (lstart, lend) in enumerate(lines):
            if skip:
                skip -= 1
                continue
            line = text[lstart:lend]
            if i in calls and accept(calls[i][0]):
                label, skip = calls[i][0], calls[i][1] - 1
                if current:
                    units.append(current)
                after = lines[i + skip + 1][0] if i + skip + 1 < len(lines) else lend
                current, may_label = _Unit(after, after, label), True
                continue
            if _FOOTNOTE.match(line) or (footnote and not is_skip_line(line)):
                if current:
                    units.append(current)
                current, may_label, footnote = None, True, True
                continue
            footnote = False
            if _END.fullmatch(line):
                if current:
                    units.append(current)
                return units
            if _CLOCK.fullmatch(line) or _EXAMINER.fullmatch(line) or _VOTES.match(line):
                if current:
                    units.append(current)
                units.append(_Unit(lstart, lend, heading=True))
                current, may_label = None, True
                continue
            if is_skip_line(line):
                if current:
                    units.append(current)
                current, may_label = None, True
                continue
            wrapped = _wrapped_label(text, lines, i) if may_label else None
            if wrapped is not None and accept(wrapped[0]):
                if current:
                    units.append(current)
                label, content, skip = wrapped
                end = lines[i + skip][1]
                current = _Unit(content, end if content < end else content, label)
                may_label = current.start == current.end or bool(
                    _CLAUSE_END.search(text, lines[i + skip][0], end)
                )
                continue
            match = _TAGGED.match(text, lstart, lend) or (
                _VOICE.match(text, lstart, lend)
                or _SPEECH_DASH.match(text, lstart, lend)
                or _LABEL.match(text, lstart, lend)
                if may_label or after_date
                else None
            )
            label = _label_of(match) if match else None
            if (
                label is not None
                and (may_label or label.dotted or match.re is _TAGGED)
                and accept(label)
            ):
                if current:
                    units.append(current)
                content = trim(text, match.end(), lend)[0]
                stamp = _SPOKEN_AT.match(text, content, lend)  # "**Rob Pike:** [04:22] Yes."
                content = trim(text, stamp.end(), lend)[0] if stamp else content
                end = lend
                if match.group().startswith("**") and text.endswith("**", content, lend):
                    end = trim(text, content, lend - 2)[1]  # "**Q: Why now?**": the words only
                current = _Unit(content, end if content < end else content, label)
            elif current is None:
                stamp = _SPOKEN_AT.match(text, lstart, lend)  # "[08:23] So we had worked ..."
                current = _Unit(trim(text, stamp.end(), lend)[0] if stamp else lstart, lend)
            else:
                current.end = lend
            may_label = bool(_CLAUSE_END.search(line)) or current.start == current.end
            # a Fed transcript's heading: "December 16, 2015", then "CHAIR YELLEN. Good ..."
            after_date = not may_label and is_dateline(line)
        if current:
            units.append(current)
    return units


_WRAPPED_HEAD = re.compile(r"[A-Z][A-Z.’' ,-]*,")  # "MS. NICOLE GELINAS, SENIOR FELLOW,"
_WRAPPED_TAIL = re.compile(r"[A-Z][A-Z.’' ,-]*?(?=:)")  # "MANHATTAN INSTITUTE:  Good ..."


def _wrapped_label(text: str, lines: list[tuple[int, int]], i: int):
    """Return `(label, where its words start, lines it takes after the first)` for a label in
    capitals a hearing record wraps over two or three lines ("MS. NICOLE GELINAS, SENIOR
    FELLOW," / "MANHATTAN INSTITUTE:  Good afternoon,"), or None."""
    head = text[lines[i][0] : lines[i][1]]
    if not _WRAPPED_HEAD.fullmatch(head):
        return None
    parts = [head]
    for k in (1, 2):
        if i + k >= len(lines):
            return None
        start, end = lines[i + k]
        tail = _WRAPPED_TAIL.match(text, start, end)
        if tail is not None:
            label = parse_label(" ".join([*parts, tail.group()]))
            content = trim(text, tail.end() + 1, end)[0]
            return (label, content, k) if label is not None else None
        if not _WRAPPED_HEAD.fullmatch(text[start:end]):
            return None
        parts.append(text[start:end])
    return None


def _dash_turns(text: str, start: int, end: int, accept) -> list[tuple[int, int]]:
    """Return the line `text[start:end]` cut where a Hansard's "HON. X.-" label this document
    accepts opens a turn inside it, or, in a line of GLUED_LINE characters or more, a label in
    capitals run on after a sentence."""
    cuts = [
        m.start()
        for m in _SPEECH_DASH.finditer(text, start, end)
        if m.start() > start and (label := _label_of(m)) is not None and accept(label)
    ]
    if end - start >= GLUED_LINE:
        cuts += [
            m.start(1)
            for m in _GLUED.finditer(text, start, end)
            if m.start(1) > start
            and (label := parse_label(m.group(1))) is not None
            and accept(label)
        ]
        cuts.sort()
    spans = (trim(text, a, b) for a, b in zip([start, *cuts], [*cuts, end], strict=True))
    return [span for span in spans if span[1] > span[0]]


def _call_labels(text: str, lines: list[tuple[int, int]]) -> dict[int, tuple[Label, int]]:
    """Return, by the index of its first line in `lines`, each call transcript speaker block
    (`_CALL_LINE`, or a name, "--" and a title on three lines, or "Operator" alone) with the
    number of lines it takes. The title's last part says whether they ask: "Analyst"."""
    found: dict[int, tuple[Label, int]] = {}
    words = [normalise(text[a:b]) for a, b in lines]
    for i, line in enumerate(words):
        if line == "Operator":
            found[i] = (Label("moderator", line, "", line), 1)
            continue
        one = _CALL_LINE.fullmatch(line)
        if one:
            name, title = one.group("name"), one.group("title")
        elif (
            i + 2 < len(words)
            and words[i + 1] == "--"
            and _CALL_NAME.fullmatch(line)
            and _CALL_TITLE.fullmatch(words[i + 2])
        ):
            name, title = line, words[i + 2]
        else:
            continue
        role = title.rsplit("--", 1)[-1].strip()
        label = parse_label(name)
        if label is not None and label.kind == "person" and label.name:
            found[i] = (replace(label, title=role, call=True), 1 if one else 3)
    return found


def _alone_label(text: str, lines: list[tuple[int, int]]) -> Label | None:
    """Return the label a paragraph of one line holding only a name is ("Jensen Huang",
    "Operator": a call transcript's speaker, the words in the paragraphs below), or None."""
    if len(lines) != 1:
        return None
    line = text[lines[0][0] : lines[0][1]]
    heading = _MD_HEADING.match(line)
    if heading:  # a Markdown heading that names the speaker: "### **Governor Bullock**"
        line = line[heading.end() :]
        bold = _BOLD_ALONE.fullmatch(line)
        label = _bold_label(
            normalise(bold.group("inner") or bold.group("italic") if bold else line)
        )
        # a person, not a section's heading ("### Transcript"): a name of two words or more,
        # or a title and a name ("Governor Bullock")
        return label if label and (len(label.name.split()) >= 2 or label.title) else None
    bold = _BOLD_ALONE.fullmatch(line)
    if bold:
        return _bold_label(normalise(bold.group("inner") or bold.group("italic")))
    if not _ALONE.fullmatch(line):
        return None
    label = parse_label(line)
    asks = label is not None and label.kind == "question" and line not in _ASKING_ROLES
    if label is None or asks or (label.kind == "person" and not label.name):
        return None
    return replace(label, alone=True)


def _bold_label(inner: str) -> Label | None:
    """Return the label a bold paragraph holds: a name ("**Jane Doe**"), or a meeting
    record's fields apart ("Costa Rica | Representative": the speaker, then what it is;
    "UN Secretariat | Meera Haq | Former USG DFS": a body, the speaker, then what she is)."""
    fields = [f.strip() for f in inner.split("|")]
    if len(fields) == 1:
        label = parse_label(inner)
        ok = label is not None and label.kind != "question" and bool(label.name or label.title)
        return replace(label, alone=True, bold=True) if ok else None
    if len(fields) > 3 or not all(fields):
        return None
    name, title = (fields[0], fields[1]) if len(fields) == 2 else (fields[1], fields[2])
    if not all(w[0].isupper() for w in name.split()) or len(name.split()) > 4:
        return None
    return Label("person", inner, name, title, alone=True, bold=True)


def _units(text: str, start: int) -> list[_Unit]:
    """Return the units of `text[start:]` with the labels this document accepts (see the module
    docstring): a scan taking every candidate, and a second one if any is refused."""
    units = _scan(text, start, lambda label: True)
    accept = _accepting([u.label for u in units if u.label], text, _asking_alone(text, units))
    if all(accept(u.label) for u in units if u.label):
        return units
    return _scan(text, start, accept)


def _asking_alone(text: str, units: list[_Unit]) -> set[str]:
    """Return the names alone in their paragraph whose turn asks (its words end in "?")."""
    asking: set[str] = set()
    current = None  # the name alone whose turn the units read now are, up to a label or heading
    for unit in units:
        if unit.label is not None or unit.heading:
            current = unit.label.text if unit.label is not None and unit.label.alone else None
        elif current is not None and text[unit.start : unit.end].rstrip().endswith("?"):
            asking.add(current)
    return asking


def _accepting(candidates: list[Label], text: str, asking: set[str] = frozenset()):
    """Return the label test for a document of `text` whose candidate labels are `candidates`
    (`asking`: the names alone whose turn asks)."""
    # a name alone in its paragraph: only a name that opens two turns or more, or that the
    # call's list of participants names ("Joe Moore - Morgan Stanley"), or, where others do,
    # one whose turn asks (a reporter at a press conference, once); two names or more
    alone = Counter(lb.text for lb in candidates if lb.alone and not lb.bold)
    listed = set(_PARTICIPANT.findall(text)) if alone else set()
    names_alone = {t for t, n in alone.items() if n >= 2 or t in listed}
    if names_alone:
        names_alone |= {t for t in alone if t in asking}
    # bold paragraphs: speakers where two differ and one of them speaks twice or more (a
    # document's bold headings seldom repeat)
    bold = Counter(lb.text for lb in candidates if lb.bold)
    if len(bold) >= 2 and max(bold.values()) >= 2:
        names_alone |= set(bold)
    candidates = [lb for lb in candidates if not lb.alone]  # the other tests count the others
    if len(candidates) >= 2:  # a transcript labelled otherwise: a name alone is a heading
        names_alone = set()
    keys = Counter((lb.name or lb.title).casefold() for lb in candidates if lb.kind == "person")
    capitals = sum(1 for lb in candidates if lb.text.isupper() and lb.kind not in _BARE)
    kinds = Counter(lb.kind for lb in candidates)
    dotted = sum(1 for lb in candidates if lb.dotted)
    clocked = sum(1 for lb in candidates if lb.clocked)
    calls = sum(1 for lb in candidates if lb.call)
    # the one-letter labels of a research interview: "B:" (Befragte), "R:", "P:"
    letters = sum(1 for lb in candidates if len(lb.text) == 1 and lb.text not in "QAI")
    # "Morgan Dwyer (OpenAI):" labels, several in the document
    bracketed = sum(1 for lb in candidates if lb.kind == "person" and "(" in lb.text)

    def support(key: str) -> int:
        return sum(n for k, n in keys.items() if k == key or k.endswith(" " + key))

    # a court record's "A Good morning." without a full stop: only where such lines answer the
    # line before, a "Q", nearly always ("A US official said ..." in a briefing does not)
    bare = [i for i, lb in enumerate(candidates) if lb.bare]
    after_q = sum(1 for i in bare if i and candidates[i - 1].kind == "question")
    bare_answers = len(bare) >= 3 and after_q >= 0.8 * len(bare)

    def accept(label: Label) -> bool:
        if label.capital:  # "MICHELLE SMITH." only beside several "CHAIR POWELL."
            return dotted >= 3
        if label.kind == "question" and label.title == "I":  # "I:" among "B:" labels
            return letters >= 3
        if label.alone:
            return len(names_alone) >= 2 and label.text in names_alone
        if label.bare:
            return bare_answers
        if label.kind == "answer":  # a bare "A." answers the bare "Q."s of the same document
            return kinds["question"] >= 1 and kinds["answer"] >= 2
        if label.dotted:  # "Senator Shelby." only among several such labels
            return dotted >= 3
        if label.clocked:  # "Tailor  2:26", once, among an export's other such lines
            return clocked >= 3
        if label.call:  # a call's speakers, several: not a TED talk's "Sorry Phil -- I mangled"
            return calls >= 3
        if label.kind != "person" or label.member or label.title.casefold() not in ("", "the"):
            return True
        if "(" in label.text and not label.text.endswith("()"):  # not a handle's "qx()"
            return bracketed >= 3 and len(label.name.split()) >= 2
        if label.text.isupper():
            return capitals >= 3
        words = label.text.casefold().split()
        prose = len(words) < 2 or any(w in _PROSE for w in words)
        return not prose or support((label.name or label.title).casefold()) >= 2

    return accept


def segment(document: Document, max_sentences: int = 4, max_chars: int = 700) -> list[Passage]:
    """Return the passages of `document`, in order, with offsets into `document.text`."""
    text = document.text
    start = content_start(text)
    units = _units(text, start)
    while units and units[-1].label is None and _is_tail_chrome(text, units[-1]):
        units.pop()
    # a footer's "See also" opens the page's links (the Kremlin's "Geography", "Topics", ...)
    for i in range(len(units) - 1, -1, -1):
        if units[i].label is not None:
            break
        if normalise(text[units[i].start : units[i].end]).casefold().rstrip(":") == "see also":
            del units[i:]
            break
    labelled = any(u.label for u in units)
    first_label = next((i for i, u in enumerate(units) if u.label), len(units))
    for i, unit in enumerate(units):
        if unit.label is None and unit.start < unit.end:
            body = normalise(text[unit.start : unit.end])
            # the words under a label alone on its line are speech, however short: a reply
            # ("Christian", "Nope"), not a heading in capitals nor a name of several words
            spoken = (
                i > 0
                and units[i - 1].label is not None
                and units[i - 1].start == units[i - 1].end
                and len(body.split()) <= 2
                and not body.isupper()
            )
            unit.heading = (
                unit.heading
                or is_dateline(body)
                or _is_contents(text[unit.start : unit.end])
                or (
                    (i == 0 or (labelled and i < first_label) or _is_heading(body))
                    and _looks_like_title(body)
                    and not spoken
                )
            )
    # line by line, each line's spaces collapsed: a roster's columns stay apart
    header = " \n".join(
        "\n".join(" ".join(line.split()) for line in text[u.start : u.end].splitlines())
        for u in units[:first_label]
    )
    speakers = _speakers(
        [u.label for u in units if u.label], f"{document.title or ''}\n{header}", text
    )
    questioners, witness, answerers = _questioners(text, units, speakers)
    questioners |= {  # a call's analysts ask
        speakers[lb.text]
        for lb in (u.label for u in units if u.label and u.label.call)
        if lb.title.casefold() == "analyst" and lb.text in speakers
    }
    moderators = _listed_moderators(text[start : start + PARTICIPANTS_CHARS], speakers.values())
    opening, opener = _opening(text, units[:first_label], units, speakers, questioners | moderators)
    for unit in units[opening:first_label]:
        unit.heading = unit.heading and not _is_spoken(normalise(text[unit.start : unit.end]))
    if witness is not None:
        for lb in (u.label for u in units if u.label):
            if lb.kind == "person" and not lb.name and _role_title(lb.title) == "witness":
                speakers[lb.text] = witness
    # which turns ask and who speaks next: read only in an interview (a witness answers)
    asks, next_speaker = _turns(text, units, speakers) if witness is not None else ({}, {})
    interviewer = _interviewer(document.title or "")
    witness_spoke = witness is None  # in an interview, nobody asks or answers before the witness
    examiner: str | None = None  # a court record's lawyer asking now ("BY MR. STEINGLASS:")
    passages: list[Passage] = []
    turn, role, speaker, question_id = 0, "statement", None, None
    open_question: str | None = None
    in_turn = asking_now = False

    def emit(start: int, end: int, role: str, speaker: str | None, qid: str | None) -> str:
        first_id = ""
        for run in _speech_runs(text, sentence_spans(text, start, end)):
            for chunk in _chunks(run, max_sentences, max_chars):
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

    for i, unit in enumerate(units):
        label = unit.label
        if unit.heading:
            emit(unit.start, unit.end, "title", None, None)
            in_turn = False
            lawyer = _EXAMINER.fullmatch(normalise(text[unit.start : unit.end]))
            examiner = _display(lawyer.group(1)) if lawyer else examiner
            continue
        if label is not None:
            turn += 1
            in_turn = True
            speaker = (
                None if label.text.casefold() in UNKNOWN_SPEAKERS else speakers.get(label.text)
            )
            question_id = None
            witness_spoke = witness_spoke or speaker == witness
            if label.kind == "question" or speaker in questioners:
                # an asker's opening statement, before the witness speaks, asks nothing
                asking = witness_spoke or asks[i]
                role = "question" if asking else "statement"
                lawyer = examiner if label.kind == "question" else None
                speaker = speaker or lawyer or _questioner(label, interviewer)
            elif (
                witness is not None
                and witness_spoke
                and speaker not in answerers
                and asks[i]
                and next_speaker[i] == witness
            ):  # a chairman's question among the turns that chair the hearing
                role = "question"
            elif label.kind == "answer":
                role, speaker, question_id = "answer", witness or WITNESS, open_question
            elif label.kind == "moderator" or speaker in moderators or _presides(label.title):
                role = "moderator"  # or a name with its title: "The Presiding Officer (X)"
            elif (
                label.kind == "interpreter"
                or open_question is None
                or not witness_spoke
                or (witness is not None and speaker not in answerers)
            ):
                role = "statement"
            else:
                role, question_id = "answer", open_question
        elif not labelled:
            turn += 1
        elif not in_turn:
            role, speaker, question_id = "statement", None, None
            if i >= opening and i < first_label:
                turn += i == opening
                speaker = opener
        if label is not None:
            asking_now = role == "question"  # its first words open the question (a label may
        if unit.start >= unit.end:  # stand alone on its line, the words below it)
            continue
        first = emit(unit.start, unit.end, role, speaker, question_id)
        if asking_now and first:
            open_question, asking_now = first, False
    return passages


OPENING_WORDS = 8  # a paragraph that opens a statement: not a page's "Sign in to your account"
_PERSONAL = re.compile(r"\b(?:I|I'm|I’m|I've|I’ve|we|We|our|Our|us|my|My|you|You)\b")


def _opening(
    text: str, before: list[_Unit], units: list[_Unit], speakers: dict[str, str], others: set[str]
) -> tuple[int, str | None]:
    """Return where an unlabelled opening statement starts among the units `before` the first
    label, and who gives it: at a press conference whose labels mark the questions ("Q:") and
    name one speaker besides (`others`: those who ask or moderate), that speaker, from the
    first paragraph spoken in the first or second person ("A number of you have sought ...");
    an introduction before it ("Vladimir Putin answered questions ...") is nobody's."""
    labels = [u.label for u in units if u.label]
    named = {speakers.get(lb.text) for lb in labels if lb.kind == "person"} - others - {None}
    if len(named) != 1 or not any(lb.kind == "question" for lb in labels):
        return len(units), None
    for i, unit in enumerate(before):
        body = normalise(text[unit.start : unit.end])
        if _is_spoken(body) and _PERSONAL.search(body):
            return i, named.pop()
    return len(units), None


def _is_spoken(body: str) -> bool:
    """Return whether a paragraph before the first label is speech, not a heading or a page's
    line (a hard-wrapped statement's lines are no titles)."""
    return len(body.split()) >= OPENING_WORDS and not _is_heading(body) and not is_dateline(body)


def _listed_moderators(intro: str, speakers) -> set[str]:
    """Return the speakers a list of participants at the start of a transcript (`intro`; it
    may come as labels of its own, "PARTICIPANTS:", "Moderator:") names as moderators
    ("Moderator: JOSE LUIS DE HARO", the name on its line or a line below), by surname."""
    names = [m.group(1) for m in _MODERATOR.finditer(intro)]
    surnames = {n.split()[-1].casefold() for n in names if n.split()}
    return {s for s in speakers if s and s.split()[-1].casefold() in surnames}


def _questioner(label: Label, interviewer: str | None) -> str:
    """Return who asks under a question label: the interviewer the title names, an
    "Interviewer:", someone in the audience, else a journalist."""
    key = label.text.casefold().rstrip(".:")
    if interviewer is not None and key in ("q", "question"):
        return interviewer
    asker = {
        "interviewer": "Interviewer",
        "researcher": "Researcher",
        "audience member": AUDIENCE,
        "audience questioner": AUDIENCE,
    }
    return asker.get(key, JOURNALIST)


def _interviewer(title: str) -> str | None:
    """Return who conducts the interview a title names: "Interview of President Trump by
    Jamie Little, Fox Sports" -> "Jamie Little"."""
    match = _INTERVIEW_BY.search(title)
    return _display(match.group(1)) if match else None


def _turns(
    text: str, units: list[_Unit], speakers: dict[str, str]
) -> tuple[dict[int, bool], dict[int, str | None]]:
    """Return, for each labelled unit, whether its turn (up to the next label or heading) holds
    a question mark, and the speaker of the next turn."""
    asks: dict[int, bool] = {}
    next_speaker: dict[int, str | None] = {}
    opened: int | None = None
    for i, unit in enumerate(units):
        if unit.label is not None:
            if opened is not None:
                next_speaker[opened] = speakers.get(unit.label.text)
            opened = i
            asks[i] = False
        elif unit.heading:
            continue
        if opened is not None and "?" in text[unit.start : unit.end]:
            asks[opened] = True
    if opened is not None:
        next_speaker[opened] = None
    return asks, next_speaker


def _is_heading(body: str) -> bool:
    """Return whether `body` reads as a heading: up to ten capitalised words, or words in
    capitals only (a hearing record's "STATEMENT OF ALLAN H. MELTZER, THE ALLAN H. MELTZER
    UNIVERSITY PROFESSOR OF POLITICAL ECONOMY, ...")."""
    words = body.split()
    if len(words) <= 10 and all(w[0].isupper() or w in _CONNECTORS for w in words):
        return True
    return len(words) >= 3 and body.isupper()


# a contents list's line: a dot leader and a page number ("Koo, Richard C., ...........     1")
_CONTENTS_LINE = re.compile(r"\.{5,}[^\S\n]*\d+[^\S\n]*$", re.M)


def _is_contents(unit: str) -> bool:
    """Return whether a unit's text is part of a contents list: a line of it ends in a dot
    leader and a page number ("Koo, Richard C., Chief Economist, ...........     1")."""
    return _CONTENTS_LINE.search(unit) is not None


def _looks_like_title(body: str) -> bool:
    """Return whether `body` could be a title: short, not ending as a sentence or a clause
    does, and not a hard-wrapped paragraph's line (words in lower case from the first; a
    cover page's "before the" is a title's)."""
    return (
        len(body) <= 300
        and not body.endswith((".", "?", "!", ":", ",", "—", "-", ";"))
        and not (body[:1].islower() and len(body.split()) > 5)
    )


def _speech_runs(text: str, sentences: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Split sentences into runs around stage directions, which are dropped."""
    runs: list[list[tuple[int, int]]] = [[]]
    for s, e in sentences:
        if is_stage_direction(text[s:e]):
            runs.append([])
        else:
            runs[-1].append((s, e))
    return [r for r in runs if r]


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


_MC = re.compile(r"^(Mc|Mac)([A-Z]{2,})(\W*)$")  # "McCARTHY", "MacDONALD,"
_HANDLE = re.compile(r"[a-z][\w().-]{0,30}")  # a user name in lower case: "kushti", "qx()"
_INITIALS = re.compile(r"[A-Z](?:[a-z]?[A-Z]){1,3}")  # a label of initials: "GE:", "YNH:", "AvW:"
# a word of a name in title case or in capitals, no full stop ("GARETH"; text.NAME_WORD is
# title case only)
_CAPITAL_WORD = re.compile(r"[A-Z][\w’'-]*[\w’']")


def _display(text: str) -> str:
    """Return `text` with words in capitals in title case: "MS. JEAN-PIERRE" -> "Ms. Jean-Pierre".

    Short capital words stay as they are ("CC", "UKN", the initials of "George HW Bush"), unless
    an honorific comes before them ("MR. KOO" -> "Mr. Koo") or they are a short name beside
    another ("JIM CHALMERS" -> "Jim Chalmers", "DAI LI" -> "Dai Li"); a capital surname keeps its
    "Mc" or "Mac" ("McCARTHY" -> "McCarthy")."""
    words = []
    after_honorific = False
    several = len(text.split()) > 1
    for word in text.split():
        bare = word.casefold().rstrip(".")
        prefix = _MC.match(word)
        if prefix:
            word = prefix.group(1) + prefix.group(2).capitalize() + prefix.group(3)
        elif word.isupper() and (
            len(word) >= 4
            or after_honorific
            or bare in _HONORIFICS | _CONNECTORS
            # "JIM CHALMERS"; not the initials of "George HW Bush", nor "Appendix II"
            or (several and re.search(r"[AEIOUY]", word) and not re.fullmatch(r"[IVXLC]+", word))
        ):
            if bare in _CONNECTORS:
                word = word.casefold()
            else:
                word = re.sub(r"[^\W\d_]+", lambda m: m.group().capitalize(), word)
        after_honorific = bare in _HONORIFICS
        words.append(word)
    return " ".join(words)


def _full_name(surname: str, known: list[str], context: str, body: str = "") -> str | None:
    """Return a full name ending with `surname`, from other labels, the document's header, or
    an introduction in its `body` ("Second we have Dr. Jeffrey Carmichael, the inaugural
    chairman ...": one first name after a title, the only one the body gives the surname)."""
    fold = surname.casefold()
    for name in known:
        if name.casefold().endswith(" " + fold):
            return name
    # a hearing's contents list the witnesses surname first: "Massie, Mr. Steve, CEO, ..."
    listed = rf"\b(?i:{re.escape(surname)}), (?:Mr|Mrs|Ms|Dr|Hon)\. ([A-Z][\w’'-]+(?: [A-Z]\.)?),"
    match = re.search(listed, context)
    if match:
        return _display(f"{match.group(1)} {surname}")
    # a first name and the surname on one line, one space apart, the first name not after a
    # comma (a roster's "JOE BACA, California SCOTT GARRETT"), and not a company's name
    # ("Jack L. Massie Contractor")
    pattern = (
        rf"(?<!, )\b([^\W\d_][\w’'-]+[^\S\n](?:[A-Z]\.[^\S\n])?)(?i:{re.escape(surname)})\b"
        r"(?![^\S\n][A-Z][a-z])"
    )
    for match in re.finditer(pattern, context):
        first = match.group(1).split()[0]
        word = first.casefold()
        if _OF_BEFORE.search(context, max(0, match.start() - 8), match.start()):
            continue  # what a title is of: "Secretary of Defense Gates", "SECRETARY OF DEFENSE"
        # not a plural title: "Present: Senators Lieberman, McCaskill, and Collins."
        if first[0].isupper() and {word, word.removesuffix("s")}.isdisjoint(
            _HONORIFICS | _CONNECTORS
        ):
            found = match.group(0)  # "JOE BARTON, Texas" in a roster: "Joe Barton"
            return (
                " ".join(w.capitalize() for w in found.split())
                if found.isupper()
                else (_display(found))
            )
    introduced = {
        (m.group(1), m.group(2) or "")
        for m in re.finditer(
            rf"\b(?:Mr|Mrs|Ms|Dr|Professor|Prof)\.?[^\S\n]+([A-Z][a-z’'-]+)[^\S\n]+([A-Z]\.[^\S\n]+)?"
            rf"{re.escape(surname)}\b",
            body,
        )
    }
    if len({first for first, _ in introduced}) == 1:
        first, middle = max(introduced)
        return _display(f"{first} {middle}{surname}")
    return None


def _given_name(name: str, full: list[str]) -> str | None:
    """Return the one full-name label that begins with `name` (captions' "Bekah:" after one
    "Bekah Hawrot Weigel:"), or None."""
    found = {f for f in full if f.casefold().startswith(name.casefold() + " ")}
    return found.pop() if len(found) == 1 else None


def _initials_name(initials: str, full: list[str], context: str, body: str) -> str | None:
    """Return the one name whose words begin with `initials` ("GE" -> "Gareth Evans", "YNH" ->
    "Yuval Noah Harari"): among the document's full-name labels, else in its title and header,
    else in its opening; None when there is none, or more than one."""
    k = len(initials)
    for names in (full, _capital_runs(context), _capital_runs(body[:PARTICIPANTS_CHARS])):
        found = {
            _display(" ".join(words[i : i + k]))
            for words in (run.split() for run in names)
            for i in range(len(words) - k + 1)
            if "".join(w[0] for w in words[i : i + k]) == initials
        }
        if found:
            return found.pop() if len(found) == 1 else None
    return None


def _capital_runs(text: str) -> list[str]:
    """Return the runs of capitalised words of `text` on one line, cut at titles, connectors and
    punctuation ("AFFAIRS, SENATOR GARETH EVANS," -> "AFFAIRS", "GARETH EVANS")."""
    runs: list[list[str]] = [[]]
    for match in re.finditer(r"[^\s,;:()]+|\n", text):
        word = match.group()
        if (
            word[0].isupper()
            and _CAPITAL_WORD.fullmatch(word)
            and (word.casefold().rstrip(".") not in _HONORIFICS | _CONNECTORS)
        ):
            runs[-1].append(word)
        else:
            runs.append([])
        if match.end() < len(text) and text[match.end()] in ",;:()":
            runs.append([])
    return [" ".join(run) for run in runs if run]


def _speakers(labels: list[Label], context: str, body: str = "") -> dict[str, str]:
    """Return the canonical speaker of each person or moderator label text in a document
    (`context`: its title and header; `body`: its whole text)."""
    # each label once: a label's speaker depends only on it and the document (a hearing's 2,000
    # "Mr. Carmichael." had each searched the whole text for his introduction)
    persons = list(
        {lb.text: lb for lb in labels if lb.kind in ("person", "moderator", "interpreter")}.values()
    )
    full = sorted({_display(lb.name) for lb in persons if len(lb.name.split()) >= 2}, key=len)
    out: dict[str, str] = {}
    titled: dict[str, str] = {}
    for lb in persons:
        if lb.kind != "person":
            out[lb.text] = _display(lb.text)
            continue
        if not lb.name:
            continue
        name = _display(lb.name)
        if len(lb.name.split()) >= 2:
            shorter = [f for f in full if f != name and name.endswith(" " + f)]
            out[lb.text] = shorter[0] if shorter else name
        else:
            out[lb.text] = (
                (_INITIALS.fullmatch(lb.name) and _initials_name(lb.name, full, context, body))
                or _full_name(name, full, context, body)
                or (not lb.title and _given_name(name, full))
                or _display(f"{lb.title} {lb.name}")
            )
        if lb.title:
            titled.setdefault(_role_title(lb.title), out[lb.text])
    for lb in persons:
        if lb.kind != "person" or lb.name:
            continue
        title = _role_title(lb.title)
        if title in titled:
            out[lb.text] = titled[title]
            continue
        roster = re.search(  # a committee's roster: "BARNEY FRANK, Massachusetts, Chairman"
            rf"^[^\S\n]*([A-Z][A-Z.’' -]+), [A-Z][a-z]+(?: [A-Z][a-z]+)?, "
            rf"(?i:{re.escape(title)})[^\S\n]*$",
            context,
            re.MULTILINE,
        )
        if roster:
            out[lb.text] = " ".join(w.capitalize() for w in roster.group(1).split())
            continue
        match = re.search(
            rf"\b(?i:{re.escape(title)})[^\S\n]+((?:[A-Z][\w’'.-]+[^\S\n]*){{1,5}})", context
        )
        words = match.group(1).split() if match else []
        # "PRIME MINISTER THE HON JOHN HOWARD MP": the name, without "The Hon" and "MP"
        while words and words[0].casefold().rstrip(".") in _CONNECTORS | _HONORIFICS:
            words.pop(0)
        words = words[:3]
        while words and words[-1].casefold().rstrip(".") in _CONNECTORS | _HONORIFICS | _AFTER:
            words.pop()
        if words and title not in ("witness", "court"):  # a trial's "THE COURT" is the court
            out[lb.text] = _display(" ".join(words) if len(words) >= 2 else f"{title} {words[0]}")
            out[lb.text] = out[lb.text][0].upper() + out[lb.text][1:]
        else:
            shown = _display(lb.text)  # "THE COURT": "The Court", as "The Speaker" is
            out[lb.text] = shown[0].upper() + shown[1:]
    return out


def _role_title(title: str) -> str:
    words = title.casefold().split()
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def _questioners(
    text: str, units: list[_Unit], speakers: dict[str, str]
) -> tuple[set[str], str | None, set[str]]:
    """Return `(askers, witness, answerers)`: the named speakers who ask, and in an interview
    without question labels the one who answers (the witness) and everyone who answers with
    them. Hansard members ask; otherwise a speaker asks whose turns end in a question at least
    a quarter of the time (or, among three voices at most, an eighth, three times or more: an
    interviewer who interjects often) and twice as often as those of the speaker with the most
    words, who is then the witness. Another speaker answers too when they speak at least a
    fifth as many words as the witness and ask no more often (a podcast's second guest, the
    other witnesses of a panel; not a chairman who asks, nor a chair's few words). Where labels
    mark questions ("Q:", "AUDIENCE MEMBER:"), a named speaker who asks by the same measure asks
    too (a town hall's host: "MR. COOPER:" had been taken to answer the audience's questions),
    and there is no witness."""
    labels = [u.label for u in units if u.label]
    members = {speakers[lb.text] for lb in labels if lb.member and lb.text in speakers}
    if members:
        return members, None, set()
    # with question labels ("Q:", "AUDIENCE MEMBER:") those ask; a named speaker who asks too
    # is found as below (a town hall's host), and nobody else is taken for a witness
    labelled = any(lb.kind == "question" for lb in labels)
    turns: Counter = Counter()
    asking: Counter = Counter()
    words: Counter = Counter()
    sequence: list[list] = []  # [speaker, whether the turn asks], turn by turn
    current, last = None, None
    for unit in units:
        if unit.label is not None:
            current = speakers.get(unit.label.text) if unit.label.kind == "person" else None
            sequence.append([current, False])
            if current:
                turns[current] += 1
        if current and unit.start < unit.end:
            words[current] += len(text[unit.start : unit.end].split())
        if unit.label is not None or unit.heading:
            last = None
        if current and unit.start < unit.end:
            ends = text[unit.start : unit.end].rstrip().endswith("?")
            if ends and last != (current, turns[current]):
                asking[current] += 1
                last = (current, turns[current])
                sequence[-1][1] = True
    if len(turns) < 2:
        return set(), None, set()
    hosts = {  # "STEVE INSKEEP, HOST:": a host asks
        speakers[lb.text]
        for lb in labels
        if lb.kind == "person"
        and HOST_TITLES & set(lb.title.casefold().replace(",", " ").split())
        and lb.text in speakers
    } & set(turns)
    chairs = {  # "The Chairman.", "Chairwoman Velazquez.": the chair runs the hearing
        speakers[lb.text]
        for lb in labels
        if lb.kind == "person" and _role_title(lb.title) in _CHAIRS and lb.text in speakers
    }
    main = max((s for s in words if s not in hosts | chairs), key=words.__getitem__, default=None)
    if main is None:
        return set(), None, set()
    if labelled:
        # beside question labels, only questions another named speaker answers count: a prime
        # minister who calls on reporters ("Sam?") asks nobody a question
        pairs = zip(sequence, sequence[1:], strict=False)
        asking = Counter(
            who for (who, asks), (after, _) in pairs if asks and after not in (None, who)
        )
    rate = asking[main] / turns[main]
    # an interviewer who interjects often asks an eighth of the time: in a conversation of
    # three voices at most (a hearing's chairman who swears the witness in does not ask)
    few = sum(1 for n in turns.values() if n >= 2) <= 3
    askers = hosts | {
        s
        for s in turns
        if s != main
        and turns[s] >= 2
        and (asking[s] >= max(1, turns[s] / 4) or (few and asking[s] >= max(3, turns[s] / 8)))
        and asking[s] / turns[s] >= 2 * rate
    }
    if labelled or not askers:
        return askers, None, set()
    answerers = {
        s
        for s in turns
        if s not in askers | chairs and words[s] >= words[main] / 5 and asking[s] / turns[s] <= rate
    }
    return askers, main, answerers
