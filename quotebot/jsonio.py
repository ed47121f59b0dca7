"""Reading JSON that a user wrote (a history file, a question set line) within fixed bounds.

Python's `json` raises RecursionError on deep nesting and ValueError past 4,300 digits in an
integer (tracebacks, not messages); here nesting deeper than MAX_DEPTH and numbers longer than
MAX_NUMBER_CHARS are refused first, with a message a user can act on.
"""

from __future__ import annotations

import json

from .errors import UserError

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 100


class JSONInputError(UserError):
    """The text is not JSON within the bounds; the message says where and why."""


def loads(text: str) -> object:
    """Return the JSON value in `text`; raise JSONInputError for invalid or out-of-bounds JSON."""
    _check_depth(text)
    try:
        return json.loads(
            text, parse_int=_number(int), parse_float=_number(float), parse_constant=_constant
        )
    except json.JSONDecodeError as exc:
        raise JSONInputError(f"not valid JSON ({exc.msg}, column {exc.colno})") from exc


def _check_depth(text: str) -> None:
    """Refuse nesting past MAX_DEPTH (brackets inside strings do not count)."""
    depth, in_string, escaped = 0, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise JSONInputError(
                    f"JSON nested deeper than {MAX_DEPTH} levels (at character {i + 1})"
                )
        elif ch in "]}":
            depth -= 1


def _number(kind: type):
    def parse(text: str) -> int | float:
        if len(text) > MAX_NUMBER_CHARS:
            raise JSONInputError(
                f"a number in the JSON is {len(text)} characters long (at most {MAX_NUMBER_CHARS})"
            )
        return kind(text)

    return parse


def _constant(name: str) -> float:
    raise JSONInputError(f"{name} is not a JSON number")
