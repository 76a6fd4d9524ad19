"""The interop world, built once per session on the shared ``live_server`` (harness.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from live import LiveServer

from .harness import Interop, build
from .recording import RecordingSession


@pytest.fixture(scope="session")
def interop(live_server: LiveServer,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Interop]:
    """A tenant ``interop-<random>.test`` with Mail API (v1), a v2 API, a revocable API and a
    daemon holding a certificate and a secret, granted Mail.Read on all three."""
    world = build(live_server, tmp_path_factory.mktemp("interop"))
    try:
        yield world
    finally:
        world.api.close()


@pytest.fixture
def wire() -> Iterator[RecordingSession]:
    """A recording ``requests.Session`` for MSAL's ``http_client``, closed afterwards."""
    with RecordingSession() as session:
        yield session


@pytest.fixture(scope="session", autouse=True)
def _release_connections(live_server: LiveServer) -> Iterator[None]:
    """Before the server stops: free the clients' idle keep-alive connections.

    urllib3 2.8's ``PoolManager.clear()`` drops its pools without closing them, so even a
    closed ``requests.Session`` (MSAL's) keeps its sockets until garbage-collected; an idle
    TLS connection holds ``credo serve``'s graceful shutdown for asyncio's 30 s SSL shutdown
    timeout (``stop_server`` kills it after 15 s).
    """
    yield
    gc.collect()
