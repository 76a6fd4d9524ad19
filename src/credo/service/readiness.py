"""Readiness: whether this node can answer as it should (``GET /readyz``).

Four checks, each named in the answer: the database answers; a signing key is loaded; the
shared replay store (Redis, when configured) answers, which counts only while a ``strict``
tenant exists (without Redis the replay store is the database); the directory cache read the
directory version within ``cache_seconds`` plus a few seconds. A check waits at most
``timeout`` seconds. The report is kept ``ttl`` seconds and one probe at a time runs the
checks, so however often probes come the database sees at most one read a ``ttl`` (two when
the directory changed: the tenants' profiles are read again). Nothing in a report is secret:
no URL, host or error text, only states and ages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from credo.cache.replay import RedisReplay
from credo.service.keys import KeyService
from credo.service.snapshots import DirectoryCache
from credo.store.api import Directory

if TYPE_CHECKING:
    from credo.service.runtime import Services

log = logging.getLogger("credo.readiness")
FRESH_GRACE_SECONDS = 5.0
"""How much older than ``cache_seconds`` the directory cache may be and still count as fresh."""


@dataclass(frozen=True)
class Check:
    """One named check: up or down, whether readiness depends on it, and plain facts."""

    name: str
    up: bool
    required: bool = True
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": "UP" if self.up else "DOWN",
                "data": {**self.data, "required": self.required}}


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        return all(c.up for c in self.checks if c.required)

    def as_json(self) -> dict[str, Any]:
        """The MicroProfile Health shape Keycloak answers with: ``status`` and ``checks``."""
        return {"status": "UP" if self.ready else "DOWN",
                "checks": [c.as_json() for c in self.checks]}


class Readiness:
    """Runs the checks at most once a ``ttl``; ``report()`` is what ``/readyz`` shows."""

    def __init__(self, directory: Directory, cache: DirectoryCache, keys: KeyService, *,
                 fresh_within: float, ping_replay: Callable[[], Awaitable[None]] | None = None,
                 timeout: float = 2.0, ttl: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._directory = directory
        self._cache = cache
        self._keys = keys
        self._fresh_within = fresh_within
        self._ping_replay = ping_replay
        self._timeout = timeout
        self._ttl = ttl
        self._clock = clock
        self._lock = asyncio.Lock()
        self._report: Report | None = None
        self._at = 0.0
        self._version: int | None = None
        self._strict = True  # until the tenants were read: assume Redis is needed

    async def report(self) -> Report:
        if (current := self._current()) is not None:
            return current
        async with self._lock:  # one probe runs the checks; the others wait and share them
            if (current := self._current()) is None:
                current = self._report = await self._run()
                self._at = self._clock()
            return current

    def _current(self) -> Report | None:
        """The last report while it is younger than ``ttl``."""
        return self._report if self._clock() - self._at < self._ttl else None

    async def _run(self) -> Report:
        database, replay = await asyncio.gather(self._database(), self._replay())
        checks = [database, self._signing_keys()]
        if replay is not None:  # required or not by what the database just said
            checks.append(replace(replay, required=self._strict,
                                  data={**replay.data, "strictTenants": self._strict}))
        checks.append(self._directory_cache())
        return Report(tuple(checks))

    async def _database(self) -> Check:
        try:
            version = await asyncio.wait_for(self._directory.version(), self._timeout)
            if version != self._version:  # the profiles can only change with the version
                tenants = await asyncio.wait_for(self._directory.tenants(), self._timeout)
                self._strict = any(t.profile == "strict" for t in tenants)
                self._version = version
        except Exception as exc:  # whatever it is, the probe answers DOWN, never 500
            return Check("database", False, data={"reason": _reason(exc)})
        return Check("database", True)

    def _signing_keys(self) -> Check:
        kid = self._keys.active_kid
        return Check("signing_keys", kid is not None, data={"activeKid": kid} if kid else {})

    async def _replay(self) -> Check | None:
        if self._ping_replay is None:
            return None
        try:
            await asyncio.wait_for(self._ping_replay(), self._timeout)
        except Exception as exc:
            return Check("replay_store", False, data={"store": "redis", "reason": _reason(exc)})
        return Check("replay_store", True, data={"store": "redis"})

    def _directory_cache(self) -> Check:
        age = self._cache.age
        return Check("directory_cache", age <= self._fresh_within,
                     data={"ageSeconds": round(age, 1), "maxAgeSeconds": self._fresh_within})


def _reason(exc: BaseException) -> str:
    """A fixed word, never the driver's message (it may name hosts or users)."""
    log.debug("readiness check failed: %s", getattr(exc, "detail", "") or type(exc).__name__)
    return "timeout" if isinstance(exc, TimeoutError) else "unavailable"


def for_services(services: Services) -> Readiness:
    """The readiness of a node's open services."""
    replay = services.replay
    return Readiness(services.store, services.cache, services.keys,
                     fresh_within=services.settings.cache_seconds + FRESH_GRACE_SECONDS,
                     ping_replay=replay.ping if isinstance(replay, RedisReplay) else None)
