"""File readers: one per suffix, each returning the text to index plus the file's own metadata.
A transcript's header (its title and dateline) completes what the file lacks: corpus.py reads
it (`segment.header_metadata`, cached by text hash) for the readers that say so.

The returned text is what passages' offsets point into and what the index stores, so quotes are
verified against it. Plain text is kept as written (only front matter is cut off; markdown's
backslash escapes are undone); the other formats become paragraphs separated by blank lines.

Library choices (timed on evals/corpora, 2 shared cores):
  - PDF: pypdfium2 (Apache-2.0/BSD-3, Google's PDFium in prebuilt wheels, actively released):
    text with per-character boxes, so paragraphs come from line spacing and running heads and
    page numbers from what repeats at the page edges. The 7-page gaggle: 38 ms for the raw text,
    67 ms with this layout work; pypdf (pure Python) takes 200 ms and gives no line geometry.
  - HTML: selectolax with the Lexbor engine (MIT, C): 7 ms on the Kremlin page, against 44 ms
    for trafilatura, which also returned nothing at all for the Hansard page and may drop short
    paragraphs ("Question:") as boilerplate. Transcripts need every paragraph of the article.
  - DOCX: python-docx (MIT), the standard reader: body paragraphs in order (45 ms).
  - Front matter: YAML through PyYAML's safe loader, TOML through the standard library.
  - Captions (WebVTT, SubRip): read here with the standard library; the formats are a few line
    rules, and a caption library would still leave speakers, joining and rolling repeats to us.
"""

from __future__ import annotations

import html
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO

import yaml

from .dictionary import is_english_word
from .segment import parse_label


class FormatError(ValueError):
    """The file cannot be read as its suffix says; the message says why (without the path)."""


@dataclass(frozen=True)
class Extracted:
    """The text of a file, as indexed, and what the file says about itself. With `header`, a
    title or date it does not say is the one the text's header gives (a transcript's title and
    dateline; captions have none)."""

    text: str
    title: str | None = None
    date: str | None = None
    source: str | None = None
    header: bool = False


_FRONT_MATTER = re.compile(r"\A\ufeff?(---|\+\+\+)[^\S\n]*\n(.*?\n)\1[^\S\n]*(?:\n|\Z)", re.S)
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_BREAK = "\u2028"  # stands for <br> until the block's whitespace is collapsed
_SPACES = re.compile(r"[ \t\r\n\f]+")  # HTML whitespace; NBSP is text and stays
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dt", "dd", "td")
_IMAGE_LABEL = re.compile(r"[^\W\d_][^:\n]{0,60}:")  # an image whose text is a speaker's label
_BROKEN = "\ufffe"  # where PDFium reports a word hyphenated at a line's end
_BROKEN_WORD = re.compile(r"(\w*)\ufffe\s*(\w*)")
_DROP = "script, style, noscript, template, nav, header, footer, aside, form, svg, iframe, button"
# what a browser does not show inside a paragraph: the Kremlin's name cards ("Angela Merkel<span
# class="read__tooltip tooltip_person hidden">... Merkel Angela Federal Chancellor ...</span>");
# inline elements only, as a page may hide a whole transcript until "Show transcript" is pressed
_HIDDEN = ", ".join(
    f"{tag}{hidden}"
    for tag in ("span", "a", "sup", "sub", "small", "i", "b", "em", "strong")
    for hidden in (
        "[hidden]",
        '[aria-hidden="true"]',
        ".hidden",
        '[style*="display:none"]',
        '[style*="display: none"]',
    )
)
_CHARSET = re.compile(rb"""<meta[^>]*charset\s*=\s*["']?([A-Za-z0-9_-]+)""", re.I)
LEGACY_SHARE = 0.1  # of a file's bytes not ASCII, at most, to read it as Windows-1252
# a court reporter's transcript: a line number, the gap after it, and the line's words
_NUMBERED = re.compile(r"[^\S\n]{0,8}(\d{1,2})([^\S\n]*)(?:(?<=[^\S\n])(\S.*?))?[^\S\n]*")
_DOCKET = re.compile(r"\bPageID\b|^\s*Case\s+\d+:\d{2}-[a-z]{2}-\d+", re.I)  # a page's head
NUMBERED_MIN_LINES = 50
NUMBERED_SHARE = 0.6  # of the lines with words, at least, numbered
NUMBERED_INDENT = 8  # spaces after the number that open a paragraph
_HIGH = bytes(range(0x80, 0x100))


def decode(data: bytes, html: bool = False) -> str:
    """Return `data` as text, or raise FormatError: UTF-8; else, for a web page, the character
    set its <meta> declares ("charset=windows-1252", as old pages saved from Word are); else
    Windows-1252 when at most `LEGACY_SHARE` of the bytes are not ASCII (curly quotes and
    accents in English text: another language's legacy encoding is mostly such bytes, and would
    be read as gibberish)."""
    if b"\x00" in data:
        raise FormatError("looks like a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        error = exc
    declared = _CHARSET.search(data[:4096]) if html else None
    encodings = [declared.group(1).decode("ascii")] if declared else []
    if len(data) - len(data.translate(None, _HIGH)) <= LEGACY_SHARE * len(data):
        encodings.append("windows-1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    raise FormatError(
        f"not UTF-8 text (byte {error.start}); convert it, e.g. iconv -t UTF-8"
    ) from error


def front_matter(text: str) -> tuple[dict, str]:
    """Return `(fields, body)`: a leading YAML (`---`) or TOML (`+++`) block parsed, and the rest.

    Text without a well-formed block comes back whole with no fields.
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        if match.group(1) == "---":
            fields = yaml.safe_load(match.group(2))
        else:
            fields = tomllib.loads(match.group(2))
    except (yaml.YAMLError, tomllib.TOMLDecodeError):
        return {}, text
    if not isinstance(fields, dict):
        return {}, text
    return fields, text[match.end() :]


def _from_fields(text: str, fields: dict) -> Extracted:
    def field(*names: str) -> str | None:
        for name in names:
            value = fields.get(name)
            if value not in (None, ""):
                return str(value)[:10] if name == "date" else str(value)
        return None

    return Extracted(
        text,
        field("title"),
        field("date"),
        field("source", "source_url", "url", "link"),
        header=True,
    )


def read_text(data: bytes) -> Extracted:
    """A `.txt` file: the decoded text, less any front matter; a court reporter's transcript
    without its line numbers (`numbered_transcript`)."""
    fields, body = front_matter(decode(data))
    return _from_fields(numbered_transcript(body) or body, fields)


def numbered_transcript(text: str) -> str | None:
    """Return the words of a court reporter's transcript, or None for other text. Such a
    transcript numbers each line of a page (1-25), often double-spaced, and heads each page with
    its docket line ("Case 2:11-cv-00416-JRG Document 610 ... PageID #: 15948"): each line is
    its own paragraph and no label opens one. The words come back without the numbers, the
    headers and the blank lines, a line indented `NUMBERED_INDENT` spaces or more opening a
    paragraph ("13                       THE COURT:      Good morning."), the others going on
    with it."""
    lines = text.splitlines()
    filled = [line for line in lines if line.strip()]
    numbered = [m for m in map(_NUMBERED.fullmatch, filled) if m and 1 <= int(m.group(1)) <= 28]
    if len(filled) < NUMBERED_MIN_LINES or len(numbered) < NUMBERED_SHARE * len(filled):
        return None
    paragraphs: list[list[str]] = []
    for line in lines:
        if not line.strip() or _DOCKET.search(line):
            continue
        match = _NUMBERED.fullmatch(line)
        words = match.group(3) if match else line.strip()
        if not words:  # a line number or a page number alone
            continue
        indent = len(match.group(2)) if match else len(line) - len(line.lstrip())
        if indent >= NUMBERED_INDENT or not paragraphs:
            paragraphs.append([])
        paragraphs[-1].append(words)
    return "\n\n".join("\n".join(p) for p in paragraphs) + "\n"


def read_markdown(data: bytes) -> Extracted:
    """A `.md` file: front matter becomes metadata; backslash escapes (`\\_`, `\\[`) are undone."""
    fields, body = front_matter(decode(data))
    return _from_fields(_MD_ESCAPE.sub(r"\1", body), fields)


def read_html(data: bytes) -> Extracted:
    """An HTML page: the paragraphs of its main content (the element holding most paragraph
    text), one per block, whitespace collapsed as a browser would; nav, header and footer go."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(decode(data, html=True))

    def meta(*keys: str) -> str | None:
        for key in keys:
            for attr in ("property", "name", "itemprop"):
                node = tree.css_first(f'meta[{attr}="{key}"]')
                if node is not None and (node.attributes.get("content") or "").strip():
                    return node.attributes["content"].strip()
        return None

    title_node = tree.css_first("title") or tree.css_first("h1")  # a bare fragment's heading
    title = meta("og:title", "twitter:title", "DC.title") or (
        title_node.text().strip() if title_node is not None else None
    )
    date = meta("article:published_time", "datePublished", "DC.date", "ya:ovs:upload_date")
    canonical = tree.css_first('link[rel="canonical"]')
    source = meta("og:url") or (canonical.attributes.get("href") if canonical else None)
    for node in tree.css(f"{_DROP}, {_HIDDEN}"):
        node.decompose()
    for node in tree.css("br"):
        node.replace_with(_BREAK)
    root = _main_content(tree)
    paragraphs = []
    if root is not None:
        for node in root.traverse():
            alt = (node.attributes.get("alt") or "").strip() if node.tag == "img" else ""
            if _IMAGE_LABEL.fullmatch(alt) and not _inside_block(node, root):
                paragraphs.append(alt)  # a speaker shown by a portrait: <img alt="Leigh Sales:">
                continue
            if node.tag in _BLOCKS and not _inside_block(node, root):
                text = node.text()
                if node.tag == "pre":  # its line breaks are the text's (a hearing's record)
                    paragraphs.extend(_preformatted(text.replace(_BREAK, "\n")))
                    continue
                block = _block(text)
                if block:
                    paragraphs.append(block)
        if not paragraphs:  # a page of bare <div>s (a converted PDF): each innermost is one
            divs = root.css("div")
            innermost = (node for node in divs if len(node.css("div")) == 1)  # only itself
            paragraphs = [block for node in innermost if (block := _block(node.text()))]
    if not paragraphs:
        raise FormatError("no readable text in this HTML page")
    text = "\n\n".join(paragraphs) + "\n"
    return Extracted(
        text,
        _collapse(title).lstrip("-–—|: ") or None if title else None,  # a GPO's " - THE ..."
        (date or "")[:10] or None,
        source,
        header=True,
    )


def _preformatted(text: str) -> list[str]:
    """Return the paragraphs of a <pre> block: its lines, each collapsed, with a blank line or
    an indented line starting a paragraph (the Government Publishing Office's hearings indent
    each speaker's turn)."""
    paragraphs: list[list[str]] = [[]]
    for raw in text.split("\n"):
        line = _collapse(raw)
        if not line or (raw[:1].isspace() and paragraphs[-1]):
            paragraphs.append([])
        if line:
            paragraphs[-1].append(line)
    return ["\n".join(lines) for lines in paragraphs if lines]


def _block(text: str) -> str:
    """Return a block's text: its lines (split at its <br>s), each collapsed, blank ones gone."""
    lines = (_collapse(line) for line in text.split(_BREAK))
    return "\n".join(line for line in lines if line)


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _inside_block(node, root) -> bool:
    parent = node.parent
    while parent is not None and parent.mem_id != root.mem_id:
        if parent.tag in _BLOCKS:
            return True
        parent = parent.parent
    return False


def _main_content(tree):
    """Return the deepest element holding at least 60% of all paragraph text."""
    body = tree.body
    if body is None:
        return None
    sizes = [(p, len(p.text(strip=True))) for p in body.css("p")]
    total = sum(size for _, size in sizes)
    if total == 0:
        return body
    held: Counter = Counter()
    nodes, depth = {}, {}
    for p, size in sizes:
        chain = []
        node = p.parent
        while node is not None and node.mem_id != body.mem_id:
            chain.append(node)
            node = node.parent
        for k, node in enumerate(chain):
            held[node.mem_id] += size
            nodes[node.mem_id] = node
            depth[node.mem_id] = len(chain) - k
    deep = [key for key, size in held.items() if size >= 0.6 * total]
    return nodes[max(deep, key=depth.__getitem__)] if deep else body


@dataclass(frozen=True)
class _Line:
    text: str
    bottom: float
    left: float
    right: float


def read_pdf(data: bytes) -> Extracted:
    """A PDF: text per page; running heads and page numbers repeated across pages go, lines are
    grouped into paragraphs (a wider gap between lines starts one; a page's first line goes on
    the paragraph before if that ended in a full-width line) and end-of-line hyphens mended.
    Lines stay on their own lines, so a label opening a line after a page break is seen."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise FormatError(f"not a readable PDF ({exc})") from exc
    try:
        pages = [_page_lines(pdf[i]) for i in range(len(pdf))]
        info = pdf.get_metadata_dict(skip_empty=True)
    finally:
        pdf.close()
    pages = _drop_running_lines(pages)
    paragraphs: list[list[_Line]] = []
    width = max((ln.right for page in pages for ln in page), default=0.0)
    for page in pages:
        gaps = sorted(
            a.bottom - b.bottom for a, b in zip(page, page[1:], strict=False) if a.bottom > b.bottom
        )
        pitch = gaps[len(gaps) // 4] if gaps else 0.0  # lower quartile: the plain line spacing
        for k, line in enumerate(page):
            if k == 0:
                # a page's first line goes on the last paragraph if that ended in a full line
                new = not paragraphs or paragraphs[-1][-1].right < 0.85 * width
            else:
                new = (
                    page[k - 1].bottom - line.bottom > 1.3 * pitch
                    or line.bottom > page[k - 1].bottom
                )
            if new:
                paragraphs.append([line])
            else:
                paragraphs[-1].append(line)
    text = "\n\n".join(_join_lines(p) for p in paragraphs)
    if not text.strip():
        raise FormatError("the PDF has no text layer (a scan?); run OCR on it first")
    subject = info.get("Subject", "")
    return Extracted(
        text + "\n",
        info.get("Title") or None,
        None,
        subject if subject.startswith(("http://", "https://")) else None,
        header=True,
    )


def _page_lines(page) -> list[_Line]:
    textpage = page.get_textpage()
    try:
        chars = textpage.get_text_range()
        lines, pos = [], 0
        for raw in chars.split("\r\n"):
            first = len(raw) - len(raw.lstrip())
            last = len(raw.rstrip()) - 1
            if last >= first:
                left, bottom, _, _ = textpage.get_charbox(pos + first)
                _, _, right, _ = textpage.get_charbox(pos + last)
                lines.append(_Line(raw.strip(), bottom, left, right))
            pos += len(raw) + 2
        return lines
    finally:
        textpage.close()


def _template(line: str) -> str:
    return re.sub(r"\d+", "#", line.casefold())


def _drop_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Drop lines within three lines of a page's top or bottom whose text (digits aside) is on
    at least half the pages: running heads, footers, page numbers."""
    if len(pages) < 2:
        return pages
    seen: Counter = Counter()
    for page in pages:
        seen.update({_template(ln.text) for ln in page[:3] + page[-3:]})
    running = {t for t, n in seen.items() if n >= max(2, len(pages) / 2)}
    return [
        [
            ln
            for k, ln in enumerate(page)
            if not ((k < 3 or k >= len(page) - 3) and _template(ln.text) in running)
        ]
        for page in pages
    ]


def _join_lines(lines: list[_Line]) -> str:
    out = lines[0].text
    for line in lines[1:]:
        soft = out.endswith(("\xad", "\x02"))  # a soft hyphen (PDFium reports \x02)
        if soft or (re.search(r"[^\W\d_]-$", out) and line.text[:1].islower()):
            out = out[:-1] + line.text
        elif out.endswith(_BROKEN):
            out += line.text
        else:
            out += "\n" + line.text
    return _BROKEN_WORD.sub(_mend, out) if _BROKEN in out else out


def _mend(match: re.Match) -> str:
    """Return a word PDFium reports broken at a line's end ("vari\ufffeous", "longer\ufffeterm")
    whole: without the hyphen when that makes an English word ("various"), else with it
    ("longer-term", "Chair-to-Treasury")."""
    left, right = match.group(1), match.group(2)
    joined = left + right
    return joined if is_english_word(joined.casefold()) else f"{left}-{right}"


def read_docx(data: bytes) -> Extracted:
    """A Word file: its body paragraphs in order (a label in a bold run is plain text here)."""
    import docx

    try:
        document = docx.Document(BytesIO(data))
    except Exception as exc:  # any failure to parse (zip, XML, package) means unreadable
        raise FormatError(f"not a readable .docx file ({exc})") from exc
    paragraphs = [p.text.strip() for p in document.paragraphs]
    text = "\n\n".join(p for p in paragraphs if p)
    if not text:
        raise FormatError("the document has no text")
    core = document.core_properties
    return Extracted(text + "\n", core.title or None, None, core.identifier or None, header=True)


_WEBVTT = re.compile(r"\ufeff?WEBVTT(?:[ \t][^\n]*)?(?:\n|\Z)")  # the signature line
_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"  # [hh:]mm:ss.ttt (SubRip: ss,ttt)
# a cue's timing line: start --> end, then WebVTT cue settings or SubRip coordinates
_TIMING = re.compile(rf"\s*{_TIME}\s*-->\s*{_TIME}(?:\s.*)?")
_VOICE = re.compile(r"<v(?:\.[\w.-]*)?(?:[ \t]+([^>\n]*))?>")  # <v Name>, <v.loud Name>
_RUBY_TEXT = re.compile(r"<rt\b[^>]*>.*?(?:</rt>|(?=</ruby>)|$)")  # the reading above a ruby
# a tag (<c.colour>, <i>, </b>, <lang en>, <font color="red">) or an inline time stamp
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d+(?::\d{2}){1,2}[.,]\d{1,3}>")
_OVERRIDE = re.compile(r"\{\\[^{}]*\}")  # a SubRip style code: {\an8}
_DASH = re.compile(r"\A-\s*(?=[^\d\s-])")  # a dialogue dash opening a line: "- Who?", "-Me."
# what Teams writes around a display name: "Smith, Alice" (surname first), "Jo Bo (Guest)"
_SURNAME_FIRST = re.compile(r"([^,()]+),\s*([^,()]+)")
_NAME_NOTE = re.compile(r"\s*\((?:guest|external|unverified|host|co-host|organi[sz]er)\)\s*$", re.I)
_NAMED = re.compile(r"([^:]{1,120}):(?: |$)")  # a `Name:` label opening a line (Zoom)
_DISPLAY_NOTE = re.compile(r"\s*\([^()]{1,40}\)\s*$")  # "Felix (Geth)": a team, pronouns
_HANDLE = re.compile(r"([a-z][a-z0-9._-]{1,30}):[^\S\n]")  # a display name in lower case
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")
PAUSE_SECONDS = 3.0  # a pause this long after a sentence's end starts a paragraph
_NEXT_SPEAKER = ">>"  # broadcast captions (and YouTube's) mark a change of speaker so
NEXT_SPEAKER = "\0next"  # the speaker of the text after it: no one named, someone new
_ROWS = 4  # the most rows of text a caption shows: what a rolling caption can carry over


@dataclass
class _Cue:
    start: float  # seconds
    end: float
    lines: list[str] = field(default_factory=list)  # the cue's text as written


def read_webvtt(data: bytes) -> Extracted:
    """A `.vtt` file (WebVTT: Zoom and Teams meeting transcripts, YouTube captions): its cues'
    text as paragraphs per speaker (see `_paragraphs`). No metadata: captions carry none."""
    text = _newlines(decode(data))
    if not _WEBVTT.match(text):
        raise FormatError("not a WebVTT file: its first line must be WEBVTT")
    return _captions(text, "00:00:01.000 --> 00:00:04.000")


def read_subrip(data: bytes) -> Extracted:
    """A `.srt` file (SubRip subtitles): its cues' text as paragraphs, as for WebVTT."""
    return _captions(_newlines(decode(data)), "00:00:01,000 --> 00:00:04,000")


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _captions(text: str, example: str) -> Extracted:
    """Return the paragraphs of the cues in `text`, or raise FormatError if there are none."""
    cues = _cues(text)
    if not cues:
        raise FormatError(f"no cue timing line (like {example}) in the file")
    paragraphs = _paragraphs(cues)
    if not paragraphs:
        raise FormatError("the cues have no text")
    return Extracted("\n\n".join(paragraphs) + "\n")


def _cues(text: str) -> list[_Cue]:
    """Return the cues of a WebVTT or SubRip file, in order. A timing line opens a cue (the line
    before it, a cue number or identifier, is dropped) and its text runs to the next blank line;
    a line of spaces right after the timing line (YouTube writes one) does not end it. Lines
    outside cues (the WebVTT header, NOTE, STYLE and REGION blocks) are dropped."""
    cues: list[_Cue] = []
    current: _Cue | None = None
    for line in text.split("\n"):
        timing = _TIMING.fullmatch(line)
        if timing:
            current = _Cue(_seconds(*timing.group(1, 2, 3, 4)), _seconds(*timing.group(5, 6, 7, 8)))
            cues.append(current)
        elif current is not None and not line.strip():
            if current.lines or not line:
                current = None
        elif current is not None:
            current.lines.append(line)
    return cues


def _seconds(hours: str | None, minutes: str, seconds: str, fraction: str) -> float:
    """Return the time a timing line's groups give, in seconds."""
    return 3600 * int(hours or 0) + 60 * int(minutes) + int(seconds) + float(f"0.{fraction}")


def _paragraphs(cues: list[_Cue]) -> list[str]:
    """Return the text of `cues` as paragraphs. A speaker's consecutive cues make one paragraph,
    opened once by `Name: `; another speaker starts a new one. Text without a speaker runs on
    (after a named speaker's text too: it is theirs, as far as anyone can tell), and starts a
    paragraph only after a pause of PAUSE_SECONDS or more that follows the end of a sentence;
    captions' `>>` (a change of speaker, no one named) starts one.
    What a cue repeats of the cue before (rolling captions) is left out (see `_fresh`)."""
    paragraphs: list[tuple[str | None, list[str]]] = []
    before: tuple[str | None, list[str]] = (None, [])  # the last run of text, as written
    last_end: float | None = None
    handles = _handles(cues)
    for cue in cues:
        for k, (speaker, lines) in enumerate(_said("\n".join(cue.lines), handles)):
            text = _fresh(lines, before[1] if before[0] == speaker else [])
            before = (speaker, lines)
            if not text:
                continue
            paused = k == 0 and last_end is not None and cue.start - last_end >= PAUSE_SECONDS
            if speaker == NEXT_SPEAKER:  # a new paragraph, without a name
                paragraphs.append((None, []))
            elif (
                not paragraphs
                or (speaker is not None and speaker != paragraphs[-1][0])
                or (speaker is None and paused and _ENDS_SENTENCE.search(paragraphs[-1][1][-1]))
            ):
                paragraphs.append((speaker, []))
            paragraphs[-1][1].append(text)
        last_end = cue.end
    return [f"{who}: {' '.join(texts)}" if who else " ".join(texts) for who, texts in paragraphs]


def _handles(cues: list[_Cue]) -> frozenset[str]:
    """Return the display names in lower case ("mark:", "lightclient:", "dionysuz.eth:") that
    open two cues or more: a meeting's speakers, not words before a colon."""
    seen = Counter(
        m.group(1) for cue in cues if cue.lines and (m := _HANDLE.match(_clean(cue.lines[0])))
    )
    return frozenset(name for name, n in seen.items() if n >= 2)


def _said(
    payload: str, handles: frozenset[str] = frozenset()
) -> list[tuple[str | None, list[str]]]:
    """Return a cue's text as runs of `(speaker, lines)`, each line plain text (see `_clean`).
    A voice tag (`<v Name>`, `<v.loud Name>`: Teams) names the speaker of the text after it;
    elsewhere a line opening with a `Name:` label (Zoom), one that segmentation would take for
    a label, names it; a line without either goes on with the speaker before it in the cue."""
    parts = _VOICE.split(payload)
    runs: list[tuple[str | None, list[str]]] = []
    speaker: str | None = None
    for voice, raw in [(None, parts[0]), *zip(parts[1::2], parts[2::2], strict=True)]:
        name = _voice_name(_plain(voice or ""))
        speaker = name or speaker
        for line in raw.split("\n"):
            text = _clean(line)
            if text.startswith(_NEXT_SPEAKER):  # captions' ">>": someone else speaks now
                speaker, text = NEXT_SPEAKER, text[len(_NEXT_SPEAKER) :].lstrip()
                runs.append((speaker, []))
            label = None if name else _NAMED.match(text)
            if label and _is_label(label.group(1)):
                speaker, text = _display_name(label.group(1)), text[label.end() :]
            elif label and label.group(1) in handles:  # "mark:" -> "Mark", "dionysuz.eth:"
                handle = label.group(1).replace(".", " ").replace("_", " ")
                speaker, text = handle[0].upper() + handle[1:], text[label.end() :]
            if not text:
                continue
            if runs and runs[-1][0] == speaker:
                runs[-1][1].append(text)
            else:
                runs.append((speaker, [text]))
    return [run for run in runs if run[1]]


def _voice_name(name: str) -> str:
    """Return a voice tag's name as a speaker label segmentation reads: Teams writes a name
    surname first ("Smith, Alice") and marks some ("Jo Bo (Guest)"); the label says "Alice
    Smith" and "Jo Bo" (a comma or a bracket in a label is not a speaker's name to it)."""
    name = _NAME_NOTE.sub("", name)
    swapped = _SURNAME_FIRST.fullmatch(name)
    return f"{swapped.group(2).strip()} {swapped.group(1).strip()}" if swapped else name


@lru_cache(maxsize=1024)
def _display_name(label: str) -> str:
    """Return a meeting's display name as a label segmentation reads: without what Zoom adds
    after it in brackets ("Felix (Geth)", "Jo Bo (she/her)"); segmentation reads a bracket
    after one word as an affiliation it does not trust."""
    name = _DISPLAY_NOTE.sub("", label)
    return name if name and parse_label(name) is not None else label


def _is_label(text: str) -> bool:
    """Return True when segmentation would read `text`, before a colon, as a speaker label (a
    meeting's few names come again and again)."""
    return parse_label(text) is not None


def _clean(line: str) -> str:
    """Return a line of cue text as plain text: ruby readings, tags, time stamps and `{\\an8}`
    codes go, character references are decoded (`&amp;`), whitespace is collapsed and a
    leading dialogue dash dropped."""
    return _DASH.sub("", _plain(_OVERRIDE.sub("", _TAG.sub("", _RUBY_TEXT.sub("", line)))))


def _plain(text: str) -> str:
    return " ".join(html.unescape(text).split())


def _fresh(lines: list[str], before: list[str]) -> str:
    """Return the text of `lines` less what repeats `before`, the same speaker's lines just
    before: rolling captions open a cue with the previous cue's text (its last words growing
    it) or with its last lines (of the last _ROWS, which keeps this linear). "" when nothing
    is new."""
    text = " ".join(lines)
    for k in range(max(0, len(before) - _ROWS), len(before)):
        carried = " ".join(before[k:])
        if text == carried or text.startswith(carried + " "):
            return text[len(carried) :].strip()
    return text


READERS: dict[str, Callable[[bytes], Extracted]] = {
    ".txt": read_text,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".vtt": read_webvtt,
    ".srt": read_subrip,
}
SUFFIXES = tuple(READERS)
KINDS = ".txt, .md, .html, .pdf, .docx, .vtt or .srt"


def extract(suffix: str, data: bytes) -> Extracted:
    """Return the text and metadata of a file with `suffix` and content `data`."""
    reader = READERS.get(suffix.lower())
    if reader is None:
        raise FormatError(f"cannot read {suffix or 'a file without a suffix'}; use {KINDS}")
    return reader(data)
