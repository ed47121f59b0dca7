"""The command line: every option and every QUOTEBOT_* variable with a bad value is one line on
stderr and exit 2; bounded JSON; no terminal control codes; the JSON contract and its schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path

import click
import jsonschema
import pytest
from quotebot.bot.records import Answer, Citation, GeneratedAnswer
from quotebot.evaluation.records import Result

from quotebot import jsonio
from quotebot.cli import cli, main
from quotebot.contract import SCHEMA_PATH, answer_json, readable
from quotebot.settings import Settings, env_var

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
RESULT_SCHEMA = {**SCHEMA, "$ref": "#/$defs/result"}
MISSING = "/no/such/path.txt"
A_FILE = str(ROOT / "README.md")
# an index folder no run of the walk gets to (each stops at its bad value before loading)
FAST = ["--index-dir", str(Path(tempfile.gettempdir()) / "quotebot-walk-index")]

# (command, option) -> a bad value; the walk fails if an option of the CLI is not listed
BAD_OPTIONS = {
    ("index", "corpus"): MISSING,
    ("index", "index_dir"): A_FILE,
    ("index", "embedder"): "minilm,nope",
    ("index", "threads"): "65",
    ("passages", "corpus"): MISSING,
    ("passages", "index_dir"): A_FILE,
    ("passages", "embedder"): "nope",
    ("ask", "question"): "   ",
    ("ask", "history"): MISSING,
    ("ask", "corpus"): MISSING,
    ("ask", "index_dir"): A_FILE,
    ("ask", "embedder"): "",
    ("ask", "quotes"): "0",
    ("ask", "top_k"): "-5",
    ("ask", "llm"): "gpt9",
    ("ask", "reader"): "llama",
    ("ask", "base_url"): "ftp://example",
    ("ask", "model"): "  ",
    ("ask", "llm_timeout"): "0",
    ("chat", "corpus"): MISSING,
    ("chat", "index_dir"): A_FILE,
    ("chat", "embedder"): "e5,e5",
    ("chat", "quotes"): "11",
    ("chat", "top_k"): "abc",
    ("chat", "llm"): "",
    ("chat", "reader"): "",
    ("chat", "base_url"): "localhost:8080",
    ("chat", "model"): " ",
    ("chat", "llm_timeout"): "abc",
    ("ui", "host"): "no such host",
    ("ui", "port"): "70000",
    ("ui", "auth"): "nopassword",
    ("ui", "corpus"): MISSING,
    ("ui", "index_dir"): A_FILE,
    ("ui", "embedder"): "x",
    ("ui", "quotes"): "-1",
    ("ui", "top_k"): "101",
    ("ui", "llm"): "openai2",
    ("ui", "reader"): "yes",
    ("ui", "base_url"): "x",
    ("ui", "model"): "\t",
    ("ui", "llm_timeout"): "3601",
    ("add", "files"): MISSING,
    ("add", "corpus"): MISSING,
    ("add", "index_dir"): A_FILE,
    ("add", "embedder"): "minilm,,nope",
    ("docs", "remove"): "  ",
    ("docs", "corpus"): MISSING,
    ("docs", "index_dir"): A_FILE,
    ("docs", "embedder"): "nope",
    ("eval", "file"): MISSING,
    ("eval", "out"): A_FILE,
    ("eval", "min_score"): "f1=2",
    ("eval", "split"): "train",
    ("eval", "corpus"): MISSING,
    ("eval", "index_dir"): A_FILE,
    ("eval", "embedder"): "nope",
    ("eval", "quotes"): "1.5",
    ("eval", "top_k"): "0",
    ("eval", "llm"): "NONE",
    ("eval", "reader"): "on",
    ("eval", "base_url"): "file:///x",
    ("eval", "model"): "  ",
    ("eval", "llm_timeout"): "-1",
}
# a valid run of each command, to which one bad value is added
BASE = {
    "index": ["index", *FAST],
    "passages": ["passages"],
    "ask": ["ask", "How long?", *FAST],
    "chat": ["chat", *FAST],
    "ui": ["ui", *FAST],
    "add": ["add", A_FILE, *FAST],
    "docs": ["docs", *FAST],
    "eval": ["eval", str(ROOT / "evals" / "statement.jsonl"), *FAST],
}
# variable -> a bad value; the walk fails if a Settings field has no variable here
BAD_VARIABLES = {
    "QUOTEBOT_CORPUS": MISSING,
    "QUOTEBOT_CACHE_DIR": A_FILE,
    "QUOTEBOT_INDEX_DIR": A_FILE,
    "QUOTEBOT_EMBEDDERS": "minilm,bert",
    "QUOTEBOT_THREADS": "0",
    "QUOTEBOT_QUERY_THREADS": "many",
    "QUOTEBOT_MAX_PASSAGE_SENTENCES": "0",
    "QUOTEBOT_MAX_PASSAGE_CHARS": "10",
    "QUOTEBOT_TOP_K": "abc",
    "QUOTEBOT_CANDIDATES": "-3",
    "QUOTEBOT_MAX_QUOTES": "1" + "0" * 5000,
    "QUOTEBOT_MAX_QUESTION_CHARS": "0",
    "QUOTEBOT_SCORING": MISSING,
    "QUOTEBOT_VECTOR_STORE": "milvus",
    "QUOTEBOT_QDRANT_URL": "localhost:6333",
    "QUOTEBOT_LLM": "gpt9",
    "QUOTEBOT_READER": "true",
    "QUOTEBOT_LLM_BASE_URL": "localhost:1234",
    "QUOTEBOT_LLM_MODEL": "   ",
    "QUOTEBOT_LLM_API_KEY": " ",
    "QUOTEBOT_LLM_TIMEOUT_S": "0",
    "OPENAI_API_KEY": "  ",
}


def command_options() -> set[tuple[str, str]]:
    """Return every (command, parameter) of the CLI that takes a value."""
    return {
        (name, p.name)
        for name, command in cli.commands.items()
        for p in command.params
        if not (isinstance(p, click.Option) and (p.is_flag or p.name == "help"))
    }


def cli_subprocess(args: list[str], env: dict[str, str] | None = None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QUOTEBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "quotebot.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**clean, "HF_HUB_OFFLINE": "1", **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def assert_one_line_exit_2(result, what: str) -> None:
    assert result.returncode == 2, (what, result.returncode, result.stderr[-500:])
    err = result.stderr
    assert "Traceback" not in err, (what, err[-500:])
    assert err.endswith("\n") and err.count("\n") == 1, (what, err)
    assert err.startswith("quotebot: error: "), (what, err)


def test_the_walk_lists_every_option_and_every_variable():
    assert set(BAD_OPTIONS) == command_options()
    variables = {env_var(f.name) for f in fields(Settings)} | {"OPENAI_API_KEY"}
    assert set(BAD_VARIABLES) == variables


def _bad_option_run(key: tuple[str, str]):
    command, name = key
    param = next(p for p in cli.commands[command].params if p.name == name)
    value = BAD_OPTIONS[key]
    if isinstance(param, click.Argument):  # in place of the base run's own argument
        args = [command, value, *FAST] if command in ("ask", "eval") else [*BASE[command], value]
    else:
        args = [*BASE[command], param.opts[0], value]
    return key, args, cli_subprocess(args)


def test_every_option_with_a_bad_value_is_one_line_and_exit_2():
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(_bad_option_run, sorted(BAD_OPTIONS)))
    for key, args, result in runs:
        assert_one_line_exit_2(result, args)
        command, name = key
        param = next(p for p in cli.commands[command].params if p.name == name)
        if name != "question":  # the question is checked by the bot, after the flags
            label = param.opts[0] if isinstance(param, click.Option) else param.make_metavar(None)
            assert label in result.stderr, (key, result.stderr)
        value = BAD_OPTIONS[key]
        if value.strip() and name != "auth":  # a login is never echoed
            assert value[:20] in result.stderr, (key, result.stderr)
    print(f"{len(runs)} bad option values")


def _bad_variable_run(var: str):
    return var, cli_subprocess(["passages"], {var: BAD_VARIABLES[var]})


def test_every_variable_with_a_bad_value_is_one_line_and_exit_2():
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(_bad_variable_run, sorted(BAD_VARIABLES)))
    for var, result in runs:
        assert_one_line_exit_2(result, var)
        if var != "QUOTEBOT_CORPUS":  # a missing corpus file is named by its path
            assert f"{var}=" in result.stderr, result.stderr
        else:
            assert MISSING in result.stderr
    print(f"{len(runs)} bad variable values")


def test_a_variable_bound_to_an_option_is_named_as_the_variable():
    result = cli_subprocess(["ask", "How long?", *FAST], {"QUOTEBOT_TOP_K": "0"})
    assert_one_line_exit_2(result, "QUOTEBOT_TOP_K")
    assert result.stderr.startswith("quotebot: error: QUOTEBOT_TOP_K='0': ")


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "Commands:" in capsys.readouterr().out
    assert main(["--help"]) == 0


def test_settings_name_the_bad_value():
    from quotebot.errors import SettingsError

    with pytest.raises(SettingsError, match=r"^QUOTEBOT_TOP_K='abc': "):
        Settings.load(environ={"QUOTEBOT_TOP_K": "abc"})
    with pytest.raises(SettingsError, match=r"^setting max_quotes=0: "):
        Settings.load(environ={}, max_quotes=0)
    with pytest.raises(SettingsError, match=r"^setting threads=65: "):
        Settings.load(environ={}).updated(threads=65)
    assert Settings.load(environ={"QUOTEBOT_CORPUS": f"a{os.pathsep}b"}).corpus == (
        Path("a"),
        Path("b"),
    )
    assert Settings.load(environ={"OPENAI_API_KEY": "k"}).llm_api_key == "k"
    assert (
        Settings.load(environ={"QUOTEBOT_LLM_API_KEY": "q", "OPENAI_API_KEY": "k"}).llm_api_key
        == "q"
    )


# --- bounded JSON --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested deeper than 32"),
        ('{"a": ' * 40 + "1" + "}" * 40, "nested deeper than 32"),
        ("1" * 5000, "5000 characters long"),
        ("[1e" + "9" * 200 + "]", "characters long"),
        ("[NaN]", "NaN is not a JSON number"),
        ("{not json", "not valid JSON"),
    ],
)
def test_the_json_reader_refuses_out_of_bounds_input(text, message):
    with pytest.raises(jsonio.JSONInputError, match=message):
        jsonio.loads(text)


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = json.dumps({"content": "[" * 1000 + '\\"{' * 100})
    assert jsonio.loads(text) == json.loads(text)


@pytest.mark.parametrize("payload", ["[" * 50_000, "[" + "7" * 4301 + "]"])
def test_hostile_history_and_question_files_are_one_line(tmp_path, payload):
    history = tmp_path / "history.json"
    history.write_text(payload, encoding="utf-8")
    result = cli_subprocess(["ask", "How long?", "--history", str(history), *FAST])
    assert_one_line_exit_2(result, "history")
    assert "history file" in result.stderr
    questions = tmp_path / "set.jsonl"
    questions.write_text(payload + "\n", encoding="utf-8")
    result = cli_subprocess(["eval", str(questions), "--out", str(tmp_path / "out")])
    assert_one_line_exit_2(result, "eval")
    assert f"{questions}:1:" in result.stderr


# --- terminal control codes ---------------------------------------------------------------

HOSTILE = "The meeting lasted \x1b[31mfive hours\x1b[0m.\x07 \x1b]0;pwned\x07 \x9b2J It ended."


def test_passages_print_no_control_codes(tmp_path):
    corpus = tmp_path / "hostile.txt"
    corpus.write_text(HOSTILE + "\n", encoding="utf-8")
    result = cli_subprocess(["passages", str(corpus)])
    assert result.returncode == 0, result.stderr
    assert "five hours" in result.stdout and "It ended" in result.stdout
    assert not any(ch in result.stdout for ch in "\x1b\x07\x9b")


class HostileBot:
    """A Bot whose one quote carries terminal control codes, as a hostile corpus would."""

    def __init__(self, settings):
        pass

    def answer(self, question, history=(), doc=None):
        quote = HOSTILE[: HOSTILE.index("J") + 1]
        cited = Citation("hostile#p01", "hostile", "A\x1b[5mide", "answer", 0, len(quote), quote)
        return Answer(question, "A\x07ide said:", [cited])


def test_ask_prints_no_control_codes(monkeypatch, capsys):
    monkeypatch.setattr("quotebot.bot.bot.Bot", HostileBot)
    assert main(["ask", "How long did the meeting last?"]) == 0
    out = capsys.readouterr().out
    assert "five hours" in out and not any(ch in out for ch in "\x1b\x07\x9b")
    assert main(["ask", "How long did the meeting last?", "--json"]) == 0
    raw = capsys.readouterr().out
    assert not any(ch in raw for ch in "\x1b\x07\x9b")
    data = json.loads(raw)  # the JSON keeps the verbatim quote, escaped
    jsonschema.validate(data, SCHEMA)
    assert data["citations"][0]["quote"].startswith("The meeting lasted \x1b[31mfive hours")
    assert "\x9b2J" in data["citations"][0]["quote"]


# --- the JSON contract ----------------------------------------------------------------------


def citation(n: int, quote: str) -> Citation:
    return Citation(
        f"doc#p{n}", "doc", "Yury Ushakov", "answer", 10 * n, 10 * n + len(quote), quote
    )


def test_the_answer_field_is_the_readable_answer():
    quoted = Answer("q", "Yury Ushakov said:", [citation(1, "One."), citation(2, "Two.")])
    assert readable(quoted) == "Yury Ushakov said: \u201cOne.\u201d [1] \u201cTwo.\u201d [2]"
    generated = GeneratedAnswer("q", "It lasted five hours [1].", [citation(1, "Five hours.")])
    assert readable(generated) == "It lasted five hours [1]."
    abstained = Answer("q", "The statement does not say.", abstained=True)
    assert readable(abstained) == "The statement does not say."
    asked = Citation("doc#p3", "doc", None, "question", 40, 44, "Why?")
    mixed = Answer(
        "q", "From the statement, each quote with its speaker:", [asked, citation(2, "So.")]
    )
    assert readable(mixed) == (
        "From the statement, each quote with its speaker: \u201cWhy?\u201d [1] "
        "(Journalist (question)) \u201cSo.\u201d [2] (Yury Ushakov)"
    )
    for answer in (quoted, generated, abstained, mixed):
        data = answer_json(answer)
        assert data["version"] == 1 and data["answer"] == readable(answer)
        jsonschema.validate(data, SCHEMA)


def test_the_schema_rejects_what_breaks_the_contract():
    good = answer_json(Answer("q", "Yury Ushakov said:", [citation(1, "One.")]))
    for broken in (
        {**good, "version": 2},
        {k: v for k, v in good.items() if k != "answer"},
        {**good, "citations": [{**good["citations"][0], "start": -1}]},
        {**good, "extra": 1},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def test_ask_json_with_the_shipped_history_example_matches_the_schema(
    fake_settings, monkeypatch, capsys
):
    monkeypatch.setenv("QUOTEBOT_EMBEDDERS", "fake")
    monkeypatch.setenv("QUOTEBOT_CACHE_DIR", str(fake_settings.cache_dir))
    example = ROOT / "evals" / "history.example.json"
    for args in (
        ["ask", "Was a compromise reached on it?", "--history", str(example)],
        ["ask", "What is the capital of France?"],
    ):
        assert main([*args, "--json"]) == 0
        jsonschema.validate(json.loads(capsys.readouterr().out), SCHEMA)
    assert "--history evals/history.example.json" in (ROOT / "README.md").read_text("utf-8")


def test_eval_results_rows_match_the_schema(fake_settings, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("QUOTEBOT_EMBEDDERS", "fake")
    monkeypatch.setenv("QUOTEBOT_CACHE_DIR", str(fake_settings.cache_dir))
    out = tmp_path / "out"
    shipped = ROOT / "evals" / "statement.jsonl"
    assert main(["eval", str(shipped), "--out", str(out), "--split", "test"]) in (0, 1)
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) > 20
    for row in rows:
        jsonschema.validate(row, RESULT_SCHEMA)
        assert Result.from_json(row).to_json() == row
    answered = [r["answer"] for r in rows if r["answer"] and r["answer"]["citations"]]
    assert answered and all(a["answer"].count("\u201d [") == len(a["citations"]) for a in answered)


def test_the_command_exits_quickly_and_loses_nothing_it_printed(capsys):
    """`quotebot` ends with os._exit (no interpreter teardown): everything printed, far more
    than a pipe holds, reaches the reader, and the exit code is kept."""
    corpora = str(ROOT / "evals" / "corpora")
    assert main(["passages", corpora]) == 0
    expected = capsys.readouterr().out
    assert len(expected) > 100_000
    result = cli_subprocess(["passages", corpora])
    assert result.returncode == 0 and result.stdout == expected
    assert_one_line_exit_2(cli_subprocess(["ask", ""]), "an empty question")
