"""The real page in headless Chromium: `quotebot ui --auth` on a free loopback port with the real
Bot (real models, real FAISS index in the session's temporary cache).

Every request the page makes is recorded, and each test asserts none left this machine. Under
CI=true a missing browser fails the suite instead of skipping it (`make browser` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from ui_process import quotebot_ui

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
USER, PASSWORD = "reader", "correct horse"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
START_TIMEOUT_S = 120
ANSWER_TIMEOUT_MS = 60_000  # a loaded CI machine: the first answer also warms the models
TAKE_TIMEOUT_MS = 5_000  # the page takes a question in the browser, at once
TAKE_ATTEMPTS = 3
# a second statement in the served corpus: HTML in a source must reach the page as text
HOSTILE_STATEMENT = (
    "Aide to the President Yury Ushakov: The lunch menu was borscht "
    '<script>window.__pwned=1;alert(1)</script> and <img src="http://evil.example/pixel.png" '
    'onerror="window.__pwned=1"> pelmeni with tea.\n'
)
PAYLOAD = (
    '<img src=x onerror="window.__pwned=1;alert(1)"> <script>window.__pwned=1;alert(1)</script>'
)


def _unavailable(why: str) -> None:
    """Fail under CI (a missing install step must not pass silently), else skip."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why}; CI needs it: run `make browser` (Debian's chromium)")
    pytest.skip(why)


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        _unavailable("Chromium is not installed")
    return path


@pytest.fixture(scope="module")
def server(real_settings, tmp_path_factory):
    """Start `quotebot ui` with a login; yield its URL and the file holding its output."""
    folder = tmp_path_factory.mktemp("ui")
    log, hostile = folder / "server.log", folder / "lunch.txt"
    hostile.write_text(HOSTILE_STATEMENT, encoding="utf-8")
    options = ["--auth", f"{USER}:{PASSWORD}", "--corpus", str(real_settings.corpus[0])]
    options += ["--corpus", str(hostile)]
    with quotebot_ui(options, real_settings.cache_dir, log, START_TIMEOUT_S) as (url, _):
        yield url, log


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    executable = _chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def visit(request, browser, server):
    """Return a function that opens the page in a fresh context and records its requests and
    dialogs; after the test, assert that every request stayed on this machine. When the test
    failed, the chat as the page shows it is printed, and the server's log."""
    url, log = server
    contexts, requests, dialogs, pages = [], [], [], []

    def open_page(width: int = 1400, height: int = 1000):
        context = browser.new_context(viewport={"width": width, "height": height})
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        contexts.append(context)
        page = context.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url, wait_until="load")
        pages.append(page)
        return page

    open_page.dialogs = dialogs
    yield open_page
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        for page in pages:
            print("the chat:", page.locator("#qb-chat").inner_text(timeout=5_000)[-2000:])
        print("the server's log:", Path(log).read_text(encoding="utf-8")[-3000:])
    for context in contexts:
        context.close()
    outside = sorted({u for u in requests if urlsplit(u).hostname not in LOCAL_HOSTS})
    assert requests and not outside, f"the page requested outside hosts: {outside}"


def _login(page, password: str = PASSWORD) -> None:
    page.locator("input[type=text]").first.fill(USER)
    page.locator("input[type=password]").fill(password)
    page.get_by_role("button", name="Login").click()


def _signed_in(visit, **viewport):
    page = visit(**viewport)
    _login(page)
    page.wait_for_selector("#qb-question textarea", timeout=ANSWER_TIMEOUT_MS)
    return page


def _submit(page, question: str) -> None:
    """Type `question` and press Enter until the page takes it.

    The page empties the question box when it takes a question. Just after sign-in it may
    still be wiring its events and miss the Enter (the question then stays in the box, and the
    chat never changes): Enter is pressed again only then, so nothing is asked twice."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator("#qb-question textarea")
    box.fill(question)
    for _ in range(TAKE_ATTEMPTS):
        box.press("Enter")
        try:
            page.wait_for_function(
                "() => document.querySelector('#qb-question textarea').value === ''",
                timeout=TAKE_TIMEOUT_MS,
            )
            return
        except PlaywrightTimeout:
            continue


def _ask(page, question: str, replies: int):
    """Ask `question` and return the bot message it adds (the page then holds `replies`)."""
    _submit(page, question)
    reply = page.locator("#qb-chat .message.bot").nth(replies - 1)
    reply.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return reply


def test_a_bad_password_is_refused_and_the_right_one_lets_in(visit, server):
    page = visit()
    _login(page, "wrong password")
    page.get_by_text("Incorrect Credentials").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#qb-question").count() == 0
    _login(page)
    page.wait_for_selector("#qb-question textarea", timeout=ANSWER_TIMEOUT_MS)
    _, log = server
    assert f"the page is at http://127.0.0.1:{urlsplit(page.url).port}" in log.read_text()


def test_answers_quote_the_speaker_highlight_the_source_and_follow_up(visit):
    """The issue's scenario, then a follow-up, then a click on the first answer's citation."""
    page = _signed_in(visit)
    reply = _ask(page, "How long did the meeting last?", 1)
    quote = reply.locator("blockquote", has_text="five hours")
    quote.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert "Yury Ushakov" in quote.inner_text()
    link = quote.locator('a[href^="#p-"]').first
    target = link.get_attribute("href")[1:]
    passage = page.locator(f"#qb-source #{target}")
    assert "qb-cited" in passage.get_attribute("class")
    assert "five hours" in passage.locator("mark.qb-quote").first.inner_text()
    _assert_in_view(page, target)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-answer.png"))

    _ask(page, "Was the territorial issue discussed?", 2)
    reply = _ask(page, "Was a compromise reached on it?", 3)  # "it": the territorial issue
    answer = "No compromise option has yet been found."
    reply.locator("blockquote", has_text=answer).wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#qb-source .qb-cited mark", has_text=answer).count() == 1
    assert page.locator(f"#qb-source #{target}.qb-cited").count() == 0
    page.screenshot(path=str(ARTIFACTS / "ui-chat.png"), full_page=True)

    link.click()  # a citation of the first answer brings its passage back (the viewer re-renders)
    page.wait_for_function(
        "id => document.getElementById(id)?.classList.contains('qb-focus')", arg=target
    )
    _assert_in_view(page, target)


def _assert_in_view(page, passage_id: str) -> None:
    """Assert the passage is scrolled into the visible part of the source viewer."""
    page.wait_for_function(
        """id => {
            const box = document.getElementById('qb-source').getBoundingClientRect();
            const el = document.getElementById(id).getBoundingClientRect();
            return el.top >= box.top - 1 && el.top < box.bottom;
        }""",
        arg=passage_id,
        timeout=5_000,
    )


def test_html_in_a_question_is_shown_as_text_and_never_runs(visit):
    page = _signed_in(visit)
    reply = _ask(page, PAYLOAD, 1)
    reply.wait_for(timeout=ANSWER_TIMEOUT_MS)
    shown = page.locator("#qb-chat .message.user").first.inner_text()
    assert PAYLOAD in " ".join(shown.split())
    assert page.locator("#qb-chat img[src='x'], #qb-chat script").count() == 0
    page.wait_for_timeout(300)  # an onerror would have fired by now
    assert page.evaluate("window.__pwned") is None and not visit.dialogs


def test_html_in_the_statement_is_shown_as_text_and_never_runs(visit):
    page = _signed_in(visit)
    reply = _ask(page, "What was on the lunch menu?", 1)
    quote = reply.locator("blockquote", has_text="pelmeni")
    quote.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert "<script>window.__pwned=1;alert(1)</script>" in quote.inner_text()
    viewer = page.locator("#qb-source .qb-cited", has_text="pelmeni")
    assert '<img src="http://evil.example/pixel.png"' in viewer.inner_text()
    assert (
        page.locator("#qb-chat img, #qb-chat script, #qb-source img, #qb-source script").count()
        == 0
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None and not visit.dialogs


def test_a_too_long_question_gets_a_clear_message(visit):
    page = _signed_in(visit)
    reply = _ask(page, "why " * 600, 1)
    assert "the limit is 2,000" in reply.inner_text()


def test_the_evaluation_tab_runs_a_question_set_and_filters_failures(visit):
    page = _signed_in(visit)
    page.get_by_role("tab", name="Evaluation").click()
    page.get_by_label("dev").check()
    page.locator("#qb-eval-run").click()
    page.get_by_text("failure(s), split dev").wait_for(timeout=60_000)
    status = page.locator("#qb-eval-status").inner_text()
    assert re.search(r"\d+ questions, \d+ failure\(s\)", status)
    assert page.locator("#qb-eval-plot svg").count() == 2
    metrics = page.locator("#qb-eval-metrics").inner_text()
    assert all(m in metrics for m in ("exact_match", "citation_recall", "mrr", "latency_p95_ms"))
    results = page.locator("#qb-eval-results")
    assert "factoid-01" in results.inner_text()  # the headline question, which passes
    page.locator("#qb-failures-only input").check()
    page.wait_for_function(
        "() => !document.getElementById('qb-eval-results').innerText.includes('factoid-01')"
    )
    assert "failure" in results.inner_text()
    links = page.locator("#qb-eval-files a[download]")
    assert links.evaluate_all("els => els.map(e => e.download)") == [
        "results.jsonl",
        "summary.json",
        "report.html",
    ]
    download = page.request.get(links.first.get_attribute("href"))
    assert download.ok and '"id": "factoid-01"' in download.text()


def test_a_question_asked_while_an_answer_streams_is_not_lost(visit):
    page = _signed_in(visit)
    _submit(page, "How long did the meeting last?")
    # the first question is taken (shown) before the next is typed, as a person sees it; the
    # next is then asked while the first answer streams
    page.locator("#qb-chat .message.user", has_text="meeting last").wait_for(
        timeout=ANSWER_TIMEOUT_MS
    )
    page.fill("#qb-question textarea", "Was the territorial issue discussed?")
    page.keyboard.press("Enter")
    asked = page.locator("#qb-chat .message.user", has_text="territorial issue")
    asked.wait_for(timeout=ANSWER_TIMEOUT_MS)
    last = page.locator("#qb-chat .message.bot").last
    last.locator("blockquote").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.locator("#qb-ask").wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#qb-stop").is_hidden()
    # taking a question sets the buttons in the browser (an update a script returns): their
    # visibility, not their labels
    assert page.locator("#qb-ask").inner_text().strip() == "Ask"
    assert page.input_value("#qb-question textarea") == ""


def test_an_example_asks_on_click_and_copy_gives_plain_text(visit):
    page = _signed_in(visit)
    example = page.locator(".gallery-item, button.gallery-item, [data-testid='textbox']").filter(
        has_text="?"
    )
    example.first.click()
    reply = page.locator("#qb-chat .message.bot").first
    quote = reply.locator("blockquote").first
    quote.wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.locator("#qb-ask").wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)
    reply.hover()
    page.locator("#qb-chat button[aria-label='Copy message']").last.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "\u201c" in copied and "\u2014" in copied and "characters" in copied
    assert "\\" not in copied and "**" not in copied and "> " not in copied


def test_a_conversation_survives_a_reload_until_it_is_cleared(visit):
    page = _signed_in(visit)
    _ask(page, "How long did the meeting last?", 1).locator("blockquote").first.wait_for(
        timeout=ANSWER_TIMEOUT_MS
    )
    page.locator("#qb-ask").wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)  # answer done
    page.reload(wait_until="load")
    kept = page.locator("#qb-chat .message.bot blockquote", has_text="five hours")
    kept.first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.locator("#qb-new").click()
    page.wait_for_function("() => !document.querySelector('#qb-chat .message.bot')")
    page.reload(wait_until="load")
    page.wait_for_selector("#qb-question textarea", timeout=ANSWER_TIMEOUT_MS)
    page.locator("#qb-chat").wait_for()
    page.wait_for_timeout(1_000)  # the saved conversation would be back by now
    assert page.locator("#qb-chat .message.bot").count() == 0


# The page's load event, which brings a saved conversation back, answered late: the browser
# holds its request back for RESTORE_DELAY_MS.
SLOW_RESTORE_JS = """(() => {
  const fetched = window.fetch;
  window.fetch = async (url, options) => {
    const body = options && typeof options.body === 'string' ? options.body : '';
    if (String(url).endsWith('/gradio_api/run/predict') && body.includes('"fn_index":%d,')) {
      await new Promise((done) => setTimeout(done, %d));
    }
    return fetched(url, options);
  };
})()"""
RESTORE_DELAY_MS = 2_000


def test_a_question_asked_before_the_saved_conversation_is_back_keeps_both(visit):
    """A question asked at once after a reload waits for the saved conversation: answered
    before it, its reply and the restored conversation emptied each other, and the saved
    conversation was lost."""
    page = _signed_in(visit)
    _ask(page, "How long did the meeting last?", 1).locator("blockquote").first.wait_for(
        timeout=ANSWER_TIMEOUT_MS
    )
    page.locator("#qb-ask").wait_for(state="visible", timeout=ANSWER_TIMEOUT_MS)  # answer done
    config = page.evaluate("fetch('config').then((r) => r.json())")
    restore = next(d["id"] for d in config["dependencies"] if d["api_name"] == "restore")
    page.add_init_script(SLOW_RESTORE_JS % (restore, RESTORE_DELAY_MS))
    page.reload(wait_until="load")
    page.wait_for_selector("#qb-question textarea", timeout=ANSWER_TIMEOUT_MS)
    _submit(page, "Was the territorial issue discussed?")
    replies = page.locator("#qb-chat .message.bot")
    replies.nth(1).locator("blockquote").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(RESTORE_DELAY_MS)  # a late restore would have emptied the answer now
    asked = page.locator("#qb-chat .message.user").all_inner_texts()
    assert len(asked) == 2 and "meeting last" in asked[0] and "territorial" in asked[1]
    assert "five hours" in replies.nth(0).inner_text()
    page.reload(wait_until="load")
    replies.nth(1).locator("blockquote").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#qb-chat .message.user").count() == 2


def test_on_a_phone_a_citation_opens_the_source_as_a_drawer(visit):
    page = _signed_in(visit, width=400, height=800)
    reply = _ask(page, "How long did the meeting last?", 1)
    link = reply.locator('blockquote a[href^="#p-"]').first
    link.wait_for(timeout=ANSWER_TIMEOUT_MS)
    viewer = page.locator("#qb-viewer-col")
    assert not _within(viewer.bounding_box(), 400, 800)  # closed: below the screen
    link.click()
    target = link.get_attribute("href")[1:]
    page.wait_for_function(
        """() => {
            const r = document.getElementById('qb-viewer-col').getBoundingClientRect();
            return r.top >= 0 && r.bottom <= window.innerHeight + 1;
        }"""
    )
    passage = page.locator(f"#qb-source #{target}")
    assert _within(viewer.bounding_box(), 400, 800) and passage.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-phone-400.png"))
    page.locator(".qb-close").click()
    page.wait_for_function(
        "() => !document.getElementById('qb-viewer-col').classList.contains('qb-open')"
    )


def _within(box, width: int, height: int) -> bool:
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= width + 1
        and box["y"] + box["height"] <= height + 1
    )
