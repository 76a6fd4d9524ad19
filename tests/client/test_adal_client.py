"""The ADAL-shaped surface: v1 token URL, no discovery, ADAL's result dict."""

from __future__ import annotations

import datetime

import httpx
import jwt
import pytest

from credo import certs
from credo.client import CertificateCredential
from credo.client.adal import AuthenticationContext, ClientAssertionCertificate, ClientCredential
from credo.errors import InvalidClient, OAuthError

RESOURCE = "https://mail.contoso.example/"


@pytest.fixture
def pem(pair) -> str:
    return certs.private_key_pem(pair.key).decode()


@pytest.fixture
def thumbprint(pair) -> str:
    return certs.thumbprints(pair.cert).sha1_hex


@pytest.fixture
def context(entra, http, clock):
    return AuthenticationContext(f"{entra.HOST}/{entra.TENANT}", http_client=http, clock=clock)


def test_client_certificate_request_is_adal_shaped(context, entra, pem, thumbprint, clock):
    result = context.acquire_token_with_client_certificate(
        RESOURCE, entra.CLIENT_ID, pem, thumbprint)
    v1_url = f"{entra.HOST}/{entra.TENANT}/oauth2/token"
    assert entra.discovery == []
    assert [str(r.url) for r in entra.posts] == [v1_url]
    assert set(entra.forms[0]) == {"grant_type", "client_id", "resource",
                                   "client_assertion_type", "client_assertion"}
    assert entra.forms[0]["resource"] == RESOURCE
    [(header, claims)] = entra.assertions
    assert header["alg"] == "RS256" and "x5t" in header and "x5c" not in header
    assert claims["aud"] == v1_url
    assert result == {
        "tokenType": "Bearer",
        "expiresIn": 3599,
        "expiresOn": str(datetime.datetime.fromtimestamp(clock.now + 3599)),
        "resource": RESOURCE,
        "accessToken": result["accessToken"],
        "isMRRT": True,
        "_clientId": entra.CLIENT_ID,
        "_authority": f"{entra.HOST}/{entra.TENANT}",
    }
    assert jwt.decode(result["accessToken"], options={"verify_signature": False})["aud"] == (
        RESOURCE)


@pytest.mark.parametrize("style", [str.lower, lambda t: ":".join(
    t[i:i + 2] for i in range(0, 40, 2)), lambda t: " ".join(t[i:i + 2] for i in range(0, 40, 2))],
    ids=["lower", "colons", "spaces"])
def test_thumbprint_notations(context, entra, pem, thumbprint, style):
    context.acquire_token_with_client_certificate(RESOURCE, entra.CLIENT_ID, pem,
                                                  style(thumbprint))
    assert len(entra.assertions) == 1


@pytest.mark.parametrize("bad", ["", "abc", "zz" * 20, "ab" * 32])
def test_bad_thumbprints_are_refused(entra, pem, bad):
    with pytest.raises(ValueError, match="thumbprint"):
        ClientAssertionCertificate(entra.CLIENT_ID, pem, bad)


def test_pem_without_thumbprint_is_refused(entra, pem):
    with pytest.raises(ValueError, match="thumbprint"):
        ClientAssertionCertificate(entra.CLIENT_ID, pem)


def test_public_certificate_adds_x5c(context, entra, pair, pem, thumbprint):
    context.acquire_token_with_client_certificate(
        RESOURCE, entra.CLIENT_ID, pem, thumbprint, certs.certificate_pem(pair.cert).decode())
    assert len(entra.assertions[0][0]["x5c"]) == 1


def test_public_certificate_must_match_thumbprint(entra, stranger, pem, thumbprint):
    with pytest.raises(ValueError, match="does not match"):
        ClientAssertionCertificate(entra.CLIENT_ID, pem, thumbprint, public_certificate=(
            certs.certificate_pem(stranger.cert).decode()))


def test_certificate_credential_instead_of_pem(context, entra, pair, thumbprint):
    credential = ClientAssertionCertificate(
        entra.CLIENT_ID, CertificateCredential(pair.key, pair.cert), thumbprint)
    context.acquire_token(RESOURCE, credential)
    assert entra.assertions[0][0]["alg"] == "PS256"
    with pytest.raises(ValueError, match="does not match"):
        ClientAssertionCertificate(entra.CLIENT_ID, CertificateCredential(pair.key, pair.cert),
                                   "00" * 20)


def test_client_secret(context, entra):
    result = context.acquire_token_with_client_credentials(RESOURCE, entra.CLIENT_ID,
                                                           entra.secret)
    assert entra.forms[0] == {"grant_type": "client_credentials", "client_id": entra.CLIENT_ID,
                              "resource": RESOURCE, "client_secret": entra.secret}
    assert result["expiresIn"] == 3599


def test_cached_per_resource_until_300_seconds_before_expiry(context, entra, clock):
    credential = ClientCredential(entra.CLIENT_ID, entra.secret)
    first = context.acquire_token(RESOURCE, credential)
    assert context.acquire_token(RESOURCE, credential) == first
    context.acquire_token("https://other.example/", credential)
    assert len(entra.posts) == 2
    clock.now += 3599 - 300
    assert context.acquire_token(RESOURCE, credential)["expiresOn"] != first["expiresOn"]
    assert len(entra.posts) == 3


def test_common_is_replaced_by_tenant(entra, http, pem, thumbprint, clock):
    context = AuthenticationContext(f"{entra.HOST}/common", http_client=http, clock=clock)
    result = context.acquire_token_with_client_certificate(
        RESOURCE, entra.CLIENT_ID, pem, thumbprint, tenant=entra.TENANT)
    v1_url = f"{entra.HOST}/{entra.TENANT}/oauth2/token"
    assert str(entra.posts[0].url) == v1_url
    assert entra.assertions[0][1]["aud"] == v1_url
    assert result["_authority"] == f"{entra.HOST}/{entra.TENANT}"


@pytest.mark.parametrize("segment", ["common", "organizations"])
def test_common_without_tenant_explains(entra, http, segment):
    context = AuthenticationContext(f"{entra.HOST}/{segment}", http_client=http)
    with pytest.raises(ValueError, match="tenant-specific authority") as caught:
        context.acquire_token_with_client_credentials(RESOURCE, entra.CLIENT_ID, entra.secret)
    assert isinstance(caught.value.__cause__, OAuthError)
    assert caught.value.__cause__.code == 9001023
    assert str(entra.posts[0].url) == f"{entra.HOST}/{segment}/oauth2/token"


def test_common_other_errors_are_unchanged(entra, http):
    entra.queue.append(httpx.Response(401, json=entra.error("invalid_client", 7000215, "no")))
    context = AuthenticationContext(f"{entra.HOST}/common", http_client=http)
    with pytest.raises(InvalidClient):
        context.acquire_token_with_client_credentials(RESOURCE, entra.CLIENT_ID, "x")


def test_tenant_cannot_replace_a_specific_tenant(context, entra):
    with pytest.raises(ValueError, match="replaces only"):
        context.acquire_token_with_client_credentials(RESOURCE, entra.CLIENT_ID, "s",
                                                      tenant="fabrikam.example")
    assert entra.posts == []


@pytest.mark.parametrize("tenant", ["common", "a/b", "!"])
def test_tenant_must_be_specific(entra, http, tenant):
    context = AuthenticationContext(f"{entra.HOST}/common", http_client=http)
    with pytest.raises(ValueError):
        context.acquire_token_with_client_credentials(RESOURCE, entra.CLIENT_ID, "s",
                                                      tenant=tenant)


def test_typed_errors(context, entra):
    with pytest.raises(InvalidClient) as caught:
        context.acquire_token_with_client_credentials(RESOURCE, entra.CLIENT_ID, "wrong")
    assert caught.value.code == 7000215


@pytest.mark.parametrize("authority", [
    "https://login.example.test/a/b", "http://login.example.test/t", "https://login.example.test",
])
def test_adal_authority_rules(authority):
    with pytest.raises(ValueError):
        AuthenticationContext(authority)


def test_validate_authority_accepts_only_microsoft_hosts(entra):
    with pytest.raises(ValueError, match="validate_authority=False"):
        AuthenticationContext(f"{entra.HOST}/{entra.TENANT}", validate_authority=True)
    with AuthenticationContext("https://login.microsoftonline.com/contoso.example",
                               validate_authority=True) as context:
        assert context.authority.tenant == "contoso.example"


def test_injected_http_client_is_left_open(context, http):
    context.close()
    assert not http.is_closed


def test_empty_resource_is_refused(context, entra):
    with pytest.raises(ValueError, match="resource"):
        context.acquire_token_with_client_credentials("", entra.CLIENT_ID, "s")
