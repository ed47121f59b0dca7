"""The page's logic with a fake bot: rendering (escaped, cited, highlighted), the chat handlers
(streaming, follow-ups, errors), the evaluation tab's handler, the queue limit and `quotebot ui`.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from quotebot.bot.conversation import Turn
from quotebot.bot.question import clean
from quotebot.bot.records import Answer, Citation, StreamEvent
from quotebot.index.store import CorpusIndex, ensure_index
from quotebot.index.text import normalise
from quotebot.ui.render import (
    anchor_id,
    answer_markdown,
    error_markdown,
    escape_markdown,
    question_markdown,
    source_html,
)

from quotebot.cli import main
from quotebot.settings import Settings

PAYLOADS = ('<img src=x onerror="window.pwned=1">', "<script>window.pwned=1</script>")
HOSTILE = """Aide to the President Yury Ushakov: The talks lasted <script>window.pwned=1</script>
five hours & more.

Question: Was <img src=x onerror="window.pwned=1"> discussed?

Yury Ushakov: Yes, it was *discussed* [link](http://evil.example/x.png) ![i](http://evil.example/i.png).
"""
# question -> phrases of the seed whose sentences the fake bot quotes, in order
ANSWERS = {
    "How long did the meeting last?": ["five hours", "a very useful and constructive"],
    "And who took part in the meeting?": ["Steve Witkoff and Jared Kushner"],
    "What did the journalist ask about the territorial issue?": ["presumably the most critical"],
}


def cite(index: CorpusIndex, phrase: str) -> Citation:
    """Return the citation of the sentence of the seed that contains `phrase`."""
    for p in index.passages:
        source = index.source(p.doc)
        for start, end in p.sentences:
            if phrase in normalise(source[start:end]):
                quote = normalise(source[start:end])
                return Citation(p.id, p.doc, p.speaker, p.role, start, end, quote)
    raise AssertionError(f"{phrase!r} is not in the corpus")


class FakeBot:
    """The Bot's interface with canned quotes; it validates questions like the real one."""

    def __init__(self, settings: Settings, index: CorpusIndex | None = None):
        self.settings = settings
        self._index = index
        self.calls: list[tuple[str, list]] = []
        self.delay = 0.0

    @property
    def index(self) -> CorpusIndex:
        if self._index is None:
            self._index = ensure_index(self.settings)
        return self._index

    def warm_up(self) -> FakeBot:
        self.index  # noqa: B018 - loads it
        return self

    def stream(self, question: str, history=()):
        self.calls.append((question, list(history)))
        text = clean(question, self.settings.max_question_chars)
        time.sleep(self.delay)
        phrases = ANSWERS.get(text, [])[: self.settings.max_quotes]
        citations = [cite(self.index, phrase) for phrase in phrases]
        if not citations:
            yield StreamEvent("final", Answer(text, "The statement does not say.", abstained=True))
        for n in range(1, len(citations) + 1):
            answer = Answer(text, "Yury Ushakov said:", citations[:n], query=text)
            yield StreamEvent("final" if n == len(citations) else "quote", answer)

    def answer(self, question: str, history=()) -> Answer:
        return list(self.stream(question, history))[-1].answer


@pytest.fixture
def fake_bot(fake_settings) -> FakeBot:
    return FakeBot(fake_settings).warm_up()


@pytest.fixture
def ui(fake_bot):
    from quotebot.ui.app import QuotebotUI

    return QuotebotUI(fake_bot)


@pytest.fixture
def hostile_index(tmp_path, fake_embedder) -> CorpusIndex:
    statement = tmp_path / "hostile.txt"
    statement.write_text(HOSTILE, encoding="utf-8")
    settings = Settings.load(
        environ={}, corpus=(statement,), cache_dir=tmp_path / "cache", embedders=("fake",)
    )
    return ensure_index(settings)


def markdown_html(text: str) -> str:
    """Return `text` rendered as CommonMark, as the chat renders it."""
    markdown_it = pytest.importorskip("markdown_it")
    return markdown_it.MarkdownIt("commonmark").enable("table").render(text)


# ---------------------------------------------------------------- rendering


@pytest.mark.parametrize("payload", [*PAYLOADS, "*b* _i_ [l](http://x.example) ![i](y.png) `c`"])
def test_user_text_renders_as_literal_text(payload):
    html = markdown_html(question_markdown(payload))
    assert "<img" not in html and "<script" not in html and "<a " not in html
    assert "<em>" not in html and "<code>" not in html
    assert html.strip() == f"<p>{_html_escape(payload)}</p>"


def _html_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def test_block_syntax_at_line_start_is_escaped():
    for text in ("1. not a list", "- not a bullet", "# not a heading", "> not a quote"):
        assert markdown_html(escape_markdown(text)).strip() == f"<p>{_html_escape(text)}</p>"


def test_control_characters_are_not_shown():
    assert question_markdown("how\x00 long\x1b did it last?") == "how long did it last?"


def test_long_questions_are_cut_for_display_with_their_length():
    shown = question_markdown("why " * 1000)
    assert len(shown) < 600 and "3,999 characters" in shown


def test_answer_quotes_each_citation_with_speaker_and_numbered_link(fake_bot):
    answer = fake_bot.answer("How long did the meeting last?")
    text = answer_markdown(answer)
    html = markdown_html(text)
    assert html.count("<blockquote>") == 2
    assert "five hours" in html and "<strong>Yury Ushakov</strong>" in html
    five = answer.citations[0]
    link = f'<a href="#{anchor_id(five.passage_id)}">[1] {five.passage_id}, characters '
    assert link in html and f"{five.start}\u2013{five.end}" in html
    assert f'<a href="#{anchor_id(answer.citations[1].passage_id)}">[2]' in html


def test_a_journalists_words_are_labelled_as_a_question(fake_bot):
    answer = fake_bot.answer("What did the journalist ask about the territorial issue?")
    quote = markdown_html(answer_markdown(answer)).split("<blockquote>")[1]
    assert answer.citations[0].role == "question"
    assert "<strong>Journalist (question)</strong>" in quote and "Ushakov" not in quote


def test_abstention_and_notice_are_shown():
    answer = Answer("q", "The statement does not say.", abstained=True, notice="LLM <b>down</b>")
    html = markdown_html(answer_markdown(answer))
    assert "The statement does not say." in html
    assert "<strong>Note:</strong> LLM &lt;b&gt;down&lt;/b&gt;" in html


def test_errors_are_escaped_and_capitalised():
    assert markdown_html(error_markdown("the question <b> is empty")).count("<b>") == 0
    assert "The question" in error_markdown("the question is empty")


def test_anchor_ids_are_stable_and_distinct_for_other_scripts():
    assert anchor_id("statement#p07") == "p-statement-p07"
    assert anchor_id("заявление#p01") != anchor_id("интервью#p01")


def test_source_viewer_shows_every_turn_with_speakers_and_highlights_the_quote(fake_bot):
    index = fake_bot.index
    answer = fake_bot.answer("How long did the meeting last?")
    html = source_html(index, answer.citations)
    assert all(f'id="{anchor_id(p.id)}"' in html for p in index.passages)
    five = answer.citations[0]
    marked = f'<p class="qb-passage qb-cited" id="{anchor_id(five.passage_id)}"'
    assert marked in html
    assert f'<mark class="qb-quote">{five.quote}</mark><sup class="qb-n">[1]</sup>' in html
    assert html.count("qb-cited") == len({c.passage_id for c in answer.citations})
    assert 'class="qb-turn qb-role-question"' in html and "Journalist (question)" in html
    assert "qb-cited" not in source_html(index)


def test_source_viewer_escapes_the_statement(hostile_index):
    answer_passage = hostile_index.passages[0]
    html = source_html(hostile_index, [_whole(hostile_index, answer_passage.id)])
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;" in html
    assert "five hours &amp; more" in html


def _whole(index: CorpusIndex, passage_id: str) -> Citation:
    p = index.passage(passage_id)
    return Citation(p.id, p.doc, p.speaker, p.role, p.start, p.end, p.text)


def test_a_huge_document_is_shown_around_its_cited_passages(fake_bot, monkeypatch):
    from quotebot.ui import render

    monkeypatch.setattr(render, "VIEWER_MAX_PASSAGES", 10)
    monkeypatch.setattr(render, "VIEWER_CONTEXT", 1)
    index = fake_bot.index
    cited = _whole(index, index.passages[20].id)
    html = source_html(index, [cited])
    shown = [p.id for p in index.passages if f'id="{anchor_id(p.id)}"' in html]
    assert shown == [p.id for p in index.passages[19:22]]
    assert html.count("passages left out") == 2


# ---------------------------------------------------------------- chat handlers


def test_an_answer_streams_quote_by_quote_and_highlights_the_source(ui):
    steps = list(ui.respond("How long did the meeting last?", [], 3, "none"))
    assert len(steps) == 2  # one snapshot per quote
    box, chat, viewer, state = steps[-1]
    assert box == ""
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert "five hours" in chat[1]["content"] and "very useful" not in steps[0][1][1]["content"]
    assert "qb-cited" in viewer and state[-1].answer.citations


def test_follow_ups_pass_the_conversation_with_cited_passages(ui, fake_bot):
    *_, (_, _, _, state) = ui.respond("How long did the meeting last?", [], 3, "none")
    *_, (_, chat, _, state) = ui.respond("And who took part in the meeting?", state, 3, "none")
    question, history = fake_bot.calls[-1]
    assert history == [Turn.of(state[0].answer)]
    assert history[0].passage_ids == tuple(c.passage_id for c in state[0].answer.citations)
    assert len(chat) == 4 and "Jared Kushner" in chat[3]["content"]


def test_the_quotes_setting_limits_quotes_with_a_bot_sharing_the_index(ui, fake_bot):
    *_, (_, chat, _, state) = ui.respond("How long did the meeting last?", [], 1, "none")
    assert len(state[-1].answer.citations) == 1
    shared = ui.bot_for(1, "none")
    assert shared is not fake_bot and shared.index is fake_bot.index
    assert ui.bot_for(1, "none") is shared and ui.bot_for(3, "none") is fake_bot
    assert ui.bot_for(3, "local").settings.llm == "local" and fake_bot.settings.llm == "none"


@pytest.mark.parametrize(
    ("question", "message"),
    [("   ", "The question is empty"), ("x" * 2001, "the limit is 2,000")],
)
def test_bad_questions_get_a_message_and_keep_the_box(ui, question, message):
    (box, chat, viewer, state), *rest = list(ui.respond(question, [], 3, "none"))
    assert not rest and box == question
    assert message in chat[-1]["content"].replace("\\", "") and state[-1].answer is None
    assert "qb-cited" not in viewer


def test_clicking_an_answer_highlights_its_citations(ui):
    import gradio as gr

    *_, (_, _, _, state) = ui.respond("How long did the meeting last?", [], 3, "none")
    *_, (_, _, _, state) = ui.respond("And who took part in the meeting?", state, 3, "none")
    for message, exchange in ((1, state[0]), (2, state[1]), (3, state[1])):
        html = ui.show_exchange(state, gr.SelectData(None, {"index": message, "value": None}))
        assert _cited_ids(html) == sorted(
            {anchor_id(c.passage_id) for c in exchange.answer.citations}
        )


def _cited_ids(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('qb-cited" id="')[1:]]


def test_new_conversation_clears_everything(ui):
    box, chat, viewer, state = ui.new_conversation()
    assert (box, chat, state) == ("", [], []) and "qb-cited" not in viewer


def test_examples_are_standalone_questions_from_the_statement(fake_bot):
    from quotebot.ui.app import example_questions

    examples = example_questions(fake_bot.index)
    source = normalise(fake_bot.index.source("statement"))
    assert 3 <= len(examples) <= 6
    assert all(q.endswith("?") and q in source for q in examples)
    assert "In what context was it discussed?" not in examples  # a follow-up


# ---------------------------------------------------------------- evaluation tab


def test_the_evaluation_tab_runs_the_shipped_set(fake_settings, ui):
    from quotebot.ui.app import RESULT_COLUMNS, SHIPPED, SHIPPED_SET, only_failures

    if not SHIPPED_SET.exists():
        pytest.skip("evals/statement.jsonl is not shipped yet")
    ui.bot.settings = fake_settings
    status, metrics, results, plot, files, rows = ui.run_evaluation(SHIPPED, None, "dev")
    dev = [json.loads(line) for line in SHIPPED_SET.read_text("utf-8").splitlines()]
    dev = [q for q in dev if q.get("split") == "dev"]
    assert len(results) == len(dev) == len(rows) and f"{len(dev)} questions" in status
    assert {"f1", "exact_match", "citation_recall", "mrr"} <= {m for m, _ in metrics}
    assert plot.count("<svg") == 2
    assert [Path(f).name for f in files] == ["results.jsonl", "summary.json", "report.html"]
    failed = only_failures(rows, True)
    column = RESULT_COLUMNS.index("failure")
    assert all(r[column] == "failure" for r in failed) and len(failed) < len(rows)


def test_a_malformed_uploaded_set_gets_a_message_naming_the_line(ui, tmp_path):
    from quotebot.ui.app import UPLOADED

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q", "answerable": true}\nnot json\n', "utf-8")
    status, metrics, *_ = ui.run_evaluation(UPLOADED, str(bad), "all")
    assert "bad.jsonl:1: missing field" in status.replace("\\", "") and metrics == []
    assert "Upload a JSONL question set first" in ui.run_evaluation(UPLOADED, None, "all")[0]


# ---------------------------------------------------------------- serving and the command


def test_binding_beyond_loopback_without_auth_warns():
    from quotebot.ui.app import bind_warning, url

    assert bind_warning("127.0.0.1", None) is None
    assert bind_warning("0.0.0.0", ("u", "p")) is None
    assert "--auth" in bind_warning("0.0.0.0", None)
    assert url("0.0.0.0", 7860) == "http://127.0.0.1:7860"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_full_queue_refuses_with_busy_instead_of_waiting(ui, fake_bot, monkeypatch):
    import httpx
    from quotebot.ui import app

    monkeypatch.setattr(app, "CHAT_CONCURRENCY", 1)
    monkeypatch.setattr(app, "QUEUE_MAX_SIZE", 1)
    fake_bot.delay = 1.0
    port = _free_port()
    demo = ui.launch("127.0.0.1", port, block=False)
    try:
        config = httpx.get(f"http://127.0.0.1:{port}/config").json()
        fn = next(d["id"] for d in config["dependencies"] if d["api_name"] == "respond")
        codes = []
        for n in range(3):
            body = {
                "data": ["How long did the meeting last?", [], 3, "none"],
                "fn_index": fn,
                "session_hash": f"s{n}",
                "trigger_id": None,
            }
            codes.append(httpx.post(f"http://127.0.0.1:{port}/gradio_api/queue/join", json=body))
            time.sleep(0.3)
        assert [r.status_code for r in codes] == [200, 200, 503]
        assert "Queue is full" in codes[2].json()["detail"]
    finally:
        demo.close()


def test_ui_command_warns_on_an_open_bind_and_explains_a_taken_port(
    fake_settings, monkeypatch, capsys
):
    monkeypatch.setattr("quotebot.bot.bot.Bot", FakeBot)
    monkeypatch.setenv("QUOTEBOT_EMBEDDERS", "fake")
    monkeypatch.setenv("QUOTEBOT_CACHE_DIR", str(fake_settings.cache_dir))
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["ui", "--host", "0.0.0.0", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert "warning: serving on 0.0.0.0 without --auth" in err
    assert f"cannot serve on 0.0.0.0:{port}" in err and "pick another --port" in err


def test_ui_command_rejects_a_malformed_auth(capsys):
    assert main(["ui", "--auth", "nopassword"]) == 2
    assert "expected USER:PASS" in capsys.readouterr().err


def test_ui_command_says_how_to_install_gradio_when_it_is_missing(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "gradio", None)  # makes `import gradio` fail
    monkeypatch.delitem(sys.modules, "quotebot.ui.app", raising=False)
    assert main(["ui"]) == 2
    assert "needs gradio" in capsys.readouterr().err


def test_importing_bot_index_and_render_does_not_import_gradio():
    code = (
        "import quotebot.bot, quotebot.cli, quotebot.index, quotebot.ui, quotebot.ui.render, sys; "
        "print('gradio' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
