"""``CredoAuthBackend`` under Starlette's ``AuthenticationMiddleware``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from resource_fakes import DAEMON_ID, FakeAuthority, app_claims, sign, user_claims
from starlette.applications import Starlette
from starlette.authentication import AuthenticationError, requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from credo.resource.asgi import CredoAuthBackend, CredoUser


async def whoami(request: Request) -> JSONResponse:
    user = request.user
    return JSONResponse({
        "authenticated": user.is_authenticated, "name": user.display_name,
        "id": user.identity if isinstance(user, CredoUser) else None,
        "scopes": request.auth.scopes})


@requires("role:Mail.Read")
async def messages(request: Request) -> JSONResponse:
    return JSONResponse({"tenant": request.user.principal.tenant_id})


def build(authority: FakeAuthority) -> tuple[httpx.AsyncClient, CredoAuthBackend]:
    backend = CredoAuthBackend(authority.validator())
    app = Starlette(routes=[Route("/whoami", whoami), Route("/messages", messages)],
                    middleware=[Middleware(AuthenticationMiddleware, backend=backend,
                                           on_error=backend.on_error)])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                               base_url="https://api.test")
    return client, backend


@pytest.fixture
def api(authority: FakeAuthority) -> httpx.AsyncClient:
    return build(authority)[0]


async def test_app_only_credentials(api: httpx.AsyncClient, keys: Any) -> None:
    token = sign(keys.primary, app_claims(roles=("Mail.Read", "Calendars.Read")))
    response = await api.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {
        "authenticated": True, "name": DAEMON_ID, "id": app_claims()["oid"],
        "scopes": ["authenticated", "role:Calendars.Read", "role:Mail.Read"]}
    response = await api.get("/messages", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


async def test_delegated_credentials(api: httpx.AsyncClient, keys: Any) -> None:
    token = sign(keys.primary, user_claims())
    response = await api.get("/whoami", headers={"Authorization": f"bearer {token}"})
    assert response.json()["scopes"] == ["authenticated", "scp:Mail.Read", "scp:User.Read"]
    assert response.json()["name"] == "Alice Example"
    assert (await api.get("/messages", headers={"Authorization": f"Bearer {token}"})
            ).status_code == 403  # Starlette's own refusal for a missing credential scope


async def test_no_token_passes_through_unauthenticated(api: httpx.AsyncClient) -> None:
    response = await api.get("/whoami")
    assert response.json() == {"authenticated": False, "name": "", "id": None, "scopes": []}


async def test_bad_token_gets_the_rfc_6750_401(api: httpx.AsyncClient, keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "aud": "api://payroll"})
    response = await api.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    description = "The token audience 'api://payroll' is not accepted by this API."
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="api://mail", error="invalid_token", error_description="{description}"')
    assert response.json() == {"error": "invalid_token", "error_description": description}


async def test_authority_down_is_503(authority: FakeAuthority, keys: Any) -> None:
    authority.failing = True
    api, _ = build(authority)
    response = await api.get("/whoami", headers={
        "Authorization": f"Bearer {sign(keys.primary, app_claims())}"})
    assert (response.status_code, response.headers["Retry-After"]) == (503, "5")


def test_on_error_with_a_foreign_authentication_error(authority: FakeAuthority) -> None:
    _, backend = build(authority)
    conn = HTTPConnection({"type": "http", "headers": []})
    response = backend.on_error(conn, AuthenticationError("Other backend said no."))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="api://mail", error="invalid_token", '
        'error_description="Other backend said no."')
