"""Quote selection over the seed indexed with the fake embedder: the learned models decide,
the answer threshold, requests, journalists' questions, the heading, summaries and the merging
of sentences into quotes. Every number comes from the ScoringConfig passed in."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from quotebot.bot.features import SENTENCE_FEATURES, candidates
from quotebot.bot.question import prepare
from quotebot.bot.retriever import Retriever
from quotebot.bot.scorer import ANSWER_FEATURES, LinearModel
from quotebot.bot.scoring import load_scoring
from quotebot.bot.selector import (
    ASKS_LIST,
    ASKS_WHO,
    NEXT_STEPS,
    SUMMARY,
    _merge,
    asks_next_steps,
    enumeration,
    listed,
    quotable_rows,
    quoted_phrases,
    saying,
    select,
    sentence_probabilities,
)
from quotebot.index.text import normalise

SCORING = load_scoring()


def threshold(value: float, sentence: LinearModel | None = None):
    """Return the shipped configuration with answer threshold `value` (and `sentence` model)."""
    model = replace(SCORING.model, threshold=value, sentence=sentence or SCORING.model.sentence)
    return replace(SCORING, model=model)


def one_feature(name: str, weight: float = 10.0) -> LinearModel:
    """A sentence model that ranks by the single feature `name`."""
    n = len(SENTENCE_FEATURES)
    coef = np.zeros(n)
    coef[SENTENCE_FEATURES.index(name)] = weight
    return LinearModel(SENTENCE_FEATURES, np.zeros(n), np.ones(n), coef, 0.0)


@pytest.fixture
def ask(fake_index, fake_embedder):
    ranker = Retriever(fake_index, {"fake": fake_embedder}, SCORING, primary="fake")

    def ask(question: str):
        query = prepare(question, [], 2000, fake_index.lexicon)
        return query, ranker.evidence(query)

    return ask


def ids(index, quotes):
    return [(index.passages[q.row].id, q.first, q.last) for q in quotes]


def test_the_answer_threshold_decides_and_the_confidence_is_a_probability(ask, fake_index):
    query, evidence = ask("How many points were in the document?")
    chosen = select(query, evidence, fake_index, threshold(0.0), 3)
    assert chosen.quotes and 0.0 < chosen.confidence < 1.0
    abstained = select(query, evidence, fake_index, threshold(1.01), 3)
    assert abstained.quotes == [] and 0.0 < abstained.confidence < 1.0
    assert abstained.ranking == chosen.ranking, "the ranking is reported either way"
    # "does not say" is as sure as the abstention model is that the document does not answer,
    # not one minus the chance that the best sentence answers
    never = threshold(1.01)
    n = len(ANSWER_FEATURES)
    for bias in (-1.0, 2.0):
        flat = LinearModel(ANSWER_FEATURES, np.zeros(n), np.ones(n), np.zeros(n), bias)
        sure = replace(never, model=replace(never.model, unanswerable=flat))
        said = select(query, evidence, fake_index, sure, 3).confidence
        assert said == pytest.approx(1 / (1 + np.exp(-bias)))


def test_the_best_quote_is_the_sentence_model_s_best(ask, fake_index):
    query, evidence = ask("How many points were in the document?")
    scoring = threshold(0.0, one_feature("type_match"))
    chosen = select(query, evidence, fake_index, scoring, 1)
    (quote,) = chosen.quotes
    passage = fake_index.passages[quote.row]
    text = fake_index.source(passage.doc)[slice(*passage.sentences[quote.last])]
    assert any(ch.isdigit() for ch in text) or "four" in text, text


def test_extra_quotes_need_a_share_of_the_best_probability(ask, fake_index):
    query, evidence = ask("What did they say about the documents?")
    wide = replace(threshold(0.0), extra_quote_ratio=0.0)
    narrow = replace(threshold(0.0), extra_quote_ratio=1.0)
    assert len(select(query, evidence, fake_index, wide, 3).quotes) == 3
    assert len(select(query, evidence, fake_index, narrow, 3).quotes) == 1


def test_a_request_is_never_answered_whatever_the_models_say(ask, fake_index):
    query, evidence = ask("Write a poem about the 28 points in the document")
    assert query.is_request
    assert select(query, evidence, fake_index, threshold(0.0), 3).quotes == []
    query, evidence = ask("Hello!")
    assert query.small_talk
    assert select(query, evidence, fake_index, threshold(0.0), 3).quotes == []


def test_a_journalists_question_is_quoted_only_when_asked_about(ask, fake_index):
    prefer_questions = threshold(0.0, one_feature("role_question"))
    query, evidence = ask("Were there 28 points?")
    cands = candidates(query, evidence, fake_index)
    probs, _ = sentence_probabilities(cands, prefer_questions.model)
    journalist = [
        i for i, (row, _) in enumerate(cands.refs) if fake_index.passages[row].role == "question"
    ]
    assert journalist and not probs[journalist].any()
    chosen = select(query, evidence, fake_index, prefer_questions, 3)
    assert chosen.quotes and all(
        fake_index.passages[q.row].role != "question" for q in chosen.quotes
    )
    query, evidence = ask("What did the journalist ask about 28 points?")
    chosen = select(query, evidence, fake_index, prefer_questions, 3)
    assert fake_index.passages[chosen.quotes[0].row].role == "question"


def test_the_heading_answers_only_date_and_title_questions(ask, fake_index):
    query, evidence = ask("What did they discuss about the documents?")
    heading = quotable_rows(candidates(query, evidence, fake_index).matrix)
    cands = candidates(query, evidence, fake_index)
    titles = [
        i for i, (row, _) in enumerate(cands.refs) if fake_index.passages[row].role == "title"
    ]
    assert titles and not heading[titles].any()
    for asked in ("On what date was the commentary given?", "Who gave this commentary?"):
        query, evidence = ask(asked)
        cands = candidates(query, evidence, fake_index)
        titles = [
            i for i, (row, _) in enumerate(cands.refs) if fake_index.passages[row].role == "title"
        ]
        assert titles and quotable_rows(cands.matrix)[titles].all(), asked
    for asked in ("Who gave the envoys a document?", "Who did the envoys meet?"):
        query, evidence = ask(asked)
        cands = candidates(query, evidence, fake_index)
        titles = [
            i for i, (row, _) in enumerate(cands.refs) if fake_index.passages[row].role == "title"
        ]
        assert not quotable_rows(cands.matrix)[titles].any(), asked


def _follow_on(cands, index) -> tuple[dict[int, str], np.ndarray, np.ndarray]:
    """Return each candidate's sentence, and its after_previous and repeats_previous columns."""
    text = {
        i: normalise(index.source(index.passages[row].doc)[slice(*span)])
        for i, (row, j) in enumerate(cands.refs)
        for span in [index.passages[row].sentences[j]]
    }
    column = SENTENCE_FEATURES.index
    return (
        text,
        cands.matrix[:, column("after_previous")],
        cands.matrix[:, column("repeats_previous")],
    )


def test_a_follow_up_knows_which_sentences_follow_the_earlier_answers_quote(
    fake_index, fake_embedder
):
    from quotebot.bot.conversation import Turn

    ranker = Retriever(fake_index, {"fake": fake_embedder}, SCORING, primary="fake")
    quoted = (
        "We agree with some of them, as the President has told our interlocutors, while other "
        "elements elicited some criticism, and the President made no secret of our critical "
        "and even negative attitude towards some of the proposals."
    )
    turn = Turn("Did Russia agree?", f"Yury Ushakov said: “{quoted}” [1]", ("x",))
    query = prepare("And what else did he say?", [turn], 2000, fake_index.lexicon)
    assert query.is_follow_up and query.carried_quotes[0].startswith("We agree with some")
    cands = candidates(query, ranker.evidence(query), fake_index)
    text, after, repeats = _follow_on(cands, fake_index)
    assert [text[i][:25] for i in np.flatnonzero(repeats)] == ["We agree with some of the"]
    following = sorted(np.flatnonzero(after), key=lambda i: -after[i])
    assert following and after[following[0]] == 1.0
    assert text[following[0]].startswith("But what matters most")
    # the first question of a conversation has neither
    query = prepare("What did they agree?", [], 2000, fake_index.lexicon)
    fresh = candidates(query, ranker.evidence(query), fake_index).matrix
    assert not fresh[:, SENTENCE_FEATURES.index("after_previous")].any()


def test_a_follow_up_finds_the_sentences_an_earlier_answer_reports_in_its_own_words(
    fake_index, fake_embedder
):
    """A history from elsewhere (an API client's, a question set's) reports the earlier answer
    without quotes: the sentences it reports are found by their shared content words."""
    from quotebot.bot.conversation import Turn

    ranker = Retriever(fake_index, {"fake": fake_embedder}, SCORING, primary="fake")
    reported = (SCORING.reported_share, SCORING.reported_words)
    said = (
        "He said Russia agrees with some of them, that other elements elicited criticism, and "
        "that the President made no secret of a negative attitude towards some proposals."
    )
    query = prepare(
        "And what else did he say?", [Turn("Did Russia agree?", said)], 2000, fake_index.lexicon
    )
    assert query.is_follow_up and not query.carried_quotes and query.earlier_answer == said
    cands = candidates(query, ranker.evidence(query), fake_index, reported=reported)
    text, after, repeats = _follow_on(cands, fake_index)
    assert [text[i][:25] for i in np.flatnonzero(repeats)] == ["We agree with some of the"]
    following = sorted(np.flatnonzero(after), key=lambda i: -after[i])
    assert following and text[following[0]].startswith("But what matters most")
    # too few words in common report nothing: "He said no." is not the sentence "No."
    query = prepare(
        "Why?", [Turn("Did they agree?", "He said they agreed.")], 2000, fake_index.lexicon
    )
    cands = candidates(query, ranker.evidence(query), fake_index, reported=reported)
    assert not cands.matrix[:, SENTENCE_FEATURES.index("repeats_previous")].any()


def test_a_summary_quotes_central_spoken_sentences_one_per_passage_in_order(ask, fake_index):
    assert SUMMARY.search("Can you summarise the statement?")
    assert SUMMARY.search("What were the main topics?") and not SUMMARY.search("How long?")
    assert SUMMARY.search("What is the main takeaway?") and SUMMARY.search("Highlights, please")
    assert SUMMARY.search("TL;DR?") and not SUMMARY.search("What was the bottom of the list?")
    assert SUMMARY.search("Résumez la déclaration") and SUMMARY.search("Кратко, о чём это?")
    for word in ("presumably", "resume", "краткосрочный"):  # words that only hold the letters
        assert not SUMMARY.search(f"Who said the issue is {word} critical?"), word
    query, evidence = ask("Summarise the statement, please")
    chosen = select(query, evidence, fake_index, threshold(1.01), 5)
    rows = [q.row for q in chosen.quotes]
    assert len(rows) == SCORING.summary_sentences and rows == sorted(set(rows))
    assert {fake_index.passages[r].role for r in rows} <= {"answer", "statement"}


def test_a_summary_leaves_out_short_sentences_questions_and_repeats(ask, fake_index):
    query, evidence = ask("Summarise the statement, please")
    source = fake_index.source("statement")

    def quoted(scoring):
        chosen = select(query, evidence, fake_index, scoring, 5).quotes
        return [source[slice(*fake_index.passages[q.row].sentences[q.first])] for q in chosen]

    texts = quoted(threshold(1.01))
    assert texts and all(len(t.split()) >= SCORING.summary_min_words for t in texts)
    assert not any(t.rstrip().endswith("?") for t in texts)
    # when no sentence is long enough, the spoken ones are summed up all the same
    assert len(quoted(replace(SCORING, summary_min_words=10_000))) == SCORING.summary_sentences
    # a sentence as close to a chosen one as any other is a repeat: one sentence sums it up
    assert len(quoted(replace(SCORING, summary_max_similarity=-1e9))) == 1


def test_a_question_asking_for_several_things_quotes_more_of_the_likely_sentences(ask, fake_index):
    for question in (
        "What defence steps did the two leaders announce?",
        "Which parachute and landing events did Grissom call out?",
        "In which US cities is India opening new consulates?",
        "Which points of friction with China did Sullivan say he raised?",  # a complement
        "Which data sets or study cohorts did Walensky walk through?",
        "What steps to protect LGBTQ Americans did Biden announce?",
        "What are the parts of the strategy in West Africa?",  # what the things are
        "What are Rogers's four missions in life?",
    ):
        assert ASKS_LIST.search(question), question
    for question in (
        "What did the Americans do?",
        "What is this about?",
        "What news does he bring?",
        "What is the status of the talks?",
        "What are Biden and Scholz expected to talk about?",
        "What was agreed on energy?",
    ):
        assert not ASKS_LIST.search(question), question
    query, evidence = ask("What documents did the Americans send?")
    assert ASKS_LIST.search(query.question)
    flat = one_feature("cos", weight=0.01)  # probabilities near one another
    one = select(
        query, evidence, fake_index, replace(threshold(0.0, flat), list_quote_ratio=1.0), 3
    )
    many = select(
        query, evidence, fake_index, replace(threshold(0.0, flat), list_quote_ratio=0.0), 3
    )
    assert len(one.quotes) < len(many.quotes) == 3
    assert one.confidence == many.confidence  # the answerability model reads the usual quotes


def test_next_steps_are_what_the_document_says_is_to_come_from_across_it(ask, fake_index):
    for question in ("What are the next steps?", "What happens next?", "What's the plan?"):
        assert NEXT_STEPS.search(question), question
    assert not NEXT_STEPS.search("Who sat next to Putin?")
    # of a topic, it is answered as any question is
    assert asks_next_steps("What happens next after the meeting?")
    assert not asks_next_steps("What are the next steps on testing?")
    query, evidence = ask("What are the next steps?")
    never = threshold(1.01)  # the answerability model alone would abstain
    chosen = select(query, evidence, fake_index, never, 3)
    texts = [fake_index.sentence_text(q.row, q.first) for q in chosen.quotes]
    assert 0 < len(texts) <= 3 and all(
        any(w in t for w in ("will", "continue", "agreed to", "next")) for t in texts
    ), texts
    assert len({q.row for q in chosen.quotes}) == len(texts), "one sentence a passage"
    assert (
        chosen.confidence < 1.01
        and chosen.confidence == select(query, evidence, fake_index, threshold(0.0), 3).confidence
    ), "the confidence is the answerability model's, as for a summary"


def test_the_named_askers_question_is_quoted_even_when_its_cosines_say_nothing(
    indexed, fake_embedder
):
    index, _ = indexed(
        "briefing.txt",
        "MS. JEAN-PIERRE: The shutdown would hurt families.\n\n"
        "MS. JEAN-PIERRE: Go ahead, Weijia.\n\n"
        "Q Thanks, Karine. Can you give us examples of what inspections stop?\n\n"
        "SECRETARY VILSACK: Meat inspections go on.\n\n"
        "MS. JEAN-PIERRE: Go ahead, Steve.\n\nQ Will the farm loans stop?\n\n"
        "SECRETARY VILSACK: Yes, they would.\n",
    )
    ranker = Retriever(index, {"fake": fake_embedder}, SCORING, primary="fake")
    query = prepare("What did Weijia want to know from Vilsack?", [], 2000, index.lexicon)
    evidence = ranker.evidence(query)
    never = replace(threshold(1.01), asked_confidence=0.42)  # the model would abstain
    chosen = select(query, evidence, index, never, 3)
    rows = {index.passages[q.row].text for q in chosen.quotes}
    assert rows and all("Karine" in t or "inspections stop" in t for t in rows)
    assert chosen.confidence == 0.42
    # a question that names nobody's question abstains as the model says
    query = prepare("What did they say about inspections?", [], 2000, index.lexicon)
    assert select(query, ranker.evidence(query), index, never, 3).quotes == []


def test_no_quote_holding_the_kind_of_answer_asked_means_the_document_does_not_say(ask, fake_index):
    answer_all = replace(threshold(0.0), mistyped_confidence=0.61)

    def answer(question: str, feature: str):
        """`question` answered with the sentences that have `feature` ranked first."""
        ranked = replace(answer_all.model, sentence=one_feature(feature, weight=10.0))
        return select(*ask(question), fake_index, replace(answer_all, model=ranked), 3)

    # "How many ..." and every quote a number-free sentence: nothing answers
    chosen = answer("How many points did the document have?", "type_miss")
    assert chosen.quotes == [] and chosen.confidence == 0.61
    # a quote holding a number answers as the model says
    chosen = answer("How many points did the document have?", "type_match")
    assert chosen.quotes and chosen.confidence != 0.61
    # ... unless the number is not one of the things counted ("How many envoys ...?" and a
    # quote counting points)
    chosen = answer("How many envoys arrived by train?", "type_match")
    assert chosen.quotes == [] and chosen.confidence == 0.61


def test_a_phrase_the_question_quotes_is_answered_by_the_sentence_that_says_it(ask, fake_index):
    """Whatever the models say: the sentence saying the quoted phrase verbatim answers (a
    journalist's words too, as theirs); asked who said a phrase nobody says, "does not say"."""
    never = replace(threshold(1.1), phrase_confidence=0.9, misquoted_confidence=0.8)
    assert quoted_phrases('Who said it "did not last five minutes"?') == (
        "did not last five minutes",
    )
    assert quoted_phrases("Who said “Yes.” or 'no'?") == ()  # one word; single quotes are not read
    assert quoted_phrases("Who said “The territorial issue is critical?”") == (
        "the territorial issue is critical",
    )

    def quoted(question: str) -> list[str]:
        chosen = select(*ask(question), fake_index, never, 3)
        assert chosen.confidence == (0.9 if chosen.quotes else 0.8), question
        return [normalise(fake_index.sentence_text(q.row, q.first)) for q in chosen.quotes]

    said = quoted("Who said the talks “did not last five minutes but five HOURS”?")
    assert said == [
        "It was an extremely useful, constructive and substantive conversation, which did not "
        "last five minutes but five hours."
    ]
    asked = quoted("Who asked whether “the territorial issue is presumably the most critical”?")
    assert asked == ["The territorial issue is presumably the most critical, is it not?"]
    assert quoted("Who said that Russia “will never accept the 28 points”?") == []
    # not asked who: a missing phrase is left to the models (which, here, never answer)
    chosen = select(
        *ask("Did Russia say it “will never accept the 28 points”?"), fake_index, never, 3
    )
    assert chosen.quotes == [] and chosen.confidence not in (0.8, 0.9)
    # a phrase that runs over two sentences gives the first
    both = saying(fake_index, ("but five hours. in other words",), "statement")
    assert [fake_index.sentence_text(*ref)[-11:] for ref in both] == ["five hours."]


def test_a_spoken_lists_items_are_found_from_the_sentence_that_opens_it(indexed):
    text = (
        "DR. SHAH: Our strategy now is clear. First, we are investing in command centres. "
        "They trace contacts.\n\n"
        "Second, we are building treatment units. We have 2,800 beds planned. They open soon.\n\n"
        "And third, we are engaging communities. That is the plan. Thank you.\n\n"
        "Q: One more question: how many beds are open?\n\n"
        "DR. SHAH: One is open. None in Guinea.\n"
    )
    index, _ = indexed("briefing.txt", text)
    refs = [(r, j) for r, p in enumerate(index.passages) for j in range(len(p.sentences))]
    at = {index.sentence_text(r, j).split(",")[0].split(" ")[0]: (r, j) for r, j in refs}

    def items(word: str) -> list[str]:
        return [index.sentence_text(*ref).split(",")[0] for ref in enumeration(index, *at[word], 3)]

    the_list = ["First", "Second", "And third"]
    assert items("Our") == the_list  # the sentence announcing it
    assert items("Second") == the_list  # an item: the list it belongs to, from its first item
    assert items("They") == the_list
    assert items("That") == []  # after the list
    assert items("One") == []  # another turn: not this list's items; one item is no list
    # the list of the likeliest kept sentence that has one comes first, wherever it ranks
    keep = [(*at[w], p) for w, p in (("That", 0.9), ("One", 0.8), ("None", 0.7), ("They", 0.6))]
    order = [index.sentence_text(r, j).split(",")[0] for r, j, _ in listed(keep, index, 3)]
    assert order == [
        *the_list,
        "That is the plan.",
        "One is open.",
        "None in Guinea.",
        "They open soon.",
    ]


def test_a_list_item_may_open_with_a_conjunction_and_a_comma(indexed):
    text = "DR. SHAH: There are two problems. One is the cost. And, second, the time it takes.\n"
    index, _ = indexed("briefing.txt", text)
    items = [index.sentence_text(0, j) for j, _ in enumerate(index.passages[0].sentences)]
    found = [index.sentence_text(*ref) for ref in enumeration(index, 0, 0, 3)]
    assert found == items[1:] == ["One is the cost.", "And, second, the time it takes."]


def test_adjacent_sentences_form_one_quote_and_a_short_one_takes_its_neighbour(fake_index):
    p05 = fake_index.by_id["statement#p05"]  # sentence 1: "We discussed these documents."
    text = normalise(fake_index.source("statement")[slice(*fake_index.passages[p05].sentences[1])])
    assert text == "We discussed these documents."
    quotes = _merge([(p05, 1, 0.9)], fake_index, 3, short_words=5)
    assert ids(fake_index, quotes) == [("statement#p05", 0, 1)]
    assert ids(fake_index, _merge([(p05, 1, 0.9)], fake_index, 3, short_words=4)) == [
        ("statement#p05", 1, 1)
    ]
    run = _merge([(p05, 2, 0.9), (p05, 3, 0.8), (p05, 0, 0.7)], fake_index, 3, short_words=5)
    assert ids(fake_index, run) == [("statement#p05", 2, 3), ("statement#p05", 0, 0)]
    # a short sentence that opens its passage takes the one after it (a turn's "Never.")
    opening = _merge([(p05, 0, 0.9)], fake_index, 3, short_words=30)
    assert ids(fake_index, opening) == [("statement#p05", 0, 1)]


def test_quotes_come_from_at_most_max_quotes_passages(fake_index):
    rows = [fake_index.by_id[f"statement#p{n:02d}"] for n in (4, 7, 9, 11)]
    keep = [(row, 0, 1.0 - i / 10) for i, row in enumerate(rows)]
    assert [q.row for q in _merge(keep, fake_index, 2, short_words=5)] == rows[:2]


def test_at_most_max_quotes_sentences_are_quoted_in_all(fake_index):
    p05 = fake_index.by_id["statement#p05"]
    n = len(fake_index.passages[p05].sentences)
    assert n >= 3
    keep = [(p05, j, 0.9) for j in range(n)]
    assert ids(fake_index, _merge(keep, fake_index, 2, short_words=1)) == [("statement#p05", 0, 1)]


def test_a_quote_of_a_questions_preamble_runs_through_the_question_itself(fake_index):
    p12 = fake_index.by_id["statement#p12"]  # two sentences of context, then the question
    assert fake_index.passages[p12].role == "question"
    assert ids(fake_index, _merge([(p12, 0, 0.9)], fake_index, 3, short_words=1)) == [
        ("statement#p12", 0, 2)
    ]
    # a quote that holds a question mark already, and an official's words, stay as chosen
    assert ids(fake_index, _merge([(p12, 2, 0.9)], fake_index, 3, short_words=1)) == [
        ("statement#p12", 2, 2)
    ]
    p05 = fake_index.by_id["statement#p05"]
    assert ids(fake_index, _merge([(p05, 0, 0.9)], fake_index, 3, short_words=1)) == [
        ("statement#p05", 0, 0)
    ]


def test_a_preamble_whose_question_is_in_a_later_passage_of_its_turn_quotes_that_question(
    indexed,
):
    index, _ = indexed(
        "presser.txt",
        "THE PRESIDENT: Laura, please.\n\n"
        "Q Laura Barrón-López with the PBS NewsHour. States are passing laws. Protests turned "
        "violent. Parents are afraid. Some of them are leaving.\n\n"
        "Sir, why is this happening? What do you say to those parents?\n\n"
        "THE PRESIDENT: It is wrong.\n",
    )
    rows = [i for i, p in enumerate(index.passages) if p.role == "question"]
    assert len(rows) == 3 and index.passages[rows[0]].text.startswith("Laura Barrón-López")
    got = ids(index, _merge([(rows[0], 0, 0.9)], index, 3, short_words=1))
    assert got == [(index.passages[rows[0]].id, 0, 0), (index.passages[rows[2]].id, 0, 0)]
    # asked who asked, the preamble that names them answers
    assert ids(index, _merge([(rows[0], 0, 0.9)], index, 3, short_words=1, who=True)) == got[:1]
    assert ASKS_WHO.match("Who asked about the laws?") and ASKS_WHO.match("Which outlet asked?")
    assert not ASKS_WHO.match("What did Laura Barrón-López ask about?")
    # as many quotes as asked for, at most
    assert len(_merge([(rows[0], 0, 0.9)], index, 1, short_words=1)) == 1
    assert ids(index, _merge([(rows[1], 0, 0.9)], index, 3, short_words=1)) == [
        (index.passages[rows[1]].id, 0, 0),
        (index.passages[rows[2]].id, 0, 0),
    ]
    # the next turn's question is not this one's: a preamble without one stays as it is
    index, _ = indexed(
        "presser2.txt",
        "Q Laura with PBS. States pass laws. Protests grew. Parents fear. They leave.\n\n"
        "THE PRESIDENT: Go on.\n\nQ Why is this happening?\n",
    )
    first = index.passages[0]
    assert first.role == "question" and index.passages[1].turn == first.turn
    assert ids(index, _merge([(1, 0, 0.9)], index, 3, short_words=1)) == [
        (index.passages[1].id, 0, 0)
    ]
