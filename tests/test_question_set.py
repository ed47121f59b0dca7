"""The question-set format: strict loading with errors that name the line and field, and the
shipped set `evals/statement.jsonl` (verbatim gold quotes, unique ids, balanced splits)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from quotebot.evaluation.questions import load_questions
from quotebot.evaluation.records import QuestionSetError
from quotebot.index.corpus import load_corpus
from quotebot.index.segment import segment
from quotebot.index.text import is_cyrillic, normalise

from quotebot.settings import DEFAULT_CORPUS

SHIPPED = Path(__file__).resolve().parents[1] / "evals" / "statement.jsonl"
CATEGORIES = {
    "factoid",
    "paraphrase",
    "speaker",
    "followup",
    "unanswerable",
    "offtopic",
    "injection",
    "typo",
    "russian",
}
UNANSWERABLE = {"unanswerable", "offtopic", "injection"}
SOURCES = {"doc": "The meeting lasted\u00a0five hours.\n\nNo deal was reached."}
GOOD = {
    "id": "q1",
    "question": "How long?",
    "answerable": True,
    "answers": ["five hours"],
    "quotes": ["The meeting lasted five hours."],
    "category": "factoid",
    "split": "dev",
}


@pytest.fixture(scope="module")
def shipped():
    document = load_corpus([DEFAULT_CORPUS])[0]
    return load_questions(SHIPPED, {document.doc: document.text}), document


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**changes) -> str:
    item = {**GOOD, **changes}
    return json.dumps({k: v for k, v in item.items() if v is not ...}, ensure_ascii=False)


# ---------------------------------------------------------------- loading


def test_a_valid_set_loads_with_gold_spans_in_the_original_text(tmp_path):
    path = write(
        tmp_path,
        line(),
        "",
        line(id="q2", answerable=False, answers=[], quotes=[], category=..., split=...),
    )
    q1, q2 = load_questions(path, SOURCES)
    assert (q1.id, q1.split, q1.line) == ("q1", "dev", 1)
    assert (
        SOURCES["doc"][q1.gold[0][0].start : q1.gold[0][0].end]
        == "The meeting lasted\u00a0five hours."
    )
    assert (q2.category, q2.split, q2.gold, q2.line) == ("uncategorised", "unsplit", (), 3)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "set.jsonl:2: not valid JSON"),
        ("[1, 2]", "set.jsonl:2: expected a JSON object, got a list"),
        (line(quotes=...), 'set.jsonl:2: missing field "quotes"'),
        (
            line(answerable="yes"),
            'set.jsonl:2: field "answerable" must be true or false, got "yes"',
        ),
        (line(answers="five hours"), 'set.jsonl:2: field "answers" must be a list'),
        (line(split="train"), 'set.jsonl:2: field "split" must be "dev" or "test"'),
        (line(qoutes=[]), 'set.jsonl:2: unknown field "qoutes"'),
        (line(history=[{"role": "bot", "content": "hi"}]), 'field "history[0].role" must be'),
        (line(history=[{"role": "user"}]), 'field "history[0]" must be an object with'),
        (line(quotes=[]), 'set.jsonl:2: field "quotes" needs at least one gold quote'),
        (line(answerable=False), 'set.jsonl:2: field "answers" must be empty'),
        (line(id="q0"), 'set.jsonl:2: id "q0" is already used on line 1'),
    ],
)
def test_loading_errors_name_the_line_and_the_field(tmp_path, text, message):
    path = write(tmp_path, line(id="q0"), text)
    with pytest.raises(QuestionSetError) as caught:
        load_questions(path, SOURCES)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_gold_quote_missing_from_the_source_names_the_question(tmp_path):
    path = write(tmp_path, line(), line(id="q7", quotes=["The meeting lasted five minutes."]))
    with pytest.raises(
        QuestionSetError, match=r'set\.jsonl:2: question "q7": gold quote not found'
    ):
        load_questions(path, SOURCES)


def test_an_empty_or_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(QuestionSetError, match="the question set is empty"):
        load_questions(write(tmp_path, ""), SOURCES)
    with pytest.raises(QuestionSetError, match="no such question file"):
        load_questions(tmp_path / "nope.jsonl", SOURCES)


# ---------------------------------------------------------------- the shipped set


def test_every_shipped_gold_quote_is_verbatim_in_the_source(shipped):
    questions, document = shipped
    source = normalise(document.text)
    for q in questions:
        for quote, occurrences in zip(q.quotes, q.gold, strict=True):
            assert normalise(quote) in source, q.id
            for span in occurrences:
                assert normalise(document.text[span.start : span.end]) == quote, q.id


def test_shipped_gold_quotes_are_smallest_spans_within_one_sentence(shipped):
    questions, document = shipped
    sentences = [s for p in segment(document) for s in p.sentences]
    for q in questions:
        for occurrences in q.gold:
            span = occurrences[0]
            assert any(s <= span.start and span.end <= e for s, e in sentences), q.id


def test_shipped_ids_are_unique_and_the_set_covers_every_category(shipped):
    questions, _ = shipped
    raw = [json.loads(x) for x in SHIPPED.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len({r["id"] for r in raw}) == len(raw) == len(questions) >= 60
    counts = Counter(q.category for q in questions)
    assert set(counts) == CATEGORIES
    assert min(counts.values()) >= 6


def test_shipped_splits_are_about_60_40_and_balanced_across_categories(shipped):
    questions, _ = shipped
    dev = [q for q in questions if q.split == "dev"]
    assert 0.55 <= len(dev) / len(questions) <= 0.65
    for category in CATEGORIES:
        splits = Counter(q.split for q in questions if q.category == category)
        assert splits["dev"] > splits["test"] >= 3, category


def test_shipped_categories_have_their_shape(shipped):
    questions, _ = shipped
    for q in questions:
        assert q.answerable == (q.category not in UNANSWERABLE), q.id
        assert bool(q.history) == (q.category == "followup"), q.id
        assert is_cyrillic(q.question) == (q.category == "russian"), q.id
    who = next(q for q in questions if q.question == "Who mentioned 28 points?")
    assert who.quotes == ("Initially, media reports referenced some 28 points in this Trump plan.",)


def test_the_question_set_checker_passes_on_the_shipped_sets_with_quotebots_dependencies():
    """evals/check_questions.py reads every document (pdf, html, docx) as the question writers
    did; trafilatura, which they used for html, is not installed with quotebot."""
    import subprocess
    import sys

    checker = Path(__file__).resolve().parents[1] / "evals" / "check_questions.py"
    out = subprocess.run([sys.executable, str(checker)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert re.search(r"^test: \d+ questions", out.stdout, re.MULTILINE)


def test_the_questions_by_other_hands_quote_their_transcripts_verbatim():
    """`evals/others.jsonl`: 16 questions on each of the 14 transcripts of `evals/others/corpus`
    (12 answerable, 4 near misses), all held out from tuning (split test)."""
    root = SHIPPED.parent
    documents = load_corpus([root / "others" / "corpus"])
    questions = load_questions(root / "others.jsonl", {d.doc: d.text for d in documents})
    assert len(documents) == 14
    assert {q.split for q in questions} == {"test"}
    per_doc = Counter((q.doc, q.answerable) for q in questions)
    assert all(per_doc[(d.doc, True)] == 12 and per_doc[(d.doc, False)] == 4 for d in documents)
