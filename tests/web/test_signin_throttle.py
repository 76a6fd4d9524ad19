"""Wrong-password throttling through the page: smart lockout (issue 8, finding 4).

After ``user_threshold`` failures for one user name from addresses that never signed the
user in, the next attempt from any such address is refused even with the right password
(429, Retry-After); an unknown user name locks the same way with the same words, so a lockout
confirms nothing. After ``address_threshold`` failures from one address (spread over many
names), every name it never signed in is refused from there. Addresses that signed the user
in before, and other tenants, are not locked by strangers' failures.
"""

from __future__ import annotations

import re

import httpx
import pytest

from browser import Browser
from credo.service.runtime import Services
from credo.web.session import SESSION_COOKIE

from .consent_world import PASSWORD, World, add_user, make_world

LOCKED = ("You&#39;ve tried to sign in too many times with an incorrect account or password. "
          "Try again later.")


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> World:
    return await make_world(client, services, "throttle")


def _error(page: httpx.Response) -> str:
    found = re.search(r'role="alert">([^<]*)', page.text)
    assert found, page.text
    return found.group(1).strip()


async def _attempt(browser: Browser, world: World, login: str, password: str
                   ) -> httpx.Response:
    return await browser.sign_in(await browser.get(f"/{world.tid}/login"), login, password)


async def test_a_user_is_locked_after_n_failures_even_with_the_right_password(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    upn = f"target@{world.domain}"
    await add_user(client, world.tenant.operator, upn, "Target")
    n = services.accounts.signin.policy.user_threshold
    async with Browser(services) as attacker:
        for _ in range(n):
            assert (await _attempt(attacker, world, upn, "guess guess")).status_code == 400
        locked = await _attempt(attacker, world, upn, PASSWORD)
    async with Browser(services) as owner:  # another address: the user name is locked
        also_locked = await _attempt(owner, world, upn, PASSWORD)
    for page in (locked, also_locked):
        assert page.status_code == 429 and _error(page) == LOCKED
        assert int(page.headers["retry-after"]) > 0 and "AADSTS50053" in page.text
    assert owner.cookie(SESSION_COOKIE) is None


async def test_an_unknown_user_name_locks_the_same_way(services: Services, world: World
                                                       ) -> None:
    n = services.accounts.signin.policy.user_threshold
    async with Browser(services) as browser:
        answers = [await _attempt(browser, world, f"ghost@{world.domain}", "guess guess")
                   for _ in range(n + 1)]
    assert [a.status_code for a in answers] == [400] * n + [429]
    assert _error(answers[-1]) == LOCKED


async def test_an_address_is_locked_after_failures_over_many_names(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    upn = f"bystander@{world.domain}"
    await add_user(client, world.tenant.operator, upn, "Bystander")
    policy = services.accounts.signin.policy
    per_name = policy.user_threshold - 1
    names = -(-policy.address_threshold // per_name)
    async with Browser(services) as attacker:
        for i in range(policy.address_threshold):
            page = await _attempt(attacker, world, f"spray{i // per_name}@{world.domain}",
                                  "Winter2024!")
            assert page.status_code == 400, (i, names)
        refused = await _attempt(attacker, world, upn, PASSWORD)
    async with Browser(services) as elsewhere:
        allowed = await _attempt(elsewhere, world, upn, PASSWORD)
    assert refused.status_code == 429 and _error(refused) == LOCKED
    assert allowed.status_code == 200 and elsewhere.cookie(SESSION_COOKIE) is not None


async def _sign_in_ok(browser: Browser, world: World, login: str) -> None:
    page = await _attempt(browser, world, login, PASSWORD)
    assert page.status_code == 200 and browser.cookie(SESSION_COOKIE) is not None, page.text


async def test_finding_4_failures_no_longer_lock_a_user_out_where_they_signed_in_before(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    upn = f"smart@{world.domain}"
    await add_user(client, world.tenant.operator, upn, "Smart")
    async with Browser(services) as home:
        await _sign_in_ok(home, world, upn)
    async with Browser(services) as attacker:
        for _ in range(services.accounts.signin.policy.user_threshold):
            assert (await _attempt(attacker, world, upn, "guess guess")).status_code == 400
    async with Browser(services, address=home.address) as home_again:
        await _sign_in_ok(home_again, world, upn)
    async with Browser(services) as elsewhere:
        refused = await _attempt(elsewhere, world, upn, PASSWORD)
    assert refused.status_code == 429 and _error(refused) == LOCKED
    assert elsewhere.cookie(SESSION_COOKIE) is None


async def test_finding_4_an_address_is_locked_only_in_its_tenant_and_only_for_strangers(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    other = await make_world(client, services, "throttle-other")
    regular = f"regular@{world.domain}"
    await add_user(client, world.tenant.operator, regular, "Regular")
    policy = services.accounts.signin.policy
    async with Browser(services) as shared:  # one address: a NAT, or a proxy not configured
        await _sign_in_ok(shared, world, regular)
    async with Browser(services, address=shared.address) as attacker:
        for i in range(policy.address_threshold):
            name = f"nat{i // (policy.user_threshold - 1)}@{world.domain}"
            assert (await _attempt(attacker, world, name, "Winter2024!")).status_code == 400
        stranger = await _attempt(attacker, world, world.plain, PASSWORD)
    assert stranger.status_code == 429 and _error(stranger) == LOCKED
    async with Browser(services, address=shared.address) as familiar, \
            Browser(services, address=shared.address) as other_tenant:
        await _sign_in_ok(familiar, world, regular)
        await _sign_in_ok(other_tenant, other, other.plain)
