"""``/metrics`` of a real ``credo serve --workers 2``: prometheus-client's multiprocess mode
adds every worker's counts up, the directory is cleaned at start, a killed worker's live
gauges are forgotten while its counts stay."""

from __future__ import annotations

import os
import signal
import time
import urllib.request
import uuid
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from live import free_port, start_server, stop_server

pytestmark = pytest.mark.slow
TOKEN_ROUTE = "/{tenant}/oauth2/v2.0/token"


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_two_workers_add_up_and_a_killed_worker_is_forgotten(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by an older run")
    port = free_port()
    server = start_server(tmp_path / "credo", workers=2, env={
        "CREDO_METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
    try:
        assert not (metrics_dir / "counter_999999.db").exists()
        before = scrape(port)
        unknown = ("credo_token_requests_total", dict(grant_type="client_credentials",
                                                      outcome="failure", aadsts="700016"))
        sent = 30
        for _ in range(sent):  # a new connection each: both workers answer some
            with httpx.Client(verify=server.ssl_context(), timeout=30) as http:
                response = http.post(f"{server.url}/{server.bootstrap_tenant}/oauth2/v2.0/token",
                                     data={"grant_type": "client_credentials",
                                           "client_id": str(uuid.uuid4()), "client_secret": "x",
                                           "scope": "api://credo/.default"})
            assert response.status_code == 400 and "AADSTS700016" in response.text
        after = scrape(port)
        assert value(after, unknown[0], **unknown[1]) - value(before, unknown[0],
                                                              **unknown[1]) == sent
        route = dict(route=TOKEN_ROUTE, method="POST", status="400")
        assert value(after, "credo_http_request_duration_seconds_count", **route) >= sent
        assert value(after, "credo_http_request_duration_seconds_bucket", le="+Inf",
                     **route) >= sent
        assert value(after, "credo_db_pool_size") >= 0
        assert ("credo_directory_cache_age_seconds", ()) in after
        pids = sorted({int(f.stem.rsplit("_", 1)[1]) for f in metrics_dir.glob("gauge_live*")})
        assert len(pids) == 2, pids
        os.kill(pids[0], signal.SIGKILL)
        for _ in range(100):  # until the signal has landed; then one scrape forgets it
            kept = scrape(port)
            if not list(metrics_dir.glob(f"gauge_live*_{pids[0]}.db")):
                break
            time.sleep(0.1)
        assert not list(metrics_dir.glob(f"gauge_live*_{pids[0]}.db"))
        assert value(kept, unknown[0], **unknown[1]) == value(after, unknown[0], **unknown[1])
        _replacement_started(metrics_dir, set(pids))
    finally:
        stop_server(server)
    assert not list(metrics_dir.glob("gauge_live*"))  # the workers marked their own exit


def _replacement_started(metrics_dir: Path, known: set[int]) -> None:
    """``credo serve`` replaces the killed worker; wait until the new one has started (its
    background tasks set a live gauge), so that stopping the server finds it running."""
    for _ in range(600):
        found = {int(f.stem.rsplit("_", 1)[1]) for f in metrics_dir.glob("gauge_live*")}
        if found - known:
            return
        time.sleep(0.1)
    raise AssertionError("no replacement worker started")
