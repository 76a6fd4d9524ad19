"""No way up: each management permission alone, times every ``/v1.0`` operation.

The operations come from the OpenAPI document, so a new route without an entry in
``ALLOWED`` fails ``test_every_route_is_in_the_matrix``. For each (operation, permission) a
principal holding only that permission calls the operation on fresh objects: an allowed call
is never refused (no 403, no 5xx); a refused call is a Graph 403 and changes nothing
(directory, users, delegated grants, tenants and keys compared before and after).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from credo import certs
from credo.model import TenantId
from credo.service.management.policy import (
    MANAGEMENT_APP_ID,
    ROLE_APPS,
    ROLE_AUDIT,
    ROLE_DIRECTORY_ROLES,
    ROLE_GRANTS,
    ROLE_READ,
    ROLE_TENANTS,
    ROLE_USERS,
    management_roles,
)
from credo.service.runtime import Services
from support import bearer, token_with_secret

from .conftest import add_password, api_manifest, call

READERS = frozenset({ROLE_READ, ROLE_APPS, ROLE_GRANTS})
USER_READERS = frozenset({ROLE_READ, ROLE_USERS, ROLE_DIRECTORY_ROLES})
NOBODY: frozenset[str] = frozenset()
PERMISSIONS = (ROLE_APPS, ROLE_GRANTS, ROLE_READ, ROLE_AUDIT, ROLE_USERS,
               ROLE_DIRECTORY_ROLES, ROLE_TENANTS)
"""Each permission alone (a principal holding none gets no management token at all:
AADSTS501051, tested with the token endpoint)."""
APP_ADMIN = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"

TOGETHER: dict[tuple[str, str], frozenset[str]] = {
    op: frozenset({ROLE_USERS, ROLE_READ})
    for op in (("POST", "/users"), ("PATCH", "/users/{ref}"), ("DELETE", "/users/{ref}"))}
"""What no permission allows alone: every user reads the directory, so making or changing
one takes Directory.Read.All beside User.ReadWrite.All (test_escalation_chains.py)."""
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/organization"): READERS,
    ("GET", "/tenants"): frozenset({ROLE_TENANTS}),
    ("POST", "/tenants"): frozenset({ROLE_TENANTS}),
    ("GET", "/tenants/{tenant}"): frozenset({ROLE_TENANTS}),
    ("PATCH", "/tenants/{tenant}"): frozenset({ROLE_TENANTS}),
    ("GET", "/keys"): frozenset({ROLE_TENANTS}),
    ("POST", "/keys/rotate"): frozenset({ROLE_TENANTS}),
    ("GET", "/auditLogs/signIns"): frozenset({ROLE_AUDIT}),
    ("GET", "/auditLogs/directoryAudits"): frozenset({ROLE_AUDIT}),
    ("GET", "/applications"): READERS,
    ("POST", "/applications"): frozenset({ROLE_APPS}),
    ("GET", "/applications(appId='{app_id}')"): READERS,
    ("GET", "/applications/{app_ref}"): READERS,
    ("PATCH", "/applications/{app_ref}"): frozenset({ROLE_APPS}),
    ("DELETE", "/applications/{app_ref}"): frozenset({ROLE_APPS}),
    ("POST", "/applications/{app_ref}/addKey"): frozenset({ROLE_APPS}),
    ("POST", "/applications/{app_ref}/removeKey"): frozenset({ROLE_APPS}),
    ("POST", "/applications/{app_ref}/addPassword"): frozenset({ROLE_APPS}),
    ("POST", "/applications/{app_ref}/removePassword"): frozenset({ROLE_APPS}),
    ("GET", "/servicePrincipals"): READERS,
    ("POST", "/servicePrincipals"): frozenset({ROLE_APPS}),
    ("GET", "/servicePrincipals(appId='{app_id}')"): READERS,
    ("GET", "/servicePrincipals/{sp_id}"): READERS,
    ("PATCH", "/servicePrincipals/{sp_id}"): frozenset({ROLE_APPS}),
    ("DELETE", "/servicePrincipals/{sp_id}"): frozenset({ROLE_APPS}),
    ("GET", "/servicePrincipals/{sp_id}/appRoleAssignments"): READERS,
    ("POST", "/servicePrincipals/{sp_id}/appRoleAssignments"): frozenset({ROLE_GRANTS}),
    ("DELETE", "/servicePrincipals/{sp_id}/appRoleAssignments/{assignment_id}"):
        frozenset({ROLE_GRANTS}),
    ("GET", "/servicePrincipals/{sp_id}/appRoleAssignedTo"): READERS,
    ("POST", "/servicePrincipals/{sp_id}/appRoleAssignedTo"): frozenset({ROLE_GRANTS}),
    ("DELETE", "/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}"):
        frozenset({ROLE_GRANTS}),
    ("GET", "/servicePrincipals/{sp_id}/oauth2PermissionGrants"): READERS,
    ("GET", "/users"): USER_READERS,
    ("POST", "/users"): frozenset(),  # TOGETHER
    ("GET", "/users/{ref}"): USER_READERS,
    ("PATCH", "/users/{ref}"): frozenset(),
    ("DELETE", "/users/{ref}"): frozenset(),
    ("GET", "/directoryRoles"): USER_READERS,
    ("GET", "/directoryRoles/{role_id}"): USER_READERS,
    ("GET", "/directoryRoles/{role_id}/members"): USER_READERS,
    # Assigning or removing the Application Administrator role needs what it allows
    # (Application.ReadWrite.All, AppRoleAssignment.ReadWrite.All, Directory.Read.All) on top
    # of RoleManagement.ReadWrite.Directory: no permission alone is enough.
    ("POST", "/directoryRoles/{role_id}/members/$ref"): NOBODY,
    ("DELETE", "/directoryRoles/{role_id}/members/{user_id}/$ref"): NOBODY,
    ("GET", "/applications/{app_ref}/federatedIdentityCredentials"): READERS,
    ("POST", "/applications/{app_ref}/federatedIdentityCredentials"): frozenset({ROLE_APPS}),
    ("GET", "/applications/{app_ref}/federatedIdentityCredentials/{ref}"): READERS,
    ("PATCH", "/applications/{app_ref}/federatedIdentityCredentials/{ref}"):
        frozenset({ROLE_APPS}),
    ("DELETE", "/applications/{app_ref}/federatedIdentityCredentials/{ref}"):
        frozenset({ROLE_APPS}),
    ("GET", "/oauth2PermissionGrants"): READERS,
    ("POST", "/oauth2PermissionGrants"): frozenset({ROLE_GRANTS}),
    ("GET", "/oauth2PermissionGrants/{grant_id}"): READERS,
    ("PATCH", "/oauth2PermissionGrants/{grant_id}"): frozenset({ROLE_GRANTS}),
    ("DELETE", "/oauth2PermissionGrants/{grant_id}"): frozenset({ROLE_GRANTS}),
}


@dataclass
class World:
    """One deployment with a principal per permission, each an app with a client secret."""

    services: Services
    client: httpx.AsyncClient
    operator: dict[str, str]
    tenant_id: str
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
async def world(services: Services, client: httpx.AsyncClient,
                operator: dict[str, str]) -> World:
    tenant_id = services.settings.bootstrap_tenant
    w = World(services, client, operator, tenant_id)
    management = await services.directory.service_principal(
        await services.directory.tenant(tenant_id), MANAGEMENT_APP_ID)
    tenant = await services.directory.tenant(tenant_id)
    roles = {r.value: r.id for r in management_roles()}
    for permission in PERMISSIONS:
        app = await call(client, "POST", "/applications", operator,
                         {"displayName": f"holder of {permission}"}, expect=201)
        secret = await add_password(client, operator, app, "matrix")
        # The local path: even Tenant.ReadWrite.All, which the API never grants.
        sp = await services.directory.service_principal(tenant, app["appId"])
        await services.directory.grant(tenant, sp, management, roles[permission])
        w.headers[permission] = bearer(await token_with_secret(client, tenant_id,
                                                               app["appId"], secret))
    return w


class Victims:
    """Fresh objects for one call, made by the operator on first use."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.made: dict[str, Any] = {}

    async def _call(self, method: str, path: str, body: Any = None, expect: int = 201) -> Any:
        return await call(self.w.client, method, path, self.w.operator, body, expect=expect)

    async def api(self) -> dict[str, Any]:
        if "api" not in self.made:
            uri = f"api://victim-{uuid.uuid4().hex[:8]}"
            self.made["api"] = await self._call("POST", "/applications",
                                                api_manifest("Victim API", uri))
        return dict(self.made["api"])

    async def sp(self, app: dict[str, Any]) -> dict[str, Any]:
        return dict(await self._call("GET", f"/servicePrincipals(appId='{app['appId']}')",
                                     expect=200))

    async def daemon(self) -> dict[str, Any]:
        if "daemon" not in self.made:
            app = await self._call("POST", "/applications", {"displayName": "Victim daemon"})
            _, cert = certs.create_self_signed("CN=victim", datetime.now(UTC),
                                                 datetime.now(UTC) + timedelta(days=30), 2048)
            der = base64.b64encode(certs.certificate_der(cert)).decode()
            added = await self._call("POST", f"/applications/{app['id']}/addKey", {
                "keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify",
                                  "key": der}}, expect=200)
            secret = await self._call("POST", f"/applications/{app['id']}/addPassword", {},
                                      expect=200)
            self.made["daemon"] = {**app, "keyId": added["keyId"], "secretId": secret["keyId"]}
        return dict(self.made["daemon"])

    async def federated(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The daemon and a federated identity credential on it."""
        daemon = await self.daemon()
        if "federated" not in self.made:
            self.made["federated"] = await self._call(
                "POST", f"/applications/{daemon['id']}/federatedIdentityCredentials",
                {"name": "victim", "issuer": "https://issuer.example",
                 "subject": "system:serviceaccount:default:victim"})
        return daemon, dict(self.made["federated"])

    async def assignment(self) -> dict[str, Any]:
        api, daemon = await self.api(), await self.daemon()
        api_sp, daemon_sp = await self.sp(api), await self.sp(daemon)
        created = await self._call("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
                                   {"principalId": daemon_sp["id"], "resourceId": api_sp["id"],
                                    "appRoleId": api["appRoles"][0]["id"]})
        return dict(created)

    async def delegated(self) -> dict[str, Any]:
        api_sp, daemon_sp = await self.sp(await self.api()), await self.sp(await self.daemon())
        return dict(await self._call("POST", "/oauth2PermissionGrants", {
            "clientId": daemon_sp["id"], "consentType": "AllPrincipals",
            "resourceId": api_sp["id"], "scope": "Thing.Use"}))

    async def user(self) -> dict[str, Any]:
        if "user" not in self.made:
            domain = (await self._call("GET", "/organization", expect=200))["value"][0][
                "verifiedDomains"][0]["name"]
            self.made["user"] = await self._call("POST", "/users", {
                "displayName": "Victim", "userPrincipalName":
                f"v{uuid.uuid4().hex[:8]}@{domain}",
                "passwordProfile": {"password": "Victim password 1!"}})
        return dict(self.made["user"])


Request = tuple[str, Any]
Builder = Callable[[Victims], Awaitable[Request]]


async def _api_ref(v: Victims) -> str:
    return str((await v.api())["id"])


def _static(path: str, body: Any = None) -> Builder:
    async def build(v: Victims) -> Request:
        return path, body
    return build


async def _new_tenant(v: Victims) -> Request:
    return "/tenants", {"domain": f"m{uuid.uuid4().hex[:8]}.test"}


async def _patch_app(v: Victims) -> Request:
    return f"/applications/{await _api_ref(v)}", {"displayName": "Renamed"}


async def _add_key(v: Victims) -> Request:
    _, cert = certs.create_self_signed("CN=new", datetime.now(UTC),
                                       datetime.now(UTC) + timedelta(days=30), 2048)
    der = base64.b64encode(certs.certificate_der(cert)).decode()
    return (f"/applications/{(await v.daemon())['id']}/addKey",
            {"keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": der}})


async def _remove_key(v: Victims) -> Request:
    d = await v.daemon()
    return f"/applications/{d['id']}/removeKey", {"keyId": d["keyId"]}


async def _remove_password(v: Victims) -> Request:
    d = await v.daemon()
    return f"/applications/{d['id']}/removePassword", {"keyId": d["secretId"]}


async def _install(v: Victims) -> Request:
    api = await v.api()
    sp = await v.sp(api)
    await call(v.w.client, "DELETE", f"/servicePrincipals/{sp['id']}", v.w.operator, expect=204)
    return "/servicePrincipals", {"appId": api["appId"]}


async def _sp_path(v: Victims, suffix: str = "") -> str:
    return f"/servicePrincipals/{(await v.sp(await v.api()))['id']}{suffix}"


def _sp(suffix: str = "", body: Any = None) -> Builder:
    async def build(v: Victims) -> Request:
        return await _sp_path(v, suffix), body
    return build


async def _grant(v: Victims, side: str) -> Request:
    api = await v.api()
    api_sp, daemon_sp = await v.sp(api), await v.sp(await v.daemon())
    owner = daemon_sp if side == "appRoleAssignments" else api_sp
    return (f"/servicePrincipals/{owner['id']}/{side}",
            {"principalId": daemon_sp["id"], "resourceId": api_sp["id"],
             "appRoleId": api["appRoles"][0]["id"]})


async def _revoke(v: Victims, side: str) -> Request:
    a = await v.assignment()
    owner = a["principalId"] if side == "appRoleAssignments" else a["resourceId"]
    return f"/servicePrincipals/{owner}/{side}/{a['id']}", None


async def _user(v: Victims, suffix: str = "", body: Any = None) -> Request:
    return f"/users/{(await v.user())['id']}{suffix}", body


async def _new_delegated(v: Victims) -> Request:
    api_sp, daemon_sp = await v.sp(await v.api()), await v.sp(await v.daemon())
    return "/oauth2PermissionGrants", {"clientId": daemon_sp["id"],
                                       "consentType": "AllPrincipals",
                                       "resourceId": api_sp["id"], "scope": "Thing.Use"}


async def _delegated(v: Victims, body: Any = None) -> Request:
    return f"/oauth2PermissionGrants/{(await v.delegated())['id']}", body


def _federated(*, one: bool, body: Any = None) -> Builder:
    async def build(v: Victims) -> Request:
        daemon, credential = await v.federated()
        path = f"/applications/{daemon['id']}/federatedIdentityCredentials"
        return (f"{path}/{credential['name']}" if one else path), body
    return build


async def _role_member_add(v: Victims) -> Request:
    return (f"/directoryRoles/{APP_ADMIN}/members/$ref",
            {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/"
                          f"{(await v.user())['id']}"})


async def _role_member_remove(v: Victims) -> Request:
    user = await v.user()
    await call(v.w.client, "POST", f"/directoryRoles/{APP_ADMIN}/members/$ref", v.w.operator,
               {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{user['id']}"},
               expect=204)
    return f"/directoryRoles/{APP_ADMIN}/members/{user['id']}/$ref", None


async def _tenant_path(v: Victims) -> Request:
    return f"/tenants/{v.w.tenant_id}", {"profile": "entra"}


async def _app_by_id(v: Victims) -> Request:
    return f"/applications(appId='{(await v.api())['appId']}')", None


async def _sp_by_id(v: Victims) -> Request:
    return f"/servicePrincipals(appId='{(await v.api())['appId']}')", None


async def _new_user(v: Victims) -> Request:
    domain = (await call(v.w.client, "GET", "/organization", v.w.operator, expect=200))[
        "value"][0]["verifiedDomains"][0]["name"]
    return "/users", {"displayName": "New", "userPrincipalName":
                      f"n{uuid.uuid4().hex[:8]}@{domain}",
                      "passwordProfile": {"password": "New password 1!"}}


async def _app(v: Victims, suffix: str = "", body: Any = None) -> Request:
    return f"/applications/{await _api_ref(v)}{suffix}", body


BUILD: dict[tuple[str, str], Builder] = {
    ("GET", "/organization"): _static("/organization"),
    ("GET", "/tenants"): _static("/tenants"),
    ("POST", "/tenants"): _new_tenant,
    ("GET", "/tenants/{tenant}"): _tenant_path,
    ("PATCH", "/tenants/{tenant}"): _tenant_path,
    ("GET", "/keys"): _static("/keys"),
    ("POST", "/keys/rotate"): _static("/keys/rotate"),
    ("GET", "/auditLogs/signIns"): _static("/auditLogs/signIns"),
    ("GET", "/auditLogs/directoryAudits"): _static("/auditLogs/directoryAudits"),
    ("GET", "/applications"): _static("/applications"),
    ("POST", "/applications"): _static("/applications", {"displayName": "New app"}),
    ("GET", "/applications(appId='{app_id}')"): _app_by_id,
    ("GET", "/applications/{app_ref}"): _app,
    ("PATCH", "/applications/{app_ref}"): _patch_app,
    ("DELETE", "/applications/{app_ref}"): _app,
    ("POST", "/applications/{app_ref}/addKey"): _add_key,
    ("POST", "/applications/{app_ref}/removeKey"): _remove_key,
    ("POST", "/applications/{app_ref}/addPassword"): lambda v: _app(v, "/addPassword", {}),
    ("POST", "/applications/{app_ref}/removePassword"): _remove_password,
    ("GET", "/servicePrincipals"): _static("/servicePrincipals"),
    ("POST", "/servicePrincipals"): _install,
    ("GET", "/servicePrincipals(appId='{app_id}')"): _sp_by_id,
    ("GET", "/servicePrincipals/{sp_id}"): _sp(),
    ("PATCH", "/servicePrincipals/{sp_id}"): _sp("", {"accountEnabled": False}),
    ("DELETE", "/servicePrincipals/{sp_id}"): _sp(),
    ("GET", "/servicePrincipals/{sp_id}/appRoleAssignments"): _sp("/appRoleAssignments"),
    ("POST", "/servicePrincipals/{sp_id}/appRoleAssignments"):
        lambda v: _grant(v, "appRoleAssignments"),
    ("DELETE", "/servicePrincipals/{sp_id}/appRoleAssignments/{assignment_id}"):
        lambda v: _revoke(v, "appRoleAssignments"),
    ("GET", "/servicePrincipals/{sp_id}/appRoleAssignedTo"): _sp("/appRoleAssignedTo"),
    ("POST", "/servicePrincipals/{sp_id}/appRoleAssignedTo"):
        lambda v: _grant(v, "appRoleAssignedTo"),
    ("DELETE", "/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}"):
        lambda v: _revoke(v, "appRoleAssignedTo"),
    ("GET", "/servicePrincipals/{sp_id}/oauth2PermissionGrants"):
        _sp("/oauth2PermissionGrants"),
    ("GET", "/users"): _static("/users"),
    ("POST", "/users"): _new_user,
    ("GET", "/users/{ref}"): _user,
    ("PATCH", "/users/{ref}"): lambda v: _user(v, "", {"displayName": "Renamed"}),
    ("DELETE", "/users/{ref}"): _user,
    ("GET", "/directoryRoles"): _static("/directoryRoles"),
    ("GET", "/directoryRoles/{role_id}"): _static(f"/directoryRoles/{APP_ADMIN}"),
    ("GET", "/directoryRoles/{role_id}/members"): _static(f"/directoryRoles/{APP_ADMIN}/members"),
    ("POST", "/directoryRoles/{role_id}/members/$ref"): _role_member_add,
    ("DELETE", "/directoryRoles/{role_id}/members/{user_id}/$ref"): _role_member_remove,
    ("GET", "/applications/{app_ref}/federatedIdentityCredentials"): _federated(one=False),
    ("POST", "/applications/{app_ref}/federatedIdentityCredentials"): _federated(
        one=False, body={"name": "new", "issuer": "https://issuer.example", "subject": "new"}),
    ("GET", "/applications/{app_ref}/federatedIdentityCredentials/{ref}"): _federated(one=True),
    ("PATCH", "/applications/{app_ref}/federatedIdentityCredentials/{ref}"): _federated(
        one=True, body={"subject": "changed"}),
    ("DELETE", "/applications/{app_ref}/federatedIdentityCredentials/{ref}"):
        _federated(one=True),
    ("GET", "/oauth2PermissionGrants"): _static("/oauth2PermissionGrants"),
    ("POST", "/oauth2PermissionGrants"): _new_delegated,
    ("GET", "/oauth2PermissionGrants/{grant_id}"): _delegated,
    ("PATCH", "/oauth2PermissionGrants/{grant_id}"): lambda v: _delegated(v, {"scope": ""}),
    ("DELETE", "/oauth2PermissionGrants/{grant_id}"): _delegated,
}


async def snapshot(services: Services, tenant_id: str) -> tuple[Any, ...]:
    """Everything a refused call must leave as it was."""
    tenant = await services.directory.tenant(tenant_id)
    return (await services.store.version(),
            await services.store.users.users(TenantId(tenant_id)),
            await services.store.flows.delegated_grants(TenantId(tenant_id)),
            await services.directory.tenants(),
            [k.kid for k in await services.keys.published()],
            [(a.id, a.key_credentials, a.password_credentials, a.federated_credentials)
             for a in await services.directory.applications(tenant)])


async def test_every_route_is_in_the_matrix(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/v1.0/openapi.json")).json()
    operations = {(method.upper(), path) for path, ops in spec["paths"].items()
                  for method in ops}
    assert operations == set(ALLOWED) == set(BUILD)


CASES = [(op, permission) for op in ALLOWED for permission in PERMISSIONS]


@pytest.mark.parametrize(("operation", "permission"), CASES,
                         ids=[f"{m} {p} as {r}" for (m, p), r in CASES])
async def test_permission_alone(world: World, operation: tuple[str, str],
                                permission: str) -> None:
    path, body = await BUILD[operation](Victims(world))
    before = await snapshot(world.services, world.tenant_id)
    response = await world.client.request(operation[0], f"/v1.0{path}",
                                          headers=world.headers[permission], json=body)
    assert response.status_code < 500, response.text
    if permission in ALLOWED[operation]:
        assert response.status_code != 403, response.text
        return
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "Authorization_RequestDenied"
    assert response.json()["error"]["message"] == \
        "Insufficient privileges to complete the operation."
    assert await snapshot(world.services, world.tenant_id) == before

