"""The `quotebot` command: a thin layer over `index`, `bot` and `evaluation`.

One click command per function. Every option is checked by a click type as it is parsed, and
every `QUOTEBOT_*` variable by `Settings`; a user mistake prints one line on stderr and exits
with 2. `main(argv)` returns the exit code (tests call it).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
import sys
import time
from pathlib import Path

import click
from click.core import ParameterSource

from quotebot.errors import UserError
from quotebot.settings import LLM_MODES, RANGES, Settings, apply_runtime, env_var

_TERMINAL_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f]")  # json.dumps already escapes C0 controls
_HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*)?")
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# ---------------------------------------------------------------- option types


class SettingRange(click.IntRange):
    """An integer in the range that `Settings` allows for the field `field`."""

    def __init__(self, field: str) -> None:
        super().__init__(*RANGES[field])
        self.name = "integer"


class Port(click.IntRange):
    """A TCP port to listen on."""

    name = "port"

    def __init__(self) -> None:
        super().__init__(1, 65535)


class Host(click.ParamType):
    """An address to listen on: an IP address or a host name."""

    name = "host"

    def convert(self, value, param, ctx) -> str:
        text = str(value)
        try:
            ipaddress.ip_address(text)
        except ValueError:
            if not _HOSTNAME.fullmatch(text):
                self.fail(f"{text!r} is not an IP address or a host name", param, ctx)
        return text


class EmbedderNames(click.ParamType):
    """Comma-separated names from the embedder registry (index/embedder.py EMBEDDERS)."""

    name = "names"

    def convert(self, value, param, ctx) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        from quotebot.index.embedder import EMBEDDERS

        names = tuple(n.strip() for n in str(value).split(",") if n.strip())
        if not names:
            self.fail(f"{value!r}: name at least one embedder", param, ctx)
        for name in names:
            if name not in EMBEDDERS:
                self.fail(
                    f"{value!r}: unknown embedder {name!r}; choose from {', '.join(EMBEDDERS)}",
                    param,
                    ctx,
                )
        if len(set(names)) != len(names):
            self.fail(f"{value!r}: an embedder is named twice", param, ctx)
        return names


class ExistingPath(click.ParamType):
    """A file (or, with `folders`, a folder) that exists."""

    name = "path"
    envvar_list_splitter = os.pathsep

    def __init__(self, folders: bool = True) -> None:
        self.folders = folders

    def convert(self, value, param, ctx) -> Path:
        path = Path(value)
        if not path.exists():
            self.fail(f"no such file{' or folder' if self.folders else ''}: {path}", param, ctx)
        if path.is_dir() and not self.folders:
            self.fail(f"{path} is a folder, not a file", param, ctx)
        return path


class DocName(click.ParamType):
    """A document name (a file's stem, as `quotebot docs` lists it): not blank."""

    name = "NAME"

    def convert(self, value, param, ctx) -> str:
        text = str(value).strip()
        if not text:
            self.fail("name a document (see `quotebot docs`)", param, ctx)
        return text


class OutputFolder(click.ParamType):
    """A folder to write into: missing (it is made) or a folder, never a file."""

    name = "folder"

    def convert(self, value, param, ctx) -> Path:
        path = Path(value)
        if path.exists() and not path.is_dir():
            self.fail(f"{path} is a file, not a folder", param, ctx)
        return path


class Auth(click.ParamType):
    """USER:PASS, both non-empty."""

    name = "USER:PASS"

    def convert(self, value, param, ctx) -> tuple[str, str]:
        if isinstance(value, tuple):
            return value
        user, _, password = str(value).partition(":")
        if not user or not password:
            self.fail("expected USER:PASS, both non-empty", param, ctx)  # not echoed: a secret
        return user, password


class MinScore(click.ParamType):
    """METRIC=VALUE with METRIC one of the score metrics and VALUE a number from 0 to 1."""

    name = "METRIC=VALUE"

    def convert(self, value, param, ctx) -> tuple[str, float]:
        if isinstance(value, tuple):
            return value
        from quotebot.evaluation.summary import SCORE_METRICS

        metric, sep, number = str(value).partition("=")
        metric = metric.strip()
        if not sep or metric not in SCORE_METRICS:
            self.fail(
                f"{value!r}: expected METRIC=VALUE with METRIC one of {', '.join(SCORE_METRICS)}",
                param,
                ctx,
            )
        try:
            threshold = float(number)
        except ValueError:
            self.fail(f"{value!r}: {number!r} is not a number", param, ctx)
        if not 0.0 <= threshold <= 1.0:
            self.fail(f"{value!r}: {number} is not between 0 and 1", param, ctx)
        return metric, threshold


# ---------------------------------------------------------------- shared options


class SettingOption(click.Option):
    """An option that a `QUOTEBOT_*` variable can also set: the help names the variable; an
    error names the flag, or the variable when the bad value came from it (see `main`)."""

    def get_error_hint(self, ctx: click.Context | None) -> str:
        return click.Parameter.get_error_hint(self, ctx)


def corpus_option(f):
    return click.option(
        "--corpus",
        multiple=True,
        type=ExistingPath(),
        envvar=env_var("corpus"),
        show_envvar=True,
        cls=SettingOption,
        help="statement file or folder to answer from (repeatable; default: the seed)",
    )(f)


def index_options(f):
    f = click.option(
        "--embedder",
        type=EmbedderNames(),
        envvar=env_var("embedders"),
        show_envvar=True,
        cls=SettingOption,
        help="embedder names, comma-separated (minilm, e5)",
    )(f)
    return click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar=env_var("index_dir"),
        show_envvar=True,
        cls=SettingOption,
        help="where the index lives (default: user cache)",
    )(f)


def answer_options(f):
    for option in reversed(
        [
            click.option(
                "--quotes",
                type=SettingRange("max_quotes"),
                envvar=env_var("max_quotes"),
                show_envvar=True,
                cls=SettingOption,
                help=f"at most this many quotes (default {Settings.max_quotes})",
            ),
            click.option(
                "--top-k",
                type=SettingRange("top_k"),
                envvar=env_var("top_k"),
                show_envvar=True,
                cls=SettingOption,
                help="passages to retrieve (default 8)",
            ),
            click.option(
                "--llm",
                type=click.Choice(LLM_MODES),
                envvar=env_var("llm"),
                show_envvar=True,
                cls=SettingOption,
                help="answer mode (default none: quotes only)",
            ),
            click.option(
                "--reader",
                type=click.Choice(LLM_MODES),
                envvar=env_var("reader"),
                show_envvar=True,
                cls=SettingOption,
                help="an LLM reads the best sentences and chooses the quote or none (default "
                "none; local: about 4 s more per answer on 2 cores)",
            ),
            click.option(
                "--base-url",
                envvar=env_var("llm_base_url"),
                show_envvar=True,
                cls=SettingOption,
                help="OpenAI-compatible server, with --llm openai",
            ),
            click.option(
                "--model",
                envvar=env_var("llm_model"),
                show_envvar=True,
                cls=SettingOption,
                help="model name, with --llm openai",
            ),
            click.option(
                "--llm-timeout",
                type=click.FloatRange(min=0, min_open=True, max=3600),
                envvar=env_var("llm_timeout_s"),
                show_envvar=True,
                cls=SettingOption,
                metavar="SECONDS",
                help="time limit of a generated answer (default 60); past it, the sentences "
                "checked so far or the quotes, with a notice",
            ),
        ]
    ):
        f = option(f)
    return f


# setting -> the option that sets it
OPTION_OF = {
    "corpus": "corpus",
    "index_dir": "index_dir",
    "embedders": "embedder",
    "max_quotes": "quotes",
    "top_k": "top_k",
    "threads": "threads",
    "llm": "llm",
    "reader": "reader",
    "llm_base_url": "base_url",
    "llm_model": "model",
    "llm_timeout_s": "llm_timeout",
}


def load_settings(**options) -> Settings:
    """Return the settings: defaults, `QUOTEBOT_*` variables, then the command's options.

    A value Settings refuses is named as its flag, or its variable if it came from one."""
    ctx = click.get_current_context()
    overrides, labels = {}, {}
    for field, name in OPTION_OF.items():
        value = options.get(name)
        if value is None or value == ():
            continue
        overrides[field] = tuple(value) if name == "corpus" else value
        param = next(p for p in ctx.command.params if p.name == name)
        from_env = ctx.get_parameter_source(name) == ParameterSource.ENVIRONMENT
        labels[field] = param.envvar if from_env else param.opts[0]
    settings = Settings.load(labels=labels, **overrides)
    apply_runtime(settings)
    return settings


# ---------------------------------------------------------------- commands


@click.group(
    context_settings=CONTEXT,
    invoke_without_command=True,
    help="Answer questions about a statement with verbatim, verified, cited quotes.",
)
@click.pass_context
def cli(ctx: click.Context) -> int | None:
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
        return 2
    return None


@cli.command(help="Build (or check) the index of a corpus.")
@click.argument("corpus", nargs=-1, type=ExistingPath(), metavar="[PATH]...")
@index_options
@click.option(
    "--threads",
    type=SettingRange("threads"),
    envvar=env_var("threads"),
    show_envvar=True,
    cls=SettingOption,
    help="threads for embedding (default 2)",
)
@click.option("--rebuild", is_flag=True, help="rebuild even if the index is fresh")
def index(corpus, index_dir, embedder, threads, rebuild) -> int:
    from quotebot.index.store import ensure_index

    settings = load_settings(corpus=corpus, index_dir=index_dir, embedder=embedder, threads=threads)
    started = time.perf_counter()
    built = ensure_index(settings, rebuild=rebuild, complete=True)
    took = time.perf_counter() - started
    say(
        f"{len(built.passages)} passages, {len(built.sentence_refs)} sentences from "
        f"{len(built.documents)} document(s) in {took:.2f} s -> {built.path or '(memory)'}"
    )
    return 0


@cli.command(help="List passages with speaker and offsets.")
@click.argument("corpus", nargs=-1, type=ExistingPath(), metavar="[PATH]...")
@index_options
def passages(corpus, index_dir, embedder) -> int:
    from quotebot.index.corpus import load_corpus
    from quotebot.index.segment import segment

    settings = load_settings(corpus=corpus, index_dir=index_dir, embedder=embedder)
    for document in load_corpus(settings.corpus):
        for p in segment(document, settings.max_passage_sentences, settings.max_passage_chars):
            words = " ".join(p.text.split()[:10])
            answers = f" answers {p.question_id}" if p.question_id else ""
            say(
                f"{p.id:<18} {p.role:<9} {p.speaker_label:<22} {p.start:>6}-{p.end:<6} "
                f"{words}...{answers}"
            )
    return 0


@cli.command(help="Answer one question.")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="print the answer as JSON (the contract)")
@click.option(
    "--history",
    type=ExistingPath(folders=False),
    help="JSON file of earlier turns [{role, content}]",
)
@corpus_option
@index_options
@answer_options
def ask(question, as_json, history, **options) -> int:
    from quotebot.bot.bot import Bot
    from quotebot.bot.conversation import read_history
    from quotebot.bot.question import clean
    from quotebot.index.library import with_library

    from .contract import answer_json

    settings = with_library(load_settings(**options))
    clean(question, settings.max_question_chars)  # an empty or too long question: before loading
    turns = read_history(history) if history else ()
    answer = Bot(settings).answer(question, turns)
    if as_json:
        text = json.dumps(answer_json(answer), ensure_ascii=False, indent=2)
        print(_JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
    else:
        say(render_text(answer))
    return 0


@cli.command(help="A conversation in the terminal, with follow-ups.")
@corpus_option
@index_options
@answer_options
def chat(**options) -> int:
    from quotebot.bot.bot import Bot
    from quotebot.bot.conversation import Turn
    from quotebot.index.library import with_library

    from .errors import QuestionError

    bot = Bot(with_library(load_settings(**options)))
    history: list[Turn] = []
    print("Ask about the statement. An empty line or Ctrl-D ends the chat.")
    while True:
        try:
            question = input("you> ")
        except EOFError:
            print()
            return 0
        if not question.strip():
            return 0
        try:
            answer = print_stream(bot.stream(question, history))
        except QuestionError as exc:
            say(f"quotebot: {exc}")
            continue
        history.append(Turn.of(answer))


@cli.command(help="Serve the chat page in a browser (prints its URL).")
@click.option(
    "--host",
    type=Host(),
    default="127.0.0.1",
    show_default=True,
    help="address to listen on (127.0.0.1: this machine only)",
)
@click.option("--port", type=Port(), default=7860, show_default=True, help="port to listen on")
@click.option("--auth", type=Auth(), help="require this login")
@corpus_option
@index_options
@answer_options
def ui(host, port, auth, **options) -> int:
    try:
        from quotebot.ui.app import serve
    except ImportError as exc:  # gradio missing: the message says what to install
        raise UserError(str(exc)) from None
    from quotebot.bot.bot import Bot
    from quotebot.index.library import with_library

    bot = Bot(with_library(load_settings(**options))).warm_up()
    try:
        serve(bot, host, port, auth)
    except OSError as exc:  # the port is taken or the address is not this machine's
        reason = str(exc).split(". ")[0]
        raise UserError(
            f"cannot serve on {host}:{port} ({reason}); pick another --port or --host"
        ) from None
    return 0


@cli.command(help="Add transcript files to your library (answered from too).")
@click.argument(
    "files", nargs=-1, required=True, type=ExistingPath(folders=False), metavar="FILE..."
)
@corpus_option
@index_options
def add(files, **options) -> int:
    from .library_cli import add_command

    return add_command(files, load_settings(**options))


@cli.command(help="List the documents answered from (corpus, then library).")
@click.option("--remove", type=DocName(), help="remove document NAME from your library")
@corpus_option
@index_options
def docs(remove, **options) -> int:
    from .library_cli import docs_command

    return docs_command(load_settings(**options), remove)


@cli.command("eval", help="Run an evaluation question set; write results and a report.")
@click.argument("file", type=ExistingPath(folders=False), metavar="FILE")
@click.option(
    "--out", type=OutputFolder(), help="output folder (default: artifacts/eval/<FILE name>)"
)
@click.option("--compare", is_flag=True, help="also run the langchain-stock and bm25 baselines")
@click.option(
    "--min-score",
    type=MinScore(),
    multiple=True,
    help="exit 1 if quotebot scores under VALUE (repeatable)",
)
@click.option("--resume", is_flag=True, help="keep the results already in the output folder")
@click.option(
    "--split",
    type=click.Choice(["dev", "test", "unsplit", "all"]),
    default="all",
    show_default=True,
    help="which questions to run",
)
@corpus_option
@index_options
@answer_options
def eval_(file, out, compare, min_score, resume, split, **options) -> int:
    from quotebot.evaluation.runner import evaluate
    from quotebot.evaluation.summary import below_min_scores, format_table

    settings = load_settings(**options)
    out = out or Path("artifacts") / "eval" / file.stem
    run = evaluate(file, settings, out, compare=compare, resume=resume, split=split)
    say(format_table(run.summary))
    print(f"wrote {out / 'results.jsonl'}, summary.json and report.html", file=sys.stderr)
    problems = below_min_scores(run.summary, min_score)
    for problem in problems:
        print(f"quotebot: {terminal_safe(problem)}", file=sys.stderr)
    return 1 if problems else 0


# ---------------------------------------------------------------- output


def terminal_safe(text: str) -> str:
    """Return `text` without control characters (colours, bell, window titles); line breaks
    and tabs stay."""
    return _TERMINAL_UNSAFE.sub("", text)


def say(text: str) -> None:
    """Print `text` to stdout with control characters removed."""
    print(terminal_safe(text))


def print_stream(events) -> object:
    """Print an answer as it streams (`StreamEvent`s): the lead-in and each quote as soon as it
    is ready, then generated text token by token, then the checked answer; return the final
    answer."""
    last, quotes, written = None, 0, ""
    for event in events:
        answer = event.answer
        if event.kind == "token":
            if not written:
                print("\n[writing an answer...]")
            sys.stdout.write(terminal_safe(answer.text[len(written) :]))
            sys.stdout.flush()
            written = answer.text
        elif written:  # generation finished: the checked answer replaces the draft
            say("\n\n" + render_text(answer))
        else:
            if last is None:
                say(answer.text)
            if answer.notice and (last is None or answer.notice != last.notice):
                say(f"[{answer.notice}]")
            for n, c in enumerate(answer.citations[quotes:], quotes + 1):
                say("\n".join(_quote_lines(n, c)))
            quotes = len(answer.citations)
        last = answer
    return last


def render_text(answer) -> str:
    """Return an answer as terminal text: lead-in, then numbered quotes with speaker and offsets."""
    lines = [answer.text]
    if answer.notice:
        lines.insert(0, f"[{answer.notice}]")
    for n, c in enumerate(answer.citations, 1):
        lines += _quote_lines(n, c)
    return terminal_safe("\n".join(lines))


def _quote_lines(n: int, c) -> list[str]:
    return [
        f"  [{n}] \u201c{c.quote}\u201d",
        f"      \u2014 {c.speaker_label}, {c.passage_id}, chars {c.start}-{c.end}",
    ]


# ---------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:
        code = cli.main(args=argv, prog_name="quotebot", standalone_mode=False)
    except click.ClickException as exc:
        return _fail(_click_message(exc))
    except BrokenPipeError:  # `quotebot passages | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (FileNotFoundError, PermissionError, NotADirectoryError, IsADirectoryError) as exc:
        return _fail(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
    except _user_errors() as exc:  # evaluated only when something was raised
        return _fail(str(exc))
    except (KeyboardInterrupt, click.Abort):
        print("quotebot: interrupted", file=sys.stderr)
        return 130
    return code if isinstance(code, int) else 0


def _user_errors() -> tuple[type[Exception], ...]:
    """Return the exceptions that are the user's to fix (a file, a corpus, an index, a model
    that is not installed)."""
    from quotebot.index.corpus import CorpusError
    from quotebot.index.embedder import EmbedderError
    from quotebot.index.store import IndexCorrupt

    return (UserError, CorpusError, IndexCorrupt, EmbedderError)


def _fail(message: str) -> int:
    print(f"quotebot: error: {' '.join(terminal_safe(message).split())}", file=sys.stderr)
    return 2


def _click_message(exc: click.ClickException) -> str:
    """Return a click error as one line; a bad variable is named as the variable."""
    ctx, param = getattr(exc, "ctx", None), getattr(exc, "param", None)
    message = exc.format_message()
    source = ctx.get_parameter_source(param.name) if ctx and param and param.name else None
    if source == ParameterSource.ENVIRONMENT:
        envvar = param.envvar if isinstance(param.envvar, str) else param.envvar[0]
        return f"{envvar}={os.environ.get(envvar, '')!r}: {message.split(': ', 1)[-1]}"
    command = ctx.command_path if ctx is not None else "quotebot"
    return f"{command}: {message}"


def run() -> None:
    """The `quotebot` command: `main`, then an exit that skips the interpreter's teardown.
    Everything is written and closed by then (files, indexes, caches, locks); the teardown
    only frees the models' and LangChain's objects one by one, which took 0.2 s of a 1.2 s
    `quotebot ask`. No command leaves a thread that still has work to do."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that left, a closed stream
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
