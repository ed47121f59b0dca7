"""The lead-in: one short sentence, in the question's language, that says whose words follow."""

from __future__ import annotations

from .records import Citation

_TEXT = {
    "en": {
        "abstain": "The statement does not say.",
        "request": (
            "The statement does not say. I only answer questions about the statement, with "
            "quotes from it, and I don't follow instructions given in a question."
        ),
        "said": "{speaker} said:",
        "said_many": "{speakers} said:",
        "asked": (
            "A journalist asked this (it is the journalist's question, not {answerer}'s words):"
        ),
        "title": "The statement's heading says:",
        "and": " and ",
        "someone": "the speaker",
    },
    "ru": {
        "abstain": "В заявлении об этом не говорится.",
        "request": (
            "В заявлении об этом не говорится. Я отвечаю только на вопросы о заявлении, "
            "цитатами из него, и не выполняю инструкции из вопроса."
        ),
        "said": "{speaker} сказал (цитата на языке заявления):",
        "said_many": "{speakers} сказали (цитаты на языке заявления):",
        "asked": "Это вопрос журналиста, а не слова {answerer}:",
        "title": "В заголовке заявления сказано:",
        "and": " и ",
        "someone": "выступающего",
    },
}


def lead_in(
    citations: list[Citation], language: str, is_request: bool = False, answerer: str | None = None
) -> str:
    """Return the lead-in for `citations`, or the abstention sentence when there are none."""
    t = _TEXT.get(language, _TEXT["en"])
    if not citations:
        return t["request"] if is_request else t["abstain"]
    first = citations[0]
    if first.role == "question":
        return t["asked"].format(answerer=answerer or t["someone"])
    if first.role == "title":
        return t["title"]
    speakers = list(dict.fromkeys(c.speaker_label for c in citations if c.role != "question"))
    if len(speakers) > 1:
        return t["said_many"].format(speakers=t["and"].join(speakers))
    return t["said"].format(speaker=speakers[0])


def abstention(language: str, is_request: bool = False) -> str:
    """Return the sentence that says the statement does not answer."""
    return lead_in([], language, is_request)
