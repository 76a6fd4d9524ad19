"""private_key_jwt: each rejection class, in validation order (RFC 7523 §3); real client shapes."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from credo.errors import InvalidClient, OAuthError
from credo.model import Profile
from credo.protocol import metadata
from credo.protocol.client_auth import AuthenticatedClient

from ..factory import APP_ID, BASE, NOW, NOW_DT, TID, V1_URL, V2_URL, Pki, b64url, seg, sign

ISSUER_V2 = metadata.issuer_v2(BASE, TID)
T0 = "2027-01-15T08:00:00.0000000Z"
EPOCH = "1970-01-01T00:00:00.0000000Z"
RANGE = "Client assertion is not within its valid time range."
BAD_JWT = ("Invalid JWT token. The client assertion is not a well-formed JWS in compact "
           "serialization.")
BAD_ALG = "Invalid JWT token. The 'alg' header parameter must be RS256 or PS256."
AUD = "Client assertion audience claim does not match Realm issuer."
JTI = "Invalid JWT token. The 'jti' claim must be a non-empty string of at most 256 characters."
Run = Callable[..., AuthenticatedClient]


def window(valid_from: str, expiry: str) -> str:
    return f"{RANGE} Current time: {T0}, assertion valid from {valid_from}, expiry time of " \
           f"assertion {expiry}."


LABELS = {"x5t": "x5t, SHA-1", "x5t#S256": "x5t#S256, SHA-256"}


def not_found(thumb_hex: str, header: str = "") -> str:
    """AADSTS700027 for an unknown thumbprint, labelled with the header that carried it."""
    label = LABELS[header or ("x5t" if len(thumb_hex) == 40 else "x5t#S256")]
    return ("Client assertion contains an invalid signature. [Reason - The key was not found., "
            f"Thumbprint of key used by client: '{thumb_hex}' ({label}), Please use the "
            f"management API to see the configured keys for app Id '{APP_ID}'.]")


def strict(p: Pki, **claims: Any) -> str:
    """A strict-profile assertion: PS256, aud = the v2 issuer."""
    return p.assertion(header=p.header(alg="PS256"), claims=p.claims(**{"aud": ISSUER_V2,
                                                                        **claims}))


def raw_header(header: str) -> Callable[[Pki], str]:
    return lambda p: f"{header}.{seg(p.claims())}.{b64url(b'x' * 256)}"


@dataclass(frozen=True)
class Reject:
    id: str
    build: Callable[[Pki], str]
    code: int
    description: str | Callable[[Pki], str]
    profile: Profile = "entra"
    client_id: str | None = APP_ID


REJECT = [
    # Step 1: compact JWS, header JSON object, alg allowlist, crit, typ.
    Reject("two-parts", lambda p: ".".join(p.assertion().split(".")[:2]), 50027, BAD_JWT),
    Reject("four-parts", lambda p: p.assertion() + ".x", 50027, BAD_JWT),
    Reject("header-not-json", raw_header(b64url(b"{not json")), 50027, BAD_JWT),
    Reject("header-array", raw_header(seg([{"alg": "RS256"}])), 50027, BAD_JWT),
    Reject("header-not-base64", raw_header("!!!"), 50027, BAD_JWT),
    Reject("claims-array", lambda p: f"{seg(p.header())}.{seg([1])}.{b64url(b'x')}", 50027,
           BAD_JWT),
    Reject("signature-not-base64", lambda p: p.assertion()[:-4] + "!!!!", 50027, BAD_JWT),
    Reject("oversized", lambda p: p.assertion(claims=p.claims(pad="x" * 17000)), 50027,
           "Invalid JWT token. The client assertion is larger than 16384 bytes."),
    Reject("alg-none-unsigned", lambda p: f"{seg(p.header(alg='none'))}.{seg(p.claims())}.",
           50027, BAD_JWT),
    Reject("alg-none", lambda p: p.assertion(header=p.header(alg="none")), 50027, BAD_ALG),
    Reject("alg-HS256", lambda p: sign(None, p.header(alg="HS256"), p.claims(), hmac_key=b"k"),
           50027, BAD_ALG),
    Reject("alg-HS256-public-key-pem-as-secret", lambda p: sign(
        None, p.header(alg="HS256"), p.claims(),
        hmac_key=p.a.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)),
        50027, BAD_ALG),
    Reject("alg-ES256", lambda p: p.assertion(header=p.header(alg="ES256")), 50027, BAD_ALG),
    Reject("alg-RS512", lambda p: p.assertion(header=p.header(alg="RS512")), 50027, BAD_ALG),
    Reject("alg-lowercase", lambda p: p.assertion(header=p.header(alg="rs256")), 50027, BAD_ALG),
    Reject("alg-missing", lambda p: p.assertion(header={"typ": "JWT", "x5t": p.a.x5t()}), 50027,
           BAD_ALG),
    Reject("crit", lambda p: p.assertion(header=p.header(crit=["exp"])), 50027,
           "Invalid JWT token. The 'crit' header parameter is not supported."),
    Reject("typ-at+jwt", lambda p: p.assertion(header=p.header(typ="at+jwt")), 50027,
           "Invalid JWT token. The 'typ' header parameter must be JWT or "
           "client-authentication+jwt."),
    Reject("typ-number", lambda p: p.assertion(header=p.header(typ=1)), 50027,
           "Invalid JWT token. The 'typ' header parameter must be JWT or "
           "client-authentication+jwt."),
    # Step 2: iss = sub = client_id.
    Reject("iss-not-sub", lambda p: p.assertion(claims=p.claims(sub="someone-else")), 50048,
           "Subject mismatches Issuer claim in the client assertion."),
    Reject("iss-missing", lambda p: p.assertion(claims={**p.claims(), "iss": None}), 50027,
           "Invalid JWT token. The 'iss' and 'sub' claims must be non-empty strings naming the "
           "client."),
    Reject("sub-number", lambda p: p.assertion(claims=p.claims(sub=5)), 50027,
           "Invalid JWT token. The 'iss' and 'sub' claims must be non-empty strings naming the "
           "client."),
    Reject("client-id-mismatch", lambda p: p.assertion(), 700021,
           "The client assertion's 'iss' claim does not match the 'client_id' parameter.",
           client_id="00000000-0000-4000-8000-000000000099"),
    # Step 4: choose the certificate by thumbprint only.
    Reject("no-thumbprint", lambda p: p.assertion(header=p.header(x5t=None)), 50027,
           "Invalid JWT token. No certificate thumbprint specified in token header."),
    Reject("kid-only", lambda p: p.assertion(header=p.header(x5t=None, kid=p.a.x5t())), 50027,
           "Invalid JWT token. No certificate thumbprint specified in token header."),
    Reject("x5t-not-string", lambda p: p.assertion(header=p.header(x5t=["a"])), 50027,
           "Invalid JWT token. The 'x5t' header parameter is not a base64url thumbprint."),
    Reject("x5t-not-base64url", lambda p: p.assertion(header=p.header(x5t="a+b/")), 50027,
           "Invalid JWT token. The 'x5t' header parameter is not a base64url thumbprint."),
    Reject("unknown-x5t", lambda p: p.assertion(header=p.header(x5t=p.b.x5t()), signer=p.b),
           700027, lambda p: not_found(p.b.sha1.hex().upper())),
    Reject("unknown-x5t#S256", lambda p: p.assertion(
        header=p.header(x5t=None, **{"x5t#S256": p.b.x5t_s256()}), signer=p.b),
        700027, lambda p: not_found(p.b.sha256.hex().upper())),
    Reject("sha256-value-in-x5t", lambda p: p.assertion(header=p.header(x5t=p.a.x5t_s256())),
           700027, lambda p: not_found(p.a.sha256.hex().upper(), "x5t")),
    Reject("jwk-and-x5c-do-not-supply-a-key", lambda p: p.assertion(header=p.header(
        x5t=p.b.x5t(), x5c=[base64.b64encode(p.b.der).decode()],
        jwk={"kty": "RSA", "n": "x", "e": "AQAB"}, jku="https://evil.example/jwks",
        x5u="https://evil.example/cert"), signer=p.b),
        700027, lambda p: not_found(p.b.sha1.hex().upper())),
    Reject("thumbprints-name-one-registered-one-unknown", lambda p: p.assertion(header=p.header(
        **{"x5t#S256": p.b.x5t_s256()})), 700027, lambda p: not_found(p.b.sha256.hex().upper())),
    # Step 5: the chosen key only.
    Reject("signed-by-other-key", lambda p: p.assertion(signer=p.b), 700027,
           lambda p: "Client assertion contains an invalid signature. [Reason - Key was found, "
           "but use of the key to verify the signature failed., Thumbprint of key used by "
           f"client: '{p.a.sha1.hex().upper()}' (SHA-1)]"),
    Reject("claims-altered", lambda p: (lambda t: f"{t[0]}.{seg(p.claims(jti='other'))}.{t[2]}")(
        p.assertion().split(".")), 700027,
        lambda p: "Client assertion contains an invalid signature. [Reason - Key was found, "
        "but use of the key to verify the signature failed., Thumbprint of key used by "
        f"client: '{p.a.sha1.hex().upper()}' (SHA-1)]"),
    Reject("RS256-in-strict", lambda p: p.assertion(claims=p.claims(aud=ISSUER_V2)), 50027,
           "Invalid JWT token. The 'RS256' algorithm is not allowed by this tenant's security "
           "profile; use PS256.", profile="strict"),
    # Step 6: aud.
    Reject("aud-wrong", lambda p: p.assertion(claims=p.claims(aud="https://evil.example/token")),
           700023, AUD),
    Reject("aud-other-tenant", lambda p: p.assertion(claims=p.claims(
        aud=f"{BASE}/other.example/oauth2/v2.0/token")), 700023, AUD),
    Reject("aud-missing", lambda p: p.assertion(claims=p.claims(aud=None)), 700023, AUD),
    Reject("aud-array-of-two", lambda p: p.assertion(claims=p.claims(aud=[V2_URL, V1_URL])),
           700023, AUD),
    Reject("aud-empty-array", lambda p: p.assertion(claims=p.claims(aud=[])), 700023, AUD),
    Reject("aud-array-of-one-strict", lambda p: p.assertion(
        header=p.header(alg="PS256"), claims=p.claims(aud=[ISSUER_V2])), 700023, AUD,
        profile="strict"),
    Reject("aud-token-url-strict", lambda p: p.assertion(header=p.header(alg="PS256")), 700023,
           AUD, profile="strict"),
    Reject("aud-case-strict", lambda p: strict(p, aud=ISSUER_V2.upper()), 700023, AUD,
           profile="strict"),
    # Step 6: exp, nbf, iat.
    Reject("exp-missing", lambda p: p.assertion(claims=p.claims(exp=None)), 50027,
           "Invalid JWT token. The 'exp' claim is required."),
    Reject("exp-string", lambda p: p.assertion(claims=p.claims(exp=str(NOW + 600))), 50027,
           "Invalid JWT token. The 'exp' claim must be a NumericDate."),
    Reject("exp-bool", lambda p: p.assertion(claims=p.claims(exp=True)), 50027,
           "Invalid JWT token. The 'exp' claim must be a NumericDate."),
    Reject("exp-nan", lambda p: p.assertion(claims=p.claims(exp=float("nan"))), 50027,
           "Invalid JWT token. The 'exp' claim must be a NumericDate."),
    Reject("exp-huge", lambda p: p.assertion(claims=p.claims(exp=1e300)), 50027,
           "Invalid JWT token. The 'exp' claim must be a NumericDate."),
    Reject("nbf-string", lambda p: p.assertion(claims=p.claims(nbf="now")), 50027,
           "Invalid JWT token. The 'nbf' claim must be a NumericDate."),
    Reject("iat-negative", lambda p: p.assertion(claims=p.claims(iat=-1)), 50027,
           "Invalid JWT token. The 'iat' claim must be a NumericDate."),
    Reject("exp-past-beyond-skew", lambda p: p.assertion(claims=p.claims(
        exp=NOW - 301, iat=NOW - 900)), 700024, window(EPOCH, "2027-01-15T07:54:59.0000000Z")),
    Reject("exp-past-beyond-skew-strict", lambda p: strict(p, exp=NOW - 61, iat=NOW - 300),
           700024, window(EPOCH, "2027-01-15T07:58:59.0000000Z"), profile="strict"),
    Reject("exp-before-iat", lambda p: p.assertion(claims=p.claims(exp=NOW - 10)), 700024,
           window(EPOCH, "2027-01-15T07:59:50.0000000Z")),
    Reject("nbf-future-beyond-skew", lambda p: p.assertion(claims=p.claims(
        nbf=NOW + 301, iat=None, exp=NOW + 900)), 700024,
        window("2027-01-15T08:05:01.0000000Z", "2027-01-15T08:15:00.0000000Z")),
    Reject("iat-future-beyond-skew", lambda p: p.assertion(claims=p.claims(
        iat=NOW + 301, exp=NOW + 900)), 700024, window(EPOCH, "2027-01-15T08:15:00.0000000Z")),
    Reject("nbf-11s-ahead-strict", lambda p: strict(p, nbf=NOW + 11, iat=None), 700024,
           window("2027-01-15T08:00:11.0000000Z", "2027-01-15T08:10:00.0000000Z"),
           profile="strict"),
    Reject("iat-61s-ahead-strict", lambda p: strict(p, iat=NOW + 61, exp=NOW + 300), 700024,
           window(EPOCH, "2027-01-15T08:05:00.0000000Z"), profile="strict"),
    Reject("lifetime-3601-entra", lambda p: p.assertion(claims=p.claims(exp=NOW + 3601)), 700024,
           f"{RANGE} Its lifetime of 3601 seconds exceeds the maximum of 3600 seconds."),
    Reject("lifetime-from-nbf", lambda p: p.assertion(claims=p.claims(
        iat=None, nbf=NOW - 100, exp=NOW + 3550)), 700024,
        f"{RANGE} Its lifetime of 3650 seconds exceeds the maximum of 3600 seconds."),
    Reject("lifetime-from-now", lambda p: p.assertion(claims=p.claims(iat=None, exp=NOW + 3700)),
           700024, f"{RANGE} Its lifetime of 3700 seconds exceeds the maximum of 3600 seconds."),
    Reject("lifetime-601-strict", lambda p: strict(p, exp=NOW + 601), 700024,
           f"{RANGE} Its lifetime of 601 seconds exceeds the maximum of 600 seconds.",
           profile="strict"),
    # Step 6: jti.
    Reject("jti-missing", lambda p: p.assertion(claims=p.claims(jti=None)), 50027, JTI),
    Reject("jti-empty", lambda p: p.assertion(claims=p.claims(jti="")), 50027, JTI),
    Reject("jti-257", lambda p: p.assertion(claims=p.claims(jti="j" * 257)), 50027, JTI),
    Reject("jti-number", lambda p: p.assertion(claims=p.claims(jti=12345)), 50027, JTI),
]


@pytest.mark.parametrize("case", REJECT, ids=[c.id for c in REJECT])
def test_rejections(case: Reject, pki: Pki, run: Run) -> None:
    with pytest.raises(OAuthError) as info:
        run(case.build(pki), case.profile, client_id=case.client_id)
    err = info.value
    expected = case.description if isinstance(case.description, str) else case.description(pki)
    assert (type(err), err.http_status, err.error, err.code, err.description) == (
        InvalidClient, 401, "invalid_client", case.code, expected)


def test_thumbprints_naming_different_registered_certificates(pki: Pki, run: Run) -> None:
    app = replace(pki.app, key_credentials=(pki.a.credential(), pki.b.credential(key_id="b")))
    header = pki.header(**{"x5t#S256": pki.b.x5t_s256()})
    with pytest.raises(InvalidClient) as info:
        run(pki.assertion(header=header), app=app)
    assert (info.value.code, info.value.description) == (
        700027, "Client assertion contains an invalid signature. [Reason - The 'x5t' and "
        "'x5t#S256' header parameters name different certificates.]")


@pytest.mark.parametrize("when", ["expired", "not-yet-valid"])
def test_credential_outside_validity(pki: Pki, run: Run, when: str) -> None:
    if when == "expired":
        cred = pki.a.credential(start=NOW_DT - timedelta(days=30), end=NOW_DT - timedelta(days=1))
    else:
        cred = pki.a.credential(start=NOW_DT + timedelta(days=1), end=NOW_DT + timedelta(days=30))
    with pytest.raises(InvalidClient) as info:
        run(pki.assertion(), app=replace(pki.app, key_credentials=(cred,)))
    assert (info.value.code, info.value.http_status, info.value.description) == (
        1000502, 401, f"The client certificate is not within its valid time range for app Id "
        f"'{APP_ID}'.")


def test_rotation_picks_the_valid_credential_of_the_same_certificate(pki: Pki, run: Run) -> None:
    old = pki.a.credential(start=NOW_DT - timedelta(days=60), end=NOW_DT - timedelta(days=1),
                           key_id="old")
    app = replace(pki.app, key_credentials=(old, pki.a.credential(key_id="new")))
    assert run(pki.assertion(), app=app).acr == "2"


def test_error_descriptions_are_rfc6749_safe(pki: Pki, run: Run) -> None:
    """RFC 6749 §5.2 character set holds even for attacker-chosen thumbprints."""
    with pytest.raises(InvalidClient) as info:
        run(pki.assertion(header=pki.header(x5t=b64url('"\\ü'.encode() * 3)), signer=pki.b))
    assert '"' not in info.value.description and "\\" not in info.value.description


def test_entra_keeps_no_replay_key(pki: Pki, run: Run) -> None:
    result = run(pki.assertion())
    assert (result.replay_key, result.replay_until) == (None, None)
    assert run(pki.assertion()).jti == result.jti  # the same assertion again: accepted


def test_strict_asks_for_single_use(pki: Pki, run: Run) -> None:
    result = run(strict(pki, jti="once"), "strict")
    assert result.replay_key == f"{TID}:{APP_ID}:once"
    assert result.replay_until == NOW + 600 + 60


def test_padded_segments_verify_over_raw_input(pki: Pki, run: Run) -> None:
    token = pki.assertion(pad=True)
    assert any(part.endswith("=") for part in token.split("."))
    assert run(token).acr == "2"
