"""Scale-out: two ``credo serve`` nodes on one PostgreSQL database and one Redis.

Proves what README.md §Several nodes promises: one JWKS, a strict tenant's ``jti`` is single
use across nodes, and a revocation made on one node reaches the other within the bound.
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from availability import require_or_skip
from credo import certs, jose
from credo.client import CertificateCredential, ConfidentialClient
from credo.service.management.policy import MANAGEMENT_SCOPE
from live import LiveServer, credo, free_port, serve, stop_server

pytestmark = pytest.mark.slow
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/14"


def _pg(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()
    asyncio.run(run())


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    name = f"credo_scale_{uuid.uuid4().hex[:8]}"
    try:
        _pg(f'CREATE DATABASE "{name}"')
    except Exception as exc:
        require_or_skip(f"PostgreSQL at 127.0.0.1:5432 is unreachable ({exc})")
    try:
        import redis
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except Exception as exc:
        _pg(f'DROP DATABASE "{name}"')
        require_or_skip(f"Redis at {REDIS_URL} is unreachable ({exc})")
    data_dir = tmp_path_factory.mktemp("credo-nodes")
    port_a, port_b = free_port(), free_port()
    env = {"CREDO_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}",
           "CREDO_REDIS_URL": REDIS_URL, "CREDO_BASE_URL": f"https://127.0.0.1:{port_a}",
           "CREDO_CACHE_SECONDS": "1"}
    credo("init", "--port", str(port_a), "--domain", "nodes.test", data_dir=data_dir, env=env)
    started = [serve(data_dir, f"https://127.0.0.1:{port}", port=port, env=env)
               for port in (port_a, port_b)]
    try:
        yield started[0], started[1]
    finally:
        for server in started:
            stop_server(server)
        _pg(f'DROP DATABASE "{name}" WITH (FORCE)')


def _api(node: LiveServer, token: str, method: str, path: str, body: Any = None) -> Any:
    response = httpx.request(method, f"{node.url}/v1.0{path}", json=body, verify=node.ssl_context(),
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def _operator_token(node: LiveServer, tenant: str) -> str:
    folder = node.settings.operator_dir
    credential = CertificateCredential.from_files(folder / "operator.pem",
                                                  folder / "operator.key.pem",
                                                  reuse_assertions=False)
    return ConfidentialClient(f"{node.url}/{tenant}", node.settings.operator_app_id,
                              credential=credential, verify=node.ssl_context(),
                              assertion_audience="issuer",
                              ).acquire_token_for_client([MANAGEMENT_SCOPE]).access_token


def _post_token(node: LiveServer, tenant: str, form: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{node.url}/{tenant}/oauth2/v2.0/token", data=form,
                      verify=node.ssl_context(), timeout=10)


def test_two_nodes_share_keys_replay_and_revocation(nodes: tuple[LiveServer, LiveServer],
                                                    tmp_path: Path) -> None:
    a, b = nodes
    root = _operator_token(a, a.settings.bootstrap_tenant)
    tenant = _api(a, root, "POST", "/tenants", {"domain": f"n-{uuid.uuid4().hex[:6]}.test",
                                                "profile": "strict"})
    op = _operator_token(a, tenant["id"])
    api = _api(a, op, "POST", "/applications", {
        "displayName": "Scale API", "identifierUris": ["api://scale"],
        "appRoles": [{"id": str(uuid.uuid4()), "allowedMemberTypes": ["Application"],
                      "displayName": "Read",
                      "value": "Scale.Read", "description": "read", "isEnabled": True}]})
    app = _api(a, op, "POST", "/applications", {"displayName": "Scale daemon"})
    now = time.time()
    start = datetime.fromtimestamp(now, UTC)
    key, cert = certs.create_self_signed("CN=scale", start - timedelta(hours=1),
                                         start + timedelta(days=1))
    _api(a, op, "POST", f"/applications/{app['id']}/addKey", {"keyCredential": {
        "type": "AsymmetricX509Cert", "usage": "Verify",
        "key": base64.b64encode(certs.certificate_der(cert)).decode()},
        "passwordCredential": None})
    api_sp = _api(a, op, "GET", f"/servicePrincipals(appId='{api['appId']}')")
    app_sp = _api(a, op, "GET", f"/servicePrincipals(appId='{app['appId']}')")
    grant = _api(a, op, "POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", {
        "principalId": app_sp["id"], "resourceId": api_sp["id"],
        "appRoleId": api["appRoles"][0]["id"]})

    assert a.get_json(f"/{tenant['id']}/discovery/v2.0/keys") == \
        b.get_json(f"/{tenant['id']}/discovery/v2.0/keys")

    issuer = f"{a.url}/{tenant['id']}/v2.0"
    claims = {"aud": issuer, "iss": app["appId"], "sub": app["appId"],
              "jti": str(uuid.uuid4()), "iat": int(now), "exp": int(now) + 300}
    assertion = jose.sign("PS256", key, {"typ": "JWT",
                                         "x5t#S256": certs.thumbprints(cert).x5t_s256}, claims)
    form = {"grant_type": "client_credentials", "client_id": app["appId"],
            "scope": "api://scale/.default", "client_assertion": assertion,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
    first = _post_token(a, tenant["id"], form)
    assert first.status_code == 200, first.text
    replay = _post_token(b, tenant["id"], form)
    assert replay.status_code == 401 and replay.json()["error_codes"] == [700024]

    _api(a, op, "DELETE", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo/{grant['id']}")
    deadline = time.monotonic() + 10
    while True:
        claims["jti"] = str(uuid.uuid4())
        form["client_assertion"] = jose.sign(
            "PS256", key, {"typ": "JWT", "x5t#S256": certs.thumbprints(cert).x5t_s256}, claims)
        response = _post_token(b, tenant["id"], form)
        if response.status_code == 400 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert response.status_code == 400 and response.json()["error_codes"] == [501051]
