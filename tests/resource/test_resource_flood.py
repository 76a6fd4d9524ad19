"""Floods of tokens with unknown ``kid`` values from concurrent tasks and threads.

The bound (issue 14, finding 3): at most one forced JWKS fetch per
``jwks_refresh_min_interval`` per validator, whatever mix of asyncio tasks, event loops and
threads validates. Each test warms the validator (one discovery and one JWKS ``GET``), floods
it, and counts the ``GET`` requests the fake authority saw. The authority answers after a
short delay, so fetches overlap with the flood as they would over a network.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from resource_fakes import TENANT_ID, Clock, FakeAuthority, app_claims, raw_token, sign

from credo.errors import TokenValidationError
from credo.resource import TokenValidator

JWKS_V2 = f"/{TENANT_ID}/discovery/v2.0/keys"
TOKENS_EACH = 100
DELAY = 0.005


def forged(worker: str, n: int) -> str:
    """A token naming a ``kid`` the authority never published (the signature is junk: the
    key lookup comes first)."""
    return raw_token({"typ": "JWT", "alg": "RS256", "kid": f"sprayed-{worker}-{n}"},
                     app_claims(), b"x" * 256)


def refused_sync(validator: TokenValidator, worker: str) -> int:
    refused = 0
    for n in range(TOKENS_EACH):
        try:
            validator.validate_sync(forged(worker, n))
        except TokenValidationError:
            refused += 1
    return refused


async def refused_async(validator: TokenValidator, worker: str) -> int:
    refused = 0
    for n in range(TOKENS_EACH):
        try:
            await validator.validate(forged(worker, n))
        except TokenValidationError:
            refused += 1
    return refused


async def warmed(authority: FakeAuthority, keys: Any, **options: Any) -> TokenValidator:
    validator = authority.validator(**options)
    await validator.validate(sign(keys.primary, app_claims()))
    validator.validate_sync(sign(keys.primary, app_claims()))
    assert authority.jwks_fetches == 1
    authority.delay = DELAY
    return validator


async def test_20_tasks_cause_one_refetch(authority: FakeAuthority, keys: Any) -> None:
    validator = await warmed(authority, keys)
    results = await asyncio.gather(*(refused_async(validator, f"t{t}") for t in range(20)))
    assert results == [TOKENS_EACH] * 20
    assert authority.jwks_fetches == 2  # the warm-up and one forced refetch
    assert authority.count("openid-configuration") == 1


async def test_16_threads_cause_one_refetch(authority: FakeAuthority, keys: Any) -> None:
    validator = await warmed(authority, keys)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda t: refused_sync(validator, f"s{t}"), range(16)))
    assert results == [TOKENS_EACH] * 16
    assert authority.jwks_fetches == 2


def _loop_of_tasks(validator: TokenValidator, worker: str) -> list[int]:
    async def tasks() -> list[int]:
        return list(await asyncio.gather(*(refused_async(validator, f"{worker}-{t}")
                                           for t in range(5))))
    return asyncio.run(tasks())


async def test_tasks_loops_and_threads_together_cause_one_refetch(
        authority: FakeAuthority, keys: Any) -> None:
    """20 tasks on this loop, 4 threads each running 5 tasks on its own loop, and 8 threads
    calling ``validate_sync``, all at once."""
    validator = await warmed(authority, keys)
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=12) as pool:
        loops = [loop.run_in_executor(pool, _loop_of_tasks, validator, f"l{n}")
                 for n in range(4)]
        threads = [loop.run_in_executor(pool, refused_sync, validator, f"s{n}")
                   for n in range(8)]
        tasks = [refused_async(validator, f"t{n}") for n in range(20)]
        results = await asyncio.gather(*loops, *threads, *tasks)
    assert results == [[TOKENS_EACH] * 5] * 4 + [TOKENS_EACH] * 28
    assert authority.jwks_fetches == 2


async def test_one_more_refetch_once_the_interval_has_passed(authority: FakeAuthority,
                                                             keys: Any) -> None:
    clock = Clock()
    validator = await warmed(authority, keys, clock=clock)
    await asyncio.gather(*(refused_async(validator, f"a{t}") for t in range(20)))
    assert authority.jwks_fetches == 2
    clock.now += 300
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda t: refused_sync(validator, f"b{t}"), range(16)))
    assert authority.jwks_fetches == 3


async def test_a_rotated_key_under_a_flood_is_fetched_once(authority: FakeAuthority,
                                                           keys: Any) -> None:
    """Legitimate tokens signed with a newly published key, from tasks and threads at once:
    every one is accepted after the single refetch, which they all wait for."""
    validator = await warmed(authority, keys)
    authority.publish(keys.primary, keys.rotated)
    token = sign(keys.rotated, app_claims())
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=16) as pool:
        threads = [loop.run_in_executor(pool, validator.validate_sync, token)
                   for _ in range(16)]
        principals = await asyncio.gather(*threads,
                                          *(validator.validate(token) for _ in range(20)))
    assert {p.tenant_id for p in principals} == {TENANT_ID} and len(principals) == 36
    assert authority.jwks_fetches == 2
