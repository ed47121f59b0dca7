"""Questions about the document's own date, time and place: which questions are about the
setting, which lines answer them (nobody's words only), and the selector quoting them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from quotebot.bot.composer import lead_in
from quotebot.bot.question import prepare
from quotebot.bot.records import Citation
from quotebot.bot.retriever import Retriever
from quotebot.bot.scoring import load_scoring
from quotebot.bot.selector import select
from quotebot.bot.setting import (
    DATE,
    PLACE,
    TIME,
    WHEN,
    asked_setting,
    metadata_date,
    setting_lines,
)

SCORING = load_scoring()

GAGGLE = """Press Gaggle by the Press Secretary

Via Teleconference

11:06 A.M. EST

MODERATOR: Thanks for joining us. The Press Secretary has a few words at the top.

MS. JONES: Thanks. On May 9, the Prime Minister came here at 4:00 p.m. We met in the East Room.

Q: When did the Prime Minister arrive, and where did you meet him?

MS. JONES: He arrived on Tuesday, and we met him at the Blair House.

11:33 A.M. EST
"""

HEARING = """HEARING BEFORE THE COMMITTEE ON BANKING

JULY 15, 2008

The Committee met at 10:09 a.m., in room SR-325, Russell Senate Office Building.

Chairman DODD. The Committee will come to order. We adjourned at noon last Tuesday.

Mr. BERNANKE. Thank you, Mr. Chairman. The economy slowed in the first quarter.

Chairman DODD. Thank you. When will inflation come down?

Mr. BERNANKE. We expect it to moderate next year.
"""


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("On what date was the commentary given?", {DATE}),
        ("When did the meeting take place?", {WHEN}),
        ("When was the briefing?", {WHEN}),
        ("What time did the call start and finish?", {TIME}),
        ("What time did the Commons sit that day?", {TIME}),
        ("On what day did this Foreign Office question time take place?", {DATE}),
        ("Where was the interview done?", {PLACE}),
        ("What time did the hearing start, and in which room?", {TIME, PLACE}),
        ("When and in which room did the subcommittee meet?", {WHEN, PLACE}),
        ("What was the date of the briefing?", {DATE}),
        ("What is the location of this press conference?", {PLACE}),
        # about something else than the document's own event
        ("Where did the American envoys go after the meeting?", set()),
        ("When did the Prime Minister of Iraqi Kurdistan come to the Kremlin?", set()),
        ("When was her witness statement signed?", set()),
        ("When is the next round of talks?", set()),
        ("When did the committee vote on the bill?", set()),
        ("How many picks had the Senate confirmed by the time of the briefing?", set()),
        ("When did the President say at the press conference that taxes rise?", set()),
        ("What year was the Al-Nusra Front designated?", set()),
    ],
)
def test_a_question_is_about_the_setting_only_when_it_asks_of_the_document_itself(question, kinds):
    assert asked_setting(question) == frozenset(kinds)


def quoted(index, doc, question):
    lines = setting_lines(index, doc, asked_setting(question), question, SCORING.setting_max_words)
    source = index.source(doc)
    out = []
    for row, j in lines:
        passage = index.passages[row]
        assert passage.role == "title" or passage.speaker is None, "nobody's words only"
        s, e = passage.sentences[j]
        out.append(source[s:e].strip())
    return out


def test_the_lines_that_are_nobodys_words_answer_and_speech_never_does(indexed):
    index, doc = indexed("gaggle.txt", GAGGLE)
    assert quoted(index, doc, "What time did the gaggle start?") == ["11:06 A.M."]
    assert quoted(index, doc, "What time did the gaggle end?") == ["11:33 A.M."]
    assert quoted(index, doc, "When did the gaggle end?") == ["11:33 A.M."]
    assert quoted(index, doc, "What time did the call start and finish?") == [
        "11:06 A.M.",
        "11:33 A.M.",
    ]
    assert quoted(index, doc, "Where was the briefing held?") == ["Via Teleconference"]
    # the Press Secretary's "On May 9" and "Tuesday" are speech: no line states the date
    assert quoted(index, doc, "On what date was the briefing held?") == []
    assert quoted(index, doc, "When was the briefing?") == ["11:06 A.M."]


def test_unlabelled_speech_between_the_turns_is_not_the_records_own(indexed):
    index, doc = indexed("gaggle.txt", GAGGLE)
    # as if "MS. JONES:" had not been recognised: her words, with no speaker, between turns
    passages = [
        replace(p, speaker=None, role="statement") if "On May 9" in p.text else p
        for p in index.passages
    ]
    unlabelled = replace(index, passages=passages)
    assert quoted(unlabelled, doc, "On what date was the briefing held?") == []
    assert quoted(unlabelled, doc, "What time did the gaggle end?") == ["11:33 A.M."]
    # most of the text without a speaker: the labels were missed, and only the heading's lines
    # (title) are the record's own, wherever the unlabelled speech comes
    missed = replace(index, passages=[replace(p, speaker=None) for p in passages])
    assert quoted(missed, doc, "On what date was the briefing held?") == []
    assert quoted(missed, doc, "When was the briefing?") == ["11:06 A.M."]


def test_a_line_holding_every_kind_asked_comes_first_and_a_date_beats_a_time(indexed):
    index, doc = indexed("hearing.txt", HEARING)
    assert quoted(index, doc, "When was the hearing held?") == ["JULY 15, 2008"]
    assert quoted(index, doc, "What time did the hearing start, and in which room?") == [
        "The Committee met at 10:09 a.m., in room SR-325, Russell Senate Office Building."
    ]
    assert quoted(index, doc, "Where did the hearing take place?") == [
        "The Committee met at 10:09 a.m., in room SR-325, Russell Senate Office Building."
    ]


def test_asked_when_a_time_line_comes_with_the_metadata_date_it_lacks(indexed):
    index, doc = indexed("gaggle.md", "---\ndate: '2024-05-09'\n---\n" + GAGGLE)
    assert index.documents[doc].date == "2024-05-09"

    def dated(question):
        kinds = asked_setting(question)
        lines = setting_lines(index, doc, kinds, question, SCORING.setting_max_words)
        return metadata_date(index, doc, kinds, lines)

    assert dated("When was the briefing?") == "2024-05-09"  # its lines: "11:06 A.M." only
    assert dated("What time did the gaggle start?") is None  # a time is what was asked
    assert dated("Where was the briefing held?") is None
    hearing, name = indexed("hearing.txt", HEARING)  # "JULY 15, 2008" is quoted: no more
    lines = setting_lines(hearing, name, frozenset({WHEN}), "When?", SCORING.setting_max_words)
    assert metadata_date(hearing, name, frozenset({WHEN}), lines) is None
    # the lead-in says it as the metadata's, before whose words the quotes are
    cite = Citation("gaggle#p01", "gaggle", None, "title", 0, 10, "11:06 A.M.")
    assert lead_in([cite], "en", dated="2024-05-09") == (
        "Its metadata dates the document 2024-05-09. The statement's heading says:"
    )


def test_the_selector_quotes_the_setting_with_its_configured_confidence(fake_index, fake_embedder):
    ranker = Retriever(fake_index, {"fake": fake_embedder}, SCORING, primary="fake")
    scoring = replace(SCORING, setting_confidence=0.75)

    def ask(question):
        query = prepare(question, [], 2000, fake_index.lexicon)
        return select(query, ranker.evidence(query), fake_index, scoring, 3)

    chosen = ask("On what date was the commentary given?")
    (quote,) = chosen.quotes
    passage = fake_index.passages[quote.row]
    text = fake_index.source(passage.doc)[slice(*passage.sentences[quote.first])]
    assert passage.role == "title" and "December 3, 2025" in text
    assert chosen.confidence == 0.75
    # the seed states no time of day: the models decide, as for any question
    assert ask("What time did the meeting begin?").confidence != 0.75
