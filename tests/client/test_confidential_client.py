"""ConfidentialClient: discovery, the client credentials request (RFC 6749 §4.4), caching."""

from __future__ import annotations

import uuid

import httpx
import pytest

from credo.client import CertificateCredential, ClientSecret, ConfidentialClient
from credo.errors import (
    InvalidTenant,
)

SCOPE = "api://mail/.default"


def test_ps256_request_has_msal_wire_format(client, entra):
    token = client.acquire_token_for_client([SCOPE])
    [request] = entra.posts
    assert str(request.url) == entra.V2_TOKEN
    assert set(entra.forms[0]) == {"client_id", "grant_type", "scope", "client_assertion_type",
                                   "client_assertion"}
    assert entra.forms[0]["client_id"] == entra.CLIENT_ID
    assert entra.forms[0]["scope"] == SCOPE
    assert request.headers["accept"] == "application/json"
    assert request.headers["x-client-sku"] == "credo.python"
    assert request.headers["x-client-ver"]
    uuid.UUID(request.headers["client-request-id"])
    [(header, claims)] = entra.assertions
    assert header["alg"] == "PS256"
    assert claims["aud"] == entra.V2_TOKEN  # the *discovered* endpoint, with the tenant GUID
    assert token.token_type == "Bearer"
    assert token.expires_on == entra.NOW + 3599
    assert token.scopes == (SCOPE,)


def test_rs256_assertion_is_accepted(make, pair, entra):
    credential = CertificateCredential(pair.key, pair.cert, algorithm="RS256")
    make(credential).acquire_token_for_client([SCOPE])
    assert entra.assertions[0][0]["alg"] == "RS256"


def test_client_secret_in_body(make, entra):
    make(ClientSecret(entra.secret)).acquire_token_for_client([SCOPE])
    assert entra.forms[0]["client_secret"] == entra.secret
    assert "client_assertion" not in entra.forms[0]
    assert "authorization" not in entra.posts[0].headers


def test_discovery_happens_once(client, entra):
    client.acquire_token_for_client([SCOPE])
    client.acquire_token_for_client(["api://calendar/.default"])
    client.acquire_token_for_client([SCOPE], force_refresh=True)
    assert [str(r.url) for r in entra.discovery] == [
        f"{entra.HOST}/{entra.TENANT}/v2.0/.well-known/openid-configuration"]
    assert len(entra.posts) == 3
    assert client.token_endpoint == entra.V2_TOKEN


def test_cached_until_300_seconds_before_expiry(client, entra, clock):
    first = client.acquire_token_for_client([SCOPE])
    clock.now = first.expires_on - 301
    assert client.acquire_token_for_client([SCOPE]) is first
    assert len(entra.posts) == 1
    clock.now = first.expires_on - 300
    second = client.acquire_token_for_client([SCOPE])
    assert second is not first and len(entra.posts) == 2
    assert second.expires_on == clock.now + 3599


def test_cache_key_is_the_set_of_scopes(client, entra):
    client.acquire_token_for_client(["b/.default", "a/.default"])
    client.acquire_token_for_client(["a/.default", "b/.default", "a/.default"])
    assert len(entra.posts) == 1
    assert entra.forms[0]["scope"] == "a/.default b/.default"


def test_force_refresh_and_remove_tokens_bypass_the_cache(client, entra):
    client.acquire_token_for_client([SCOPE])
    client.acquire_token_for_client([SCOPE], force_refresh=True)
    client.remove_tokens()
    client.acquire_token_for_client([SCOPE])
    assert len(entra.posts) == 3


def test_refresh_before_is_configurable(make, entra, clock):
    client = make(refresh_before=3000)
    first = client.acquire_token_for_client([SCOPE])
    clock.now += 600
    assert client.acquire_token_for_client([SCOPE]) is not first


def test_assertion_reused_across_scopes_until_60_seconds_before_expiry(client, entra, clock):
    client.acquire_token_for_client(["a/.default"])
    clock.now += 539
    client.acquire_token_for_client(["b/.default"])
    clock.now += 1
    client.acquire_token_for_client(["c/.default"])
    jtis = [claims["jti"] for _, claims in entra.assertions]
    assert jtis[0] == jtis[1] != jtis[2]


def test_claims_decodes_without_verification(client):
    token = client.acquire_token_for_client([SCOPE])
    assert token.claims()["roles"] == ["Mail.Read"]
    assert token.access_token not in repr(token)
    assert token.expires_in(token.expires_on - 10) == 10


@pytest.mark.parametrize("authority", [
    "http://login.example.test/contoso", "ftp://login.example.test/contoso",
    "https://login.example.test", "https://login.example.test/", "login.example.test/contoso",
    "https://login.example.test/contoso?x=1", "https://login.example.test/con_toso",
])
def test_bad_authorities_are_refused(authority):
    with pytest.raises(ValueError):
        ConfidentialClient(authority, "id", credential=ClientSecret("s"))


def test_http_allowed_only_when_asked(entra, http):
    entra.token_endpoint = f"http://127.0.0.1:8080/{entra.TENANT_ID}/oauth2/v2.0/token"
    client = ConfidentialClient("http://127.0.0.1:8080/contoso", entra.CLIENT_ID,
                                credential=ClientSecret(entra.secret), http_client=http,
                                allow_insecure_http=True)
    assert client.acquire_token_for_client([SCOPE]).token_type == "Bearer"


def test_discovered_http_token_endpoint_is_refused(client, entra):
    entra.token_endpoint = f"http://login.example.test/{entra.TENANT_ID}/oauth2/v2.0/token"
    with pytest.raises(ValueError, match="token_endpoint"):
        client.acquire_token_for_client([SCOPE])
    assert entra.posts == []


def test_discovery_without_token_endpoint(client, entra):
    entra.discovery_answer = lambda: httpx.Response(200, json={"issuer": "x"})
    with pytest.raises(ValueError, match="no token_endpoint"):
        client.acquire_token_for_client([SCOPE])


def test_discovery_error_is_typed_and_not_cached(client, entra):
    entra.discovery_answer = lambda: httpx.Response(400, json=entra.error(
        "invalid_tenant", 90002, "Tenant 'contoso.example' not found."))
    with pytest.raises(InvalidTenant) as caught:
        client.acquire_token_for_client([SCOPE])
    assert caught.value.code == 90002
    entra.discovery_answer = None
    client.acquire_token_for_client([SCOPE])
    assert len(entra.discovery) == 2


@pytest.mark.parametrize(("scopes", "error"), [
    (SCOPE, TypeError), ([], ValueError), ([""], ValueError), (["a b"], ValueError),
])
def test_scopes_are_validated(client, scopes, error):
    with pytest.raises(error):
        client.acquire_token_for_client(scopes)


def test_injected_client_is_left_open(client, http):
    client.close()
    assert not http.is_closed


def test_own_client_is_closed():
    with ConfidentialClient("https://login.example.test/t", "id",
                            credential=ClientSecret("s"), verify=False) as client:
        own = client._sync_client()
    assert own.is_closed


async def test_async_variant_shares_flow_and_cache(make, entra, async_http):
    client = make(async_http_client=async_http)
    token = await client.acquire_token_for_client_async([SCOPE])
    assert await client.acquire_token_for_client_async([SCOPE]) is token
    assert client.acquire_token_for_client([SCOPE]) is token  # one cache for both
    assert len(entra.discovery) == len(entra.posts) == 1
    assert entra.assertions[0][1]["aud"] == entra.V2_TOKEN


async def test_own_async_client_is_closed():
    async with ConfidentialClient("https://login.example.test/t", "id",
                                  credential=ClientSecret("s")) as client:
        own = client._async_client()
    assert own.is_closed
