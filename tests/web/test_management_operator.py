"""Operator routes (tenants, signing keys), the audit log, and the OpenAPI document."""

from __future__ import annotations

import httpx

from credo.service.runtime import Services
from support import bearer, operator_token

from .conftest import call, unique_domain


async def test_operator_manages_tenants(client: httpx.AsyncClient, services: Services,
                                        operator: dict[str, str]) -> None:
    domain = unique_domain("fabrikam")
    created = await call(client, "POST", "/tenants", operator,
                         {"domain": domain.upper(), "displayName": "Fabrikam"}, expect=201)
    assert {k: created[k] for k in ("displayName", "verifiedDomains", "profile")} == {
        "displayName": "Fabrikam", "verifiedDomains": [{"name": domain, "isDefault": True}],
        "profile": "entra"}
    assert created["id"] == created["tenantId"]
    listed = await call(client, "GET", "/tenants", operator, expect=200)
    assert {services.settings.bootstrap_tenant, created["id"]} <= {
        t["id"] for t in listed["value"]}
    by_domain = await call(client, "GET", f"/tenants/{domain}", operator, expect=200)
    assert by_domain["id"] == created["id"]
    await call(client, "PATCH", f"/tenants/{created['id']}", operator, {"profile": "strict"},
               expect=204)
    changed = await call(client, "GET", f"/tenants/{created['id']}", operator, expect=200)
    assert changed["profile"] == "strict"

    # The operator can act in the new tenant at once (with a strict-profile assertion now).
    in_tenant = bearer(await operator_token(client, services, created["id"], strict=True))
    organization = await call(client, "GET", "/organization", in_tenant, expect=200)
    assert organization["value"][0]["id"] == created["id"]

    conflict = await client.post("/v1.0/tenants", headers=operator, json={"domain": domain})
    assert conflict.status_code == 409
    for body, target in (({"domain": "no_dots"}, "domain"),
                         ({"domain": unique_domain("x"), "profile": "lax"}, "profile"),
                         ({"domain": unique_domain("x"), "extra": 1}, "extra")):
        bad = await client.post("/v1.0/tenants", headers=operator, json=body)
        assert bad.status_code == 400, bad.text
        assert target in {d["target"] for d in bad.json()["error"]["details"]}
    await call(client, "GET", f"/tenants/{unique_domain('absent')}", operator, expect=404)


async def test_key_rotation(client: httpx.AsyncClient, services: Services,
                            operator: dict[str, str]) -> None:
    tenant = services.settings.bootstrap_tenant
    before = await call(client, "GET", "/keys", operator, expect=200)
    states = {k["kid"]: k["state"] for k in before["value"]}
    assert states[before["activeKid"]] == "active"
    next_kid = next(kid for kid, state in states.items() if state == "next")
    assert all(set(k) == {"kid", "state", "createdDateTime", "activatedDateTime",
                          "retiredDateTime"} for k in before["value"])
    jwks_before = (await client.get(f"/{tenant}/discovery/v2.0/keys")).json()

    rotated = await call(client, "POST", "/keys/rotate", operator, expect=200)
    assert rotated == {"activeKid": next_kid}
    after = await call(client, "GET", "/keys", operator, expect=200)
    after_states = {k["kid"]: k["state"] for k in after["value"]}
    assert after["activeKid"] == next_kid
    assert after_states[before["activeKid"]] == "retired"
    jwks_after = (await client.get(f"/{tenant}/discovery/v2.0/keys")).json()
    assert jwks_after != jwks_before
    assert jwks_after["keys"][0]["kid"] == next_kid
    # A token signed by the retired key keeps working until it expires.
    await call(client, "GET", "/organization", operator, expect=200)
    fresh = bearer(await operator_token(client, services))
    await call(client, "GET", "/keys", fresh, expect=200)


async def test_openapi_document(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1.0/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Credo management API"
    assert {
        "/organization", "/tenants", "/tenants/{tenant}", "/applications",
        "/applications/{app_ref}", "/applications(appId='{app_id}')",
        "/applications/{app_ref}/addKey", "/applications/{app_ref}/removeKey",
        "/applications/{app_ref}/addPassword", "/applications/{app_ref}/removePassword",
        "/servicePrincipals", "/servicePrincipals/{sp_id}",
        "/servicePrincipals(appId='{app_id}')", "/servicePrincipals/{sp_id}/appRoleAssignments",
        "/servicePrincipals/{sp_id}/appRoleAssignments/{assignment_id}",
        "/servicePrincipals/{sp_id}/appRoleAssignedTo",
        "/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}",
        "/keys", "/keys/rotate", "/auditLogs/signIns",
    } <= set(document["paths"])
    assert "HTTPBearer" in document["components"]["securitySchemes"]
    # No Swagger UI: it would load a CDN's script and style on the sign-in pages' origin.
    docs = await client.get("/v1.0/docs")
    assert docs.status_code == 404
