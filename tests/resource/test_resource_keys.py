"""Discovery and JWKS caching: refetch on an unknown ``kid`` (once, rate-limited), rotation,
keys the validator must ignore, unreachable authorities, and single-flight fetching."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from resource_fakes import (
    DOMAIN,
    HOST,
    TENANT_ID,
    Clock,
    FakeAuthority,
    Key,
    app_claims,
    sign,
)

from credo.errors import TokenValidationError
from credo.resource import MetadataUnavailable, TokenValidator
from credo.resource.keys import COLD_RETRY

JWKS_V2 = f"/{TENANT_ID}/discovery/v2.0/keys"


def unknown(kid: str) -> str:
    return f"The signing key '{kid}' is not in the authority's key set."


def matches(description: str) -> str:
    return re.escape(description)


async def test_unknown_kid_refetches_once_then_is_rate_limited(
        authority: FakeAuthority, keys: Any, clock: Clock) -> None:
    validator = authority.validator(clock=clock)
    await validator.validate(sign(keys.primary, app_claims()))
    assert authority.count(JWKS_V2) == 1

    with pytest.raises(TokenValidationError) as caught:
        await validator.validate(sign(keys.stranger, app_claims(), kid="sprayed-1"))
    assert caught.value.description == unknown("sprayed-1")
    assert authority.count(JWKS_V2) == 2  # exactly one refetch

    clock.now += 299  # within jwks_refresh_min_interval (300 s): no fetch for a new kid
    for n in range(2, 50):
        with pytest.raises(TokenValidationError, match=matches(unknown(f"sprayed-{n}"))):
            await validator.validate(sign(keys.stranger, app_claims(), kid=f"sprayed-{n}"))
    assert authority.count(JWKS_V2) == 2

    clock.now += 1  # the interval has passed: one more refetch is allowed
    with pytest.raises(TokenValidationError, match=matches(unknown("sprayed-50"))):
        await validator.validate(sign(keys.stranger, app_claims(), kid="sprayed-50"))
    assert authority.count(JWKS_V2) == 3
    assert authority.count("openid-configuration") == 1  # discovery is not refetched


async def test_rotated_key_is_picked_up_by_the_refetch(authority: FakeAuthority, keys: Any,
                                                       clock: Clock) -> None:
    validator = authority.validator(clock=clock)
    await validator.validate(sign(keys.primary, app_claims()))
    authority.publish(keys.primary, keys.rotated)  # the authority rolls a new key in
    principal = await validator.validate(sign(keys.rotated, app_claims()))
    assert principal.tenant_id == TENANT_ID
    assert authority.count(JWKS_V2) == 2
    authority.publish(keys.rotated)  # the old key is retired; cached copies still verify
    await validator.validate(sign(keys.primary, app_claims()))
    assert authority.count(JWKS_V2) == 2


async def test_rotation_right_after_a_refetch_waits_for_the_interval(
        authority: FakeAuthority, keys: Any, clock: Clock) -> None:
    validator = authority.validator(clock=clock, jwks_refresh_min_interval=60)
    await validator.validate(sign(keys.primary, app_claims()))
    with pytest.raises(TokenValidationError):
        await validator.validate(sign(keys.primary, app_claims(), kid="garbage"))
    authority.publish(keys.primary, keys.rotated)
    with pytest.raises(TokenValidationError, match=matches(unknown(keys.rotated.kid))):
        await validator.validate(sign(keys.rotated, app_claims()))
    clock.now += 60
    assert (await validator.validate(sign(keys.rotated, app_claims()))).tenant_id == TENANT_ID


async def test_key_sets_expire_after_the_metadata_ttl(authority: FakeAuthority, keys: Any,
                                                      clock: Clock) -> None:
    validator = authority.validator(clock=clock, metadata_ttl=3600)
    token = sign(keys.primary, {**app_claims(), "exp": int(clock.now) + 7200})
    await validator.validate(token)
    clock.now += 3600
    await validator.validate(token)
    assert authority.count(JWKS_V2) == 2 and authority.count("openid-configuration") == 2


@pytest.mark.parametrize("use", ["enc", "other"])
async def test_keys_not_for_signatures_are_ignored(authority: FakeAuthority, keys: Any,
                                                   use: str) -> None:
    authority.publish(keys.primary, use=use)
    with pytest.raises(TokenValidationError) as caught:
        await authority.validator().validate(sign(keys.primary, app_claims()))
    assert caught.value.description == unknown(keys.primary.kid)
    assert authority.count(JWKS_V2) == 2  # fetched, refetched, still not a signing key


async def test_a_jwk_without_use_is_a_signing_key(authority: FakeAuthority, keys: Any) -> None:
    jwk = keys.primary.jwk()
    del jwk["use"]
    authority.published = [jwk]
    await authority.validator().validate(sign(keys.primary, app_claims()))


@pytest.mark.parametrize("header", [
    {"jwk": "stranger"}, {"jku": "https://evil.test/keys"},
    {"x5u": "https://evil.test/cert.pem"}, {"x5c": "stranger"},
], ids=["jwk", "jku", "x5u", "x5c"])
async def test_keys_named_by_the_token_header_are_never_used(
        authority: FakeAuthority, keys: Any, header: dict[str, Any]) -> None:
    stranger: Key = keys.stranger
    values = {"stranger": stranger.jwk() if "jwk" in header else stranger.jwk()["x5c"]}
    extra = {name: values.get(value, value) for name, value in header.items()}
    token = sign(stranger, app_claims(), **extra)
    with pytest.raises(TokenValidationError, match=matches(unknown(stranger.kid))):
        await authority.validator().validate(token)
    assert all(not path.startswith(("/keys", "/cert")) for path in authority.requests)
    # Claiming the authority's kid with the stranger's key embedded: the signature fails.
    token = sign(stranger, app_claims(), kid=keys.primary.kid, **extra)
    with pytest.raises(TokenValidationError, match=r"The token signature is invalid\."):
        await authority.validator().validate(token)


async def test_weak_foreign_and_broken_keys_are_skipped(authority: FakeAuthority,
                                                        keys: Any) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    curve = ec.generate_private_key(ec.SECP256R1())
    authority.published = [
        {**RSAAlgorithm.to_jwk(weak.public_key(), as_dict=True), "kid": "weak", "use": "sig"},
        {**ECAlgorithm.to_jwk(curve.public_key(), as_dict=True), "kid": "ec", "use": "sig"},
        {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB"}, "not-an-object",
        keys.primary.jwk(), {**keys.stranger.jwk(), "kid": keys.primary.kid},  # first wins
    ]
    validator = authority.validator()
    await validator.validate(sign(keys.primary, app_claims()))
    for kid in ("weak", "ec", "broken"):
        with pytest.raises(TokenValidationError, match=matches(unknown(kid))):
            await validator.validate(sign(keys.primary, app_claims(), kid=kid))


async def test_authority_down_on_first_use(authority: FakeAuthority, keys: Any) -> None:
    authority.failing = True
    with pytest.raises(MetadataUnavailable) as caught:
        await authority.validator().validate(sign(keys.primary, app_claims()))
    assert caught.value.description == (
        f"{HOST}/{DOMAIN}/v2.0/.well-known/openid-configuration answered HTTP 500.")


async def test_authority_unreachable(keys: Any) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    validator = TokenValidator(f"{HOST}/{DOMAIN}", "api://mail", http_client=client)
    with pytest.raises(MetadataUnavailable) as caught:
        await validator.validate(sign(keys.primary, app_claims()))
    assert caught.value.description == (
        f"The authority metadata at {HOST}/{DOMAIN}/v2.0/.well-known/openid-configuration "
        "could not be fetched.")
    assert caught.value.detail == "ConnectError: connection refused"


async def test_stale_keys_are_kept_while_the_authority_is_down(
        authority: FakeAuthority, keys: Any, clock: Clock) -> None:
    validator = authority.validator(clock=clock, metadata_ttl=3600)
    token = sign(keys.primary, {**app_claims(), "exp": int(clock.now) + 86400})
    await validator.validate(token)
    authority.failing = True
    clock.now += 3600
    await validator.validate(token)  # refresh failed; the cached copies still serve
    fetches = len(authority.requests)
    clock.now += 100
    await validator.validate(token)  # no retry until jwks_refresh_min_interval has passed
    assert len(authority.requests) == fetches
    authority.failing = False
    clock.now += 200
    await validator.validate(token)
    assert len(authority.requests) == fetches + 2


@pytest.mark.parametrize(("response", "description"), [
    (httpx.Response(200, text="<html>"), "{url} did not answer JSON."),
    (httpx.Response(200, json=[]), "{url} did not answer a JSON object."),
    (httpx.Response(200, json={"jwks_uri": "https://x.test/k"}),
     "The discovery document at {url} has no issuer."),
    (httpx.Response(200, json={"issuer": "https://x.test/t/v2.0"}),
     "The discovery document at {url} has no jwks_uri."),
    (httpx.Response(200, json={"issuer": "https://x.test/t/v2.0",
                               "jwks_uri": "http://x.test/keys"}),
     "The discovery document at {url} has an unusable jwks_uri."),
    (httpx.Response(200, content=b" " * (512 * 1024 + 1)),
     "{url} answered more than 524288 bytes."),
], ids=["html", "array", "no issuer", "no jwks_uri", "http jwks_uri", "too big"])
async def test_unusable_discovery_documents(keys: Any, response: httpx.Response,
                                            description: str) -> None:
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: response))
    url = f"{HOST}/{DOMAIN}/v2.0/.well-known/openid-configuration"
    validator = TokenValidator(f"{HOST}/{DOMAIN}", "api://mail", http_client=client,
                               clock=Clock())
    with pytest.raises(MetadataUnavailable) as caught:
        await validator.validate(sign(keys.primary, app_claims()))
    assert caught.value.description == description.format(url=url)


async def test_jwks_without_keys_array(authority: FakeAuthority, keys: Any) -> None:
    authority.published = "nope"  # type: ignore[assignment]
    with pytest.raises(MetadataUnavailable, match="has no keys array"):
        await authority.validator().validate(sign(keys.primary, app_claims()))


async def test_concurrent_cold_start_fetches_each_document_once(authority: FakeAuthority,
                                                                keys: Any) -> None:
    authority.delay = 0.02
    validator = authority.validator()
    token = sign(keys.primary, app_claims())
    principals = await asyncio.gather(*(validator.validate(token) for _ in range(20)))
    assert {p.tenant_id for p in principals} == {TENANT_ID}
    assert authority.requests == [f"/{DOMAIN}/v2.0/.well-known/openid-configuration",
                                  JWKS_V2]


async def test_a_burst_of_new_kid_tokens_causes_one_refetch(authority: FakeAuthority,
                                                            keys: Any) -> None:
    validator = authority.validator()
    await validator.validate(sign(keys.primary, app_claims()))
    authority.publish(keys.primary, keys.rotated)
    authority.delay = 0.02
    token = sign(keys.rotated, app_claims())
    principals = await asyncio.gather(*(validator.validate(token) for _ in range(20)))
    assert len(principals) == 20
    assert authority.count(JWKS_V2) == 2


def test_cold_start_from_threads_fetches_each_document_once(authority: FakeAuthority,
                                                              keys: Any) -> None:
    authority.delay = 0.05
    validator = authority.validator()
    token = sign(keys.primary, app_claims())
    with ThreadPoolExecutor(max_workers=8) as pool:
        principals = list(pool.map(lambda _: validator.validate_sync(token), range(8)))
    assert {p.tenant_id for p in principals} == {TENANT_ID}
    assert authority.requests == [f"/{DOMAIN}/v2.0/.well-known/openid-configuration",
                                  JWKS_V2]


def test_a_failed_fetch_is_shared_with_the_waiters(keys: Any) -> None:
    calls: list[str] = []
    lock = threading.Lock()

    def refuse(request: httpx.Request) -> httpx.Response:
        with lock:
            calls.append(request.url.path)
        time.sleep(0.1)
        raise httpx.ConnectError("refused", request=request)

    clock = Clock()
    validator = TokenValidator(f"{HOST}/{DOMAIN}", "api://mail", clock=clock,
                               sync_http_client=httpx.Client(
                                   transport=httpx.MockTransport(refuse)))
    token = sign(keys.primary, app_claims())
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(validator.validate_sync, token) for _ in range(4)]
    errors = [future.exception() for future in futures]
    assert all(isinstance(e, MetadataUnavailable) for e in errors)
    assert {e.description for e in errors if e is not None} == {
        f"The authority metadata at {HOST}/{DOMAIN}/v2.0/.well-known/openid-configuration "
        "could not be fetched."}
    assert calls == [f"/{DOMAIN}/v2.0/.well-known/openid-configuration"]
    for _ in range(50):  # within COLD_RETRY: the same answer, no request
        with pytest.raises(MetadataUnavailable) as caught:
            validator.validate_sync(token)
        assert caught.value.description == next(e.description for e in errors if e)
    assert len(calls) == 1
    clock.now += COLD_RETRY
    with pytest.raises(MetadataUnavailable):
        validator.validate_sync(token)  # then a new attempt
    assert len(calls) == 2


async def test_a_cancelled_refetch_does_not_leave_the_rate_limit_open(
        authority: FakeAuthority, keys: Any) -> None:
    validator = authority.validator()
    await validator.validate(sign(keys.primary, app_claims()))
    authority.delay = 0.2
    task = asyncio.ensure_future(validator.validate(sign(keys.rotated, app_claims())))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    authority.delay = 0
    for n in range(5):
        with pytest.raises(TokenValidationError, match=matches(unknown(f"late-{n}"))):
            await validator.validate(sign(keys.primary, app_claims(), kid=f"late-{n}"))
    assert authority.count(JWKS_V2) == 1  # the cancelled refetch used up the interval
