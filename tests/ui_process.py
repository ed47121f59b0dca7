"""A real `quotebot ui` process for the page's tests: a free loopback port, started, waited
for until it answers, and stopped afterwards (one harness for the browser and session tests)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """Return a loopback port that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, log: Path, timeout_s: float) -> None:
    """Return once `url` answers; fail the test if the server exits or does not answer
    within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"quotebot ui exited with {proc.returncode}:\n{log.read_text()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    pytest.fail(f"quotebot ui did not answer at {url} in {timeout_s} s:\n{log.read_text()}")


@contextmanager
def quotebot_ui(
    options: list[str], cache_dir: Path, log: Path, start_timeout_s: float
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Serve `quotebot ui OPTIONS` on a free loopback port with the cache `cache_dir`, its
    output in `log`; yield (URL, process) once it answers, and stop it afterwards."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = shutil.which("quotebot", path=str(Path(sys.executable).parent))
    argv = [command] if command else [sys.executable, "-m", "quotebot.cli"]
    argv += ["ui", "--host", "127.0.0.1", "--port", str(port), *options]
    env = {**os.environ, "QUOTEBOT_CACHE_DIR": str(cache_dir)}
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        wait_until_serving(url, proc, log, start_timeout_s)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
