"""Redis for the replay-cache tests: database 15 on 127.0.0.1:6379, keys under a unique prefix."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from availability import require_or_skip

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
async def redis_namespace() -> AsyncIterator[str]:
    """A fresh ``credo:jti:test-<uuid>:`` namespace; only its keys are deleted afterwards."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        require_or_skip(f"Redis at {REDIS_URL} is unreachable ({exc})")
    namespace = f"credo:jti:test-{uuid.uuid4().hex}:"
    try:
        yield namespace
    finally:
        keys = [k async for k in client.scan_iter(match=namespace + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
