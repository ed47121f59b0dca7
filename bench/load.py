"""The chat page under load: N concurrent clients ask questions through the real Gradio server
on loopback, each as soon as its previous answer is complete, for a bounded time.

    python -m bench.load                 # 16 clients for 60 s against a server it starts
    python -m bench.load --soak          # 32 clients for 2 minutes, RSS before and after
    python -m bench.load --soak --fresh-sessions   # the same, a new page session per question
    python -m bench.load --url http://127.0.0.1:7860 --clients 8 --seconds 10

Each client is one open page (one Gradio session) calling the page's events as the browser
does: an event off Gradio's queue (a quotes-only answer, a new conversation) is one POST to
`/gradio_api/run/<name>`; a queued one (an LLM's answer) is POSTed to `/gradio_api/call/<name>`
and its event stream read to `complete`. A client asks (`respond`: the latency measured), then
starts a new conversation (`new_conversation`, as the button does) so that every question is
asked afresh. A request counts as an error when the server refuses it,
the stream ends without `complete`, it reports an error (such as a full queue), or it takes
longer than the timeout. Every answer is compared with the answer the same question got from a
single client before the load started: under load the page must answer exactly the same.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from quotebot.evaluation.metrics.latency import percentile

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "evals" / "statement.jsonl"
ENDPOINT = "respond"  # the page's quotes-only answer
SAVED_OUTPUT = 4  # box, chat, viewer, conversation state (null), saved conversation
STATEFUL = frozenset({"state"})  # inputs the browser sends as null: their values stay on the server
REQUEST_TIMEOUT_S = 60.0
START_TIMEOUT_S = 180.0


@dataclass
class LoadReport:
    """What a load run measured; latencies in milliseconds, memory in MiB."""

    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    mismatches: int = 0  # answers that differ from the single-client answer
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    throughput: float = 0.0  # completed answers per second
    kb_p50: float = 0.0  # what the server sent for one answer (its event stream), KB
    kb_max: float = 0.0
    rss_before_mib: float | None = None
    rss_after_mib: float | None = None
    rss_half_mib: float | None = None  # at half-time: after - half shows whether it levels off
    error_samples: list[str] = field(default_factory=list)

    def line(self) -> str:
        """Return the report as one line for people."""
        rss = ""
        if self.rss_before_mib is not None and self.rss_after_mib is not None:
            half = f" (at half-time {self.rss_half_mib:.0f})" if self.rss_half_mib else ""
            rss = f", server RSS {self.rss_before_mib:.0f} -> {self.rss_after_mib:.0f} MiB{half}"
        return (
            f"{self.clients} clients x {self.seconds:.0f} s: {self.requests} answers "
            f"({self.throughput:.1f}/s), {self.errors} errors, {self.mismatches} mismatches, "
            f"p50 {self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} ms, max {self.max_ms:.0f} ms, "
            f"sent per answer {self.kb_p50:.1f} KB (max {self.kb_max:.1f}){rss}"
        )


def load_questions(path: Path = QUESTIONS) -> list[str]:
    """Return the standalone questions (no history) of an evaluation set."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            if not item.get("history"):
                out.append(item["question"])
    return out


@dataclass(frozen=True)
class Event:
    """One of the page's events as its configuration describes it: its function's index,
    whether it is queued, and which of its inputs are server-side state (sent as null)."""

    fn_index: int
    queued: bool
    stateful: tuple[bool, ...]


def page_events(url: str) -> dict[str, Event]:
    """Return the page's named events, read from its configuration."""
    import httpx

    config = httpx.get(f"{url}/config", timeout=REQUEST_TIMEOUT_S).json()
    types = {c["id"]: c["type"] for c in config["components"]}
    return {
        d["api_name"]: Event(
            d["id"], bool(d["queue"]), tuple(types[i] in STATEFUL for i in d["inputs"])
        )
        for d in config["dependencies"]
        if d.get("api_name")
    }


def ask(
    client,
    url: str,
    events: dict[str, Event],
    session: str,
    question: str,
    quotes: int = 3,
    sent: list | None = None,
) -> str:
    """Return the page's reply (the assistant's last chat message) to `question` in the
    Gradio session `session`; with `sent`, append the bytes the server sent for it.

    Raises RuntimeError when the server refuses or fails the request.
    """
    data = [question, quotes, "none", "All documents"]  # the document selector: every one
    return reply_text(call(client, url, events, session, ENDPOINT, data, sent))


def new_conversation(client, url: str, events: dict[str, Event], session: str) -> None:
    """Start a new conversation in `session`, as the page's button does."""
    call(client, url, events, session, "new_conversation", [])


def call(
    client,
    url: str,
    events: dict[str, Event],
    session: str,
    endpoint: str,
    data: list,
    sent: list | None = None,
) -> list:
    """Return the outputs of one call to the page's `endpoint` with the values of its inputs
    other than state (`data`), made as the browser makes it; with `sent`, append the number
    of bytes the server sent back.

    Raises RuntimeError when the server refuses or fails the call.
    """
    event = events[endpoint]
    if not event.queued:
        values = iter(data)
        full = [None if stateful else next(values) for stateful in event.stateful]
        body = {"data": full, "fn_index": event.fn_index, "session_hash": session}
        r = client.post(f"{url}/gradio_api/run/{endpoint}", json=body)
        if r.status_code != 200:
            raise RuntimeError(f"POST {endpoint}: {r.status_code} {r.text[:200]}")
        if sent is not None:
            sent.append(len(r.content))
        return r.json()["data"]
    return _queued(client, url, session, endpoint, data, sent)


def _queued(client, url: str, session: str, endpoint: str, data: list, sent: list | None) -> list:
    body = {"data": data, "session_hash": session}
    r = client.post(f"{url}/gradio_api/call/{endpoint}", json=body)
    if r.status_code != 200:
        raise RuntimeError(f"POST {endpoint}: {r.status_code} {r.text[:200]}")
    event_id = r.json()["event_id"]
    event, size = None, 0
    with client.stream("GET", f"{url}/gradio_api/call/{endpoint}/{event_id}") as stream:
        if stream.status_code != 200:
            raise RuntimeError(f"GET {endpoint}: {stream.status_code}")
        for line in stream.iter_lines():
            size += len(line.encode("utf-8")) + 1
            if sent is not None and event == "complete" and line.startswith("data: "):
                sent.append(size)
            if line.startswith("event: "):
                event = line[7:].strip()
            elif line.startswith("data: ") and event in ("complete", "error"):
                if event == "error":
                    raise RuntimeError(f"{endpoint}: error event {line[6:200]}")
                return json.loads(line[6:])
    raise RuntimeError(f"{endpoint}: the stream ended without a result (last event {event})")


def reply_text(outputs: list) -> str:
    """Return the last answer in the `respond` outputs (the conversation the browser saves, sent
    when the answer is done) as JSON text: its question, text and citations."""
    saved = outputs[SAVED_OUTPUT]
    if not isinstance(saved, list) or not saved:
        raise RuntimeError(f"respond: no answer in its outputs {str(outputs)[:200]}")
    return json.dumps(saved[-1], ensure_ascii=False, sort_keys=True)


def reference_answers(url: str, questions: Sequence[str]) -> dict[str, str]:
    """Return each question's reply from a single client, one question at a time."""
    import httpx

    session = uuid.uuid4().hex
    events = page_events(url)
    answers = {}
    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        for question in questions:
            answers[question] = ask(client, url, events, session, question)
            new_conversation(client, url, events, session)
    return answers


def run_load(
    url: str,
    questions: Sequence[str],
    clients: int,
    seconds: float,
    expected: dict[str, str] | None = None,
    max_requests: int = 100_000,
    server_pid: int | None = None,
    fresh_sessions: bool = False,
) -> LoadReport:
    """Run `clients` closed-loop clients for `seconds` (and at most `max_requests` in all);
    return latencies, errors and answers that differ from `expected`. With `fresh_sessions`,
    every question opens a new Gradio session, as a script that opens pages would."""
    import httpx

    report = LoadReport(clients, seconds)
    report.rss_before_mib = rss_mib(server_pid)
    latencies: list[float] = []
    sent: list[int] = []
    lock = threading.Lock()
    events = page_events(url)
    deadline = time.monotonic() + seconds
    budget = [max_requests]

    def client_loop(n: int) -> None:
        session = uuid.uuid4().hex
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
            i = n
            while time.monotonic() < deadline:
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                question = questions[i % len(questions)]
                i += clients
                if fresh_sessions:
                    session = uuid.uuid4().hex
                started = time.perf_counter()
                size: list[int] = []
                try:
                    reply = ask(client, url, events, session, question, sent=size)
                    took = (time.perf_counter() - started) * 1000
                    new_conversation(client, url, events, session)
                except Exception as exc:  # any failure of the page counts as an error
                    with lock:
                        report.errors += 1
                        if len(report.error_samples) < 5:
                            report.error_samples.append(f"{type(exc).__name__}: {exc}"[:300])
                    continue
                with lock:
                    latencies.append(took)
                    sent.extend(size)
                    if expected is not None and expected.get(question) != reply:
                        report.mismatches += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    threads[0].join(seconds / 2)
    report.rss_half_mib = rss_mib(server_pid)
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    report.rss_after_mib = rss_mib(server_pid)
    report.requests = len(latencies)
    report.throughput = len(latencies) / elapsed if elapsed else 0.0
    if latencies:
        report.p50_ms = percentile(latencies, 50)
        report.p95_ms = percentile(latencies, 95)
        report.max_ms = max(latencies)
    if sent:
        report.kb_p50 = percentile(sent, 50) / 1000
        report.kb_max = max(sent) / 1000
    return report


def rss_mib(pid: int | None) -> float | None:
    """Return the resident memory of process `pid` in MiB (None without a pid or on error)."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Server:
    """`quotebot ui` on a free loopback port, started and stopped around a block."""

    def __init__(self, env: dict[str, str] | None = None, args: Sequence[str] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.args = list(args)
        self.process: subprocess.Popen | None = None
        self.log = None

    def __enter__(self) -> Server:
        # the server's stderr goes to a file, never to a pipe that could fill up and block it
        self.log = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - see __exit__
        command = [sys.executable, "-m", "quotebot.cli", "ui", "--port", str(self.port), *self.args]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        wait_until_up(self.url, self.process, self.log)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(
    url: str, process: subprocess.Popen, log, timeout: float = START_TIMEOUT_S
) -> None:
    """Return when the page answers `/gradio_api/info`; raise RuntimeError (with the end of
    the server's `log`) if it exits or does not come up in `timeout` seconds."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"quotebot ui exited: {log.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/gradio_api/info", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"quotebot ui did not come up at {url} in {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--url", help="a running page (default: start `quotebot ui` here)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--soak", action="store_true", help="32 clients for 120 s")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--fresh-sessions", action="store_true", help="a new page session for every question"
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        help="the server's corpus (default: the seed); its first statement should be the seed, "
        "whose questions are asked (bench/synthetic.py writes such a corpus)",
    )
    args = parser.parse_args(argv)
    if args.soak:
        args.clients, args.seconds = 32, 120.0
    questions = load_questions()
    if args.url:
        report = _measure(args.url, questions, args, None)
    else:
        env = {"QUOTEBOT_CORPUS": str(args.corpus)} if args.corpus else None
        with Server(env) as server:
            report = _measure(server.url, questions, args, server.pid)
    print(json.dumps(asdict(report), indent=2) if args.json else report.line())
    for sample in report.error_samples:
        print(f"  error: {sample}", file=sys.stderr)
    return 0 if report.errors == 0 and report.mismatches == 0 else 1


def _measure(url: str, questions: list[str], args, pid: int | None) -> LoadReport:
    expected = reference_answers(url, questions)
    return run_load(
        url,
        questions,
        args.clients,
        args.seconds,
        expected,
        args.max_requests,
        pid,
        args.fresh_sessions,
    )


if __name__ == "__main__":
    sys.exit(main())
