"""The page's documents without a browser (ui/library.py): an upload swaps in a Bot over the
new index while the old one stays whole, names a bad file by its own name, and the selector
scopes answers to one document."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("gradio")

from quotebot.bot.bot import Bot  # noqa: E402
from quotebot.ui.app import QuotebotUI  # noqa: E402
from quotebot.ui.library import ALL, Uploads, document  # noqa: E402

CORPORA = Path(__file__).resolve().parents[1] / "evals" / "corpora"
MD = CORPORA / "07_wh-interview-trump-fox-sports-2025-02-16.md"


@pytest.fixture
def ui(fake_settings) -> QuotebotUI:
    return QuotebotUI(Bot(fake_settings).warm_up())


def test_an_upload_swaps_in_a_bot_over_the_new_index(ui, tmp_path):
    upload = tmp_path / "gradio-1234" / MD.name  # where the server keeps an upload
    upload.parent.mkdir()
    shutil.copyfile(MD, upload)
    bad = tmp_path / "gradio-1234" / "blob.txt"
    bad.write_bytes(b"\x00\x01binary")
    old = ui.bot
    status, selector, files = Uploads(ui).add([str(upload), str(bad)], ALL)
    lines = status.split("\n\n")
    assert lines[0].startswith(f"Added {MD.stem}: ".replace("_", "\\_"))
    assert "blob.txt: looks like a binary file, not text" in status
    assert str(tmp_path) not in status
    assert lines[-1].startswith("Indexed in ")
    assert files is None
    assert ui.bot is not old and MD.stem in ui.index.documents
    assert MD.stem not in old.index.documents  # answers under way keep their index
    assert ui.sources.index is ui.index  # the viewer shows the new documents
    assert selector["choices"] == [ALL, MD.stem, "statement"]
    kept = Path(ui.index.documents[MD.stem].path)
    upload.unlink()  # the server deletes its temporary uploads; the library keeps a copy
    assert kept.read_bytes() == MD.read_bytes()


def test_the_selector_scopes_answers_to_one_document(ui):
    Uploads(ui).add([str(MD)], ALL)
    question = "What did Trump say about the drivers?"
    answer = _exchanges([ui.respond(question, [], 3, "none", MD.stem)])[-1].answer
    assert answer.retrieved and all(p.startswith(f"{MD.stem}#") for p, _ in answer.retrieved)
    refused = _exchanges([ui.respond(question, [], 3, "none", "nope")])[-1]
    assert refused.answer is None and "No document named 'nope'" in repr(refused)
    assert document(ALL) is None and document(MD.stem) == MD.stem


def _exchanges(outputs) -> list:
    """Return the conversation state the last of the handlers' outputs carried."""
    found = []
    for output in outputs:
        found = next(
            (x for x in output if isinstance(x, list) and x and hasattr(x[-1], "answer")), found
        )
    return found
