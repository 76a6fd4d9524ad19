"""Redis stopped under load, then started again (docs/operations.md, "Failure modes").

A real ``credo serve`` (SQLite) using the test's own ``redis-server``; one client of a
``strict`` tenant (certificate, a fresh ``jti`` each time: Redis records it) and one of an
``entra`` tenant (secret) request tokens all along. While Redis is away the strict client
gets 503 AADSTS90033 with ``Retry-After``, the entra client only 200s, a wrong secret is
still 401 (the failure budgets fail open, never 500) and ``/readyz`` names ``replay_store``
``DOWN``; once Redis is back the strict client is served again without a restart.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from .faults import (
    Answer,
    Load,
    World,
    assertion_form,
    one_node,
    outcomes,
    secret_form,
    summary,
)
from .processes import OwnRedis

pytestmark = pytest.mark.slow
OUTAGE = 4.0


def _until(check: Callable[[], bool], seconds: float) -> float:
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < seconds, "not within the bound"
        time.sleep(0.05)
    return time.monotonic() - began


def test_redis_stopped_under_load(tmp_path: Path) -> None:
    redis = OwnRedis()
    env = {"CREDO_REDIS_URL": redis.url, "CREDO_CACHE_SECONDS": "1"}
    try:
        with one_node(tmp_path, "redis.test", env) as (_, url, context, world):
            _outage(redis, world, url, context)
    finally:
        redis.stop()


def _outage(redis: OwnRedis, world: World, url: str, context: ssl.SSLContext) -> None:
    issuer = f"{url}/{world.strict.id}/v2.0"
    strict = Load(f"{url}/{world.strict.id}/oauth2/v2.0/token",
                  assertion_form(world.cert_daemon, world.strict_api, issuer), context,
                  threads=2, pause=0.02).start()
    entra = Load(f"{url}/{world.entra.id}/oauth2/v2.0/token",
                 secret_form(world.secret_daemon, world.entra_api), context,
                 threads=2, pause=0.02).start()
    with httpx.Client(verify=context, timeout=15) as http:
        time.sleep(2)
        stopped = time.monotonic()
        redis.stop()
        time.sleep(1)
        _during(http, world, url)
        time.sleep(max(0.0, stopped + OUTAGE - time.monotonic()))
        started = time.monotonic()
        redis.start()
        ready = _until(lambda: http.get(f"{url}/readyz").status_code == 200, 30)
        time.sleep(2)
    strict_answers, entra_answers = strict.stop(), entra.stop()
    assert set(outcomes(entra_answers)) == {"200"}, outcomes(entra_answers)
    recovered = _judge_strict(strict_answers, stopped, started)
    print(summary("redis-stopped strict", strict_answers, outage_s=OUTAGE,
                  strict_served_after_start_s=recovered, ready_after_start_s=ready))
    print(summary("redis-stopped entra", entra_answers, outage_s=OUTAGE))


def _during(http: httpx.Client, world: World, url: str) -> None:
    ready = http.get(f"{url}/readyz")
    assert ready.status_code == 503
    replay = next(c for c in ready.json()["checks"] if c["name"] == "replay_store")
    assert replay == {"name": "replay_store", "status": "DOWN", "data": {
        "store": "redis", "reason": "unavailable", "strictTenants": True, "required": True}}
    wrong = http.post(f"{url}/{world.entra.id}/oauth2/v2.0/token", data={
        **secret_form(world.secret_daemon, world.entra_api)(), "client_secret": "x" * 40})
    assert (wrong.status_code, wrong.json()["error_codes"]) == (401, [7000215]), wrong.text


def _judge_strict(answers: list[Answer], stopped: float, started: float) -> float:
    """200 before, 503 + Retry-After while away (after the first second), 200 once back;
    returns how long after Redis started the first 200 came."""
    assert set(outcomes(answers)) <= {"200", "503/90033"}, outcomes(answers)
    assert all(a.retry_after == "5" for a in answers if a.status == 503)
    assert all(a.status == 200 for a in answers if a.sent < stopped - 0.1)
    assert all(a.status == 503 for a in answers if stopped + 1 < a.sent < started)
    first = min(a.done for a in answers if a.sent >= started and a.status == 200)
    assert all(a.status == 200 for a in answers if a.sent > first)
    return first - started
