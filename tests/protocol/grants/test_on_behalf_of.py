"""On-behalf-of's pure rules: the request, then the assertion's signature, issuer, audience,
user and times, in that order; the scopes of the downstream request."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import jose
from credo.errors import InvalidGrant, InvalidRequest, OAuthError, UnsupportedGrantType
from credo.jose import CompactJWS
from credo.model import Application, ObjectId
from credo.protocol.forms import parse_token_request
from credo.protocol.grants.on_behalf_of import GRANT_TYPE, check, parse

from ..factory import APP_ID, BASE, NOW, TENANT, TID, body

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
MIDDLE = Application(ObjectId("obj-mid"), APP_ID, TID, "Middle API",
                     identifier_uris=("api://middle.contoso.example",))
USER = "0c6a1f9b-2e3d-4c5b-8a79-6d5e4f3a2b1c"


def user_token(*, key: rsa.RSAPrivateKey = KEY, kid: str = "k1", alg: jose.Alg = "RS256",
               **changes: Any) -> str:
    claims: dict[str, Any] = {"aud": APP_ID, "iss": f"{BASE}/{TID}/v2.0", "iat": NOW - 300,
                              "nbf": NOW - 300, "exp": NOW + 3300, "azp": str(uuid.uuid4()),
                              "idtyp": "user", "oid": USER, "scp": "access_as_user",
                              "sid": "sid-1", "tid": TID, "ver": "2.0"}
    claims.update(changes)
    return jose.sign(alg, key, {"typ": "JWT", "kid": kid},
                     {k: v for k, v in claims.items() if v is not None})


def request(assertion: str | None, **extra: str) -> Any:
    form = {"grant_type": GRANT_TYPE, "requested_token_use": "on_behalf_of",
            "scope": "api://mail/Mail.Read offline_access", "client_id": APP_ID, **extra}
    if assertion is not None:
        form["assertion"] = assertion
    return parse_token_request(body(**{k: v for k, v in form.items() if v}), authorization=None,
                               query="")


def checked(token: str, *, key: rsa.RSAPublicKey | None = KEY.public_key(), version: int = 2,
            now: float = NOW, **extra: str) -> Any:
    req = request(token, **extra)
    jws: CompactJWS = parse(req)
    return check(jws=jws, key=key, tenant=TENANT, base=BASE, client=MIDDLE, req=req,
                 version=version, now=now)


def refused(token: str, **kw: Any) -> OAuthError:
    with pytest.raises(OAuthError) as info:
        checked(token, **kw)
    return info.value


def test_a_users_token_for_the_middle_tier() -> None:
    result = checked(user_token())
    assert (result.user_id, result.session_id, result.issued) == (USER, "sid-1", NOW)
    assert (result.scopes.resource, result.scopes.values, result.scopes.oidc) == (
        "api://mail", ("Mail.Read",), ("offline_access",))
    v1 = checked(user_token(aud="API://Middle.Contoso.Example/", iss=f"{BASE}/{TID}/",
                            ver="1.0"), version=1, scope="", resource="api://mail")
    assert (v1.scopes.resource, v1.scopes.default) == ("api://mail", True)


@pytest.mark.parametrize(("form", "error", "code", "message"), [
    ({"requested_token_use": ""}, InvalidRequest, 900144,
     "The request body must contain the following parameter: 'requested_token_use'."),
    ({"requested_token_use": "exchange"}, UnsupportedGrantType, 70003,
     "The app requested an unsupported grant type 'urn:ietf:params:oauth:grant-type:jwt-bearer' "
     "with requested_token_use 'exchange'; only 'on_behalf_of' is supported."),
    ({"assertion": ""}, InvalidRequest, 900144,
     "The request body must contain the following parameter: 'assertion'."),
    ({"assertion": "a.b"}, InvalidGrant, 50027,
     "JWT token is invalid or malformed. It is not a compact JWS."),
    ({"assertion": "x" * 20000}, InvalidGrant, 50027,
     "JWT token is invalid or malformed. It is larger than 16384 bytes."),
    ({"assertion": user_token(alg="PS256")}, InvalidGrant, 50027,
     "JWT token is invalid or malformed. It must be signed with RS256 and name its key "
     "('kid')."),
])
def test_the_request(form: dict[str, str], error: type[OAuthError], code: int,
                     message: str) -> None:
    assertion = form.pop("assertion", user_token())
    req = request(assertion or None, **form)
    with pytest.raises(OAuthError) as info:
        parse(req)
    assert (type(info.value), info.value.code, info.value.description) == (error, code, message)


def test_signature_issuer_audience_user_times_in_that_order() -> None:
    assert (refused(user_token(), key=None).description ==
            "Assertion failed signature validation. [Reason - The key was not found.]")
    forged = refused(user_token(key=OTHER, aud="someone", idtyp="app"))
    assert (forged.code, forged.description) == (
        50013, "Assertion failed signature validation. [Reason - Key was found, but use of the "
        "key to verify the signature failed.]")
    other_tenant = f"{BASE}/{uuid.uuid4()}/v2.0"
    foreign = refused(user_token(iss=other_tenant, aud="someone"))
    assert (foreign.code, foreign.description) == (
        50013, f"Assertion is invalid: its issuer '{other_tenant}' is not this tenant's. An "
        "on-behalf-of assertion must be an access token issued by the tenant the request is "
        "sent to.")
    assert refused(user_token(tid=str(uuid.uuid4()))).code == 50013
    elsewhere = refused(user_token(aud="00000002-0000-0000-c000-000000000000", idtyp="app"))
    assert (elsewhere.code, elsewhere.status, elsewhere.description) == (
        50013, 400, "Assertion audience does not match the Client app presenting the assertion. "
        "The audience in the assertion was '00000002-0000-0000-c000-000000000000' and the "
        f"expected audience is '{APP_ID}' or one of the Application Uris of this application "
        f"with App ID '{APP_ID}'(Middle API). The downstream client must request a token for "
        "the expected audience (the application that made the OBO request) and this "
        "application should use that token as the assertion.")
    app_only = refused(user_token(idtyp="app", oid=str(uuid.uuid4()), exp=NOW - 1000))
    assert (app_only.code, app_only.description) == (
        50013, "Assertion is not a user's access token (its 'idtyp' is 'app'): on-behalf-of "
        "exchanges the access token a signed-in user's client got for this API.")
    assert refused(user_token(idtyp=None)).description.startswith(
        "Assertion is not a user's access token (its 'idtyp' is 'None')")
    expired = refused(user_token(exp=NOW - 301))
    assert (expired.code, expired.description) == (
        500133, "Assertion is not within its valid time range. Ensure that the access token is "
        "not expired before using it for user assertion, or request a new token. Current time: "
        "01/15/2027 08:00:00, expiry time of assertion 01/15/2027 07:54:59.")
    assert checked(user_token(exp=NOW - 299)).user_id == USER  # within Entra's leeway


def test_scopes_are_parsed_as_a_delegated_request() -> None:
    missing = refused(user_token(), scope="")
    assert missing.code == 900144
    two = refused(user_token(), scope="api://mail/Mail.Read api://files/Files.Read")
    assert two.code == 28000
    assert checked(user_token(), scope="api://mail/.default openid").scopes.default
