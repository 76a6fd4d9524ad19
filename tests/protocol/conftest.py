"""Pure-protocol fixtures: real RSA keys (generated once per session) and an assertion runner."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from credo.model import Application, Profile
from credo.protocol.client_auth import AuthenticatedClient

from .factory import APP_ID, NOW, Pki, assertion_request, authenticate, make_cert


@pytest.fixture(scope="session")
def pki() -> Pki:
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2)]
    return Pki(make_cert(keys[0], "daemon-a"), make_cert(keys[1], "daemon-b"))


@pytest.fixture
def run(pki: Pki) -> Callable[..., AuthenticatedClient]:
    """``run(assertion, profile=..., client_id=..., app=...)``: authenticate an assertion."""
    def _run(assertion: str, profile: Profile = "entra", *, client_id: str | None = APP_ID,
             app: Application | None = None, now: float = NOW) -> AuthenticatedClient:
        return authenticate(assertion_request(assertion, client_id=client_id),
                            app or pki.app, profile, now=now)
    return _run


