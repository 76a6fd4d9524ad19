"""Shared fixtures: a real ``credo serve`` over HTTPS (``live.py``).

PostgreSQL and Redis availability: ``availability.require_or_skip``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from live import LiveServer, start_server, stop_server


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real HTTPS server for the slow suites (interop, CLI walk-through)."""
    server = start_server(tmp_path_factory.mktemp("credo-live"))
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture
def trust_ca(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """requests honours REQUESTS_CA_BUNDLE over ``Session.verify``: point it at our CA."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(live_server.ca_path))
    return live_server.ca_path
