"""The authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6) and refresh token (RFC 6749 §6)
grants' checks, against stored codes and tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from credo.errors import InvalidClient, InvalidGrant, InvalidRequest, InvalidScope, OAuthError
from credo.model import (
    AppId,
    Application,
    AuthorizationCode,
    ObjectId,
    RefreshToken,
)
from credo.protocol.client_auth import AuthenticatedClient
from credo.protocol.forms import parse_token_request
from credo.protocol.grants import authorization_code, refresh_token
from credo.protocol.grants.authorization_code import presented
from credo.protocol.grants.refresh_token import requested_scopes
from credo.protocol.pkce import s256
from credo.service.grants import GRANTS, grant_for

from ..factory import NOW, NOW_DT, TENANT, TID

CLIENT = AppId("6e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b")
APP = Application(ObjectId("0b6e6a58-0c44-4c4e-9d55-5d2f1a3c1111"), CLIENT, TID, "Client")
USER = ObjectId("a1b2c3d4-0000-4000-8000-000000000001")
VERIFIER = "v" * 43
WEB = "https://app.example/cb"
CODE = AuthorizationCode(
    code_hash="h", tenant_id=TID, client_id=CLIENT, redirect_uri=WEB, redirect_kind="web",
    user_id=USER, scope="api://mail/Mail.Read openid offline_access", resource="api://mail",
    code_challenge=s256(VERIFIER), nonce="n", auth_time=NOW_DT, session_id="sid",
    family_id="f", version=2, created=NOW_DT, expires=NOW_DT + timedelta(seconds=600))
CONFIDENTIAL = AuthenticatedClient(application=APP, method="client_secret_post", acr="1")


def form(**fields: str) -> Any:
    body = "&".join(f"{k}={v}" for k, v in {"grant_type": "authorization_code", **fields}.items())
    return parse_token_request(body.encode(), authorization=None, query="")


def redeem(code: AuthorizationCode | None = CODE, client: AuthenticatedClient | None =
           CONFIDENTIAL, app: Application = APP, now: float = NOW, **fields: str) -> Any:
    fields = {"code": "x", "redirect_uri": WEB, "code_verifier": VERIFIER, **fields}
    return authorization_code.check(code=code,
                                    req=form(**{k: v for k, v in fields.items() if v}),
                                    client=client, app=app, tenant=TENANT, now=now)


def test_registry() -> None:
    code, refresh = (grant_for(GRANTS, name) for name in ("authorization_code", "refresh_token"))
    assert code.public_clients and refresh.public_clients  # type: ignore[attr-defined]
    assert not GRANTS["client_credentials"].public_clients  # type: ignore[attr-defined]


def test_confidential_redemption() -> None:
    assert redeem() is CODE
    assert redeem(replace(CODE, code_challenge=None), code_verifier="") is not None


def test_public_redemption() -> None:
    native = replace(CODE, redirect_kind="publicClient")
    assert redeem(native, client=None) is native
    fallback = replace(APP, is_fallback_public_client=True)
    assert redeem(CODE, client=None, app=fallback) is CODE


@pytest.mark.parametrize(("change", "error", "code"), [
    ({"code": None}, InvalidGrant, 70000),
    ({"code": replace(CODE, tenant_id="00000000-0000-4000-8000-000000000000")},
     InvalidGrant, 70000),
    ({"code": replace(CODE, client_id="00000000-0000-4000-8000-000000000000")},
     InvalidGrant, 70000),
    ({"code": replace(CODE, used=NOW_DT)}, InvalidGrant, 54005),
    ({"now": NOW + 600}, InvalidGrant, 70008),
    ({"redirect_uri": "https://app.example/cb/"}, InvalidGrant, 500117),
    ({"redirect_uri": ""}, InvalidGrant, 500117),
    ({"code_verifier": "w" * 43}, InvalidGrant, 501481),
    ({"code_verifier": ""}, InvalidGrant, 501481),
    ({"client": None}, InvalidClient, 7000218),
    ({"code": replace(CODE, redirect_kind="spa")}, InvalidClient, 700025),
    ({"code": replace(CODE, redirect_kind="spa", code_challenge=None), "client": None,
      "code_verifier": ""}, InvalidGrant, 9002325),
], ids=["unknown", "other-tenant", "other-client", "replayed", "expired", "redirect-slash",
        "redirect-missing", "verifier-mismatch", "verifier-missing", "confidential-no-auth",
        "public-with-secret", "public-without-pkce"])
def test_code_refusals(change: dict[str, Any], error: type[OAuthError], code: int) -> None:
    with pytest.raises(error) as info:
        redeem(**change)
    assert info.value.code == code


def test_code_parameter() -> None:
    with pytest.raises(InvalidRequest) as info:
        presented(form(), "code")
    assert info.value.code == 900144
    with pytest.raises(InvalidGrant):
        presented(form(code="x" * 5000), "code")


TOKEN = RefreshToken(token_hash="t", family_id="f", tenant_id=TID, client_id=CLIENT,
                     user_id=USER, scope="api://mail/Mail.Read openid offline_access",
                     public=False, auth_time=NOW_DT, session_id="sid", created=NOW_DT,
                     expires=NOW_DT + timedelta(days=90))


def refresh(token: RefreshToken | None = TOKEN, client: AuthenticatedClient | None =
            CONFIDENTIAL, now: float = NOW) -> RefreshToken:
    return refresh_token.check(token=token, client=client, app=APP, tenant=TENANT, now=now)


def test_refresh_checks() -> None:
    assert refresh() is TOKEN
    public = replace(TOKEN, public=True)
    assert refresh(public, client=None) is public


@pytest.mark.parametrize(("change", "error", "code"), [
    ({"token": None}, InvalidGrant, 9002313),
    ({"token": replace(TOKEN, client_id="00000000-0000-4000-8000-000000000000")},
     InvalidGrant, 9002313),
    ({"token": replace(TOKEN, used=NOW_DT)}, InvalidGrant, 50173),
    ({"token": replace(TOKEN, revoked=NOW_DT)}, InvalidGrant, 50173),
    ({"now": NOW + 91 * 86400}, InvalidGrant, 70008),
    ({"client": None}, InvalidClient, 7000218),
    ({"token": replace(TOKEN, public=True)}, InvalidClient, 700025),
], ids=["unknown", "other-client", "reused", "revoked", "expired", "confidential-no-auth",
        "public-with-secret"])
def test_refresh_refusals(change: dict[str, Any], error: type[OAuthError], code: int) -> None:
    with pytest.raises(error) as info:
        refresh(**change)
    assert info.value.code == code


def test_refresh_scopes() -> None:
    def asked(**fields: str) -> Any:
        req = form(grant_type="refresh_token", refresh_token="r", **fields)
        return requested_scopes(req, TOKEN, 2)
    same = asked()
    assert (same.resource, same.values, same.oidc) == ("api://mail", ("Mail.Read",),
                                                       ("openid", "offline_access"))
    other = asked(scope="api://files/Files.Read openid")
    assert (other.resource, other.values, other.oidc) == ("api://files", ("Files.Read",),
                                                          ("openid", "offline_access"))
    with pytest.raises(InvalidScope):
        asked(scope="api://mail/Mail.Read profile")
    v1 = requested_scopes(form(grant_type="refresh_token", resource="api://files"), TOKEN, 1)
    assert (v1.resource, v1.default) == ("api://files", True)
