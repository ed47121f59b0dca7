"""The question's language: lingua guarded by English-only words, and the lead-ins it picks."""

from __future__ import annotations

import pytest
from quotebot.bot.composer import lead_in
from quotebot.bot.language import detect
from quotebot.bot.question import parse


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("How long did the meeting last?", "en"),
        ("What is Melanie Field's job?", "en"),  # lingua alone says German
        ("Is India neutral on the Russia-Ukraine war?", "en"),  # lingua alone says French
        ("Сколько длилась встреча?", "ru"),
        ("Combien de temps a duré la rencontre ?", "fr"),
        ("Wie lange hat das Treffen gedauert?", "de"),
        ("¿Cuánto duró la reunión?", "es"),
    ],
)
def test_detect(question, language):
    assert detect(question) == language


def test_a_question_in_french_is_prepared_as_french_and_answered_with_a_french_lead_in():
    assert parse("Combien de temps a duré la rencontre ?", (), 2000).language == "fr"
    assert lead_in([], "fr") == "La déclaration ne le dit pas."
    assert lead_in([], "de") == "Die Erklärung sagt das nicht."
    assert lead_in([], "xx") == lead_in([], "en")
