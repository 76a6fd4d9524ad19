"""What every client above relies on: the tenant's discovery documents and its JWKS."""

from __future__ import annotations

import json
import urllib.request

import pytest

from .harness import Interop

pytestmark = pytest.mark.slow
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


@pytest.mark.parametrize("by", ["domain", "guid"])
def test_discovery_documents(interop: Interop, by: str) -> None:
    tenant = interop.domain if by == "domain" else interop.tenant_id
    v2 = interop.server.get_json(f"/{tenant}/v2.0/.well-known/openid-configuration")
    v1 = interop.server.get_json(f"/{tenant}/.well-known/openid-configuration")
    assert isinstance(v1, dict) and isinstance(v2, dict)
    base = f"{interop.url}/{interop.tenant_id}"
    assert v2["issuer"] == f"{base}/v2.0" and v1["issuer"] == f"{base}/", (v1, v2)
    assert v2["token_endpoint"] == f"{base}/oauth2/v2.0/token", v2
    assert v1["token_endpoint"] == f"{base}/oauth2/token", v1
    assert v2["authorization_endpoint"].startswith(f"{base}/"), v2  # MSAL requires it
    for document in (v1, v2):
        for name, value in document.items():
            if name.endswith(("_endpoint", "_uri")):
                assert value.startswith("https://"), (name, value)


@pytest.mark.parametrize("version", [1, 2])
def test_jwks_public_rsa_keys_only(interop: Interop, version: int) -> None:
    uri = interop.discovery[version]["jwks_uri"]
    with urllib.request.urlopen(uri, context=interop.ssl_context(), timeout=10) as response:
        assert response.status == 200 and response.url == uri  # no redirect
        keys = json.load(response)["keys"]
    assert keys
    for key in keys:
        assert {"kty", "use", "kid", "x5t", "n", "e", "x5c"} <= key.keys(), key
        assert key["kty"] == "RSA" and key["use"] == "sig" and key["kid"] == key["x5t"], key
        assert not PRIVATE_MEMBERS & key.keys(), sorted(key)
