"""``make bench``'s own parts: the lean sketch's launcher, the summary's bound line, and
``http_cycle.py``'s protocols.

The launcher runs here against a stand-in sketch (an ASGI app answering with its process
id), so the test needs neither the shared harness nor a venv of its own: every process
listens on its own socket, speaks HTTPS, and stops with its parent.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import uvloop
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from credo import local_ca
from live import free_port

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import lean_peer  # noqa: E402
import profile_live  # noqa: E402
import token_bench  # noqa: E402
from http_cycle import Direct, HttpToolsProtocol, LimitedHttpProtocol, per_request  # noqa: E402

STAND_IN = """
import os

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = str(os.getpid()).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
"""


def test_each_worker_runs_code_that_compiles() -> None:
    """The worker's code is a string handed to ``python -c``: nothing else would notice."""
    compile(lean_peer.SERVE, "lean_peer.SERVE", "exec")


def listening_sockets(port: int) -> int:
    """LISTEN entries for 127.0.0.1:``port`` in /proc/net/tcp (state 0A)."""
    wanted = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as table:
        return sum(1 for line in table.readlines()[1:]
                   if line.split()[1] == wanted and line.split()[3] == "0A")


@pytest.mark.slow
def test_lean_peer_serves_https_from_each_process_on_its_own_socket(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(STAND_IN)
    ca_key, ca = local_ca.create_ca("bench test CA")
    key, cert = local_ca.issue_server_certificate(ca_key, ca, [], ["127.0.0.1"])
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(Encoding.PEM))
    (tmp_path / "server.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    (tmp_path / "server.key.pem").write_bytes(key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    port = free_port()
    log = tmp_path / "lean.log"
    with open(log, "wb") as out:
        launcher = subprocess.Popen(
            [sys.executable, str(REPO / "bench" / "lean_peer.py"), "--sketch", str(tmp_path),
             "--port", str(port), "--workers", "2", "--cert", str(tmp_path / "server.pem"),
             "--key", str(tmp_path / "server.key.pem")], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while log.read_text().count(": listening") < 2:
            assert launcher.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert listening_sockets(port) == 2
        context = ssl.create_default_context(cafile=str(tmp_path / "ca.pem"))
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/token", context=context,
                                    timeout=10) as response:
            assert response.status == 200
            assert int(response.read()) in children(launcher.pid)
    finally:
        launcher.send_signal(signal.SIGTERM)
        launcher.wait(timeout=30)
    assert listening_sockets(port) == 0


def children(pid: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def row(peer: str, ok_per_s: float, server_cores: float) -> dict[str, Any]:
    return {"label": f"{peer} rep1", "connections": 16, "ok_per_s": ok_per_s, "p50_ms": 5.0,
            "p99_ms": 10.0, "cpu_cores": {"server": server_cores, "other": 0.01}}


def test_summary_prints_the_lean_bound_beyond_rsa() -> None:
    rows = [row("credo-entra", 3000.0, 1.8), row("node2", 2400.0, 1.8),
            row("py-lean", 4500.0, 1.8)]
    crypto = {"tokens_per_core": 1000 / 0.3}  # 0.300 ms of RSA per token
    md, data = token_bench.summarize(token_bench.Config(concs=[16]), rows, crypto, [], {}, {})
    bound = next(line for line in md.splitlines() if line.startswith("| (bound"))
    # CPU per token: credo 1.8 / 3000 = 0.600 ms, lean 1.8 / 4500 = 0.400 ms
    assert ("| 0.400 ms (= 1.33x crypto); beyond RSA 0.300 ms against 0.100 ms; 1.88x node2 "
            "| n/a |") in bound
    assert data["ratios"]["lean_cpu_ms_per_token"] == pytest.approx(0.4)
    assert json.dumps(data)  # the summary's JSON file is written from this
    assert "- py-lean: 2500 tokens/s per server core = 75% of the RSA ceiling" in md


def test_summary_prints_the_strict_bound_with_a_shared_redis() -> None:
    rows = [row("credo-strict", 2700.0, 1.8), row("node2", 2400.0, 1.8),
            row("py-lean-redis", 3600.0, 1.8)]
    md, data = token_bench.summarize(token_bench.Config(concs=[16]), rows,
                                     {"tokens_per_core": 1000 / 0.3}, [], {}, {})
    [bound] = [line for line in md.splitlines() if line.startswith("| (bound")]
    # CPU per token: strict 1.8 / 2700 = 0.667 ms, the sketch 1.8 / 3600 = 0.500 ms
    assert "Redis" in bound
    assert bound.endswith("| 0.500 ms against 0.667 ms; 1.50x node2 (strict 1.12x) | n/a |")
    assert data["ratios"]["lean_redis_cpu_ms_per_token"] == pytest.approx(0.5)
    assert "- py-lean-redis: 2000 tokens/s per server core = 60% of the RSA ceiling" in md


def test_no_bound_line_without_the_lean_sketch() -> None:
    md, data = token_bench.summarize(token_bench.Config(concs=[16]),
                                     [row("credo-entra", 3000.0, 1.8)], {}, [], {}, {})
    assert "(bound" not in md
    assert data["ratios"]["lean_cpu_ms_per_token"] is None
    assert data["ratios"]["lean_redis_cpu_ms_per_token"] is None


def test_http_cycle_counts_writes_per_response() -> None:
    """``http_cycle.py`` drives each protocol for real: uvicorn writes a response's head and
    body apart, Credo's protocol (``Corked``) and the prototype write it once."""
    writes = {protocol.__name__: uvloop.run(per_request(protocol, 50))[1]
              for protocol in (HttpToolsProtocol, LimitedHttpProtocol, Direct)}
    assert writes == {"HttpToolsProtocol": 110, "LimitedHttpProtocol": 55, "Direct": 55}


def test_thread_split_counts_the_kernels_ticks_per_token() -> None:
    """Event loops are the threads whose id is their process's; a thread that started
    during the window counts from zero."""
    hz = os.sysconf("SC_CLK_TCK")
    before = {(10, 10): 0, (10, 11): 5, (20, 20): 100}
    after = {(10, 10): hz, (10, 11): 5 + hz // 2, (20, 20): 100 + hz, (20, 21): hz // 2}
    loop, other = profile_live.thread_split(before, after, tokens=1000)
    assert (loop, other) == (pytest.approx(2.0), pytest.approx(1.0))


def test_thread_ticks_reads_this_process() -> None:
    ticks = profile_live.thread_ticks([os.getpid()])
    assert (os.getpid(), os.getpid()) in ticks
    assert all(t >= 0 for t in ticks.values())


def test_samples_of_each_thread_kind_weigh_the_kernels_count() -> None:
    """90 event-loop samples share 0.5 ms, 10 database-thread samples 0.05 ms: the thread's
    category gets 0.05 ms, not the tenth of the total its samples would say."""
    loop = ["<module> (<string>:1)", "Runner.run (asyncio/runners.py:118)",
            "Signer.sign (credo/jose.py:170)"]
    thread = ["Thread._bootstrap (threading.py:1002)",
              "_connection_worker_thread (aiosqlite/core.py:63)"]
    sampled = [(loop, 90), (thread, 10)]
    total, cats, _, _ = profile_live.fold(sampled, profile_live.weights(sampled, (0.5, 0.05)))
    assert total == pytest.approx(0.55)
    assert cats["SQL (SQLAlchemy; aiosqlite's thread: audit inserts, polls)"] == \
        pytest.approx(0.05)
    assert cats["RSA sign (access token)"] == pytest.approx(0.5)
    assert profile_live.weights(sampled, None) == (1.0, 1.0)
