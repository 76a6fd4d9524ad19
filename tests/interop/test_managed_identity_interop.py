"""azure-identity's ``ManagedIdentityCredential`` and ``DefaultAzureCredential``, unchanged,
against a real ``credo serve --workers 2`` whose managed-identity listener is configured.

The deployment is set up first (a tenant, a Mail API, a system-assigned identity granted
``Mail.Read`` and a user-assigned one granted nothing), then restarted with the
``managed_identity_*`` settings; code finds the endpoint through ``IDENTITY_ENDPOINT`` and
``IDENTITY_HEADER`` only, as on App Service.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import DefaultAzureCredential, ManagedIdentityCredential

from credo.testing.environment import AZURE_CREDENTIAL_VARIABLES
from live import LiveServer, free_port, serve, start_server, stop_server
from support import claims_of

from .harness import Management

pytestmark = pytest.mark.slow


@dataclass
class World:
    server: LiveServer
    endpoint: str
    header: str
    scope: str
    system_id: str
    user_assigned_id: str


def _app(api: Management, tenant: str, body: dict[str, Any]) -> dict[str, Any]:
    return api.call("POST", "/applications", tenant=tenant, body=body)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("mi") / "credo"
    first = start_server(data_dir, domain="mi.test")
    api = Management(first)
    try:
        tenant = first.bootstrap_tenant
        role = str(uuid.uuid4())
        uri = f"api://mail-{uuid.uuid4().hex[:6]}"
        mail = _app(api, tenant, {"displayName": "Mail API", "identifierUris": [uri],
                                  "appRoles": [{"id": role, "value": "Mail.Read",
                                                "displayName": "Read", "description": "Read",
                                                "allowedMemberTypes": ["Application"],
                                                "isEnabled": True}]})
        system = _app(api, tenant, {"displayName": "web-app"})
        user_assigned = _app(api, tenant, {"displayName": "reader"})
        sps = {a["appId"]: api.call("GET", f"/servicePrincipals(appId='{a['appId']}')",
                                    tenant=tenant)["id"] for a in (mail, system)}
        api.call("POST", f"/servicePrincipals/{sps[mail['appId']]}/appRoleAssignedTo",
                 tenant=tenant, body={"principalId": sps[system["appId"]],
                                      "resourceId": sps[mail["appId"]], "appRoleId": role})
    finally:
        api.close()
        stop_server(first)
    port = free_port()
    server = serve(data_dir, first.url, workers=2, env={
        "CREDO_MANAGED_IDENTITY_PORT": str(port), "CREDO_MANAGED_IDENTITY_TENANT": "mi.test",
        "CREDO_MANAGED_IDENTITY_CLIENT_IDS": f"{system['appId']},{user_assigned['appId']}"})
    try:
        header = (data_dir / "managed-identity.secret").read_text().strip()
        yield World(server, f"http://127.0.0.1:{port}/msi/token", header, f"{uri}/.default",
                    system["appId"], user_assigned["appId"])
    finally:
        stop_server(server)


@pytest.fixture
def app_service(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """The process environment of code running on App Service, and no other credential."""
    for name in (*AZURE_CREDENTIAL_VARIABLES, "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT",
                 "IDENTITY_SERVER_THUMBPRINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IDENTITY_ENDPOINT", world.endpoint)
    monkeypatch.setenv("IDENTITY_HEADER", world.header)
    return world


def test_managed_identity_credential_system_assigned(app_service: World) -> None:
    with ManagedIdentityCredential() as credential:
        token = credential.get_token(app_service.scope)
    claims = claims_of(token.token)
    assert (claims["appid"], claims["roles"], claims["aud"]) == (
        app_service.system_id, ["Mail.Read"], app_service.scope.removesuffix("/.default"))


def test_default_azure_credential_finds_it(app_service: World) -> None:
    with DefaultAzureCredential(exclude_interactive_browser_credential=True) as credential:
        token = credential.get_token(app_service.scope)
    assert claims_of(token.token)["appid"] == app_service.system_id


def test_a_user_assigned_identity_is_refused_what_it_was_not_granted(
        app_service: World) -> None:
    with ManagedIdentityCredential(client_id=app_service.user_assigned_id) as credential, \
            pytest.raises(ClientAuthenticationError) as info:
        credential.get_token(app_service.scope)
    assert "AADSTS501051" in str(info.value)


def test_unknown_resource_and_wrong_header(app_service: World,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with ManagedIdentityCredential() as credential, \
            pytest.raises(ClientAuthenticationError) as info:
        credential.get_token("api://nothing-here/.default")
    assert "AADSTS500011" in str(info.value)
    monkeypatch.setenv("IDENTITY_HEADER", "not the secret at all")
    with ManagedIdentityCredential() as credential, \
            pytest.raises(ClientAuthenticationError) as info:
        credential.get_token(app_service.scope)
    assert "X-IDENTITY-HEADER" in str(info.value)


def _outside_address() -> str | None:
    """This machine's address on a non-loopback interface, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_the_listener_is_loopback_only(world: World) -> None:
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    port = int(world.endpoint.split(":")[2].split("/")[0])
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://{address}:{port}/msi/token", timeout=5)
