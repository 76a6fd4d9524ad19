"""The interop world, built once per session on the shared ``live_server`` (harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from live import LiveServer

from .harness import Interop, build


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
