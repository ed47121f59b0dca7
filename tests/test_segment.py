"""Chrome stripping, speaker turns, sentences and offsets (pure logic, no models)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from quotebot.index.records import Document
from quotebot.index.segment import content_start, segment, sentence_spans
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
    st.text(alphabet=st.sampled_from(list("ab .?!:\n\u00a0\r\tQuestion:YuryUshakov")), max_size=300)
)
def test_fuzz_offsets_stay_inside_the_source_and_match(text):
    for p in segment(doc(text)):
        assert 0 <= p.start < p.end <= len(text)
        assert normalise(text[p.start : p.end]) == p.text != ""
        for s, e in p.sentences:
            assert p.start <= s < e <= p.end
