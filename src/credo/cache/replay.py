"""Replay stores for client-assertion ``jti`` values (RFC 7523 §3 item 7; ARCHITECTURE.md D2).

Both are one atomic add-if-absent, never find-then-save (STYLE.md rule 10):

* :class:`MemoryReplay` for a single process: the check and the set run with no ``await``
  between them, so concurrent tasks cannot both win.
* :class:`RedisReplay` for several nodes: ``SET key 1 NX EXAT t``, one command.

Both fail closed: when the record cannot be made they raise ``StoreUnavailable``.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from credo.errors import StoreUnavailable

NAMESPACE = "credo:jti:"
MAX_ENTRIES = 200_000


class MemoryReplay:
    """An in-process replay store, bounded to ``max_entries`` live records."""

    def __init__(self, *, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.time) -> None:
        self._expiry: dict[str, float] = {}
        self._queue: list[tuple[float, str]] = []  # (expires_at, key), soonest first
        self._max = max_entries
        self._clock = clock

    def __len__(self) -> int:
        return len(self._expiry)

    async def add_if_absent(self, key: str, expires_at: float) -> bool:
        """True when recorded now; a record whose ``expires_at`` has passed counts as absent.

        Raises ``StoreUnavailable`` when ``max_entries`` records are all still live: evicting
        one would let its assertion be replayed.
        """
        now = self._clock()
        self._purge(now)
        known = self._expiry.get(key)
        if known is not None and known > now:
            return False
        if known is None and len(self._expiry) >= self._max:
            raise StoreUnavailable("the replay cache is full",
                                   detail=f"{self._max} unexpired records")
        self._expiry[key] = expires_at
        heapq.heappush(self._queue, (expires_at, key))
        return True

    def _purge(self, now: float) -> None:
        while self._queue and self._queue[0][0] <= now:
            expires_at, key = heapq.heappop(self._queue)
            if self._expiry.get(key) == expires_at:
                del self._expiry[key]


class RedisReplay:
    """A replay store shared by every node through Redis (keys ``credo:jti:<key>``)."""

    def __init__(self, url: str, *, namespace: str = NAMESPACE, timeout: float = 2.0) -> None:
        self._redis: Redis = Redis.from_url(url, socket_connect_timeout=timeout,
                                            socket_timeout=timeout)
        self._namespace = namespace

    async def add_if_absent(self, key: str, expires_at: float) -> bool:
        """``SET NX EXAT``: Redis drops the record at ``ceil(expires_at)`` (never earlier)."""
        try:
            done = await self._redis.set(self._namespace + key, b"1", nx=True,
                                         exat=math.ceil(expires_at))
        except (RedisError, OSError) as exc:  # unreachable, read-only, out of memory: fail closed
            raise StoreUnavailable("the replay store is unavailable",
                                   detail=f"{type(exc).__name__}: {exc}") from exc
        return bool(done)

    async def close(self) -> None:
        await self._redis.aclose()
