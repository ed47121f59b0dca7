"""One process serves the page and the API: a FastAPI app with the API's routes and the
Gradio page mounted at `/`, run by uvicorn on one host and port. With a login (`--auth`), the
page asks for it on its login form and the API as HTTP Basic; failed logins are limited per
client. API bodies are limited in size (413) and nesting (400).
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
import uvicorn
from fastapi import FastAPI

from .api import router
from .app import (
    CHAT_CONCURRENCY,
    CSS,
    LLM_CONCURRENCY,
    MAX_UPLOAD,
    QUEUE_MAX_SIZE,
    QuotebotUI,
    theme,
)
from .evaluation import Limits
from .guard import MAX_BODY_BYTES, LoginGuard, basic_credentials, same_login
from .sessions import use_lean_sessions

if TYPE_CHECKING:
    from quotebot.bot.bot import Bot

# After every event Gradio recomputes, with pandas, a monitoring summary over up to 10,000
# recorded events, though the page serves no monitoring: answers/s fell from 30 to 26 within
# 90 s of load, and rose to 37-40 with one record kept and no recomputation.
GRADIO_ANALYTICS = {
    "GRADIO_ANALYTICS_MAX_EVENTS": "1",
    "GRADIO_ANALYTICS_CACHE_FREQUENCY": "2147483647",
}
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
START_TIMEOUT_S = 30.0
AUTH_MESSAGE = "Sign in with the user and password given to quotebot ui --auth."


class Gate:
    """ASGI middleware in front of everything: refuses a client with too many failed logins
    (429) on the page's login and the API, counts failed logins, checks the API's Basic login,
    and reads API bodies up to `max_body` bytes (413 past it)."""

    def __init__(self, app, auth: tuple[str, str] | None, guard: LoginGuard, max_body: int):
        self.app = app
        self.auth = auth
        self.guard = guard
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, client = scope["path"], (scope.get("client") or ("unknown",))[0]
        api = path.startswith("/api/")
        login = path.rstrip("/").endswith("/login") and scope["method"] == "POST"
        if self.auth is None or not (api or login):
            return await (
                self._api(scope, receive, send) if api else self.app(scope, receive, send)
            )
        wait = self.guard.retry_after(client)
        if wait:
            message = f"too many failed logins from {client}; try again in {wait} s"
            return await _json(send, 429, {"error": message, "detail": message}, wait)
        if login:
            return await self.app(scope, receive, self._counting(send, client))
        given = basic_credentials(_header(scope, b"authorization"))
        if given is None or not same_login(given, self.auth):
            if given is not None:
                self.guard.failed(client)
            return await _json(
                send, 401, {"error": "this API needs the server's login (HTTP Basic)"}
            )
        return await self._api(scope, receive, send)

    def _counting(self, send, client: str):
        async def wrapped(message):
            if message["type"] == "http.response.start" and message["status"] >= 400:
                self.guard.failed(client)
            await send(message)

        return wrapped

    async def _api(self, scope, receive, send):
        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            return await _json(send, 413, {"error": self._too_large()})
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                return await _json(send, 413, {"error": self._too_large()})
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body:,} bytes"


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _json(send, status: int, body: dict, retry_after: int | None = None) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Basic realm="quotebot"'))
    if retry_after:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def make_app(ui: QuotebotUI, auth: tuple[str, str] | None, guard: LoginGuard) -> FastAPI:
    """Return the app: the API's routes, the page mounted at `/`, and the gate in front."""
    for name, value in GRADIO_ANALYTICS.items():  # read when the queue is made
        os.environ.setdefault(name, value)
    spare_gradio_per_event_work()
    demo = ui.build()
    demo.queue(default_concurrency_limit=CHAT_CONCURRENCY, max_size=QUEUE_MAX_SIZE)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(router(ui, LLM_CONCURRENCY))
    app = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        auth=auth,
        auth_message=AUTH_MESSAGE,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        max_file_size=MAX_UPLOAD,
        footer_links=["settings"],
        theme=theme(),
        css=CSS,
    )
    use_lean_sessions(app, demo)
    app.add_middleware(Gate, auth=auth, guard=guard, max_body=MAX_BODY_BYTES)
    app.state.demo = demo
    return app


def spare_gradio_per_event_work() -> None:
    """On every event Gradio resolves its upload folder on disk and imports matplotlib (to
    set its backend), which fails after a search of the whole path when it is not installed:
    4-5% of the page's CPU under load. The folder is resolved once here, and an absent
    matplotlib fails its import at once."""
    folder = Path(tempfile.gettempdir()) / "gradio"
    os.environ.setdefault("GRADIO_TEMP_DIR", str(folder.resolve()))
    if importlib.util.find_spec("matplotlib") is None:
        sys.modules.setdefault("matplotlib", None)


class Server:
    """The page and the API served by uvicorn on `host:port`; binding happens at construction
    (an OSError when the port is taken)."""

    def __init__(
        self,
        ui: QuotebotUI,
        host: str = "127.0.0.1",
        port: int = 7860,
        auth: tuple[str, str] | None = None,
        guard: LoginGuard | None = None,
    ):
        self.host, self.port = host, port
        self._socket = _bind(host, port)
        self.app = make_app(ui, auth, guard or LoginGuard())
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Serve until interrupted."""
        self._server.run(sockets=[self._socket])

    def start(self) -> Server:
        """Serve in a background thread; return once the server accepts connections."""
        self._thread = threading.Thread(target=self.run, name="quotebot-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def close(self) -> None:
        """Stop serving and wait for the server thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def bind_warning(host: str, auth: tuple[str, str] | None) -> str | None:
    """Return a warning when the page would be reachable from other machines without a login."""
    if host in LOOPBACK or auth is not None:
        return None
    return (
        f"serving on {host} without --auth: anyone who can reach this machine can use the "
        "page; add --auth USER:PASS, or use --host 127.0.0.1"
    )


def url(host: str, port: int) -> str:
    """Return the address to open in a browser for `host:port`."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"


def serve(
    bot: Bot,
    host: str,
    port: int,
    auth: tuple[str, str] | None = None,
    *,
    eval_max_bytes: int | None = None,
    eval_max_questions: int | None = None,
) -> None:
    """Warn about an open bind, then serve the page and the API until interrupted."""
    warning = bind_warning(host, auth)
    if warning:
        print(f"quotebot: warning: {warning}", file=sys.stderr)
    limits = Limits(eval_max_bytes or Limits.max_bytes, eval_max_questions or Limits.max_questions)
    server = Server(QuotebotUI(bot, limits), host, port, auth)
    address = url(host, port)
    print(
        f"quotebot: the page is at {address} and the API at {address}/api/ask (Ctrl-C stops it)",
        flush=True,
    )
    server.run()
