"""Loading statement files: user mistakes get one-line errors that name the file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from quotebot.index.corpus import CorpusError, load_corpus, read_file_bytes
from quotebot.index.segment import segment


def test_a_folder_of_statements_loads_sorted_with_relative_names(tmp_path, seed_text):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.md").write_text("Second statement. It is short.", encoding="utf-8")
    (tmp_path / "one.txt").write_text(seed_text, encoding="utf-8")
    (tmp_path / "notes.odt").write_bytes(b"PK")
    docs = load_corpus([tmp_path])
    assert [d.doc for d in docs] == ["b/two", "one"]
    assert docs[1].text == seed_text


def test_duplicate_files_are_indexed_once(tmp_path, capsys):
    for name in ("a.txt", "copy.txt"):
        (tmp_path / name).write_text("Same words. Same file.", encoding="utf-8")
    docs = load_corpus([tmp_path])
    assert [d.doc for d in docs] == ["a"]
    assert "skipping" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n\n ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        ("\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440.".encode("cp1251"), "not UTF-8"),
    ],
)
def test_unreadable_files_are_refused_by_name(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message) as err:
        load_corpus([path])
    assert str(path) in str(err.value)


def test_a_legacy_windows_1252_file_or_a_page_declaring_its_charset_is_read(tmp_path):
    # an old page saved from Word, and a text file with curly quotes in Windows-1252
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        "<title>Interview</title></head><body><p>MSM: Various accounts I\u2019ve read.</p>"
        "<p>Thompson: Caf\u00e9 au lait, \u201cplease\u201d.</p></body></html>"
    )
    (tmp_path / "old.htm").write_bytes(page.encode("cp1252"))
    notes = "It\u2019s a caf\u00e9 by the station, where we met on Tuesday morning to talk."
    (tmp_path / "notes.txt").write_bytes(notes.encode("cp1252"))
    texts = {d.doc: d.text for d in load_corpus([tmp_path])}
    assert "I\u2019ve read." in texts["old"] and "\u201cplease\u201d" in texts["old"]
    assert texts["notes"] == notes


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(CorpusError, match="no such file"):
        load_corpus([tmp_path / "nope.txt"])
    kinds = r"\.txt, \.md, \.html, \.pdf, \.docx, \.vtt or \.srt"
    with pytest.raises(CorpusError, match=rf"holds no {kinds} file"):
        load_corpus([tmp_path])


def test_other_file_types_are_refused(tmp_path):
    path = tmp_path / "statement.odt"
    path.write_text("text", encoding="utf-8")
    kinds = r"\.txt, \.md, \.html, \.pdf, \.docx, \.vtt or \.srt"
    with pytest.raises(CorpusError, match=rf"only {kinds} files"):
        load_corpus([path])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.pdf", b"%PDF-1.4 not really", "not a readable PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip", "not a readable .docx"),
        ("empty.html", b"<html><body><nav>Home</nav></body></html>", "no readable text"),
    ],
)
def test_unreadable_documents_of_other_formats_are_refused_by_name(
    tmp_path, name, content, message
):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message) as err:
        load_corpus([path])
    assert str(path) in str(err.value) and "\n" not in str(err.value)


_LOAD_ONE = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))  # a regression fails, not the machine
from quotebot.index.corpus import CorpusError, load_corpus
from quotebot.index.segment import segment
try:
    load_corpus([sys.argv[1]])
except CorpusError as exc:
    print(exc)
    sys.exit(2)
"""


def special_file(tmp_path, kind: str) -> Path:
    path = tmp_path / "statement.txt"
    if kind == "device":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    return path


@pytest.mark.parametrize("kind", ["device", "fifo", "socket"])
def test_only_regular_files_are_read(tmp_path, kind):
    path = special_file(tmp_path, kind)
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_ONE, str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout.strip() == f"{path}: not a regular file (a device, FIFO or socket?)"


@pytest.mark.parametrize("kind", ["device", "fifo", "socket"])
def test_special_files_in_a_folder_are_skipped_by_name(tmp_path, kind, seed_text, capsys):
    special_file(tmp_path, kind)
    (tmp_path / "real.txt").write_text(seed_text, encoding="utf-8")
    assert [d.doc for d in load_corpus([tmp_path])] == ["real"]
    assert "statement.txt: not a regular file" in capsys.readouterr().err


def test_a_link_to_a_regular_file_is_read_and_sizes_are_bounded(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("Eleven byte", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert load_corpus([link])[0].text == "Eleven byte"
    assert read_file_bytes(link, limit=11) == b"Eleven byte"
    with pytest.raises(CorpusError, match="over the"):
        read_file_bytes(link, limit=10)


def _court_page(page: int, turns: list[tuple[str, str]]) -> str:
    """A page of a court reporter's transcript: a docket head, numbered double-spaced lines,
    each turn opening indented."""
    lines = [f"Case 2:11-cv-00416-JRG Document 610 Filed 01/23/14 Page {page} of 9 PageID #: 1"]
    lines.append(f"{page}   ")
    number = 0
    for label, words in turns:
        split = words.split()
        chunks = [" ".join(split[i : i + 7]) for i in range(0, len(split), 7)]
        for j, chunk in enumerate(chunks):
            number += 1
            opening = f"{label}  {chunk}" if j == 0 else chunk
            gap = " " * (23 if j == 0 else 3)
            lines += [f"{number:<2d}{gap}{opening}", ""]
    return "\n".join(lines) + "\n"


def test_a_court_reporters_numbered_transcript_is_read_without_its_numbers(tmp_path):
    turns = [
        ("THE COURT:", "Good morning. Be seated, please. I want to thank you for being here."),
        ("MR. CAPSHAW:", "Thank you, Your Honor. Good morning, ladies and gentlemen."),
        ("THE COURT:", "Counsel, you may proceed with your questions to the panel now."),
    ]
    text = "".join(_court_page(page, turns) for page in range(1, 11))
    path = tmp_path / "trial.txt"
    path.write_text(text, encoding="utf-8")
    (doc,) = load_corpus([path])
    assert "PageID" not in doc.text and "\n13 " not in doc.text
    assert "THE COURT:  Good morning. Be seated, please. I want\nto thank you" in doc.text
    passages = segment(doc)
    assert [p.speaker for p in passages][:3] == ["The Court", "Mr. Capshaw", "The Court"]
    assert all(doc.text[p.start : p.end] in doc.text for p in passages)
    # a short numbered list is no transcript
    (tmp_path / "trial.txt").unlink()
    listed = "Agenda\n\n" + "".join(f"{n}  Item number {n}.\n" for n in range(1, 11))
    (tmp_path / "agenda.txt").write_text(listed, encoding="utf-8")
    assert load_corpus([tmp_path / "agenda.txt"])[0].text == listed


def test_a_speaker_shown_by_a_portrait_s_alt_text_opens_the_turn(tmp_path):
    turns = [("Leigh Sales", "host", "Prime Minister, is a recession coming?")]
    answer = "No, Leigh. The economy is resilient, and we have a plan."
    turns += [("Scott Morrison", "guest", answer)]
    turns *= 2
    body = "".join(
        f'<img alt="{name}:" src="{name[:5]}.jpg" class="interview-{kind}">\n'
        f'<p class="interview-{kind}">{said}</p>\n'
        for name, kind, said in turns
    )
    page = f"<html><head><title>7.30</title></head><body><main>{body}</main></body></html>"
    (tmp_path / "interview.html").write_text(page, encoding="utf-8")
    document = load_corpus([tmp_path / "interview.html"])[0]
    spoken = [(p.speaker, p.role, p.text) for p in segment(document)]
    assert spoken[2:] == [
        ("Leigh Sales", "question", "Prime Minister, is a recession coming?"),
        ("Scott Morrison", "answer", answer),
    ]
    # an image's alt text that is no label stays out
    page = page.replace('alt="Leigh Sales:"', 'alt="A photo of the studio"')
    (tmp_path / "interview.html").write_text(page, encoding="utf-8")
    assert "studio" not in load_corpus([tmp_path / "interview.html"])[0].text


def test_a_state_hearing_record_with_right_aligned_numbers_and_wrapped_labels(tmp_path):
    # numbers right-aligned ("       6", "      16"), a label in capitals wrapped over two lines
    page = [
        ("SENATOR GOLDEN:", "Okay. We will hear from the Manhattan Institute now, thank you."),
        ("MS. NICOLE GELINAS, SENIOR FELLOW,", None),
        ("MANHATTAN INSTITUTE:", "Good afternoon, Senator. The fares have to go up this year."),
        ("SENATOR GOLDEN:", "Why this year and not the next one, Ms. Gelinas?"),
        ("MS. GELINAS:", "Because the deficit is growing every single month now, Senator."),
    ]
    lines, number = [], 0
    for _ in range(12):
        for label, words in page:
            number = number % 25 + 1
            gap = " " * (6 if label.startswith("MANHATTAN") else 13)  # the wrap is not indented
            lines += [f"{number:>8d}{gap}{label}  {words or ''}".rstrip(), ""]
    path = tmp_path / "hearing.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (doc,) = load_corpus([path])
    assert "\n 6 " not in doc.text and not doc.text.lstrip().startswith("1")
    spoken = [(p.speaker, p.text) for p in segment(doc)][:4]
    assert spoken == [
        ("Senator Golden", "Okay. We will hear from the Manhattan Institute now, thank you."),
        ("Ms. Nicole Gelinas", "Good afternoon, Senator. The fares have to go up this year."),
        ("Senator Golden", "Why this year and not the next one, Ms. Gelinas?"),
        ("Ms. Nicole Gelinas", "Because the deficit is growing every single month now, Senator."),
    ]


def test_what_a_page_hides_is_not_its_text(tmp_path):
    # the Kremlin's name card inside a paragraph, hidden until hovered
    card = (
        '<span class="read__tooltip tooltip_person hidden"><span class="tooltip__text">'
        "Merkel Angela Federal Chancellor of Germany</span></span>"
    )
    page = (
        "<html><body><main>"
        f'<p>We are pleased to welcome <a href="/persons/55">Angela Merkel{card}</a> to Moscow.</p>'
        '<p>We discussed Libya.<span aria-hidden="true">Share</span></p>'
        '<p>Thank you.<span style="display: none">Subscribe to our newsletter.</span></p>'
        "</main></body></html>"
    )
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    text = load_corpus([tmp_path / "page.html"])[0].text
    assert text == (
        "We are pleased to welcome Angela Merkel to Moscow.\n\nWe discussed Libya.\n\nThank you.\n"
    )
    # a transcript hidden until "Show transcript" is pressed is still the page's text
    folded = (
        '<html><body><main><button>Show transcript</button><div class="hidden" aria-hidden="true">'
        "<p>Q: Is the deal done?</p><p>A: Not yet.</p></div></main></body></html>"
    )
    (tmp_path / "folded.html").write_text(folded, encoding="utf-8")
    assert "Not yet." in load_corpus([tmp_path / "folded.html"])[0].text
