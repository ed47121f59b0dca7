"""The page's documents in headless Chromium: upload a PDF and a Markdown transcript into the
running server, ask about each with the selector set to it, and see its citations and source;
a binary upload gets a one-line error naming the file.

The server runs `quotebot ui` with its own cache (the session cache's vectors copied in, so the
seed is not embedded again), and the uploads go into that cache's library only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_ui_browser import (  # the page harness: one Chromium per module, local requests only
    CHROMIUM_ARGS,
    START_TIMEOUT_S,
    _chromium,
    _unavailable,
)
from ui_process import quotebot_ui

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "evals" / "corpora"
PDF = CORPORA / "03_wh-kirby-gaggle-2024-02-06.pdf"
MD = CORPORA / "07_wh-interview-trump-fox-sports-2025-02-16.md"
ANSWER_TIMEOUT_MS = 60_000
INDEX_TIMEOUT_MS = 600_000  # embedding a transcript on 2 shared cores


@pytest.fixture(scope="module")
def library_server(real_settings, real_bot, tmp_path_factory):
    """Serve `quotebot ui` over the seed with a cache of its own; yield (URL, cache). The seed's
    vectors come from the session cache (`real_bot` built its index)."""
    folder = tmp_path_factory.mktemp("ui-library")
    cache, log = folder / "cache", folder / "server.log"
    vectors = Path(real_settings.cache_dir) / "vectors"
    if vectors.is_dir():
        shutil.copytree(vectors, cache / "vectors")
    with quotebot_ui([], cache, log, START_TIMEOUT_S) as (url, _):
        yield url, cache


@pytest.fixture(scope="module")
def page(library_server):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    url, _ = library_server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url, wait_until="load")
        page.wait_for_selector("#qb-question textarea", timeout=ANSWER_TIMEOUT_MS)
        yield page
        browser.close()


def _upload(page, files: list[Path], done: str) -> str:
    """Upload `files` through the page; return the status once it shows `done`."""
    if not page.locator("#qb-upload").is_visible():
        page.locator("#qb-add-docs").get_by_text("Add documents").click()
    page.locator("#qb-upload input[type=file]").set_input_files([str(f) for f in files])
    status = page.locator("#qb-upload-status")
    status.get_by_text(done).wait_for(timeout=INDEX_TIMEOUT_MS)
    return status.inner_text()


def _scope(page, choice: str) -> None:
    page.locator("#qb-doc input").click()
    page.get_by_role("option", name=choice, exact=True).click()
    page.wait_for_function(
        "v => document.querySelector('#qb-doc input').value === v", arg=choice, timeout=5_000
    )


def _ask(page, question: str):
    """Ask `question` and return the bot message it adds."""
    replies = page.locator("#qb-chat .message.bot")
    count = replies.count()
    page.fill("#qb-question textarea", question)
    page.keyboard.press("Enter")
    reply = replies.nth(count)
    reply.locator("blockquote").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return reply


def test_uploaded_documents_are_answered_from_cited_and_shown(page, library_server):
    status = _upload(page, [PDF, MD], "Indexed in")
    assert f"Added {PDF.stem}: " in status and "John Kirby" in status
    assert f"Added {MD.stem}: " in status and "President Trump" in status
    _, cache = library_server
    assert (cache / "library.json").exists()

    for doc, question, words in [
        (PDF.stem, "How many US ambassadors signed the letter to Congress?", "nine"),
        (MD.stem, "What does Trump say about the spirit of the country?", "spirit again"),
    ]:
        _scope(page, doc)
        reply = _ask(page, question)
        quotes = reply.locator("blockquote")
        assert all(doc in q for q in quotes.all_inner_texts())  # every citation names it
        assert words in reply.inner_text()
        section = page.locator("#qb-source section.qb-doc", has=page.locator(".qb-cited"))
        section.first.wait_for(timeout=5_000)
        assert section.locator("h3").all_inner_texts() == [doc]
        link = quotes.first.locator('a[href^="#p-"]').get_attribute("href")
        assert page.locator(f"#qb-source {link}.qb-cited").count() == 1


def test_a_binary_upload_is_refused_by_name(page, tmp_path):
    bad = tmp_path / "scan.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    status = _upload(page, [bad], "scan.txt")
    assert status.strip() == "\u26a0\ufe0f scan.txt: looks like a binary file, not text"
    assert str(tmp_path) not in status and "gradio" not in status
