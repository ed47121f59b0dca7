"""The lead-in: one short sentence, in the question's language, that says whose words follow.
A yes/no question whose first quote opens with an explicit "Yes," or "No," is answered "Yes." or
"No." before it, when the answer is more likely right than not (a "Yes," answering another
question is no verdict on this one); any other quote only says what it says (no guessed
verdict)."""

from __future__ import annotations

import re

from quotebot.index.segment import AUDIENCE, JOURNALIST

from .features import YES_NO_QUESTION
from .records import Citation

_TEXT = {
    "en": {
        "small_talk": "I answer questions about the statement, with quotes from it: ask me one.",
        "yes": "Yes.",
        "no": "No.",
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
        "asked_by": "{asker} asked this (it is {asker}'s question, not {answerer}'s words):",
        "asked_many": "These are questions, not {answerer}'s words; each quote with who asked it:",
        "asked_audience": (
            "Someone in the audience asked this (it is their question, not {answerer}'s words):"
        ),
        "title": "The statement's heading says:",
        "mixed": "From the statement, each quote with its speaker:",
        "and": " and ",
        "someone": "the speaker",
        "dated": "Its metadata dates the document {date}.",
    },
    "fr": {
        "small_talk": (
            "Je réponds aux questions sur la déclaration, par des citations : posez-m'en une."
        ),
        "yes": "Oui.",
        "no": "Non.",
        "abstain": "La déclaration ne le dit pas.",
        "request": (
            "La déclaration ne le dit pas. Je réponds seulement aux questions sur la "
            "déclaration, par des citations, et je ne suis pas d'instructions données dans une "
            "question."
        ),
        "said": "{speaker} a dit (citation dans la langue du texte) :",
        "said_many": "{speakers} ont dit (citations dans la langue du texte) :",
        "asked": "C'est la question d'un journaliste, pas les mots de {answerer} :",
        "asked_by": "C'est la question de {asker}, pas les mots de {answerer} :",
        "asked_many": (
            "Ce sont des questions, pas les mots de {answerer} ; chaque citation avec son auteur :"
        ),
        "asked_audience": "C'est une question du public, pas les mots de {answerer} :",
        "title": "Le titre de la déclaration dit :",
        "mixed": "Extraits de la déclaration, chaque citation avec son auteur :",
        "and": " et ",
        "someone": "l'orateur",
        "dated": "Ses métadonnées datent le document du {date}.",
    },
    "de": {
        "small_talk": (
            "Ich beantworte Fragen zur Erklärung, mit Zitaten daraus: Stellen Sie mir eine."
        ),
        "yes": "Ja.",
        "no": "Nein.",
        "abstain": "Die Erklärung sagt das nicht.",
        "request": (
            "Die Erklärung sagt das nicht. Ich beantworte nur Fragen zur Erklärung, mit Zitaten "
            "daraus, und folge keinen Anweisungen in einer Frage."
        ),
        "said": "{speaker} sagte (Zitat in der Sprache des Textes):",
        "said_many": "{speakers} sagten (Zitate in der Sprache des Textes):",
        "asked": "Das ist die Frage eines Journalisten, nicht die Worte von {answerer}:",
        "asked_by": "Das ist die Frage von {asker}, nicht die Worte von {answerer}:",
        "asked_many": (
            "Das sind Fragen, nicht die Worte von {answerer}; jedes Zitat mit seinem Fragesteller:"
        ),
        "asked_audience": "Das ist eine Frage aus dem Publikum, nicht die Worte von {answerer}:",
        "title": "Die Überschrift der Erklärung lautet:",
        "mixed": "Aus der Erklärung, jedes Zitat mit seinem Sprecher:",
        "and": " und ",
        "someone": "dem Sprecher",
        "dated": "Laut seinen Metadaten ist das Dokument vom {date}.",
    },
    "es": {
        "small_talk": "Respondo preguntas sobre la declaración, con citas de ella: hágame una.",
        "yes": "Sí.",
        "no": "No.",
        "abstain": "La declaración no lo dice.",
        "request": (
            "La declaración no lo dice. Solo respondo preguntas sobre la declaración, con citas "
            "de ella, y no sigo instrucciones dadas en una pregunta."
        ),
        "said": "{speaker} dijo (cita en el idioma del texto):",
        "said_many": "{speakers} dijeron (citas en el idioma del texto):",
        "asked": "Es la pregunta de un periodista, no las palabras de {answerer}:",
        "asked_by": "Es la pregunta de {asker}, no las palabras de {answerer}:",
        "asked_many": "Son preguntas, no las palabras de {answerer}; cada cita con quien la hizo:",
        "asked_audience": "Es una pregunta del público, no las palabras de {answerer}:",
        "title": "El título de la declaración dice:",
        "mixed": "De la declaración, cada cita con su autor:",
        "and": " y ",
        "someone": "el orador",
        "dated": "Sus metadatos fechan el documento el {date}.",
    },
    "ru": {
        "small_talk": "Я отвечаю на вопросы о заявлении цитатами из него: задайте вопрос.",
        "yes": "Да.",
        "no": "Нет.",
        "abstain": "В заявлении об этом не говорится.",
        "request": (
            "В заявлении об этом не говорится. Я отвечаю только на вопросы о заявлении, "
            "цитатами из него, и не выполняю инструкции из вопроса."
        ),
        "said": "{speaker} сказал (цитата на языке заявления):",
        "said_many": "{speakers} сказали (цитаты на языке заявления):",
        "asked": "Это вопрос журналиста, а не слова {answerer}:",
        "asked_by": "Вопрос задаёт {asker}; это не слова {answerer}:",
        "asked_many": "Это вопросы, а не слова {answerer}; у каждой цитаты указан автор:",
        "asked_audience": "Это вопрос из зала, а не слова {answerer}:",
        "title": "В заголовке заявления сказано:",
        "mixed": "Из заявления, каждая цитата с указанием автора:",
        "and": " и ",
        "someone": "выступающего",
        "dated": "По метаданным документ датирован {date}.",
    },
}


# an English yes/no question opens with an auxiliary verb; a quote settles it when it opens
# with the word itself and a pause ("No, these are two different things."), not "No compromise
# option has yet been found."
_VERDICT = re.compile(r"^\W*(yes|yeah|yep|no|nope)\s*[,.!;:\u2014\u2013-]", re.IGNORECASE)


def verdict(question: str, citation: Citation) -> str | None:
    """Return "yes" or "no" when `question` asks yes or no and `citation`, someone's words (not
    a journalist's question or the heading), opens with that word, else None."""
    if citation.role in ("question", "title") or not YES_NO_QUESTION.match(question):
        return None
    found = _VERDICT.match(citation.quote)
    if found is None:
        return None
    return "yes" if found.group(1).casefold().startswith("y") else "no"


def lead_in(
    citations: list[Citation],
    language: str,
    is_request: bool = False,
    answerer: str | None = None,
    question: str = "",
    small_talk: bool = False,
    sure: bool = True,
    dated: str | None = None,
) -> str:
    """Return the lead-in for `citations`, or the abstention sentence when there are none (for
    a greeting, what quotebot does); prefixed with "Yes." or "No." when the first quote settles
    the yes/no `question` and the answer is `sure` enough to say so, or with the document's
    metadata date `dated` (YYYY-MM-DD) when the quotes answering "when?" lack it."""
    t = _TEXT.get(language, _TEXT["en"])
    if not citations:
        return t["small_talk"] if small_talk else t["request"] if is_request else t["abstain"]
    said = verdict(question, citations[0]) if sure else None
    text = _whose(citations, t, answerer)
    text = text[:1].upper() + text[1:]  # "the President said:" opens a sentence
    if dated:
        text = f"{t['dated'].format(date=dated)} {text}"
    return f"{t[said]} {text}" if said else text


def _whose(citations: list[Citation], t: dict[str, str], answerer: str | None) -> str:
    """Return the sentence that says whose words `citations` are."""
    if len({_kind(c) for c in citations}) > 1:  # no one lead-in covers them: each is labelled
        return t["mixed"]
    first = citations[0]
    if first.role == "question":
        askers = {c.speaker for c in citations}
        if askers == {AUDIENCE}:
            return t["asked_audience"].format(answerer=answerer or t["someone"])
        if askers <= {None, JOURNALIST}:
            return t["asked"].format(answerer=answerer or t["someone"])
        if len(askers) == 1:  # a member, counsel
            return t["asked_by"].format(asker=first.speaker, answerer=answerer or t["someone"])
        # a member and a journalist, two members: "a journalist" would name one of them wrongly
        return t["asked_many"].format(answerer=answerer or t["someone"])
    if first.role == "title":
        return t["title"]
    speakers = list(dict.fromkeys(c.speaker_label for c in citations if c.role != "question"))
    if len(speakers) > 1:
        return t["said_many"].format(speakers=t["and"].join(speakers))
    return t["said"].format(speaker=speakers[0])


def _kind(citation: Citation) -> str:
    """Return what a quote is: a journalist's question, the heading, or someone's words."""
    return citation.role if citation.role in ("question", "title") else "words"


def abstention(language: str, is_request: bool = False) -> str:
    """Return the sentence that says the statement does not answer."""
    return lead_in([], language, is_request)
