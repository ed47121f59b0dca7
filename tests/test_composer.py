"""The lead-in: whose words follow, in the question's language; a journalist's question is
never presented as the official's words."""

from __future__ import annotations

from quotebot.bot.composer import abstention, lead_in
from quotebot.bot.records import Citation


def cite(role: str, speaker: str | None, quote: str = "Words.") -> Citation:
    return Citation("s#p01", "s", speaker, role, 0, len(quote), quote)


USHAKOV = cite("statement", "Yury Ushakov")
PESKOV = cite("answer", "Dmitry Peskov")
JOURNALIST = cite("question", "Journalist")
TITLE = cite("title", None)


def test_one_speaker_is_named():
    assert lead_in([USHAKOV, USHAKOV], "en") == "Yury Ushakov said:"


def test_a_speaker_labelled_in_lower_case_opens_the_lead_in_with_a_capital():
    president = cite("answer", "the President")  # a transcript's "THE PRESIDENT:"
    assert lead_in([president], "en") == "The President said:"
    assert lead_in([president, PESKOV], "en") == "The President and Dmitry Peskov said:"
    asked = "Did the President say no?"
    no = cite("answer", "the President", "No, I never said that.")
    assert lead_in([no], "en", question=asked) == "No. The President said:"


def test_several_speakers_are_named_once_each_in_order():
    assert lead_in([USHAKOV, PESKOV, USHAKOV], "en") == "Yury Ushakov and Dmitry Peskov said:"


def test_a_journalists_question_is_labelled_as_the_journalists_not_the_answerers():
    text = lead_in([JOURNALIST, JOURNALIST], "en", answerer="Yury Ushakov")
    assert text == (
        "A journalist asked this (it is the journalist's question, not Yury Ushakov's words):"
    )
    assert "the speaker's words" in lead_in([JOURNALIST], "en")
    assert JOURNALIST.speaker_label == "Journalist (question)"


def test_a_named_askers_question_is_labelled_as_theirs():
    member = cite("question", "Stephen Twigg")
    assert lead_in([member], "en", answerer="William Hague") == (
        "Stephen Twigg asked this (it is Stephen Twigg's question, not William Hague's words):"
    )
    assert lead_in([member], "fr", answerer="William Hague").startswith("C'est la question de")
    # a member and a journalist, or two members: no one asker's lead-in, and nobody called a
    # journalist who is not one
    for askers in ([member, JOURNALIST], [member, cite("question", "Senator Collins")]):
        assert lead_in(askers, "en", answerer="William Hague") == (
            "These are questions, not William Hague's words; each quote with who asked it:"
        )
    assert lead_in([member, JOURNALIST], "de").startswith("Das sind Fragen")


def test_an_audience_members_question_is_labelled_as_the_audiences():
    audience = cite("question", "Audience member")
    assert lead_in([audience, audience], "en", answerer="James Snell") == (
        "Someone in the audience asked this (it is their question, not James Snell's words):"
    )
    assert lead_in([audience], "es").startswith("Es una pregunta del público")
    # an audience member and a journalist: neither's lead-in
    assert lead_in([audience, JOURNALIST], "en").startswith("These are questions")


def test_a_journalists_question_beside_someones_words_gets_no_one_speakers_lead_in():
    # neither "A journalist asked this" over Ushakov's words nor "Yury Ushakov said" over the
    # journalist's: each quote carries its own speaker
    for mixed in ([JOURNALIST, USHAKOV], [USHAKOV, JOURNALIST], [TITLE, USHAKOV]):
        assert lead_in(mixed, "en", answerer="Yury Ushakov") == (
            "From the statement, each quote with its speaker:"
        )
    assert lead_in([JOURNALIST, PESKOV], "de").startswith("Aus der Erklärung")


def test_the_heading_and_an_unnamed_speaker():
    assert lead_in([TITLE], "en") == "The statement's heading says:"
    assert lead_in([cite("statement", None)], "en") == "Unknown speaker said:"


def test_abstentions_and_refused_requests():
    assert lead_in([], "en") == abstention("en") == "The statement does not say."
    assert abstention("en", is_request=True).startswith("The statement does not say. I only")
    assert "инструкции" in abstention("ru", is_request=True)
    assert lead_in([], "en", small_talk=True).startswith("I answer questions about the statement")
    assert lead_in([], "fr", small_talk=True).startswith("Je réponds")


def test_russian_lead_ins_say_the_quotes_are_in_the_statements_language():
    assert lead_in([USHAKOV], "ru") == "Yury Ushakov сказал (цитата на языке заявления):"
    assert lead_in([JOURNALIST], "ru", answerer="Yury Ushakov").startswith("Это вопрос журналиста")
    assert lead_in([], "xx") == "The statement does not say.", "an unknown language: English"


def test_a_yes_no_question_settled_by_the_quotes_first_word_is_answered_yes_or_no():
    yes = cite("answer", "Vladimir Putin", "Yes, I do.")
    no = cite("answer", "John Kirby", "No, these are two different things.")
    vague = cite("answer", "Yury Ushakov", "No compromise option has yet been found.")
    question = "Does Putin at least bring his grandchildren toys?"
    assert lead_in([yes], "en", question=question) == "Yes. Vladimir Putin said:"
    assert lead_in([no], "en", question="Is it part of one deal?") == "No. John Kirby said:"
    assert lead_in([yes], "fr", question=question).startswith("Oui. ")
    # no verdict that the quote does not state, and none for a question that is not yes/no
    assert lead_in([vague], "en", question="Was a compromise reached?") == "Yury Ushakov said:"
    assert lead_in([yes], "en", question="What does Putin bring?") == "Vladimir Putin said:"
    # an answer more likely wrong than right gets no verdict: its "Yes," may answer another
    # question (a witness's "Yes, at the Trump Organization." quoted for "Did Pecker attend?")
    assert lead_in([yes], "en", question=question, sure=False) == "Vladimir Putin said:"
    # a journalist's "No, ..." is not the official's answer
    asked = cite("question", "Journalist", "No, I mean: do you bring them toys?")
    assert not lead_in([asked], "en", question=question).startswith("No.")
