"""The real transcripts in evals/corpora/ (five formats, seven label conventions) and the seed:
each reader's text, and the speakers, roles and offsets segmentation finds in it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from quotebot.index.corpus import read_document
from quotebot.index.segment import segment
from quotebot.index.text import normalise

from quotebot.settings import DEFAULT_CORPUS

CORPORA = Path(__file__).resolve().parent.parent / "evals" / "corpora"
MANIFEST = {e["file"]: e for e in json.loads((CORPORA / "MANIFEST.json").read_text("utf-8"))}
SEED_ORACLE = Path(__file__).resolve().parent / "seed_segmentation.json"

# (canonical speaker, role) pairs each file must yield, from MANIFEST.json's label forms. Where
# this departs from the manifest it says so: roles segmentation cannot know from the text.
EXPECTED = {
    "01_wh-briefing-leavitt-2025-01-29.md": {
        ("Karoline Leavitt", "answer"),  # MS. LEAVITT:
        ("Karoline Leavitt", "statement"),  # her greeting, before any question
        ("Journalist", "question"),  # Q
    },
    "02_wh-trump-modi-presser-2025-02-13.txt": {
        ("President Trump", "answer"),  # PRESIDENT TRUMP:
        ("Narendra Modi", "answer"),  # PRIME MINISTER MODI:
        ("President Trump", "statement"),  # opening statements
        ("Narendra Modi", "statement"),
        ("Interpreter", "statement"),  # INTERPRETER:
        ("Journalist", "question"),  # Q
    },
    "03_wh-kirby-gaggle-2024-02-06.pdf": {
        ("Moderator", "moderator"),  # MODERATOR:
        ("John Kirby", "answer"),  # MR. KIRBY:
        ("John Kirby", "statement"),  # his opening
        ("Journalist", "question"),  # Q
    },
    "04_kremlin-direct-line-answers-2018-06-07.html": {
        ("Vladimir Putin", "answer"),  # President of Russia Vladimir Putin:, Vladimir Putin:
        ("Vladimir Putin", "statement"),  # "Good afternoon." before the first question
        ("Journalist", "question"),  # Question:, Remark:
    },
    "05_hansard-commons-fco-questions-2011-07-19.docx": {
        ("David Hanson", "question"),  # 1. Mr David Hanson (Delyn) (Lab):, Mr Hanson:
        ("Philip Hollobone", "question"),
        ("Stephen Twigg", "question"),
        ("Paul Flynn", "question"),
        ("William Hague", "answer"),  # The Secretary of State ... (Mr William Hague):, Mr Hague:
        ("Alistair Burt", "answer"),
    },
    "06_hansard-commons-fco-topical-questions-2011-07-19.html": {
        ("Paul Flynn", "question"),
        ("Harriett Baldwin", "question"),
        ("Stephen Mosley", "question"),
        ("Alistair Burt", "answer"),
        ("William Hague", "answer"),
    },
    "07_wh-interview-trump-fox-sports-2025-02-16.md": {
        ("President Trump", "answer"),  # THE PRESIDENT: (named from the title)
        ("Jamie Little", "question"),  # Q: "Interview of President Trump by Jamie Little"
    },
    # Air-to-ground talk is not question and answer (the manifest calls CC the asker, but CC
    # asks in 7 of 54 turns): every call sign is a speaker, role statement.
    "08_nasa-mercury-redstone-4-air-to-ground-1961-07-21.txt": {
        (name, "statement")
        for name in (
            "Bell 7",
            "CC",
            "Stony",
            "Chase 1",
            "ATS",
            "Cardfile 9",
            "Cardfile 23",
            "Huntclub 1",
            "Huntclub 3",
            "UKN",
        )
    },
    # The Chair (Lady Hallett) is a statement here, not moderator: nothing in the text says so.
    "09_uk-covid-inquiry-m1-melanie-field-2023-07-13.txt": {
        ("Melanie Field", "answer"),  # **Ms Melanie Field**:, **The Witness**:
        ("Counsel Inquiry", "question"),
        ("Ms Blackwell", "question"),
        ("Lady Hallett", "statement"),
        ("Mr Keith", "statement"),
    },
    "10_wh-background-call-syria-2024-12-09.md": {
        ("Moderator", "moderator"),  # MODERATOR:
        ("Senior Administration Official", "answer"),  # SENIOR ADMINISTRATION OFFICIAL:
        ("Senior Administration Official", "statement"),  # the opening remarks
        ("Journalist", "question"),  # Q
    },
    # A hearing without colons ("Senator Shelby."): the senators ask. Before the witness first
    # speaks, opening statements; the chairman's turns that ask the witness are questions, the
    # others (opening, recognising, thanking) statements.
    "11_senate-banking-bernanke-2008-07-15.html": {
        ("Ben S. Bernanke", "answer"),  # Mr. Bernanke.
        ("Ben S. Bernanke", "statement"),  # his testimony, before any question
        ("Christopher J. Dodd", "statement"),  # Chairman Dodd.
        ("Christopher J. Dodd", "question"),
        ("Richard C. Shelby", "statement"),  # his opening statement
        ("Richard C. Shelby", "question"),
        ("Robert Menendez", "question"),
        ("Robert F. Bennett", "question"),
    },
    # A podcast: the hosts ask, both guests answer.
    "12_podcast-gotime-100-pike-griesemer.md": {
        ("Carmen Andoh", "question"),  # **Carmen Andoh:**
        ("Jon Calhoun", "question"),
        ("Rob Pike", "answer"),
        ("Robert Griesemer", "answer"),
        # the welcome, before the first question
        *((name, "statement") for name in ("Carmen Andoh", "Jon Calhoun", "Rob Pike")),
        ("Robert Griesemer", "statement"),
    },
    # A news conference on the same site as 04; its footer's "See also" links are not speech.
    "13_kremlin-news-conference-china-2019-04-27.html": {
        ("Vladimir Putin", "answer"),
        ("Vladimir Putin", "statement"),  # "There will be no opening remarks."
        ("Journalist", "question"),  # Question:
    },
    "14_wh-psaki-criswell-briefing-2022-01-14.md": {
        ("Jen Psaki", "answer"),  # MS. PSAKI: (named from the title)
        ("Jen Psaki", "statement"),
        ("Deanne Criswell", "statement"),  # ADMINISTRATOR CRISWELL: her opening statement
        ("Deanne Criswell", "answer"),
        ("Journalist", "question"),  # Q
    },
    # A House hearing (an excerpt): thirteen members' opening statements before the witness
    # speaks, then the chairman and the ranking member ask; names completed from the roster.
    "15_house-ec-ftc-leibowitz-2009-03-24.html": {
        ("Jon Leibowitz", "statement"),  # Mr. Leibowitz. his testimony
        ("Jon Leibowitz", "answer"),
        ("Bobby L. Rush", "statement"),  # Mr. Rush. chairs
        ("Bobby L. Rush", "question"),
        ("George Radanovich", "statement"),  # his opening statement
        ("George Radanovich", "question"),
        *(
            (name, "statement")
            for name in (
                "Henry A. Waxman",
                "Joseph R. Pitts",
                "Doris O. Matsui",
                "Joe Barton",  # JOE BARTON, Texas in the roster
                "John Barrow",
                "Jan Schakowsky",
                "Phil Gingrey",
                "Betty Sutton",
                "Steve Scalise",
                "Gene Green",
                "Cliff Stearns",
            )
        ),
    },
    "16_podcast-founderstalk-7-henk-rogers-tetris.md": {
        ("Adam Stacoviak", "question"),  # **Adam Stacoviak:**
        ("Adam Stacoviak", "statement"),  # his introduction
        ("Henk Rogers", "answer"),
        ("Henk Rogers", "statement"),  # his first words, before a question
    },
    "17_wh-bin-laden-background-call-2011-05-02.html": {
        ("Senior Administration Official", "answer"),  # several people under one label
        ("Senior Administration Official", "statement"),  # the briefing before the questions
        ("Mr. Vietor", "statement"),  # the spokesman who runs the call (the manifest's
        ("Mr. Vietor", "answer"),  # moderator: nothing in the text says he is one)
        ("Journalist", "question"),  # Q
    },
    "18_wh-obama-press-conference-2010-09-10.html": {
        ("President Obama", "answer"),  # THE PRESIDENT: (the <h1> title names him)
        ("President Obama", "statement"),  # his opening statement
        ("Mr. Gibbs", "answer"),  # "Last question." (the manifest's moderator)
        ("Journalist", "question"),  # Q
    },
    "19_house-smallbiz-forum-2009-01-14.htm": {
        # a House committee's forum: the witnesses are named by the contents ("Allison, Mr.
        # Ted"); the chairwoman and members ask. Departs from the manifest: three of the four
        # witnesses read as statements, their words are never counted as answers (the one who
        # speaks most, Therrien, is the witness the questions go to), a few of Massie's turns
        # that end in a question read as questions, and the ranking member (Mr. Graves.) asks
        # nothing that is followed by the witness
        ("Nydia M. Velazquez", "question"),  # Chairwoman Velazquez.
        ("Nydia M. Velazquez", "statement"),
        ("Sam Graves", "statement"),
        ("Mr. Luetkemeyer", "question"),  # no first name in the record
        ("Mr. Luetkemeyer", "statement"),
        ("Mr. Moore", "question"),
        ("Mr. Schrader", "question"),
        ("Mrs. Dahlkemper", "question"),
        ("Ms. Clarke", "question"),
        ("Robert W. Therrien", "answer"),
        ("Robert W. Therrien", "statement"),
        ("Ted Allison", "statement"),
        ("Tim Ehmann", "statement"),
        ("Steve Massie", "statement"),  # not "Jack L. Massie" (his company)
        ("Steve Massie", "question"),
    },
    "20_house-fs-lehman-local-govts-2009-05-05.htm": {
        ("Barney Frank", "statement"),  # The Chairman. (the roster names him), who never answers
        ("Barney Frank", "question"),
        ("Dennis Moore", "question"),  # Mr. Moore of Kansas.
        ("David Scott", "statement"),  # not "California Scott" (the roster's two columns)
        ("Spencer Bachus", "question"),
        ("Spencer Bachus", "statement"),
        ("Edward R. Royce", "statement"),
        ("Jeb Hensarling", "statement"),
        ("Tom Price", "statement"),
        ("Paul W. Hodes", "question"),
        ("Paul W. Hodes", "statement"),
        ("Donald A. Manzullo", "question"),
        ("Scott Garrett", "question"),
        ("Ed Perlmutter", "question"),
        ("Emanuel Cleaver", "question"),
        ("Jackie Speier", "answer"),  # the two members who testify
        ("Jackie Speier", "statement"),
        ("Anna G. Eshoo", "answer"),
        ("Karen E. Rushing", "answer"),  # the county officials
        ("Ron Galatolo", "answer"),
        ("Richard S. Gordon", "answer"),
        ("Robert Hullinghorst", "answer"),
        ("Mr. Thornberg", "answer"),
    },
    "21_jsparty-82-node-panel-nodeconf-colombia-2019.md": {
        # a panel: the moderator (**Kevin Ball:**) asks, beside the audience's labelled
        # questions, and the panelists answer (before segmentation 20 his questions to the panel
        # read as statements, and the panelists' replies too)
        ("Kevin Ball", "question"),
        *((name, "answer") for name in ("Kat Marchán", "Anna Henningsen")),
        *((name, "answer") for name in ("Ruben Bridgewater", "James Snell")),
        ("Audience member", "question"),  # **Audience member:**, not a journalist
    },
    "22_wh-biden-roundtable-essential-workers-2021-02-23.md": {
        # a roundtable with no questions asked by a reporter: everyone's words are statements
        ("President Biden", "statement"),  # THE PRESIDENT:
        ("Susan Rice", "statement"),  # AMBASSADOR RICE: (the title names her)
        ("Mr. Alfred", "statement"),
        ("Mr. Carter", "statement"),
        ("Ms. Owens", "statement"),
        ("Ms. Palmer", "statement"),
        ("Participants", "statement"),  # PARTICIPANTS: (a chorus)
    },
}


def load(name: str):
    path = CORPORA / name
    document = read_document(path, path.stem)
    return document, segment(document)


def test_every_corpus_file_has_expectations():
    assert set(EXPECTED) == set(MANIFEST) == {p.name for p in CORPORA.iterdir()} - {"MANIFEST.json"}
    # `--corpus evals/corpora` answers from the transcripts and nothing else
    from quotebot.index.corpus import load_corpus

    assert {d.doc for d in load_corpus([CORPORA])} == {Path(n).stem for n in EXPECTED}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_speakers_and_roles_are_the_real_ones(name):
    _, passages = load(name)
    found = {(p.speaker, p.role) for p in passages if p.speaker}
    assert found == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_offsets_are_exact_and_answers_point_back_to_their_question(name):
    document, passages = load(name)
    text = document.text
    by_id = {p.id: p for p in passages}
    assert passages and all(a.end <= b.start for a, b in zip(passages, passages[1:], strict=False))
    for p in passages:
        assert normalise(text[p.start : p.end]) == p.text
        assert p.sentences[0][0] == p.start and p.sentences[-1][1] == p.end
        for s, e in p.sentences:
            assert p.start <= s < e <= p.end and normalise(text[s:e])
        if p.role == "answer":
            question = by_id[p.question_id]
            assert question.role == "question" and question.turn < p.turn


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_label_in_any_passage_or_sentence(name):
    document, passages = load(name)
    forms = [f.rstrip(":") for f in MANIFEST[name]["speakers"] if f != "Q"]
    forms += ["**The Witness**", "Remark", "Question"]
    starts = [p.text for p in passages]
    starts += [normalise(document.text[s:e]) for p in passages for s, e in p.sentences]
    for start in starts:
        for form in forms:
            assert not re.match(rf"(?:\d+\.\s+)?{re.escape(form)}\s*:", start), start
        assert not re.match(r"Q(?:[:.]|\s)", start), start


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_metadata_and_no_front_matter_or_stage_lines_in_passages(name):
    document, passages = load(name)
    entry = MANIFEST[name]
    # the date is in the front matter, the page's metadata or the header, where there is one
    undated = ("03_", "08_", "09_", "11_", "12_", "15_", "16_", "17_", "18_", "19_", "20_", "21_")
    assert document.date == (None if name.startswith(undated) else entry["date"])
    everything = "\n".join(p.text for p in passages)
    assert not re.search(r"(?<!-)---(?!-)", everything)  # a front matter fence (not "----")
    for junk in ("title:", "source:", "published_time", "mirror:", "_page:"):
        assert junk not in everything
    for stage in (
        r"\(Laughter\.\)",
        r"\(Applause\.\)",
        r"\[\d\d:\d\d:\d\d:\d\d\]",
        r"\(10\.54 am\)",
    ):
        assert not re.search(stage, everything)
    assert not any(p.text.startswith("END") for p in passages)


def test_markdown_front_matter_becomes_metadata():
    document, passages = load("01_wh-briefing-leavitt-2025-01-29.md")
    assert document.title == "Press Briefing by Press Secretary Karoline Leavitt"
    assert document.source.startswith("https://www.whitehouse.gov/briefings-statements/")
    assert not document.text.startswith("---") and "mirror:" not in document.text
    # the markdown escape \[ is undone, so a quote of the sentence matches the rendered text
    assert any("[Seila]" in p.text for p in passages)
    assert (passages[0].role, passages[0].text) == ("title", "1:06 P.M. EST")  # not speech
    assert passages[1].speaker == "Karoline Leavitt" and passages[2].text == "Good afternoon."


def test_pdf_loses_running_heads_and_page_numbers_but_keeps_paragraphs():
    document, passages = load("03_wh-kirby-gaggle-2024-02-06.pdf")
    head = MANIFEST["03_wh-kirby-gaggle-2024-02-06.pdf"]["title"]
    assert document.title == head and "kirby" in document.source
    assert head not in document.text and not re.search(r"\bPage \d", document.text)
    # a paragraph that runs over a page break is one paragraph
    joined = next(p for p in passages if "our steadfast support for Israel" in p.text)
    assert "Israel’s right to defend itself, as well as our mutual obligations" in joined.text
    assert len(re.findall(r"\n\n", document.text)) >= 60  # one paragraph per turn at least


def test_kremlin_page_keeps_the_transcript_only():
    document, passages = load("04_kremlin-direct-line-answers-2018-06-07.html")
    assert document.title == "Answers to\u00a0journalists’ questions following Direct Line"
    assert document.source == "http://en.kremlin.ru/events/president/news/57693"
    for chrome in ("Creative Commons", "Search", "LiveJournal", "All content on this site"):
        assert chrome not in document.text
    remark = next(p for p in passages if p.text == "Then what is your opinion about this?")
    assert remark.role == "question" and remark.speaker == "Journalist"
    first = passages[0]
    assert first.speaker == "Vladimir Putin" and first.text == "Good afternoon."
    # the page's footer is nobody's words
    last = passages[-1]
    assert last.text.startswith("I hope nothing like this will happen again.")
    for footer in ("See also", "Publication date", "Direct link", "Text version"):
        assert not any(footer in p.text for p in passages), footer


def test_hansard_column_break_continues_the_answer_and_headings_are_titles():
    _, passages = load("05_hansard-commons-fco-questions-2011-07-19.docx")
    after_break = next(p for p in passages if p.text.startswith("on this that it has been"))
    assert after_break.speaker == "William Hague" and after_break.role == "answer"
    titles = {p.text for p in passages if p.role == "title"}
    assert {"Syria", "Nuclear Non-proliferation and Disarmament"} <= titles
    assert not any("Column" in p.text for p in passages)
    # the question number "1." is not part of the question
    first_question = next(p for p in passages if p.role == "question")
    assert first_question.text.startswith("When he next expects")


def test_spacelog_time_stamps_and_page_directives_are_not_speech():
    document, passages = load("08_nasa-mercury-redstone-4-air-to-ground-1961-07-21.txt")
    assert passages[0].speaker == "Stony" and passages[0].text == "Lift-off."
    label_lines = re.findall(r"^[A-Z][A-Z0-9 ]*:", document.text, re.M)
    assert len({p.turn for p in passages}) == len(label_lines) == 205


def test_inquiry_witness_is_one_person_and_italic_lines_are_dropped():
    _, passages = load("09_uk-covid-inquiry-m1-melanie-field-2023-07-13.txt")
    assert "The Witness" not in {p.speaker for p in passages}
    assert not any("affirmed" in p.text or "witness withdrew" in p.text for p in passages)
    first = next(p for p in passages if p.role == "question")
    assert first.speaker == "Ms Blackwell" and first.text == "Is your full name Melanie Field?"


def test_seed_segmentation_is_unchanged():
    """The seed's passages are those of segmentation version 1 (main at ddc575f), exactly."""
    document = read_document(Path(DEFAULT_CORPUS), "statement")
    got = [
        [
            p.id,
            p.role,
            p.speaker,
            p.turn,
            p.question_id,
            p.start,
            p.end,
            [list(s) for s in p.sentences],
        ]
        for p in segment(document)
    ]
    assert got == json.loads(SEED_ORACLE.read_text("utf-8"))


def test_cli_passages_shows_a_pdf_transcript():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "quotebot.cli",
            "passages",
            str(CORPORA / "03_wh-kirby-gaggle-2024-02-06.pdf"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "John Kirby" in result.stdout and "Journalist (question)" in result.stdout
    assert "Moderator" in result.stdout


def test_every_gold_quote_of_the_transcript_questions_lies_in_one_passage_of_the_right_role():
    """evals/transcripts.jsonl's gold quotes are whole sentences of the documents: each must be
    inside one passage (so it can be quoted and verified), an official's words in an answer or
    statement, a questioner's words in a question."""
    documents = {Path(name).stem: load(name) for name in EXPECTED}
    seed = read_document(Path(DEFAULT_CORPUS), "statement")
    documents["statement"] = (seed, segment(seed))
    questions = CORPORA.parent / "transcripts.jsonl"
    checked = 0
    for line in questions.read_text("utf-8").splitlines():
        q = json.loads(line)
        _, passages = documents[q["doc"]]
        roles = []
        for quote in q["quotes"]:
            holders = [p for p in passages if normalise(quote) in p.text]
            assert holders, (q["id"], quote)
            roles.append({p.role for p in holders})
            checked += 1
        if q["category"] == "official":
            assert all(r & {"answer", "statement"} for r in roles), q["id"]
        # who asked: the question, and maybe who gave the floor (air-to-ground and the
        # roundtable have no questions; a hearing's chairman asks in the turns that ask the
        # witness, see EXPECTED)
        if q["category"] == "asked" and not q["doc"].startswith(("08_", "22_")):
            assert any("question" in r for r in roles), q["id"]
    assert checked >= 250


@pytest.mark.parametrize(
    ("name", "labels"),
    [
        ("01_wh-briefing-leavitt-2025-01-29.md", {"Karoline Leavitt": "MS. LEAVITT:"}),
        ("02_wh-trump-modi-presser-2025-02-13.txt", {"Narendra Modi": "PRIME MINISTER MODI:"}),
        (
            "03_wh-kirby-gaggle-2024-02-06.pdf",
            {"John Kirby": "MR. KIRBY:", "Moderator": "MODERATOR:"},
        ),
        ("07_wh-interview-trump-fox-sports-2025-02-16.md", {"President Trump": "THE PRESIDENT:"}),
    ],
)
def test_one_turn_per_label_in_the_text(name, labels):
    """Every label opens a turn, except one followed only by a stage direction ("(Laughs.)")."""
    document, passages = load(name)
    first = {}
    for p in passages:
        first.setdefault(p.turn, p)
    text = document.text
    speech = r"(?!\s*\([^)\n]*\)\s*$)"
    for speaker, label in labels.items():
        written = len(re.findall(rf"^\s*{re.escape(label)}{speech}", text, re.M))
        assert written and sum(p.speaker == speaker for p in first.values()) == written
    questions = len(re.findall(rf"^\s*Q\s{speech}", text, re.M))
    assert questions and sum(p.role == "question" for p in first.values()) == questions
