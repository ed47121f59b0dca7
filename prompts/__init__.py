"""Prompt templates for the optional LLM, one file each, loaded by name.

A template file is named `NAME.vN.txt`: the version is part of the name, so a changed prompt is a
new file and results can say which prompt made them. Leading `#` lines are comments. The body is
split into chat messages by `[system]` and `[user]` lines; `{name}` marks a variable (f-string
syntax, `{{` for a literal brace).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PROMPT_DIR = Path(__file__).parent
_FILE_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)\.v(?P<version>[0-9]+)\.txt$")
_ROLE_LINE = re.compile(r"^\[(system|user)\]\s*$")


class PromptError(ValueError):
    """A prompt template is missing, malformed, or rendered without its variables."""


@dataclass(frozen=True)
class Prompt:
    """One versioned chat prompt: `(role, template)` messages, role "system" or "user"."""

    name: str
    version: int
    messages: tuple[tuple[str, str], ...]

    @property
    def id(self) -> str:
        """Return the name with its version, e.g. "answer.v1"."""
        return f"{self.name}.v{self.version}"

    @property
    def variables(self) -> frozenset[str]:
        """Return the names of the variables the templates use."""
        formatter = string.Formatter()
        return frozenset(
            field for _, text in self.messages for _, field, _, _ in formatter.parse(text) if field
        )

    def chat_template(self):
        """Return this prompt as a LangChain `ChatPromptTemplate`."""
        from langchain_core.prompts import ChatPromptTemplate

        roles = {"system": "system", "user": "human"}
        return ChatPromptTemplate.from_messages(
            [(roles[role], text) for role, text in self.messages]
        )

    def render(self, **values: str) -> list:
        """Return the chat messages with `values` filled in; raise PromptError if one is missing."""
        missing = self.variables - set(values)
        if missing:
            raise PromptError(f"prompt {self.id} needs {', '.join(sorted(missing))}")
        return self.chat_template().format_messages(**values)


def versions(name: str) -> list[int]:
    """Return the versions of prompt `name` found in the prompts folder, oldest first."""
    found = []
    for path in PROMPT_DIR.glob(f"{name}.v*.txt"):
        match = _FILE_NAME.match(path.name)
        if match and match["name"] == name:
            found.append(int(match["version"]))
    return sorted(found)


@cache
def load(name: str, version: int | None = None) -> Prompt:
    """Return prompt `name` at `version` (default: the newest), read from its file."""
    found = versions(name)
    if not found:
        raise PromptError(f"no prompt named {name!r} in {PROMPT_DIR}")
    version = found[-1] if version is None else version
    if version not in found:
        raise PromptError(f"prompt {name!r} has versions {found}, not {version}")
    path = PROMPT_DIR / f"{name}.v{version}.txt"
    return Prompt(name, version, parse(path.read_text(encoding="utf-8"), path.name))


def parse(text: str, source: str = "<prompt>") -> tuple[tuple[str, str], ...]:
    """Return the `(role, template)` messages in a prompt file's text."""
    messages: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        role = _ROLE_LINE.match(line)
        if role:
            messages.append((role[1], []))
        elif messages:
            messages[-1][1].append(line)
        elif line.strip() and not line.startswith("#"):
            raise PromptError(f"{source}: text before the first [system] or [user] line")
    if not messages:
        raise PromptError(f"{source}: no [system] or [user] section")
    return tuple((role, "\n".join(lines).strip()) for role, lines in messages)
