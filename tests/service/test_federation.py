"""Federated credentials in the token pipeline: the issuer's keys fetched and cached with a
refresh bound, only for registered issuers, and a failing issuer refused at once
(AADSTS90061), on SQLite with an injected clock and the issuer served in memory."""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from credo.aadsts.client import (
    FEDERATED_ISSUER,
    FEDERATED_ISSUER_UNREACHABLE,
    FEDERATED_KEY_NOT_FOUND,
    FEDERATED_SUBJECT,
)
from credo.errors import OAuthError
from credo.model import FederatedIdentityCredential
from credo.protocol.client_auth import JWT_BEARER
from credo.service.federation import FederatedKeys
from credo.service.throttle import ThrottleLimits, TokenThrottle
from credo.service.token import TokenService
from federation import DripServer, Issuer, IssuerCa, SigningKey, mock_transport, silent_port

from .token_world import BASE, T0, TokenWorld, open_world

pytestmark = pytest.mark.asyncio(loop_scope="session")
GITHUB = "https://token.actions.githubusercontent.com"
K8S = "https://oidc.cluster.example/cluster-1"
MAIN = "repo:contoso/mail:ref:refs/heads/main"
SENDER = "system:serviceaccount:mail:sender"


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TokenWorld]:
    opened = await open_world(tmp_path_factory.mktemp("federation"))
    app = dataclasses.replace(opened.daemon.app, federated_credentials=(
        FederatedIdentityCredential("f-1", "main", GITHUB, MAIN),
        FederatedIdentityCredential("f-2", "sender", K8S, SENDER),
        FederatedIdentityCredential("f-3", "down", "https://127.0.0.1:9/down", "x")))
    await opened.store.save_application(app)
    opened.daemon = dataclasses.replace(opened.daemon, app=app)
    opened.cache.invalidate()
    yield opened
    await opened.store.close()


@pytest.fixture
def issuers() -> Iterator[tuple[Issuer, Issuer]]:
    yield Issuer(GITHUB, [SigningKey("RS256")]), Issuer(K8S, [SigningKey("ES256")])


def service(world: TokenWorld, keys: FederatedKeys, limits: ThrottleLimits | None = None
            ) -> TokenService:
    return TokenService(base_url=BASE, cache=world.cache, replay=world.store,
                        audit=world.audit, secret_hasher=world.hasher, grants=world.grants,
                        clock=world.clock,
                        throttle=TokenThrottle(limits=limits, clock=world.clock),
                        federation=keys)


def keys(*issuers: Issuer, timeout: float = 5.0, **kw: Any) -> FederatedKeys:
    return FederatedKeys(timeout=timeout, ttl=3600, verify=ssl.create_default_context(),
                         transport=mock_transport(*issuers), **kw)


def form(world: TokenWorld, token: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": world.daemon.app.app_id,
            "client_assertion_type": JWT_BEARER, "client_assertion": token,
            "scope": f"{world.daemon.api.identifier_uris[0]}/.default"}


async def run(world: TokenWorld, tokens: TokenService, token: str) -> dict[str, Any]:
    world.tokens, saved = tokens, world.tokens
    try:
        return await world.token(form(world, token))
    finally:
        world.tokens = saved


async def test_a_github_token_gets_an_app_token_and_keys_are_cached(
        world: TokenWorld, issuers: tuple[Issuer, Issuer]) -> None:
    github, kube = issuers
    tokens = service(world, keys(github, kube))
    body = await run(world, tokens, github.github(now=T0))
    claims = world.claims(body["access_token"])
    assert (claims["appid"], claims["appidacr"], claims["roles"]) == (
        world.daemon.app.app_id, "2", ["Mail.Read"])
    await run(world, tokens, github.github(now=T0))
    await run(world, tokens, kube.kubernetes(now=T0))
    assert github.requests == ["/.well-known/openid-configuration", "/keys"]
    assert kube.requests == ["/cluster-1/.well-known/openid-configuration", "/cluster-1/keys"]
    await world.audit.flush()
    events = [e for e in await world.store.recent(world.daemon.tenant.id, 50)
              if e.credential_type == "federatedIdentityCredential"]
    assert len(events) == 3 and {e.outcome for e in events} == {"success"}


async def test_an_unknown_kid_refetches_at_most_once_a_minute(
        world: TokenWorld, issuers: tuple[Issuer, Issuer]) -> None:
    github, _ = issuers
    stranger = SigningKey("RS256")
    world.tokens, saved = service(world, keys(github)), world.tokens
    try:
        await world.token(form(world, github.github(now=T0)))
        for _ in range(3):  # one refetch, then none within the minute
            await world.refused(form(world, github.github(now=T0, key=stranger)),
                                FEDERATED_KEY_NOT_FOUND)
        assert github.requests.count("/keys") == 2
        rotated = SigningKey("RS256")
        github.keys.append(rotated)
        world.clock.now = T0 + 61  # a key rotated in is seen once the minute is over
        body = await world.token(form(world, github.github(now=world.clock.now, key=rotated)))
        assert "access_token" in body and github.requests.count("/keys") == 3
    finally:
        world.tokens = saved
        world.clock.now = T0


async def test_nothing_is_fetched_for_a_token_no_credential_matches(
        world: TokenWorld, issuers: tuple[Issuer, Issuer]) -> None:
    github, _ = issuers
    stranger = Issuer("https://attacker.example", [SigningKey("RS256")])
    world.tokens, saved = service(world, keys(github, stranger)), world.tokens
    try:
        await world.refused(form(world, stranger.github(now=T0)), FEDERATED_ISSUER)
        await world.refused(form(world, github.github(repo="contoso/other", now=T0)),
                            FEDERATED_SUBJECT)
    finally:
        world.tokens = saved
    assert github.requests == stranger.requests == []


@pytest.mark.parametrize(("change", "reason"), [
    (lambda i: setattr(i, "claimed_issuer", "https://elsewhere.example"),
     "its discovery document names the issuer 'https://elsewhere.example'"),
    (lambda i: setattr(i, "url", GITHUB + "/moved"),
     f"{GITHUB}/.well-known/openid-configuration answered HTTP 404"),
])
async def test_a_wrong_discovery_document_is_refused(world: TokenWorld,
                                                     issuers: tuple[Issuer, Issuer],
                                                     change: Any, reason: str) -> None:
    github, _ = issuers
    token = github.github(now=T0)
    change(github)
    world.tokens, saved = service(world, keys(github)), world.tokens
    try:
        error, event = await world.refused(form(world, token), FEDERATED_ISSUER_UNREACHABLE)
    finally:
        world.tokens = saved
    assert (error.status, error.description) == (
        400, f"Request to External OIDC endpoint failed. The discovery document or keys of "
        f"issuer '{GITHUB}' could not be fetched: {reason}.")
    assert event.credential_type == "federatedIdentityCredential"


async def test_an_issuer_that_hangs_or_is_down_is_refused_promptly(world: TokenWorld) -> None:
    """Real sockets: one accepts and never answers (the read timeout ends it), one refuses.
    A failing issuer is not the client's fault: it does not count against its budget."""
    listener, port = silent_port()
    hanging = Issuer(f"https://127.0.0.1:{port}/hang")
    app = dataclasses.replace(world.daemon.app, federated_credentials=(
        *world.daemon.app.federated_credentials,
        FederatedIdentityCredential("f-4", "hang", hanging.url, MAIN)))
    await world.store.save_application(app)
    world.cache.invalidate()
    limits = ThrottleLimits(client_failures=1, tenant_failures=100, window=60)
    real = FederatedKeys(timeout=0.3, ttl=3600, verify=ssl.create_default_context())
    world.tokens, saved = service(world, real, limits), world.tokens
    try:
        hung, _ = await world.refused(form(world, hanging.github(now=T0)),
                                      FEDERATED_ISSUER_UNREACHABLE)
        down = Issuer("https://127.0.0.1:9/down")
        refused, _ = await world.refused(form(world, down.token("x", now=T0)),
                                         FEDERATED_ISSUER_UNREACHABLE)
    finally:
        world.tokens = saved
        listener.close()
        await real.close()
        await world.store.save_application(world.daemon.app)
        world.cache.invalidate()
    assert hung.description.endswith(f"could not be fetched: 127.0.0.1:{port} did not answer "
                                     "within 0.3 s.")
    assert refused.description.endswith("could not be fetched: 127.0.0.1:9 could not be "
                                        "reached.")


async def test_an_issuer_that_drips_is_cut_off_by_the_deadline(
        world: TokenWorld, tmp_path: Any) -> None:
    """One byte every 50 ms never trips the 0.3 s read timeout; the 0.6 s deadline does."""
    ca = IssuerCa(tmp_path)
    drip = DripServer(ca)
    dripping = Issuer(f"https://127.0.0.1:{drip.port}/drip")
    app = dataclasses.replace(world.daemon.app, federated_credentials=(
        *world.daemon.app.federated_credentials,
        FederatedIdentityCredential("f-5", "drip", dripping.url, MAIN)))
    await world.store.save_application(app)
    world.cache.invalidate()
    slow = FederatedKeys(timeout=0.3, ttl=3600, verify=ssl.create_default_context(
        cafile=str(ca.ca_path)))
    world.tokens, saved = service(world, slow), world.tokens
    try:
        error, _ = await world.refused(form(world, dripping.github(now=T0)),
                                       FEDERATED_ISSUER_UNREACHABLE)
    finally:
        world.tokens = saved
        drip.close()
        await slow.close()
        await world.store.save_application(world.daemon.app)
        world.cache.invalidate()
    assert error.description.endswith("could not be fetched: it did not answer within 0.6 s.")


async def test_no_federation_service_means_no_key(world: TokenWorld,
                                                  issuers: tuple[Issuer, Issuer]) -> None:
    """The world's own service has no federation: the token is refused, never trusted."""
    github, _ = issuers
    with pytest.raises(OAuthError) as info:
        await world.token(form(world, github.github(now=T0)))
    assert info.value.code == 7000272


async def test_the_transport_sees_only_gets_of_https_urls(world: TokenWorld,
                                                          issuers: tuple[Issuer, Issuer]) -> None:
    github, _ = issuers
    seen: list[httpx.Request] = []
    tokens = service(world, FederatedKeys(
        timeout=5, ttl=3600, verify=ssl.create_default_context(),
        transport=mock_transport(github, fail=seen.append)))
    await run(world, tokens, github.github(now=T0))
    assert [(r.method, str(r.url)) for r in seen] == [
        ("GET", f"{GITHUB}/.well-known/openid-configuration"), ("GET", f"{GITHUB}/keys")]
