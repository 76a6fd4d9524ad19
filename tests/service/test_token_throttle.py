"""The token endpoint's failure budgets (issue 8, finding 7), below the HTTP layer.

Budgets of 3 failures per client and 5 per tenant in 60-second windows; a fake clock.
Two ``TokenThrottle`` objects over one counter are two workers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Sequence

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from availability import require_or_skip
from credo.cache.failures import LocalFailures, RedisFailures
from credo.errors import StoreUnavailable, TemporarilyUnavailable
from credo.model import Tenant, TenantId
from credo.service.throttle import ThrottleLimits, TokenThrottle
from credo.store.api import FailureCounter, Window

CONTOSO = Tenant(TenantId("9b6a4c34-5f3c-4a43-a3c8-9e1b8f4d2a10"), ("contoso.example",),
                 "Contoso")
FABRIKAM = Tenant(TenantId("3f1e2d4c-7b6a-4e5d-8c9b-0a1f2e3d4c5b"), ("fabrikam.example",),
                  "Fabrikam")
LIMITS = ThrottleLimits(client_failures=3, tenant_failures=5, window=60.0, sync_every=2.0)
REDIS_URL = "redis://127.0.0.1:6379/15"
DAEMON, OTHER = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def refused(throttle: TokenThrottle, tenant: Tenant, client: str
                  ) -> TemporarilyUnavailable | None:
    err = await throttle.over_budget(tenant, client)
    if err is None:
        return None
    assert isinstance(err, TemporarilyUnavailable)
    return throttle.refuse(err)


async def fail(throttle: TokenThrottle, tenant: Tenant, client: str, times: int) -> None:
    for _ in range(times):
        assert await refused(throttle, tenant, client) is None
        await throttle.failed(tenant, client)


async def test_a_client_over_budget_is_refused_until_its_window_ends() -> None:
    clock = Clock(1000.0)
    kinds: list[str] = []
    throttle = TokenThrottle(LocalFailures(), LIMITS, clock=clock, on_throttle=kinds.append)
    await fail(throttle, CONTOSO, DAEMON, 3)
    clock.now += 10.5
    err = await refused(throttle, CONTOSO, DAEMON.upper())  # the same client
    assert err is not None and err.code == 50196 and err.http_status == 429
    assert err.error == "temporarily_unavailable" and err.retry_after == 50
    assert err.headers == {"Retry-After": "50"}
    assert await refused(throttle, CONTOSO, OTHER) is None  # another client
    assert await refused(throttle, FABRIKAM, DAEMON) is None  # the same app elsewhere
    clock.now = 1060.0
    assert await refused(throttle, CONTOSO, DAEMON) is None  # a new window
    assert kinds == ["token.client"]


async def test_the_tenant_budget_refuses_only_clients_that_failed_too() -> None:
    clock = Clock(1000.0)
    throttle = TokenThrottle(LocalFailures(), LIMITS, clock=clock)
    clients = [f"{n}0000000-0000-4000-8000-000000000000" for n in range(3, 6)]
    await fail(throttle, CONTOSO, clients[0], 2)
    await fail(throttle, CONTOSO, clients[1], 2)
    await fail(throttle, CONTOSO, clients[2], 1)
    for client in clients:
        err = await refused(throttle, CONTOSO, client)
        assert err is not None and err.code == 90055 and err.retry_after == 60
    assert await refused(throttle, CONTOSO, DAEMON) is None  # no failure of its own


async def test_a_refused_request_is_not_counted() -> None:
    clock = Clock(1000.0)
    throttle = TokenThrottle(LocalFailures(), LIMITS, clock=clock)
    await fail(throttle, CONTOSO, DAEMON, 3)
    for _ in range(100):
        assert await refused(throttle, CONTOSO, DAEMON) is not None
    await fail(throttle, CONTOSO, OTHER, 1)
    assert await refused(throttle, CONTOSO, OTHER) is None  # tenant at 4, not 103


class Counting(LocalFailures):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def counts(self, keys: Sequence[str], now: float) -> list[Window]:
        self.reads += 1
        return await super().counts(keys, now)


async def test_a_healthy_client_costs_no_read() -> None:
    counter = Counting()
    throttle = TokenThrottle(counter, LIMITS, clock=Clock(1000.0))
    for _ in range(50):
        assert await throttle.over_budget(CONTOSO, DAEMON) is None
    await throttle.failed(CONTOSO, OTHER)
    assert await throttle.over_budget(CONTOSO, OTHER) is None
    assert counter.reads == 1


class Down(LocalFailures):
    async def add(self, keys: Sequence[str], window: float, now: float) -> list[Window]:
        raise StoreUnavailable("the failure counter is unavailable")

    async def failing(self, now: float) -> dict[str, float]:
        raise StoreUnavailable("the failure counter is unavailable")


async def test_a_counter_that_cannot_answer_fails_open(caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    throttle = TokenThrottle(Down(), LIMITS, clock=Clock(1000.0))
    for _ in range(5):
        assert await throttle.over_budget(CONTOSO, DAEMON) is None
        await throttle.failed(CONTOSO, DAEMON)
    assert "token failure not counted" in caplog.text


@pytest.fixture
async def redis_workers() -> AsyncIterator[list[FailureCounter]]:
    """Two workers' counters on one Redis (database 15, a namespace of this test's own)."""
    probe = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await probe.ping()
    except (RedisError, OSError) as exc:
        await probe.aclose()
        require_or_skip(f"Redis at {REDIS_URL} is unreachable ({exc})")
    namespace = f"credo:fail:test-{uuid.uuid4().hex}:"
    workers = [RedisFailures(REDIS_URL, namespace=namespace) for _ in range(2)]
    yield list(workers)
    for worker in workers:
        await worker.close()
    keys = [k async for k in probe.scan_iter(match=namespace + "*")]
    if keys:
        await probe.delete(*keys)
    await probe.aclose()


@pytest.fixture
def local_workers() -> list[FailureCounter]:
    return [LocalFailures(), LocalFailures()]


@pytest.fixture(params=["local_workers", pytest.param("redis_workers",
                                                      marks=pytest.mark.services)])
def shared(request: pytest.FixtureRequest) -> list[FailureCounter]:
    """Two workers' counters: one each (per process), or one Redis for both."""
    found: list[FailureCounter] = request.getfixturevalue(request.param)
    return found


async def test_workers_share_budgets_only_through_redis(shared: list[FailureCounter]) -> None:
    clock = Clock(time.time())  # Redis keeps real time
    one, two = (TokenThrottle(c, LIMITS, clock=clock) for c in shared)
    assert await refused(two, CONTOSO, DAEMON) is None  # two has synced: nothing failing
    await fail(one, CONTOSO, DAEMON, 3)
    assert await refused(one, CONTOSO, DAEMON) is not None
    clock.now += LIMITS.sync_every  # within the propagation bound, two learns of it
    err = await refused(two, CONTOSO, DAEMON)
    if isinstance(shared[0], RedisFailures):
        assert err is not None and err.code == 50196 and 1 <= err.retry_after <= 60
        assert await refused(two, CONTOSO, OTHER) is None
    else:
        assert err is None  # per process: each worker keeps its own budget
