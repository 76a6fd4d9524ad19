"""Wrong-password throttling per user name and per client address, through the page.

After ``user_threshold`` failures for one user name, the next attempt is refused even with
the right password (429, Retry-After) from any address; an unknown user name locks the
same way with the same words, so a lockout confirms nothing. After ``address_threshold``
failures from one address (spread over many names), every name is refused from there.
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
