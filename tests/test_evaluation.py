"""The eval runner, summary, report, baselines and the `quotebot eval` command.

Pure logic runs against fake answerers (an oracle that quotes the gold, and a sloppy one that
quotes everything); the real Bot and the real MiniLM run only in integration tests.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from quotebot.bot.records import Answer, Citation
from quotebot.evaluation import runner as evaluation
from quotebot.evaluation.baselines import BM25Baseline, LangChainStock, split_chunks
from quotebot.evaluation.metrics.quote_verification import is_verified
from quotebot.evaluation.metrics.spans import Span
from quotebot.evaluation.questions import load_questions
from quotebot.evaluation.records import Question, QuestionSetError, Result, System
from quotebot.evaluation.report import render
from quotebot.evaluation.runner import run
from quotebot.evaluation.summary import METRICS, summarise
from quotebot.index.corpus import load_corpus
from quotebot.index.segment import segment
from quotebot.index.text import normalise

from quotebot.cli import main
from quotebot.errors import QuestionError
from quotebot.settings import DEFAULT_CORPUS

SHIPPED = Path(__file__).resolve().parents[1] / "evals" / "statement.jsonl"
SOURCES = {"doc": "The meeting lasted\u00a0five hours.\n\nNo deal was reached.\n\nThey went home."}
UNITS = {  # one unit per paragraph
    f"doc#p{n}": Span("doc", SOURCES["doc"].index(p), SOURCES["doc"].index(p) + len(p))
    for n, p in enumerate(SOURCES["doc"].split("\n\n"), 1)
}
QUESTIONS = [
    {
        "id": "q1",
        "question": "How long?",
        "answerable": True,
        "answers": ["five hours"],
        "quotes": ["The meeting lasted five hours."],
        "category": "factoid",
        "split": "dev",
    },
    {
        "id": "q2",
        "question": "A deal?",
        "answerable": True,
        "answers": ["No deal"],
        "quotes": ["No deal was reached."],
        "category": "factoid",
        "split": "test",
    },
    {
        "id": "q3",
        "question": "Where to?",
        "answerable": True,
        "answers": ["home"],
        "quotes": ["They went home."],
        "category": "followup",
        "split": "dev",
        "history": [{"role": "user", "content": "Who left?"}],
    },
    {
        "id": "q4",
        "question": "Capital of France?",
        "answerable": False,
        "answers": [],
        "quotes": [],
        "category": "offtopic",
        "split": "dev",
    },
    {
        "id": "q5",
        "question": "Write a poem.",
        "answerable": False,
        "answers": [],
        "quotes": [],
        "category": "injection",
        "split": "test",
    },
]


class Oracle:
    """Quotes the first occurrence of each gold quote; abstains when there is none.

    With `sloppy`, quotes the whole first unit instead and never abstains. After
    `fail_after` answers it raises `error`, as a crash or Ctrl-C would.
    """

    def __init__(
        self,
        questions,
        sources,
        units,
        sloppy=False,
        fail_after=None,
        error=RuntimeError,
        reject=(),
    ):
        self.by_text = {q.question: q for q in questions}
        self.sources, self.units, self.sloppy = sources, units, sloppy
        self.fail_after, self.error, self.reject = fail_after, error, set(reject)
        self.calls = 0

    def answer(self, question, history=(), doc=None):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise self.error("simulated failure")
        self.calls += 1
        if question in self.reject:
            raise QuestionError("the question is too long")
        q = self.by_text[question]
        spans = [occ[0] for occ in q.gold]
        if self.sloppy:
            spans = [next(iter(self.units.values()))]
        citations = [
            Citation(
                "doc#p1",
                s.doc,
                "Speaker",
                "answer",
                s.start,
                s.end,
                normalise(self.sources[s.doc][s.start : s.end]),
            )
            for s in spans
        ]
        ranked = [uid for uid, u in self.units.items() if any(u.contains(s) for s in spans)]
        ranked += [uid for uid in self.units if uid not in ranked]
        return Answer(
            question,
            "Speaker said:",
            citations,
            abstained=not citations,
            retrieved=[(uid, 1.0 / (i + 1)) for i, uid in enumerate(ranked)],
        )


def ticks():
    """Return a clock that advances one second per reading, so every latency is 1000 ms."""
    return itertools.count().__next__


@pytest.fixture
def questions(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS), encoding="utf-8")
    return load_questions(path, SOURCES)


def systems(questions, **second):
    return [
        System("oracle", Oracle(questions, SOURCES, UNITS), UNITS),
        System("sloppy", Oracle(questions, SOURCES, UNITS, sloppy=True, **second), UNITS),
    ]


def run_quietly(questions, systems_, out, **kw):
    return run(questions, systems_, out, sources=SOURCES, progress=False, clock=ticks(), **kw)


def read_results(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text("utf-8").splitlines()]


def read_run(out: Path) -> list[Result]:
    return [Result.from_json(r) for r in read_results(out)]


# ---------------------------------------------------------------- runner and summary


def test_results_are_written_as_each_question_finishes(questions, tmp_path):
    out = tmp_path / "out"
    seen = []

    class Watching(Oracle):
        def answer(self, question, history=(), doc=None):
            seen.append(len(read_results(out)))
            return super().answer(question, history, doc)

    run_quietly(questions, [System("w", Watching(questions, SOURCES, UNITS), UNITS)], out)
    assert seen == list(range(len(QUESTIONS)))


def test_results_hold_the_answer_contract_latency_scores_and_system(questions, tmp_path):
    results = run_quietly(questions, systems(questions), tmp_path / "out")
    lines = read_results(tmp_path / "out")
    assert lines == [r.to_json() for r in results] and len(lines) == 2 * len(QUESTIONS)
    first = lines[0]
    assert (first["system"], first["id"], first["question"]) == ("oracle", "q1", "How long?")
    assert first["answer"]["citations"][0]["quote"] == "The meeting lasted five hours."
    assert set(first["answer"]) >= {"question", "answer", "abstained", "citations", "retrieved"}
    assert first["latency_ms"] == 1000.0
    assert first["scores"]["citation_recall"] == 1.0 and first["scores"]["verified"] == 1


def test_summary_scores_the_oracle_and_the_sloppy_system(questions):
    summary = summarise(questions, run_quietly(questions, systems(questions), None))
    oracle = summary["systems"]["oracle"]["overall"]
    sloppy = summary["systems"]["sloppy"]["overall"]
    assert set(METRICS) <= set(oracle)
    assert oracle["citation_recall"] == oracle["citation_precision"] == 1.0
    assert oracle["abstention_f1"] == 1.0 and oracle["exact_match"] == pytest.approx(2 / 5)
    assert oracle["recall@1"] == oracle["mrr"] == 1.0
    assert oracle["latency_p50_ms"] == oracle["latency_p95_ms"] == 1000.0
    # sloppy quotes unit 1 for everything: right for q1 only, and never abstains
    assert sloppy["citation_recall"] == pytest.approx(1 / 3)
    assert sloppy["abstention_precision"] is None and sloppy["abstention_recall"] == 0.0
    assert sloppy["quote_verification_rate"] == 1.0
    by = summary["systems"]["oracle"]
    assert list(by["by_split"]) == ["dev", "test"] and by["by_split"]["dev"]["questions"] == 3
    assert list(by["by_category"]) == ["factoid", "followup", "offtopic", "injection"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_resume_after_an_interruption_gives_the_same_summary(questions, tmp_path, error, capsys):
    expected = summarise(questions, run_quietly(questions, systems(questions), tmp_path / "a"))
    out = tmp_path / "b"
    with pytest.raises(error):
        run_quietly(questions, systems(questions, fail_after=2, error=error), out)
    assert len(read_results(out)) == len(QUESTIONS) + 2  # flushed line by line
    assert "run again with --resume" in capsys.readouterr().err
    fresh = systems(questions)
    resumed = run_quietly(questions, fresh, out, resume=True)
    assert [s.answerer.calls for s in fresh] == [0, len(QUESTIONS) - 2]
    assert summarise(questions, resumed) == expected
    assert summarise(questions, read_run(out)) == expected


def test_resume_drops_a_half_written_line_and_a_fresh_run_starts_over(questions, tmp_path):
    out = tmp_path / "out"
    run_quietly(questions, systems(questions)[:1], out)
    with open(out / "results.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"system": "sloppy", "id": "q')
    run_quietly(questions, systems(questions), out, resume=True)
    assert len(read_results(out)) == 2 * len(QUESTIONS)
    # resuming with one system returns its results only, and keeps the other's in the file
    assert len(run_quietly(questions, systems(questions)[:1], out, resume=True)) == len(QUESTIONS)
    assert len(read_results(out)) == 2 * len(QUESTIONS)
    run_quietly(questions, systems(questions)[:1], out)
    assert len(read_results(out)) == len(QUESTIONS)


def test_a_rejected_question_is_recorded_as_an_error_and_asked_again_on_resume(questions, tmp_path):
    out = tmp_path / "out"
    failing = System("oracle", Oracle(questions, SOURCES, UNITS, reject={"A deal?"}), UNITS)
    results = run_quietly(questions, [failing], out)
    bad = next(r for r in results if r.id == "q2")
    assert bad.error == "the question is too long" and bad.answer is None
    assert summarise(questions, results)["systems"]["oracle"]["overall"]["errors"] == 1
    again = System("oracle", Oracle(questions, SOURCES, UNITS), UNITS)
    run_quietly(questions, [again], out, resume=True)
    assert again.answerer.calls == 1


def test_report_escapes_text_from_questions_and_history(questions):
    nasty = load_questions_from(questions, "<script>alert(1)</script>", "<img src=x>")
    results = run_quietly(nasty, systems(nasty)[1:], None)
    html = render(summarise(nasty, results), nasty, results)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "&lt;img src=x&gt;" in html and "<img" not in html
    assert "tuned on the dev split only" in html
    assert html.count("<svg") == 3  # two score plots, one latency histogram


def load_questions_from(questions, question: str, history: str):
    """Return `questions` with the unanswerable q4 asked as `question` after `history`."""
    from dataclasses import replace

    return [
        replace(q, question=question, history=({"role": "user", "content": history},))
        if q.id == "q4"
        else q
        for q in questions
    ]


# ---------------------------------------------------------------- the command line


@pytest.fixture
def statement():
    document = load_corpus([DEFAULT_CORPUS])[0]
    return document, {document.doc: document.text}


@pytest.fixture
def subset(tmp_path):
    """A few shipped questions: two dev, one test, one unanswerable."""
    wanted = {"factoid-01", "speaker-01", "followup-01", "offtopic-01", "russian-05"}
    lines = [x for x in SHIPPED.read_text("utf-8").splitlines() if json.loads(x)["id"] in wanted]
    path = tmp_path / "subset.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def fake_quotebot(monkeypatch, statement, subset):
    document, sources = statement
    units = {p.id: Span(p.doc, p.start, p.end) for p in segment(document)}
    questions = load_questions(subset, sources)
    oracle = Oracle(questions, sources, units)
    monkeypatch.setattr(evaluation, "quotebot_system", lambda s: System("quotebot", oracle, units))
    return oracle


def test_eval_command_writes_results_summary_and_report(fake_quotebot, subset, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["eval", str(subset), "--out", str(out)]) == 0
    table = capsys.readouterr().out
    assert "quote_verification_rate" in table and "by category" in table
    assert len(read_results(out)) == 5
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["question_set"] == str(subset)
    assert set(summary["systems"]["quotebot"]["overall"]) >= set(METRICS)
    assert set(summary["systems"]["quotebot"]["by_split"]) == {"dev", "test"}
    assert "tuned on the dev split only" in (out / "report.html").read_text("utf-8")


def test_eval_command_fails_a_metric_under_min_score(fake_quotebot, subset, tmp_path, capsys):
    args = ["eval", str(subset), "--out", str(tmp_path / "out")]
    assert main([*args, "--min-score", "quote_verification_rate=1"]) == 0
    assert main([*args, "--min-score", "f1=0.99", "--min-score", "mrr=0.5"]) == 1
    err = capsys.readouterr().err
    assert "f1 is 0." in err and "under --min-score 0.99" in err and "mrr is" not in err


def test_eval_command_runs_one_split(fake_quotebot, subset, tmp_path):
    assert main(["eval", str(subset), "--out", str(tmp_path / "out"), "--split", "test"]) == 0
    assert [r["id"] for r in read_results(tmp_path / "out")] == ["russian-05"]


def test_eval_command_reports_a_bad_question_file_in_one_line(fake_quotebot, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "q", "answerable": true}\n', encoding="utf-8")
    assert main(["eval", str(bad), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f'quotebot: error: {bad}:1: missing field "answers"'
    assert fake_quotebot.calls == 0


def test_eval_command_rejects_an_unknown_min_score_metric(subset, capsys):
    assert main(["eval", str(subset), "--min-score", "accuracy=0.5"]) == 2
    err = capsys.readouterr().err
    assert "METRIC one of exact_match" in err and err.count("\n") == 1


# ---------------------------------------------------------------- baselines


def test_stock_chunks_sit_at_their_offsets(statement):
    _, sources = statement
    chunks = split_chunks(sources)
    text = sources["statement"]
    assert len(chunks) > 5 and all(len(c.text) <= 1000 for c in chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    covered = {i for c in chunks for i in range(c.start, c.end)}
    assert all(ch.isspace() for i, ch in enumerate(text) if i not in covered)


def test_bm25_baseline_quotes_its_top_chunk_verbatim(statement):
    _, sources = statement
    answer = BM25Baseline(sources).answer("Was any compromise option found?")
    (citation,) = answer.citations
    assert "No compromise option has yet been found." in citation.quote
    assert is_verified(answer.to_json()["citations"][0], sources)
    assert not answer.abstained and len(answer.retrieved) == 8


def test_an_embedder_serves_langchain_as_its_embeddings(statement):
    from conftest import FakeEmbeddings
    from langchain_core.embeddings import Embeddings
    from quotebot.index.langchain_embeddings import LangChainEmbeddings

    fake = FakeEmbeddings()
    embeddings = LangChainEmbeddings(fake)
    assert isinstance(embeddings, Embeddings)
    texts = ["The meeting lasted five hours.", "No deal was reached."]
    assert embeddings.embed_documents(texts) == fake.embed_passages(texts).tolist()
    assert embeddings.embed_query(texts[1]) == fake.embed_queries([texts[1]])[0].tolist()
    # LangChain's own FAISS store, built through it, ranks the chunks by the embedder's cosines
    _, sources = statement
    stock = LangChainStock(sources, embedder=fake)
    question = "How long did the meeting last?"
    answer = stock.answer(question)
    chunks = fake.embed_passages([c.text for c in stock.chunks])
    cosines = chunks @ fake.embed_queries([question])[0]
    best = sorted(range(len(cosines)), key=lambda i: -cosines[i])[:8]
    assert [chunk for chunk, _ in answer.retrieved] == [stock.chunks[i].id for i in best]
    assert [score for _, score in answer.retrieved] == pytest.approx(cosines[best], abs=1e-5)
    assert is_verified(answer.to_json()["citations"][0], sources)


@pytest.mark.integration
def test_langchain_stock_answer_quote_verifies_against_the_source(statement):
    _, sources = statement
    answer = LangChainStock(sources).answer("How long did the meeting last?")
    (citation,) = answer.citations
    assert is_verified(answer.to_json()["citations"][0], sources)
    assert citation.quote == normalise(sources["statement"][citation.start : citation.end])
    assert answer.retrieved[0][0] == citation.passage_id and len(answer.retrieved) == 8


@pytest.mark.integration
def test_eval_command_runs_the_real_bot_and_baselines_end_to_end(real_settings, subset, tmp_path):
    out = tmp_path / "out"
    assert main(["eval", str(subset), "--out", str(out), "--compare"]) == 0
    results = read_results(out)
    assert len(results) == 15
    assert {r["system"] for r in results} == {"quotebot", "langchain-stock", "bm25"}
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert list(summary["systems"]) == ["quotebot", "langchain-stock", "bm25"]
    for name, s in summary["systems"].items():
        assert set(s["overall"]) >= set(METRICS), name
        assert s["overall"]["quote_verification_rate"] == 1.0, name
    first = next(r for r in results if r["system"] == "quotebot" and r["id"] == "factoid-01")
    assert first["scores"]["citation_recall"] == 1.0
    report = (out / "report.html").read_text("utf-8")
    assert "Side by side: quotebot vs langchain-stock vs bm25" in report


# ---------------------------------------------------------------- structure


def test_the_evaluation_modules_import_each_other_without_a_cycle():
    """Every import between evaluation's modules, at the top or inside a function, follows one
    direction (records <- questions, summary <- report, runner; baselines <- records)."""
    import ast

    folder = Path(__file__).resolve().parents[1] / "evaluation"
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    graph = {}
    for name in modules:
        tree = ast.parse((folder / f"{name}.py").read_text("utf-8"))
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level == 1:
                    targets.add(module.split(".")[0])
                elif module.startswith("quotebot.evaluation."):
                    targets.add(module.split(".")[2])
        graph[name] = targets & modules
    seen, done = set(), set()

    def visit(name, path):
        assert name not in seen or name in done, f"import cycle: {' -> '.join(path)}"
        if name in done:
            return
        seen.add(name)
        for target in graph[name]:
            visit(target, [*path, target])
        done.add(name)

    for name in sorted(modules):
        visit(name, [name])
    assert graph["records"] <= {"metrics"} and "runner" not in graph["baselines"]


def test_questions_without_a_split_are_reported_as_unsplit(tmp_path):
    path = tmp_path / "set.jsonl"
    rows = [
        {k: v for k, v in q.items() if k != "split"} if q["id"] == "q2" else q for q in QUESTIONS
    ]
    path.write_text("".join(json.dumps(q) + "\n" for q in rows), encoding="utf-8")
    questions = load_questions(path, SOURCES)
    assert [q.split for q in questions] == ["dev", "unsplit", "dev", "dev", "test"]
    results = run_quietly(questions, systems(questions)[:1], None)
    summary = summarise(questions, results)
    assert list(summary["systems"]["oracle"]["by_split"]) == ["dev", "test", "unsplit"]
    assert summary["systems"]["oracle"]["by_split"]["test"]["questions"] == 1
    assert "oracle unsplit" in render(summary, questions, results)


def test_a_question_about_one_document_finds_its_gold_there_only(tmp_path):
    sources = {**SOURCES, "other": "They went home."}
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({**QUESTIONS[2], "doc": "other"}) + "\n", encoding="utf-8")
    (q,) = load_questions(path, sources)
    assert q.doc == "other" and [s.doc for s in q.gold[0]] == ["other"]
    path.write_text(json.dumps({**QUESTIONS[0], "doc": "other"}) + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match='not found verbatim in document "other"'):
        load_questions(path, sources)
    path.write_text(json.dumps({**QUESTIONS[0], "doc": "nope"}) + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match=r'set.jsonl:1: field "doc": no document "nope"'):
        load_questions(path, sources)


def test_a_question_about_one_document_is_asked_of_that_document_alone():
    """The runner passes each question's `doc` to the answerer; the baselines rank only that
    document's chunks."""
    from quotebot.evaluation.baselines import BM25Baseline

    sources = {
        "a": "The meeting lasted five hours. Nothing else was said.",
        "b": "The meeting lasted two days. The talks were long.",
    }
    bm25 = BM25Baseline(sources).warm_up()
    for doc in ("a", "b"):
        answer = bm25.answer("How long did the meeting last?", (), doc)
        assert {c.doc for c in answer.citations} == {doc}
        assert all(pid.startswith(f"{doc}#") for pid, _ in answer.retrieved)
    asked = []

    class Recording:
        def answer(self, question, history=(), doc=None):
            asked.append(doc)
            return bm25.answer(question, history, doc)

    questions = [
        Question("q1", "How long did the meeting last?", True, ("two days",), (), doc="b"),
    ]
    run(questions, [System("r", Recording(), bm25.units)], sources=sources, progress=False)
    assert asked == ["b"]
