"""``make demo`` as CI runs it: the whole story against real processes, then nothing left.

The demo is started exactly as the Makefile starts it (``python -m examples.demo`` from the
repository root). Its own time budget is raised so that a loaded CI machine cannot fail it;
the subprocess timeout below only guards against a hang.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

HANG_GUARD = 900


def demo_env() -> dict[str, str]:
    return {**os.environ, "COLUMNS": "120", "PYTHONUNBUFFERED": "1"}


def work_dir(output: str) -> Path:
    match = re.search(r"working directory: (\S+)", output)
    assert match, output
    return Path(match.group(1))


def pids(output: str) -> list[int]:
    return [int(pid) for pid in re.findall(r"\(pid (\d+)", output)]


def assert_gone(pid: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_make_demo_tells_the_whole_story() -> None:
    done = subprocess.run([sys.executable, "-m", "examples.demo", "--timeout", "600"],
                          cwd=ROOT, env=demo_env(), capture_output=True, text=True,
                          timeout=HANG_GUARD)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output

    steps = re.findall(r"^✓ (.+?) \(\d+\.\d s\)\s*$", output, re.MULTILINE)
    assert len(steps) == 15, output
    # Mail was read, with both token libraries.
    assert "Unread mail in contoso.example: 9 messages in 5 mailboxes" in output
    assert re.search(r"credo\.client token \(app-only\) with roles: Calendars\.Read, Mail\.Read",
                     output)
    assert re.search(r"MSAL [\d.]+ token \(app-only\) with roles: Calendars\.Read, Mail\.Read",
                     output)
    assert "Invoice INV-20931 is due on Friday" in output
    # Mail.Read revoked: the API refuses the token that only holds Calendars.Read.
    assert re.search(r"with roles: Calendars\.Read\s*$", output, re.MULTILINE)
    assert "HTTP 403 insufficient_scope" in output
    assert "The token lacks the application permission 'Mail.Read'." in output
    # Everything revoked: Credo refuses to issue the token at all.
    assert "AADSTS501051" in output and "is not assigned to a role" in output
    assert "Demo complete" in output

    # It cleaned up: the servers are gone and so is the temporary directory.
    assert len(set(pids(output))) == 2
    for pid in pids(output):
        assert_gone(pid)
    assert not work_dir(output).exists()


def as_background_job() -> None:
    """What a shell does to a background job (``make demo &``, nohup): SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(("signum", "background"), [
    (signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c", "sigint-to-a-background-job", "sigterm"])
def test_interrupted_demo_stops_what_it_started(signum: signal.Signals,
                                                background: bool) -> None:
    process = subprocess.Popen([sys.executable, "-m", "examples.demo", "--timeout", "600"],
                               cwd=ROOT, env=demo_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               preexec_fn=as_background_job if background else None)
    assert process.stdout is not None
    lines: list[str] = []
    try:
        for line in process.stdout:  # until credo serve runs and a CLI command is under way
            lines.append(line)
            if line.startswith("✓ Start the server"):
                break
        # Let the next step's CLI subprocess start, then interrupt in the middle of it.
        time.sleep(1.0)
        process.send_signal(signum)
        rest, _ = process.communicate(timeout=HANG_GUARD)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    output = "".join(lines) + rest
    assert process.returncode == 130, output
    assert "interrupted" in output
    started = pids(output)
    assert started, output
    for pid in started:
        assert_gone(pid)
    assert not work_dir(output).exists()
