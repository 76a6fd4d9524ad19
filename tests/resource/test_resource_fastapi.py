"""The FastAPI dependencies on a small Graph-shaped API, called through ``ASGITransport``.

Every refusal is asserted in full: status, ``WWW-Authenticate`` (RFC 6750 §3) and body.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from resource_fakes import FakeAuthority, app_claims, sign, user_claims

from credo.errors import TokenValidationError
from credo.resource import Principal
from credo.resource.fastapi import (
    install_error_handlers,
    require_any,
    require_roles,
    require_scopes,
    require_token,
    require_user,
    require_user_roles,
)

REALM = "api://mail"


def build_api(authority: FakeAuthority, *, handlers: bool = True) -> FastAPI:
    validator = authority.validator()
    app = FastAPI()
    if handlers:
        install_error_handlers(app, realm=REALM)

    @app.get("/v1.0/users/{user}/messages")
    async def messages(user: str, caller: Principal = Depends(
            require_any(validator, roles=["Mail.Read"], scopes=["Mail.Read"]))) -> Any:
        return {"user": user, "app": caller.app_id, "app_only": caller.is_app_only}

    @app.get("/v1.0/me/messages")
    async def my_messages(caller: Principal = Depends(
            require_user(validator, scopes=["Mail.Read"]))) -> Any:
        return {"me": caller.object_id}

    @app.post("/v1.0/users/{user}/sendMail")
    async def send(user: str, caller: Principal = Depends(
            require_roles(validator, "Mail.Send"))) -> Any:
        return {}

    @app.get("/v1.0/me/contacts")
    async def contacts(caller: Principal = Depends(
            require_scopes(validator, "Contacts.Read"))) -> Any:
        return {}

    @app.delete("/v1.0/me/messages")
    async def purge(caller: Principal = Depends(require_user_roles(validator, "Mail.Admin"))
                    ) -> Any:
        return {"purged_by": caller.object_id}

    @app.get("/whoami")
    async def whoami(caller: Principal = Depends(require_token(validator, realm="other"))) -> Any:
        return {"tenant": caller.tenant_id}

    @app.get("/raise")
    async def manual() -> Any:
        raise TokenValidationError("Raised by the endpoint itself.")

    return app


def api_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://api.test")


@pytest.fixture
def api(authority: FakeAuthority) -> httpx.AsyncClient:
    return api_client(build_api(authority))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def challenge(error: str, description: str) -> str:
    return f'Bearer realm="{REALM}", error="{error}", error_description="{description}"'


async def test_app_only_caller_with_the_role(api: httpx.AsyncClient, keys: Any) -> None:
    response = await api.get("/v1.0/users/alice/messages",
                             headers=bearer(sign(keys.primary, app_claims())))
    assert response.status_code == 200
    assert response.json() == {"user": "alice", "app": app_claims()["azp"], "app_only": True}


async def test_delegated_caller_with_the_scope(api: httpx.AsyncClient, keys: Any) -> None:
    token = sign(keys.primary, user_claims())
    for path in ("/v1.0/users/alice/messages", "/v1.0/me/messages"):
        response = await api.get(path, headers=bearer(token))
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic YTpi"},
                                     {"Authorization": "Bearer"}, {"Authorization": "Bearer "}],
                         ids=["none", "basic", "bearer without token", "bearer empty"])
async def test_missing_token(api: httpx.AsyncClient, headers: dict[str, str]) -> None:
    response = await api.get("/v1.0/me/messages", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api://mail"'
    assert response.json() == {"error_description": "The request carries no bearer token."}


async def test_invalid_token(api: httpx.AsyncClient, keys: Any) -> None:
    token = sign(keys.stranger, app_claims(), kid=keys.primary.kid)
    response = await api.get("/v1.0/users/alice/messages", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        'Bearer realm="api://mail", error="invalid_token", '
        'error_description="The token signature is invalid."')
    assert response.json() == {"error": "invalid_token",
                               "error_description": "The token signature is invalid."}


async def test_expired_token(api: httpx.AsyncClient, keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "exp": 1_700_000_000})
    response = await api.get("/v1.0/users/alice/messages", headers=bearer(token))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == challenge(
        "invalid_token", "The token expired at 2023-11-14T22:13:20Z.")


@pytest.mark.parametrize(("path", "claims", "description"), [
    ("/v1.0/users/alice/messages", app_claims(roles=("Calendars.Read",)),
     "The token lacks the application permission 'Mail.Read'."),
    ("/v1.0/users/alice/messages", user_claims(scp="User.Read"),
     "The token lacks the delegated permission 'Mail.Read'."),
    ("/v1.0/me/messages", app_claims(),
     "This operation requires a signed-in user; the token is app-only."),
    ("/v1.0/me/messages", user_claims(scp="User.Read"),
     "The token lacks the delegated permission 'Mail.Read'."),
    ("/v1.0/users/alice/sendMail", app_claims(),
     "The token lacks the application permission 'Mail.Send'."),
    ("/v1.0/me/contacts", user_claims(),
     "The token lacks the delegated permission 'Contacts.Read'."),
    ("/v1.0/users/alice/sendMail", {**user_claims(), "roles": ["Mail.Send"]},
     "This operation requires an app-only token; the token is for a signed-in user."),
    ("DELETE /v1.0/me/messages", {**user_claims(), "roles": ["Mail.Read"]},
     "The signed-in user lacks the app role 'Mail.Admin'."),
    ("DELETE /v1.0/me/messages", app_claims(roles=("Mail.Admin",)),
     "This operation requires a signed-in user; the token is app-only."),
], ids=["app without role", "user without scope", "app-only on /me", "/me without scope",
        "missing role", "missing scope", "user's own role for an app permission",
        "user without the app role", "app on a user-role route"])
async def test_insufficient_scope(api: httpx.AsyncClient, keys: Any, path: str,
                                  claims: dict[str, Any], description: str) -> None:
    method, _, path = path.rpartition(" ")
    method = method or ("POST" if path.endswith("sendMail") else "GET")
    response = await api.request(method, path, headers=bearer(sign(keys.primary, claims)))
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == challenge("insufficient_scope", description)
    assert response.json() == {"error": "insufficient_scope", "error_description": description}


async def test_user_with_the_app_role(api: httpx.AsyncClient, keys: Any) -> None:
    token = sign(keys.primary, {**user_claims(), "roles": ["Mail.Admin"]})
    response = await api.delete("/v1.0/me/messages", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == {"purged_by": user_claims()["oid"]}


async def test_realm_per_dependency(api: httpx.AsyncClient, keys: Any) -> None:
    response = await api.get("/whoami")
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="other"'
    response = await api.get("/whoami", headers=bearer(sign(keys.primary, app_claims())))
    assert response.json() == {"tenant": app_claims()["tid"]}


async def test_error_raised_by_the_endpoint(api: httpx.AsyncClient) -> None:
    response = await api.get("/raise")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == challenge(
        "invalid_token", "Raised by the endpoint itself.")


async def test_authority_down_is_503_not_401(authority: FakeAuthority, keys: Any) -> None:
    authority.failing = True
    api = api_client(build_api(authority))
    response = await api.get("/v1.0/me/messages", headers=bearer(sign(keys.primary,
                                                                      user_claims())))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "WWW-Authenticate" not in response.headers
    assert response.json() == {
        "error": "temporarily_unavailable",
        "error_description": "The API cannot validate tokens right now; try again later."}


async def test_without_the_handlers_status_and_challenge_are_still_right(
        authority: FakeAuthority, keys: Any) -> None:
    api = api_client(build_api(authority, handlers=False))
    response = await api.get("/v1.0/me/messages", headers=bearer(sign(keys.primary,
                                                                      app_claims())))
    description = "This operation requires a signed-in user; the token is app-only."
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == challenge("insufficient_scope", description)
    assert response.json() == {"detail": description}


def test_openapi_declares_the_bearer_scheme(authority: FakeAuthority) -> None:
    schema = build_api(authority).openapi()
    assert schema["components"]["securitySchemes"]["CredoBearer"] == {
        "type": "http", "scheme": "bearer",
        "description": "An access token from Credo or Entra ID (RFC 6750 §2.1)."}
