"""Question sets: read a JSONL file and validate every line, with messages naming the line.

One question per line:
    {"id", "question", "history"?: [{"role", "content"}], "answerable": bool,
     "answers": [str], "quotes": [verbatim gold quotes], "category"?: str,
     "split"?: "dev" | "test", "doc"?: document name}
A question without a split is labelled "unsplit": it is never used for tuning (tuning reads
the dev split only) and is not counted as test. With "doc", its gold quotes must be verbatim
in that document of the corpus.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from quotebot.jsonio import JSONInputError, loads
from quotebot.settings import Settings

from .metrics.spans import locate
from .metrics.squad import normalize_answer
from .records import SPLITS, UNSPLIT, Question, QuestionSetError

FIELDS = (
    "id", "question", "history", "answerable", "answers", "quotes", "category", "split", "doc",
)  # fmt: skip
REQUIRED = ("id", "question", "answerable", "answers", "quotes")


def load_questions(path: str | Path, sources: Mapping[str, str] | None = None) -> list[Question]:
    """Return the validated questions of the JSONL file `path`.

    `sources` maps document names to their original text (default: the configured corpus).
    Raises QuestionSetError naming the line and field, or the question id of a gold quote
    that is not verbatim in the sources.
    """
    path = Path(path)
    if sources is None:
        sources = corpus_sources(Settings.load())
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise QuestionSetError(f"{path}: no such question file") from exc
    except UnicodeDecodeError as exc:
        raise QuestionSetError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise QuestionSetError(f"{path}: cannot read it ({exc.strerror})") from exc
    questions: list[Question] = []
    first_line: dict[str, int] = {}
    for lineno, text in enumerate(lines, 1):
        if not text.strip():
            continue
        q = parse_question(f"{path}:{lineno}", text, lineno, sources)
        if q.id in first_line:
            raise QuestionSetError(
                f'{path}:{lineno}: id "{q.id}" is already used on line {first_line[q.id]}'
            )
        first_line[q.id] = lineno
        questions.append(_with_gold(f"{path}:{lineno}", q, sources))
    if not questions:
        raise QuestionSetError(f"{path}: the question set is empty")
    return questions


def corpus_sources(settings: Settings) -> dict[str, str]:
    """Return document name -> original text for the corpus in `settings`."""
    from quotebot.index.corpus import load_corpus

    return {d.doc: d.text for d in load_corpus(settings.corpus)}


def parse_question(
    where: str, text: str, lineno: int, sources: Mapping[str, str] | None = None
) -> Question:
    """Return the question in one JSONL line; `where` prefixes every error message."""
    try:
        data = loads(text)
    except JSONInputError as exc:
        raise QuestionSetError(f"{where}: {exc}") from None
    if not isinstance(data, dict):
        raise QuestionSetError(f"{where}: expected a JSON object, got {_kind(data)}")
    for name in data:
        if name not in FIELDS:
            raise QuestionSetError(f'{where}: unknown field "{name}" (known: {", ".join(FIELDS)})')
    for name in REQUIRED:
        if name not in data:
            raise QuestionSetError(f'{where}: missing field "{name}"')

    def bad(name: str, wanted: str, value: object) -> QuestionSetError:
        return QuestionSetError(f'{where}: field "{name}" must be {wanted}, got {_show(value)}')

    for name in ("id", "question"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise bad(name, "a non-empty string", data[name])
    if not isinstance(data["answerable"], bool):
        raise bad("answerable", "true or false", data["answerable"])
    for name in ("answers", "quotes"):
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise bad(name, "a list of non-empty strings", value)
    category = data.get("category", "uncategorised")
    if not isinstance(category, str) or not category.strip():
        raise bad("category", "a non-empty string", category)
    split = data.get("split", UNSPLIT)
    if split not in SPLITS and "split" in data:
        raise bad("split", '"dev" or "test"', split)
    doc = data.get("doc")
    if doc is not None:
        if not isinstance(doc, str) or not doc.strip():
            raise bad("doc", "a document name", doc)
        if sources is not None and doc not in sources:
            known = ", ".join(sorted(sources)[:5]) + (", ..." if len(sources) > 5 else "")
            raise QuestionSetError(
                f'{where}: field "doc": no document "{doc}" in the corpus (it has: {known})'
            )
    history = data.get("history", [])
    if not isinstance(history, list):
        raise bad("history", 'a list of {"role", "content"} messages', history)
    for i, message in enumerate(history):
        if not isinstance(message, dict) or set(message) != {"role", "content"}:
            raise bad(f"history[{i}]", 'an object with "role" and "content"', message)
        if message["role"] not in ("user", "assistant"):
            raise bad(f"history[{i}].role", '"user" or "assistant"', message["role"])
        if not isinstance(message["content"], str):
            raise bad(f"history[{i}].content", "a string", message["content"])
    if data["answerable"]:
        if not data["quotes"]:
            raise QuestionSetError(
                f'{where}: field "quotes" needs at least one gold quote when "answerable" is true'
            )
        if not any(normalize_answer(a) for a in data["answers"]):
            raise QuestionSetError(
                f'{where}: field "answers" needs at least one answer when "answerable" is true'
            )
    else:
        for name in ("answers", "quotes"):
            if data[name]:
                raise QuestionSetError(
                    f'{where}: field "{name}" must be empty when "answerable" is false'
                )
    return Question(
        id=data["id"],
        question=data["question"],
        answerable=data["answerable"],
        answers=tuple(data["answers"]),
        quotes=tuple(data["quotes"]),
        history=tuple(history),
        category=category,
        split=split,
        doc=doc,
        line=lineno,
    )


def _with_gold(where: str, q: Question, sources: Mapping[str, str]) -> Question:
    scope = {q.doc: sources[q.doc]} if q.doc is not None else sources
    gold = []
    for quote in q.quotes:
        spans = locate(quote, scope)
        if not spans:
            short = quote if len(quote) <= 70 else quote[:67] + "..."
            place = f'document "{q.doc}"' if q.doc is not None else "the source"
            raise QuestionSetError(
                f'{where}: question "{q.id}": gold quote not found verbatim in {place}: "{short}"'
            )
        gold.append(tuple(spans))
    return replace(q, gold=tuple(gold))


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__
    )


def _show(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."
