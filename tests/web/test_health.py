"""``/healthz`` and ``/readyz`` over HTTP, and how every surface answers while the database does
not: 503 with ``Retry-After`` (Graph's ``serviceNotAvailable`` on ``/v1.0``, AADSTS90033 on the
protocol endpoints), never a 500 or a 401, and nothing written."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from credo.errors import StoreUnavailable
from credo.service.runtime import Services
from support import asgi_client, directory_rows

from .conftest import TenantAdmin, onboard, unique_domain


@pytest.fixture(scope="module")
async def tenant(client: httpx.AsyncClient, services: Services) -> TenantAdmin:
    return await onboard(client, services, unique_domain("health"))


def _down(monkeypatch: pytest.MonkeyPatch, services: Services, *names: str) -> None:
    async def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailable("the database is unavailable",
                               detail="connection to db.internal:5432 refused")
    for name in names:
        monkeypatch.setattr(services.store, name, unavailable)


async def test_healthz_answers_without_authentication_or_io(
        client: httpx.AsyncClient, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    _down(monkeypatch, services, "version", "tenants")
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "UP", "checks": []}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json; charset=utf-8"


async def test_readyz_names_each_check(services: Services) -> None:
    async with asgi_client(services) as fresh:
        response = await fresh.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "UP"
    assert [(c["name"], c["status"]) for c in body["checks"]] == [
        ("database", "UP"), ("signing_keys", "UP"), ("directory_cache", "UP")]
    assert body["checks"][1]["data"]["activeKid"] == services.keys.active_kid


async def test_readyz_is_503_while_the_database_is_away(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    _down(monkeypatch, services, "version", "tenants")
    async with asgi_client(services) as fresh:
        response = await fresh.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "DOWN"
    assert response.json()["checks"][0] == {"name": "database", "status": "DOWN",
                                            "data": {"reason": "unavailable", "required": True}}
    assert "db.internal" not in response.text


async def test_management_reads_and_writes_answer_graph_503(
        client: httpx.AsyncClient, services: Services, tenant: TenantAdmin,
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = await directory_rows(services)
    _down(monkeypatch, services, "applications", "save_application")
    for method, body in (("GET", None), ("POST", {"displayName": "Not while down"})):
        response = await client.request(method, "/v1.0/applications", json=body,
                                        headers=tenant.admin)
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert response.json() == {"error": {
            "code": "serviceNotAvailable",
            "message": "The service is temporarily unavailable. Retry after the Retry-After "
                       "seconds.",
            "innerError": {"date": response.json()["error"]["innerError"]["date"],
                           "request-id": response.headers["request-id"]}}}
    monkeypatch.undo()
    assert await directory_rows(services) == before


async def test_protocol_endpoints_answer_aadsts90033(
        client: httpx.AsyncClient, services: Services, tenant: TenantAdmin,
        monkeypatch: pytest.MonkeyPatch) -> None:
    services.cache.invalidate()
    _down(monkeypatch, services, "tenant", "tenant_by_domain", "application_by_app_id")
    discovery = await client.get(f"/{tenant.domain}/v2.0/.well-known/openid-configuration")
    token = await client.post(f"/{tenant.tenant_id}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": str(uuid.uuid4()),
        "client_secret": "x" * 40, "scope": "api://credo/.default"})
    for response in (discovery, token):
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        assert response.json()["error"] == "temporarily_unavailable"
        assert response.json()["error_codes"] == [90033]
        assert "db.internal" not in response.text
