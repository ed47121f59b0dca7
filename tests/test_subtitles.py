"""Captions and meeting transcripts: the WebVTT (.vtt) and SubRip (.srt) readers, and what
segmentation makes of their text (pure logic, no models)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from quotebot.index.corpus import CorpusError, load_corpus, read_document
from quotebot.index.formats import (
    KINDS,
    SUFFIXES,
    FormatError,
    extract,
    read_subrip,
    read_webvtt,
)
from quotebot.index.segment import segment
from quotebot.index.text import normalise

TEAMS = (
    "\ufeffWEBVTT\r\n\r\n"
    "0f2e1c43-9a1b-4c57-8e0f-3c2d7a1b9e55/15-0\r\n"
    "00:00:03.120 --> 00:00:05.640\r\n"
    "<v Alice Smith>Good morning, everyone. Thanks for joining.</v>\r\n\r\n"
    "0f2e1c43-9a1b-4c57-8e0f-3c2d7a1b9e55/16-0\r\n"
    "00:00:05.700 --> 00:00:08.210\r\n"
    "<v Alice Smith>Today we review the budget for the third quarter.</v>\r\n\r\n"
    "0f2e1c43-9a1b-4c57-8e0f-3c2d7a1b9e55/17-0\r\n"
    "00:00:08.900 --> 00:00:11.000 align:start position:10%\r\n"
    "<v.loud Bob Jones>The budget grew by four percent.</v>\r\n\r\n"
    "0f2e1c43-9a1b-4c57-8e0f-3c2d7a1b9e55/18-0\r\n"
    "00:00:11.100 --> 00:00:13.500\r\n"
    "<v Bob Jones>Most of it went to travel &amp; hosting.</v>\r\n\r\n"
    "00:00:14.000 --> 00:00:16.000\r\n"
    "<v Alice Smith>Thank you, Bob. That settles it.</v>\r\n"
)

ZOOM = """WEBVTT

1
00:00:00.500 --> 00:00:02.900
Carol Diaz: Welcome to the weekly sync.

2
00:00:03.000 --> 00:00:05.100
Carol Diaz: Dan, how did the launch go?

3
00:00:05.400 --> 00:00:08.800
Dan Okafor: It went well. We shipped on Tuesday.

4
00:00:09.000 --> 00:00:10.500
Dan Okafor: Sign-ups doubled in a week.

5
00:00:11.000 --> 00:00:12.000
Carol Diaz: Great news.
"""

SRT = """1
00:00:01,000 --> 00:00:04,000
<i>The river rose</i> overnight

2
00:00:04,200 --> 00:00:06,500 X1:100 X2:600 Y1:50 Y2:80
and the bridge was closed.

3
00:00:10,000 --> 00:00:12,000
{\\an8}<font color="#ffff00">Crews worked</font> until dawn.
"""


def test_teams_voice_tags_give_each_speaker_one_turn_per_change():
    got = read_webvtt(TEAMS.encode())
    assert got.text == (
        "Alice Smith: Good morning, everyone. Thanks for joining. Today we review the budget for "
        "the third quarter.\n\n"
        "Bob Jones: The budget grew by four percent. Most of it went to travel & hosting.\n\n"
        "Alice Smith: Thank you, Bob. That settles it.\n"
    )
    assert (got.title, got.date, got.source) == (None, None, None)  # nothing to invent


def test_teams_names_surname_first_or_marked_as_guests_are_read_as_speakers(tmp_path):
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Smith, Alice>We start with the budget.</v>\n\n"
        "00:00:03.500 --> 00:00:05.000\n<v Jo Bo (Guest)>Which budget do you mean?</v>\n\n"
        "00:00:05.500 --> 00:00:07.000\n<v Smith, Alice>The third quarter's.</v>\n"
    )
    assert read_webvtt(vtt.encode()).text.splitlines()[::2] == [
        "Alice Smith: We start with the budget.",
        "Jo Bo: Which budget do you mean?",
        "Alice Smith: The third quarter's.",
    ]
    path = tmp_path / "meeting.vtt"
    path.write_text(vtt, encoding="utf-8")
    passages = segment(read_document(path, path.stem))
    assert [p.speaker for p in passages] == ["Alice Smith", "Jo Bo", "Alice Smith"]
    assert passages[1].text == "Which budget do you mean?"


def test_zoom_labels_are_kept_and_a_speakers_cues_joined():
    text = read_webvtt(ZOOM.encode()).text
    assert text == (
        "Carol Diaz: Welcome to the weekly sync. Dan, how did the launch go?\n\n"
        "Dan Okafor: It went well. We shipped on Tuesday. Sign-ups doubled in a week.\n\n"
        "Carol Diaz: Great news.\n"
    )


def test_a_zoom_display_names_team_in_brackets_is_left_out_of_the_label(tmp_path):
    vtt = (
        "WEBVTT\n\n1\n00:17:17.460 --> 00:17:19.069\nAnsgar Dietrichs: Felix?\n\n"
        "2\n00:17:22.510 --> 00:17:40.199\nFelix (Geth): Yeah, thank you. Some feedback.\n\n"
        "3\n00:17:40.200 --> 00:17:48.129\nFelix (Geth): It seems the bug potential is high.\n\n"
        "4\n00:17:50.000 --> 00:17:52.000\nAnsgar Dietrichs: Thanks, Felix.\n\n"
        "5\n00:17:53.000 --> 00:17:55.000\nFelix (Geth): Sure.\n"
    )
    path = tmp_path / "call.vtt"
    path.write_text(vtt, encoding="utf-8")
    passages = segment(read_document(path, path.stem))
    speakers = [p.speaker for p in passages]
    assert speakers == ["Ansgar Dietrichs", "Felix", "Ansgar Dietrichs", "Felix"]


def test_a_zoom_display_name_in_lower_case_names_a_speaker_when_it_opens_two_cues():
    vtt = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nTim Beiko: Mark, go ahead.\n\n"
        "2\n00:00:04.000 --> 00:00:06.000\nmark: Yes. The fix is merged.\n\n"
        "3\n00:00:07.000 --> 00:00:09.000\nTim Beiko: Thanks. Anything else?\n\n"
        "4\n00:00:10.000 --> 00:00:12.000\nmark: No. note: a word before a colon.\n\n"
        "5\n00:00:13.000 --> 00:00:15.000\nnote: this is said once.\n"
    )
    text = read_webvtt(vtt.encode()).text
    assert "Mark: Yes. The fix is merged." in text
    assert "Mark: No. note: a word before a colon." in text
    assert "note: this is said once." in text  # once: words, not a name


def test_subrip_numbers_timings_and_tags_are_dropped():
    text = read_subrip(SRT.encode()).text
    # a pause of 3.5 s after "closed." starts a paragraph; no pause joins the first two cues
    assert text == (
        "The river rose overnight and the bridge was closed.\n\nCrews worked until dawn.\n"
    )
    assert "-->" not in text and "00:" not in text and "<" not in text and "{" not in text


def test_a_pause_starts_a_paragraph_only_after_the_end_of_a_sentence():
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nWe waited\n\n"
        "2\n00:00:09,000 --> 00:00:10,000\nfor hours.\n\n"  # 7 s pause, mid-sentence: runs on
        "3\n00:00:11,000 --> 00:00:12,000\nThen it rained.\n\n"  # 1 s pause: runs on
        "4\n00:00:14,500 --> 00:00:15,000\nWe left.\n"  # 2.5 s: under the 3 s rule
    )
    assert read_subrip(srt.encode()).text == "We waited for hours. Then it rained. We left.\n"
    longer = srt.replace("00:00:14,500 --> 00:00:15,000", "00:00:15,000 --> 00:00:16,000")
    assert read_subrip(longer.encode()).text == (
        "We waited for hours. Then it rained.\n\nWe left.\n"
    )


def test_a_captions_change_of_speaker_marker_starts_a_paragraph_and_goes():
    vtt = (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:06.200\n>> Hello out there. It's great to\n\n"
        "00:00:06.200 --> 00:00:10.760\nhave you here. John, welcome.\n\n"
        "00:00:10.760 --> 00:00:12.280\n>> Howdy. It's good to be here.\n\n"
        "00:00:12.280 --> 00:00:14.000\n>> Great. So, asyncio?\n>> Yes, asyncio.\n"
    )
    assert read_webvtt(vtt.encode()).text == (
        "Hello out there. It's great to have you here. John, welcome.\n\n"
        "Howdy. It's good to be here.\n\nGreat. So, asyncio?\n\nYes, asyncio.\n"
    )


def test_rolling_youtube_captions_are_not_repeated():
    vtt = (  # as yt-dlp saves them: a line of one space ends or opens each cue's text
        "WEBVTT\nKind: captions\nLanguage: en\n\n"
        "00:00:00.030 --> 00:00:02.869 align:start position:0%\n \n"
        "hi<00:00:00.539><c> everyone</c><00:00:00.989><c> welcome</c><00:00:01.500><c> to</c>\n\n"
        "00:00:02.869 --> 00:00:02.879 align:start position:0%\nhi everyone welcome to\n \n\n"
        "00:00:02.879 --> 00:00:05.869 align:start position:0%\n"
        "hi everyone welcome to\nmy<00:00:03.270><c> channel</c>\n\n"
        "00:00:05.869 --> 00:00:05.879 align:start position:0%\nmy channel\n \n\n"
        "00:00:05.879 --> 00:00:08.000 align:start position:0%\n"
        "my channel\ntoday<00:00:06.100><c.colorE5E5E5> we</c><00:00:06.400><c> cook</c>\n"
    )
    got = read_webvtt(vtt.encode())
    assert got.text == "hi everyone welcome to my channel today we cook\n"


def test_roll_up_captions_that_grow_word_by_word_keep_only_the_new_words():
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nHELLO AND\n\n"
        "2\n00:00:02,000 --> 00:00:03,000\nHELLO AND WELCOME\n\n"
        "3\n00:00:03,000 --> 00:00:04,000\nHELLO AND WELCOME\nTO THE\n\n"
        "4\n00:00:04,000 --> 00:00:05,000\nHELLO AND WELCOME\nTO THE SHOW.\n\n"
        "5\n00:00:05,000 --> 00:00:06,000\nTO THE SHOW.\nTONIGHT IT RAINS.\n\n"
        "6\n00:00:06,000 --> 00:00:07,000\nI\n\n"
        "7\n00:00:07,000 --> 00:00:08,000\nIt's mine.\n"  # begins with "I", not "I "
    )
    assert read_subrip(srt.encode()).text == (
        "HELLO AND WELCOME TO THE SHOW. TONIGHT IT RAINS. I It's mine.\n"
    )


def test_the_same_words_from_another_speaker_are_kept():
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ann Lee>Agreed.\n\n"
        "00:00:02.000 --> 00:00:03.000\n<v Raj Patel>Agreed.\n"
    )
    assert read_webvtt(vtt.encode()).text == "Ann Lee: Agreed.\n\nRaj Patel: Agreed.\n"


def test_tags_entities_and_blocks_that_are_not_cues_are_stripped():
    vtt = """WEBVTT - Kind: captions

STYLE
::cue(.yellow) { color: yellow; }

REGION
id:fred width:40% lines:3

NOTE This file was exported
from a meeting tool

intro
00:01.000 --> 00:03.500 region:fred align:left
<c.yellow><b>Bold</b> and <i>italic</i></c> <u>text</u> &lt;here&gt; &amp; <lang fr>voilà</lang>.

NOTE a comment between cues

00:03.600 --> 00:05.000
<ruby>漢<rt>kan</rt>字<rt>ji</rt></ruby> and 10&nbsp;km<00:00:04.500> away.
"""
    text = read_webvtt(vtt.encode()).text
    assert text == "Bold and italic text <here> & voilà. 漢字 and 10 km away.\n"


def test_dialogue_dashes_go_and_name_labels_per_line_name_speakers():
    srt = (
        "1\n00:00:01,000 --> 00:00:03,000\n- Where are you going?\n-To the store.\n\n"
        "2\n00:00:03,500 --> 00:00:05,000\nMARIA LOPEZ: Wait for me!\n"
        "JOHN GRAY: Hurry up, then.\n\n"
        "3\n00:00:05,100 --> 00:00:06,000\n-5 degrees outside.\n"
    )
    assert read_subrip(srt.encode()).text == (
        "Where are you going? To the store.\n\n"
        "MARIA LOPEZ: Wait for me!\n\n"
        "JOHN GRAY: Hurry up, then. -5 degrees outside.\n"
    )


def test_a_colon_in_prose_is_not_taken_for_a_speaker():
    vtt = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nNote: the doors open at nine.\n\n"
        "00:00:02.000 --> 00:00:03.000\nHere is the thing: we are late.\n\n"
        "00:00:03.000 --> 00:00:04.000\nNote: the doors open at nine.\n"
    )
    # not labels, so nothing is joined under one: each "Note:" stays where it was said
    assert read_webvtt(vtt.encode()).text == (
        "Note: the doors open at nine. Here is the thing: we are late. "
        "Note: the doors open at nine.\n"
    )


@pytest.mark.parametrize(
    ("reader", "data", "message"),
    [
        (read_webvtt, b"00:00:01.000 --> 00:00:02.000\nHello.\n", "first line must be WEBVTT"),
        (read_webvtt, b"WEBVTTX\n\n00:00:01.000 --> 00:00:02.000\nHi.\n", "must be WEBVTT"),
        (read_webvtt, b"\n\nWEBVTT\n", "first line must be WEBVTT"),
        (read_webvtt, b"WEBVTT\n\nNOTE nothing here\n", "no cue timing line"),
        (read_subrip, b"1\nHello there.\n\n2\nGeneral Kenobi.\n", "no cue timing line"),
        (read_subrip, b"1\n00:00:01,000 --> 00:00:02,000\n<i></i>\n", "the cues have no text"),
        (read_subrip, b"1\n00:00:01,000 --> 00:00:02,000\n" + b"\xcf\xf0\xe8" * 20, "not UTF-8"),
    ],
)
def test_files_that_are_not_captions_are_refused_with_a_reason(reader, data, message):
    with pytest.raises(FormatError, match=message) as caught:
        reader(data)
    assert "\n" not in str(caught.value)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "00:00:01.000 --> 00:00:02.000",
                "00:05,500 --> 00:09,000 X1:1",
                "",
                " ",
                "7",
                "NOTE",
                "<v Ann Lee>Yes.",
                "Ann Lee: No.",
                "- Go!",
                "<i>a</i> &amp; b",
                "Go!",
                "<c>Go</c> on",
                "</v>",
                "{\\an8}x",
                "Ann Lee:",
                "<rt>",
                "<00:00:01.500>",
            ]
        ),
        max_size=30,
    )
)
def test_any_cues_give_clean_text_or_a_format_error(lines):
    for reader, head in ((read_webvtt, ["WEBVTT", ""]), (read_subrip, [])):
        try:
            text = reader("\n".join(head + lines).encode()).text
        except FormatError:
            continue
        assert text.endswith("\n") and "\n\n\n" not in text and text.strip()
        for banned in ("-->", "<", "&amp;", "{\\", "00:0"):
            assert banned not in text
        for paragraph in text[:-1].split("\n\n"):
            assert paragraph == normalise(paragraph)  # one line, no stray spaces


def test_the_suffixes_are_read_and_listed(tmp_path):
    assert ".vtt" in SUFFIXES and ".srt" in SUFFIXES
    assert ".vtt" in KINDS and ".srt" in KINDS
    assert extract(".VTT", ZOOM.encode()).text.startswith("Carol Diaz: Welcome")
    assert extract(".srt", SRT.encode()).text.startswith("The river rose")
    (tmp_path / "meeting.vtt").write_text(ZOOM, encoding="utf-8")
    (tmp_path / "notes.srt").write_text(SRT, encoding="utf-8")
    assert [d.doc for d in load_corpus([tmp_path])] == ["meeting", "notes"]
    bad = tmp_path / "broken.vtt"
    bad.write_text("Hello.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"broken\.vtt: not a WebVTT file"):
        read_document(bad, "broken")


@pytest.mark.parametrize(
    ("name", "content", "speakers", "second"),
    [
        (
            "teams.vtt",
            TEAMS,
            ["Alice Smith", "Bob Jones", "Alice Smith"],
            "The budget grew by four percent. Most of it went to travel & hosting.",
        ),
        (
            "zoom.vtt",
            ZOOM,
            ["Carol Diaz", "Dan Okafor", "Carol Diaz"],
            "It went well. We shipped on Tuesday. Sign-ups doubled in a week.",
        ),
        ("river.srt", SRT, [None, None], "Crews worked until dawn."),
    ],
)
def test_segmentation_finds_the_speakers_and_offsets_point_into_the_text(
    tmp_path, name, content, speakers, second
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    document = read_document(path, path.stem)  # as the corpus loader reads it
    passages = segment(document)
    text = document.text
    assert [p.speaker for p in passages] == speakers
    assert [p.turn for p in passages] == [1, 2, 3][: len(speakers)]
    assert {p.role for p in passages} == {"statement"}
    assert passages[1].text == second  # what is said, without the label
    for p in passages:
        assert text[p.start : p.end] == p.text  # verbatim: one line per paragraph
        assert p.sentences[0][0] == p.start and p.sentences[-1][1] == p.end
        for s, e in p.sentences:
            assert p.start <= s < e <= p.end and normalise(text[s:e]) == text[s:e]
