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
    SourceViewer,
    anchor_id,
    answer_markdown,
    answer_text,
    error_markdown,
    escape_markdown,
    question_markdown,
)

from quotebot.cli import main
from quotebot.settings import Settings

QUOTES = Settings.max_quotes  # the default: the page's own Bot answers
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

    def stream(self, question: str, history=(), doc: str | None = None):
        self.calls.append((question, list(history)))
        text = clean(question, self.settings.max_question_chars)
        time.sleep(self.delay)
        phrases = ANSWERS.get(text, [])[: self.settings.max_quotes]
        citations = [cite(self.index, phrase) for phrase in phrases]
        if not citations:
            yield StreamEvent("final", Answer(text, "The statement does not say.", abstained=True))
            return
        answer = Answer(text, "Yury Ushakov said:", citations, query=text)
        if self.settings.llm != "none":  # as the Bot: the quotes first, while an LLM writes
            yield StreamEvent("quote", answer)
        yield StreamEvent("final", answer)

    def answer(self, question: str, history=(), doc=None) -> Answer:
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


def test_source_viewer_shows_the_cited_neighbourhood_with_speakers_and_the_quote(fake_bot):
    index = fake_bot.index
    answer = fake_bot.answer("How long did the meeting last?")
    html = SourceViewer(index, context=1).html(answer.citations)
    five = answer.citations[0]
    marked = f'<p class="qb-passage qb-cited" id="{anchor_id(five.passage_id)}"'
    assert marked in html
    assert f'<mark class="qb-quote">{five.quote}</mark><sup class="qb-n">[1]</sup>' in html
    assert html.count("qb-cited") == len({c.passage_id for c in answer.citations})
    rows = {index.by_id[c.passage_id] for c in answer.citations}
    near = {r + d for r in rows for d in (-1, 0, 1)}
    shown = {i for i, p in enumerate(index.passages) if f'id="{anchor_id(p.id)}"' in html}
    assert shown == near & set(range(len(index.passages)))
    assert "passages left out" in html
    assert "qb-cited" not in SourceViewer(index).html()


def test_the_viewer_for_a_large_corpus_stays_small(large_settings):
    """200 documents: an answer's viewer holds only the cited document's neighbourhood."""
    settings = large_settings
    index = ensure_index(settings)
    assert len(index.passages) > 5_000
    cited = _whole(index, index.passages[len(index.passages) // 2].id)
    html = SourceViewer(index).html([cited])
    assert len(html.encode()) < 20_000 and "qb-cited" in html
    assert html.count('class="qb-doc"') == 1


def test_source_viewer_escapes_the_statement(hostile_index):
    answer_passage = hostile_index.passages[0]
    html = SourceViewer(hostile_index).html([_whole(hostile_index, answer_passage.id)])
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt;" in html
    assert "five hours &amp; more" in html


def _whole(index: CorpusIndex, passage_id: str) -> Citation:
    p = index.passage(passage_id)
    return Citation(p.id, p.doc, p.speaker, p.role, p.start, p.end, p.text)


def test_an_answer_copies_as_plain_text_with_its_citations_written_out(fake_bot):
    answer = fake_bot.answer("How long did the meeting last?")
    text = answer_text(answer)
    five = answer.citations[0]
    line = (
        f"\u201c{five.quote}\u201d \u2014 Yury Ushakov "
        f"[{five.doc}, characters {five.start}\u2013{five.end}]"
    )
    assert line in text.splitlines() and "\\" not in text and "**" not in text
    assert text.startswith("Yury Ushakov said:")


# ---------------------------------------------------------------- chat handlers


def _final(steps):
    """Return (chat, viewer, exchanges, saved) as they stand after all of `steps`."""
    chat = viewer = state = kept = None
    for _, c, v, e, k, *_ in steps:
        chat = c if not _skipped(c) else chat
        viewer = v if not _skipped(v) else viewer
        state = e if not _skipped(e) else state
        kept = k if not _skipped(k) else kept
    return chat, viewer, state, kept


def _skipped(value) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def test_a_quotes_only_answer_is_one_snapshot_that_highlights_the_source(ui):
    # one event: the quotes are found together, in milliseconds, and sent whole
    # (Ask and Stop are not among its outputs: the browser shows Ask when it takes a question)
    (box, chat, viewer, state, kept) = ui.respond(
        "How long did the meeting last?", [], QUOTES, "none"
    )
    assert _skipped(box)  # a question typed meanwhile stays
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert "five hours" in chat[1]["content"] and "very useful" in chat[1]["content"]
    assert "qb-cited" in viewer and state[-1].answer.citations
    assert kept[0]["question"] == "How long did the meeting last?"


def _with_llm(ui) -> None:
    ui.modes = ["none", "local"]  # as if started with --llm local


def test_with_an_llm_the_quotes_come_first_and_the_viewer_is_sent_once(ui):
    _with_llm(ui)
    steps = list(ui.respond_llm("How long did the meeting last?", [], QUOTES, "local"))
    assert len(steps) == 2  # the quotes, then the answer to keep (with the saved conversation)
    assert "five hours" in steps[0][1][1]["content"] and _skipped(steps[0][4])
    sent = [v for _, _, v, *_ in steps if not _skipped(v)]
    assert len(sent) == 1 and "qb-cited" in sent[0]  # the citations did not change
    assert steps[-1][4][0]["question"] == "How long did the meeting last?"


def test_ask_becomes_stop_while_the_answer_streams(ui):
    _with_llm(ui)
    steps = list(ui.respond_llm("How long did the meeting last?", [], QUOTES, "local"))
    ask, stop = steps[0][5:]
    assert ask["visible"] is False and stop["visible"] is True
    ask, stop = steps[-1][5:]
    assert ask["visible"] is True and stop["visible"] is False
    ask, stop = ui.stopped()
    assert ask["visible"] is True and stop["visible"] is False


def test_follow_ups_pass_the_conversation_with_cited_passages(ui, fake_bot):
    _, _, state, _ = _final([ui.respond("How long did the meeting last?", [], QUOTES, "none")])
    chat, _, state, _ = _final(
        [ui.respond("And who took part in the meeting?", state, QUOTES, "none")]
    )
    question, history = fake_bot.calls[-1]
    assert history == [Turn.of(state[0].answer)]
    assert history[0].passage_ids == tuple(c.passage_id for c in state[0].answer.citations)
    assert len(chat) == 4 and "Jared Kushner" in chat[3]["content"]


def test_the_quotes_setting_limits_quotes_with_a_bot_sharing_the_index(ui, fake_bot):
    _, _, state, _ = _final([ui.respond("How long did the meeting last?", [], 1, "none")])
    assert len(state[-1].answer.citations) == 1
    shared = ui.bot_for(1, "none")
    assert shared is not fake_bot and shared.index is fake_bot.index
    assert ui.bot_for(1, "none") is shared and ui.bot_for(QUOTES, "none") is fake_bot


@pytest.mark.parametrize(
    ("quotes", "mode"), [(3, "local"), (3, "openai"), (0, "none"), (9, "none")]
)
def test_only_the_modes_and_quotes_the_server_offers_are_accepted(ui, quotes, mode):
    assert ui.modes == ["none"]  # started without --llm
    (box, chat, _, state, *_) = ui.respond("How long?", [], quotes, mode)
    assert state[-1].answer is None and box == "How long?"
    assert ("not offered" if mode != "none" else "from 1 to 5") in chat[-1]["content"]


def test_an_llm_mode_is_offered_only_when_the_server_was_started_with_it(fake_settings):
    from dataclasses import replace

    from quotebot.ui.app import offered_modes

    assert offered_modes(fake_settings) == ["none"]
    llm = pytest.importorskip("quotebot.bot.llm")
    local = replace(fake_settings, llm="local")
    expected = ["none", "local"] if "local" in llm.available_modes(local) else ["none"]
    assert offered_modes(local) == expected


@pytest.mark.parametrize(
    ("question", "message"),
    [("   ", "The question is empty"), ("x" * 2001, "the limit is 2,000")],
)
def test_bad_questions_get_a_message_and_keep_the_box(ui, question, message):
    (box, chat, viewer, state, kept) = ui.respond(question, [], QUOTES, "none")
    assert box == question
    assert message in chat[-1]["content"].replace("\\", "") and state[-1].answer is None
    assert _skipped(viewer) and _skipped(kept)


def test_clicking_an_answer_highlights_its_citations(ui):
    import gradio as gr

    _, _, state, _ = _final([ui.respond("How long did the meeting last?", [], QUOTES, "none")])
    _, _, state, _ = _final(
        [ui.respond("And who took part in the meeting?", state, QUOTES, "none")]
    )
    for message, exchange in ((1, state[0]), (2, state[1]), (3, state[1])):
        html = ui.show_exchange(state, gr.SelectData(None, {"index": message, "value": None}))
        assert _cited_ids(html) == sorted(
            {anchor_id(c.passage_id) for c in exchange.answer.citations}
        )


def _cited_ids(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('qb-cited" id="')[1:]]


def test_new_conversation_clears_everything(ui):
    box, chat, viewer, state, kept = ui.new_conversation()
    assert (box, chat, state, kept) == ("", [], [], []) and "qb-cited" not in viewer


def test_examples_are_standalone_questions_from_the_statement(fake_bot):
    from quotebot.ui.app import example_questions

    examples = example_questions(fake_bot.index)
    source = normalise(fake_bot.index.source("statement"))
    assert 3 <= len(examples) <= 6
    assert all(q.endswith("?") and q in source for q in examples)
    assert "In what context was it discussed?" not in examples  # a follow-up


# ---------------------------------------------------------------- saved conversations, export


def test_a_saved_conversation_comes_back_with_its_quotes_checked_again(ui):
    from quotebot.ui.app import SKIP

    _, _, state, kept = _final([ui.respond("How long did the meeting last?", [], QUOTES, "none")])
    chat, exchanges = ui.restore(json.loads(json.dumps(kept)))
    assert [e.answer.citations for e in exchanges] == [state[0].answer.citations]
    assert chat[1]["content"] == state[0].reply

    tampered = json.loads(json.dumps(kept))
    tampered[0]["citations"][0]["quote"] = "The talks lasted five minutes."
    tampered[0]["citations"][1]["role"] = "question"  # an official's words as a question
    _, exchanges = ui.restore(tampered)
    assert exchanges[0].answer.citations == [] and exchanges[0].answer.abstained
    # nothing saved (or nothing usable) changes nothing: a question asked before the page's
    # load event came back keeps its answer
    for junk in ([], None, "x", [1, {"question": 2}], [{"question": "q", "text": "t"}]):
        assert ui.restore(junk) == (SKIP, SKIP)


def test_the_conversation_downloads_as_markdown_and_json(ui):
    from quotebot.ui.transcript import transcript_json, transcript_markdown

    _, _, state, _ = _final([ui.respond("How long did the meeting last?", [], QUOTES, "none")])
    _, _, state, _ = _final([ui.respond("   ", state, QUOTES, "none")])
    five = state[0].answer.citations[0]
    markdown = transcript_markdown(state)
    assert "## How long did the meeting last?" in markdown
    label = (
        f"\u2014 **Yury Ushakov**, \\[1\\] document `{five.doc}`, passage `{five.passage_id}`, "
        f"characters {five.start}\u2013{five.end}"
    )
    assert label in markdown and five.quote[:20] in markdown
    data = json.loads(transcript_json(state))["conversation"]
    assert data[0]["answer"]["citations"][0]["start"] == five.start
    assert data[1]["answer"] is None and "empty" in data[1]["error"]
    files = ui.export(state)
    assert [Path(f).name for f in files] == ["conversation.md", "conversation.json"]
    assert Path(files[0]).read_text(encoding="utf-8") == markdown
    assert ui.export([]) is None


# ---------------------------------------------------------------- evaluation tab


class _Request:
    def __init__(self, session: str = "s1"):
        self.session_hash = session


def test_the_evaluation_tab_runs_the_shipped_set(fake_settings, ui):
    from quotebot.ui.app import SHIPPED, SHIPPED_SET
    from quotebot.ui.evaluation import RESULT_COLUMNS, only_failures

    status, metrics, results, plot, files, rows = ui.run_evaluation(
        SHIPPED, None, "dev", _Request()
    )
    dev = [json.loads(line) for line in SHIPPED_SET.read_text("utf-8").splitlines()]
    dev = [q for q in dev if q.get("split") == "dev"]
    assert len(results) == len(dev) == len(rows) and f"{len(dev)} questions" in status
    assert {"f1", "exact_match", "citation_recall", "mrr"} <= {m for m, _ in metrics}
    assert plot.count("<svg") == 2
    assert [Path(f).name for f in files] == ["results.jsonl", "summary.json", "report.html"]
    failed = only_failures(rows, True)
    column = RESULT_COLUMNS.index("failure")
    assert all(r[column] == "failure" for r in failed) and len(failed) < len(rows)


def test_a_malformed_upload_is_named_by_its_own_name(ui, tmp_path):
    from quotebot.ui.app import UPLOADED

    folder = tmp_path / "gradio-upload-9f8e7d"
    folder.mkdir()
    bad = folder / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q", "answerable": true}\nnot json\n', "utf-8")
    status, metrics, *_ = ui.run_evaluation(UPLOADED, str(bad), "all", _Request())
    shown = status.replace("\\", "")
    assert "bad.jsonl:1: missing field" in shown and metrics == []
    assert str(folder) not in shown and "9f8e7d" not in shown
    first = ui.run_evaluation(UPLOADED, None, "all", _Request())[0]
    assert "Upload a JSONL question set first" in first


def _question_set(path: Path, items: list[dict]) -> Path:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return path


FACTOID = {
    "id": "f1",
    "question": "How long did the meeting last?",
    "answerable": True,
    "answers": ["five hours"],
    "quotes": [
        "It was an extremely useful, constructive and substantive conversation, which did not "
        "last five minutes but five hours."
    ],
}


def test_rows_without_a_split_are_not_shown_as_test(ui, tmp_path):
    from quotebot.ui.app import UPLOADED
    from quotebot.ui.evaluation import RESULT_COLUMNS

    path = _question_set(
        tmp_path / "mixed.jsonl", [FACTOID, {**FACTOID, "id": "f2", "split": "test"}]
    )
    _, _, results, *_ = ui.run_evaluation(UPLOADED, str(path), "all", _Request())
    column = RESULT_COLUMNS.index("split")
    assert {r[0]: r[column] for r in results} == {"f1": "", "f2": "test"}


def test_an_upload_over_the_limits_is_refused(fake_bot, tmp_path):
    from quotebot.ui.app import UPLOADED, QuotebotUI
    from quotebot.ui.evaluation import Limits

    ui = QuotebotUI(fake_bot, Limits(max_bytes=2_000, max_questions=3))
    many = _question_set(tmp_path / "many.jsonl", [{**FACTOID, "id": f"q{n}"} for n in range(4)])
    status = ui.run_evaluation(UPLOADED, str(many), "all", _Request())[0].replace("\\", "")
    assert "many.jsonl has 4 questions; the limit is 3" in status
    big = _question_set(tmp_path / "big.jsonl", [{**FACTOID, "id": "x" * 3_000}])
    status = ui.run_evaluation(UPLOADED, str(big), "all", _Request())[0].replace("\\", "")
    assert "big.jsonl is 3," in status and "the limit for a question set is 2,000" in status


def test_an_evaluation_stops_when_asked_and_one_runs_per_session(ui, fake_bot, tmp_path):
    import threading

    from quotebot.ui.app import UPLOADED

    path = _question_set(tmp_path / "set.jsonl", [{**FACTOID, "id": f"q{n}"} for n in range(5)])
    started, release = threading.Event(), threading.Event()
    answer = fake_bot.answer

    def slow(question, history=(), doc=None):
        started.set()
        release.wait(10)
        return answer(question, history, doc)

    fake_bot.answer = slow
    out = {}
    worker = threading.Thread(
        target=lambda: out.update(r=ui.run_evaluation(UPLOADED, str(path), "all", _Request()))
    )
    worker.start()
    assert started.wait(10)
    second = ui.run_evaluation(UPLOADED, str(path), "all", _Request())[0]
    assert "already running" in second
    ui.stop_evaluation(_Request())
    release.set()
    worker.join(10)
    assert "stopped" in out["r"][0] and len(fake_bot.calls) == 1  # no question after Stop
    fake_bot.answer = answer
    assert "questions" in ui.run_evaluation(UPLOADED, str(path), "all", _Request())[0]


def test_an_evaluation_leaves_no_temporary_folder(ui, tmp_path, monkeypatch):
    import tempfile

    from quotebot.ui.app import UPLOADED

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    path = _question_set(tmp_path / "set.jsonl", [FACTOID])
    status, *_, files, _ = ui.run_evaluation(UPLOADED, str(path), "all", _Request())
    assert "1 questions" in status and all(Path(f).exists() for f in files)
    assert list((tmp_path / "tmp").glob("quotebot-*")) == []  # the downloads are Gradio's


# ---------------------------------------------------------------- serving and the command


def test_binding_beyond_loopback_without_auth_warns():
    from quotebot.ui.server import bind_warning, url

    assert bind_warning("127.0.0.1", None) is None
    assert bind_warning("0.0.0.0", ("u", "p")) is None
    assert "--auth" in bind_warning("0.0.0.0", None)
    assert url("0.0.0.0", 7860) == "http://127.0.0.1:7860"


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


def test_a_session_keeps_its_conversation_but_no_copy_of_the_page(ui):
    import gradio as gr
    from quotebot.ui.sessions import LeanSessionState

    demo = ui.build()
    session = LeanSessionState(demo)
    state = next(k for k, b in demo.blocks.items() if isinstance(b, gr.State))
    html = next(k for k, b in demo.blocks.items() if isinstance(b, gr.HTML))
    session[state] = ["the conversation"]
    session[html] = demo.blocks[html]
    session._update_value_in_config(html, "<p>" + "x" * 100_000 + "</p>")
    session._update_config(html)
    assert session[state] == ["the conversation"]  # what events read back is kept
    assert session.config_values == {}  # Gradio's copy, read only for deep links, is not
