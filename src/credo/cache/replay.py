"""Replay stores for client-assertion ``jti`` values (RFC 7523 §3 item 7; the strict profile).

One atomic add-if-absent, never find-then-save: ``SET key 1 NX EXAT t`` in Redis, shared
by every worker and node (the SQL store offers the same contract with ``INSERT … ON
CONFLICT DO NOTHING``). It fails closed: when the record cannot be made it raises
``StoreUnavailable``. The command goes through one pipelined connection per worker
(``cache/resp.py``) for ``redis://`` URLs, through redis-py otherwise (TLS, sockets).
"""

from __future__ import annotations

import math

from redis.asyncio import Redis
from redis.exceptions import RedisError

from credo import metrics
from credo.cache.resp import Pipeline, RespError, supported
from credo.errors import StoreUnavailable

NAMESPACE = "credo:jti:"
MAX_ENTRIES = 200_000


class RedisReplay:
    """A replay store shared by every node through Redis (keys ``credo:jti:<key>``)."""

    def __init__(self, url: str, *, namespace: str = NAMESPACE, timeout: float = 2.0) -> None:
        self._redis: Redis = Redis.from_url(url, socket_connect_timeout=timeout,
                                            socket_timeout=timeout)
        self._pipe = Pipeline(url, timeout=timeout) if supported(url) else None
        self._namespace = namespace

    async def add_if_absent(self, key: str, expires_at: float) -> bool:
        """``SET NX EXAT``: Redis drops the record at ``ceil(expires_at)`` (never earlier)."""
        name = (self._namespace + key).encode()
        at = math.ceil(expires_at)
        try:
            if self._pipe is not None:
                return await self._pipe.call(b"SET", name, b"1", b"NX", b"EXAT",
                                             str(at).encode()) is not None
            return bool(await self._redis.set(name, b"1", nx=True, exat=at))
        except (RedisError, RespError, OSError, TimeoutError) as exc:  # fail closed
            metrics.REPLAY_REDIS.inc()
            kind = ("ConnectionError" if isinstance(exc, OSError)
                    and not isinstance(exc, TimeoutError) else type(exc).__name__)
            raise StoreUnavailable("the replay store is unavailable",
                                   detail=f"{kind}: {exc}") from exc

    async def ping(self) -> None:
        """Raises ``StoreUnavailable`` when Redis does not answer (the readiness check)."""
        try:
            await self._redis.ping()
        except (RedisError, OSError) as exc:
            raise StoreUnavailable("the replay store is unavailable",
                                   detail=f"{type(exc).__name__}: {exc}") from exc

    async def close(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
        await self._redis.aclose()
