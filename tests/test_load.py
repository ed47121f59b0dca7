"""A short soak of the real page: `quotebot ui` with the real models on a loopback port, eight
clients asking at once for ten seconds. The full soak (32 clients, 2 minutes) and the timings
are `python -m bench.load --soak` and `python -m bench.run`; this test asserts no errors and
the same answers as a single client gets, not speed."""

from __future__ import annotations

import pytest

from bench.load import Server, load_questions, reference_answers, run_load

pytestmark = pytest.mark.integration

CLIENTS, SECONDS = 8, 10.0


def test_concurrent_clients_get_no_errors_and_the_single_client_answers(real_settings):
    questions = load_questions()
    with Server({"QUOTEBOT_CACHE_DIR": str(real_settings.cache_dir)}) as server:
        expected = reference_answers(server.url, questions)
        report = run_load(server.url, questions, CLIENTS, SECONDS, expected, server_pid=server.pid)
    assert any("five hours" in reply for reply in expected.values())
    assert report.errors == 0, report.error_samples
    assert report.mismatches == 0
    assert report.requests >= 2 * CLIENTS, report.line()
    assert 1 < report.kb_p50 <= report.kb_max < 100, report.line()  # KB sent per answer
