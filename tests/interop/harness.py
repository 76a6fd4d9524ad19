"""The interop world on a live ``credo serve``: a tenant, two resources, a daemon, its credentials.

Everything is created through the management API (``/v1.0``, Graph-shaped) with the
operator's certificate, exactly as the CLI does; nothing touches the database directly.
``Interop.validate`` checks an access token the way a resource server would: PyJWT's
``PyJWKClient`` on the ``jwks_uri`` of the tenant's discovery document for the token's
version (docs/protocol.md).
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jwt

from credo import certs
from credo.client import CertificateCredential, ClientSecret, ConfidentialClient
from credo.errors import OAuthError
from live import LiveServer

T = TypeVar("T")
MANAGEMENT_SCOPE = "api://credo/.default"
PFX_PASSWORD = "interop-pfx-password"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PROPAGATION_SECONDS = 5.0
"""How long a change may take to reach the token endpoint (CREDO_CACHE_SECONDS=1, plus margin)."""


def poll(attempt: Callable[[], T | None], *, seconds: float = PROPAGATION_SECONDS,
         what: str) -> T:
    """``attempt()`` until it returns something other than ``None``, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        result = attempt()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {seconds} s")
        time.sleep(0.1)


def b64url_decode(segment: str) -> bytes:
    """Base64url with or without ``=`` padding (some clients pad their JWS segments)."""
    segment = segment.rstrip("=")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def jws_parts(compact: str | bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a compact JWS, unverified (to inspect what a client sent)."""
    text = compact.decode() if isinstance(compact, bytes) else compact
    header, payload, _ = text.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


@dataclass(frozen=True)
class CertFiles:
    """A client certificate in every file shape the clients take."""

    key_path: Path
    cert_path: Path
    combined_path: Path  # key + certificate in one PEM (azure-identity)
    pfx_path: Path  # PKCS#12 protected by PFX_PASSWORD
    key_pem: str
    cert_pem: str
    thumbprints: certs.Thumbprints

    @property
    def sha1_hex(self) -> str:
        return self.thumbprints.sha1_hex

    @property
    def der_b64(self) -> str:
        cert = certs.load_certificate(self.cert_pem.encode())
        return base64.b64encode(certs.certificate_der(cert)).decode()


def make_cert(directory: Path, name: str) -> CertFiles:
    """A fresh self-signed RSA-2048 certificate valid from yesterday for 30 days."""
    start = datetime.now(UTC) - timedelta(days=1)
    key, cert = certs.create_self_signed(f"CN={name}", start, start + timedelta(days=30))
    paths = certs.write_bundle(directory / name, key, cert, None)
    key_pem = certs.private_key_pem(key).decode()
    cert_pem = certs.certificate_pem(cert).decode()
    combined = directory / f"{name}.combined.pem"
    combined.write_text(key_pem + cert_pem)
    pfx = directory / f"{name}.protected.pfx"
    pfx.write_bytes(certs.pkcs12_bytes(key, cert, PFX_PASSWORD.encode(), name))
    return CertFiles(paths["key"], paths["pem"], combined, pfx, key_pem, cert_pem,
                     certs.thumbprints(cert))


class ManagementError(AssertionError):
    """A management call that did not succeed: the status and the Graph error body."""


class Management:
    """The operator's management-API session: a cached operator token per tenant."""

    def __init__(self, server: LiveServer) -> None:
        self._server = server
        self._ssl = server.ssl_context()
        self._clients: dict[str, ConfidentialClient] = {}
        self._http = httpx.Client(base_url=f"{server.url}/v1.0", verify=self._ssl, timeout=30)

    def _token(self, tenant: str) -> str:
        client = self._clients.get(tenant)
        if client is None:
            operator_dir = self._server.settings.operator_dir
            credential = CertificateCredential.from_files(
                operator_dir / "operator.pem", operator_dir / "operator.key.pem")
            client = ConfidentialClient(f"{self._server.url}/{tenant}",
                                        self._server.settings.operator_app_id,
                                        credential=credential, verify=self._ssl)
            self._clients[tenant] = client

        def attempt() -> str | None:
            try:
                return client.acquire_token_for_client([MANAGEMENT_SCOPE]).access_token
            except OAuthError as error:  # a tenant created a moment ago may not be visible yet
                if error.code == 90002:
                    return None
                raise
        return poll(attempt, what=f"an operator token for {tenant}")

    def call(self, method: str, path: str, *, tenant: str,
             body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request; the JSON answer ({} for 204); ``ManagementError`` for non-2xx."""
        response = self._http.request(method, path, json=body,
                                      headers={"Authorization": f"Bearer {self._token(tenant)}"})
        if response.status_code >= 300:
            raise ManagementError(f"{method} /v1.0{path} -> {response.status_code}: "
                                  f"{response.text}")
        return response.json() if response.content else {}

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._http.close()


@dataclass(frozen=True)
class Resource:
    """A registered API: its identifier URI, app id, service principal and role ids."""

    name: str
    uri: str
    app_id: str
    sp_id: str
    version: int
    role_ids: dict[str, str]

    @property
    def scope(self) -> str:
        return f"{self.uri}/.default"

    @property
    def audience(self) -> str:
        """``aud`` of its tokens: v1 the resource as requested (here: the URI), v2 the app id."""
        return self.uri if self.version == 1 else self.app_id


@dataclass
class Interop:
    """The tenant, its resources and the daemon, plus token validation against discovery."""

    server: LiveServer
    api: Management
    tenant_id: str
    domain: str
    mail: Resource
    v2: Resource
    revocable: Resource
    daemon_app_id: str
    daemon_sp_id: str
    cert: CertFiles
    stranger: CertFiles
    secret: str
    grants: dict[str, str]  # resource app id -> the Mail.Read assignment id
    discovery: dict[int, dict[str, Any]] = field(default_factory=dict)
    jwks: dict[int, jwt.PyJWKClient] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ca(self) -> str:
        return str(self.server.ca_path)

    def ssl_context(self) -> ssl.SSLContext:
        return self.server.ssl_context()

    def authority(self, by: str = "domain") -> str:
        """``{url}/{tenant}`` with the tenant's domain or its GUID."""
        return f"{self.url}/{self.domain if by == 'domain' else self.tenant_id}"

    def token_endpoint(self, version: int = 2, by: str = "domain") -> str:
        return f"{self.authority(by)}/oauth2/{'v2.0/' if version == 2 else ''}token"

    def validate(self, token: str, resource: Resource, *, acr: str,
                 roles: list[str] | None = None) -> dict[str, Any]:
        """Verify ``token`` as ``resource`` would; returns its claims.

        Signature with the key ``PyJWKClient`` finds by ``kid`` at the discovered
        ``jwks_uri``; ``iss`` = the discovery ``issuer`` of the token's version; ``aud``;
        ``tid``; ``roles``; ``idtyp``; the client's id and authentication class.
        """
        version = resource.version
        header = jwt.get_unverified_header(token)
        assert header.get("typ") == "JWT" and header.get("alg") == "RS256", header
        assert isinstance(header.get("kid"), str) and header["kid"], header
        if version == 1:
            assert header.get("x5t") == header["kid"], header
        signing_key = self.jwks[version].get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token, signing_key.key, algorithms=["RS256"], audience=resource.audience,
            issuer=self.discovery[version]["issuer"],
            options={"require": ["exp", "iat", "nbf", "iss", "aud", "tid", "oid", "sub"]})
        now = time.time()
        assert claims["ver"] == ("1.0" if version == 1 else "2.0"), claims
        assert claims["tid"] == self.tenant_id, claims
        assert claims["idtyp"] == "app", claims
        assert claims["oid"] == claims["sub"] == self.daemon_sp_id, claims
        assert claims.get("roles") == (["Mail.Read"] if roles is None else roles), claims
        client, client_acr = ("appid", "appidacr") if version == 1 else ("azp", "azpacr")
        assert claims[client] == self.daemon_app_id, claims
        assert claims[client_acr] == acr, claims
        assert isinstance(claims.get("uti"), str) and claims["uti"], claims
        assert claims["iat"] == claims["nbf"], claims
        assert now - 420 < claims["nbf"] <= now, claims  # about now - 300 (Entra backdates)
        assert now + 3000 < claims["exp"] <= now + 3700, claims
        return claims


def _role(value: str) -> dict[str, Any]:
    return {"allowedMemberTypes": ["Application"], "displayName": value, "value": value,
            "description": f"{value} for daemons", "isEnabled": True, "id": str(uuid.uuid4())}


def _register_resource(api: Management, tenant: str, name: str, uri: str, version: int,
                       roles: list[str]) -> Resource:
    manifest: dict[str, Any] = {"displayName": name, "identifierUris": [uri],
                                "appRoles": [_role(value) for value in roles]}
    if version == 2:
        manifest["api"] = {"requestedAccessTokenVersion": 2}
    app = api.call("POST", "/applications", tenant=tenant, body=manifest)
    sp = api.call("GET", f"/servicePrincipals(appId='{app['appId']}')", tenant=tenant)
    role_ids = {role["value"]: role["id"] for role in app["appRoles"]}
    return Resource(name, uri, app["appId"], sp["id"], version, role_ids)


def grant(api: Management, tenant: str, principal_sp: str, resource: Resource,
          role: str) -> str:
    """Admin consent to an application permission; the assignment id."""
    assignment = api.call("POST", f"/servicePrincipals/{resource.sp_id}/appRoleAssignedTo",
                          tenant=tenant, body={"principalId": principal_sp,
                                               "resourceId": resource.sp_id,
                                               "appRoleId": resource.role_ids[role]})
    return str(assignment["id"])


def build(server: LiveServer, directory: Path) -> Interop:
    """Create the tenant, the resources, the daemon and its grants on ``server``."""
    api = Management(server)
    domain = f"interop-{secrets.token_hex(4)}.test"
    tenant = api.call("POST", "/tenants", tenant=server.bootstrap_tenant,
                      body={"domain": domain})
    tenant_id = str(tenant["id"])
    mail = _register_resource(api, domain, "Mail API", "api://mail-interop", 1,
                              ["Mail.Read", "Mail.Send"])
    v2 = _register_resource(api, domain, "Mail API v2", f"https://v2api.{domain}", 2,
                            ["Mail.Read", "Mail.Send"])
    revocable = _register_resource(api, domain, "Revocable API", "api://revocable-interop", 1,
                                   ["Mail.Read"])
    daemon = api.call("POST", "/applications", tenant=domain,
                      body={"displayName": "Interop daemon"})
    daemon_sp = api.call("GET", f"/servicePrincipals(appId='{daemon['appId']}')", tenant=domain)
    cert = make_cert(directory, "interop-daemon")
    stranger = make_cert(directory, "interop-stranger")  # never registered
    api.call("POST", f"/applications/{daemon['id']}/addKey", tenant=domain, body={
        "keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify",
                          "key": cert.der_b64, "displayName": "interop"},
        "passwordCredential": None})
    secret = api.call("POST", f"/applications/{daemon['id']}/addPassword", tenant=domain,
                      body={"passwordCredential": {"displayName": "interop"}})["secretText"]
    grants = {r.app_id: grant(api, domain, daemon_sp["id"], r, "Mail.Read")
              for r in (mail, v2, revocable)}
    world = Interop(server, api, tenant_id, domain, mail, v2, revocable, daemon["appId"],
                    daemon_sp["id"], cert, stranger, secret, grants)
    context = server.ssl_context()
    for version, path in ((1, ".well-known/openid-configuration"),
                          (2, "v2.0/.well-known/openid-configuration")):
        document = server.get_json(f"/{domain}/{path}")
        assert isinstance(document, dict), document
        world.discovery[version] = document
        world.jwks[version] = jwt.PyJWKClient(document["jwks_uri"], ssl_context=context)
    _wait_until_usable(world)
    return world


def _wait_until_usable(world: Interop) -> None:
    """Every grant is visible to the token endpoint (bounded by the snapshot cache)."""
    with ConfidentialClient(world.authority(), world.daemon_app_id,
                            credential=ClientSecret(world.secret),
                            verify=world.ssl_context()) as client:
        for resource in (world.mail, world.v2, world.revocable):
            def attempt(resource: Resource = resource) -> bool | None:
                try:
                    token = client.acquire_token_for_client([resource.scope], force_refresh=True)
                except OAuthError as error:
                    if error.code in (700016, 500011, 501051, 7000215):
                        return None
                    raise
                return True if token.claims().get("roles") == ["Mail.Read"] else None
            poll(attempt, what=f"a token with roles for {resource.name}")
