"""Chrome stripping, speaker turns, sentences and offsets (pure logic, no models)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from quotebot.index.records import Document
from quotebot.index.segment import (
    MAX_SENTENCE_CHARS,
    content_start,
    parse_label,
    person_name,
    segment,
    sentence_spans,
)
from quotebot.index.text import normalise


def doc(text: str, name: str = "statement") -> Document:
    return Document(name, f"{name}.txt", text, "0" * 64)


def test_chrome_before_the_title_is_dropped(seed_text):
    passages = segment(doc(seed_text))
    start = content_start(seed_text)
    assert seed_text[start:].startswith("Commentary by")
    everything = " ".join(p.text for p in passages)
    for chrome in ("View settings", "Font size:", "Site colours:", "Official website", "Документ"):
        assert chrome not in everything


def test_seed_turns_roles_and_speakers(seed_text):
    passages = segment(doc(seed_text))
    first = passages[0]
    assert first.role == "title" and first.text.startswith("Commentary by Aide")
    assert passages[1].role == "title" and passages[1].text.startswith("December 3, 2025")
    opening = [p for p in passages if p.role == "statement"]
    assert opening[0].speaker == "Yury Ushakov" and opening[0].text.startswith("As you know")
    assert {p.turn for p in opening} == {1}
    questions = [p for p in passages if p.role == "question"]
    answers = [p for p in passages if p.role == "answer"]
    assert len(questions) == seed_text.count("\nQuestion:") == 11
    assert {p.speaker for p in questions} == {"Journalist"}
    assert {p.speaker for p in answers} == {"Yury Ushakov"}
    by_id = {p.id: p for p in passages}
    for a in answers:
        q = by_id[a.question_id]
        assert q.role == "question" and q.turn == a.turn - 1
    no_compromise = next(p for p in answers if "No compromise option" in p.text)
    assert "compromise reached" in by_id[no_compromise.question_id].text
    # labels are not part of the passage text
    assert not any(p.text.startswith(("Question:", "Yury Ushakov:")) for p in passages)


def test_ids_are_stable_and_ordered(seed_text):
    passages = segment(doc(seed_text))
    assert [p.id for p in passages] == [f"statement#p{i:02d}" for i in range(1, len(passages) + 1)]
    assert passages == segment(doc(seed_text))
    assert all(a.end <= b.start for a, b in zip(passages, passages[1:], strict=False))


def test_every_passage_and_sentence_is_its_normalised_source_span(seed_text):
    passages = segment(doc(seed_text))
    assert "\u00a0" in seed_text  # the rule matters: the source is full of NBSPs
    for p in passages:
        assert normalise(seed_text[p.start : p.end]) == p.text
        assert p.sentences[0][0] == p.start and p.sentences[-1][1] == p.end
        for s, e in p.sentences:
            sentence = seed_text[s:e]
            assert sentence == sentence.strip() and normalise(sentence)
        assert "\u00a0" not in p.text


def test_long_paragraph_is_split_at_sentence_boundaries(seed_text):
    passages = segment(doc(seed_text), max_sentences=2, max_chars=10_000)
    assert all(len(p.sentences) <= 2 for p in passages)
    paragraph = [p for p in passages if p.turn == 1 and p.role == "statement"]
    assert len(paragraph) > 5


def test_sentences_do_not_break_after_abbreviations():
    text = "We met Mr. Witkoff at 5 p.m. today. It went well! Did it? Yes."
    spans = sentence_spans(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == [
        "We met Mr. Witkoff at 5 p.m. today.",
        "It went well!",
        "Did it?",
        "Yes.",
    ]
    text = "Will my right hon. Friend give us an update? The Rt. Hon. Member for Kettering did."
    spans = sentence_spans(text, 0, len(text))
    assert [text[s:e] for s, e in spans] == [
        "Will my right hon. Friend give us an update?",
        "The Rt. Hon. Member for Kettering did.",
    ]


def test_windows_line_endings_keep_offsets():
    text = "Title of it\r\n\r\nQuestion: Is it so?\r\n\r\nJane Roe: It is so. Indeed.\r\n"
    passages = segment(doc(text))
    assert [p.role for p in passages] == ["title", "question", "answer"]
    for p in passages:
        assert normalise(text[p.start : p.end]) == p.text and "\r" not in p.text
    assert passages[2].speaker == "Jane Roe" and passages[2].question_id == passages[1].id


def test_plain_prose_without_speakers_becomes_paragraph_passages():
    text = "First paragraph here. It has two sentences.\n\nSecond one, alone.\n"
    passages = segment(doc(text, "prose"))
    assert [p.text for p in passages] == [
        "First paragraph here. It has two sentences.",
        "Second one, alone.",
    ]
    assert all(p.speaker is None and p.role == "statement" for p in passages)
    assert [p.turn for p in passages] == [1, 2]


def test_a_colon_inside_a_sentence_is_not_a_speaker():
    text = "In other words: we agreed.\n\nQuestion: You said: we agreed?\n"
    passages = segment(doc(text))
    assert passages[0].speaker is None and passages[0].text == "In other words: we agreed."
    assert passages[1].role == "question" and passages[1].text == "You said: we agreed?"


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("ab .?!:\n\u00a0\r\tQuestion:YuryUshakov*()[]_#1:.ENDM")),
        max_size=300,
    )
)
def test_fuzz_offsets_stay_inside_the_source_and_match(text):
    for p in segment(doc(text)):
        assert 0 <= p.start < p.end <= len(text)
        assert normalise(text[p.start : p.end]) == p.text != ""
        for s, e in p.sentences:
            assert p.start <= s < e <= p.end


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"ab AB,.()[]:|-'*\n", "Mr", "HORNER", "of", "The", "Q", "1"]),
        max_size=30,
    ).map("".join)
)
def test_fuzz_any_label_text_is_read_or_refused_without_failing(raw):
    parse_label(raw)  # a heading listing several ("Christian HORNER (Red Bull), Toto ...") failed


def test_a_bold_heading_listing_several_people_is_no_label():
    text = (
        "**Part One: Christian HORNER (Red Bull Racing), Toto WOLFF (Mercedes)**\n\n"
        "**Q: (Jon Noble – Motorsport.com) Toto, a question for you.**\n\n"
        "**Toto WOLFF:** Yes.\n"
    )
    assert parse_label("Christian HORNER (Red Bull Racing), Toto WOLFF (Mercedes)") is None
    assert segment(doc(text))[-1].speaker == "Toto Wolff"


def roles_and_speakers(text: str) -> list[tuple[str, str | None, str]]:
    return [(p.role, p.speaker, p.text) for p in segment(doc(text, "t"))]


def test_white_house_labels_titles_and_a_bare_q():
    text = (
        "MS. JEAN-PIERRE:  Good afternoon.\n\n"
        "Q    Is the deal done?\n\n"
        "MS. JEAN-PIERRE:  Not yet. (Laughter.) We are close.\n\n"
        "Q: And the summit?\n\n"
        "Q. Anything else?\n\n"
        "SECRETARY BLINKEN:  The summit is on.\n\n"
        "QUESTION: Where?\n\n"
        "THE PRESIDENT:  In Geneva.\n\n"
        "PRESIDENT BIDEN:  Yes, Geneva.\n\n"
        "END    1:52 P.M. EST\n\n"
        "Stay connected with the White House.\n"
    )
    got = roles_and_speakers(text)
    assert got == [
        ("statement", "Ms. Jean-Pierre", "Good afternoon."),
        ("question", "Journalist", "Is the deal done?"),
        ("answer", "Ms. Jean-Pierre", "Not yet."),
        ("answer", "Ms. Jean-Pierre", "We are close."),
        ("question", "Journalist", "And the summit?"),
        ("question", "Journalist", "Anything else?"),
        ("answer", "Secretary Blinken", "The summit is on."),
        ("question", "Journalist", "Where?"),
        ("answer", "President Biden", "In Geneva."),
        ("answer", "President Biden", "Yes, Geneva."),
    ]


def test_labels_on_their_own_line_and_moderator_and_russian_question():
    text = (
        "MODERATOR:\nWelcome, everyone.\n\n"
        "Вопрос:\nКогда?\n\n"
        "Dmitry Peskov:\nСкоро.\n\nЕщё абзац.\n"
    )
    got = roles_and_speakers(text)
    assert got == [
        ("moderator", "Moderator", "Welcome, everyone."),
        ("question", "Journalist", "Когда?"),
        ("answer", "Dmitry Peskov", "Скоро."),
        ("answer", "Dmitry Peskov", "Ещё абзац."),
    ]


def test_prose_with_colons_is_not_a_label():
    text = (
        "Jane Roe: We start.\n\n"
        "Note: the figures are provisional.\n\n"
        "Washington, D.C.: a city of monuments.\n\n"
        "In Ukraine: the front holds.\n\n"
        "Question: Is that so?\n\n"
        "Jane Roe: It is.\n"
    )
    got = roles_and_speakers(text)
    assert [g[1] for g in got] == ["Jane Roe"] * 4 + ["Journalist", "Jane Roe"]
    assert got[1][2] == "Note: the figures are provisional."
    assert got[2][2] == "Washington, D.C.: a city of monuments."
    assert got[3][2] == "In Ukraine: the front holds."


def test_hansard_labels_map_short_forms_to_one_member():
    text = (
        "Syria\n\n"
        "1. Mr William Hague (Richmond (Yorks)) (Con): Will the Minister act? [1234]\n\n"
        "The Minister of State, Foreign Office (Jane Roe): We shall.\n\n"
        "Mr Hague: When?\n\n"
        "Jane Roe: Soon.\n\n"
        "Mr Speaker: Order.\n"
    )
    got = roles_and_speakers(text)
    assert got == [
        ("title", None, "Syria"),
        ("question", "William Hague", "Will the Minister act?"),  # [1234] is no speech
        ("answer", "Jane Roe", "We shall."),
        ("question", "William Hague", "When?"),
        ("answer", "Jane Roe", "Soon."),
        ("moderator", "Mr Speaker", "Order."),
    ]


def test_time_stamps_stage_lines_and_markdown_bold_labels():
    text = (
        "*(10.54 am)*\n\n"
        "**Ms Ann Lee**: Is it true?\n\n"
        "**Mr Bo Chan:** It is, and it has been true for many years now.\n\n"
        "[00:00:01:02]\nMs Ann Lee: Thank you?\n"
        "Mr Bo Chan: Yes.\n\n"
        "*(The witness withdrew)*\n"
    )
    got = roles_and_speakers(text)
    assert [(r, s) for r, s, _ in got] == [
        ("question", "Ann Lee"),
        ("answer", "Bo Chan"),
        ("question", "Ann Lee"),
        ("answer", "Bo Chan"),
    ]
    assert [t for *_, t in got][2:] == ["Thank you?", "Yes."]


def test_a_second_guest_answers_too_but_a_chair_who_asks_does_not():
    guests = (
        "Ann Host: Welcome, both of you. How did it start?\n\n"
        "Rob Pike: We were waiting for a build, a long one, and we started talking about it.\n\n"
        "Ann Host: And who wrote the first spec?\n\n"
        "Robert Griesemer: I wrote most of the first draft, and we argued over every line.\n\n"
        "Ann Host: Did it change much?\n\n"
        "Rob Pike: A lot. Every week something went out and something else came in again.\n\n"
        "Ann Host: Why?\n\n"
        "Robert Griesemer: Because we kept finding simpler ways to say the same thing.\n"
    )
    roles = {(s, r) for r, s, _ in roles_and_speakers(guests)}
    assert roles == {
        ("Ann Host", "question"),
        ("Rob Pike", "answer"),
        ("Robert Griesemer", "answer"),
    }
    hearing = (
        "Chairman Dodd: The committee will come to order. We welcome the Chairman today, and we "
        "thank him for the report he brings us, the second this year. Does he see a recession?\n\n"
        "Ben Bernanke: Growth has been slow this year, the labour market has softened, and the "
        "risks to growth remain to the downside, as the report sets out in some detail.\n\n"
        "Senator Shelby: Is inflation the bigger risk now?\n\n"
        "Ben Bernanke: Both risks matter, and we watch them closely, as we always have done; "
        "prices of energy and food have risen sharply, and expectations must stay anchored.\n\n"
        "Senator Shelby: What about the banks?\n\n"
        "Ben Bernanke: The banks are raising capital, which is welcome, and they should do more; "
        "supervisors are pressing them to, and the discount window stays open to them.\n\n"
        "Chairman Dodd: Thank you, Senator. We will now hear from Senator Bennett after a short "
        "pause, and then we will adjourn for the day as planned and agreed with the members.\n"
    )
    roles = {(s, r) for r, s, _ in roles_and_speakers(hearing)}
    assert ("Ben Bernanke", "answer") in roles and ("Senator Shelby", "question") in roles
    assert ("Chairman Dodd", "answer") not in roles  # he asks more often than the witness


def test_labels_with_time_stamps_name_the_same_speaker_each_turn():
    # a podcast's "Name (mm:ss):" on its own line, and a machine transcript's "[hh:mm:ss] Name
    # (Affiliation):" for a hearing where council members question company witnesses
    text = (
        "Lenny Rachitsky (00:00):\nWhat matters most to you?\n\n"
        "Marc Benioff (00:09):\nI never look at the stock.\n\n"
        "Lenny Rachitsky (00:17):\nWhy not?\n\n"
        "Marc Benioff (00:24):\nIt is distracting.\n"
    )
    got = roles_and_speakers(text)
    assert [s for _, s, _ in got] == ["Lenny Rachitsky", "Marc Benioff"] * 2
    assert [t for *_, t in got] == [
        "What matters most to you?",
        "I never look at the stock.",
        "Why not?",
        "It is distracting.",
    ]
    text = (
        "[02:25:40] CM Ann Lee: How do you label generated images?\n\n"
        "[02:26:11] Morgan Dwyer (OpenAI): We embed a watermark.\n\n"
        "[02:27:02] CM Ann Lee: And text?\n\n"
        "[02:27:30] Logan Graham (Anthropic): Not yet, and nobody reliably can.\n\n"
        "[02:28:05] CM Bo Chan: Who checks it?\n\n"
        "[02:28:40] Morgan Dwyer (OpenAI): Independent auditors check it every year.\n"
    )
    got = roles_and_speakers(text)
    assert [(r, s) for r, s, _ in got] == [
        ("question", "CM Ann Lee"),
        ("answer", "Morgan Dwyer"),
        ("question", "CM Ann Lee"),
        ("answer", "Logan Graham"),  # a second witness answers too
        ("question", "CM Bo Chan"),  # not an asker, but this turn asks the witness
        ("answer", "Morgan Dwyer"),
    ]
    assert got[1][2] == "We embed a watermark."  # no time stamp or label in the quote
    got = roles_and_speakers(
        "**Rob Pike:** [04:22] 45 minutes.\n\n[05:10] Then more.\n\n**Jon Calhoun:** Wow.\n"
    )
    assert [(s, t) for _, s, t in got] == [
        ("Rob Pike", "45 minutes."),
        ("Rob Pike", "Then more."),
        ("Jon Calhoun", "Wow."),
    ]


def test_a_congressional_hearings_titled_labels_end_with_a_full_stop():
    # the Government Publishing Office's record: "Senator Shelby." opens a turn, lines wrap
    text = (
        "    Chairman Dodd. You will be looking at the margin\n"
        "requirement issue. Is that----\n"
        "    Mr. Bernanke. We will be looking at the whole range of\n"
        "issues about transparency.\n"
        "    Chairman Dodd. Thank you very much. Senator Shelby?\n"
        "    Senator Shelby. Mr. Chairman, how large are the losses?\n"
        "    Mr. Bernanke. They are not yet known.\n"
    )
    got = roles_and_speakers(text)
    assert [s for _, s, _ in got] == [
        "Chairman Dodd",
        "Mr. Bernanke",
        "Chairman Dodd",
        "Senator Shelby",
        "Mr. Bernanke",
    ]
    assert got[1][2] == "We will be looking at the whole range of issues about transparency."
    # the record's images of a prepared statement's pages are not its words
    pages = text.replace(
        "    Mr. Bernanke. They", "    [GRAPHIC] [TIFF OMITTED] T7816A.001\n    Mr. Bernanke. They"
    )
    assert [t for _, _, t in roles_and_speakers(pages)] == [t for _, _, t in got]
    # nor is a footnote set between rules; the words after it are the speaker's still
    footnote = text.replace(
        "issues about transparency.\n",
        "issues about transparency.\n" + "-" * 75 + "\n"
        "    \\1\\ The prepared statement of Mr. Bernanke appears in the\n"
        "Appendix on page 42.\n" + "-" * 75 + "\n"
        "    Our review goes on.\n",
    )
    noted = roles_and_speakers(footnote)
    assert not any("prepared statement" in t or "Appendix" in t for _, _, t in noted)
    assert (got[1][0], "Mr. Bernanke", "Our review goes on.") in noted
    # one such line in prose is no label
    prose = "Senator Shelby. The name alone opens this line.\n\nIt goes on.\n"
    assert {s for _, s, _ in roles_and_speakers(prose)} == {None}


def test_a_hearings_opening_statements_ask_and_answer_nothing_and_its_chairman_asks():
    # members' long opening statements come before the witness speaks: none is an answer (not
    # even after the ranking member's, who asks later), none a question; then the chairman's
    # turn that asks the witness is a question, his turns that give the floor are statements
    text = (
        "    Mr. Rush. The subcommittee will come to order. I recognize Mr. Radanovich.\n"
        "    Mr. Radanovich. Thank you. Consumers deserve protection from scams and fraud, and"
        " this hearing will look at what the agency has done.\n"
        "    Mr. Rush. The chair recognizes Mr. Waxman.\n"
        "    Mr. Waxman. Thank you. Foreclosure rescue scams have spread across the country,"
        " and families have lost their homes to them. We must act on this, and soon, with"
        " every tool that the agency has.\n"
        "    Mr. Rush. The chair recognizes the witness.\n"
        "    Mr. Leibowitz. Thank you. The agency has brought many cases against these scams,"
        " and it will bring more of them this year, with new rules on mortgage relief.\n"
        "    Mr. Rush. Thank you. What new authority do you need?\n"
        "    Mr. Leibowitz. Rulemaking authority under the usual procedure.\n"
        "    Mr. Rush. My time is up. Mr. Radanovich.\n"
        "    Mr. Radanovich. What rules would you propose first?\n"
        "    Mr. Leibowitz. Rules on debt settlement.\n"
        "    Mr. Radanovich. And what penalties would you ask for?\n"
        "    Mr. Leibowitz. Civil penalties for first violations.\n"
    )
    got = [(r, s) for r, s, _ in roles_and_speakers(text)]
    assert got == [
        ("statement", "Mr. Rush"),
        ("statement", "Mr. Radanovich"),
        ("statement", "Mr. Rush"),
        ("statement", "Mr. Waxman"),
        ("statement", "Mr. Rush"),
        ("statement", "Mr. Leibowitz"),  # testimony, before any question
        ("question", "Mr. Rush"),
        ("answer", "Mr. Leibowitz"),
        ("statement", "Mr. Rush"),
        ("question", "Mr. Radanovich"),
        ("answer", "Mr. Leibowitz"),
        ("question", "Mr. Radanovich"),
        ("answer", "Mr. Leibowitz"),
    ]


def test_a_web_pages_see_also_links_and_a_rosters_capital_names_are_not_speech():
    text = (
        "Question: Will you visit China again?\n\n"
        "Vladimir Putin: Yes, next year.\n\n"
        "Question: When?\n\n"
        "Vladimir Putin: In the spring.\n\n"
        "See also\n\nGeography\n\nPeople's Republic of China\n\nTopics\n\n"
        "Foreign policy\n\nPublication status\n\nDirect link: en.kremlin.ru/d/60396\n"
    )
    assert roles_and_speakers(text)[-1] == ("answer", "Vladimir Putin", "In the spring.")
    # a title before the surname is no first name, and the header's capitals are a name
    briefing = (
        "Press Briefing by Jen Psaki and FEMA Administrator Deanne Criswell\n\n"
        "ADMINISTRATOR CRISWELL:  Good morning.\n\nQ    Is the funding enough?\n\n"
        "ADMINISTRATOR CRISWELL:  Yes, it is.\n"
    )
    assert {s for _, s, _ in roles_and_speakers(briefing) if s} == {
        "Deanne Criswell",
        "Journalist",
    }
    roster = (
        "JOE BARTON, Texas\n\n"
        "    Mr. Rush. Thank you. Mr. Barton?\n"
        "    Mr. Barton. Thank you, Mr. Chairman.\n"
        "    Mr. Rush. Thank you.\n"
    )
    assert "Joe Barton" in {s for _, s, _ in roles_and_speakers(roster)}


def test_a_short_surname_after_an_honorific_and_a_mc_surname_are_shown_in_title_case():
    hearing = (
        "MRS. McCARTHY: Thank you, Mr. Chairman. What is the outlook for jobs?\n\n"
        "MR. KOO: The outlook is weak, and it will stay weak for a while, I am afraid.\n\n"
        "MRS. McCARTHY: Why?\n\n"
        "MR. KOO: Because households are paying down debt instead of spending.\n"
    )
    assert [s for _, s, _ in roles_and_speakers(hearing)] == ["Mrs. McCarthy", "Mr. Koo"] * 2
    # a short capital word with no honorific before it is left alone
    unknown = (
        "MR. LEE: Hello there. How are you?\n\n"
        "UKN: Hi. I am fine, thank you very much for asking.\n\nMR. LEE: Good.\n"
    )
    assert [s for _, s, _ in roles_and_speakers(unknown)] == ["Mr. Lee", "UKN", "Mr. Lee"]


def test_a_town_halls_host_asks_beside_the_audiences_labelled_questions():
    # CNN's town hall: the audience's questions are labelled, the host's are not; before
    # segmentation 20 the host's words after an audience question were the President's answers
    town_hall = (
        "MR. COOPER: Mr. President, thank you for being here. What is your plan for schools?\n\n"
        "THE PRESIDENT: We will open most schools within the first hundred days. We have the "
        "money in the plan for ventilation, for testing and for more teachers.\n\n"
        "MR. COOPER: Just to be clear, is that five days a week?\n\n"
        "THE PRESIDENT: Not necessarily. It depends on the district.\n\n"
        "AUDIENCE MEMBER: Thank you. When will teachers get vaccinated?\n\n"
        "THE PRESIDENT: Teachers should be near the front of the line.\n\n"
        "MR. COOPER: The CDC says they are not essential. Do you disagree?\n\n"
        "THE PRESIDENT: I think they should be vaccinated. They are in the classroom every day "
        "with children, and they deserve the same protection as anyone else who works.\n"
    )
    got = [(r, s) for r, s, _ in roles_and_speakers(town_hall)]
    assert {r for r, s in got if s == "Mr. Cooper"} == {"question"}
    assert {r for r, s in got if s == "The President"} == {"answer"}
    assert ("question", "Audience member") in got
    # ... but a leader who calls on reporters ("Sam?") at a joint press conference asks nobody:
    # segmentation 20 had made the Prime Minister an asker, his words unquotable
    presser = (
        "PRESIDENT BIDEN: Good afternoon. The Prime Minister and I agreed on a new plan today, "
        "and we will work on it together in the coming months.\n\n"
        "PRIME MINISTER SUNAK: Thank you, Mr. President. Our partnership is stronger than ever, "
        "and this week alone we secured new investment for both our countries. Sam?\n\n"
        "Q Thank you. Mr. Prime Minister, what about trade?\n\n"
        "PRIME MINISTER SUNAK: We are working on it, step by step, sector by sector, as we "
        "always have. Beth?\n\n"
        "Q Mr. President, will you visit London?\n\n"
        "PRESIDENT BIDEN: Yes, I will, and I look forward to it very much. London is a great "
        "city, and the British people have been our friends and allies for generations, in war "
        "and in peace, and they will be for generations to come. I have been there many times, "
        "and every time I leave I want to go back.\n\n"
        "PRIME MINISTER SUNAK: And the next question? Go ahead.\n\n"
        "Q On defence spending, will Britain spend more?\n\n"
        "PRIME MINISTER SUNAK: We already spend more than two percent, and we will keep doing so "
        "for as long as it takes.\n"
    )
    got = [(r, s) for r, s, _ in roles_and_speakers(presser)]
    assert "question" not in {r for r, s in got if s == "Prime Minister Sunak"}, got


def test_television_and_radio_labels_name_then_title_and_the_host_asks():
    # CNN's and NPR's "NAME, TITLE:", later the surname alone; a label may stand on its line
    cnn = (
        "WOLF BLITZER, CNN ANCHOR: Senator, will you vote for the bill?\n\n"
        "SEN. CHRIS COONS (D-DE): No, not in its current form.\n\n"
        "BLITZER: Let's bring in our chief political correspondent.\n\n"
        "DANA BASH, CNN CHIEF POLITICAL CORRESPONDENT: Wolf, the votes are not there.\n\n"
        "BLITZER: Why not?\n\n"
        "BASH: The moderates want more time.\n"
    )
    got = [(r, s) for r, s, _ in roles_and_speakers(cnn)]
    assert [s for _, s in got] == ["Wolf Blitzer", "Chris Coons", "Wolf Blitzer", "Dana Bash"] + [
        "Wolf Blitzer",
        "Dana Bash",
    ]
    # the anchor asks (a turn without a question, before the guest speaks, is a statement)
    assert [r for r, s in got if s == "Wolf Blitzer"] == ["question", "statement", "question"]
    assert [r for r, s in got if s == "Dana Bash"] == ["answer", "answer"]
    npr = (
        "STEVE INSKEEP, HOST:\n\nGood morning. What did the court decide?\n\n"
        "NINA TOTENBERG, BYLINE:\n\nSteve, the court ruled 6 to 3.\n\n"
        "INSKEEP:\n\nAnd what happens next?\n\n"
        "TOTENBERG:\n\nThe case goes back down.\n"
    )
    passages = segment(doc(npr, "t"))
    assert [(p.role, p.speaker) for p in passages] == [
        ("question", "Steve Inskeep"),
        ("answer", "Nina Totenberg"),
    ] * 2
    assert [p.question_id for p in passages] == [None, "t#p01", None, "t#p03"]
    # a comma after prose is no label
    prose = "MS. JEAN-PIERRE: Thank you, Mr Speaker: we agree.\n\nQ Really?\n"
    assert [s for _, s, _ in roles_and_speakers(prose)] == ["Ms. Jean-Pierre", "Journalist"]


def test_labels_of_briefings_the_project_had_not_seen():
    text = (
        "ANNOUNCER: Ladies and gentlemen, please remain seated.\n\n"
        "SEC. AUSTIN: Good afternoon. Today I want to talk about Ukraine.\n\n"
        "Q: Mr. Secretary, will you send more tanks? And for President Biden: when?\n\n"
        "SEC. AUSTIN: We will consult with our allies.\n\n"
        "Correspondent: That is not what I asked.\n\n"
        "SEC. AUSTIN: I understand.\n"
    )
    assert [(r, s) for r, s, _ in roles_and_speakers(text)] == [
        ("moderator", "Announcer"),
        ("statement", "Sec. Austin"),
        ("question", "Journalist"),  # "And for President Biden:" is in the question
        ("answer", "Sec. Austin"),
        ("question", "Journalist"),  # the UN's "Correspondent:"
        ("answer", "Sec. Austin"),
    ]
    # a title's abbreviation in a label only: in prose "the SEC." ends a sentence
    prose = "We met the SEC. Is it over?"
    assert [prose[s:e] for s, e in sentence_spans(prose, 0, len(prose))] == [
        "We met the SEC.",
        "Is it over?",
    ]


def test_an_oral_historys_interviewer_asks_and_a_headings_date_may_abbreviate_its_month():
    from quotebot.index.segment import header_metadata

    text = (
        "Interviewer: Was there more sympathy for Britain in New York?\n\n"
        "Mrs. Dugan: Yes, there was. Was it not obvious?\n\n"
        "Dugan: It was.\n\n"
        "Interviewer: And after Pearl Harbor?\n\n"
        "Dugan: Everything changed. We all went.\n"
    )
    assert [(r, s) for r, s, _ in roles_and_speakers(text)] == [
        ("question", "Interviewer"),
        ("answer", "Mrs. Dugan"),  # not an asker for a question of hers
        ("answer", "Dugan"),
        ("question", "Interviewer"),
        ("answer", "Dugan"),
    ]
    header = "# Session 4 | Mandate briefing (Oct 30, 2025)\n\nAlice Smith: Hello.\n"
    assert header_metadata(header) == ("Session 4 | Mandate briefing (Oct 30, 2025)", "2025-10-30")
    assert header_metadata("Briefing\n\n30 Sept. 2025\n\nQ: Hello?\n")[1] == "2025-09-30"
    call = "# TSLA Q2 2025 Earnings Call\n\n**Date:** 2025-07-23\n\nElon Musk: Hello.\n"
    assert header_metadata(call)[1] == "2025-07-23"
    assert header_metadata("# Call\n\nRef 2025-13-45\n\nElon Musk: Hello.\n")[1] is None


def test_an_otter_exports_name_and_time_lines_open_turns():
    text = (
        "Kelly  0:18  \nWelcome to the podcast. I'm Kelly.\n\n"
        "Speaker 1  0:21  \nand I am here too.\n\n"
        "Ali  3:35  \nWe moved off of it.\nIt was slow.\n\n"
        "Kelly  3:50  \nWhy?\n\n"
        "Ali  4:02  \nThe builds.\n\n"
        "Transcribed by https://otter.ai\n"
    )
    got = roles_and_speakers(text)
    assert [s for _, s, _ in got] == ["Kelly", "Speaker 1", "Ali", "Kelly", "Ali"]
    assert got[2][2] == "We moved off of it. It was slow."
    # a time in prose, or a name and a time in a sentence, opens nothing
    prose = "The meeting starts at  10:30\nin the main hall.\n"
    assert {s for _, s, _ in roles_and_speakers(prose)} == {None}


def test_an_interviews_q_is_the_interviewer_its_title_names():
    text = "THE PRESIDENT: Thank you.\n\nQ Who wins today?\n\nTHE PRESIDENT: We will see.\n"
    title = "Interview of President Trump by Jamie Little, “Fox Sports”"
    passages = segment(Document("t", "t.txt", text, "0" * 64, title=title))
    assert [(p.role, p.speaker) for p in passages][1] == ("question", "Jamie Little")
    briefing = Document("t", "t.txt", text, "0" * 64, title="Press Briefing by Jen Psaki")
    assert [p.speaker for p in segment(briefing)][1] == "Journalist"


def test_a_court_records_answers_without_a_full_stop_answer_only_a_q():
    court = (
        "THE COURT: Good morning, jurors.\n"
        "Q Good morning, Mr. Pecker.\n"
        "A Good morning.\n"
        "Q For how long have you known him?\n"
        "A Since the late 80s.\n"
        "Q And where did you meet?\n"
        "A In New York.\n"
    )
    got = [(r, s, t) for r, s, t in roles_and_speakers(court)]
    assert [r for r, _, _ in got] == ["statement"] + ["question", "answer"] * 3
    assert got[2][2] == "Good morning."
    # in a briefing, a paragraph opening "A US official" after the official's words is prose
    briefing = (
        "MS. LEAVITT: Good afternoon.\n\nQ Is the deal done?\n\n"
        "MS. LEAVITT: Not yet.\n\nA US official told us more.\n\n"
        "A French envoy agreed.\n\nA Senate vote follows.\n\nQ When?\n\n"
        "MS. LEAVITT: Soon.\n"
    )
    assert "Witness" not in {s for _, s, _ in roles_and_speakers(briefing)}


def test_a_calls_names_alone_on_their_lines_open_turns_where_nothing_else_labels_them():
    call = (
        "Company Participants\n\nJensen Huang - President & CEO\n\n"
        "Conference Call Participants\n\nJoe Moore - Morgan Stanley\n\n"
        "Operator\n\nGood afternoon. Your first question comes from Joe Moore.\n\n"
        "Joe Moore\n\nGreat. Thank you. How solid is that measurement?\n\n"
        "Jensen Huang\n\nI'll go backwards. The estimate is probably understated.\n\n"
        "It could be higher.\n\n"
        "Operator\n\nThat concludes the call.\n"
    )
    got = [(s, t) for _, s, t in roles_and_speakers(call)]
    assert got[-4:] == [
        ("Joe Moore", "Great. Thank you. How solid is that measurement?"),
        ("Jensen Huang", "I'll go backwards. The estimate is probably understated."),
        ("Jensen Huang", "It could be higher."),
        ("Operator", "That concludes the call."),
    ]
    # section headings alone on their lines, in a transcript labelled otherwise, stay headings
    headed = (
        "Key Points\n\nMS. LEAVITT: We agreed.\n\nQ Really?\n\nNext Steps\n\n"
        "MS. LEAVITT: Talks.\n\nKey Points\n\nQ And?\n\nNext Steps\n\nMS. LEAVITT: More.\n"
    )
    assert {s for _, s, _ in roles_and_speakers(headed)} == {
        None,
        "Ms. Leavitt",
        "Journalist",
    }


def test_bold_paragraphs_of_a_meeting_record_open_turns_where_one_of_them_recurs():
    record = (
        "# Session 4 | Mandate briefing (Oct 30, 2025)\n\n"
        "**IAHWG | Brian Wallace | Co-Chair**\n\nThank you, Martin.\n\n"
        "**UN Secretariat | Meera Haq | Former USG DFS**\n\nMy career spanned 40 years.\n\n"
        "I retired 10 years ago.\n\n"
        "**IAHWG | Brian Wallace | Co-Chair**\n\nI give the floor to Costa Rica.\n\n"
        "**Costa Rica | Representative**\n\nHow were mandates funded?\n\n"
        "**Jane Doe**\n\nA note from me.\n"
    )
    got = [(s, t) for _, s, t in roles_and_speakers(record)]
    assert got[1:] == [
        ("Brian Wallace", "Thank you, Martin."),
        ("Meera Haq", "My career spanned 40 years."),
        ("Meera Haq", "I retired 10 years ago."),
        ("Brian Wallace", "I give the floor to Costa Rica."),
        ("Costa Rica", "How were mandates funded?"),
        ("Jane Doe", "A note from me."),
    ]
    # bold headings that never recur stay text: a report's "**Background**", "**Findings**"
    report = "**Background**\n\nThe fund grew.\n\n**Key Findings**\n\nIt shrank.\n"
    assert {s for _, s, _ in roles_and_speakers(report)} == {None}


def test_voice_tags_in_a_text_file_name_the_speaker_of_each_line():
    text = (
        "00:00:00 <v Michael Kennedy>You ask an AI a question.\n\n"
        "00:00:03 <v Michael Kennedy>Most of the time it is right.\n\n"
        "00:10:30.120 <v Sumit Gundawar>Trust is the real engineering.\n\n"
        "<v.loud Speaker 2>Agreed.\n"
    )
    got = [(s, t) for _, s, t in roles_and_speakers(text)]
    assert got == [
        ("Michael Kennedy", "You ask an AI a question."),
        ("Michael Kennedy", "Most of the time it is right."),
        ("Sumit Gundawar", "Trust is the real engineering."),
        ("Speaker 2", "Agreed."),
    ]


def test_a_court_records_examining_lawyer_asks_the_qs_after_their_line():
    record = (
        "THE COURT: Good morning, jurors.\n\nDIRECT EXAMINATION (Continued.)\n"
        "BY MR. STEINGLASS:\n\nQ Good morning, Mr. Pecker.\nA Good morning.\n"
        "Q How long have you known him?\nA Since the late 80s.\nQ Where?\nA New York.\n\n"
        "CROSS-EXAMINATION BY MS. NECHELES:\n\nQ Is that true?\nA Yes.\n"
    )
    got = [(r, s) for r, s, _ in roles_and_speakers(record) if r in ("question", "answer")]
    assert got == [("question", "Mr. Steinglass"), ("answer", "Witness")] * 3 + [
        ("question", "Ms. Necheles"),
        ("answer", "Witness"),
    ]
    # the lawyer's line is the record's, not the witness's words
    assert ("title", None, "BY MR. STEINGLASS:") in roles_and_speakers(record)
    # "by Mr. Smith:" in speech names no examiner
    spoken = "Q Who wrote it?\nA It was written by Mr. Smith: he said so.\nQ When?\nA May.\n"
    assert {s for r, s, _ in roles_and_speakers(spoken) if r == "question"} == {"Journalist"}


def test_a_podcasts_time_stamp_alone_goes_on_with_the_same_speaker():
    text = (
        "Lenny Rachitsky (00:00):\nWhat did Steve tell you?\n\n"
        "Marc Benioff (00:09):\nHe said to build an ecosystem.\n\n"
        "(10:34):\nSo I did all that and launched AppExchange.\n\n"
        "Lenny Rachitsky (12:59):\nWhat a story.\n"
    )
    got = [(s, t) for _, s, t in roles_and_speakers(text)]
    assert got[1:3] == [
        ("Marc Benioff", "He said to build an ecosystem."),
        ("Marc Benioff", "So I did all that and launched AppExchange."),
    ]


def test_a_title_label_takes_the_name_the_header_gives_without_the_hon_and_mp():
    text = (
        "TRANSCRIPT OF THE PRIME MINISTER THE HON JOHN HOWARD MP PRESS CONFERENCE, CANBERRA\n\n"
        "JOURNALIST:\n\nWill you resign?\n\nPRIME MINISTER:\n\nNo.\n\n"
        "JOURNALIST:\n\nWhy not?\n\nPRIME MINISTER:\n\nBecause.\n"
    )
    assert {s for r, s, _ in roles_and_speakers(text) if r == "answer"} == {"John Howard"}


def test_a_depositions_bare_q_and_a_and_numbered_written_questions():
    text = (
        "Q. Where were you on the night of May 9?\n"
        "A. At home.\n"
        "Q.2. Update on Bear Stearns: what was lent?\n"
        "A.2. The Federal Reserve lent $29 billion.\n"
    )
    got = roles_and_speakers(text)
    assert [(r, s) for r, s, _ in got] == [
        ("question", "Journalist"),
        ("answer", "Witness"),
        ("question", "Journalist"),
        ("answer", "Witness"),
    ]
    assert got[3][2] == "The Federal Reserve lent $29 billion."
    # "A." without any "Q" is prose (a list, an initial)
    assert {r for r, _, _ in roles_and_speakers("A. First point.\n\nA. Second point.\n")} == {
        "statement"
    }


def test_a_preformatted_html_record_keeps_its_lines_and_indented_turns():
    from quotebot.index.formats import read_html

    page = (
        b"<html><body><pre>\n    Chairman Dodd. Is that----\n    Mr. Bernanke. We will look\n"
        b"at it.\n\n    Senator Shelby. Thank you.</pre></body></html>"
    )
    got = read_html(page)
    assert got.text == (
        "Chairman Dodd. Is that----\n\nMr. Bernanke. We will look\nat it.\n\n"
        "Senator Shelby. Thank you.\n"
    )


def test_a_house_hearing_record_names_its_chair_members_and_witnesses():
    from quotebot.index.formats import read_html

    page = (
        b"<html><title> - HEARING</title><body><pre>\n"
        b"                 HOUSE COMMITTEE ON FINANCIAL SERVICES\n\n"
        b"                 BARNEY FRANK, Massachusetts, Chairman\n\n"
        b"JOE BACA, California                 SCOTT GARRETT, New Jersey\n"
        b"DAVID SCOTT, Georgia                 DENNIS MOORE, Kansas\n\n"
        b"                               WITNESSES\n\n"
        b"Massie, Mr. Steve, CEO, Jack L. Massie Contractor Inc., \n"
        b"  Williamsburg, VA.............................     7\n\n"
        b"Prepared Statements:\n"
        b"Massie, Mr. Steve................................    87\n\n"
        b"    The Chairman. The hearing will come to order.\n"
        b"    Mr. Scott. Thank you, Mr. Chairman. Mr. Massie, what do builders need?\n"
        b"    Mr. Massie. Credit. Our line of credit was cut.\n"
        b"    Mr. Moore of Kansas. Thank you, Mr. Massie. Is that so?\n"
        b"    Mr. Massie. Yes.\n</pre></body></html>"
    )
    extracted = read_html(page)
    assert extracted.title == "HEARING"  # the Government Publishing Office's " - HEARING"
    document = Document("hearing", "hearing.html", extracted.text, "0" * 64, title=extracted.title)
    said = [(p.speaker, p.text) for p in segment(document) if p.speaker]
    assert said[0] == ("Barney Frank", "The hearing will come to order.")
    assert {speaker for speaker, _ in said} == {
        "Barney Frank",  # "The Chairman.", named by the committee's roster
        "David Scott",  # not "California Scott" (the roster's two columns)
        "Steve Massie",  # the contents' "Massie, Mr. Steve", not "Jack L. Massie" (a company)
        "Dennis Moore",  # "Mr. Moore of Kansas."
    }
    assert not any(text.startswith("Mr. Moore of Kansas") for _, text in said)


def test_a_hearing_records_contents_and_statement_headings_are_headings_not_words():
    text = (
        "THE EFFECTS OF THE ECONOMIC CRISIS ON COMMUNITY BANKS\n\n"
        "                            WITNESSES\n\n"
        "Koo, Richard C., Chief Economist, the Nomura Research Institute, \n"
        "  Tokyo..........................................................     1\n"
        "Meltzer, Allan H., Professor of Political Economy, Carnegie Mellon \n"
        "  University.....................................................     3\n\n"
        "    Chairman Frank. The hearing will come to order. We begin with Mr. Koo.\n\n"
        "STATEMENT OF RICHARD C. KOO, CHIEF ECONOMIST, THE NOMURA \n"
        "                   RESEARCH INSTITUTE, TOKYO\n\n"
        "    Mr. Koo. Thank you. We do not suffer from deflation.\n\n"
        "    Chairman Frank. Thank you. Mr. Meltzer?\n"
    )
    passages = segment(doc(text))
    said = [(p.speaker, p.text) for p in passages if p.role != "title"]
    assert said == [
        ("Chairman Frank", "The hearing will come to order. We begin with Mr. Koo."),
        ("Mr. Koo", "Thank you. We do not suffer from deflation."),  # not the chairman's words
        ("Chairman Frank", "Thank you. Mr. Meltzer?"),
    ]
    headings = [p.text for p in passages if p.role == "title"]
    assert headings[-1].startswith("STATEMENT OF RICHARD C. KOO")  # 12 words, all in capitals
    assert any(h.startswith("Koo, Richard C., Chief Economist") for h in headings)  # contents
    # a sentence in capitals inside a turn is still words ("WE WILL NOT WAIT."): it ends like one
    shout = segment(doc("Mr. Koo. Thank you.\n\nWE WILL NOT WAIT FOR THEM.\n\nMr. Frank. Yes.\n"))
    assert all(p.role != "title" for p in shout)


def test_a_witness_labelled_by_surname_takes_the_first_name_the_text_introduces():
    text = (
        "HEARING ON FINANCIAL REGULATION\n\n"
        "    Present: Senators Lieberman, McCaskill, and Collins.\n\n"
        "    Chairman Lieberman. Second we have Dr. Jeffrey Carmichael, the inaugural chairman "
        "of the Australian regulator. Then Mr. Nason, and George W. Bush's adviser.\n\n"
        "    Mr. Carmichael. Thank you, Chairman.\n\n"
        "    Mr. Nason. Thank you for having me.\n\n"
        "    Mr. Bush. I yield back.\n"
    )
    said = {p.speaker for p in segment(doc(text)) if p.speaker}
    assert "Jeffrey Carmichael" in said  # "Dr. Jeffrey Carmichael" introduces him
    assert "Mr. Nason" in said  # no first name given: the label's
    assert "Mr. Bush" in said  # "George W. Bush" has no title before it: someone else
    assert "Chairman Lieberman" in said  # not "Senators Lieberman", a plural title


def test_a_pacific_hansards_dash_labels_open_turns_inside_a_paragraph():
    # the record, converted from PDF, runs the turns together in one paragraph
    text = (
        "QUESTIONS\n\n"
        "HON. J. R. VOCEA asked the Government, upon notice: Can the Minister update Parliament? "
        "HON. M. S. N. KAMIKAMICA.- Mr. Speaker, Sir, I thank the honourable Member. We are "
        "developing a law. MR. SPEAKER.- Supplementary question. HON. P.D. KUMAR.- Mr. Speaker, "
        "Sir, what about small loans? HON. M.S.N. KAMIKAMICA.- Those come next year.\n"
    )
    passages = segment(doc(text))
    said = [(p.speaker, p.text) for p in passages if p.speaker]
    assert said == [
        (
            "M. S. N. Kamikamica",
            "Mr. Speaker, Sir, I thank the honourable Member. We are developing a law.",
        ),
        ("Mr. Speaker", "Supplementary question."),  # the chair
        ("P. D. Kumar", "Mr. Speaker, Sir, what about small loans?"),  # "P.D." as "P. D."
        ("M. S. N. Kamikamica", "Those come next year."),
    ]
    assert passages[1].text.startswith("HON. J. R. VOCEA asked")  # a question on notice
    assert next(p.role for p in passages if p.speaker == "Mr. Speaker") == "moderator"
    # a document with one such "label" only is not read as a Hansard
    one = segment(doc("We met. HON. A. B. COOPER.- It was fine. Then we left.\n"))
    assert [p.speaker for p in one] == [None]


def test_front_matter_is_metadata_not_text():
    from quotebot.index.formats import read_markdown, read_text

    yaml_md = b"---\ntitle: A Briefing\ndate: 2025-01-29\nsource: https://x.test/b\n---\nQ  Hi?\n"
    got = read_markdown(yaml_md)
    assert (got.title, got.date, got.source) == ("A Briefing", "2025-01-29", "https://x.test/b")
    assert got.text == "Q  Hi?\n"
    toml_txt = b'+++\ntitle = "Notes"\ndate = 2024-02-06\n+++\nText \\_ here.\n'
    got = read_text(toml_txt)
    assert (got.title, got.date, got.text) == ("Notes", "2024-02-06", "Text \\_ here.\n")
    assert read_markdown(b"Text \\_ here.\n").text == "Text _ here.\n"
    assert read_text(b"---\nnot: [closed\n---\nBody.\n").text.startswith("---")


def test_html_reader_keeps_the_article_and_drops_chrome():
    from quotebot.index.formats import read_html

    page = (
        b"<html><head><title>Talk</title><meta property='og:url' content='https://x.test/t'>"
        b"</head><body><nav><p>Home</p><p>News</p></nav><div class='side'><p>Ad</p></div>"
        b"<article><h1>Talk on trade</h1><p><b>Question:</b> Is it\n  done?</p>"
        b"<p><b>Jane Roe:</b> Yes.<br>Fully.</p></article><footer><p>Copyright</p></footer>"
        b"</body></html>"
    )
    got = read_html(page)
    assert got.text == "Talk on trade\n\nQuestion: Is it done?\n\nJane Roe: Yes.\nFully.\n"
    assert (got.title, got.source) == ("Talk", "https://x.test/t")


def test_a_page_of_bare_divs_reads_each_innermost_div_as_a_paragraph():
    from quotebot.index.formats import read_html

    # a parliament's record converted from PDF: no <p>, each line a <div> of <span>s
    page = (
        b"<html><head><title>ORDERS OF THE DAY</title></head><body>"
        b"<div><span>MR SPEAKER:</span><span>  I see the Honourable \n\nMember. </span></div>"
        b"<div><div><span>HON. M. BROWN:</span><span> I move.</span></div><div><a>Page 8</a>"
        b"</div></div></body></html>"
    )
    got = read_html(page)
    said = "MR SPEAKER: I see the Honourable Member.\n\nHON. M. BROWN: I move."
    assert got.text == said + "\n\nPage 8\n"
    assert got.title == "ORDERS OF THE DAY"


def test_a_fragment_without_a_title_takes_its_heading():
    from quotebot.index.formats import read_html

    page = b"<h1>Press Conference by the President</h1>\n<div><p>THE PRESIDENT: Hello.</p></div>"
    got = read_html(page)
    assert (got.title, got.text) == ("Press Conference by the President", "THE PRESIDENT: Hello.\n")


def test_pdf_lines_join_with_hyphens_mended():
    from quotebot.index.formats import _join_lines, _Line

    lines = [
        _Line(t, 0, 0, 0) for t in ("a well-", "known fact, U.S.-", "Qatar and co\x02", "operation")
    ]
    assert _join_lines(lines) == "a wellknown fact, U.S.-\nQatar and cooperation"


def test_words_pdfium_reports_broken_at_a_line_s_end_are_mended():
    from quotebot.index.formats import _join_lines, _Line

    def joined(*texts: str) -> str:
        return _join_lines([_Line(t, 0.0, 0.0, 0.0) for t in texts])

    # PDFium marks the hyphen of a word broken at a line's end with U+FFFE, inside the line
    assert joined("the holdings of longer\ufffeterm securities") == (
        "the holdings of longer-term securities"
    )
    assert joined("governing pay for vari\ufffeous sectors") == "governing pay for various sectors"
    assert joined("the Chair-to\ufffeTreasury-Secretary call") == (
        "the Chair-to-Treasury-Secretary call"
    )
    # or at the end of a line, the word going on below
    assert joined("known by the ac\ufffe", "ronym EuroCOP") == "known by the acronym EuroCOP"


def unpunctuated(size: int, separator: str, words=("alpha", "beta", "Gamma", "delta")) -> str:
    """About `size` chars of words and no sentence punctuation."""
    unit = separator.join(words) + separator
    return (unit * (size // len(unit) + 1))[:size]


@pytest.mark.parametrize(
    "text",
    [
        unpunctuated(3_000_000, " "),  # one 3 MB "sentence"
        unpunctuated(3_000_000, "\n"),  # one 3 MB paragraph of short lines
        unpunctuated(1_000_000, " ", ("Mr.", "Smith", "met", "Dr.", "Jones")),  # no boundary
        "x" * 5_000 + " " + unpunctuated(5_000, " "),  # a 5,000-char word: cut at the limit
        "Question: " + unpunctuated(50_000, " ") + "\n\nYury Ushakov: Yes. " + "no " * 9_000,
    ],
    ids=["spaces", "lines", "abbreviations", "long-word", "turns"],
)
def test_overlong_sentences_are_cut_so_passages_stay_bounded(text):
    passages = segment(doc(text))
    spans = [span for p in passages for span in p.sentences]
    assert max(e - s for s, e in spans) <= MAX_SENTENCE_CHARS
    assert max(len(p.text) for p in passages) <= 4 * MAX_SENTENCE_CHARS
    words = text.split()
    covered = sum(len(normalise(text[s:e]).split()) for s, e in spans)
    assert covered >= len(words) - 3, "no text is dropped (but speaker labels)"
    for p in passages[:50] + passages[-50:]:
        assert p.text == normalise(text[p.start : p.end])
        for s, e in p.sentences:
            assert not text[s].isspace() and not text[e - 1].isspace()


def test_cuts_fall_at_whitespace_when_there_is_some():
    text = unpunctuated(20_000, " ")
    spans = sentence_spans(text, 0, len(text))
    assert len(spans) >= 20
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert text[end:start].isspace(), "no word is cut in two"


def test_the_header_is_read_from_the_units_a_whole_scan_finds_first():
    """header_metadata stops scanning after the header's units (the first 8, or through the
    first turn): the same units as a whole scan's first ones, on every real transcript (a scan
    of a long file is most of its cost)."""
    from quotebot.index.corpus import load_corpus
    from quotebot.index.segment import _scan

    documents = load_corpus([Path(__file__).parent.parent / "evals" / "corpora"])
    assert len(documents) >= 9
    for document in documents:
        text, start = document.text, content_start(document.text)
        whole = _scan(text, start, lambda label: True)[:8]
        header = _scan(text, start, lambda label: True, limit=8)[:8]
        assert header == whole[: len(header)], document.doc
        first_turn = next((i + 1 for i, u in enumerate(whole) if u.label), len(whole))
        assert len(header) >= first_turn, document.doc


def test_a_dateline_in_brackets_is_a_heading_line_and_a_direction_is_dropped():
    text = (
        "The People's House\nSeoul, Republic of Korea\n\n(May 21, 2022)\n\n4:18 P.M. KST\n\n"
        "PRESIDENT YOON:  (As interpreted.)  Welcome. (Applause.)\n\n"
        "PRESIDENT BIDEN:  Thank you.\n"
    )
    got = roles_and_speakers(text)
    assert ("title", None, "(May 21, 2022)") in got
    assert not any("interpreted" in t or "Applause" in t for _, _, t in got)


def test_a_title_of_something_before_a_name_and_a_lists_second_are_not_the_speaker():
    text = (
        "Vladimir Putin: Mr Patrushev, it is your turn now.\n\n"
        "Minister of Agriculture Dmitry Patrushev: Mr President, sowing is proceeding normally.\n\n"
        "Head of the Federal Security Service Alexander Bortnikov: The border is calm.\n\n"
        "Vladimir Putin: First, I would like to thank you all.\n\n"
        "Second: Mr Patrushev said that he has good news about the food market.\n\n"
        "Minister of Agriculture Dmitry Patrushev: Thank you.\n"
    )
    assert [s for _, s, _ in roles_and_speakers(text)] == [
        "Vladimir Putin",
        "Dmitry Patrushev",  # not "Agriculture Dmitry Patrushev"
        "Alexander Bortnikov",
        "Vladimir Putin",
        "Vladimir Putin",  # a list's "Second:" goes on with his words
        "Dmitry Patrushev",
    ]


def test_a_hansard_name_before_its_title_in_brackets_is_the_speaker():
    text = (
        "Alan Johnson (The Secretary of State for the Home Department): Prevent is essential.\n\n"
        "Mr David Hanson (Delyn) (Lab): Will the Home Secretary say more?\n\n"
        "Alan Johnson: I will.\n\n"
        "Angela Smith (The Minister of State, Cabinet Office): We recognise the difficulty.\n\n"
        "Father Paul Kelly (St Michael's Roman Catholic Church, Linlithgow): Let us pray.\n\n"
        "The Deputy Presiding Officer (Dan O'Sullivan): Thank you, Father Kelly.\n"
    )
    speakers = [s for _, s, _ in roles_and_speakers(text)]
    assert speakers == [
        "Alan Johnson",
        "David Hanson",
        "Alan Johnson",
        "Angela Smith",
        "Father Paul Kelly",  # not his church
        "Dan O'Sullivan",  # an apostrophe in a name is no affiliation's
    ]


def test_a_headers_title_of_a_department_is_no_first_name():
    text = (
        "Press Briefing by Press Secretary Robert Gibbs, Secretary of State Clinton, Secretary of"
        " Defense Gates and General Cartwright\n\n"
        "MR. GIBBS: Good afternoon.\n\n"
        "SECRETARY GATES: Thank you, Robert.\n\n"
        "Q: Mr. Secretary, how long will it take?\n\n"
        "SECRETARY GATES: Eighteen to 24 months.\n\n"
        "SECRETARY CLINTON: And the civilian effort goes on.\n"
    )
    speakers = {s for _, s, _ in roles_and_speakers(text)}
    assert {"Robert Gibbs", "Secretary Gates", "Secretary Clinton"} <= speakers
    assert not any(s and s.startswith(("Defense", "State")) for s in speakers)


def test_a_time_stamp_then_a_bold_name_opens_a_turn_and_a_stamp_alone_goes_on():
    text = (
        "0:00:11.8 **Adam Garrett-Harris** Hello and welcome to BookBytes.\n\n"
        "0:00:41.1 So I'm Adam Garrett-Harris.\n\n"
        "0:00:43.2 **Jen Luker** I'm Jen Luker.\n\n"
        "0:00:45.0 **Jason Staten** I'm Jason Staten. **Bold** words stay words.\n"
    )
    assert roles_and_speakers(text) == [
        ("statement", "Adam Garrett-Harris", "Hello and welcome to BookBytes."),
        ("statement", "Adam Garrett-Harris", "So I'm Adam Garrett-Harris."),  # stamp left out
        ("statement", "Jen Luker", "I'm Jen Luker."),
        ("statement", "Jason Staten", "I'm Jason Staten. **Bold** words stay words."),
    ]


def test_a_full_stop_before_the_colon_and_a_wrapped_mr_of_a_record_from_pdf():
    text = (
        "HON. SPEAKER.: I now call upon the Honourable Prime Minister.\n\n"
        "HON. J.V. BAINIMARAMA.: Thank you, Mr. Speaker. I rise to speak on the motion.\n\n"
        "We are importing protein to make feed for chicken. As you know, we are\n\n"
        "Mr: Speaker, Sir, we have plans and we are targeting that vision.\n"
    )
    speakers = [s for _, s, _ in roles_and_speakers(text)]
    assert speakers[0] == "Hon. Speaker"
    assert speakers[1:] == ["J.V. Bainimarama"] * 3  # "Mr:" is the start of "Mr. Speaker"


def test_an_imf_questioner_asks_and_the_panel_answers():
    text = (
        "MR. GOURINCHAS: Thank you, Jose. Good morning.\n\n"
        "QUESTIONER: Good morning. Amanda Mars from El Pais. What about trade?\n\n"
        "MR. GOURINCHAS: Trade tensions are one of the risks.\n"
    )
    assert [(r, s) for r, s, _ in roles_and_speakers(text)] == [
        ("statement", "Mr. Gourinchas"),
        ("question", "Journalist"),
        ("answer", "Mr. Gourinchas"),
    ]


def test_labels_in_capitals_run_on_after_sentences_in_a_transcript_without_line_breaks():
    turns = [
        ("ROBERT SMITH, HOST", "Hello, and welcome to the show. I'm Robert Smith."),
        ("ADAM DAVIDSON, HOST", "And I'm Adam Davidson. Today we talk about Keynes."),
        ("NICHOLAS WAPSHOTT", "Fact is that this election really is about Keynes and Hayek."),
        ("SMITH", "Why now?"),
        ("WAPSHOTT", "Because the argument never ended. " + "It goes on and on. " * 20),
    ] * 4
    text = "".join(f"{who}: {words}" for who, words in turns)  # one line, 2,000+ characters
    assert "\n" not in text and len(text) > 2000
    speakers = [s for _, s, _ in roles_and_speakers(text)]
    assert speakers[:5] == [
        "Robert Smith",
        "Adam Davidson",
        "Nicholas Wapshott",
        "Robert Smith",
        "Nicholas Wapshott",
    ]
    # a short line keeps a capital word and colon after a sentence as words
    assert roles_and_speakers("Mr. Lee: We met. NOTE: this was late.\n")[0][2] == (
        "We met. NOTE: this was late."
    )


def test_a_pages_number_on_a_line_of_its_own_is_not_speech():
    text = (
        "PRIME MINISTER HOWARD:\n\nWe have had a very good meeting.\n\n2\n\n"
        "And our relationship has never been better.\n\n"
        "JOURNALIST:\n\nHow many meetings?\n\nPRIME MINISTER HOWARD:\n\n3.\n"
    )
    assert [(s, t) for _, s, t in roles_and_speakers(text)] == [
        ("Prime Minister Howard", "We have had a very good meeting."),
        ("Prime Minister Howard", "And our relationship has never been better."),
        ("Journalist", "How many meetings?"),
        ("Prime Minister Howard", "3."),  # an answer, with its full stop
    ]


def test_the_moderator_a_list_of_participants_names_moderates():
    text = (
        "Press Conference on the World Economic Outlook\n\n"
        "PARTICIPANTS:\n\nModerator:\n\nJOSE LUIS DE HARO\n\nPanelists:\n\n"
        "PIERRE-OLIVIER GOURINCHAS\n\n"
        "MR. DE HARO: Good morning, and welcome.\n\n"
        "MR. GOURINCHAS: Thank you, Jose. Growth is steady.\n\n"
        "QUESTIONER: What about trade?\n\n"
        "MR. GOURINCHAS: Trade tensions are a risk.\n\n"
        "MR. DE HARO: Thank you. Next question.\n"
    )
    roles = [(r, s) for r, s, _ in roles_and_speakers(text) if s]
    assert [r for r, s in roles if "Haro" in s] == ["moderator", "moderator"]
    assert [r for r, s in roles if "Gourinchas" in s] == ["statement", "answer"]


def test_a_motley_fool_call_names_its_speakers_in_three_lines_and_analysts_ask():
    text = (
        "Prepared Remarks:\n"
        "Operator\n"
        "Good afternoon. My name is Krista, and I will be your operator today.\n"
        "Stewart Stecker\n--\nSenior Director, Investor Relations\n"
        "Thank you. Welcome to the call.\n"
        "Questions & Answers:\n"
        "Operator\n"
        "Your first question comes from C.J. Muse. Please go ahead.\n"
        "C.J. Muse\n--\nAnalyst\n"
        "Yeah. Good afternoon. What does this mean for inference?\n"
        "Jensen Huang\n--\nPresident and Chief Executive Officer\n"
        "Yeah, I appreciate that, C.J. There are now multiple scaling laws.\n"
        "Joe Moore -- Morgan Stanley -- Analyst\n"
        "Morgan Stanley, actually. How big is the networking business?\n"
        "Jensen Huang -- President and Chief Executive Officer\n"
        "It grew a lot.\n"
    )
    assert [(r, s) for r, s, _ in roles_and_speakers(text) if s] == [
        ("moderator", "Operator"),
        ("statement", "Stewart Stecker"),
        ("moderator", "Operator"),
        ("question", "C.J. Muse"),
        ("answer", "Jensen Huang"),
        ("question", "Joe Moore"),
        ("answer", "Jensen Huang"),
    ]
    assert not any("--" in t for _, _, t in roles_and_speakers(text))


def test_a_ministers_title_alone_an_unnamed_members_interjection_and_a_language_are_labels_right():
    text = (
        "The SPEAKER: Order! I call the Minister.\n\n"
        "The MINISTER OF HOME AFFAIRS: Speaker, I, as a speaker of English, will begin.\n\n"
        "An HON MEMBER: Where were you?\n\n"
        "The MINISTER OF HOME AFFAIRS: I was here.\n\n"
        "Mr K J DIKOBO: How do we expect South Africans to believe that?\n\n"
        "English:\n\nThe Guptas knew that what they were doing was wrong.\n\n"
        "Some hon. members: Agreed.\n\n"
        "The MINISTER OF JUSTICE AND CONSTITUTIONAL DEVELOPMENT: Hon Speaker, thank you.\n\n"
        "The SPEAKER: Order!\n"
    )
    turns = roles_and_speakers(text)
    assert not any(t == "English:" for _, _, t in turns)
    speakers = [s for _, s, _ in turns]
    assert speakers == [
        "The Speaker",
        "The Minister of Home Affairs",  # not "of Home Affairs"
        "An Hon Member",
        "The Minister of Home Affairs",
        "K J Dikobo",
        "K J Dikobo",  # "English:" says the language his speech goes on in
        "Some hon. members",
        "The Minister of Justice and Constitutional Development",
        "The Speaker",
    ]


def test_a_parliaments_presiding_officer_moderates_and_a_committee_chairman_does_not():
    text = (
        "The Presiding Officer (Alex Fergusson): Good afternoon. Question 1.\n\n"
        "Des McNulty (Clydebank) (Lab): What is the Government doing about ferries?\n\n"
        "The Minister for Transport (Stewart Stevenson): We are building them.\n\n"
        "The Presiding Officer: Order. Question 2.\n\n"
        "Mr. Deputy Speaker: Order.\n"
    )
    roles = [r for r, _, _ in roles_and_speakers(text)]
    assert roles == ["moderator", "question", "answer", "moderator", "moderator"]
    hearing = "Chairman Dodd: Welcome. Why did AIG fail?\n\nMr. Kohn: Leverage.\n"
    assert "moderator" not in [r for r, _, _ in roles_and_speakers(hearing)]


def test_an_otter_exports_name_seen_once_and_its_unknown_speaker():
    text = (
        "Emma  0:03  \nWelcome to the show.\n\n"
        "Unknown Speaker  0:35  \nI'm Kelly. I'm Allie.\n\n"
        "Emma  2:20  \nToday we have a guest. How are you?\n\n"
        "Tailor  2:26  \nThank you. Glad to be on.\n\n"
        "Unknown Speaker  4:21  \nYes, my name is Tailor.\n"
    )
    assert [s for _, s, _ in roles_and_speakers(text)] == ["Emma", None, "Emma", "Tailor", None]


def test_a_town_hall_debates_audience_questioner_asks():
    text = (
        "CAROLE SIMPSON: We have a question from the audience.\n\n"
        "Audience questioner: Could we cross our hearts?\n\n"
        "GEORGE BUSH: Yes.\n"
    )
    assert [(r, s) for r, s, _ in roles_and_speakers(text)][1] == ("question", "Audience member")


def test_a_federal_reserve_transcripts_capital_labels_end_with_a_full_stop():
    text = (
        "CHAIRMAN GREENSPAN. Good morning, everyone. It has been a while.\n\n"
        "MR. ANGELL. Mr. Chairman, what about the discount rate?\n\n"
        "CHAIRMAN GREENSPAN. Okay.\n\n"
        "MR.BLACK. If it weren't for that, I'd be very much with you.\n"
    )
    speakers = [s for _, s, _ in roles_and_speakers(text)]
    assert speakers == ["Chairman Greenspan", "Mr. Angell", "Chairman Greenspan", "Mr. Black"]


def test_a_division_record_is_nobodys_words_and_a_lone_dash_line_is_no_call_label():
    text = (
        "Sen. Khalwale: Mr. Temporary Speaker, I support the clause.\n\n"
        "AYES: Sen. Muthama, Machakos County; and Sen. Wetangula, Bungoma County\n"
        "Teller of the Ayes: Sen. Bule\nNOES: Nil\n\n"
        "Sen. Billow: The Question is carried.\n\n"
        "Sen. Khalwale: Thank you.\n"
    )
    turns = roles_and_speakers(text)
    assert [s for _, s, t in turns if "Muthama" in t or "Bule" in t] == [None, None]
    talk = (
        "CA: What would you ask him?\n\nYNH: I would ask about the future.\n\n"
        "CA: And then?\n\nSorry Phil -- I mangled your question,\n"
        "but the point stands. YNH: Fine.\n"
    )
    assert "Sorry Phil" not in {s for _, s, _ in roles_and_speakers(talk)}


def test_the_oireachtas_records_paragraph_number_before_a_label():
    text = (
        "24/04/2015A00100Industrial Relations (Members of the Garda S\u00edoch\u00e1na and the"
        " Defence Forces) Bill 2015: Second Stage [Private Members]\n\n"
        "24/04/2015A00200Deputy Michael McNamara: I move: \u201cThat the Bill be read.\u201d\n\n"
        "24/04/2015D00200Deputy Aengus \u00d3 Snodaigh: I commend Deputy McNamara.\n\n"
        "24/04/2015E00200Deputy Michael McNamara: I thank the Deputy.\n"
    )
    speakers = [s for r, s, _ in roles_and_speakers(text) if r != "title"]
    assert speakers == ["Michael McNamara", "Aengus \u00d3 Snodaigh", "Michael McNamara"]


def test_names_alone_in_italics_open_turns_and_an_italic_direction_does_not():
    text = (
        "### Town Hall\n\n*Adam*\n\nWe are going to go through the agenda.\n\n"
        "*Alethe Denis*\n\nThank you, Adam. I will take this one.\n\n"
        "*Laughter.*\n\n*Adam*\n\nNext, the naming convention.\n\n"
        "*Moderator*\n\nA question from the chat: when does it start?\n\n"
        "*Alethe Denis*\n\nNext month.\n"
    )
    turns = [(r, s) for r, s, t in roles_and_speakers(text) if r != "title"]
    assert [s for _, s in turns] == ["Adam", "Alethe Denis", "Adam", "Moderator", "Alethe Denis"]


def test_initials_as_labels_name_the_one_person_with_those_initials():
    # a TED dialogue: full names first, then initials
    text = (
        "Chris Anderson: Hello. Welcome to this dialogue.\n\n"
        "Yuval Noah Harari: Thank you for having me.\n\n"
        "CA: What happened last week?\n\n"
        "YNH: Well, I think the world changed.\n\n"
        "CA: How?\n\n"
        "YNH: Nobody listens.\n"
    )
    speakers = [s for _, s, _ in roles_and_speakers(text)]
    assert speakers[2:] == ["Chris Anderson", "Yuval Noah Harari"] * 2
    # a press conference's heading names the minister; his answers are labelled "GE"
    text = (
        "PRESS CONFERENCE WITH THE MINISTER FOR FOREIGN AFFAIRS, SENATOR GARETH EVANS, QC\n\n"
        "Q: Is the peace process over?\n\n"
        "GE: No, it is not over.\n\n"
        "Q: And the elections?\n\n"
        "GE: They will go ahead.\n\n"
        "Q: When?\n\n"
        "GE: In May.\n"
    )
    answers = {s for role, s, _ in roles_and_speakers(text) if role == "answer"}
    assert answers == {"Gareth Evans"}
    # initials two people share, or nobody's, stay as they are
    text = (
        "Gary Evans: I agree.\n\nGreta Ellis: So do I.\n\nGE: Who said that?\n\n"
        "JT: Nobody did.\n\nGE: Somebody did.\n\nJT: Not me.\n"
    )
    assert [s for _, s, _ in roles_and_speakers(text)][2:] == ["GE", "JT"] * 2


def test_an_unlabelled_opening_statement_is_the_one_answerer_s_words():
    text = (
        "PRESS CONFERENCE WITH THE MINISTER FOR FOREIGN AFFAIRS, SENATOR GARETH EVANS\n\n"
        "A number of you have sought reactions on recent developments in Cambodia and in\n\n"
        "particular on the withdrawal of the Khmer Rouge from Phnom Penh.\n\n"
        "The elections will go ahead, and the timetable is not in doubt at all.\n\n"
        "Q: Is the peace process over?\n\n"
        "GE: No, it is not over.\n\n"
        "Q: And the elections?\n\n"
        "GE: They will go ahead.\n\n"
        "Q: When?\n\n"
        "GE: In May.\n"
    )
    passages = roles_and_speakers(text)
    assert passages[0][:2] == ("title", None)
    opening = passages[1:4]
    assert {(role, speaker) for role, speaker, _ in opening} == {("statement", "Gareth Evans")}
    assert opening[1][2].startswith("particular on the withdrawal")  # a wrapped line, no title
    # an introduction in the third person is nobody's; two officials: whose statement?
    intro = "Vladimir Putin answered questions from Russian journalists after the summit.\n\n"
    labels = "Question: Is it over?\n\nVladimir Putin: No.\n\nQuestion: Why?\n\n"
    assert roles_and_speakers(intro + labels + "Vladimir Putin: Because.\n")[0][1] is None
    opening = "Thank you all for coming; we have a short statement on the talks today.\n\n"
    two = roles_and_speakers(opening + labels + "Sergei Lavrov: Because.\n")
    assert two[0][:2] == ("statement", None)


def test_factbase_labels_with_their_time_range_and_ratings():
    text = (
        "Full Transcript\nNote 00:00:00-00:00:00 ( sec)\nNo StressLens\n"
        "[The following transcript was provided by Fox News.]\n"
        "Sean Hannity 00:00:00-00:00:01 (1 sec)\nNo StressLens\nMr. President --\n"
        "Donald Trump 00:00:01-00:00:02 (1 sec)\nNo StressLens\nThank you.\n"
        "Sean Hannity 00:00:05-00:00:14 (9 sec)\nNo Signal (0)\nHow do you feel?\n"
        "Donald Trump 00:00:14-00:00:41 (27 sec)\nNo Signal (0.531)\nWell, it was a lot of work.\n"
    )
    spoken = [(s, t) for _, s, t in roles_and_speakers(text) if s]
    assert spoken == [
        ("Sean Hannity", "Mr. President --"),
        ("Donald Trump", "Thank you."),
        ("Sean Hannity", "How do you feel?"),
        ("Donald Trump", "Well, it was a lot of work."),
    ]


def test_an_interviewer_who_interjects_often_still_asks():
    # three of the host's twenty turns end in a question, none of the guest's
    host = ["How do you feel?", "Why now?", "What comes next?"] + ["Right."] * 17
    text = "".join(
        f"Sean Hannity: {said}\n\nDonald Trump: Well, it was a lot of work, a lot.\n\n"
        for said in host
    )
    roles = {(speaker, role) for role, speaker, _ in roles_and_speakers(text)}
    assert roles == {("Sean Hannity", "question"), ("Donald Trump", "answer")}


def test_a_bold_name_with_its_time_stamp_needs_no_colon():
    text = (
        "**Lex Fridman (00:00:00)** It's hard to predict nonlinear systems.\n\n"
        "**Demis Hassabis (00:00:12)** Yes, exactly.\n\n"
        "**Lex Fridman  (00:01:22)**： What about fluids?\n\n"
        "**Demis Hassabis (00:01:30)** They are hard too.\n"
    )
    spoken = [(s, t) for _, s, t in roles_and_speakers(text)]
    assert spoken == [
        ("Lex Fridman", "It's hard to predict nonlinear systems."),
        ("Demis Hassabis", "Yes, exactly."),
        ("Lex Fridman", "What about fluids?"),
        ("Demis Hassabis", "They are hard too."),
    ]


def test_a_given_name_alone_is_the_one_full_name_it_begins():
    text = (
        "Bekah Hawrot Weigel: Welcome to the show.\n\nSeth Hall: Thanks for having me.\n\n"
        "Bekah: So how did you start?\n\nSeth: By accident.\n\n"
        "Bekah: Tell me more.\n\nSeth: It was a long time ago.\n"
    )
    speakers = [s for _, s, _ in roles_and_speakers(text)]
    assert speakers == ["Bekah Hawrot Weigel", "Seth Hall"] * 3


def test_a_reader_s_page_header_is_no_speaker():
    text = (
        "Title: Interview\n\nURL Source: https://example.com/interview\n\n"
        "Markdown Content:\n* [Keynotes](https://example.com/keynotes)\n\n"
        "Interviewer: What is next?\n\nSteve Jobs: The web.\n\n"
        "Interviewer: When?\n\nSteve Jobs: Soon.\n"
    )
    speakers = {s for _, s, _ in roles_and_speakers(text)}
    assert speakers == {None, "Interviewer", "Steve Jobs"}


def test_a_kremlin_label_with_its_name_card_glued_on_names_the_speaker():
    card = "President of Turkey Recep Tayyip Erdogan Erdogan Recep TayyipPresident of Turkey"
    text = (
        "President of Russia Vladimir Putin: Mr President, ladies and gentlemen.\n\n"
        f"{card} (retranslated): Thank you, Mr President.\n\n"
        "Vladimir Putin: We agreed on tourism.\n\n"
        "Recep Tayyip Erdogan: And on gas.\n"
    )
    speakers = [s for _, s, _ in roles_and_speakers(text)]
    assert speakers == ["Vladimir Putin", "Recep Tayyip Erdogan"] * 2


def test_a_fed_press_conference_s_labels_in_capitals_with_a_full_stop():
    text = (
        "Transcript of Chair Powell’s Press Conference Call\nMarch 15, 2020\n"
        "CHAIR POWELL. Good afternoon. We cut rates today.\n\n"
        "MICHELLE SMITH. The Chair will now take some questions.\n\n"
        "NICK TIMIRAOS. Nick Timiraos of the Wall Street Journal. Why now?\n\n"
        "CHAIR POWELL. Because the outlook changed.\n\n"
        "HEATHER LONG. Heather Long, Washington Post. And next?\n\n"
        "CHAIR POWELL. We will watch the data.\n\n"
        "QUESTION. Will you buy more bonds?\n\n"
        "CHAIR POWELL. We may.\n"
    )
    spoken = [(r, s) for r, s, _ in roles_and_speakers(text) if r != "title"]
    assert spoken[0] == ("statement", "Chair Powell")  # after the date, the opening statement
    assert {s for _, s in spoken} == {
        "Chair Powell",
        "Michelle Smith",
        "Nick Timiraos",
        "Heather Long",
        "Journalist",
    }
    assert spoken[-2:] == [("question", "Journalist"), ("answer", "Chair Powell")]
    # sentences in capitals are no labels where no titled label is
    shouted = "THANK YOU. Good night.\n\nGOOD MORNING. Hello.\n\nWELL DONE. Yes.\n"
    assert {s for _, s, _ in roles_and_speakers(shouted)} == {None}


def test_a_question_in_bold_with_its_q_inside_is_the_journalist_s():
    text = (
        "**Q: Toto, hunter? Hunted?**\n\n**Toto Wolff:** Hunter, definitely.\n\n"
        "**Q: Why do you feel the need to gamble?**\n\n**TW:** I didn't mean it that way.\n\n"
        "**Q: And the drivers?**\n\n**TW:** They played an important role.\n\n"
        "**Q: And Austria?**\n\n**TW:** Less to our advantage.\n"
    )
    spoken = roles_and_speakers(text)
    assert [(r, s) for r, s, _ in spoken] == [
        ("question", "Journalist"),
        ("answer", "Toto Wolff"),
    ] * 4
    assert spoken[0][2] == "Toto, hunter? Hunted?"  # the bold's marks are no words


def test_a_name_s_particles_are_part_of_it():
    assert person_name("Aaron van Wirdum") == "Aaron van Wirdum"
    assert person_name("President of the European Commission Ursula von der Leyen") == (
        "Ursula von der Leyen"
    )
    assert person_name("Minister de Villepin") == "Villepin"
    text = (
        "Aaron van Wirdum (AvW): Eric, Luke, welcome.\n\nEric Lombrozo (EL): Thanks.\n\n"
        "Luke Dashjr (LD): Hello.\n\n"
        "AvW: How are you doing?\n\nEL: Fine, thanks.\n\nAvW: And the fork?\n\n"
        "EL: It is coming.\n\nAvW: When?\n\nEL: Soon.\n"
    )
    speakers = {s for _, s, _ in roles_and_speakers(text)}
    assert speakers == {"Aaron van Wirdum", "Eric Lombrozo", "Luke Dashjr"}


def test_transcription_tools_speaker_fields():
    # Zoom's saved captions: the name in brackets and the clock, the words on the next line
    zoom = "".join(
        f"[{who}] 13:32:{20 + k}\n{said}\n\n"
        for k, (who, said) in enumerate(
            [("Saar Moshiashvili", "How'd you like it?"), ("ATL - WonderFrog", "It can work.")] * 2
        )
    )
    assert [s for _, s, _ in roles_and_speakers(zoom)] == [
        "Saar Moshiashvili",
        "Atl - WonderFrog",
    ] * 2
    # a podcast host's export: one turn a line, a label even after a line cut mid-sentence
    host = (
        "[Speaker 1] [00:00] With it. Because if we give it to you, you'll write\n"
        "[Speaker 2] [00:09] a second.\n[Speaker 1] [00:12] Sure.\n[Speaker 2] [00:15] Yes.\n"
    )
    # a transcriber's note with a time is no speaker: "[unintelligible] [01:13:08]"
    noted = host.replace("[Speaker 1] [00:12] Sure.", "[unintelligible] [00:12] Sure.")
    assert "unintelligible" not in {s for _, s, _ in roles_and_speakers(noted)}
    spoken = [(s, t) for _, s, t in roles_and_speakers(host)]
    assert spoken[:2] == [
        ("Speaker 1", "With it. Because if we give it to you, you'll write"),
        ("Speaker 2", "a second."),
    ]
    # AssemblyAI and WhisperX in Markdown: the time stamp inside the bold label
    whisper = "".join(f"**[00:{k}0] SPEAKER_0{k % 2}:** Words number {k}.\n\n" for k in range(1, 5))
    assert [s for _, s, _ in roles_and_speakers(whisper)] == ["Speaker_01", "Speaker_00"] * 2
    # user names in lower case in bold: "[00:15] **kushti**: Hey."
    handles = "".join(
        f"[00:{k}5] **{who}**: Line {k}.\n\n"
        for k, who in enumerate(["kushti", "mgPai", "qx()"] * 2)
    )
    assert [s for _, s, _ in roles_and_speakers(handles)] == ["kushti", "mgPai", "qx()"] * 2


def test_markdown_headings_that_name_the_speaker():
    text = (
        "Transcript\n----------\n\n### Governor Michele Bullock\n\nHi all. Thank you.\n\n"
        "### **Shane Wright (SMH/AGE)**\n\nShane Wright from the SMH. Why not cut?\n\n"
        "### **Governor Bullock**\n\nBecause inflation is still too high.\n\n"
        "### Deb Knight (Nine Radio)\n\nDeb Knight, Nine Radio. And the Cup?\n\n"
        "### **Governor Bullock**\n\nI didn't back anyone.\n\n## Media enquiries\n\nCall us.\n"
    )
    speakers = [s for r, s, _ in roles_and_speakers(text) if r != "title"]
    assert speakers[:5] == [
        "Michele Bullock",
        "Shane Wright",
        "Michele Bullock",
        "Deb Knight",
        "Michele Bullock",
    ]
    assert speakers[-1] != "Media enquiries"  # a section's heading names nobody


def test_a_reporter_named_once_alone_in_a_paragraph_asks():
    # a central bank's page: each speaker's name in a paragraph of its own; the governor's
    # many times, each reporter's once, before a question
    turns = [
        ("Michele Bullock", "Thank you for coming. The Board left the rate unchanged."),
        ("Swati Pandey", "Governor, Swati Pandey from Reuters. When will you cut?"),
        ("Michele Bullock", "We will see what the data say next year."),
        ("Edward Boyd", "Edward Boyd, Daily Telegraph. Are mortgage holders hurting?"),
        ("Michele Bullock", "Some are, and we know it."),
        ("Swati Pandey", "And the dollar?"),
        ("Michele Bullock", "It is not a target."),
        ("Closing Remarks", "The Board will meet again in February."),
    ]
    text = "".join(f"{who}\n\n{said}\n\n" for who, said in turns)
    spoken = [(r, s) for r, s, _ in roles_and_speakers(text) if r != "title"]
    assert spoken[:5] == [
        ("statement", "Michele Bullock"),
        ("question", "Swati Pandey"),
        ("answer", "Michele Bullock"),
        ("question", "Edward Boyd"),
        ("answer", "Michele Bullock"),
    ]
    assert "Closing Remarks" not in {s for _, s in spoken}  # once, and asking nothing


def test_an_initial_and_a_surname_are_no_bare_answer():
    text = (
        "Moderator: The next question is from Neha Manpuria.\n\n"
        "Neha Manpuria: How is Chennai doing?\n\n"
        "A. Krishnan: So, in Chennai, we are ahead of plan.\n\n"
        "Neha Manpuria: And the margins?\n\n"
        "A. Krishnan: They held.\n"
    )
    speakers = [s for _, s, _ in roles_and_speakers(text)]
    assert speakers[2:] == ["A. Krishnan", "Neha Manpuria", "A. Krishnan"]


def test_a_label_s_note_that_it_is_translated_is_no_name():
    text = (
        "Vladimir Putin: Ladies and gentlemen, we have finished our talks.\n\n"
        "Federal Chancellor of Germany Angela Merkel (retranslated): Thank you.\n\n"
        "Question (retranslated): I have a question for Madam Chancellor. Why now?\n\n"
        "Angela Merkel (retranslated): Because the time has come.\n\n"
        "Question: And Libya?\n\nVladimir Putin: We will talk in Berlin.\n"
    )
    spoken = [(r, s) for r, s, _ in roles_and_speakers(text)]
    assert spoken[2:4] == [("question", "Journalist"), ("answer", "Angela Merkel")]
    assert "Question" not in {s for _, s in spoken}


def test_the_kremlin_s_russian_labels_an_initial_glued_to_the_surname():
    text = (
        "Ю.Ушаков: Встреча продолжалась пять часов.\n\n"
        "Вопрос: Обсуждали ли территориальный вопрос?\n\nЮ.Ушаков: Да, обсуждали.\n\n"
        "Вопрос: А что дальше?\n\nЮ.Ушаков: Будем работать.\n"
    )
    spoken = [(r, s) for r, s, _ in roles_and_speakers(text)]
    assert spoken[1:3] == [("question", "Journalist"), ("answer", "Ю. Ушаков")]
    assert parse_label("Frage").kind == "question"  # and a German one
    assert parse_label("J.V. BAINIMARAMA").name == "J.V. BAINIMARAMA"  # initials stay


def test_research_interviews_as_word_and_transcription_software_write_them():
    # Word's Transcribe: the time, then the speaker alone on the line, the words below
    word = "".join(
        f"00:00:{10 + k:02d} Speaker {k % 2 + 1}\n\n{said}\n\n"
        for k, said in enumerate(["So what was your experience?", "It was fine.", "Why?", "Cost."])
    )
    assert [s for _, s, _ in roles_and_speakers(word)] == ["Speaker 1", "Speaker 2"] * 2
    # "I:" the interviewer, "B:" the interviewee (German "Befragte"), as f4 writes them
    f4 = "".join(
        f"I: {q} #00:0{k}:01-9#\n\nB: {a} #00:0{k}:55-3#\n\n"
        for k, (q, a) in enumerate(
            [("How big is the team?", "Ten."), ("And you?", "Two years.")] * 2
        )
    )
    spoken = [(r, s) for r, s, _ in roles_and_speakers(f4)]
    assert spoken[:2] == [("question", "Interviewer"), ("answer", "B")]
    # Otter pasted into Word: the roles alone on their lines, no colon
    otter = "".join(
        f"Researcher\n\n{q}\n\nUnknown Speaker\n\n{a}\n\n"
        for q, a in [("Religion?", "Christian"), ("Class?", "Middle class."), ("Years?", "Five.")]
    )
    spoken = [(r, s) for r, s, _ in roles_and_speakers(otter)]
    assert spoken[:2] == [("question", "Researcher"), ("answer", None)]
    # an "I" opening a paragraph elsewhere is a pronoun
    assert "Interviewer" not in {s for _, s, _ in roles_and_speakers("I: think so.\n\nYes.\n")}


def test_a_short_first_name_in_capitals_is_shown_as_a_name_beside_the_surname():
    text = (
        "SABRA LANE, NATIONAL PRESS CLUB: Welcome back.\n\n"
        "JIM CHALMERS, SHADOW TREASURER: Thank you, Sabra.\n\n"
        "TOM CONNELL, SKY NEWS: Mr Chalmers, what about the budget?\n\n"
        "JIM CHALMERS, SHADOW TREASURER: It is a big one.\n\n"
        "GEORGE HW BUSH: And I agree.\n"
    )
    speakers = {s for _, s, _ in roles_and_speakers(text)}
    assert {"Jim Chalmers", "Tom Connell", "George HW Bush"} <= speakers
