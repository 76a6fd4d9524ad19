"""The token endpoints over HTTP (in-process ASGI): success shapes, tokens, and refusals.

Every refusal asserts the status, the whole Entra-shaped body, and that nothing but the
audit log changed in the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from credo import certs, jose
from credo.model import AppRole, Tenant
from credo.protocol.client_auth import METHODS
from credo.service.grants import GRANTS
from credo.service.runtime import Services
from support import ASSERTION_TYPE, directory_rows

pytestmark = pytest.mark.asyncio(loop_scope="session")

ERROR_KEYS = ["error", "error_description", "error_codes", "timestamp", "trace_id",
              "correlation_id", "error_uri"]


@dataclass
class World:
    tenant: Tenant
    strict: Tenant
    mail_api: Any
    v2_api: Any
    daemon: Any
    daemon_sp: Any
    strict_daemon: Any
    key: rsa.RSAPrivateKey
    cert: Any
    other_key: rsa.RSAPrivateKey
    other_cert: Any
    secret: str


def _cert(name: str) -> tuple[rsa.RSAPrivateKey, Any]:
    now = datetime.now(UTC)
    return certs.create_self_signed(f"CN={name}", now - timedelta(days=1), now + timedelta(days=30))


@pytest.fixture(scope="module")
async def world(services: Services) -> World:
    d = services.directory
    suffix = uuid.uuid4().hex[:6]
    tenant = await d.create_tenant(f"contoso-{suffix}.test")
    strict = await d.create_tenant(f"fabrikam-{suffix}.test", profile="strict")
    roles = (AppRole(str(uuid.uuid4()), "Mail.Read", "Read mail"),
             AppRole(str(uuid.uuid4()), "Mail.Send", "Send mail"))
    mail_api, _ = await d.create_application(tenant, "Mail API", app_roles=roles,
                                             identifier_uris=[f"api://mail-{suffix}"])
    v2_api, _ = await d.create_application(tenant, "V2 API", app_roles=roles[:1],
                                           identifier_uris=[f"https://v2-{suffix}.test/"],
                                           requested_access_token_version=2)
    key, cert = _cert("daemon")
    other_key, other_cert = _cert("other")
    daemon, daemon_sp = await d.create_application(tenant, "Daemon")
    daemon = await d.add_key(daemon, certs.key_credential(cert, key_id=str(uuid.uuid4())))
    daemon, _, secret = await d.add_password(daemon, display_name="s")
    decoy, _ = await d.create_application(tenant, "Decoy")
    await d.add_key(decoy, certs.key_credential(other_cert, key_id=str(uuid.uuid4())))
    for api in (mail_api, v2_api):
        sp = await d.service_principal(tenant, api.app_id)
        await d.grant(tenant, daemon_sp, sp, roles[0].id)
    strict_daemon, strict_sp = await d.create_application(strict, "Strict daemon")
    strict_daemon = await d.add_key(strict_daemon,
                                    certs.key_credential(cert, key_id=str(uuid.uuid4())))
    strict_api, _ = await d.create_application(strict, "Strict API", app_roles=roles[:1],
                                               identifier_uris=[f"api://strict-{suffix}"])
    await d.grant(strict, strict_sp, await d.service_principal(strict, strict_api.app_id),
                  roles[0].id)
    return World(tenant, strict, mail_api, v2_api, daemon, daemon_sp, strict_daemon, key, cert,
                 other_key, other_cert, secret)


def token_url(services: Services, tenant: str, version: int = 2) -> str:
    path = "oauth2/v2.0/token" if version == 2 else "oauth2/token"
    return f"{services.settings.base_url}/{tenant}/{path}"


def assertion(world: World, services: Services, *, tenant: Tenant | None = None,
              client_id: str | None = None, alg: str = "RS256",
              header: dict[str, Any] | None = None,
              key: rsa.RSAPrivateKey | None = None, **claims: Any) -> str:
    tenant = tenant or world.tenant
    client_id = client_id or world.daemon.app_id
    now = time.time()
    body: dict[str, Any] = {"aud": token_url(services, tenant.id), "iss": client_id,
                            "sub": client_id, "jti": str(uuid.uuid4()), "iat": now,
                            "exp": now + 600}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    prints = certs.thumbprints(world.cert)
    head = header if header is not None else (
        {"typ": "JWT", "x5t": prints.x5t} if alg == "RS256" else
        {"typ": "JWT", "x5t#S256": prints.x5t_s256})
    return jose.sign(alg, key or world.key, head, body)  # type: ignore[arg-type]


def form(world: World, token: str, *, scope: str | None = None, **extra: str) -> dict[str, str]:
    data = {"grant_type": "client_credentials", "client_id": world.daemon.app_id,
            "client_assertion_type": ASSERTION_TYPE, "client_assertion": token,
            "scope": scope or f"{world.mail_api.identifier_uris[0]}/.default"}
    data.update(extra)
    return {k: v for k, v in data.items() if v != ""}


async def post(client: httpx.AsyncClient, tenant: str, data: Any, *, version: int = 2,
               **kw: Any) -> httpx.Response:
    path = f"/{tenant}/oauth2/v2.0/token" if version == 2 else f"/{tenant}/oauth2/token"
    return await client.post(path, data=data, **kw)


def assert_error(response: httpx.Response, status: int, error: str, code: int,
                 description: str) -> None:
    """The whole Entra error body: fixed fields exactly, generated ids well-formed."""
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store, no-cache"
    body = response.json()
    assert list(body) == ERROR_KEYS
    uuid.UUID(body["trace_id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", body["timestamp"])
    assert body == {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {body['trace_id']} "
                             f"Correlation ID: {body['correlation_id']} "
                             f"Timestamp: {body['timestamp']}",
        "error_codes": [code], "timestamp": body["timestamp"], "trace_id": body["trace_id"],
        "correlation_id": body["correlation_id"],
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


async def test_v2_endpoint_certificate_v1_resource(client: httpx.AsyncClient, services: Services,
                                                   world: World) -> None:
    before = await directory_rows(services)
    response = await post(client, world.tenant.default_domain,
                          form(world, assertion(world, services)),
                          headers={"client-request-id": "abc-123"})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store, no-cache"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert list(body) == ["token_type", "expires_in", "ext_expires_in", "access_token"]
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert body["ext_expires_in"] == 3599
    header = jwt.get_unverified_header(body["access_token"])
    assert header == {"typ": "JWT", "x5t": services.keys.active_kid,
                      "kid": services.keys.active_kid, "alg": "RS256"}
    claims = _verify(services, body["access_token"], world.mail_api.identifier_uris[0])
    base, tid = services.settings.base_url, world.tenant.id
    assert claims["iss"] == f"{base}/{tid}/" and claims["idp"] == claims["iss"]
    assert claims["appid"] == world.daemon.app_id and claims["appidacr"] == "2"
    assert claims["oid"] == claims["sub"] == world.daemon_sp.id
    assert claims["tid"] == tid and claims["ver"] == "1.0" and claims["idtyp"] == "app"
    assert claims["roles"] == ["Mail.Read"]
    assert claims["iat"] == claims["nbf"] and claims["exp"] - claims["iat"] == 3900
    assert await directory_rows(services) == before  # no write per token


async def test_v2_resource_gets_v2_token_with_secret(client: httpx.AsyncClient,
                                                     services: Services, world: World) -> None:
    data = {"grant_type": "client_credentials", "client_id": world.daemon.app_id,
            "client_secret": world.secret, "scope": f"{world.v2_api.identifier_uris[0]}/.default"}
    response = await post(client, world.tenant.id, data)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert jwt.get_unverified_header(token) == {"typ": "JWT", "kid": services.keys.active_kid,
                                                "alg": "RS256"}
    claims = _verify(services, token, world.v2_api.app_id)
    assert claims["iss"] == f"{services.settings.base_url}/{world.tenant.id}/v2.0"
    assert claims["azp"] == world.daemon.app_id and claims["azpacr"] == "1"
    assert "appid" not in claims and "idp" not in claims and claims["ver"] == "2.0"


async def test_v1_endpoint_strings_and_resource(client: httpx.AsyncClient, services: Services,
                                                world: World) -> None:
    resource = world.mail_api.identifier_uris[0]
    token = assertion(world, services, aud=token_url(services, world.tenant.default_domain, 1),
                      iat=None, nbf=int(time.time()))
    response = await post(client, world.tenant.default_domain,
                          form(world, token, scope="", resource=resource), version=1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["token_type", "expires_in", "ext_expires_in", "expires_on",
                          "not_before", "resource", "access_token"]
    assert body["resource"] == resource and body["expires_in"] == "3599"
    assert int(body["expires_on"]) - int(body["not_before"]) == 3900
    assert _verify(services, body["access_token"], resource)["roles"] == ["Mail.Read"]


async def test_basic_auth_secret_without_client_id(client: httpx.AsyncClient,
                                                   services: Services, world: World) -> None:
    data = {"grant_type": "client_credentials",
            "scope": f"{world.mail_api.identifier_uris[0]}/.default"}
    response = await post(client, world.tenant.id, data,
                          auth=(world.daemon.app_id, world.secret))
    assert response.status_code == 200, response.text


def _verify(services: Services, token: str, audience: str) -> dict[str, Any]:
    header = jwt.get_unverified_header(token)
    key = services.keys.public_key(header["kid"])
    assert key is not None
    return jwt.decode(token, key, algorithms=["RS256"], audience=audience)  # type: ignore[no-any-return]


def _hs256_with_public_key(world: World, services: Services) -> str:
    pem = world.cert.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    head = jose.b64url_encode(json.dumps({"alg": "HS256", "typ": "JWT",
                                          "x5t": certs.thumbprints(world.cert).x5t}).encode())
    now = time.time()
    claims = {"aud": token_url(services, world.tenant.id), "iss": world.daemon.app_id,
              "sub": world.daemon.app_id, "jti": "j", "exp": now + 600}
    body = jose.b64url_encode(json.dumps(claims).encode())
    mac = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{jose.b64url_encode(mac)}"


def _none_alg(world: World, services: Services) -> str:
    good = assertion(world, services).split(".")
    head = jose.b64url_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{good[1]}."


SIG = ("Client assertion contains an invalid signature. [Reason - Key was found, but use of "
       "the key to verify the signature failed., Thumbprint of key used by client: '{mine}' "
       "(SHA-1)]")
REJECTIONS: list[tuple[str, Any, int, str, int, str]] = [
    ("bad-signature", lambda w, s: assertion(w, s)[:-6] + "AAAAAA", 401, "invalid_client",
     700027, SIG),
    ("foreign-certificate", lambda w, s: assertion(w, s, key=w.other_key, header={
        "typ": "JWT", "x5t": certs.thumbprints(w.other_cert).x5t}), 401, "invalid_client",
     700027, "Client assertion contains an invalid signature. [Reason - The key was not found., "
     "Thumbprint of key used by client: '{other}' (x5t, SHA-1), Please use the management API to "
     "see the configured keys for app Id '{app}'.]"),
    ("wrong-audience", lambda w, s: assertion(w, s, aud="https://evil.example/token"), 401,
     "invalid_client", 700023, "Client assertion audience claim does not match Realm issuer."),
    ("expired", lambda w, s: assertion(w, s, iat=time.time() - 4000, exp=time.time() - 3000),
     401, "invalid_client", 700024, None),
    ("alg-none", _none_alg, 401, "invalid_client", 50027, None),
    ("hs256-public-key", _hs256_with_public_key, 401, "invalid_client", 50027, None),
    ("iss-sub-mismatch", lambda w, s: assertion(w, s, sub=str(uuid.uuid4())), 401,
     "invalid_client", 50048, None),
]


@pytest.mark.parametrize(("name", "make", "status", "error", "code", "description"), REJECTIONS,
                         ids=[r[0] for r in REJECTIONS])
async def test_assertion_rejections_write_nothing(
        client: httpx.AsyncClient, services: Services, world: World, name: str, make: Any,
        status: int, error: str, code: int, description: str | None) -> None:
    before = await directory_rows(services)
    response = await post(client, world.tenant.id, form(world, make(world, services)))
    assert response.status_code == status, response.text
    if description is None:
        description = response.json()["error_description"].split(": ", 1)[1].split(" Trace ID")[0]
        assert response.json()["error"] == error and response.json()["error_codes"] == [code]
    description = (description.replace("{other}", certs.thumbprints(world.other_cert).sha1_hex)
                   .replace("{mine}", certs.thumbprints(world.cert).sha1_hex)
                   .replace("{app}", world.daemon.app_id))
    assert_error(response, status, error, code, description)
    assert response.headers["www-authenticate"] == 'Basic realm="credo"'
    assert await directory_rows(services) == before


async def test_unknown_tenant_and_aliases(client: httpx.AsyncClient, services: Services,
                                          world: World) -> None:
    data = form(world, assertion(world, services))
    response = await post(client, "nowhere.example", data)
    assert_error(response, 400, "invalid_request", 90002,
                 "Tenant 'nowhere.example' not found. Check to make sure you have the correct "
                 "tenant ID and are signing into the correct cloud. Check with your subscription "
                 "administrator, this may happen if there are no active subscriptions for the "
                 "tenant.")
    response = await post(client, "common", data)
    assert_error(response, 400, "invalid_request", 9001023,
                 "The grant type isn't supported over the /common, /organizations or /consumers "
                 "endpoints. Please use a tenant-specific endpoint.")


async def test_get_and_oversized_and_query_credentials(client: httpx.AsyncClient,
                                                       services: Services, world: World) -> None:
    response = await client.get(f"/{world.tenant.id}/oauth2/v2.0/token")
    assert_error(response, 405, "invalid_request", 900561,
                 "The endpoint only accepts POST requests. Received a GET request.")
    response = await client.post(f"/{world.tenant.id}/oauth2/v2.0/token",
                                 content=b"a=" + b"x" * 70_000,
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert_error(response, 413, "invalid_request", 90100, "The request body is too large.")
    response = await client.post(f"/{world.tenant.id}/oauth2/v2.0/token?client_secret=x",
                                 data=form(world, assertion(world, services)))
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_two_methods_and_repeated_parameters(client: httpx.AsyncClient,
                                                   services: Services, world: World) -> None:
    before = await directory_rows(services)
    both = form(world, assertion(world, services), client_secret=world.secret)
    response = await post(client, world.tenant.id, both)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    repeated = "&".join(f"{k}={v}" for k, v in form(world, assertion(world, services)).items())
    response = await client.post(f"/{world.tenant.id}/oauth2/v2.0/token",
                                 content=repeated + "&scope=api://x/.default",
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"
    assert await directory_rows(services) == before


async def test_entra_accepts_reuse_strict_refuses_replay(client: httpx.AsyncClient,
                                                         services: Services, world: World) -> None:
    same = form(world, assertion(world, services))
    for _ in range(2):
        assert (await post(client, world.tenant.id, same)).status_code == 200
    strict = world.strict
    token = assertion(world, services, tenant=strict, client_id=world.strict_daemon.app_id,
                      alg="PS256", aud=f"{services.settings.base_url}/{strict.id}/v2.0")
    strict_api = (await services.store.applications(strict.id))
    uri = next(a.identifier_uris[0] for a in strict_api if a.identifier_uris)
    data = {**form(world, token, scope=f"{uri}/.default"), "client_id": world.strict_daemon.app_id}
    first = await post(client, strict.id, data)
    assert first.status_code == 200, first.text
    assert_error(await post(client, strict.id, data), 401, "invalid_client", 700024,
                 "Client assertion has already been used. A new assertion with a unique 'jti' "
                 "is required.")


async def test_assignment_required_and_revocation(client: httpx.AsyncClient, services: Services,
                                                  world: World) -> None:
    d = services.directory
    scope = f"{world.mail_api.identifier_uris[0]}/.default"
    mail_sp = await d.service_principal(world.tenant, world.mail_api.app_id)
    send = next(r for r in world.mail_api.app_roles if r.value == "Mail.Send")
    grant = await d.grant(world.tenant, world.daemon_sp, mail_sp, send.id)
    response = await post(client, world.tenant.id, form(world, assertion(world, services),
                                                        scope=scope))
    token = response.json()["access_token"]
    assert sorted(jose.parse_compact(token).claims["roles"]) == ["Mail.Read", "Mail.Send"]
    await d.revoke(world.tenant, grant.id)
    for a in await services.store.assignments_of(world.daemon_sp.id):
        if a.resource_id == mail_sp.id:
            await d.revoke(world.tenant, a.id)
    before = await directory_rows(services)
    response = await post(client, world.tenant.id, form(world, assertion(world, services),
                                                        scope=scope))
    assert response.status_code == 400, response.text
    assert response.json()["error_codes"] == [501051]
    assert await directory_rows(services) == before


async def test_padded_segments_and_thumbprints_accepted(client: httpx.AsyncClient,
                                                        services: Services, world: World) -> None:
    """azure-identity's async client keeps '=' padding on every segment and on x5t#S256."""
    now = int(time.time())
    digest = certs.thumbprints(world.cert).sha256
    header = {"typ": "JWT", "alg": "PS256",
              "x5t#S256": base64.urlsafe_b64encode(digest).decode()}
    claims = {"jti": str(uuid.uuid4()), "aud": token_url(services, world.tenant.default_domain),
              "iss": world.daemon.app_id, "sub": world.daemon.app_id, "nbf": now,
              "exp": now + 1800}
    seg = [base64.urlsafe_b64encode(json.dumps(x).encode()).decode() for x in (header, claims)]
    signing_input = f"{seg[0]}.{seg[1]}".encode()
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    sig = world.key.sign(signing_input, padding.PSS(padding.MGF1(hashes.SHA256()), 32),
                         hashes.SHA256())
    token = f"{seg[0]}.{seg[1]}.{base64.urlsafe_b64encode(sig).decode()}"
    scope = f"{world.v2_api.identifier_uris[0]}/.default"
    response = await post(client, world.tenant.default_domain, form(world, token, scope=scope))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", [".well-known/openid-configuration",
                                  "v2.0/.well-known/openid-configuration"])
async def test_discovery_lists_the_registries(client: httpx.AsyncClient, world: World,
                                              path: str) -> None:
    """grant_types_supported is the grant registry and the endpoint serves exactly those;
    token_endpoint_auth_methods_supported is the client-authentication registry."""
    for segment in (world.tenant.default_domain, "common"):
        response = await client.get(f"/{segment}/{path}")
        assert response.status_code == 200, response.text
        document = response.json()
        assert document["grant_types_supported"] == list(GRANTS)
        assert document["token_endpoint_auth_methods_supported"] == list(METHODS)
    for grant_type in [*GRANTS, "password"]:
        response = await post(client, world.tenant.id, {"grant_type": grant_type})
        assert (response.json()["error_codes"] == [70003]) == (grant_type not in GRANTS)
