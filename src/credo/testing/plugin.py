"""The pytest plugin (entry point ``pytest11``: installing Credo is enough).

``credo_authority`` (session): a real Credo for the whole test session, started at its
first use; ``credo_tenant`` (function): a fresh tenant for each test. Loading the plugin
imports nothing but pytest, so test runs that use neither fixture pay nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from credo.testing.authority import Authority
    from credo.testing.tenant import Tenant


@pytest.fixture(scope="session")
def credo_authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Authority]:
    """A real Credo over HTTPS on a free loopback port, its CA trusted by this process."""
    from credo.testing.authority import serve

    with serve(tmp_path_factory.mktemp("credo")) as authority:
        yield authority


@pytest.fixture
def credo_tenant(credo_authority: Authority) -> Iterator[Tenant]:
    """A new tenant (``<random>.test``) of the session's Credo, for one test; the
    applications registered in it are deleted afterwards."""
    with credo_authority.tenant() as tenant:
        yield tenant
