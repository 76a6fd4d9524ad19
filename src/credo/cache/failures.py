"""Failure counters in fixed windows, for the token endpoint's budgets (``service/throttle.py``).

``RedisFailures`` is shared by every worker and node: one Lua script per failure counts it on
each key atomically (``INCR``, ``PEXPIRE`` on the first), so a window opens with a key's first
failure and Redis drops it when it ends; the script also files each key in a sorted set
scored by its window's end, which lets every process learn of failures counted elsewhere
with one read (``failing``). ``LocalFailures`` keeps the same contract in one process, for a
deployment without Redis. Both implement ``store.api.FailureCounter``.

``counts`` runs on every token request of a client that failed in an open window, so for
``redis://`` URLs its reads go through the token path's pipelined connection
(``cache/resp.py``): about 0.15 ms of CPU per request through redis-py's pipeline, which
made every token of such a client cost a third more (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from credo.cache.resp import Pipeline, RespError, supported
from credo.errors import StoreUnavailable
from credo.store.api import Window

NAMESPACE = "credo:fail:"
MAX_LOCAL_KEYS = 100_000

# KEYS: the counters, then the sorted set of open windows; ARGV: window (ms), now (ms).
_ADD = """
local out = {}
for i = 1, #KEYS - 1 do
  local n = redis.call('INCR', KEYS[i])
  local ttl = redis.call('PTTL', KEYS[i])
  if n == 1 or ttl < 0 then
    redis.call('PEXPIRE', KEYS[i], ARGV[1])
    ttl = tonumber(ARGV[1])
  end
  redis.call('ZADD', KEYS[#KEYS], tonumber(ARGV[2]) + ttl, KEYS[i])
  out[#out + 1] = n
  out[#out + 1] = ttl
end
return out
"""


def _unavailable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable("the failure counter is unavailable",
                            detail=f"{type(exc).__name__}: {exc}")


class RedisFailures:
    """Counters ``credo:fail:k:<key>`` and the index ``credo:fail:open``, in one Redis."""

    def __init__(self, url: str, *, namespace: str = NAMESPACE, timeout: float = 2.0) -> None:
        self._redis: Redis = Redis.from_url(url, socket_connect_timeout=timeout,
                                            socket_timeout=timeout)
        self._pipe = Pipeline(url, timeout=timeout) if supported(url) else None
        self._prefix = namespace + "k:"
        self._open = namespace + "open"
        self._add = self._redis.register_script(_ADD)

    async def add(self, keys: Sequence[str], window: float, now: float) -> list[Window]:
        names = [self._prefix + k for k in keys]
        try:
            found = await self._add(keys=[*names, self._open],
                                    args=[max(1, int(window * 1000)), int(now * 1000)])
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return [(int(found[i]), now + int(found[i + 1]) / 1000)
                for i in range(0, len(found), 2)]

    async def counts(self, keys: Sequence[str], now: float) -> list[Window]:
        names = [(self._prefix + key).encode() for key in keys]
        try:
            if self._pipe is not None:
                found: list[Any] = await self._pipe.call_many(
                    *((command, name) for name in names for command in (b"GET", b"PTTL")))
            else:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for name in names:
                        pipe.get(name)
                        pipe.pttl(name)
                    found = await pipe.execute()
        except (RedisError, RespError, OSError, TimeoutError) as exc:
            raise _unavailable(exc) from exc
        return [(int(found[i]), now + int(found[i + 1]) / 1000)
                if found[i] is not None and int(found[i + 1]) > 0 else (0, now)
                for i in range(0, len(found), 2)]

    async def failing(self, now: float) -> dict[str, float]:
        at = int(now * 1000)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zremrangebyscore(self._open, "-inf", at)
                pipe.zrangebyscore(self._open, f"({at}", "+inf", withscores=True)
                _, found = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        cut = len(self._prefix)
        return {name.decode()[cut:]: score / 1000 for name, score in found}

    async def close(self) -> None:
        if self._pipe is not None:
            self._pipe.close()
        await self._redis.aclose()


class LocalFailures:
    """The same counters in this process only (no Redis): at most ``max_keys`` windows."""

    def __init__(self, *, max_keys: int = MAX_LOCAL_KEYS) -> None:
        self._windows: dict[str, Window] = {}
        self._max = max_keys

    async def add(self, keys: Sequence[str], window: float, now: float) -> list[Window]:
        counted = []
        for key in keys:
            failures, ends = self._windows.get(key, (0, now))
            if ends <= now:
                failures, ends = 0, now + window
            self._windows[key] = (failures + 1, ends)
            counted.append(self._windows[key])
        if len(self._windows) > self._max:
            self._evict(now)
        return counted

    async def counts(self, keys: Sequence[str], now: float) -> list[Window]:
        found = [self._windows.get(k, (0, now)) for k in keys]
        return [w if w[1] > now else (0, now) for w in found]

    async def failing(self, now: float) -> dict[str, float]:
        self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
        return {k: ends for k, (_, ends) in self._windows.items()}

    def _evict(self, now: float) -> None:
        """Closed windows first, then the oldest (insertion order) until under the cap."""
        self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
        while len(self._windows) > self._max:
            del self._windows[next(iter(self._windows))]
