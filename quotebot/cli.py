"""The `quotebot` command: a thin layer over `index` and `bot`. User mistakes exit with 2."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from quotebot.evaluation.runner import QuestionSetError, parse_min_score
from quotebot.index.corpus import CorpusError
from quotebot.index.store import IndexCorrupt
from quotebot.settings import Settings, apply_runtime

from .errors import QuestionError

USER_ERRORS = (CorpusError, QuestionError, QuestionSetError, IndexCorrupt, FileNotFoundError)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        settings = _settings(args)
        apply_runtime(settings)
        return args.run(args, settings) or 0
    except USER_ERRORS as exc:
        print(f"quotebot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("quotebot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `quotebot passages | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _settings(args: argparse.Namespace) -> Settings:
    corpus = tuple(Path(p) for p in args.corpus) if getattr(args, "corpus", None) else None
    embedders = tuple(args.embedder.split(",")) if getattr(args, "embedder", None) else None
    return Settings.load(
        corpus=corpus,
        index_dir=getattr(args, "index_dir", None),
        embedders=embedders,
        max_quotes=getattr(args, "quotes", None),
        top_k=getattr(args, "top_k", None),
        llm=getattr(args, "llm", None),
        llm_base_url=getattr(args, "base_url", None),
        llm_model=getattr(args, "model", None),
    )


def _common(p: argparse.ArgumentParser, corpus_positional: bool = False) -> None:
    if corpus_positional:
        p.add_argument("corpus", nargs="*", metavar="PATH", help="statement file(s) or folder(s)")
    else:
        p.add_argument(
            "--corpus",
            action="append",
            metavar="PATH",
            help="statement file or folder to answer from (default: the seed)",
        )
    p.add_argument("--index-dir", type=Path, help="where the index lives (default: user cache)")
    p.add_argument("--embedder", help="embedder names, comma-separated (minilm, e5)")


def _answer_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quotes", type=int, help="at most this many quotes (default 3)")
    p.add_argument("--top-k", type=int, help="passages to retrieve (default 8)")
    p.add_argument("--llm", choices=["none", "local", "openai"], help="answer mode")
    p.add_argument("--base-url", help="OpenAI-compatible server, with --llm openai")
    p.add_argument("--model", help="model name, with --llm openai")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quotebot", description="Answer questions about a statement with verified quotes."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="build (or check) the index of a corpus")
    _common(p, corpus_positional=True)
    p.add_argument("--rebuild", action="store_true", help="rebuild even if the index is fresh")
    p.set_defaults(run=cmd_index)

    p = sub.add_parser("passages", help="list passages with speaker and offsets")
    _common(p, corpus_positional=True)
    p.set_defaults(run=cmd_passages)

    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--history", type=Path, help="JSON file: earlier turns [{role, content}]")
    _common(p)
    _answer_options(p)
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("chat", help="a conversation in the terminal, with follow-ups")
    _common(p)
    _answer_options(p)
    p.set_defaults(run=cmd_chat)

    p = sub.add_parser("ui", help="serve the chat page in a browser (prints its URL)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    p.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")
    p.add_argument("--auth", type=_auth, metavar="USER:PASS", help="require this login")
    _common(p)
    _answer_options(p)
    p.set_defaults(run=cmd_ui)

    p = sub.add_parser("eval", help="run an evaluation question set; write results and a report")
    p.add_argument("file", type=Path, metavar="FILE", help="question set (JSONL)")
    p.add_argument("--out", type=Path, help="output folder (default: artifacts/eval/<FILE name>)")
    p.add_argument(
        "--compare",
        action="store_true",
        help="also run the langchain-stock and bm25 baselines, side by side",
    )
    p.add_argument(
        "--min-score",
        action="append",
        type=parse_min_score,
        default=[],
        metavar="METRIC=VALUE",
        help="exit 1 if quotebot scores under VALUE",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="keep the results already in the output folder and run the rest",
    )
    p.add_argument(
        "--split",
        choices=["dev", "test", "all"],
        default="all",
        help="which questions to run (default all)",
    )
    _common(p)
    _answer_options(p)
    p.set_defaults(run=cmd_eval)
    return parser


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from quotebot.index.store import ensure_index

    if args.corpus:
        settings = Settings.load(**{**settings.__dict__, "corpus": tuple(map(Path, args.corpus))})
    started = time.perf_counter()
    index = ensure_index(settings, rebuild=args.rebuild)
    took = time.perf_counter() - started
    print(
        f"{len(index.passages)} passages, {len(index.sentence_refs)} sentences from "
        f"{len(index.documents)} document(s) in {took:.2f} s -> {index.path or '(memory)'}"
    )
    return 0


def cmd_passages(args: argparse.Namespace, settings: Settings) -> int:
    from quotebot.index.corpus import load_corpus
    from quotebot.index.segment import segment

    paths = tuple(map(Path, args.corpus)) or settings.corpus
    for document in load_corpus(paths):
        for p in segment(document, settings.max_passage_sentences, settings.max_passage_chars):
            words = " ".join(p.text.split()[:10])
            answers = f" answers {p.question_id}" if p.question_id else ""
            print(
                f"{p.id:<18} {p.role:<9} {p.speaker_label:<22} {p.start:>6}-{p.end:<6} "
                f"{words}...{answers}"
            )
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from quotebot.bot.bot import Bot
    from quotebot.bot.conversation import read_history

    history = read_history(args.history) if args.history else ()
    answer = Bot(settings).answer(args.question, history)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(render_text(answer))
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from quotebot.bot.bot import Bot
    from quotebot.bot.conversation import Turn

    bot = Bot(settings)
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
            print(f"quotebot: {exc}")
            continue
        history.append(Turn.of(answer))


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
            sys.stdout.write(answer.text[len(written) :])
            sys.stdout.flush()
            written = answer.text
        elif written:  # generation finished: the checked answer replaces the draft
            print("\n\n" + render_text(answer))
        else:
            if last is None:
                print(answer.text)
            if answer.notice and (last is None or answer.notice != last.notice):
                print(f"[{answer.notice}]")
            for n, c in enumerate(answer.citations[quotes:], quotes + 1):
                print("\n".join(_quote_lines(n, c)))
            quotes = len(answer.citations)
        last = answer
    return last


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from quotebot.ui.app import serve
    except ImportError as exc:  # gradio missing: the message says what to install
        print(f"quotebot: error: {exc}", file=sys.stderr)
        return 2
    from quotebot.bot.bot import Bot

    bot = Bot(settings).warm_up()
    try:
        serve(bot, args.host, args.port, args.auth)
    except OSError as exc:  # the port is taken or the address is not this machine's
        reason = str(exc).split(". ")[0]
        print(
            f"quotebot: error: cannot serve on {args.host}:{args.port} ({reason}); "
            "pick another --port or --host",
            file=sys.stderr,
        )
        return 2
    return 0


def _auth(value: str) -> tuple[str, str]:
    user, _, password = value.partition(":")
    if not user or not password:
        raise argparse.ArgumentTypeError("expected USER:PASS, both non-empty")
    return user, password


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from quotebot.evaluation.runner import evaluate

    out = args.out or Path("artifacts") / "eval" / args.file.stem
    return evaluate(args.file, settings, out, args.compare, args.min_score, args.resume, args.split)


def render_text(answer) -> str:
    """Return an answer as terminal text: lead-in, then numbered quotes with speaker and offsets."""
    lines = [answer.text]
    if answer.notice:
        lines.insert(0, f"[{answer.notice}]")
    for n, c in enumerate(answer.citations, 1):
        lines += _quote_lines(n, c)
    return "\n".join(lines)


def _quote_lines(n: int, c) -> list[str]:
    return [
        f"  [{n}] \u201c{c.quote}\u201d",
        f"      \u2014 {c.speaker_label}, {c.passage_id}, chars {c.start}-{c.end}",
    ]


if __name__ == "__main__":
    sys.exit(main())
