"""The checks behind ``/readyz``: each named, the Redis one counting only with a strict tenant,
a report shared by every probe within a second, and nothing secret in it."""

from __future__ import annotations

import asyncio
import json
from typing import Any, cast

from credo.errors import StoreUnavailable
from credo.model import Tenant, TenantId
from credo.service.keys import KeyService
from credo.service.readiness import Readiness
from credo.service.snapshots import DirectoryCache
from credo.store.api import Directory

SECRET_DETAIL = "connect to postgresql://credo:hunter2@db.internal:5432 refused"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeDirectory:
    def __init__(self) -> None:
        self.down = False
        self.hang = False
        self.reads = 0
        self.tenant_reads = 0
        self.current = 1
        self.profiles = ["entra"]

    async def version(self) -> int:
        self.reads += 1
        if self.hang:
            await asyncio.sleep(60)
        if self.down:
            raise StoreUnavailable("the database is unavailable", detail=SECRET_DETAIL)
        return self.current

    async def tenants(self) -> list[Tenant]:
        self.tenant_reads += 1
        return [Tenant(TenantId(f"t{i}"), (f"t{i}.test",), "T", p)  # type: ignore[arg-type]
                for i, p in enumerate(self.profiles)]


class FakeKeys:
    active_kid: str | None = "kid-1"


class Redis:
    def __init__(self) -> None:
        self.down = False

    async def ping(self) -> None:
        if self.down:
            raise StoreUnavailable("the replay store is unavailable", detail=SECRET_DETAIL)


def readiness(directory: FakeDirectory, clock: Clock, redis: Redis | None = None,
              keys: Any = None) -> Readiness:
    cache = DirectoryCache(cast(Directory, directory), clock=clock)
    made = Readiness(cast(Directory, directory), cache, cast(KeyService, keys or FakeKeys()),
                     fresh_within=7.0, ping_replay=redis.ping if redis else None, timeout=0.05,
                     clock=clock)
    return made


def states(report: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {c["name"]: (c["status"], c["data"]["required"]) for c in report["checks"]}


async def test_a_healthy_node_names_every_check() -> None:
    clock = Clock()
    ready = readiness(FakeDirectory(), clock)
    report = (await ready.report()).as_json()
    assert report == {"status": "UP", "checks": [
        {"name": "database", "status": "UP", "data": {"required": True}},
        {"name": "signing_keys", "status": "UP", "data": {"activeKid": "kid-1",
                                                          "required": True}},
        {"name": "directory_cache", "status": "UP",
         "data": {"ageSeconds": 0.0, "maxAgeSeconds": 7.0, "required": True}}]}


async def test_a_database_down_is_named_without_its_error_text() -> None:
    clock, directory = Clock(), FakeDirectory()
    ready = readiness(directory, clock)
    directory.down = True
    report = await ready.report()
    assert not report.ready
    assert report.as_json()["checks"][0] == {"name": "database", "status": "DOWN",
                                             "data": {"reason": "unavailable", "required": True}}
    assert "hunter2" not in json.dumps(report.as_json())
    assert "db.internal" not in json.dumps(report.as_json())


async def test_a_hanging_database_times_out() -> None:
    clock, directory = Clock(), FakeDirectory()
    ready = readiness(directory, clock)
    directory.hang = True
    report = await ready.report()
    assert report.as_json()["checks"][0]["data"] == {"reason": "timeout", "required": True}


async def test_no_signing_key_or_an_old_cache_is_not_ready() -> None:
    clock, directory = Clock(), FakeDirectory()
    keys = FakeKeys()
    keys.active_kid = None
    ready = readiness(directory, clock, keys=keys)
    assert states((await ready.report()).as_json())["signing_keys"] == ("DOWN", True)
    ready = readiness(directory, clock)
    clock.now += 7.5
    found = (await ready.report()).as_json()
    assert found["status"] == "DOWN"
    assert found["checks"][-1]["data"] == {"ageSeconds": 7.5, "maxAgeSeconds": 7.0,
                                           "required": True}


async def test_redis_counts_only_while_a_tenant_is_strict() -> None:
    clock, directory, redis = Clock(), FakeDirectory(), Redis()
    ready = readiness(directory, clock, redis)
    redis.down = True
    report = await ready.report()
    assert report.ready
    assert states(report.as_json())["replay_store"] == ("DOWN", False)
    assert "hunter2" not in json.dumps(report.as_json())
    directory.profiles, directory.current = ["entra", "strict"], 2  # a strict tenant appears
    clock.now += 1
    report = await ready.report()
    assert not report.ready
    assert states(report.as_json())["replay_store"] == ("DOWN", True)
    redis.down = False
    clock.now += 1
    assert (await ready.report()).ready


async def test_the_tenants_are_read_only_when_the_directory_changed() -> None:
    clock, directory = Clock(), FakeDirectory()
    ready = readiness(directory, clock, Redis())
    for _ in range(3):
        await ready.report()
        clock.now += 1
    assert (directory.reads, directory.tenant_reads) == (3, 1)


async def test_probes_within_a_second_share_one_check() -> None:
    clock, directory = Clock(), FakeDirectory()
    ready = readiness(directory, clock)
    reports = await asyncio.gather(*(ready.report() for _ in range(50)))
    assert directory.reads == 1 and len({id(r) for r in reports}) == 1
    clock.now += 0.9
    await ready.report()
    assert directory.reads == 1
    clock.now += 0.2
    await ready.report()
    assert directory.reads == 2

