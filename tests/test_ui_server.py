"""The page and the API served by one process (uvicorn on loopback, a fake bot): the API's
contract, login (HTTP Basic) and its rate limit, body limits, the answer modes the server
offers, the separate LLM queue, and a full page answering "busy".
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time

import httpx
import pytest
from test_ui_render import FACTOID, FakeBot
from ui_process import free_port

from quotebot.contract import answer_json
from quotebot.settings import Settings

AUTH = ("reader", "correct horse")
QUOTES = Settings.max_quotes  # the default: the page's own Bot answers
QUESTION = "How long did the meeting last?"
ALL = "All documents"  # the page's document selector, as posted: every document


@pytest.fixture
def fake_bot(fake_settings) -> FakeBot:
    return FakeBot(fake_settings).warm_up()


@pytest.fixture
def serve(fake_bot):
    """Return a function that serves a page over `fake_bot` and returns its URL."""
    from quotebot.ui.app import QuotebotUI
    from quotebot.ui.server import Server

    servers = []

    def start(auth=None, guard=None, ui=None):
        port = free_port()
        servers.append(Server(ui or QuotebotUI(fake_bot), "127.0.0.1", port, auth, guard).start())
        return f"http://127.0.0.1:{port}"

    yield start
    for server in servers:
        server.close()


def _basic(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_the_api_answers_in_the_json_contract(serve, fake_bot):
    url = serve()
    r = httpx.post(f"{url}/api/ask", json={"question": QUESTION})
    assert r.status_code == 200
    body = r.json()
    assert body == answer_json(fake_bot.answer(QUESTION))
    assert "five hours" in body["citations"][0]["quote"]
    follow = {
        "question": "And who took part in the meeting?",
        "history": [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "x"}],
    }
    r = httpx.post(f"{url}/api/ask", json=follow)
    assert r.status_code == 200 and "Jared Kushner" in r.json()["citations"][0]["quote"]
    assert fake_bot.calls[-1][1][0].question == QUESTION


def test_the_api_asks_about_one_document(serve, fake_settings):
    from quotebot.bot.bot import Bot
    from quotebot.ui.app import QuotebotUI

    url = serve(ui=QuotebotUI(Bot(fake_settings).warm_up()))
    r = httpx.post(f"{url}/api/ask", json={"question": QUESTION, "doc": "statement"})
    assert r.status_code == 200
    assert r.json()["retrieved"] and all(
        p["passage_id"].startswith("statement#") for p in r.json()["retrieved"]
    )
    r = httpx.post(f"{url}/api/ask", json={"question": QUESTION, "doc": "nope"})
    assert r.status_code == 400 and "no document named 'nope'" in r.json()["error"]
    assert "\n" not in r.json()["error"]
    r = httpx.post(f"{url}/api/ask", json={"question": QUESTION, "doc": 3})
    assert r.status_code == 400 and '"doc" must be a document name' in r.json()["error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"question": 3}', '"question" must be a string'),
        (b'{"question": "q", "extra": 1}', "unknown field(s): extra"),
        (b'{"question": "   "}', "The question is empty"),
        (b'{"question": "q", "history": [{"x": 1}]}', "history items must be"),
        (b'{"question": "q", "mode": "local"}', "answer mode 'local' is not offered"),
        (b'{"question": "q", "quotes": 50}', "quotes must be a number from 1 to 5"),
        (b'{"question": ' + b"[" * 40 + b"]" * 40 + b"}", "nests deeper than 8 levels"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_a_bad_body_gets_400_and_one_line(serve, body, message):
    url = serve()
    r = httpx.post(f"{url}/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400
    error = r.json()["error"]
    assert message.lower() in error.lower() and "\n" not in error


def test_a_large_body_gets_413_declared_or_streamed(serve):
    url = serve()
    big = json.dumps({"question": "x" * 70_000})
    r = httpx.post(f"{url}/api/ask", content=big)
    assert r.status_code == 413 and "larger than 65,536 bytes" in r.json()["error"]

    def chunks():  # no Content-Length: the server counts what arrives
        for _ in range(20):
            yield b" " * 4096

    r = httpx.post(f"{url}/api/ask", content=chunks())
    assert r.status_code == 413


def test_with_auth_the_api_needs_the_login_and_the_page_its_form(serve):
    url = serve(auth=AUTH)
    assert httpx.post(f"{url}/api/ask", json={"question": QUESTION}).status_code == 401
    wrong = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, headers=_basic("reader", "x"))
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Basic")
    right = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, headers=_basic(*AUTH))
    assert right.status_code == 200 and right.json()["citations"]
    config = httpx.get(f"{url}/config")
    assert config.status_code == 401  # the page's data needs the page's login
    login = httpx.post(f"{url}/login", data={"username": AUTH[0], "password": AUTH[1]})
    assert login.status_code == 200
    assert httpx.get(f"{url}/config", cookies=login.cookies).status_code == 200


def test_failed_logins_are_limited_per_client_on_the_page_and_the_api(serve):
    from quotebot.ui.guard import LoginGuard

    now = [0.0]
    url = serve(auth=AUTH, guard=LoginGuard(failures=3, window_s=60, clock=lambda: now[0]))
    for _ in range(2):
        r = httpx.post(f"{url}/login", data={"username": "reader", "password": "guess"})
        assert r.status_code == 400
    bad = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, headers=_basic("r", "guess"))
    assert bad.status_code == 401
    for attempt in (
        lambda: httpx.post(f"{url}/login", data={"username": AUTH[0], "password": AUTH[1]}),
        lambda: httpx.post(f"{url}/api/ask", json={"question": QUESTION}, headers=_basic(*AUTH)),
    ):
        refused = attempt()  # even the right password waits out the window
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) == 60
        assert "too many failed logins" in refused.json()["error"]
    now[0] = 61.0
    ok = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, headers=_basic(*AUTH))
    assert ok.status_code == 200


def test_the_login_guard_forgets_old_failures():
    from quotebot.ui.guard import LoginGuard

    now = [0.0]
    guard = LoginGuard(failures=2, window_s=10, clock=lambda: now[0])
    guard.failed("a")
    now[0] = 5.0
    guard.failed("a")
    assert guard.retry_after("a") == 5 and guard.retry_after("b") == 0
    now[0] = 10.5
    assert guard.retry_after("a") == 0


def test_the_json_depth_skips_brackets_in_strings():
    from quotebot.ui.guard import json_depth

    assert json_depth(b'{"a": "[[[[{{{\\"]]"}') == 1
    assert json_depth(b'[[1], {"b": [2]}]') == 3


def test_the_api_scores_a_small_question_set_and_bounds_it(serve, fake_bot):
    from quotebot.ui.app import QuotebotUI
    from quotebot.ui.evaluation import Limits

    url = serve(ui=QuotebotUI(fake_bot, Limits(max_questions=2)))
    r = httpx.post(f"{url}/api/eval", json={"questions": [FACTOID]}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert body["summary"]["systems"]["quotebot"]["overall"]["questions"] == 1
    assert body["results"][0]["id"] == FACTOID["id"]
    many = [{**FACTOID, "id": f"q{n}"} for n in range(3)]
    r = httpx.post(f"{url}/api/eval", json={"questions": many})
    assert r.status_code == 400 and "the limit is 2" in r.json()["error"]
    r = httpx.post(f"{url}/api/eval", json={"questions": [{"id": "x"}]})
    assert r.status_code == 400 and "missing field" in r.json()["error"]


class SlowLLMBot(FakeBot):
    """A fake bot whose LLM mode blocks until released (a slow generator)."""

    started = threading.Event()
    release = threading.Event()

    def stream(self, question: str, history=(), doc: str | None = None):
        if self.settings.llm != "none":
            SlowLLMBot.started.set()
            SlowLLMBot.release.wait(30)
        yield from super().stream(question, history, doc)


def test_quotes_only_answers_do_not_wait_behind_an_llm(serve, fake_settings, monkeypatch):
    from dataclasses import replace

    from quotebot.ui import app

    monkeypatch.setattr(app, "offered_modes", lambda settings: ["none", "local"])
    bot = SlowLLMBot(replace(fake_settings, llm="none")).warm_up()
    url = serve(ui=app.QuotebotUI(bot))
    SlowLLMBot.started.clear()
    SlowLLMBot.release.clear()
    with httpx.Client(timeout=30) as client:
        llm = threading.Thread(
            target=lambda: client.post(
                f"{url}/api/ask", json={"question": QUESTION, "mode": "local"}
            )
        )
        llm.start()
        try:
            assert SlowLLMBot.started.wait(20)  # the LLM answer is being written
            quick = client.post(f"{url}/api/ask", json={"question": QUESTION})
            assert quick.status_code == 200 and not SlowLLMBot.release.is_set()
            page = _page_call(client, url, "respond", [QUESTION, None, QUOTES, "none", ALL])
            assert "five hours" in json.dumps(page) and not SlowLLMBot.release.is_set()
            refused = _page_call(client, url, "respond", [QUESTION, None, QUOTES, "local", ALL])
            assert "is not answered by respond" in json.dumps(refused)
        finally:
            SlowLLMBot.release.set()
            llm.join(30)


def _page_call(
    client: httpx.Client, url: str, endpoint: str, data: list, session: str | None = None
) -> list:
    """Return the last data event of one call to the page's `endpoint` (Gradio's HTTP API)."""
    body = {"data": data, "session_hash": session} if session else {"data": data}
    r = client.post(f"{url}/gradio_api/call/{endpoint}", json=body)
    r.raise_for_status()
    last = None
    with client.stream("GET", f"{url}/gradio_api/call/{endpoint}/{r.json()['event_id']}") as s:
        for line in s.iter_lines():
            if line.startswith("data: "):
                last = json.loads(line[6:]) if line[6:] != "null" else last
    return last


def test_a_full_page_refuses_with_busy_instead_of_waiting(serve, fake_bot, monkeypatch):
    """One answer at a time and 45 waiting, more than Gradio's 40 worker threads: the next
    question is refused at once with "busy" (its question back in the box), and so is the
    API's (503), which shares the limit; once the answers are done, the page answers again.
    A quotes-only answer is off Gradio's queue (one POST, as the browser sends it)."""
    from quotebot.ui import app

    waiting = 45
    monkeypatch.setattr(app, "CHAT_CONCURRENCY", 1)
    monkeypatch.setattr(app, "QUEUE_MAX_SIZE", waiting)
    started, release = threading.Event(), threading.Event()
    answer = fake_bot.answer

    def blocked(question, history=(), doc=None):
        started.set()
        release.wait(60)
        return answer(question, history, doc)

    fake_bot.answer = blocked
    ui = app.QuotebotUI(fake_bot)
    url = serve(ui=ui)
    config = httpx.get(f"{url}/config").json()
    respond = next(d for d in config["dependencies"] if d["api_name"] == "respond")
    assert respond["queue"] is False
    replies: dict[int, dict] = {}

    def run(n: int) -> None:
        body = {"data": [QUESTION, None, QUOTES, "none", ALL], "session_hash": f"s{n}"}
        replies[n] = httpx.post(f"{url}/gradio_api/run/respond", json=body, timeout=90).json()

    admitted = [threading.Thread(target=run, args=(n,)) for n in range(1 + waiting)]
    try:
        for thread in admitted:
            thread.start()
        deadline = time.monotonic() + 30
        while ui._admitted < 1 + waiting and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.is_set() and ui._admitted == 1 + waiting and not replies
        run(-1)
        box, chat = replies[-1]["data"][:2]
        assert box == QUESTION and "busy answering other questions" in json.dumps(chat)
        api = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=30)  # shares it
        assert api.status_code == 503 and "busy answering" in api.json()["error"]
    finally:
        release.set()
        for thread in admitted:
            thread.join(60)
    assert sum("five hours" in json.dumps(replies.get(n)) for n in range(1 + waiting)) == 46
    with httpx.Client(timeout=30) as client:  # the flood is over: the page answers again
        answer = _page_call(client, url, "respond", [QUESTION, QUOTES, "none", ALL])
    assert "five hours" in json.dumps(answer)


def test_no_server_file_is_readable_through_the_api_or_file_routes(serve):
    url = serve()
    for path in (
        "/gradio_api/file=/etc/passwd",
        "/file=/etc/passwd",
        "/gradio_api/file=../../../../etc/passwd",
        "/api/../../etc/passwd",
        "/docs",
    ):
        r = httpx.get(f"{url}{path}")
        assert r.status_code in (403, 404, 405) and "root:" not in r.text, path


def test_the_gradio_client_example_of_the_readme_works(serve):
    from gradio_client import Client

    url = serve(auth=AUTH)
    client = Client(f"{url}/", auth=AUTH, verbose=False)
    outputs = client.predict(QUESTION, QUOTES, "none", "All documents", api_name="/respond")
    assert "five hours" in json.dumps(outputs, ensure_ascii=False)


def test_an_answer_on_a_large_corpus_sends_less_than_100_kb(serve, large_settings):
    from quotebot.ui.app import QuotebotUI

    url = serve(ui=QuotebotUI(FakeBot(large_settings).warm_up()))
    with httpx.Client(timeout=60) as client:
        data = [QUESTION, QUOTES, "none", ALL]
        r = client.post(f"{url}/gradio_api/call/respond", json={"data": data})
        with client.stream("GET", f"{url}/gradio_api/call/respond/{r.json()['event_id']}") as s:
            body = b"".join(s.iter_bytes())
    assert "five hours" in body.decode("utf-8")
    sent = len(body)
    assert 1_000 < sent < 100_000


def test_gradio_is_spared_its_lookups_on_every_event():
    """The upload folder is resolved once, and an absent matplotlib fails its import at once
    (Gradio tries both on every event)."""
    import subprocess
    import sys

    code = (
        "import importlib.util, os, gradio.utils\n"
        "from quotebot.ui.server import spare_gradio_per_event_work\n"
        "absent = importlib.util.find_spec('matplotlib') is None\n"
        "spare_gradio_per_event_work()\n"
        "folder = os.environ['GRADIO_TEMP_DIR']\n"
        "assert os.path.isabs(folder) and gradio.utils.get_upload_folder() == folder\n"
        "try:\n"
        "    import matplotlib\n"
        "    print('imported', not absent)\n"
        "except ImportError:\n"
        "    print('absent', absent)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "GRADIO_TEMP_DIR"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.split()[-1] == "True", out.stderr


def test_a_lean_session_has_what_a_gradio_session_has(fake_bot):
    """LeanSessionState sets up a session without Gradio's copy of every component's
    configuration: it must still have every attribute Gradio's SessionState sets (a Gradio
    upgrade that adds one fails here), and read and keep values the same way."""
    from gradio.state_holder import SessionState
    from quotebot.ui.app import QuotebotUI
    from quotebot.ui.sessions import LeanSessionState

    demo = QuotebotUI(fake_bot).build()
    gradio, lean = SessionState(demo), LeanSessionState(demo)
    assert set(vars(lean)) == set(vars(gradio)) and lean.config_values == {}
    state = next(k for k, b in demo.blocks.items() if b.stateful)
    assert lean[state] == gradio[state]
    lean[state] = gradio[state] = ["kept"]
    assert lean[state] == gradio[state] == ["kept"] and lean._state_ttl.keys() == {state}
