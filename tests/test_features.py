"""Sentence features over the seed indexed with the fake embedder: one row per candidate
sentence, in the declared column order, describing the sentence in its context."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from quotebot.bot.features import (
    SENTENCE_FEATURES,
    _callers,
    answer_type,
    asked_by_name,
    asks_for_date,
    candidates,
    counted,
    counts,
    introduced,
    named_speaker,
    recased,
    unquoted_person,
)
from quotebot.bot.question import prepare
from quotebot.bot.retriever import Retriever
from quotebot.bot.scoring import load_scoring
from quotebot.bot.selector import quotable_rows
from quotebot.index.corpus import load_corpus
from quotebot.index.store import build

from quotebot.settings import Settings

COL = {name: i for i, name in enumerate(SENTENCE_FEATURES)}


def candidates_over(index, embedder, **options):
    """Return a function from a first question to its candidates, retrieved over `index` with
    the fake `embedder` (`options`: the Retriever's)."""
    ranker = Retriever(index, {"fake": embedder}, load_scoring(), primary="fake", **options)

    def of(question: str):
        query = prepare(question, [], 2000, index.lexicon)
        return candidates(query, ranker.evidence(query), index)

    return of


@pytest.fixture
def cands(fake_index, fake_embedder):
    return candidates_over(fake_index, fake_embedder)


def sentence(index, ref):
    row, j = ref
    p = index.passages[row]
    return index.source(p.doc)[slice(*p.sentences[j])]


def test_every_sentence_of_every_retrieved_passage_gets_one_finite_row(cands, fake_index):
    c = cands("How long did the meeting last?")
    rows = {row for row, _ in c.refs}
    assert len(c) == sum(len(fake_index.passages[r].sentences) for r in rows)
    assert c.matrix.shape == (len(c), len(SENTENCE_FEATURES)) and np.isfinite(c.matrix).all()
    assert c.matrix[:, COL["cos_gap"]].max() == pytest.approx(0.0, abs=1e-6)


def test_a_candidate_the_passage_search_missed_still_gets_its_passages_cosine(
    fake_index, fake_embedder
):
    ranker = Retriever(fake_index, {"fake": fake_embedder}, load_scoring(), primary="fake")
    query = prepare("How long did the meeting last?", [], 2000, fake_index.lexicon)
    evidence = ranker.evidence(query)
    searched = candidates(query, evidence, fake_index).matrix[:, COL["cos_passage"]]
    # as if BM25 or a sentence had found every candidate, and the passage search none
    missed = candidates(query, replace(evidence, dense={}), fake_index)
    assert missed.matrix[:, COL["cos_passage"]] == pytest.approx(searched, abs=1e-5)
    assert np.abs(searched).max() > 0


def test_the_answer_type_columns_mark_the_sentence_holding_a_duration(cands, fake_index):
    c = cands("How long did the meeting last?")
    assert (c.matrix[:, COL["type_asked"]] == 1).all()
    for i, ref in enumerate(c.refs):
        holds = "five hours" in sentence(fake_index, ref)
        if holds:
            assert c.matrix[i, COL["type_match"]] == 1 and c.matrix[i, COL["type_miss"]] == 0


def test_a_sentence_opening_with_a_verdict_settles_only_a_yes_or_no_question(cands, fake_index):
    for question, asks in (
        ("Was Kushner a new participant in the talks?", True),
        ("What did Ushakov say about Kushner?", False),
    ):
        c = cands(question)
        settles = {
            sentence(fake_index, ref).split()[0].strip(",")
            for i, ref in enumerate(c.refs)
            if c.matrix[i, COL["settles"]] == 1
        }
        # "Yes, we can say that he is a relatively new participant"; "No compromise option ..."
        assert ("Yes" in settles and settles <= {"Yes", "No", "Not"}) if asks else not settles


def test_roles_and_the_what_was_asked_flag(cands, fake_index):
    c = cands("What did the journalist ask about the points?")
    roles = [fake_index.passages[row].role for row, _ in c.refs]
    for i, role in enumerate(roles):
        assert c.matrix[i, COL["role_question"]] == (role == "question")
        assert c.matrix[i, COL["question_x_asks"]] == (role == "question")
    assert (c.matrix[:, COL["asks_what_was_asked"]] == 1).all()


def test_novelty_is_the_share_of_the_sentence_the_question_does_not_hold(cands, fake_index):
    c = cands("documents")
    for i, ref in enumerate(c.refs):
        if sentence(fake_index, ref).strip() == "We discussed these documents.":
            assert c.matrix[i, COL["novelty"]] == pytest.approx(0.5)  # "discuss" is new
            break
    else:
        pytest.fail("the sentence is not among the candidates")


def test_what_a_how_many_question_counts_and_a_sentence_that_counts_it():
    navy = counted("Roughly how many Navy SEALs took part in the raid?")
    assert navy == {"navy", "seal", "took"}
    assert counted("How many of the opposition's nominees were blocked?") == {"opposit", "nomine"}
    assert counted("How long did it last?") == frozenset() == counted("How many did they get?")
    assert counts("Two dozen Navy SEALs flew in.", navy)
    assert counts("The SEALs numbered 24.", navy)
    assert not counts("The raid killed 5 people, and afterwards the SEALs left.", navy)
    assert not counts("The SEALs came by helicopter.", navy)


def test_answer_types_and_date_questions():
    assert answer_type("How many points?")("a document comprising 27 points")
    assert not answer_type("How many points?")("We discussed these documents.")
    assert answer_type("How long did it last?")("It lasted five hours.")
    assert answer_type("Combien de temps a duré la rencontre ?")("It lasted five hours.")
    assert answer_type("Quelle a été la durée de la réunion ?")("It lasted five hours.")
    assert not answer_type("Wie war die Dauer des Treffens?")("We received four documents.")
    # and in the transcript's own language, numbers written as words
    assert answer_type("Сколько длилась встреча?")("Встреча продолжалась пять часов.")
    assert not answer_type("Сколько длилась встреча?")("Встреча была полезной.")
    assert answer_type("Wie lange dauerte das Treffen?")("Es dauerte zwei Stunden.")
    assert answer_type("¿Cuántos documentos recibieron?")("Recibimos cuatro documentos.")
    assert answer_type("Combien de documents ?")("Nous avons reçu trois documents.")
    assert answer_type("¿Cuántos empleados tenía?")("Tenía cuarenta empleados.")
    assert answer_type("Когда прошла встреча?")("Встреча прошла 3 декабря.")
    assert not answer_type("Когда прошла встреча?")("Встреча прошла в Кремле.")
    assert answer_type("¿Cuándo fue la reunión?")("La reunión fue el 3 de diciembre.")
    assert answer_type("Wann fand das Treffen statt?")("Das Treffen fand am 3. Dezember statt.")
    # a clause's "cuando" asks for no date
    assert not answer_type("¿Cuántos tenía cuando se vendió?")("Se vendió en diciembre.")
    # the kind asked for, wherever the question asks it
    assert answer_type("Roughly how many designations has the US made?")("in the seven hundreds")
    assert not answer_type("Roughly how many designations has the US made?")("We designated HTS.")
    assert answer_type("For how long has that been a principle?")("for, what, 15 months")
    assert answer_type("How strong was the storm?")("winds of up to 120 miles an hour")
    assert answer_type("What share of them will get it back?")("7 to 20 cents on the dollar")
    assert answer_type("How was the storm?") is None
    # an amount of money, a rate in percent
    money = answer_type("How much money has the foundation raised from donors?")
    assert money("We raised $30 million last year.") and not money("We raised it in 2019.")
    assert answer_type("How much did they pay for the rights?")("a deal worth 3 billion yen")
    rate = answer_type("What unemployment rate do they project for 2009?")
    assert rate("between 8.5 and 9 percent") and not rate("They project a rise in 2009.")
    assert answer_type("What was the rate of descent?") is None  # feet a second, not percent
    assert answer_type("What did they discuss?") is None
    who = answer_type("Who met Putin?")
    assert who("Putin met Steve Witkoff.") and not who("Putin met them.")
    assert answer_type("Who said that?", about_asking=True) is None
    # a name asked for: a sentence naming something the question does not
    name = answer_type("What is the name of the Toronto company?")
    assert name("It is called Bitaccess.") and not name("There is a company in Toronto.")
    assert answer_type("Which bank lent the money?") and answer_type("What company did he start?")
    assert answer_type("What did the company do?") is None
    # who spoke is the answer to "who called X Y?", not a name in the sentence
    assert answer_type("Who called the talks strictly confidential?") is None
    assert answer_type("Who on the panel felt that the tests are too slow?") is None
    assert asks_for_date("When was it said?") and asks_for_date("On what date was it?")
    assert not asks_for_date("How long was it?")
    assert asks_for_date("Wann war das Treffen?") and asks_for_date("Quand a-t-il parlé ?")
    assert not asks_for_date("Do you wanna know what he said?")  # the letters alone: not German
    # a "when" clause before the question asks for no date; the question after it asks
    conditional = "When crude gets cheaper by ten bucks a barrel, how much should prices fall?"
    assert not asks_for_date(conditional)
    assert answer_type(conditional)("you see a 25-cent drop at the pump")
    assert asks_for_date("When was the first execution ordered, according to the Minister?")
    # asked on what date or day, a month or a year is not the day
    day = answer_type("On what date is Putin's visit to Austria scheduled?")
    assert not day("We were glad to welcome the Chancellor in February of this year.")
    for said in ("On September 15, 2008, Lehman filed.", "It was on 15 September.", "On Tuesday."):
        assert day(said), said
    assert answer_type("When did Lehman file?")("Lehman filed in 2008.")
    # a year before 1800 after "in", "since" ...: a date too
    when = answer_type("When was the first execution ordered?")
    assert when("The first execution was ordered in 1295.") and not when("It cost 1295 pounds.")


def test_only_questions_about_what_was_asked_open_the_door_to_a_journalists_words():
    from quotebot.bot.features import ASKS_WHAT_WAS_ASKED as asks

    for about_asking in (
        "What did the press ask about NATO?",
        "What did the journalist ask about the 28 points?",
        "Who asked about the Europeans' plan?",
        "What did Witkoff want to know about the 28 points?",
        "What was Ushakov asked about Kushner?",
        "What was Jean-Pierre asked about Juul?",  # a hyphenated name
        "What was Mr. Koo asked about Japan?",
        "What exactly did Senator McCaskill ask Nason about BlackRock?",
        "Who said that Putin does not sleep but works?",  # a journalist may have said it
        "What did Lev Facher from STAT News want explained?",
        "Who accused the First Minister of pursuing a policy that will destroy jobs?",  # a member
    ):
        assert asks.search(about_asking), about_asking
    for about_the_official in (
        "What did the press secretary say about Trump's commitment to NATO?",
        "What did the press office announce?",
        "What did Modi say when asked about the Adani case?",
        "What did Putin ask the envoys to pass on to Trump?",  # a request, not a question
        "What did Kyiv ask for?",
        "What did Kyiv want?",
        "What were the envoys asked to convey?",
        "What was the reason Jean-Pierre was asked to leave?",
        "Who answered the question about solar tax credits?",  # the answer's speaker
        # a reporter in passing, what the official heard, estimated or answered asked for
        "Had Earnest heard about the meeting before the reporter brought it up?",
        "How many hours did Earnest estimate the meetings the reporter listed would take?",
        "A reporter floated a theory about the trip. How did the White House respond?",
        "How did Earnest answer the reporter's question about Keystone?",
    ):
        assert not asks.search(about_the_official), about_the_official
    for still_about_asking in (
        "Did the journalist ask about Kiev?",
        "What did Earnest say the reporter asked?",
    ):
        assert asks.search(still_about_asking), still_about_asking


def test_a_speaker_saying_who_they_are_answers_only_who_someone_is(indexed, fake_embedder):
    text = (
        "Chairman Johnson: The subcommittee will come to order. Our next witness is from the "
        "credit unions' association, and we welcome him.\n\n"
        "Ed Templeton: Good afternoon, Chairman Johnson. My name is Ed Templeton, and I am here "
        "testifying on behalf of the credit unions. We urge the Subcommittee to remove the "
        "member business lending cap. I am the president of SRP Federal Credit Union.\n"
    )
    index, _ = indexed("hearing.txt", text)
    of = candidates_over(index, fake_embedder)

    def introductions(question: str) -> dict[str, bool]:
        c = of(question)
        allowed = quotable_rows(c.matrix)
        return {
            sentence(index, ref)[:20]: bool(allowed[i])
            for i, ref in enumerate(c.refs)
            if c.matrix[i, COL["introduces_self"]]
            or "My name" in sentence(index, ref)
            or "I am the" in sentence(index, ref)
        }

    asked = introductions("What did Ed Templeton want the subcommittee to do for credit unions?")
    assert asked == {"My name is Ed Temple": False, "I am the president o": False}
    for who in ("Who is Ed Templeton?", "Which credit union does Templeton work for?"):
        assert all(introductions(who).values()), who


def test_a_question_naming_its_asker_may_quote_that_askers_questions_only(tmp_path, fake_embedder):
    """In Hansard a member asks, named: "What did Stephen Twigg call for?" is about his words,
    which are questions; another member's questions stay closed, and so does every question
    for a question about what the minister said."""
    corpora = Path(__file__).parent.parent / "evals" / "corpora"
    documents = load_corpus([corpora / "05_hansard-commons-fco-questions-2011-07-19.docx"])
    settings = Settings.load(environ={}, cache_dir=tmp_path)
    index = build(documents, [fake_embedder], settings)
    of = candidates_over(index, fake_embedder, candidates=200)

    def rows(question: str, role: str = "question"):
        c = of(question)
        allowed = quotable_rows(c.matrix)
        marked = {
            index.passages[r].speaker
            for i, (r, _) in enumerate(c.refs)
            if c.matrix[i, COL["by_named"]]
        }
        assert marked <= {"Stephen Twigg", "Philip Hollobone"}, marked  # the speaker named
        return {
            (index.passages[row].speaker, bool(allowed[i]))
            for i, (row, _) in enumerate(c.refs)
            if index.passages[row].role == role
        }

    askers = rows("What did Stephen Twigg call for?")
    assert ("Stephen Twigg", True) in askers
    assert any(not allowed for speaker, allowed in askers if speaker != "Stephen Twigg")
    assert not any(allowed for _, allowed in rows("What did the Foreign Secretary say on Sudan?"))
    assert ("Stephen Twigg", True) in rows("What did Twigg want done in Sudan?")  # by surname
    # asked what a member asked, only that member's questions, and nobody's answers
    assert {s for s, allowed in rows("What did Philip Hollobone ask about?") if allowed} == {
        "Philip Hollobone"
    }
    assert not any(allowed for _, allowed in rows("What did Stephen Twigg call for?", "answer"))
    # the member addressed is not the one whose words are asked for
    assert any(
        allowed for _, allowed in rows("How did the Foreign Secretary answer Twigg?", "answer")
    )
    # ... and naming a member who is no subject opens no question: "Did Bernanke agree with
    # Menendez ...?" had quoted Menendez's questions, not Bernanke's words
    assert not any(
        allowed for _, allowed in rows("Did the Foreign Secretary agree with Twigg on Sudan?")
    )


def test_a_question_about_what_a_named_speaker_said_quotes_that_speaker_only(
    tmp_path, fake_embedder
):
    """Who said it matters: asked what Burt said, the minister Hague's answers are closed (and
    the other way round); without a speaker's name, both answer."""
    corpora = Path(__file__).parent.parent / "evals" / "corpora"
    documents = load_corpus([corpora / "05_hansard-commons-fco-questions-2011-07-19.docx"])
    index = build(documents, [fake_embedder], Settings.load(environ={}, cache_dir=tmp_path))
    of = candidates_over(index, fake_embedder, candidates=200)

    def allowed_speakers(question: str) -> set[str]:
        c = of(question)
        allowed = quotable_rows(c.matrix)
        return {
            index.passages[row].speaker
            for i, (row, _) in enumerate(c.refs)
            if allowed[i] and index.passages[row].role == "answer"
        }

    assert allowed_speakers("What did Burt say about Iran?") == {"Alistair Burt"}
    assert allowed_speakers("What did William Hague say about Syria?") == {"William Hague"}
    assert allowed_speakers("What was said about Syria?") == {"Alistair Burt", "William Hague"}
    # the subject of "did" is the speaker when the question names two
    assert allowed_speakers("What did Hague say about Burt's visit?") == {"William Hague"}
    assert allowed_speakers("Did Hague say anything about Burt's visit?") == {"William Hague"}
    # another first name before the surname is someone else: "Bear Stearns", "Jo Burt"
    assert allowed_speakers("What did Jo Burt say about Iran?") == {
        "Alistair Burt",
        "William Hague",
    }
    assert allowed_speakers("What did Mr Burt say about Iran?") == {"Alistair Burt"}
    # a title or rank is no other first name: "General Verrilli" is the Solicitor General
    assert allowed_speakers("What did Ambassador Burt say about Iran?") == {"Alistair Burt"}
    assert allowed_speakers("What did General Hague say about Syria?") == {"William Hague"}
    # a podcast's or a panel's speakers go by their given names: "William" is William Hague
    assert allowed_speakers("What did William say about Syria?") == {"William Hague"}
    assert allowed_speakers("What were Alistair's worries about Iran?") == {"Alistair Burt"}
    assert allowed_speakers("What did William Hague say to Alistair?") == {"William Hague"}


def test_asked_what_an_unlabelled_reporter_asked_the_turn_their_name_introduces_answers(
    indexed, fake_embedder
):
    """A White House reporter is a bare "Q": "What did Colleen Long ask about?" is answered by
    the question turn after "I'd like to call on ... Colleen Long", which retrieval does not
    find (it does not hold her name); the call itself is the President's words, closed."""
    text = (
        "THE PRESIDENT:  Thank you all. We had a good meeting on trade and on the border.\n\n"
        "THE PRESIDENT:  I'd like to call on Associated Press, Colleen Long, for the first "
        "question.\n\n"
        "Q    Thank you, Mr. President. You have been called too soft on migration. What is "
        "the right balance?\n\n"
        "THE PRESIDENT:  The balance is to secure the border and keep it open to trade.\n\n"
        "THE PRESIDENT:  Next, Steve Holland of Reuters.\n\n"
        "Q    Will tariffs rise next year?\n\n"
        "THE PRESIDENT:  No, they will not.\n"
    )
    index, _ = indexed("presser.txt", text)
    of = candidates_over(index, fake_embedder)
    c = of("What did Colleen Long ask about?")
    allowed = quotable_rows(c.matrix)
    open_texts = {sentence(index, ref) for i, ref in enumerate(c.refs) if allowed[i]}
    assert "What is the right balance?" in open_texts
    assert not any("call on" in t or "tariffs" in t for t in open_texts), open_texts
    marked = [
        index.passages[r].role for i, (r, _) in enumerate(c.refs) if c.matrix[i, COL["by_named"]]
    ]
    assert marked and set(marked) == {"question"}
    # a name that introduces more question turns than the bound is a topic, not who asked
    rows = list(range(len(index.passages)))
    assert introduced("What did Colleen Long ask about?", index, rows, most_turns=1)
    assert introduced("What did Colleen Long ask about?", index, rows, most_turns=0) == []
    # a name or acronym after "ask", or in a question asking who, is the topic, not the
    # asker: it closes no turn
    for question in ("What did a reporter ask about Reuters?", "Who brought up Reuters?"):
        assert not of(question).matrix[:, COL["other_speaker"]].any(), question
    assert _callers("What did the VOA reporter ask about TARP?", index) == {"VOA"}
    assert _callers("What did the VOA reporter want explained about TARP?", index) == {"VOA"}


def test_a_named_askers_questions_are_candidates_whatever_their_topic(indexed):
    """Asked what a labelled asker asked, their question turns are candidates even when
    retrieval, which looks for a topic, does not find them."""
    text = (
        "Chairman Brown: The hearing will come to order. We welcome the Chair of the Federal "
        "Reserve, who brings us the semiannual report. How strong is the economy today?\n\n"
        "Jerome Powell: The economy has grown at a solid pace, unemployment remains low, and "
        "inflation has eased, though it is still above our longer-run goal of two percent.\n\n"
        "Senator Warren: Will rates fall this year?\n\n"
        "Jerome Powell: We will make our decisions meeting by meeting, as the data come in, "
        "and we are not on any preset course; cuts will come when the evidence supports them.\n\n"
        "Senator Warren: And the big banks?\n\n"
        "Jerome Powell: The banks are well capitalised, and the stress tests show that they "
        "could keep lending through a severe recession, which is what the tests are for.\n"
    )
    index, _ = indexed("hearing.txt", text)
    answers = [r for r, p in enumerate(index.passages) if p.speaker == "Jerome Powell"]
    asked = asked_by_name("What did Senator Warren ask Powell?", index, answers[:1])
    assert [index.passages[r].text for r in asked] == [
        "Will rates fall this year?",
        "And the big banks?",
    ]
    # or what the asker said, when they are the question's subject, not the one addressed
    said = asked_by_name("What did Senator Warren point out to Powell?", index, answers[:1])
    assert said == asked
    assert asked_by_name("How did Powell answer Warren about the banks?", index, answers) == []
    assert asked_by_name("Is Senator Warren for rate cuts?", index, answers[:1]) == asked


def test_a_speaker_typed_in_lower_case_is_named_unless_the_documents_use_the_word(indexed):
    text = (
        "Jerod Santo: I'm here with Leslie Lamport. How long have you worked on TLA+?\n\n"
        "Leslie Lamport: For a long time. I'm not ready to announce a retirement date.\n\n"
        "Robert Long: And I am retiring next year.\n"
    )
    index, _ = indexed("podcast.txt", text)
    rows = list(range(len(index.passages)))
    assert index.in_lower_case("long") and not index.in_lower_case("lamport")
    asked = recased("what did lamport say abuot retiring", index)
    assert asked == "what did Lamport say abuot retiring"
    assert named_speaker(asked, index, rows) == "Leslie Lamport"
    # "long" is a word the documents use: a question about a duration names nobody
    assert recased("how long did lamport work on it", index) == "how long did Lamport work on it"
    assert named_speaker("what did long say", index, rows) is None


def test_asked_what_someone_said_whom_no_speaker_or_title_names_the_documents_quote_nobody(
    indexed,
):
    text = (
        "Jake Sullivan: I met Director Wang Yi four times, and I raised our concerns.\n\n"
        "Journalist: Did Xi Jinping mention the election?\n\n"
        "Jake Sullivan: I won't characterise what the PRC's questions were.\n"
    )
    index, doc = indexed("presser.txt", text)
    for nobody in (
        "What did Xi Jinping say about Vice President Harris?",
        "What did President Macron tell Sullivan?",
        "How did Wang Yi respond to our concerns?",
    ):
        assert unquoted_person(nobody, index, doc), nobody
    for quoted_or_not_asked in (
        "What did Sullivan say about Wang Yi?",
        "What did Jake say about the election?",
        "What did the President say?",  # a title names nobody
        "What did Xi Jinping ask for?",  # not what he said
        "What did the PRC want?",
    ):
        assert not unquoted_person(quoted_or_not_asked, index, doc), quoted_or_not_asked
    # a speaker the label does not name ("THE PRESIDENT:") may be anyone; so may a title's
    town_hall, hall = indexed(
        "town-hall.txt", "THE PRESIDENT: Good to see you.\n\nMR. LEMON: Hi.\n"
    )
    assert not unquoted_person("What did Biden say about taxes?", town_hall, hall)
    index.documents[doc] = replace(index.documents[doc], title="Sullivan's talks with Xi Jinping")
    assert not unquoted_person("What did Xi Jinping say about Vice President Harris?", index, doc)


def test_a_speaker_is_named_with_the_accents_of_their_name(indexed):
    text = (
        "Vladimir Putin: We would welcome a summit in Helsinki. It is a fine city.\n\n"
        "Sauli Niinistö: Surely, we would be very pleased to host such a summit.\n\n"
        "Recep Tayyip Erdoğan: Turkey would support it.\n"
    )
    index, _ = indexed("forum.txt", text)
    rows = list(range(len(index.passages)))
    assert {p.speaker for p in index.passages} == {
        "Vladimir Putin",
        "Sauli Niinistö",
        "Recep Tayyip Erdoğan",
    }
    asked = "What did Niinistö say about hosting a summit with Putin?"
    assert named_speaker(asked, index, rows) == "Sauli Niinistö"
    assert named_speaker("What did Erdoğan say about it?", index, rows) == "Recep Tayyip Erdoğan"
