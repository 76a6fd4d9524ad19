"""Failure counters in fixed windows: Redis (shared, one Lua script per failure) and local."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from credo.cache.failures import LocalFailures, RedisFailures
from credo.errors import StoreUnavailable
from credo.store.api import FailureCounter

from .conftest import REDIS_URL


@pytest.fixture
async def local() -> FailureCounter:
    return LocalFailures()


@pytest.fixture
async def redis(redis_namespace: str) -> AsyncIterator[FailureCounter]:
    shared = RedisFailures(REDIS_URL, namespace=redis_namespace)
    yield shared
    await shared.close()


@pytest.fixture
async def redis_py(redis_namespace: str) -> AsyncIterator[FailureCounter]:
    """Reads through redis-py, as for a ``rediss://`` or socket URL (the pipelined RESP
    connection takes plain ``redis://`` only)."""
    shared = RedisFailures(REDIS_URL, namespace=redis_namespace)
    assert shared._pipe is not None
    shared._pipe.close()
    shared._pipe = None
    yield shared
    await shared.close()


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.services),
                        pytest.param("redis_py", marks=pytest.mark.services)])
def counter(request: pytest.FixtureRequest) -> FailureCounter:
    found: FailureCounter = request.getfixturevalue(request.param)
    return found


async def test_a_window_opens_with_the_first_failure_and_counts_every_key(
        counter: FailureCounter) -> None:
    now = time.time()
    assert await counter.counts(["a", "t"], now) == [(0, now)] * 2
    first = await counter.add(["a", "t"], 30.0, now)
    assert [n for n, _ in first] == [1, 1]
    assert all(now + 29 < ends <= now + 30.01 for _, ends in first)
    again = await counter.add(["b", "t"], 30.0, now)
    assert [n for n, _ in again] == [1, 2]
    counts = await counter.counts(["a", "b", "t", "nobody"], now)
    assert [n for n, _ in counts] == [1, 1, 2, 0]
    failing = await counter.failing(now)
    assert set(failing) == {"a", "b", "t"}
    assert abs(failing["t"] - first[1][1]) < 0.01  # the window did not move


async def test_a_closed_window_counts_nothing(counter: FailureCounter) -> None:
    now = time.time()
    await counter.add(["short"], 0.2, now)
    await asyncio.sleep(0.3)  # Redis expires the key by itself
    later = now + 0.3
    assert await counter.counts(["short"], later) == [(0, later)]
    assert "short" not in await counter.failing(later)
    assert [n for n, _ in await counter.add(["short"], 30.0, later)] == [1]


@pytest.mark.services
async def test_redis_counts_atomically_across_clients(redis_namespace: str) -> None:
    workers = [RedisFailures(REDIS_URL, namespace=redis_namespace) for _ in range(2)]
    now = time.time()
    try:
        results = await asyncio.gather(*(workers[i % 2].add(["c", "t"], 60.0, now)
                                         for i in range(40)))
        assert sorted(r[0][0] for r in results) == list(range(1, 41))
        assert [n for n, _ in await workers[1].counts(["c", "t"], now)] == [40, 40]
    finally:
        for worker in workers:
            await worker.close()
    client = Redis.from_url(REDIS_URL)
    try:
        ttl = await client.pttl(redis_namespace + "k:c")
        assert 0 < ttl <= 60_000
    finally:
        await client.aclose()


async def test_redis_unreachable_is_store_unavailable() -> None:
    down = RedisFailures("redis://127.0.0.1:1/0", timeout=1.0)
    try:
        for call in (down.add(["k"], 1.0, 0.0), down.counts(["k"], 0.0), down.failing(0.0)):
            with pytest.raises(StoreUnavailable) as caught:
                await call
            assert caught.value.description == "the failure counter is unavailable"
    finally:
        await down.close()


async def test_local_windows_are_bounded() -> None:
    local = LocalFailures(max_keys=3)
    for i in range(10):
        await local.add([f"k{i}"], 60.0, 100.0)
    assert set(await local.failing(100.0)) == {"k7", "k8", "k9"}
