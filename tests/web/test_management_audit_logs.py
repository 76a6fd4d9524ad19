"""``/auditLogs/signIns`` and ``/auditLogs/directoryAudits`` in Graph's shapes: what each
event says (credential used, resource, client address, correlation id; activity, initiator,
targets), ``$filter``, ``$top`` and ``@odata.nextLink`` paging, and tenant isolation."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from credo import certs
from credo.service.management.activities import CREDENTIALS
from credo.service.runtime import Services
from support import ASSERTION_TYPE, client_assertion

from .conftest import TenantAdmin, call, onboard, unique_domain

WRONG_SECRET = "not-the-secret-0123456789abcdefghijklmno"


@dataclass
class World:
    admin: TenantAdmin
    api: dict[str, Any]
    daemon: dict[str, Any]
    secret: str
    secret_id: str
    key_id: str
    thumbprint: str
    correlations: dict[str, str]


async def _token(client: httpx.AsyncClient, tenant: str, form: dict[str, str],
                 correlation: str, expect: int) -> None:
    response = await client.post(f"/{tenant}/oauth2/v2.0/token", data=form,
                                 headers={"client-request-id": correlation})
    assert response.status_code == expect, response.text


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> World:
    admin = await onboard(client, services, unique_domain("audit"))
    uri = f"api://audit-{uuid.uuid4().hex[:6]}"
    role = str(uuid.uuid4())
    api = await call(client, "POST", "/applications", admin.admin, {
        "displayName": "Audited API", "identifierUris": [uri], "appRoles": [{
            "allowedMemberTypes": ["Application"], "value": "Thing.Read", "id": role,
            "displayName": "Read", "description": "Read", "isEnabled": True}]}, expect=201)
    daemon = await call(client, "POST", "/applications", admin.admin,
                        {"displayName": "Audited daemon"}, expect=201)
    key, cert = certs.create_self_signed("CN=audited", datetime.now(UTC),
                                         datetime.now(UTC) + timedelta(days=5), 2048)
    der = certs.certificate_der(cert)
    added = await call(client, "POST", f"/applications/{daemon['id']}/addKey", admin.admin, {
        "keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify",
                          "key": base64.b64encode(der).decode()}}, expect=200)
    secret = await call(client, "POST", f"/applications/{daemon['id']}/addPassword",
                        admin.admin, {}, expect=200)
    api_sp = await call(client, "GET", f"/servicePrincipals(appId='{api['appId']}')",
                        admin.admin, expect=200)
    daemon_sp = await call(client, "GET", f"/servicePrincipals(appId='{daemon['appId']}')",
                           admin.admin, expect=200)
    await call(client, "POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
               admin.admin, {"principalId": daemon_sp["id"], "resourceId": api_sp["id"],
                             "appRoleId": role}, expect=201)
    tid, app_id = admin.tenant_id, daemon["appId"]
    scope = f"{uri}/.default"
    correlations = {name: str(uuid.uuid4()) for name in ("secret", "cert", "wrong")}
    await _token(client, tid, {"grant_type": "client_credentials", "client_id": app_id,
                               "client_secret": secret["secretText"], "scope": scope},
                 correlations["secret"], 200)
    assertion = client_assertion(key, cert, app_id,
                                 f"{services.settings.base_url}/{tid}/oauth2/v2.0/token")
    await _token(client, tid, {"grant_type": "client_credentials", "client_id": app_id,
                               "client_assertion_type": ASSERTION_TYPE,
                               "client_assertion": assertion, "scope": scope},
                 correlations["cert"], 200)
    await _token(client, tid, {"grant_type": "client_credentials", "client_id": app_id,
                               "client_secret": WRONG_SECRET, "scope": scope},
                 correlations["wrong"], 401)
    return World(admin, api, daemon, secret["secretText"], secret["keyId"], added["keyId"],
                 certs.thumbprints(cert).sha1_hex.upper(), correlations)


async def _list(client: httpx.AsyncClient, world: World, log: str, query: str = "",
                expect: int = 200) -> Any:
    response = await client.get(f"/v1.0/auditLogs/{log}{query}", headers=world.admin.admin)
    assert response.status_code == expect, response.text
    assert world.secret not in response.text and WRONG_SECRET not in response.text
    return response.json()


def _by_correlation(events: list[dict[str, Any]], correlation: str) -> dict[str, Any]:
    return next(e for e in events if e["correlationId"] == correlation)


async def test_service_principal_sign_ins_name_the_credential_resource_and_client(
        client: httpx.AsyncClient, world: World) -> None:
    events = (await _list(client, world, "signIns"))["value"]
    daemon = world.daemon["appId"]
    common = {"appId": daemon, "appDisplayName": "Audited daemon",
              "resourceId": world.api["appId"], "resourceDisplayName": "Audited API",
              "ipAddress": "127.0.0.1", "signInEventTypes": ["servicePrincipal"],
              "isInteractive": False, "userId": None, "userPrincipalName": None}
    with_secret = _by_correlation(events, world.correlations["secret"])
    assert with_secret == {**common, "id": with_secret["id"],
                           "createdDateTime": with_secret["createdDateTime"],
                           "correlationId": world.correlations["secret"],
                           "clientCredentialType": "clientSecret",
                           "servicePrincipalCredentialKeyId": world.secret_id,
                           "servicePrincipalCredentialThumbprint": None,
                           "status": {"errorCode": 0, "failureReason": None,
                                      "additionalDetails": None}}
    with_cert = _by_correlation(events, world.correlations["cert"])
    assert (with_cert["clientCredentialType"], with_cert["servicePrincipalCredentialKeyId"],
            with_cert["servicePrincipalCredentialThumbprint"]) == (
        "clientAssertion", world.key_id, world.thumbprint)
    wrong = _by_correlation(events, world.correlations["wrong"])
    assert wrong["status"] == {"errorCode": 7000215, "additionalDetails": None,
                               "failureReason": "no password credential matches"}
    assert (wrong["clientCredentialType"], wrong["servicePrincipalCredentialKeyId"],
            wrong["resourceId"]) == ("clientSecret", None, None)
    assert datetime.fromisoformat(wrong["createdDateTime"]) > datetime.now(UTC) - timedelta(
        minutes=5)


async def test_sign_ins_filter_on_app_status_and_time(client: httpx.AsyncClient,
                                                      world: World) -> None:
    daemon = world.daemon["appId"]

    async def ids(expression: str) -> list[str]:
        found = await _list(client, world, "signIns", f"?$filter={quote(expression)}")
        return [e["correlationId"] for e in found["value"]]

    c = world.correlations
    assert await ids(f"appId eq '{daemon}'") == [c["wrong"], c["cert"], c["secret"]]
    assert await ids(f"appId eq '{daemon}' and status/errorCode ne 0") == [c["wrong"]]
    assert await ids(f"appId eq '{daemon}' and status/errorCode eq 0") == [c["cert"], c["secret"]]
    assert await ids("status/errorCode eq 7000215") == [c["wrong"]]
    future = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await ids(f"createdDateTime ge {future}") == []
    assert len(await ids(f"appId eq '{daemon}' and createdDateTime le {future}")) == 3
    refused = await _list(client, world, "signIns", "?$filter=" + quote("userId eq 'x'"), 400)
    assert refused["error"]["code"] == "Request_BadRequest"
    assert refused["error"]["message"] == (
        "Invalid filter clause 'userId eq 'x''. Supported: appId eq '…', status/errorCode eq "
        "N, status/errorCode ne 0, createdDateTime ge|le TIME, joined by 'and'.")
    bad_time = await _list(client, world, "signIns", "?$filter=" + quote(
        "createdDateTime ge yesterday"), 400)
    assert "expected a UTC time" in bad_time["error"]["message"]
    # Found by an attacker's probe: a code past SQLite's integers was a 500.
    for code in ("99999999999999999999", "2147483648", "\u00b2", "1" * 30):
        clause = f"status/errorCode eq {code}"
        refused = await _list(client, world, "signIns", "?$filter=" + quote(clause), 400)
        assert refused["error"]["message"].startswith(
            f"Invalid filter clause '{clause[:100]}"), code


async def test_pages_follow_next_links_to_the_end(client: httpx.AsyncClient,
                                                   world: World) -> None:
    everything = (await _list(client, world, "signIns", "?$top=1000"))["value"]
    assert "@odata.nextLink" not in await _list(client, world, "signIns", "?$top=1000")
    seen: list[str] = []
    page = await _list(client, world, "signIns", "?$top=2")
    while True:
        assert len(page["value"]) <= 2
        seen += [e["id"] for e in page["value"]]
        link = page.get("@odata.nextLink")
        if link is None:
            break
        assert link.startswith("https://login.credo.test/v1.0/auditLogs/signIns?$top=2&")
        page = await _list(client, world, "signIns", link.split("/auditLogs/signIns", 1)[1])
    assert seen == [e["id"] for e in everything] and len(seen) >= 4
    for token in ("abc", "99999999999999999999999.1", "1.99999999999999999999",
                  "253402300800000000.1", "9999999999999999999.1", "\u00b2.1"):
        for stream in ("signIns", "directoryAudits"):
            tampered = await _list(client, world, stream, "?$skiptoken=" + quote(token), 400)
            assert tampered["error"]["message"] == (
                "Invalid $skiptoken: use the @odata.nextLink of the page before."), token


async def test_directory_audits_say_who_changed_what(client: httpx.AsyncClient,
                                                     world: World) -> None:
    events = (await _list(client, world, "directoryAudits", "?$top=1000"))["value"]
    admin_app = world.admin.admin_app["appId"]
    added = next(e for e in events if e["activityDisplayName"] == "Add application"
                 and e["targetResources"][0]["id"] == world.daemon["id"])
    assert added["category"] == "ApplicationManagement" and added["result"] == "success"
    assert added["operationType"] == "Add" and added["loggedByService"] == "Core Directory"
    assert added["initiatedBy"] == {"app": {"appId": admin_app, "displayName": None,
                                            "servicePrincipalId": None,
                                            "servicePrincipalName": None}, "user": None}
    assert added["targetResources"] == [{"id": world.daemon["id"], "type": "Application",
                                         "displayName": "Audited daemon",
                                         "userPrincipalName": None, "modifiedProperties": []}]
    credentials = [e["initiatedBy"]["app"]["appId"] for e in events if e["activityDisplayName"]
                   == CREDENTIALS
                   and e["targetResources"][0]["id"] == world.daemon["id"]]
    assert credentials == [admin_app, admin_app]  # addKey, addPassword
    assigned = next(e for e in events
                    if e["activityDisplayName"] == "Add app role assignment to service principal")
    assert assigned["targetResources"][0]["type"] == "ServicePrincipal"


async def test_refused_calls_are_failures_in_the_directory_audit(
        client: httpx.AsyncClient, world: World) -> None:
    response = await client.post("/v1.0/tenants", headers=world.admin.admin,
                                 json={"domain": unique_domain("nope")})
    assert response.status_code == 403
    found = await _list(client, world, "directoryAudits",
                        "?$filter=" + quote("result eq 'failure'"))
    refused = found["value"][0]
    assert (refused["activityDisplayName"], refused["category"], refused["result"]) == (
        "Create company", "DirectoryManagement", "failure")
    assert refused["resultReason"].startswith("POST /v1.0/tenants: ")
    users = await _list(client, world, "directoryAudits",
                        "?$filter=" + quote("category eq 'UserManagement'"))
    assert users["value"] == []


async def test_each_tenant_reads_only_its_own_logs(client: httpx.AsyncClient,
                                                   services: Services, world: World) -> None:
    other = await onboard(client, services, unique_domain("other"))
    response = await client.get("/v1.0/auditLogs/signIns?$top=1000", headers=other.admin)
    ids = {e["appId"] for e in response.json()["value"]}
    assert world.daemon["appId"] not in ids and other.admin_app["appId"] in ids
    audits = await client.get("/v1.0/auditLogs/directoryAudits?$top=1000", headers=other.admin)
    assert all(t["id"] != world.daemon["id"] for e in audits.json()["value"]
               for t in e["targetResources"])
