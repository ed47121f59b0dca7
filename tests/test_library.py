"""The document library (index/library.py) and its commands (`quotebot add`, `quotebot docs`):
add, list and remove, duplicates, bad files, atomic writes, and the corpus it extends."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from quotebot.index import library
from quotebot.index.corpus import CorpusError, read_file_bytes
from quotebot.index.store import ensure_index

from quotebot.cli import main
from quotebot.settings import DEFAULT_CORPUS

CORPORA = Path(__file__).resolve().parents[1] / "evals" / "corpora"
PDF = CORPORA / "03_wh-kirby-gaggle-2024-02-06.pdf"
MD = CORPORA / "07_wh-interview-trump-fox-sports-2025-02-16.md"


def test_add_lists_and_extends_the_corpus(fake_settings):
    added = library.add([PDF, MD], fake_settings)
    assert [d.doc for d in added] == [PDF.stem, MD.stem]
    entries = library.documents(fake_settings)
    assert [(e.name, e.path) for e in entries] == [(PDF.stem, str(PDF)), (MD.stem, str(MD))]
    assert entries[0].sha256 == added[0].sha256
    assert library.corpus_paths(fake_settings) == (DEFAULT_CORPUS, PDF, MD)
    index = ensure_index(library.with_library(fake_settings))
    assert set(index.documents) == {"statement", PDF.stem, MD.stem}


def test_same_content_is_reported_not_added_twice(fake_settings, tmp_path):
    library.add([MD], fake_settings)
    twin = tmp_path / "twin.md"
    twin.write_bytes(MD.read_bytes())
    seed_copy = tmp_path / "seed.txt"
    seed_copy.write_bytes(DEFAULT_CORPUS.read_bytes())
    said: list[str] = []
    assert library.add([twin, seed_copy], fake_settings, log=said.append) == []
    assert said == [
        f"skipping {twin}: same content as {MD.stem}",
        f"skipping {seed_copy}: same content as statement",
    ]
    assert [e.name for e in library.documents(fake_settings)] == [MD.stem]


def test_a_taken_name_is_refused(fake_settings, tmp_path):
    other = tmp_path / "statement.txt"  # the seed's name, other words
    other.write_text("Speaker: Different words entirely.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"already named 'statement'.*rename the file"):
        library.add([other], fake_settings)
    assert library.documents(fake_settings) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("blob.txt", b"\x00\x01\x02binary", "looks like a binary file"),
        ("empty.md", b"  \n", "the file is empty"),
        ("notes.odt", b"Speaker: words.", "only .txt, .md, .html, .pdf, .docx, .vtt or .srt"),
        ("fake.pdf", b"not a pdf at all", "PDF"),
    ],
)
def test_a_bad_file_is_named_and_nothing_is_added(fake_settings, tmp_path, name, content, message):
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(CorpusError, match=message) as caught:
        library.add([MD, bad], fake_settings)
    assert str(caught.value).startswith(f"{bad}: ")
    assert library.documents(fake_settings) == []  # the good file of the batch is not added


def test_a_folder_a_fifo_and_a_missing_file_are_refused(fake_settings, tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    for path, message in [
        (tmp_path, "a folder"),
        (fifo, "not a regular file"),
        (tmp_path / "gone.txt", "no such file"),
    ]:
        with pytest.raises(CorpusError, match=message):
            library.add([path], fake_settings)


def test_a_too_large_file_is_refused(fake_settings, tmp_path, monkeypatch):
    monkeypatch.setattr(read_file_bytes, "__defaults__", (1000,))  # the limit, bound at def
    with pytest.raises(CorpusError, match="over the"):
        library.add([PDF], fake_settings)


def test_remove_keeps_the_users_file_and_drops_an_uploads_copy(fake_settings):
    library.add([MD], fake_settings)
    (copied,) = library.add([PDF], fake_settings, copy=True)
    assert Path(copied.path).parent.parent == library.copies_dir(fake_settings)
    assert Path(copied.path).read_bytes() == PDF.read_bytes()
    assert library.remove(MD.stem, fake_settings).path == str(MD)
    assert MD.exists()
    library.remove(PDF.stem, fake_settings)
    assert not Path(copied.path).exists()
    assert library.documents(fake_settings) == []


def test_remove_explains_unknown_and_configured_documents(fake_settings):
    library.add([MD], fake_settings)
    with pytest.raises(CorpusError, match="in the configured corpus"):
        library.remove("statement", fake_settings)
    with pytest.raises(CorpusError, match=f"no library document is named 'nope'.*{MD.stem}"):
        library.remove("nope", fake_settings)


def test_a_missing_library_file_is_reported(fake_settings, tmp_path):
    moved = tmp_path / "interview.md"
    moved.write_bytes(MD.read_bytes())
    library.add([moved], fake_settings)
    moved.unlink()
    said: list[str] = []
    assert library.corpus_paths(fake_settings, said.append) == (DEFAULT_CORPUS,)
    assert len(said) == 1 and "'interview' is missing" in said[0]
    assert "quotebot docs --remove interview" in said[0]


def test_a_failed_write_leaves_the_library_as_it_was(fake_settings, monkeypatch):
    library.add([MD], fake_settings)
    before = library.library_file(fake_settings).read_bytes()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(library.os, "replace", refuse)
    with pytest.raises(CorpusError, match="No space left on device"):
        library.add([PDF], fake_settings)
    folder = library.library_file(fake_settings).parent
    assert library.library_file(fake_settings).read_bytes() == before
    assert not list(folder.glob(".library-*"))  # no temporary file left behind


def test_an_unreadable_library_is_named_not_overwritten(fake_settings):
    path = library.library_file(fake_settings)
    path.parent.mkdir(parents=True)
    path.write_text("[{not json", encoding="utf-8")
    with pytest.raises(CorpusError, match="unreadable library"):
        library.add([MD], fake_settings)
    assert path.read_text(encoding="utf-8") == "[{not json"


# --- the commands -------------------------------------------------------------------------


@pytest.fixture
def cli_env(fake_settings, monkeypatch):
    """The CLI in this process with the fake embedder and the test's cache."""
    monkeypatch.setenv("QUOTEBOT_CACHE_DIR", str(fake_settings.cache_dir))
    monkeypatch.setenv("QUOTEBOT_EMBEDDERS", "fake")
    return fake_settings


def test_cli_add_prints_each_document_and_indexes(cli_env, capsys):
    assert main(["add", str(PDF), str(MD)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"added {PDF.stem}: ") and "John Kirby" in out[0]
    assert out[1].startswith(f"added {MD.stem}: ") and "President Trump" in out[1]
    assert out[2].startswith("2 document(s) added in ")
    assert "the index has 3 documents" in out[2]
    index = ensure_index(library.with_library(cli_env))
    passages = sum(p.doc == PDF.stem for p in index.passages)
    assert f"{PDF.stem}: {passages} passages" in out[0]


def test_cli_docs_lists_and_removes(cli_env, capsys):
    assert main(["add", str(MD)]) == 0
    capsys.readouterr()
    assert main(["docs"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [r.split()[0] for r in rows] == ["statement", MD.stem]
    assert rows[1].split()[1:4] == ["md", rows[1].split()[2], "passages"]
    assert "library" in rows[1] and rows[1].endswith(str(MD))
    assert "corpus" in rows[0] and rows[0].endswith(str(DEFAULT_CORPUS))
    assert main(["docs", "--remove", MD.stem]) == 0
    assert capsys.readouterr().out == f"removed {MD.stem} from the library ({MD})\n"
    assert main(["docs"]) == 0
    assert [r.split()[0] for r in capsys.readouterr().out.splitlines()] == ["statement"]


def test_cli_bad_file_exits_2_with_one_line(cli_env, tmp_path, capsys):
    bad = tmp_path / "blob.txt"
    bad.write_bytes(b"\x00\x01binary")
    assert main(["add", str(MD), str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"quotebot: error: {bad}: looks like a binary file, not text\n"
    assert main(["docs", "--remove", "nope"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_ask_answers_from_the_library(cli_env, capsys):
    assert main(["add", str(MD)]) == 0
    capsys.readouterr()
    assert (
        main(["ask", "What brings you back to the Great American Race at Daytona?", "--json"]) == 0
    )
    answer = json.loads(capsys.readouterr().out)
    # retrieval searches the library too (which quote the models pick on fake vectors is not
    # this test's business)
    assert {r["passage_id"].split("#")[0] for r in answer["retrieved"]} >= {MD.stem}


def test_settings_without_a_library_keep_the_corpus(fake_settings):
    assert library.with_library(fake_settings) == fake_settings
    other = replace(fake_settings, corpus=(MD,))
    library.add([PDF], other)
    assert library.with_library(other).corpus == (MD, PDF)
