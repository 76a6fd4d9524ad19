"""The client address behind a trusted proxy (``trusted_proxies``), and what headers never set.

Behind the documented TLS proxy every browser arrives from the proxy's address: without
``trusted_proxies`` they share one address counter; with it, each has its own (the
rightmost ``X-Forwarded-For`` entry the proxy vouches for). A peer that is not a trusted
proxy cannot choose its address with the header. The issuer and every URL come from
``base_url``, whatever ``Host``, ``X-Forwarded-*`` or ``Forwarded`` say.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from browser import Browser
from credo.service.runtime import Services
from credo.web.session import SESSION_COOKIE

from .consent_world import PASSWORD, World, add_user, make_world

PROXY = "10.250.0.1"


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> World:
    return await make_world(client, services, "proxied")


@pytest.fixture
async def behind_proxy(services: Services) -> AsyncIterator[Services]:
    """The deployment with ``trusted_proxies = 10.250.0.0/16`` for one test."""
    kept = services.settings
    services.settings = dataclasses.replace(kept, trusted_proxies="10.250.0.0/16")
    yield services
    services.settings = kept


def _via(browser: Browser, forwarded_for: str) -> Browser:
    browser.http.headers["X-Forwarded-For"] = forwarded_for
    return browser


async def _attempt(browser: Browser, world: World, login: str, password: str
                   ) -> httpx.Response:
    return await browser.sign_in(await browser.get(f"/{world.tid}/login"), login, password)


async def _spray(browser: Browser, services: Services, world: World, prefix: str) -> None:
    policy = services.accounts.signin.policy
    for i in range(policy.address_threshold):
        name = f"{prefix}{i // (policy.user_threshold - 1)}@{world.domain}"
        assert (await _attempt(browser, world, name, "Winter2024!")).status_code == 400


async def test_behind_a_trusted_proxy_each_client_has_its_own_address(
        behind_proxy: Services, client: httpx.AsyncClient, world: World) -> None:
    upn = f"proxied@{world.domain}"
    await add_user(client, world.tenant.operator, upn, "Proxied")
    async with Browser(behind_proxy, address=PROXY) as attacker, \
            Browser(behind_proxy, address=PROXY) as victim:
        await _spray(_via(attacker, "203.0.113.66"), behind_proxy, world, "px")
        locked = await _attempt(attacker, world, upn, PASSWORD)
        allowed = await _attempt(_via(victim, "198.51.100.23"), world, upn, PASSWORD)
    assert locked.status_code == 429 and "AADSTS50053" in locked.text
    assert allowed.status_code == 200 and victim.cookie(SESSION_COOKIE) is not None


async def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(
        behind_proxy: Services, client: httpx.AsyncClient, world: World) -> None:
    upn = f"spoofed@{world.domain}"
    await add_user(client, world.tenant.operator, upn, "Spoofed")
    async with Browser(behind_proxy, address="203.0.113.5") as attacker:
        policy = behind_proxy.accounts.signin.policy
        for i in range(policy.address_threshold):  # a new "address" in the header each time
            _via(attacker, f"198.51.100.{i + 1}")
            name = f"sp{i // (policy.user_threshold - 1)}@{world.domain}"
            assert (await _attempt(attacker, world, name, "Winter2024!")).status_code == 400
        refused = await _attempt(_via(attacker, "192.0.2.200"), world, upn, PASSWORD)
    async with Browser(behind_proxy, address=PROXY) as proxied:
        # The proxy forwards a client claiming to be the attacker's peer: a real address,
        # but one the proxy vouches for, so it is that client's own counter.
        allowed = await _attempt(_via(proxied, "192.0.2.201"), world, upn, PASSWORD)
    assert refused.status_code == 429 and "AADSTS50053" in refused.text
    assert allowed.status_code == 200


async def test_without_trusted_proxies_the_header_is_ignored(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    upn = f"noproxy@{world.domain}"
    await add_user(client, world.tenant.operator, upn, "No Proxy")
    async with Browser(services, address=PROXY) as attacker, \
            Browser(services, address=PROXY) as victim:
        await _spray(_via(attacker, "203.0.113.67"), services, world, "np")
        refused = await _attempt(_via(victim, "198.51.100.24"), world, upn, PASSWORD)
    assert refused.status_code == 429  # one address: the proxy's


@pytest.mark.parametrize("headers", [
    {"Host": "evil.example"},
    {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http",
     "X-Forwarded-Port": "80"},
    {"Forwarded": "for=198.51.100.1;host=evil.example;proto=http"},
], ids=["host", "x-forwarded", "forwarded"])
async def test_the_issuer_never_comes_from_headers(behind_proxy: Services, world: World,
                                                   headers: dict[str, str]) -> None:
    base = behind_proxy.settings.base_url
    async with Browser(behind_proxy, address=PROXY) as proxied:
        v2 = await proxied.http.get(f"/{world.tid}/v2.0/.well-known/openid-configuration",
                                    headers={"X-Forwarded-For": "198.51.100.1", **headers})
        v1 = await proxied.http.get(f"/{world.tid}/.well-known/openid-configuration",
                                    headers=headers)
        login = await proxied.http.get(f"/{world.tid}/login", headers=headers)
    assert v2.json()["issuer"] == f"{base}/{world.tid}/v2.0"
    assert v1.json()["issuer"] == f"{base}/{world.tid}/"
    assert all(v.startswith(base + "/") for v in v2.json().values()
               if isinstance(v, str) and v.startswith("http"))
    assert f'action="{base}/{world.tid}/login"' in login.text and "evil" not in login.text
