"""Regression tests for the attacks that got through ``credo.resource`` (issue 14).

1. a 5,000-digit number in an unsigned payload made every framework answer 500;
2. a signed ``exp``/``nbf``/``iat`` of 10^400 raised ``OverflowError``;
3. (concurrent refetches: ``test_resource_flood.py``);
4. a signed-in user's token without ``scp`` (an ID token) was taken for an app;
5. Starlette's ``role:`` scope, documented as app-only, let a user's own app role through.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from resource_fakes import (
    DROP,
    MAIL_API_ID,
    NOW,
    TENANT_ID,
    USER_OID,
    FakeAuthority,
    app_claims,
    issuer,
    sign,
    user_claims,
)
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from credo import jose
from credo.errors import TokenValidationError
from credo.model import User
from credo.protocol.id_token import Subject, id_token_claims
from credo.resource import Principal
from credo.resource.asgi import CredoAuthBackend
from credo.resource.fastapi import install_error_handlers, require_any, require_token

HUGE = "9" * 5000


def unsigned(header: str, payload: str) -> str:
    """A compact JWS from raw JSON text (``json.dumps`` cannot write a 5,000-digit int)."""
    def segment(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()
    return f"{segment(header)}.{segment(payload)}.{jose.b64url_encode(b'x' * 256)}"


def fastapi_app(authority: FakeAuthority) -> FastAPI:
    validator = authority.validator()
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/whoami")
    async def whoami(caller: Principal = Depends(require_token(validator))) -> Any:
        return {"app_only": caller.is_app_only}

    @app.get("/users/{user}/messages")
    async def messages(user: str, caller: Principal = Depends(
            require_any(validator, roles=["Mail.Read"], scopes=["Mail.Read"]))) -> Any:
        return {"user": user}

    return app


@requires("role:Mail.Read")
async def starlette_messages(request: Request) -> JSONResponse:
    return JSONResponse({"scopes": request.auth.scopes})


async def scopes(request: Request) -> JSONResponse:
    return JSONResponse({"scopes": request.auth.scopes})


def starlette_app(authority: FakeAuthority) -> Starlette:
    backend = CredoAuthBackend(authority.validator())
    return Starlette(routes=[Route("/messages", starlette_messages), Route("/whoami", scopes)],
                     middleware=[Middleware(AuthenticationMiddleware, backend=backend,
                                            on_error=backend.on_error)])


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                             base_url="https://api.test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_401(response: httpx.Response, description: str) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"error": "invalid_token", "error_description": description}
    assert response.headers["WWW-Authenticate"].endswith(
        f'error="invalid_token", error_description="{description}"')


# --- 1. a 5,000-digit number -----------------------------------------------------------------

HUGE_TOKENS = {
    "payload": unsigned('{"alg":"RS256","kid":"k"}', f'{{"exp":{HUGE},"ver":"2.0"}}'),
    "header": unsigned(f'{{"alg":"RS256","kid":"k","x":{HUGE}}}', '{"ver":"2.0"}'),
}
HUGE_DESCRIPTIONS = {
    "payload": "The token is not a compact JWS: the payload is not base64url-encoded JSON.",
    "header": "The token is not a compact JWS: the header is not base64url-encoded JSON.",
}


@pytest.mark.parametrize("where", sorted(HUGE_TOKENS))
async def test_a_5000_digit_number_is_invalid_token(authority: FakeAuthority,
                                                    where: str) -> None:
    with pytest.raises(TokenValidationError) as caught:
        await authority.validator().validate(HUGE_TOKENS[where])
    assert caught.value.description == HUGE_DESCRIPTIONS[where]
    assert authority.requests == []  # refused before any fetch


@pytest.mark.parametrize("where", sorted(HUGE_TOKENS))
async def test_a_5000_digit_number_is_401_in_every_framework(authority: FakeAuthority,
                                                             where: str) -> None:
    token, description = HUGE_TOKENS[where], HUGE_DESCRIPTIONS[where]
    assert_401(await client(fastapi_app(authority)).get("/whoami", headers=bearer(token)),
               description)
    assert_401(await client(starlette_app(authority)).get("/whoami", headers=bearer(token)),
               description)


# --- 2. a signed time claim of 10^400 --------------------------------------------------------

@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
async def test_a_signed_time_claim_of_10_pow_400_is_invalid_token(
        authority: FakeAuthority, keys: Any, claim: str) -> None:
    token = sign(keys.primary, {**app_claims(), claim: 10**400})
    with pytest.raises(TokenValidationError) as caught:
        authority.validator().validate_sync(token)
    assert caught.value.description == f"The token claim '{claim}' is not a NumericDate."


# --- 4. a user is never taken for an app -----------------------------------------------------

def entra_openid_id_token() -> dict[str, Any]:
    """An Entra v2 ID token requested with ``openid`` only, by the API's own app registration:
    the user's ``roles``, a pairwise ``sub``; no ``scp``, ``idtyp``, ``oid`` or ``azp``."""
    return {"aud": MAIL_API_ID, "iss": issuer("2.0"), "iat": int(NOW) - 300,
            "nbf": int(NOW) - 300, "exp": int(NOW) + 3600, "aio": "AWQAm/8",
            "roles": ["Mail.Read"], "rh": "0.AR8A", "sub": "pairwise-subject-of-alice",
            "tid": TENANT_ID, "uti": "AAAAAAAAAAAAAAAAAAAAAA", "ver": "2.0"}


def credo_id_token(nonce: str | None) -> dict[str, Any]:
    """Credo's own v2 ID token for the API's app registration (``credo.protocol.id_token``)."""
    user = User(id=USER_OID, tenant_id=TENANT_ID, user_principal_name="alice@contoso.example",
                display_name="Alice Example")
    return id_token_claims(version=2, issuer=issuer("2.0"), client_id=MAIL_API_ID,
                           subject=Subject(user, "pairwise-subject-of-alice", NOW - 60, "sid"),
                           oidc=["openid"], nonce=nonce, now=NOW, uti="uti")


NAMES_NO_CLIENT = ("The token is an ID token (it names no client: no 'azp' or 'appid'), not "
                   "an access token.")
NOT_AN_APP = {
    "entra ID token, openid only": (entra_openid_id_token(), NAMES_NO_CLIENT),
    "entra ID token with the user's claims": (
        {**entra_openid_id_token(), "oid": USER_OID, "name": "Mallory",
         "preferred_username": "mallory@contoso.example", "roles": ["Mail.Admin"]},
        NAMES_NO_CLIENT),
    "entra v1 ID token with the user's claims": (
        {**entra_openid_id_token(), "iss": issuer("1.0"), "ver": "1.0", "oid": USER_OID,
         "upn": "mallory@contoso.example", "unique_name": "mallory@contoso.example",
         "roles": ["Mail.Admin"]}, NAMES_NO_CLIENT),
    "credo ID token": (credo_id_token(None), NAMES_NO_CLIENT),
    "ID token naming its client as azp": (
        {**credo_id_token(None), "azp": MAIL_API_ID},
        "The token is an ID token (no 'scp' or 'roles', and its audience is the client "
        "itself), not an access token."),
    "credo ID token with nonce": (
        credo_id_token("n-0S6_WzA2Mj"),
        "The token is an ID token (it has a 'nonce' claim), not an access token."),
}


@pytest.mark.parametrize("name", sorted(NOT_AN_APP))
async def test_an_id_token_is_refused_where_an_access_token_is_expected(
        authority: FakeAuthority, keys: Any, name: str) -> None:
    claims, description = NOT_AN_APP[name]
    token = sign(keys.primary, claims)
    api = client(fastapi_app(authority))
    assert_401(await api.get("/whoami", headers=bearer(token)), description)
    assert_401(await api.get("/users/bob/messages", headers=bearer(token)), description)
    assert_401(await client(starlette_app(authority)).get("/whoami", headers=bearer(token)),
               description)


async def test_a_user_token_without_scp_is_a_user(authority: FakeAuthority, keys: Any) -> None:
    """A delegated token with the user's own app role and no ``scp``, ``idtyp`` absent."""
    claims = {**user_claims(), "scp": DROP, "idtyp": DROP, "roles": ["Mail.Read"]}
    principal = await authority.validator().validate(sign(keys.primary, claims))
    assert not principal.is_app_only
    response = await client(fastapi_app(authority)).get("/users/bob/messages",
                                                        headers=bearer(sign(keys.primary,
                                                                            claims)))
    assert response.status_code == 403
    assert response.json() == {"error": "insufficient_scope", "error_description":
                               "The token lacks the delegated permission 'Mail.Read'."}


# --- 5. Starlette's role: is for app-only callers --------------------------------------------

async def test_a_users_own_app_role_does_not_pass_role_requirements(authority: FakeAuthority,
                                                                    keys: Any) -> None:
    token = sign(keys.primary, {**user_claims(), "roles": ["Mail.Read"]})
    api = client(starlette_app(authority))
    assert (await api.get("/whoami", headers=bearer(token))).json() == {"scopes": [
        "authenticated", "scp:Mail.Read", "scp:User.Read", "user_role:Mail.Read"]}
    assert (await api.get("/messages", headers=bearer(token))).status_code == 403
    app_token = sign(keys.primary, app_claims())
    assert (await api.get("/messages", headers=bearer(app_token))).status_code == 200
