"""Shared checks for the plugin's tests: nothing may leave loopback; tokens as an API sees them."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from credo.resource import Principal, TokenValidator
from credo.testing import Api, Tenant

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse (and report) every name look-up other than loopback: MSAL's instance
    discovery would resolve ``login.microsoftonline.com`` first."""
    looked_up: list[str] = []
    resolve = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK:
            looked_up.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"{name} is not loopback (test guard)")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield looked_up
    assert looked_up == [], f"the test tried to reach {looked_up}"


def verified(tenant: Tenant, api: Api, token: str) -> Principal:
    """``token`` checked as ``api`` would: signature by the tenant's JWKS, issuer, audience."""
    validator = TokenValidator(tenant.authority_url, [api.identifier_uri, api.app_id],
                               verify=tenant.authority.ssl_context())
    try:
        return validator.validate_sync(token)
    finally:
        validator.close()
