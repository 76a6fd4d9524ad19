"""The app lifecycle through ``/v1.0``: register an API and a client, credentials, manifest
edits, admin consent in both directions, a token that carries the role, revocation."""

from __future__ import annotations

import base64
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import certs, jose
from credo.service.management.proof import PROOF_AUDIENCE
from credo.service.runtime import Services
from support import bearer, claims_of, token_with_certificate

from .conftest import TenantAdmin, call, onboard, unique_domain

ROLE_ID = "6d3f1a9e-2b4c-4d5e-8f60-7a8b9c0d1e2f"
ISO = "%Y-%m-%dT%H:%M:%SZ"


@pytest.fixture(scope="module")
async def tenant(client: httpx.AsyncClient, services: Services) -> TenantAdmin:
    return await onboard(client, services, unique_domain("apps"))


def _pair(name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    start = datetime.now(UTC) - timedelta(hours=1)
    return certs.create_self_signed(f"CN={name}", start, start + timedelta(days=90))


def _key_credential(cert: x509.Certificate, name: str) -> dict[str, Any]:
    """What ``credo cert keycredential`` prints (a Graph ``keyCredential`` with the DER)."""
    prints = certs.thumbprints(cert)
    return {"customKeyIdentifier": prints.sha1_b64, "keyId": str(uuid.uuid4()),
            "type": "AsymmetricX509Cert", "usage": "Verify",
            "key": base64.b64encode(certs.certificate_der(cert)).decode(),
            "startDateTime": cert.not_valid_before_utc.strftime(ISO),
            "endDateTime": cert.not_valid_after_utc.strftime(ISO), "displayName": name}


def _proof(key: rsa.RSAPrivateKey, cert: x509.Certificate, object_id: str, *,
           lifetime: int = 600) -> str:
    now = int(time.time())
    return jose.sign("RS256", key, {"typ": "JWT", "x5t": certs.thumbprints(cert).x5t},
                     {"aud": PROOF_AUDIENCE, "iss": object_id, "nbf": now, "exp": now + lifetime})


async def _api(client: httpx.AsyncClient, tenant: TenantAdmin, uri: str) -> Any:
    return await call(client, "POST", "/applications", tenant.admin, {
        "displayName": "Mail API", "identifierUris": [uri], "signInAudience": "AzureADMyOrg",
        "api": {"requestedAccessTokenVersion": 2},
        "appRoles": [{"allowedMemberTypes": ["Application"], "value": "Mail.Read",
                      "displayName": "Read mail", "description": "Read all mailboxes",
                      "id": ROLE_ID, "isEnabled": True}]}, expect=201)


async def test_lifecycle(client: httpx.AsyncClient, tenant: TenantAdmin) -> None:
    admin = tenant.admin
    api = await _api(client, tenant, f"api://mail-{uuid.uuid4().hex[:6]}")
    assert api["appRoles"][0]["value"] == "Mail.Read"
    daemon = await call(client, "POST", "/applications", admin, {"displayName": "Daemon"},
                        expect=201)
    api_sp = await call(client, "GET", f"/servicePrincipals(appId='{api['appId']}')", admin,
                        expect=200)
    daemon_sp = await call(client, "GET", f"/servicePrincipals(appId='{daemon['appId']}')",
                           admin, expect=200)
    assert api_sp["appRoles"] == api["appRoles"] and daemon_sp["accountEnabled"] is True

    key, cert = _pair("daemon")
    entry = _key_credential(cert, "daemon cert")
    added = await call(client, "POST", f"/applications/{daemon['id']}/addKey", admin,
                       {"keyCredential": entry, "passwordCredential": None, "proof": None},
                       expect=200)
    assert added["keyId"] == entry["keyId"] and added["customKeyIdentifier"] == \
        entry["customKeyIdentifier"] and added["key"] is None
    one = await call(client, "GET", f"/applications/{daemon['id']}", admin, expect=200)
    assert one["keyCredentials"][0]["key"] == entry["key"]
    listed = await call(client, "GET", "/applications", admin, expect=200)
    in_list = next(a for a in listed["value"] if a["id"] == daemon["id"])
    assert in_list["keyCredentials"][0]["key"] is None

    response = await client.post(f"/v1.0/applications/{daemon['id']}/addPassword",
                                 headers=admin, json={"passwordCredential": {
                                     "displayName": "ci", "endDateTime": (datetime.now(UTC) +
                                     timedelta(days=30)).strftime(ISO)}})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    password = response.json()
    secret = password["secretText"]
    assert len(secret) == 40 and password["hint"] == secret[:3]
    for path in (f"/applications/{daemon['id']}", "/applications",
                 f"/applications(appId='{daemon['appId']}')"):
        shown = await client.get(f"/v1.0{path}", headers=admin)
        assert secret not in shown.text and '"secretText":null' in shown.text

    grant = {"principalId": daemon_sp["id"], "resourceId": api_sp["id"], "appRoleId": ROLE_ID}
    assignment = await call(client, "POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
                            admin, grant, expect=201)
    assert {k: v for k, v in assignment.items() if k not in ("id", "createdDateTime")} == {
        "@odata.context": f"https://login.credo.test/v1.0/$metadata#servicePrincipals"
                          f"('{api_sp['id']}')/appRoleAssignedTo/$entity",
        "deletedDateTime": None, "appRoleId": ROLE_ID, "principalDisplayName": "Daemon",
        "principalId": daemon_sp["id"], "principalType": "ServicePrincipal",
        "resourceDisplayName": "Mail API", "resourceId": api_sp["id"]}
    to_daemon = await call(client, "GET",
                           f"/servicePrincipals/{daemon_sp['id']}/appRoleAssignments", admin,
                           expect=200)
    on_api = await call(client, "GET", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
                        admin, expect=200)
    assert [a["id"] for a in to_daemon["value"]] == [a["id"] for a in on_api["value"]] == \
        [assignment["id"]]

    token = await token_with_certificate(client, tenant.tenant_id, daemon["appId"], key, cert,
                                         scope=f"{api['identifierUris'][0]}/.default")
    assert claims_of(token)["roles"] == ["Mail.Read"]

    await call(client, "DELETE",
               f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo/{assignment['id']}", admin,
               expect=204)
    await call(client, "DELETE",
               f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo/{assignment['id']}", admin,
               expect=404)
    on_api = await call(client, "GET", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
                        admin, expect=200)
    assert on_api["value"] == []

    await call(client, "POST", f"/applications/{daemon['id']}/removePassword", admin,
               {"keyId": password["keyId"]}, expect=204)
    await call(client, "POST", f"/applications/{daemon['id']}/removeKey", admin,
               {"keyId": entry["keyId"]}, expect=204)
    after = await call(client, "GET", f"/applications/{daemon['id']}", admin, expect=200)
    assert after["keyCredentials"] == [] and after["passwordCredentials"] == []
    await call(client, "DELETE", f"/applications/{daemon['id']}", admin, expect=204)
    await call(client, "GET", f"/applications/{daemon['id']}", admin, expect=404)
    await call(client, "GET", f"/servicePrincipals/{daemon_sp['id']}", admin, expect=404)


async def test_bad_manifest_patch_changes_nothing(client: httpx.AsyncClient,
                                                  tenant: TenantAdmin) -> None:
    api = await _api(client, tenant, f"api://patch-{uuid.uuid4().hex[:6]}")
    before = await call(client, "GET", f"/applications/{api['id']}", tenant.admin, expect=200)
    response = await client.patch(f"/v1.0/applications/{api['id']}", headers=tenant.admin, json={
        "displayName": "Renamed", "signInAudience": "PersonalMicrosoftAccount",
        "identifierUris": ["not a uri"], "appId": str(uuid.uuid4()), "bogus": 1,
        "api": {"requestedAccessTokenVersion": 3}})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "Request_BadRequest"
    assert {d["target"] for d in error["details"]} >= {
        "signInAudience", "identifierUris[0]", "appId", "bogus",
        "api.requestedAccessTokenVersion"}
    after = await call(client, "GET", f"/applications/{api['id']}", tenant.admin, expect=200)
    assert after == before

    await call(client, "PATCH", f"/applications/{api['id']}", tenant.admin,
               {"displayName": "Renamed", "tags": ["mail"]}, expect=204)
    renamed = await call(client, "GET", f"/applications/{api['id']}", tenant.admin, expect=200)
    assert (renamed["displayName"], renamed["tags"]) == ("Renamed", ["mail"])
    assert renamed["appRoles"] == before["appRoles"]


async def test_add_key_with_proof(client: httpx.AsyncClient, tenant: TenantAdmin) -> None:
    app = await call(client, "POST", "/applications", tenant.admin, {"displayName": "Rolling"},
                     expect=201)
    old_key, old_cert = _pair("rolling old")
    await call(client, "POST", f"/applications/{app['id']}/addKey", tenant.admin,
               {"keyCredential": _key_credential(old_cert, "old")}, expect=200)
    new_key, new_cert = _pair("rolling new")
    for proof, reason in (
            (_proof(new_key, new_cert, app["id"]),
             "It is not signed by a current certificate of this application."),
            (_proof(old_key, old_cert, str(uuid.uuid4())),
             "The issuer must be the application's object id."),
            (_proof(old_key, old_cert, app["id"], lifetime=3600),
             "The lifetime (exp - nbf) must be at most 600 seconds."),
            ("x.y", "It is not a well-formed JWT.")):
        response = await client.post(f"/v1.0/applications/{app['id']}/addKey",
                                     headers=tenant.admin,
                                     json={"keyCredential": _key_credential(new_cert, "new"),
                                           "proof": proof})
        assert response.status_code == 400
        assert response.json()["error"]["details"] == [
            {"code": "Request_BadRequest", "target": "proof", "message": reason}]
    await call(client, "POST", f"/applications/{app['id']}/addKey", tenant.admin,
               {"keyCredential": _key_credential(new_cert, "new"),
                "proof": _proof(old_key, old_cert, app["id"])}, expect=200)
    shown = await call(client, "GET", f"/applications/{app['id']}", tenant.admin, expect=200)
    assert [k["displayName"] for k in shown["keyCredentials"]] == ["old", "new"]


async def test_bad_inputs_are_400_not_500(client: httpx.AsyncClient,
                                          tenant: TenantAdmin) -> None:
    admin = tenant.admin
    app = await call(client, "POST", "/applications", admin, {"displayName": "Inputs"},
                     expect=201)
    sp = await call(client, "GET", f"/servicePrincipals(appId='{app['appId']}')", admin,
                    expect=200)
    cases: list[tuple[str, str, Any, set[str]]] = [
        ("POST", "/applications", {"displayName": ""}, {"displayName"}),
        ("POST", "/applications", ["not", "an", "object"], {"$"}),
        ("POST", f"/applications/{app['id']}/addKey", {"keyCredential": {"key": "!!"}},
         {"keyCredential.key"}),
        ("POST", f"/applications/{app['id']}/addKey",
         {"keyCredential": {}, "passwordCredential": {"x": 1}}, {"passwordCredential"}),
        ("POST", f"/applications/{app['id']}/removeKey", {"keyId": "nope"}, {"keyId"}),
        ("POST", f"/applications/{app['id']}/addPassword",
         {"passwordCredential": {"endDateTime": "2000-01-01T00:00:00Z"}}, {"endDateTime"}),
        ("POST", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo",
         {"principalId": sp["id"], "resourceId": str(uuid.uuid4()), "appRoleId": ROLE_ID},
         {"resourceId"}),
        ("PATCH", f"/servicePrincipals/{sp['id']}", {"accountEnabled": "maybe"},
         {"accountEnabled"}),
    ]
    for method, path, body, targets in cases:
        response = await client.request(method, f"/v1.0{path}", headers=admin, json=body)
        assert response.status_code == 400, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == "Request_BadRequest"
        assert {d["target"] for d in error.get("details", [])} >= targets, (path, error)
    raw = await client.post("/v1.0/applications", headers={**admin,
                            "content-type": "application/json"}, content=b"{not json")
    assert raw.status_code == 400 and raw.json()["error"]["code"] == "Request_BadRequest"
    huge = await client.post("/v1.0/applications", headers=admin,
                             json={"displayName": "x" * (2 * 1024 * 1024)})
    assert huge.status_code == 413
    missing = await client.get("/v1.0/nothing-here", headers=admin)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"
    wrong_method = await client.put(f"/v1.0/applications/{app['id']}", headers=admin, json={})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["message"] == \
        "Specified HTTP method is not allowed for the request uri."


async def test_internal_failure_is_a_graph_500(client: httpx.AsyncClient, services: Services,
                                               tenant: TenantAdmin,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(tenant_id: str) -> list[Any]:
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr(services.store, "applications", broken)
    response = await client.get("/v1.0/applications", headers=tenant.admin)
    assert response.status_code == 500
    assert response.json() == {"error": {
        "code": "generalException", "message": "An internal error occurred.",
        "innerError": {"date": response.json()["error"]["innerError"]["date"],
                       "request-id": response.headers["request-id"]}}}


async def test_service_principal_patch_and_builtins(client: httpx.AsyncClient,
                                                    services: Services,
                                                    tenant: TenantAdmin) -> None:
    operator_app_id = services.settings.operator_app_id
    app = await call(client, "POST", "/applications", tenant.admin, {"displayName": "Toggle"},
                     expect=201)
    sp = await call(client, "GET", f"/servicePrincipals(appId='{app['appId']}')", tenant.admin,
                    expect=200)
    await call(client, "PATCH", f"/servicePrincipals/{sp['id']}", tenant.admin,
               {"accountEnabled": False}, expect=204)
    shown = await call(client, "GET", f"/servicePrincipals/{sp['id']}", tenant.admin, expect=200)
    assert (shown["accountEnabled"], shown["appRoleAssignmentRequired"]) == (False, True)
    await call(client, "DELETE", f"/servicePrincipals/{tenant.management_sp['id']}",
               tenant.admin, expect=403)
    operator_sp = await call(client, "GET", f"/servicePrincipals(appId='{operator_app_id}')",
                             tenant.admin, expect=200)
    await call(client, "PATCH", f"/servicePrincipals/{operator_sp['id']}", tenant.admin,
               {"accountEnabled": False}, expect=403)
    await call(client, "POST", "/servicePrincipals", tenant.admin, {"appId": app["appId"]},
               expect=409)
    await call(client, "DELETE", f"/servicePrincipals/{sp['id']}", tenant.admin, expect=204)
    again = await call(client, "POST", "/servicePrincipals", tenant.admin,
                       {"appId": app["appId"]}, expect=201)
    assert again["appId"] == app["appId"] and again["id"] != sp["id"]


async def test_operator_grants_token_for_new_admin(client: httpx.AsyncClient,
                                                   tenant: TenantAdmin) -> None:
    """The admin app's token carries exactly the four tenant-admin roles."""
    token = tenant.admin["Authorization"].removeprefix("Bearer ")
    assert sorted(claims_of(token)["roles"]) == [
        "AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All", "AuditLog.Read.All",
        "Directory.Read.All"]
    assert claims_of(token)["tid"] == tenant.tenant_id
    organization = await call(client, "GET", "/organization", bearer(token), expect=200)
    assert [o["id"] for o in organization["value"]] == [tenant.tenant_id]
