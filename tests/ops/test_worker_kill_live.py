"""One worker of ``credo serve --workers 2`` SIGKILLed under load (docs/operations.md).

Eight clients request tokens over keep-alive connections, spread over both workers. The
kill fails at most the requests in flight on the killed worker (one per client connected
to it, so fewer than eight), and only as dropped connections, never an HTTP error; the other
worker keeps answering while the supervisor starts a replacement, and afterwards every
request succeeds.
"""

from __future__ import annotations

import os
import signal
import ssl
import time
from pathlib import Path

import pytest

from live import start_server, stop_server

from .faults import Load, directory, outcomes, secret_form, summary, workers

pytestmark = pytest.mark.slow
THREADS = 8


def test_a_killed_worker_is_replaced_and_only_its_requests_fail(tmp_path: Path) -> None:
    server = start_server(tmp_path / "credo", workers=2)
    try:
        assert len(workers(server.process.pid)) == 2
        context = ssl.create_default_context(cafile=str(server.ca_path))
        world = directory(server.url, server.data_dir, context, tmp_path / "apps")
        load = Load(f"{server.url}/{world.entra.id}/oauth2/v2.0/token",
                    secret_form(world.secret_daemon, world.entra_api), context,
                    threads=THREADS, pause=0.01).start()
        time.sleep(2)
        before = workers(server.process.pid)
        victim = min(before)
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        while len(after := workers(server.process.pid) - {victim}) < 2:
            assert time.monotonic() - killed < 60, "no replacement worker"
            time.sleep(0.05)
        replaced = time.monotonic() - killed
        time.sleep(3)
        answers = load.stop()
    finally:
        stop_server(server)
    failures = [a for a in answers if a.status != 200]
    assert len(failures) < THREADS, outcomes(answers)
    assert all(a.status == 0 for a in failures), outcomes(answers)  # dropped, not refused
    assert all(a.sent <= killed + 0.5 for a in failures), "only requests in flight failed"
    served_meanwhile = [a for a in answers if killed < a.sent and a.done < killed + replaced
                        and a.status == 200]
    assert served_meanwhile, "the other worker kept serving"
    assert len(after - before) == 1
    print(summary("worker-killed", answers, replacement_s=replaced,
                  served_while_replacing=len(served_meanwhile)))
