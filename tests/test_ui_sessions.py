"""Memory per page session on the real server (`quotebot ui`, real Bot, loopback): 2,000
sessions, each opening the page with a saved conversation (what a reload sends) and every
tenth asking a question, grow the server's resident memory by less than 50 MiB; and a session's
load event, answered after its first question, keeps that question's answer.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from ui_process import quotebot_ui

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = 2_000
WARM_SESSIONS = 100
CLIENTS = 4
MAX_GROWTH_MIB = 50
START_TIMEOUT_S = 400


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def server(real_settings, tmp_path_factory):
    log = tmp_path_factory.mktemp("sessions") / "server.log"
    with quotebot_ui([], real_settings.cache_dir, log, START_TIMEOUT_S) as served:
        yield served


def _fn(config: dict, api_name: str) -> int:
    return next(d["id"] for d in config["dependencies"] if d["api_name"] == api_name)


def _open_session(client: httpx.Client, url: str, fn: int, session: str, saved: list) -> None:
    """Open the page in `session` as a reload does: the browser sends its saved conversation."""
    body = {"data": [saved], "fn_index": fn, "session_hash": session, "trigger_id": None}
    r = client.post(f"{url}/gradio_api/run/predict", json=body)
    assert r.status_code == 200, r.text[:200]


def _ask(client: httpx.Client, url: str, session: str, question: str) -> list:
    from test_ui_server import _page_call

    return _page_call(client, url, "respond", [question, None, 3, "none", "All documents"], session)


def test_two_thousand_sessions_grow_the_server_by_less_than_50_mib(server):
    url, proc = server
    with httpx.Client(timeout=60) as client:
        config = client.get(f"{url}/config").json()
        restore = _fn(config, "restore")
        answer = _ask(client, url, "first", "How long did the meeting last?")
        saved = next(v for v in answer if isinstance(v, list) and v and "citations" in v[0])
        assert "five hours" in json.dumps(saved)
        for n in range(WARM_SESSIONS):  # allocator and caches settle
            _open_session(client, url, restore, f"warm{n}", saved)
        before = _rss_mib(proc.pid)

        def visit(n: int) -> None:
            _open_session(client, url, restore, f"s{n}", saved)
            if n % 10 == 0:
                _ask(client, url, f"s{n}", "Was the territorial issue discussed?")

        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(visit, range(SESSIONS)))
        after = _rss_mib(proc.pid)
    print(f"server RSS {before:.0f} -> {after:.0f} MiB over {SESSIONS} sessions")
    assert after - before < MAX_GROWTH_MIB


def test_a_load_event_answered_after_the_first_question_keeps_its_answer(server):
    """The page's load event (which restores a saved conversation) and a question typed at once
    run side by side; under load the load's reply came second and emptied the conversation."""
    url, _ = server
    with httpx.Client(timeout=60) as client:
        restore = _fn(client.get(f"{url}/config").json(), "restore")
        _ask(client, url, "late-load", "How long did the meeting last?")
        _open_session(client, url, restore, "late-load", [])  # nothing saved, and late
        answer = _ask(client, url, "late-load", "Was the territorial issue discussed?")
    saved = next(v for v in answer if isinstance(v, list) and v and "citations" in v[0])
    assert [e["question"] for e in saved] == [
        "How long did the meeting last?",
        "Was the territorial issue discussed?",
    ]
