"""ConfidentialClient errors: typed OAuth errors (RFC 6749 §5.2), 429/5xx, retries."""

from __future__ import annotations

import uuid
from email.utils import formatdate

import httpx
import pytest

from credo.client import AccessToken, CertificateCredential, ClientSecret
from credo.errors import InvalidClient, InvalidScope, OAuthError, TemporarilyUnavailable

SCOPE = "api://mail/.default"


def test_typed_error_with_aadsts_code_and_correlation_id(make, entra):
    with pytest.raises(InvalidClient) as caught:
        make(ClientSecret("wrong")).acquire_token_for_client([SCOPE])
    error = caught.value
    assert (error.error, error.code, error.codes, error.http_status) == (
        "invalid_client", 7000215, [7000215], 401)
    assert error.aadsts == "AADSTS7000215"
    assert error.description.startswith("Invalid client secret provided. Trace ID: ")
    assert error.correlation_id == entra.posts[0].headers["client-request-id"]
    uuid.UUID(error.trace_id)


def test_unregistered_certificate_is_refused(make, stranger, entra):
    client = make(CertificateCredential(stranger.key, stranger.cert))
    with pytest.raises(InvalidClient) as caught:
        client.acquire_token_for_client([SCOPE])
    assert caught.value.code == 700027


def test_invalid_scope_is_typed(client, entra):
    entra.queue.append(httpx.Response(400, json=entra.error(
        "invalid_scope", 1002012, "The provided value for scope x is not valid.")))
    with pytest.raises(InvalidScope) as caught:
        client.acquire_token_for_client(["x"])
    assert caught.value.code == 1002012 and caught.value.http_status == 400


@pytest.mark.parametrize(("response", "status", "retry_after"), [
    (httpx.Response(500, text="<html>oops</html>"), 500, 5),
    (httpx.Response(502, json={"message": "bad gateway"}), 502, 5),
    (httpx.Response(503, headers={"Retry-After": "7"}), 503, 7),
    (httpx.Response(429, headers={"Retry-After": "12"}, json={
        "error": "temporarily_unavailable", "error_description": "AADSTS90055: throttled",
        "error_codes": [90055]}), 429, 12),
    (httpx.Response(500, json={"error": "server_error", "error_codes": [1]}), 500, 5),
], ids=["500-html", "502-json-no-error", "503-retry-after", "429-entra", "500-oauth-error"])
def test_server_failures_raise_temporarily_unavailable(client, entra, response, status,
                                                       retry_after):
    entra.queue.append(response)
    with pytest.raises(TemporarilyUnavailable) as caught:
        client.acquire_token_for_client([SCOPE])
    assert caught.value.http_status == status
    assert caught.value.retry_after == retry_after
    assert caught.value.headers["Retry-After"] == str(retry_after)


def test_throttling_keeps_the_aadsts_code(client, entra):
    entra.queue.append(httpx.Response(429, headers={"Retry-After": "3"}, json=entra.error(
        "invalid_request", 90055, "Too many requests.")))
    with pytest.raises(TemporarilyUnavailable) as caught:
        client.acquire_token_for_client([SCOPE])
    assert (caught.value.code, caught.value.retry_after) == (90055, 3)
    assert caught.value.correlation_id is not None


def test_retry_after_as_http_date(client, entra, clock):
    date = formatdate(clock.now + 30, usegmt=True)
    entra.queue.append(httpx.Response(503, headers={"Retry-After": date}))
    with pytest.raises(TemporarilyUnavailable) as caught:
        client.acquire_token_for_client([SCOPE])
    assert caught.value.retry_after == 30


@pytest.mark.parametrize("response", [
    httpx.Response(200, text="not json"),
    httpx.Response(200, json=["a list"]),
    httpx.Response(200, json={"token_type": "Bearer", "expires_in": 3599}),
    httpx.Response(200, json={"access_token": "x", "expires_in": "soon"}),
    httpx.Response(404, text="Not Found"),
], ids=["text", "list", "no-access-token", "no-lifetime", "404-text"])
def test_malformed_answers_raise(client, entra, response):
    entra.queue.append(response)
    with pytest.raises(TemporarilyUnavailable) as caught:
        client.acquire_token_for_client([SCOPE])
    assert caught.value.code == 0
    assert caught.value.http_status == response.status_code


def test_v1_style_string_numbers_are_accepted(client, entra, clock):
    entra.queue.append(httpx.Response(200, json={
        "token_type": "Bearer", "expires_in": "3599", "access_token": "opaque"}))
    assert client.acquire_token_for_client([SCOPE]).expires_on == clock.now + 3599


def test_network_error_is_chained(client, entra):
    entra.queue.append(httpx.ConnectError("connection refused"))
    with pytest.raises(TemporarilyUnavailable) as caught:
        client.acquire_token_for_client([SCOPE])
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert caught.value.code == 0
    assert "login.example.test" in caught.value.description


def test_max_retries_honours_retry_after(make, entra, sleeps):
    client = make(max_retries=2)
    entra.queue += [httpx.Response(503, headers={"Retry-After": "4"}),
                    httpx.ReadTimeout("slow")]
    token = client.acquire_token_for_client([SCOPE])
    assert isinstance(token, AccessToken)
    assert sleeps == [4.0, 1.0]
    ids = [r.headers["client-request-id"] for r in entra.posts]
    assert len(ids) == 3 and len(set(ids)) == 3


def test_retries_stop_at_max_retries(make, entra, sleeps):
    client = make(max_retries=1)
    entra.queue += [httpx.Response(429, headers={"Retry-After": "0"})] * 2
    with pytest.raises(TemporarilyUnavailable):
        client.acquire_token_for_client([SCOPE])
    assert len(entra.posts) == 2 and sleeps == [0.0]


def test_long_retry_after_is_raised_not_slept_on(make, entra, sleeps):
    client = make(max_retries=3)
    entra.queue.append(httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(TemporarilyUnavailable) as caught:
        client.acquire_token_for_client([SCOPE])
    assert caught.value.retry_after == 3600 and len(entra.posts) == 1 and sleeps == []


def test_oauth_errors_are_not_retried(make, entra):
    client = make(max_retries=3)
    entra.queue.append(httpx.Response(400, json=entra.error("invalid_scope", 70011, "bad")))
    with pytest.raises(InvalidScope):
        client.acquire_token_for_client([SCOPE])
    assert len(entra.posts) == 1


async def test_async_errors_are_typed(make, entra, async_http, sleeps):
    client = make(async_http_client=async_http, max_retries=1)
    entra.queue += [httpx.ConnectTimeout("t"), httpx.Response(400, json=entra.error(
        "invalid_scope", 1002012, "bad scope"))]
    with pytest.raises(OAuthError) as caught:
        await client.acquire_token_for_client_async([SCOPE])
    assert isinstance(caught.value, InvalidScope) and len(entra.posts) == 2
    assert sleeps == [1.0]


async def test_async_network_error(make, entra, async_http):
    client = make(async_http_client=async_http)
    entra.queue.append(httpx.ConnectError("refused"))
    with pytest.raises(TemporarilyUnavailable) as caught:
        await client.acquire_token_for_client_async([SCOPE])
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
