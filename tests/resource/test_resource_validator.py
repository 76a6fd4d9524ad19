"""``TokenValidator`` against a fake Credo authority: what it accepts, and every rejection.

Each rejection asserts the exact ``error_description`` (RFC 6750 §3.1 ``invalid_token``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from resource_fakes import (
    DAEMON_ID,
    DAEMON_SP,
    DOMAIN,
    DROP,
    HOST,
    MAIL_API_ID,
    MAIL_API_URI,
    NOW,
    OTHER_ID,
    TENANT_ID,
    USER_OID,
    FakeAuthority,
    app_claims,
    issuer,
    raw_token,
    sign,
    user_claims,
)

from credo import jose
from credo.errors import TokenValidationError
from credo.resource import Principal, TokenValidator


async def rejected(validator: TokenValidator, token: str) -> str:
    with pytest.raises(TokenValidationError) as caught:
        await validator.validate(token)
    assert type(caught.value) is TokenValidationError
    assert caught.value.error == "invalid_token" and caught.value.status == 401
    return caught.value.description


# --- accepted -------------------------------------------------------------------------------

async def test_v2_app_only_token(authority: FakeAuthority, keys: Any) -> None:
    principal = await authority.validator().validate(sign(keys.primary, app_claims("2.0")))
    assert principal == Principal(
        tenant_id=TENANT_ID, app_id=DAEMON_ID, object_id=DAEMON_SP, subject=DAEMON_SP,
        roles=frozenset({"Mail.Read"}), scopes=frozenset(), is_app_only=True, version="2.0",
        claims=app_claims("2.0"))
    assert authority.requests == [f"/{DOMAIN}/v2.0/.well-known/openid-configuration",
                                  f"/{TENANT_ID}/discovery/v2.0/keys"]


async def test_v1_app_only_token_is_checked_against_the_v1_document(
        authority: FakeAuthority, keys: Any) -> None:
    claims = app_claims("1.0")
    assert claims["iss"] == f"{HOST}/{TENANT_ID}/" and claims["aud"] == MAIL_API_URI
    principal = await authority.validator().validate(sign(keys.primary, claims,
                                                          x5t=keys.primary.kid))
    assert (principal.version, principal.app_id, principal.is_app_only) == (
        "1.0", DAEMON_ID, True)
    assert authority.requests == [f"/{DOMAIN}/.well-known/openid-configuration",
                                  f"/{TENANT_ID}/discovery/keys"]


@pytest.mark.parametrize("version", ["1.0", "2.0"])
async def test_delegated_token(authority: FakeAuthority, keys: Any, version: str) -> None:
    principal = await authority.validator().validate(sign(keys.primary, user_claims(version)))
    assert not principal.is_app_only
    assert principal.scopes == frozenset({"Mail.Read", "User.Read"})
    assert principal.roles == frozenset()
    assert (principal.object_id, principal.name) == (USER_OID, "Alice Example")
    user = principal.preferred_username if version == "2.0" else principal.upn
    assert user == "alice@contoso.example"


async def test_cache_is_warm_after_the_first_token(authority: FakeAuthority,
                                                   keys: Any) -> None:
    validator = authority.validator()
    for _ in range(5):
        await validator.validate(sign(keys.primary, app_claims()))
    assert len(authority.requests) == 2


async def test_warm_up_fetches_both_documents_and_key_sets(authority: FakeAuthority) -> None:
    await authority.validator().warm_up()
    assert sorted(authority.requests) == sorted([
        f"/{DOMAIN}/.well-known/openid-configuration", f"/{TENANT_ID}/discovery/keys",
        f"/{DOMAIN}/v2.0/.well-known/openid-configuration",
        f"/{TENANT_ID}/discovery/v2.0/keys"])


def test_validate_sync_runs_the_same_pipeline(authority: FakeAuthority, keys: Any) -> None:
    validator = authority.validator()
    assert validator.validate_sync(sign(keys.primary, app_claims())).tenant_id == TENANT_ID
    with pytest.raises(TokenValidationError, match=r"The token signature is invalid\."):
        validator.validate_sync(sign(keys.stranger, app_claims(), kid=keys.primary.kid))


async def test_ps256_when_configured(authority: FakeAuthority, keys: Any) -> None:
    validator = authority.validator(algorithms=["RS256", "PS256"])
    principal = await validator.validate(sign(keys.primary, app_claims(), alg="PS256"))
    assert principal.app_id == DAEMON_ID


async def test_discovery_url_instead_of_authority(authority: FakeAuthority, keys: Any) -> None:
    validator = authority.validator(f"{HOST}/{TENANT_ID}/v2.0/.well-known/openid-configuration")
    assert (await validator.validate(sign(keys.primary, app_claims()))).version == "2.0"
    assert await rejected(validator, sign(keys.primary, app_claims("1.0"))) == (
        f"The token issuer '{HOST}/{TENANT_ID}/' is not the expected issuer "
        f"'{HOST}/{TENANT_ID}/v2.0'.")


async def test_audience_array_with_one_accepted_value(authority: FakeAuthority,
                                                      keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "aud": ["api://other", MAIL_API_ID]})
    assert (await authority.validator().validate(token)).tenant_id == TENANT_ID


@pytest.mark.parametrize(("claim", "offset"), [("exp", -59), ("nbf", 59), ("iat", 59)])
async def test_leeway_absorbs_small_clock_skew(authority: FakeAuthority, keys: Any,
                                               claim: str, offset: int) -> None:
    token = sign(keys.primary, {**app_claims(), claim: int(NOW) + offset})
    assert (await authority.validator().validate(token)).tenant_id == TENANT_ID


# --- rejected -------------------------------------------------------------------------------

async def test_bad_signature(authority: FakeAuthority, keys: Any) -> None:
    token = sign(keys.stranger, app_claims(), kid=keys.primary.kid)
    assert await rejected(authority.validator(), token) == "The token signature is invalid."


async def test_tampered_payload(authority: FakeAuthority, keys: Any) -> None:
    head, _, signature = sign(keys.primary, app_claims()).split(".")
    forged = jose.b64url_encode(json.dumps(app_claims(roles=("Mail.ReadWrite",))).encode())
    assert await rejected(authority.validator(), f"{head}.{forged}.{signature}") == (
        "The token signature is invalid.")


async def test_wrong_audience(authority: FakeAuthority, keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "aud": "api://payroll"})
    assert await rejected(authority.validator(), token) == (
        "The token audience 'api://payroll' is not accepted by this API.")


async def test_wrong_issuer(authority: FakeAuthority, keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "iss": f"https://evil.test/{TENANT_ID}/v2.0"})
    assert await rejected(authority.validator(), token) == (
        f"The token issuer 'https://evil.test/{TENANT_ID}/v2.0' is not the expected issuer "
        f"'{HOST}/{TENANT_ID}/v2.0'.")


async def test_v1_issuer_in_a_v2_token(authority: FakeAuthority, keys: Any) -> None:
    token = sign(keys.primary, {**app_claims("2.0"), "iss": issuer("1.0")})
    assert await rejected(authority.validator(), token) == (
        f"The token issuer '{HOST}/{TENANT_ID}/' is not the expected issuer "
        f"'{HOST}/{TENANT_ID}/v2.0'.")


async def test_token_from_another_tenant(authority: FakeAuthority, keys: Any) -> None:
    # Same authority and keys, another tenant's token: its iss and tid name that tenant.
    token = sign(keys.primary, app_claims(tenant=OTHER_ID))
    assert await rejected(authority.validator(), token) == (
        f"The token was issued by tenant '{OTHER_ID}', which this API does not accept.")


async def test_tid_does_not_match_the_issuer(authority: FakeAuthority, keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "tid": OTHER_ID})
    assert await rejected(authority.validator(), token) == (
        f"The token was issued by tenant '{OTHER_ID}', which this API does not accept.")


async def test_expired(authority: FakeAuthority, keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "exp": int(NOW) - 60})
    assert await rejected(authority.validator(), token) == (
        "The token expired at 2027-01-15T07:59:00Z.")


async def test_expired_without_leeway(authority: FakeAuthority, keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "exp": int(NOW)})
    assert await rejected(authority.validator(leeway=0), token) == (
        "The token expired at 2027-01-15T08:00:00Z.")


async def test_not_yet_valid(authority: FakeAuthority, keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "nbf": int(NOW) + 61})
    assert await rejected(authority.validator(), token) == (
        "The token is not valid before 2027-01-15T08:01:01Z.")


async def test_issued_in_the_future(authority: FakeAuthority, keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "iat": int(NOW) + 3600})
    assert await rejected(authority.validator(), token) == (
        "The token was issued in the future, at 2027-01-15T09:00:00Z.")


async def test_alg_none(authority: FakeAuthority) -> None:
    token = raw_token({"typ": "JWT", "alg": "none", "kid": "k"}, app_claims(), b"")
    assert token.endswith(".")
    assert await rejected(authority.validator(), token) == (
        "The token algorithm 'none' is not allowed; this API accepts RS256.")


async def test_hs256_signed_with_the_public_key(authority: FakeAuthority, keys: Any) -> None:
    """The classic key-confusion attack: HMAC keyed with the published RSA public key."""
    secret = keys.primary.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = {"typ": "JWT", "alg": "HS256", "kid": keys.primary.kid}
    unsigned = raw_token(header, app_claims(), b"x").rsplit(".", 1)[0]
    mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    token = f"{unsigned}.{jose.b64url_encode(mac)}"
    assert await rejected(authority.validator(), token) == (
        "The token algorithm 'HS256' is not allowed; this API accepts RS256.")
    assert authority.requests == []  # refused before any fetch


async def test_ps256_when_only_rs256_is_allowed(authority: FakeAuthority, keys: Any) -> None:
    token = sign(keys.primary, app_claims(), alg="PS256")
    assert await rejected(authority.validator(), token) == (
        "The token algorithm 'PS256' is not allowed; this API accepts RS256.")


async def test_key_published_for_another_algorithm(authority: FakeAuthority,
                                                   keys: Any) -> None:
    authority.publish(keys.primary, alg="PS256")
    token = sign(keys.primary, app_claims())
    assert await rejected(authority.validator(algorithms=["RS256", "PS256"]), token) == (
        f"The signing key '{keys.primary.kid}' is not for algorithm 'RS256'.")


@pytest.mark.parametrize(("token", "description"), [
    ("not-a-jwt", "The token is not a compact JWS: a JWS in compact serialization has three "
                  "parts."),
    ("a.b.c.d.e", "The token is not a compact JWS: a JWS in compact serialization has three "
                  "parts."),
    ("!!.e30.AAAA", "The token is not a compact JWS: the header is not base64url-encoded JSON."),
    ("W10.e30.AAAA", "The token is not a compact JWS: the header is not a JSON object."),
    ("x" * 40000, "The token is longer than 32768 characters."),
], ids=["one part", "five parts", "bad base64", "header array", "too long"])
async def test_malformed(authority: FakeAuthority, token: str, description: str) -> None:
    assert await rejected(authority.validator(), token) == description


@pytest.mark.parametrize(("header", "description"), [
    ({"kid": DROP}, "The token header has no 'kid'."),
    ({"crit": ["exp"]}, "The token header has a 'crit' parameter, which is not supported."),
], ids=["no kid", "crit"])
async def test_header_rejections(authority: FakeAuthority, keys: Any, header: dict[str, Any],
                                 description: str) -> None:
    token = sign(keys.primary, app_claims(), **header)
    assert await rejected(authority.validator(), token) == description


@pytest.mark.parametrize(("claims", "description"), [
    ({"ver": "3.0"}, "The token version '3.0' is not accepted; this API accepts 1.0, 2.0."),
    ({"ver": DROP}, "The token version 'missing' is not accepted; this API accepts 1.0, 2.0."),
    ({"tid": DROP}, "The token has no 'tid' claim."),
    ({"iss": DROP}, "The token has no 'iss' claim."),
    ({"aud": DROP}, "The token has no 'aud' claim."),
    ({"aud": []}, "The token has no 'aud' claim."),
    ({"exp": DROP}, "The token has no 'exp' claim."),
    ({"exp": "4102444800"}, "The token claim 'exp' is not a NumericDate."),
    ({"nbf": True}, "The token claim 'nbf' is not a NumericDate."),
    ({"roles": "Mail.Read"}, "The token claim 'roles' is not an array of strings."),
    ({"scp": ["Mail.Read"]}, "The token claim 'scp' is not a string."),
], ids=lambda v: repr(v) if isinstance(v, dict) else "")
async def test_claim_rejections(authority: FakeAuthority, keys: Any, claims: dict[str, Any],
                                description: str) -> None:
    token = sign(keys.primary, {**app_claims(), **claims})
    assert await rejected(authority.validator(), token) == description


async def test_version_not_accepted_by_this_api(authority: FakeAuthority, keys: Any) -> None:
    validator = authority.validator(versions=["2.0"])
    assert await rejected(validator, sign(keys.primary, app_claims("1.0"))) == (
        "The token version '1.0' is not accepted; this API accepts 2.0.")


async def test_required_claims(authority: FakeAuthority, keys: Any) -> None:
    validator = authority.validator(required_claims=["roles", "uti"])
    await validator.validate(sign(keys.primary, app_claims()))
    assert await rejected(validator, sign(keys.primary, {**app_claims(), "uti": DROP})) == (
        "The token has no 'uti' claim.")


async def test_descriptions_stay_in_the_rfc_6749_character_set(authority: FakeAuthority,
                                                               keys: Any) -> None:
    token = sign(keys.primary, {**app_claims(), "aud": 'api://"quoted"\\' + "é" * 200})
    description = await rejected(authority.validator(), token)
    assert description == ("The token audience 'api://?quoted??" + "?" * 62 + "...' is not "
                           "accepted by this API.")
