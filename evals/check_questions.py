"""Check evals/transcripts.jsonl against the documents it is about.

Run from the repository root:  .venv/bin/python evals/check_questions.py [FILE]

Each document's text is read the way the question writers read it:
  .txt / .md  the raw file (UTF-8), front matter and markup included;
  .pdf        pypdfium2, the text of every page joined by newlines;
  .html       trafilatura.extract(); if trafilatura finds no main text (06, an XHTML
              fixture), or is not installed (it is not a dependency of quotebot), lxml's
              text_content() of the whole page;
  .docx       python-docx, the text of every paragraph joined by newlines.
A gold quote must occur in that text after both are normalised: NFC, every run of
whitespace (NBSP included) -> one space, trimmed.

Asserts: valid JSON on every line, the required fields and their types, unique ids, a
known doc, the split of each doc (dev = statement, 01, 03, 05, 08, 10-22; test = 02, 04,
06, 07, 09), answers/quotes empty exactly when answerable is false, every gold quote verbatim in its
doc, at least 20% of each doc's questions in category "unanswerable", and the totals.
Prints counts per doc, category and split. Exits 1 on the first list of failures.
"""

from __future__ import annotations

import collections
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT / "evals" / "corpora"

DOCS = {
    "statement": ROOT / "index" / "corpus" / "statement.txt",
    "01_wh-briefing-leavitt-2025-01-29": CORPORA / "01_wh-briefing-leavitt-2025-01-29.md",
    "02_wh-trump-modi-presser-2025-02-13": CORPORA / "02_wh-trump-modi-presser-2025-02-13.txt",
    "03_wh-kirby-gaggle-2024-02-06": CORPORA / "03_wh-kirby-gaggle-2024-02-06.pdf",
    "04_kremlin-direct-line-answers-2018-06-07": CORPORA
    / "04_kremlin-direct-line-answers-2018-06-07.html",
    "05_hansard-commons-fco-questions-2011-07-19": CORPORA
    / "05_hansard-commons-fco-questions-2011-07-19.docx",
    "06_hansard-commons-fco-topical-questions-2011-07-19": CORPORA
    / "06_hansard-commons-fco-topical-questions-2011-07-19.html",
    "07_wh-interview-trump-fox-sports-2025-02-16": CORPORA
    / "07_wh-interview-trump-fox-sports-2025-02-16.md",
    "08_nasa-mercury-redstone-4-air-to-ground-1961-07-21": CORPORA
    / "08_nasa-mercury-redstone-4-air-to-ground-1961-07-21.txt",
    "09_uk-covid-inquiry-m1-melanie-field-2023-07-13": CORPORA
    / "09_uk-covid-inquiry-m1-melanie-field-2023-07-13.txt",
    "10_wh-background-call-syria-2024-12-09": CORPORA / "10_wh-background-call-syria-2024-12-09.md",
    "11_senate-banking-bernanke-2008-07-15": CORPORA / "11_senate-banking-bernanke-2008-07-15.html",
    "12_podcast-gotime-100-pike-griesemer": CORPORA / "12_podcast-gotime-100-pike-griesemer.md",
    "13_kremlin-news-conference-china-2019-04-27": CORPORA
    / "13_kremlin-news-conference-china-2019-04-27.html",
    "14_wh-psaki-criswell-briefing-2022-01-14": CORPORA
    / "14_wh-psaki-criswell-briefing-2022-01-14.md",
    "15_house-ec-ftc-leibowitz-2009-03-24": CORPORA / "15_house-ec-ftc-leibowitz-2009-03-24.html",
    "16_podcast-founderstalk-7-henk-rogers-tetris": CORPORA
    / "16_podcast-founderstalk-7-henk-rogers-tetris.md",
    "17_wh-bin-laden-background-call-2011-05-02": CORPORA
    / "17_wh-bin-laden-background-call-2011-05-02.html",
    "18_wh-obama-press-conference-2010-09-10": CORPORA
    / "18_wh-obama-press-conference-2010-09-10.html",
    "19_house-smallbiz-forum-2009-01-14": CORPORA / "19_house-smallbiz-forum-2009-01-14.htm",
    "20_house-fs-lehman-local-govts-2009-05-05": CORPORA
    / "20_house-fs-lehman-local-govts-2009-05-05.htm",
    "21_jsparty-82-node-panel-nodeconf-colombia-2019": CORPORA
    / "21_jsparty-82-node-panel-nodeconf-colombia-2019.md",
    "22_wh-biden-roundtable-essential-workers-2021-02-23": CORPORA
    / "22_wh-biden-roundtable-essential-workers-2021-02-23.md",
}
DEV_NUMBERS = {"01", "03", "05", "08", *(f"{n:02d}" for n in range(10, 23))}
DEV = {"statement", *(d for d in DOCS if d[:2] in DEV_NUMBERS)}
SPLIT = {d: ("dev" if d in DEV else "test") for d in DOCS}

REQUIRED = {
    "id": str,
    "doc": str,
    "question": str,
    "answerable": bool,
    "answers": list,
    "quotes": list,
    "category": str,
    "split": str,
}
OPTIONAL = {"history": list}
MIN_TOTAL = 280
MIN_UNANSWERABLE_SHARE = 0.20


def read_text(path: Path) -> str:
    """Return the text of one document, read as the question writers read it."""
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        return path.read_text(encoding="utf-8")
    if suffix == ".pdf":
        import pypdfium2

        pdf = pypdfium2.PdfDocument(str(path))
        try:
            return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
        finally:
            pdf.close()
    if suffix in (".html", ".htm"):
        try:  # what the question writers used; not one of quotebot's dependencies
            import trafilatura
        except ImportError:
            trafilatura = None
        text = trafilatura.extract(path.read_text(encoding="utf-8")) if trafilatura else None
        if text:
            return text
        import lxml.html

        utf8 = lxml.html.HTMLParser(encoding="utf-8")  # a fragment has no charset to go by
        return lxml.html.fromstring(path.read_bytes(), parser=utf8).text_content()
    if suffix == ".docx":
        import docx

        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    raise ValueError(f"no reader for {path}")


def normalise(text: str) -> str:
    """NFC; every run of whitespace (NBSP included) -> one space; trimmed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def check(path: Path) -> list[str]:
    errors: list[str] = []
    texts = {doc: normalise(read_text(p)) for doc, p in DOCS.items()}
    seen: set[str] = set()
    rows: list[dict] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{lineno}"
        if not line.strip():
            errors.append(f"{where}: blank line")
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{where}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(q, dict):
            errors.append(f"{where}: not a JSON object")
            continue
        bad = [k for k in q if k not in REQUIRED and k not in OPTIONAL]
        if bad:
            errors.append(f"{where}: unknown fields {bad}")
        missing = [k for k in REQUIRED if k not in q]
        if missing:
            errors.append(f"{where}: missing fields {missing}")
            continue
        for k, t in {**REQUIRED, **OPTIONAL}.items():
            if k in q and not isinstance(q[k], t):
                errors.append(f"{where}: {k} must be {t.__name__}")
        where = f"{where} ({q['id']})"
        if q["id"] in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(q["id"])
        if not str(q["question"]).strip() or not str(q["category"]).strip():
            errors.append(f"{where}: empty question or category")
        if q["doc"] not in DOCS:
            errors.append(f"{where}: unknown doc {q['doc']!r}")
            continue
        if q["split"] != SPLIT[q["doc"]]:
            errors.append(f"{where}: split {q['split']!r}, but {q['doc']} is {SPLIT[q['doc']]!r}")
        for k in ("answers", "quotes"):
            if not all(isinstance(v, str) and v.strip() for v in q[k]):
                errors.append(f"{where}: {k} must hold non-empty strings")
        if q["answerable"]:
            if not q["answers"] or not q["quotes"]:
                errors.append(f"{where}: answerable but answers or quotes empty")
        elif q["answers"] or q["quotes"]:
            errors.append(f"{where}: unanswerable but answers or quotes not empty")
        if q["category"] == "unanswerable" and q["answerable"]:
            errors.append(f"{where}: category unanswerable but answerable true")
        for i, m in enumerate(q.get("history", [])):
            if (
                not isinstance(m, dict)
                or set(m) != {"role", "content"}
                or m["role"] not in ("user", "assistant")
                or not isinstance(m["content"], str)
                or not m["content"].strip()
            ):
                errors.append(f"{where}: history[{i}] must be {{role: user|assistant, content}}")
        for quote in q["quotes"]:
            if isinstance(quote, str) and normalise(quote) not in texts[q["doc"]]:
                short = quote if len(quote) <= 80 else quote[:77] + "..."
                errors.append(f"{where}: gold quote not verbatim in {q['doc']}: {short!r}")
        rows.append(q)

    by_doc = collections.Counter(q["doc"] for q in rows)
    for doc in DOCS:
        if not by_doc[doc]:
            errors.append(f"no questions for {doc}")
            continue
        n_un = sum(1 for q in rows if q["doc"] == doc and q["category"] == "unanswerable")
        if n_un < MIN_UNANSWERABLE_SHARE * by_doc[doc]:
            errors.append(
                f"{doc}: {n_un}/{by_doc[doc]} unanswerable, under {MIN_UNANSWERABLE_SHARE:.0%}"
            )
    if len(rows) < MIN_TOTAL:
        errors.append(f"{len(rows)} questions, fewer than {MIN_TOTAL}")
    report(rows)
    return errors


def report(rows: list[dict]) -> None:
    cats = sorted({q["category"] for q in rows})
    table = collections.Counter((q["doc"], q["category"]) for q in rows)
    short = {d: (d[:2] if d[:2].isdigit() else d[:9]) for d in DOCS}
    width = max(len(c) for c in cats) if cats else 8
    head = f"{'category':<{width}} " + " ".join(f"{short[d]:>9}" for d in DOCS) + f" {'total':>6}"
    print(head)
    print("-" * len(head))
    for c in cats:
        cells = " ".join(f"{table[(d, c)]:>9}" for d in DOCS)
        print(f"{c:<{width}} {cells} {sum(table[(d, c)] for d in DOCS):>6}")
    print("-" * len(head))
    per_doc = collections.Counter(q["doc"] for q in rows)
    print(f"{'total':<{width}} " + " ".join(f"{per_doc[d]:>9}" for d in DOCS) + f" {len(rows):>6}")
    print(f"{'split':<{width}} " + " ".join(f"{SPLIT[d]:>9}" for d in DOCS))
    splits = collections.Counter(q["split"] for q in rows)
    answerable = collections.Counter((q["split"], q["answerable"]) for q in rows)
    for s in ("dev", "test"):
        print(
            f"{s}: {splits[s]} questions ({answerable[(s, True)]} answerable, "
            f"{answerable[(s, False)]} not)"
        )


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else ROOT / "evals" / "transcripts.jsonl"
    errors = check(path)
    for e in errors:
        print("FAIL", e, file=sys.stderr)
    print("FAILED" if errors else "OK", f"({len(errors)} problems)" if errors else "")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
