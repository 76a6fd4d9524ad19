"""The managed-identity endpoint (App Service protocol, api-version 2019-08-01), in-process.

A deployment is set up through ``/v1.0`` (a tenant, a Mail API, a system-assigned and a
user-assigned identity, one of them granted ``Mail.Read``), then opened a second time with
the managed-identity settings, as a restarted ``credo serve`` would be.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import stat
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from credo.config import ConfigError, load_settings
from credo.service.managed_identity import SECRET_FILE, identity_secret
from credo.service.runtime import Services, close_services, open_services
from credo.web.managed_identity import managed_identity_app, start_listener
from support import claims_of

from .conftest import TenantAdmin, call, onboard, unique_domain

SECRET = "local-identity-secret-0123456789"


@dataclass
class World:
    admin: TenantAdmin
    services: Services
    api: dict[str, Any]
    system: dict[str, Any]
    user_assigned: dict[str, Any]
    user_assigned_sp: dict[str, Any]


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> AsyncIterator[World]:
    admin = await onboard(client, services, unique_domain("mi"))
    role = str(uuid.uuid4())
    api = await call(client, "POST", "/applications", admin.admin, {
        "displayName": "Mail API", "identifierUris": [f"api://mail-{admin.domain}"],
        "appRoles": [{"id": role, "value": "Mail.Read", "displayName": "Read",
                      "description": "Read mail", "allowedMemberTypes": ["Application"],
                      "isEnabled": True}]}, expect=201)
    system = await call(client, "POST", "/applications", admin.admin,
                        {"displayName": "web-app (system-assigned)"}, expect=201)
    user_assigned = await call(client, "POST", "/applications", admin.admin,
                               {"displayName": "mail-reader"}, expect=201)
    api_sp = await call(client, "GET", f"/servicePrincipals(appId='{api['appId']}')",
                        admin.admin, expect=200)
    ua_sp = await call(client, "GET", f"/servicePrincipals(appId='{user_assigned['appId']}')",
                       admin.admin, expect=200)
    await call(client, "POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
               admin.admin, {"principalId": ua_sp["id"], "resourceId": api_sp["id"],
                             "appRoleId": role}, expect=201)
    env = {"CREDO_MANAGED_IDENTITY_PORT": "1", "CREDO_MANAGED_IDENTITY_TENANT": admin.domain,
           "CREDO_MANAGED_IDENTITY_CLIENT_IDS": f"{system['appId']}, {user_assigned['appId']}",
           "CREDO_MANAGED_IDENTITY_SECRET": SECRET}
    second = await open_services(load_settings(services.settings.data_dir, env=env))
    yield World(admin, second, api, system, user_assigned, ua_sp)
    await close_services(second)


def endpoint(world: World, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=managed_identity_app(world.services), client=(peer, 5))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:41741")


async def get(world: World, *, header: str | None = SECRET, peer: str = "127.0.0.1",
              **params: str) -> httpx.Response:
    query = {"api-version": "2019-08-01", "resource": f"api://mail-{world.admin.domain}",
             **params}
    headers = {"X-IDENTITY-HEADER": header} if header is not None else {}
    async with endpoint(world, peer) as http:
        return await http.get("/msi/token", params={k: v for k, v in query.items() if v},
                              headers=headers)


def refusal(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert (set(body), body["statusCode"], body["message"]) == (
        {"statusCode", "message", "correlationId"}, status, message)
    assert response.headers["cache-control"] == "no-store, no-cache"


async def test_a_user_assigned_identity_gets_the_app_token(world: World) -> None:
    ua = world.user_assigned
    for chooser in ({"client_id": ua["appId"]}, {"principal_id": world.user_assigned_sp["id"]},
                    {"object_id": world.user_assigned_sp["id"].upper()},
                    {"mi_res_id": "/subscriptions/x/resourcegroups/y/providers/Microsoft."
                                  "ManagedIdentity/userAssignedIdentities/mail-reader"}):
        response = await get(world, **chooser)
        assert response.status_code == 200, response.text
        body = response.json()
        assert list(body) == ["access_token", "expires_on", "resource", "token_type",
                              "client_id"]
        assert (body["resource"], body["token_type"], body["client_id"]) == (
            f"api://mail-{world.admin.domain}", "Bearer", ua["appId"])
        claims = claims_of(body["access_token"])
        assert (claims["aud"], claims["appid"], claims["appidacr"], claims["roles"],
                claims["tid"]) == (f"api://mail-{world.admin.domain}", ua["appId"], "2",
                                   ["Mail.Read"], world.admin.tenant_id)
        assert body["expires_on"] == str(claims["exp"])


async def test_the_system_assigned_identity_follows_the_grant_rules(world: World) -> None:
    """The first appId answers a request naming none; it holds no role on the API, which
    requires one: the client-credentials grant's own refusal."""
    response = await get(world)
    assert response.status_code == 400
    assert response.json()["message"].startswith(
        f"AADSTS501051: Application '{world.system['appId']}'(web-app (system-assigned)) is "
        "not assigned to a role")
    await world.services.audit.flush()
    events = await world.services.store.recent(world.admin.tenant_id, 100)
    refused = [e for e in events if e.kind == "token.managed_identity" and e.code == 501051]
    assert refused and refused[0].credential_type == "managedIdentity"
    assert refused[0].client_id == world.system["appId"]


async def test_refusals(world: World) -> None:
    refuse = "The X-IDENTITY-HEADER header is missing or wrong: send the value of IDENTITY_HEADER."
    refusal(await get(world, header=None), 401, refuse)
    refusal(await get(world, header=SECRET[:-1] + "x"), 401, refuse)
    refusal(await get(world, peer="192.0.2.7"), 403,
            "The managed identity endpoint answers loopback clients only.")
    refusal(await get(world, **{"api-version": "2017-09-01"}), 400,
            "The api-version must be 2019-08-01.")
    refusal(await get(world, resource=""), 400, "The request must name a resource ('resource').")
    refusal(await get(world, client_id=str(uuid.uuid4())), 400,
            "Unable to load the proper Managed Identity.")
    refusal(await get(world, client_id=world.api["appId"]), 400,
            "Unable to load the proper Managed Identity.")  # an app, not the identity
    refusal(await get(world, client_id=world.user_assigned["appId"],
                      principal_id=world.user_assigned_sp["id"]), 400,
            "Name the identity once: client_id, principal_id, object_id or mi_res_id.")
    unknown = await get(world, client_id=world.user_assigned["appId"], resource="api://nothing")
    assert unknown.status_code == 400
    assert unknown.json()["message"].startswith(
        "AADSTS500011: The resource principal named api://nothing was not found")


async def test_only_get_on_the_one_path(world: World) -> None:
    async with endpoint(world) as http:
        refusal(await http.post("/msi/token", headers={"X-IDENTITY-HEADER": SECRET}), 405,
                "Use GET.")
        refusal(await http.get("/metadata/identity/oauth2/token"), 404,
                "No endpoint at /metadata/identity/oauth2/token.")


async def test_the_listener_is_a_real_loopback_socket(world: World) -> None:
    settings = world.services.settings
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    world.services.settings = dataclasses.replace(settings, managed_identity_port=port)
    try:
        listener = await start_listener(world.services)
        assert listener is not None
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{port}/msi/token", params={
                "api-version": "2019-08-01", "resource": f"api://mail-{world.admin.domain}",
                "client_id": world.user_assigned["appId"]},
                headers={"X-IDENTITY-HEADER": SECRET})
        await listener.stop()
    finally:
        world.services.settings = settings
    assert response.status_code == 200 and response.json()["client_id"] == \
        world.user_assigned["appId"]


def test_the_secret_file_is_made_once_and_private(tmp_path: Any) -> None:
    first = identity_secret("", tmp_path)
    assert len(first) >= 43 and identity_secret("", tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / SECRET_FILE).st_mode) == 0o600
    assert identity_secret("configured-0123456789", tmp_path) == "configured-0123456789"


async def test_a_port_without_an_identity_stops_the_start(services: Services) -> None:
    env = {"CREDO_MANAGED_IDENTITY_PORT": "41741"}
    with pytest.raises(ConfigError, match="set managed_identity_tenant and "
                                          "managed_identity_client_ids too"):
        await open_services(load_settings(services.settings.data_dir, env=env))
    with pytest.raises(ConfigError, match="shorter than 16 characters"):
        load_settings(services.settings.data_dir, env={"CREDO_MANAGED_IDENTITY_SECRET": "short"})


async def test_every_request_leaves_an_access_line_and_every_refusal_a_log_line(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    """Found by an attacker's probe: a wrong header, a remote peer or an unknown identity
    left no trace at all, so probing the endpoint was invisible."""
    caplog.set_level("INFO")
    cases = [({"header": "guess"}, 401, logging.WARNING),
             ({"peer": "192.0.2.7"}, 403, logging.WARNING),
             ({"client_id": str(uuid.uuid4())}, 400, logging.INFO),
             ({"client_id": world.user_assigned["appId"]}, 200, None)]
    for params, status, level in cases:
        caplog.clear()
        assert (await get(world, **params)).status_code == status
        access = [r.getMessage() for r in caplog.records if r.name == "credo.access"]
        assert len(access) == 1 and access[0].startswith(f"GET /msi/token {status} "), access
        refused = [r for r in caplog.records if r.name == "credo.managed_identity"]
        assert [r.levelno for r in refused] == ([level] if level else []), params
        assert all(SECRET not in r.getMessage() and "guess" not in r.getMessage()
                   for r in caplog.records)
    caplog.clear()
    async with endpoint(world) as http:
        await http.get("/metadata/identity/oauth2/token")
    assert [r.getMessage().split(" ")[:3] for r in caplog.records
            if r.name == "credo.access"] == [["GET", "unmatched", "404"]]
