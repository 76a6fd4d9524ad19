"""The Redis replay store (RFC 7523 §3 item 7): one atomic add-if-absent."""

from __future__ import annotations

import asyncio
import math
import time

import pytest
from redis.asyncio import Redis

from credo.cache.replay import RedisReplay
from credo.errors import StoreUnavailable

from .conftest import REDIS_URL


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
