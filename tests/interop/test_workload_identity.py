"""Workload identity federation against a real ``credo serve``, with real issuers on loopback.

Three issuers: a GitHub-Actions-shaped one (RS256, ``x5t`` and ``kid``) and a
Kubernetes-service-account-shaped one (ES256, issuer URL with a path), both served over HTTPS
by this test with a certificate from its own CA (``federation_ca_file``); and another tenant
of the same Credo, whose app-only token for ``api://AzureADTokenExchange`` is the assertion.
MSAL, azure-identity's ``ClientAssertionCredential`` and ``WorkloadIdentityCredential``
(``AZURE_FEDERATED_TOKEN_FILE``) are used unchanged. Then what is refused, and how.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest
from azure.identity import ClientAssertionCredential, WorkloadIdentityCredential
from typer.testing import CliRunner

from credo.cli.main import app as credo_app
from credo.protocol.client_auth import JWT_BEARER
from federation import HttpsIssuer, Issuer, IssuerCa, SigningKey, silent_port
from live import LiveServer, start_server, stop_server
from support import claims_of

from .harness import Management

pytestmark = pytest.mark.slow
MAIN = "repo:contoso/mail:ref:refs/heads/main"
SENDER = "system:serviceaccount:mail:sender"


@dataclass
class World:
    server: LiveServer
    api: Management
    github: Issuer
    kube: Issuer
    hanging: str
    domain: str
    tenant_id: str
    scope: str
    deployer: dict[str, Any]
    issuer_tenant: str
    workload_app_id: str
    workload_secret: str

    def token_url(self, tenant: str | None = None) -> str:
        return f"{self.server.url}/{tenant or self.domain}/oauth2/v2.0/token"

    def post(self, assertion: str, client_id: str | None = None) -> httpx.Response:
        return httpx.post(self.token_url(), verify=self.server.ssl_context(), timeout=30, data={
            "grant_type": "client_credentials", "scope": self.scope,
            "client_id": client_id or self.deployer["appId"],
            "client_assertion_type": JWT_BEARER, "client_assertion": assertion})

    def exchange_token(self) -> str:
        """The issuing tenant's app token for api://AzureADTokenExchange (a secret)."""
        response = httpx.post(self.token_url(self.issuer_tenant),
                              verify=self.server.ssl_context(), timeout=30, data={
            "grant_type": "client_credentials", "client_id": self.workload_app_id,
            "client_secret": self.workload_secret,
            "scope": "api://AzureADTokenExchange/.default"})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])


def _role() -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "value": "Use", "displayName": "Use", "description": "Use",
            "allowedMemberTypes": ["Application"], "isEnabled": True}


def _tenant_with_api(api: Management, root: str, name: str, uri: str
                     ) -> tuple[str, str, dict[str, Any]]:
    domain = f"{name}-{uuid.uuid4().hex[:6]}.test"
    tenant = api.call("POST", "/tenants", tenant=root, body={"domain": domain})["id"]
    resource = api.call("POST", "/applications", tenant=tenant, body={
        "displayName": name, "identifierUris": [uri], "appRoles": [_role()]})
    return domain, tenant, resource


def _grant(api: Management, tenant: str, client: dict[str, Any],
           resource: dict[str, Any]) -> None:
    sps = {a["appId"]: api.call("GET", f"/servicePrincipals(appId='{a['appId']}')",
                                tenant=tenant)["id"] for a in (client, resource)}
    api.call("POST", f"/servicePrincipals/{sps[resource['appId']]}/appRoleAssignedTo",
             tenant=tenant, body={"principalId": sps[client["appId"]],
                                  "resourceId": sps[resource["appId"]],
                                  "appRoleId": resource["appRoles"][0]["id"]})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    directory = tmp_path_factory.mktemp("wif")
    ca = IssuerCa(directory)
    listener, port = silent_port()
    with HttpsIssuer(ca) as github, \
            HttpsIssuer(ca, "/k8s/cluster-1", [SigningKey("ES256")]) as kube:
        server = start_server(directory / "credo", domain="wif.test", env={
            "CREDO_FEDERATION_CA_FILE": str(ca.ca_path), "CREDO_FEDERATION_TIMEOUT": "1"})
        api = Management(server)
        try:
            yield _build(server, api, github, kube, f"https://127.0.0.1:{port}/hang")
        finally:
            api.close()
            stop_server(server)
            listener.close()


def _build(server: LiveServer, api: Management, github: Issuer, kube: Issuer,
           hanging: str) -> World:
    root = server.bootstrap_tenant
    _, issuer_tenant, exchange = _tenant_with_api(
        api, root, "issuer", "api://AzureADTokenExchange")
    workload = api.call("POST", "/applications", tenant=issuer_tenant,
                        body={"displayName": "Workload"})
    secret = api.call("POST", f"/applications/{workload['id']}/addPassword",
                      tenant=issuer_tenant, body={})["secretText"]
    _grant(api, issuer_tenant, workload, exchange)
    workload_sp = api.call("GET", f"/servicePrincipals(appId='{workload['appId']}')",
                           tenant=issuer_tenant)["id"]
    uri = f"api://mail-{uuid.uuid4().hex[:6]}"
    domain, tenant, mail = _tenant_with_api(api, root, "workloads", uri)
    deployer = api.call("POST", "/applications", tenant=tenant,
                        body={"displayName": "Deployer"})
    _grant(api, tenant, deployer, mail)
    for name, issuer, subject in (
            ("github-main", github.url, MAIN), ("kube-sender", kube.url, SENDER),
            ("credo-workload", f"{server.url}/{issuer_tenant}/", workload_sp),
            ("hanging", hanging, MAIN)):
        api.call("POST", f"/applications/{deployer['id']}/federatedIdentityCredentials",
                 tenant=tenant, body={"name": name, "issuer": issuer, "subject": subject})
    return World(server, api, github, kube, hanging, domain, tenant, f"{uri}/.default",
                 deployer, issuer_tenant, workload["appId"], secret)


def _roles(token: str, world: World) -> tuple[str, list[str]]:
    claims = claims_of(token)
    return claims["appid"], claims["roles"]


def test_github_and_kubernetes_tokens_over_https(world: World) -> None:
    for assertion in (world.github.github(), world.kube.kubernetes()):
        response = world.post(assertion)
        assert response.status_code == 200, response.text
        assert _roles(response.json()["access_token"], world) == (
            world.deployer["appId"], ["Use"])
    assert world.github.requests.count("/.well-known/openid-configuration") == 1


def test_another_credo_tenant_is_an_issuer(world: World) -> None:
    exchange = world.exchange_token()
    claims = claims_of(exchange)
    assert (claims["iss"], claims["aud"]) == (
        f"{world.server.url}/{world.issuer_tenant}/", "api://AzureADTokenExchange")
    response = world.post(exchange)
    assert response.status_code == 200, response.text
    assert _roles(response.json()["access_token"], world)[1] == ["Use"]


def test_msal_with_an_external_assertion(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(world.server.ca_path))
    app = msal.ConfidentialClientApplication(
        world.deployer["appId"], authority=f"{world.server.url}/{world.domain}",
        client_credential={"client_assertion": world.github.github},
        validate_authority=False)
    result = app.acquire_token_for_client([world.scope])
    assert "access_token" in result, result
    assert _roles(result["access_token"], world)[1] == ["Use"]


def test_azure_identity_client_assertion_credential(world: World) -> None:
    credential = ClientAssertionCredential(
        world.domain, world.deployer["appId"], world.exchange_token,
        authority=world.server.url, disable_instance_discovery=True,
        connection_verify=str(world.server.ca_path))
    with credential:
        token = credential.get_token(world.scope)
    assert _roles(token.token, world) == (world.deployer["appId"], ["Use"])


def test_azure_identity_workload_identity_credential(world: World, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The Kubernetes way: the token in a file, everything else in AZURE_* variables."""
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(world.kube.kubernetes())
    for name, value in {"AZURE_TENANT_ID": world.tenant_id,
                        "AZURE_CLIENT_ID": world.deployer["appId"],
                        "AZURE_AUTHORITY_HOST": world.server.url,
                        "AZURE_FEDERATED_TOKEN_FILE": str(token_file)}.items():
        monkeypatch.setenv(name, value)
    credential = WorkloadIdentityCredential(disable_instance_discovery=True,
                                            connection_verify=str(world.server.ca_path))
    with credential:
        token = credential.get_token(world.scope)
    assert _roles(token.token, world) == (world.deployer["appId"], ["Use"])


def _refused(response: httpx.Response, status: int, code: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert (body["error_codes"], body["error"]) == (
        [code], "invalid_client" if status == 401 else "invalid_request")
    return str(body["error_description"])


def test_what_is_refused(world: World, tmp_path: Path) -> None:
    stranger = Issuer(world.github.url + "/", world.github.keys)
    assert "assertion issuer" in _refused(world.post(stranger.github()), 401, 700211)
    assert "assertion subject" in _refused(world.post(world.github.github(ref="refs/heads/x")),
                                           401, 700213)
    assert "assertion audience" in _refused(world.post(world.github.github(aud="api://x")),
                                            401, 700212)
    expired = world.github.github(now=1_700_000_000, lifetime=300)
    assert "not within its valid time range" in _refused(world.post(expired), 401, 700024)
    unknown = world.github.github(key=SigningKey("RS256"))
    assert "could not be found in the metadata" in _refused(world.post(unknown), 401, 7000272)
    hanging = Issuer(world.hanging).token(MAIN)
    description = _refused(world.post(hanging), 400, 90061)
    assert "did not answer within 1 s" in description, description


def test_a_certificate_assertion_still_goes_to_private_key_jwt(world: World,
                                                               tmp_path: Path) -> None:
    """An assertion the client signs itself (``iss`` = its id) is never taken for an external
    issuer's: without a registered certificate it is AADSTS700027, not a federation error."""
    key = SigningKey("RS256")
    client_id = world.deployer["appId"]
    assertion = key.sign({"iss": client_id, "sub": client_id, "aud": world.token_url(),
                          "jti": str(uuid.uuid4()), "exp": 4_000_000_000, "nbf": 1},
                         x5t="AAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert "The key was not found" in _refused(world.post(assertion), 401, 700027)


def ok(*args: str) -> str:
    result = CliRunner().invoke(credo_app, list(args))
    assert result.exit_code == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def ok_json(*args: str) -> Any:
    return json.loads(ok(*args, "--json"))


def test_the_cli_adds_lists_and_removes(world: World) -> None:
    dd = ("--data-dir", str(world.server.data_dir))
    app = ok_json("app", "create", f"CLI deployer {uuid.uuid4().hex[:6]}", "-t", world.domain,
                  *dd)
    added = ok_json("app", "federated", "add", app["appId"], "ci-main", "--issuer",
                    world.github.url, "--subject", MAIN, "--description", "CI", *dd)
    assert (added["name"], added["audiences"], added["description"]) == (
        "ci-main", ["api://AzureADTokenExchange"], "CI")
    table = ok("app", "federated", "list", app["appId"], *dd)
    assert "ci-main" in table and MAIN in table
    removed = ok_json("app", "federated", "remove", app["appId"], "ci-main", *dd)
    assert removed["id"] == added["id"]
    assert ok_json("app", "federated", "list", app["appId"], *dd) == []
