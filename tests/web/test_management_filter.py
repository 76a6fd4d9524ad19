"""``$filter`` on ``/applications``, ``/servicePrincipals`` and ``/users``: the clauses Graph
clients send to find one object narrow the collection, and every other filter is a 400.
Before, a filter was ignored and the whole collection came back, so a script taking the first
object of ``$filter=appId eq '…'`` (as Azure CLI does) acted on the wrong one."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from credo.service.runtime import Services

from .conftest import TenantAdmin, call, onboard, unique_domain


@pytest.fixture(scope="module")
async def tenant(client: httpx.AsyncClient, services: Services) -> TenantAdmin:
    return await onboard(client, services, unique_domain("filter"))


async def _names(client: httpx.AsyncClient, t: TenantAdmin, collection: str,
                 text: str) -> list[str]:
    found = await call(client, "GET", f"/{collection}?$filter={quote(text)}", t.operator,
                       expect=200)
    key = "userPrincipalName" if collection == "users" else "displayName"
    return sorted(str(v[key]) for v in found["value"])


async def test_the_clauses_clients_send_narrow_each_collection(
        client: httpx.AsyncClient, tenant: TenantAdmin) -> None:
    made: dict[str, dict[str, Any]] = {}
    for name in ("Narrow One", "Narrow Two", "O'Brien's API"):
        made[name] = await call(client, "POST", "/applications", tenant.operator,
                                {"displayName": name}, expect=201)
    one = made["Narrow One"]
    for text in (f"appId eq '{one['appId']}'", f"appId eq '{one['appId'].upper()}'",
                 f"id eq '{one['id']}'", "displayName eq 'narrow one'",
                 f"startswith(displayName, 'Narrow') and appId eq '{one['appId']}'"):
        assert await _names(client, tenant, "applications", text) == ["Narrow One"], text
    assert await _names(client, tenant, "applications", "startswith(displayName,'narrow')") \
        == ["Narrow One", "Narrow Two"]
    assert await _names(client, tenant, "applications",
                        "displayName eq 'O''Brien''s API'") == ["O'Brien's API"]
    assert await _names(client, tenant, "applications", "appId eq 'nothing'") == []
    assert await _names(client, tenant, "servicePrincipals",
                        f"appId eq '{one['appId']}'") == ["Narrow One"]
    await call(client, "POST", "/users", tenant.operator, {
        "displayName": "Filter User", "userPrincipalName": f"fu@{tenant.domain}",
        "passwordProfile": {"password": "Filter user pass 1!"}}, expect=201)
    assert await _names(client, tenant, "users",
                        f"userPrincipalName eq 'FU@{tenant.domain}'") == [f"fu@{tenant.domain}"]
    everything = await call(client, "GET", "/applications?$filter=", tenant.operator,
                            expect=200)
    assert len(everything["value"]) >= 4  # an empty filter is none (the admin app too)


@pytest.mark.parametrize(("collection", "text"), [
    ("applications", "appId ne 'x'"), ("applications", "tags/any(t:t eq 'x')"),
    ("applications", "appId eq 5"), ("applications", "userPrincipalName eq 'x'"),
    ("servicePrincipals", "servicePrincipalNames/any(x:x eq 'api://x')"),
    ("users", "appId eq 'x'"), ("users", "displayName eq 'x' or id eq 'y'"),
    ("users", "startswith(displayName,'x'"), ("applications", "appId eq 'x''")])
async def test_any_other_filter_is_a_400_not_everything(
        client: httpx.AsyncClient, tenant: TenantAdmin, collection: str, text: str) -> None:
    response = await client.get(f"/v1.0/{collection}", params={"$filter": text},
                                headers=tenant.operator)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "Request_BadRequest"
    assert error["message"].startswith("Unsupported or invalid query filter clause specified: "
                                       "'"), error["message"]
    assert f"Supported on {collection}: <property> eq 'text'" in error["message"]
