"""PostgreSQL stopped under load, then started again (docs/operations.md, "Failure modes").

A real ``credo serve`` on the test's own PostgreSQL (``processes.OwnPostgres``), one client
requesting tokens all along. While the database is away: the cached client keeps getting
tokens until ``cache_seconds + max_stale_seconds``, then 503 AADSTS90033; a client the cache
never held gets 503 at once; management reads and writes get Graph's 503; ``/readyz`` is
503 and ``/healthz`` 200; every 503 carries ``Retry-After``; nothing answers 500 or 401 or
drops a connection. Once the database is back everything answers as before, without a
restart. The figures are printed (``-s`` shows them).
"""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from .faults import (
    Answer,
    Load,
    World,
    one_node,
    outcomes,
    secret_form,
    summary,
)
from .processes import OwnPostgres

pytestmark = pytest.mark.slow
CACHE_SECONDS, MAX_STALE = 1.0, 8.0
BOUND = CACHE_SECONDS + MAX_STALE
OUTAGE = BOUND + 5


@pytest.fixture(scope="module")
def postgres() -> Iterator[OwnPostgres]:
    own = OwnPostgres()
    yield own
    own.close()


def _token(http: httpx.Client, world: World, url: str, spare: bool) -> httpx.Response:
    app = world.spare_daemon if spare else world.secret_daemon
    return http.post(url, data=secret_form(app, world.entra_api)())


def _until(check: Callable[[], bool], seconds: float) -> float:
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < seconds, "not within the bound"
        time.sleep(0.1)
    return time.monotonic() - began


def test_postgresql_stopped_under_load(postgres: OwnPostgres, tmp_path: Path) -> None:
    env = {"CREDO_DATABASE_URL": postgres.create_database("outage"),
           "CREDO_CACHE_SECONDS": str(CACHE_SECONDS), "CREDO_MAX_STALE_SECONDS": str(MAX_STALE)}
    with one_node(tmp_path, "outage.test", env) as (node, url, context, world):
        _outage(postgres, world, url, context)
    assert not re.search(r"credo\.access: \S+ \S+ 5(?!03)\d\d ", node.log())  # no 500


def _outage(postgres: OwnPostgres, world: World, url: str, context: ssl.SSLContext) -> None:
    token_url = f"{url}/{world.entra.id}/oauth2/v2.0/token"
    operator = world.graph.token(world.entra.id)
    headers = {"Authorization": f"Bearer {operator}"}
    load = Load(token_url, secret_form(world.secret_daemon, world.entra_api), context,
                threads=2, pause=0.02).start()
    with httpx.Client(verify=context, timeout=15) as http:
        time.sleep(2)
        stopped = time.monotonic()
        postgres.stop()
        time.sleep(1)
        _during(http, world, url, token_url, headers)
        # past the bound the cached client is refused too
        _until(lambda: _token(http, world, token_url, spare=False).status_code == 503, OUTAGE)
        time.sleep(max(0.0, stopped + OUTAGE - time.monotonic()))
        started = time.monotonic()
        postgres.start()
        ready = _until(lambda: http.get(f"{url}/readyz").status_code == 200, 30)
        spare = _until(lambda: _token(http, world, token_url, spare=True).status_code == 200, 30)
        time.sleep(2)
        created = http.post(f"{url}/v1.0/applications", json={"displayName": "after"},
                            headers=headers)
        assert created.status_code == 201, created.text
    answers = load.stop()
    _judge(answers, stopped, started, started + ready)
    print(summary("postgresql-stopped", answers, outage_s=OUTAGE, ready_after_start_s=ready,
                  uncached_client_after_start_s=spare,
                  served_from_cache_s=_last_ok_before(answers, started) - stopped))


def _during(http: httpx.Client, world: World, url: str, token_url: str,
            headers: dict[str, str]) -> None:
    """Within the bound: cached client served, uncached 503, management 503, readyz 503."""
    assert _token(http, world, token_url, spare=False).status_code == 200
    spare = _token(http, world, token_url, spare=True)
    assert (spare.status_code, spare.json()["error_codes"], spare.headers["retry-after"]) == (
        503, [90033], "5"), spare.text
    for method, body in (("GET", None), ("POST", {"displayName": "while down"})):
        answer = http.request(method, f"{url}/v1.0/applications", json=body, headers=headers)
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "serviceNotAvailable"
        assert answer.headers["retry-after"] == "5"
    ready = http.get(f"{url}/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"][0] == {"name": "database", "status": "DOWN",
                                         "data": {"reason": "unavailable", "required": True}}
    assert http.get(f"{url}/healthz").status_code == 200


def _last_ok_before(answers: list[Answer], moment: float) -> float:
    return max(a.sent for a in answers if a.status == 200 and a.sent < moment)


def _judge(answers: list[Answer], stopped: float, started: float, ready: float) -> None:
    """Only 200 or 503 + Retry-After; 200 within the bound and after recovery, 503 between."""
    found = outcomes(answers)
    assert set(found) <= {"200", "503/90033"}, found
    for a in answers:
        if a.status == 503:
            assert a.retry_after == "5"
        if stopped <= a.sent < stopped + BOUND - 1.5 or a.sent > ready + 2:
            assert a.status == 200, (a.sent - stopped, a.status)
        if stopped + BOUND + 0.5 < a.sent < started:
            assert a.status == 503, (a.sent - stopped, a.status)
