"""Who may call the management API: 401 for a missing or bad token, 403 for a missing role."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from credo import jose
from credo.service.management.policy import MANAGEMENT_APP_ID, ROLE_READ
from credo.service.runtime import Services
from credo.service.sources import Sources
from support import (
    bearer,
    claims_of,
    operator_credential,
    token_with_secret,
)

from .conftest import call, onboard, unique_domain


def _inner(response: httpx.Response) -> dict[str, Any]:
    inner = response.json()["error"]["innerError"]
    assert inner["request-id"] == response.headers["request-id"]
    return {"date": inner["date"], "request-id": inner["request-id"]}


async def _unauthenticated(client: httpx.AsyncClient, headers: dict[str, str],
                           message: str) -> None:
    response = await client.get("/v1.0/applications", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"error": {"code": "InvalidAuthenticationToken",
                                         "message": message, "innerError": _inner(response)}}


async def test_missing_token(client: httpx.AsyncClient) -> None:
    await _unauthenticated(client, {}, "Access token is empty.")
    await _unauthenticated(client, {"Authorization": "Basic abc"}, "Access token is empty.")


async def test_malformed_token(client: httpx.AsyncClient) -> None:
    await _unauthenticated(client, bearer("not-a-jwt"), "IDX14100: JWT is not well formed.")


async def test_tampered_signature(client: httpx.AsyncClient, operator: dict[str, str]) -> None:
    token = operator["Authorization"].removeprefix("Bearer ")
    head, _, _ = token.split(".")
    forged = dict(claims_of(token), roles=["Tenant.ReadWrite.All", "Directory.Read.All"])
    body = jose.b64url_encode(json.dumps(forged).encode())
    await _unauthenticated(client, bearer(f"{head}.{body}.{token.split('.')[2]}"),
                           "Access token validation failure. Invalid signature.")


async def test_token_signed_by_an_unknown_key(client: httpx.AsyncClient,
                                              services: Services) -> None:
    key, _ = operator_credential(services)
    token = jose.sign("RS256", key, {"typ": "JWT", "kid": "not-a-published-kid"},
                      {"aud": MANAGEMENT_APP_ID})
    await _unauthenticated(client, bearer(token),
                           "Access token validation failure. Signing key not found.")


async def test_expired_token(client: httpx.AsyncClient, operator: dict[str, str],
                             services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    later = time.time() + 2 * 3600
    monkeypatch.setattr(services, "sources", Sources(clock=lambda: later))
    await _unauthenticated(client, operator,
                           "Lifetime validation failed, the token is expired or not yet valid.")


async def test_token_for_another_resource(client: httpx.AsyncClient, services: Services,
                                          operator: dict[str, str]) -> None:
    api = await call(client, "POST", "/applications", operator, {
        "displayName": "Other API", "identifierUris": ["api://other-api"],
        "api": {"requestedAccessTokenVersion": 2},
        "appRoles": [{"allowedMemberTypes": ["Application"], "value": "Thing.Read",
                      "displayName": "Read things", "description": "Read things",
                      "id": "3f6c1d2e-0a1b-4c5d-8e9f-0a1b2c3d4e5f", "isEnabled": True}]},
        expect=201)
    api_sp = await call(client, "GET", f"/servicePrincipals(appId='{api['appId']}')", operator,
                        expect=200)
    daemon = await call(client, "POST", "/applications", operator, {"displayName": "Daemon"},
                        expect=201)
    secret = (await call(client, "POST", f"/applications/{daemon['id']}/addPassword", operator,
                         {}, expect=200))["secretText"]
    daemon_sp = await call(client, "GET", f"/servicePrincipals(appId='{daemon['appId']}')",
                           operator, expect=200)
    await call(client, "POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", operator,
               {"principalId": daemon_sp["id"], "resourceId": api_sp["id"],
                "appRoleId": "3f6c1d2e-0a1b-4c5d-8e9f-0a1b2c3d4e5f"}, expect=201)
    token = await token_with_secret(client, services.settings.bootstrap_tenant,
                                    daemon["appId"], secret, scope="api://other-api/.default")
    assert claims_of(token)["aud"] == api["appId"]
    await _unauthenticated(client, bearer(token),
                           "Access token validation failure. Invalid audience.")


async def test_missing_role_is_403(client: httpx.AsyncClient, services: Services) -> None:
    tenant = await onboard(client, services, unique_domain("roles"))
    reader = await call(client, "POST", "/applications", tenant.operator,
                        {"displayName": "reader"}, expect=201)
    secret = (await call(client, "POST", f"/applications/{reader['id']}/addPassword",
                         tenant.operator, {}, expect=200))["secretText"]
    reader_sp = await call(client, "GET", f"/servicePrincipals(appId='{reader['appId']}')",
                           tenant.operator, expect=200)
    read_role = next(r["id"] for r in tenant.management_sp["appRoles"]
                     if r["value"] == ROLE_READ)
    await call(client, "POST", f"/servicePrincipals/{reader_sp['id']}/appRoleAssignments",
               tenant.operator, {"principalId": reader_sp["id"],
                              "resourceId": tenant.management_sp["id"], "appRoleId": read_role},
               expect=201)
    headers = bearer(await token_with_secret(client, tenant.tenant_id, reader["appId"], secret))
    listed = await call(client, "GET", "/applications", headers, expect=200)
    assert {a["appId"] for a in listed["value"]} >= {reader["appId"]}
    response = await client.post("/v1.0/applications", headers=headers,
                                 json={"displayName": "nope"})
    assert response.status_code == 403
    assert response.json() == {"error": {
        "code": "Authorization_RequestDenied",
        "message": "Insufficient privileges to complete the operation.",
        "innerError": _inner(response)}}
    for path in ("/tenants", "/keys"):
        denied = await client.get(f"/v1.0{path}", headers=tenant.admin)
        assert denied.status_code == 403, path
        assert denied.json()["error"]["code"] == "Authorization_RequestDenied"


async def test_request_ids(client: httpx.AsyncClient, operator: dict[str, str]) -> None:
    echoed = await client.get("/v1.0/organization",
                              headers={**operator, "client-request-id": "abc-123"})
    assert echoed.status_code == 200
    assert echoed.headers["client-request-id"] == "abc-123"
    assert echoed.headers["request-id"] != "abc-123"
    fresh = await client.get("/v1.0/organization", headers=operator)
    assert fresh.headers["client-request-id"] == fresh.headers["request-id"]
    refused = await client.get("/v1.0/organization")
    assert refused.status_code == 401 and refused.headers["request-id"]
