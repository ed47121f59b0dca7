"""What the server checks before any work: login attempts per client (a few failures a minute,
then 429), HTTP Basic credentials for the API, and the size and nesting of a JSON body."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Callable

LOGIN_FAILURES = 5  # failed logins a client may make per window
LOGIN_WINDOW_S = 60.0
MAX_BODY_BYTES = 64 * 1024
MAX_JSON_DEPTH = 8
_OPEN, _CLOSE = frozenset(b"[{"), frozenset(b"]}")


class LoginGuard:
    """Counts failed logins per client address; a client with LOGIN_FAILURES failures within
    the last LOGIN_WINDOW_S seconds is refused until the oldest of them is that old."""

    def __init__(
        self,
        failures: int = LOGIN_FAILURES,
        window_s: float = LOGIN_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.failures = failures
        self.window_s = window_s
        self.clock = clock
        self._failed: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str) -> deque[float]:
        times = self._failed.get(client, deque())
        cutoff = self.clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            self._failed.pop(client, None)
        return times

    def retry_after(self, client: str) -> int:
        """Return the seconds `client` must wait before it may try again (0: it may now)."""
        with self._lock:
            times = self._recent(client)
            if len(times) < self.failures:
                return 0
            return max(1, int(times[0] + self.window_s - self.clock() + 0.999))

    def failed(self, client: str) -> None:
        """Record a failed login by `client`."""
        with self._lock:
            self._recent(client)
            self._failed.setdefault(client, deque()).append(self.clock())


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """Return (user, password) from an `Authorization: Basic ...` header, or None."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        user, sep, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def same_login(given: tuple[str, str], expected: tuple[str, str]) -> bool:
    """Return whether the login `given` is `expected` (compared in constant time)."""
    user = hmac.compare_digest(given[0].encode(), expected[0].encode())
    return hmac.compare_digest(given[1].encode(), expected[1].encode()) and user


class BodyError(ValueError):
    """A request body that is not acceptable JSON; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def json_body(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> object:
    """Return the JSON value of `raw`; raise BodyError when it is not UTF-8 JSON or nests
    deeper than `max_depth` (checked before parsing)."""
    if json_depth(raw) > max_depth:
        raise BodyError(f"the JSON body nests deeper than {max_depth} levels")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BodyError("the body is not UTF-8") from exc
    except ValueError as exc:
        raise BodyError(f"the body is not valid JSON ({exc})") from exc


def json_depth(raw: bytes) -> int:
    """Return how deeply the arrays and objects of the JSON text `raw` nest (strings skipped)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in _CLOSE:
            depth -= 1
    return deepest
