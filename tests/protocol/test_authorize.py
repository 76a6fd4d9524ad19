"""Authorization requests (RFC 6749 §4.1.1, §4.2.1; OIDC Core §3.1.2.1): the two phases."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo.errors import (
    InvalidRequest,
    InvalidScope,
    OAuthError,
    UnsupportedResponseType,
)
from credo.model import AppId, Application, ObjectId, TenantId
from credo.protocol.authorize import (
    client_and_redirect,
    delivery_mode,
    match_redirect,
    parse_request,
)
from credo.protocol.pkce import s256

CLIENT = "6e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
WEB = "https://app.example/callback"
NATIVE = "http://localhost:8400"
SPA = "https://spa.example/"
CHALLENGE = s256("v" * 43)
APP = Application(id=ObjectId("0b6e6a58-0c44-4c4e-9d55-5d2f1a3c1111"), app_id=AppId(CLIENT),
                  tenant_id=TenantId("3f0c1b5e-8d1a-4c52-9b7e-2a6d4e8f9a10"),
                  display_name="Client", web_redirect_uris=(WEB,),
                  public_client_redirect_uris=(NATIVE,), spa_redirect_uris=(SPA,))


def params(**extra: str) -> dict[str, str]:
    base = {"client_id": CLIENT, "redirect_uri": WEB, "response_type": "code",
            "scope": "api://mail/Mail.Read openid profile offline_access", "state": "s1",
            "nonce": "n1"}
    return {k: v for k, v in {**base, **extra}.items() if v}


def parse(app: Application = APP, version: Any = 2, **extra: str) -> Any:
    given = params(**extra)
    return parse_request(given, app, match_redirect(app, given.get("redirect_uri")), version)


def test_phase_one() -> None:
    assert client_and_redirect(params()) == (CLIENT, WEB)
    assert client_and_redirect({"client_id": CLIENT.upper()}) == (CLIENT, None)
    assert match_redirect(APP, WEB) == (WEB, "web")
    assert match_redirect(APP, NATIVE) == (NATIVE, "publicClient")
    assert match_redirect(APP, SPA) == (SPA, "spa")
    only = replace(APP, public_client_redirect_uris=(), spa_redirect_uris=())
    assert match_redirect(only, None) == (WEB, "web")


@pytest.mark.parametrize(("given", "code"), [
    ({}, 900144), ({"client_id": "not-a-guid"}, 700038)], ids=["missing", "not-guid"])
def test_phase_one_client_refusals(given: dict[str, str], code: int) -> None:
    with pytest.raises(InvalidRequest) as info:
        client_and_redirect(given)
    assert info.value.code == code


@pytest.mark.parametrize(("uri", "code"), [
    ("https://app.example/callback/", 50011),      # exact match: no trailing-slash leniency
    ("https://APP.example/callback", 50011),
    ("https://app.example/callback?x=1", 50011),
    ("http://localhost:8401", 50011),             # no port leniency either
    (None, 900144),                               # several registered: must choose one
], ids=["slash", "case", "query", "port", "missing"])
def test_redirect_uri_must_match_exactly(uri: str | None, code: int) -> None:
    with pytest.raises(InvalidRequest) as info:
        match_redirect(APP, uri)
    assert info.value.code == code


def test_no_redirect_uri_registered() -> None:
    bare = replace(APP, web_redirect_uris=(), public_client_redirect_uris=(),
                   spa_redirect_uris=())
    with pytest.raises(InvalidRequest) as info:
        match_redirect(bare, None)
    assert info.value.code == 500113


def test_code_request() -> None:
    req = parse()
    assert (req.response_types, req.response_mode, req.state, req.nonce, req.code_challenge,
            req.redirect_kind) == (frozenset({"code"}), "query", "s1", "n1", None, "web")
    assert req.scopes.resource == "api://mail" and req.scopes.values == ("Mail.Read",)
    pkce = parse(code_challenge=CHALLENGE, code_challenge_method="S256",
                 response_mode="form_post", prompt="consent", max_age="0", client_info="1")
    assert (pkce.code_challenge, pkce.response_mode, pkce.prompt, pkce.max_age,
            pkce.client_info) == (CHALLENGE, "form_post", frozenset({"consent"}), 0, True)


def test_public_redirect_requires_pkce() -> None:
    with pytest.raises(InvalidRequest) as info:
        parse(redirect_uri=NATIVE)
    assert info.value.code == 9002325
    assert parse(redirect_uri=NATIVE, code_challenge=CHALLENGE,
                 code_challenge_method="S256").redirect_kind == "publicClient"
    with pytest.raises(InvalidRequest):
        parse(redirect_uri=SPA, code_challenge=CHALLENGE, code_challenge_method="plain")


def test_v1_resource() -> None:
    req = parse(version=1, scope="openid", resource="api://mail")
    assert (req.scopes.resource, req.scopes.default, req.scopes.oidc) == (
        "api://mail", True, ("openid", "offline_access"))


IMPLICIT = replace(APP, oauth2_allow_implicit_flow=True,
                   oauth2_allow_id_token_implicit_flow=True)


@pytest.mark.parametrize("types", ["token", "id_token", "id_token token", "token id_token",
                                   "code id_token"])
def test_implicit_and_hybrid_when_allowed(types: str) -> None:
    req = parse(IMPLICIT, response_type=types)
    assert req.response_types == frozenset(types.split())
    assert req.response_mode == "fragment"


@pytest.mark.parametrize(("types", "code"), [
    ("token", 700051), ("id_token token", 700051), ("id_token", 700054),
    ("code id_token", 700054)])
def test_implicit_not_enabled(types: str, code: int) -> None:
    with pytest.raises(UnsupportedResponseType) as info:
        parse(response_type=types)
    assert (info.value.error, info.value.code) == ("unsupported_response_type", code)
    assert delivery_mode(params(response_type=types)) == "fragment"


@pytest.mark.parametrize(("extra", "error", "code"), [
    ({"response_type": ""}, InvalidRequest, 900144),
    ({"response_type": "code token"}, UnsupportedResponseType, 70018),
    ({"response_type": "none"}, UnsupportedResponseType, 70018),
    ({"response_mode": "web_message"}, InvalidRequest, 90100),
    ({"scope": ""}, InvalidRequest, 900144),
    ({"scope": "User.Read"}, InvalidScope, 70011),
    ({"prompt": "none login"}, InvalidRequest, 90100),
    ({"prompt": "bogus"}, InvalidRequest, 90100),
    ({"max_age": "-1"}, InvalidRequest, 90100),
    ({"code_challenge": CHALLENGE, "code_challenge_method": "plain"}, InvalidRequest, 501491),
], ids=["no-type", "code-token", "none", "mode", "no-scope", "bare-scope", "prompt-none-login",
        "prompt-unknown", "max-age", "plain"])
def test_refusals(extra: dict[str, str], error: type[OAuthError], code: int) -> None:
    with pytest.raises(error) as info:
        parse(**extra)
    assert info.value.code == code


def test_tokens_never_in_the_query() -> None:
    with pytest.raises(InvalidRequest) as info:
        parse(IMPLICIT, response_type="id_token", response_mode="query")
    assert info.value.code == 700052


def test_id_token_needs_openid_and_nonce() -> None:
    with pytest.raises(InvalidScope):
        parse(IMPLICIT, response_type="id_token", scope="api://mail/Mail.Read")
    with pytest.raises(InvalidRequest) as info:
        parse(IMPLICIT, response_type="id_token", nonce="")
    assert info.value.code == 900144


_WORDS = st.sampled_from(["code", "token", "id_token", "none", "query", "fragment", "form_post",
                          "openid", "api://mail/Mail.Read", "S256", "plain", "login", "consent",
                          CHALLENGE, "", "0", "x"])


@given(st.dictionaries(st.sampled_from(["response_type", "response_mode", "scope", "nonce",
                                        "code_challenge", "code_challenge_method", "prompt",
                                        "max_age", "state", "redirect_uri"]),
                       st.lists(_WORDS, max_size=3).map(" ".join)))
def test_parser_raises_only_oauth_errors(extra: dict[str, str]) -> None:
    given_params = {**params(), **extra}
    try:
        redirect = match_redirect(IMPLICIT, given_params.get("redirect_uri") or None)
        req = parse_request(given_params, IMPLICIT, redirect, 2)
    except OAuthError:
        return
    assert req.response_types in {frozenset(t.split()) for t in (
        "code", "token", "id_token", "id_token token", "code id_token")}
    assert not (req.response_mode == "query" and req.response_types & {"token", "id_token"})
    assert ("code" not in req.response_types or req.redirect_kind == "web"
            or req.code_challenge is not None)
