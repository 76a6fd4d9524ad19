"""Replay caches (RFC 7523 §3 item 7): one atomic add-if-absent, in process and in Redis."""

from __future__ import annotations

import asyncio
import math
import time

import pytest
from redis.asyncio import Redis

from credo.cache.replay import MemoryReplay, RedisReplay
from credo.errors import StoreUnavailable

from .conftest import REDIS_URL


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_memory_records_once_until_expiry() -> None:
    clock = Clock()
    cache = MemoryReplay(clock=clock)
    assert await cache.add_if_absent("t:c:1", 1_060.0) is True
    assert await cache.add_if_absent("t:c:1", 1_060.0) is False
    clock.now = 1_059.9
    assert await cache.add_if_absent("t:c:1", 1_200.0) is False
    clock.now = 1_060.0  # expires_at reached: the record is gone
    assert await cache.add_if_absent("t:c:1", 1_200.0) is True
    assert await cache.add_if_absent("t:c:1", 1_200.0) is False


async def test_memory_purges_expired_records() -> None:
    clock = Clock()
    cache = MemoryReplay(clock=clock)
    for n in range(100):
        await cache.add_if_absent(f"k{n}", 1_000.0 + n + 1)
    assert len(cache) == 100
    clock.now = 1_050.0
    await cache.add_if_absent("late", 2_000.0)
    assert len(cache) == 51  # k50..k99 and "late"


async def test_memory_is_bounded_and_fails_closed_when_full() -> None:
    clock = Clock()
    cache = MemoryReplay(max_entries=3, clock=clock)
    for key in ("a", "b", "c"):
        assert await cache.add_if_absent(key, 1_010.0) is True
    with pytest.raises(StoreUnavailable) as caught:
        await cache.add_if_absent("d", 1_010.0)
    assert caught.value.description == "the replay cache is full"
    assert await cache.add_if_absent("a", 1_010.0) is False  # still refused, not evicted
    clock.now = 1_010.0
    assert await cache.add_if_absent("d", 1_020.0) is True
    assert len(cache) == 1


async def test_memory_concurrent_adds_let_exactly_one_win() -> None:
    cache = MemoryReplay()
    later = time.time() + 600
    results = await asyncio.gather(*(cache.add_if_absent("same", later) for _ in range(50)))
    assert results.count(True) == 1


@pytest.mark.services
async def test_redis_records_once_with_exat(redis_namespace: str) -> None:
    replay = RedisReplay(REDIS_URL, namespace=redis_namespace)
    expires_at = time.time() + 300.4
    try:
        assert await replay.add_if_absent("t:c:1", expires_at) is True
        assert await replay.add_if_absent("t:c:1", expires_at) is False
        assert await replay.add_if_absent("t:c:2", expires_at) is True
    finally:
        await replay.close()
    client = Redis.from_url(REDIS_URL)
    try:
        assert await client.get(redis_namespace + "t:c:1") == b"1"
        assert await client.expiretime(redis_namespace + "t:c:1") == math.ceil(expires_at)
    finally:
        await client.aclose()


@pytest.mark.services
async def test_redis_default_namespace(redis_namespace: str) -> None:
    key = redis_namespace.removeprefix("credo:jti:") + "default"
    replay = RedisReplay(REDIS_URL)
    try:
        assert await replay.add_if_absent(key, time.time() + 60) is True
        assert await replay.add_if_absent(key, time.time() + 60) is False
    finally:
        await replay.close()
    client = Redis.from_url(REDIS_URL)
    try:
        assert await client.exists(redis_namespace + "default") == 1
    finally:
        await client.aclose()


@pytest.mark.services
async def test_redis_expired_record_counts_as_absent(redis_namespace: str) -> None:
    replay = RedisReplay(REDIS_URL, namespace=redis_namespace)
    try:
        assert await replay.add_if_absent("old", time.time() - 5) is True
        assert await replay.add_if_absent("old", time.time() + 60) is True
        assert await replay.add_if_absent("old", time.time() + 60) is False
    finally:
        await replay.close()


@pytest.mark.services
async def test_redis_concurrent_adds_across_clients_let_exactly_one_win(
        redis_namespace: str) -> None:
    clients = [RedisReplay(REDIS_URL, namespace=redis_namespace) for _ in range(2)]
    later = time.time() + 60
    try:
        results = await asyncio.gather(*(clients[n % 2].add_if_absent("race", later)
                                         for n in range(50)))
    finally:
        for client in clients:
            await client.close()
    assert results.count(True) == 1


async def test_redis_unreachable_fails_closed() -> None:
    replay = RedisReplay("redis://127.0.0.1:1/0", timeout=1.0)
    try:
        with pytest.raises(StoreUnavailable) as caught:
            await replay.add_if_absent("t:c:1", time.time() + 60)
    finally:
        await replay.close()
    assert caught.value.description == "the replay store is unavailable"
    assert "ConnectionError" in caught.value.detail
