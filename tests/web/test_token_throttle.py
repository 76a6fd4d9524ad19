"""Token-endpoint throttling over HTTP (issue 8, finding 7: 1,000 wrong client secrets took
3.8 s and the right one worked right after).

The deployment's defaults: 20 failures per client and 200 per tenant in 60-second windows,
per process (no ``redis_url``); with Redis, two workers share the budgets.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from availability import require_or_skip
from credo import certs
from credo.config import load_settings
from credo.service.management.policy import MANAGEMENT_SCOPE
from credo.service.runtime import Services, close_services, open_services
from support import ASSERTION_TYPE, asgi_client, client_assertion, directory_rows, operator_token

from .conftest import TenantAdmin, add_password, call, onboard, unique_domain
from .test_token_endpoint import assert_error

REDIS_URL = "redis://127.0.0.1:6379/15"
THROTTLED = ("The server terminated an operation because it encountered too many failed "
             "authentications of this client. Retry after the time in the Retry-After header.")
WRONG = ("Invalid client secret provided. Ensure the secret being sent in the request is the "
         "client secret value, not the client secret ID, for a secret added to app '{}'.")


async def daemon(client: httpx.AsyncClient, tenant: TenantAdmin, name: str
                 ) -> tuple[str, str]:
    """A new app of the tenant holding Directory.Read.All on the management API:
    ``(appId, secret)``."""
    op = tenant.operator
    app = await call(client, "POST", "/applications", op, {"displayName": name}, expect=201)
    secret = await add_password(client, op, app, "s")
    sp = await call(client, "GET", f"/servicePrincipals(appId='{app['appId']}')", op,
                    expect=200)
    role = next(r["id"] for r in tenant.management_sp["appRoles"]
                if r["value"] == "Directory.Read.All")
    await call(client, "POST", f"/servicePrincipals/{tenant.management_sp['id']}"
               "/appRoleAssignedTo", op, {"principalId": sp["id"],
                                          "resourceId": tenant.management_sp["id"],
                                          "appRoleId": role}, expect=201)
    return app["appId"], secret


async def token(client: httpx.AsyncClient, tenant: TenantAdmin, app_id: str, secret: str
                ) -> httpx.Response:
    return await client.post(f"/{tenant.tenant_id}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": app_id, "client_secret": secret,
        "scope": MANAGEMENT_SCOPE})


async def test_finding_7_wrong_secrets_then_the_right_one_get_429(
        client: httpx.AsyncClient, services: Services) -> None:
    tenant = await onboard(client, services, unique_domain("throttled"))
    target, secret = await daemon(client, tenant, "Target daemon")
    bystander, other_secret = await daemon(client, tenant, "Bystander daemon")
    budget = services.tokens._throttle.limits.client_failures
    before = await directory_rows(services)
    answers = [await token(client, tenant, target, f"guess-{i}") for i in range(100)]
    right = await token(client, tenant, target, secret)
    assert [a.status_code for a in answers] == [401] * budget + [429] * (100 - budget)
    assert_error(answers[0], 401, "invalid_client", 7000215, WRONG.format(target))
    for response in (answers[-1], right):
        assert_error(response, 429, "temporarily_unavailable", 50196, THROTTLED)
        assert 1 <= int(response.headers["retry-after"]) <= 60
    assert (await token(client, tenant, bystander, other_secret)).status_code == 200
    assert await directory_rows(services) == before
    refusals = [e for e in list(services.audit._events)
                if e.tenant_id == tenant.tenant_id and e.code == 50196]
    assert len(refusals) == 100 - budget + 1
    assert {(e.kind, e.outcome, e.client_id) for e in refusals} == {
        ("token.client_credentials", "failure", target)}


async def test_unknown_client_ids_throttle_nobody(client: httpx.AsyncClient,
                                                  services: Services) -> None:
    tenant = await onboard(client, services, unique_domain("unknown-ids"))
    real, secret = await daemon(client, tenant, "Real daemon")
    limits = services.tokens._throttle.limits
    floods = [await token(client, tenant, str(uuid.uuid4()), "x")
              for _ in range(limits.client_failures + 5)]
    assert {r.status_code for r in floods} == {400}  # AADSTS700016: not counted
    assert (await token(client, tenant, real, "wrong")).status_code == 401
    assert (await token(client, tenant, real, secret)).status_code == 200


async def test_a_client_id_alone_does_not_lock_out_a_certificate_holder(
        client: httpx.AsyncClient, services: Services) -> None:
    """Over budget, secrets are refused unread; an assertion is still verified."""
    tenant = await onboard(client, services, unique_domain("cert-holder"))
    operator = services.settings.operator_app_id
    budget = services.tokens._throttle.limits.client_failures
    answers = [await token(client, tenant, operator, "guess") for _ in range(budget + 3)]
    assert [a.status_code for a in answers][-4:] == [401, 429, 429, 429]
    key, cert = certs.create_self_signed("CN=Not the operator", datetime.now(UTC),
                                         datetime.now(UTC) + timedelta(days=1))
    audience = f"{services.settings.base_url}/{tenant.tenant_id}/oauth2/v2.0/token"
    forged = await client.post(f"/{tenant.tenant_id}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": operator, "scope": MANAGEMENT_SCOPE,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion(key, cert, operator, audience)})
    assert_error(forged, 429, "temporarily_unavailable", 50196, THROTTLED)
    assert await operator_token(client, services, tenant.tenant_id)  # the real certificate


@pytest.fixture
async def redis_available() -> None:
    probe = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await probe.ping()
    except (RedisError, OSError) as exc:
        require_or_skip(f"Redis at {REDIS_URL} is unreachable ({exc})")
    finally:
        await probe.aclose()


@pytest.fixture
async def workers(services: Services, redis_available: None
                  ) -> AsyncIterator[list[httpx.AsyncClient]]:
    """Two workers of the same deployment sharing Redis (propagation bound 0 s)."""
    opened = [await open_services(load_settings(services.settings.data_dir, env={},
                                                redis_url=REDIS_URL, cache_seconds=0))
              for _ in range(2)]
    clients = [asgi_client(worker) for worker in opened]
    yield clients
    for http, worker in zip(clients, opened, strict=True):
        await http.aclose()
        await close_services(worker)


@pytest.mark.services
async def test_workers_share_the_budget_through_redis(
        client: httpx.AsyncClient, services: Services, workers: list[httpx.AsyncClient]
        ) -> None:
    tenant = await onboard(client, services, unique_domain("redis-throttle"))
    target, secret = await daemon(client, tenant, "Shared target")
    bystander, other_secret = await daemon(client, tenant, "Shared bystander")
    one, two = workers
    budget = services.tokens._throttle.limits.client_failures
    assert (await token(two, tenant, target, secret)).status_code == 200
    answers = [await token(one, tenant, target, f"guess-{i}") for i in range(budget)]
    assert {a.status_code for a in answers} == {401}
    assert_error(await token(two, tenant, target, secret), 429, "temporarily_unavailable",
                 50196, THROTTLED)
    assert (await token(two, tenant, bystander, other_secret)).status_code == 200
    assert (await token(client, tenant, target, secret)).status_code == 200  # no Redis here
