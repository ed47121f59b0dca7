"""`quotebot chat`: quotes print as soon as they are ready, then generated text, then the
checked answer; follow-ups use the conversation."""

from __future__ import annotations

from dataclasses import replace

import pytest
from quotebot.bot.bot import GENERATING
from quotebot.bot.records import Answer, Citation, StreamEvent

from quotebot.cli import main, print_stream

Q1 = Citation("s#p04", "s", "Yury Ushakov", "statement", 472, 590, "It lasted five hours.")
Q2 = Citation("s#p12", "s", "Journalist", "question", 3170, 3240, "Some 28 points.")


def test_quotes_then_tokens_then_the_checked_answer(capsys):
    base = Answer("How long?", "Yury Ushakov said:", [Q1, Q2])
    events = [
        StreamEvent("quote", replace(base, citations=[Q1])),
        StreamEvent("quote", base),
        StreamEvent("token", replace(base, text="It lasted", notice=GENERATING)),
        StreamEvent("token", replace(base, text="It lasted five hours [1].", notice=GENERATING)),
        StreamEvent("final", replace(base, text="It lasted five hours [1].")),
    ]
    last = print_stream(iter(events))
    out = capsys.readouterr().out
    assert last is events[-1].answer
    lead, quote1, quote2 = (
        out.index(s) for s in ("Yury Ushakov said:", "[1] “It lasted", "[2] “Some 28")
    )
    draft = out.index("[writing an answer...]")
    assert lead < quote1 < quote2 < draft
    assert out.count("[1] “It lasted five hours.”") == 2, "quotes again under the checked text"
    assert "Journalist (question)" in out


def test_a_fallback_notice_is_printed(capsys):
    base = Answer("How long?", "Yury Ushakov said:", [Q1])
    fallback = replace(base, notice="Generated answer unavailable (timeout)")
    print_stream(iter([StreamEvent("quote", base), StreamEvent("final", fallback)]))
    assert "[Generated answer unavailable (timeout)]" in capsys.readouterr().out


@pytest.mark.integration
def test_chat_follows_up_in_the_terminal(real_settings, monkeypatch, capsys):
    lines = iter(["Was the territorial issue discussed?", "Was a compromise reached on it?", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    assert main(["chat"]) == 0
    out = capsys.readouterr().out
    assert "territorial issues" in out and "No compromise option has yet been found." in out
