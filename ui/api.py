"""The HTTP API beside the page: `POST /api/ask` answers one question (with the conversation
so far, optionally about one document) in the `ask --json` contract, `POST /api/eval` scores a
small question set. It shares the page's Bot, answer modes and limits: quotes-only answers
share the page's (two at a time; with 64 waiting, 503 "busy" at once), and LLM answers have
their own, so the former never wait behind the latter.
"""

from __future__ import annotations

import json
import tempfile
import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from quotebot.bot.conversation import turns_from_messages

from quotebot.contract import answer_json
from quotebot.errors import QuestionError

from .evaluation import EvaluationCancelled, EvaluationRefused, evaluate_set
from .guard import BodyError, json_body

if TYPE_CHECKING:
    from .app import QuotebotUI

MAX_HISTORY = 50  # messages
DISCONNECT_POLL_S = 0.5
_ASK_FIELDS = {"question", "history", "quotes", "mode", "doc"}
_EVAL_FIELDS = {"questions", "split"}


def error(message: str, status: int = 400) -> JSONResponse:
    """Return the API's error: `{"error": "<one line>"}` with `status`."""
    return JSONResponse({"error": " ".join(message.split())}, status_code=status)


def router(ui: QuotebotUI, llm_concurrency: int) -> APIRouter:
    """Return the API's routes over the page `ui`: quotes-only answers share the page's limit
    (`QuotebotUI.admitted`), LLM answers have their own."""
    from .app import BUSY

    api = APIRouter()
    llm = anyio.CapacityLimiter(llm_concurrency)

    @api.post("/api/ask")
    async def ask(request: Request) -> JSONResponse:
        try:
            data = _object(json_body(await request.body()), _ASK_FIELDS)
            question = data.get("question")
            if not isinstance(question, str):
                raise BodyError('"question" must be a string')
            history = data.get("history", [])
            if not isinstance(history, list) or len(history) > MAX_HISTORY:
                raise BodyError(f'"history" must be a list of at most {MAX_HISTORY} messages')
            turns = turns_from_messages(history)
            doc = data.get("doc")
            if doc is not None and not isinstance(doc, str):
                raise BodyError('"doc" must be a document name (a string)')
            mode = data.get("mode", "none")
            bot = ui.bot_for(data.get("quotes", ui.bot.settings.max_quotes), mode)
        except (BodyError, QuestionError) as exc:
            return error(str(exc), getattr(exc, "status", 400))
        work = partial(bot.answer, question, turns, doc=doc)
        try:
            if mode == "none":
                answer = await ui.admitted(work, lambda: None)
                if answer is None:
                    return error(BUSY, 503)
            else:
                answer = await anyio.to_thread.run_sync(work, limiter=llm)
        except QuestionError as exc:
            return error(str(exc))
        return JSONResponse(answer_json(answer))

    @api.post("/api/eval")
    async def evaluate(request: Request) -> JSONResponse:
        try:
            data = _object(json_body(await request.body()), _EVAL_FIELDS)
            questions, split = data.get("questions"), data.get("split", "all")
            if not isinstance(questions, list) or not questions:
                raise BodyError('"questions" must be a non-empty list of question objects')
            if split not in ("all", "dev", "test"):
                raise BodyError('"split" must be "all", "dev" or "test"')
        except BodyError as exc:
            return error(str(exc), exc.status)
        client = f"api:{request.client.host if request.client else 'unknown'}"
        with tempfile.TemporaryDirectory(prefix="quotebot-api-eval-") as tmp:
            path = Path(tmp) / "questions.jsonl"
            lines = (json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
            path.write_text("".join(lines), encoding="utf-8")
            try:
                view = await _until_disconnected(
                    request,
                    lambda flag: ui.evaluations.guarded(
                        client,
                        lambda _: evaluate_set(path, ui.bot, split, flag, ui.limits, "questions"),
                    ),
                )
            except EvaluationCancelled:
                return error("the evaluation was stopped", 499)
            except EvaluationRefused as exc:
                return error(str(exc), 409 if "already running" in str(exc) else 400)
        results = [json.loads(line) for line in view.files["results.jsonl"].splitlines()]
        return JSONResponse({"summary": view.summary, "results": results})

    return api


async def _until_disconnected(request: Request, work):
    """Return `work(flag)` run in a thread; set `flag` when the caller disconnects."""
    flag = threading.Event()
    outcome: dict = {}

    async def run() -> None:
        try:
            outcome["value"] = await anyio.to_thread.run_sync(work, flag)
        except Exception as exc:  # re-raised below, in the request's task
            outcome["error"] = exc
        tasks.cancel_scope.cancel()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(run)
        while True:
            await anyio.sleep(DISCONNECT_POLL_S)
            if await request.is_disconnected():
                flag.set()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _object(value: object, fields: set[str]) -> dict:
    """Return `value` if it is a JSON object with only `fields`; raise BodyError otherwise."""
    if not isinstance(value, dict):
        raise BodyError("the body must be a JSON object")
    unknown = sorted(set(value) - fields)
    if unknown:
        raise BodyError(
            f"unknown field(s): {', '.join(unknown)} (known: {', '.join(sorted(fields))})"
        )
    return value
