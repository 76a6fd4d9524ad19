"""Real clients' assertions (MSAL, azure-identity, Authlib, ADAL and more) are accepted."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from credo.model import Profile
from credo.protocol import metadata
from credo.protocol.client_auth import AuthenticatedClient

from ..factory import APP_ID, BASE, DOMAIN, NOW, TID, V1_URL, V2_URL, Pki, sign
from .test_private_key_jwt import ISSUER_V2, strict

Run = Callable[..., AuthenticatedClient]


def msal_rs256(p: Pki) -> str:
    """MSAL with a SHA-1 thumbprint: RS256, padded x5t, float iat/exp, no nbf, aud = v2 URL."""
    claims = {"aud": V2_URL, "iss": APP_ID, "sub": APP_ID, "exp": NOW + 600.8598979,
              "iat": NOW + 0.8598979, "jti": "5f2f7b0e-7a38-4c1c-9d1f-3c7e8b0e8a11"}
    return sign(p.a, {"typ": "JWT", "alg": "RS256", "x5t": p.a.x5t(pad=True)}, claims)


def msal_ps256(p: Pki) -> str:
    """MSAL ≥ 1.35 with a public certificate: PS256, padded x5t#S256, x5c with newlines."""
    pem = p.a.cert.public_bytes(serialization.Encoding.PEM).decode()
    x5c = "".join(pem.splitlines(keepends=True)[1:-1])
    header = {"typ": "JWT", "alg": "PS256", "x5t#S256": p.a.x5t_s256(pad=True), "x5c": [x5c]}
    claims = {"aud": V2_URL, "iss": APP_ID, "sub": APP_ID, "exp": NOW + 600.25,
              "iat": NOW + 0.25, "jti": "b7c1"}
    return sign(p.a, header, claims)


def azure_identity_aio(p: Pki) -> str:
    """azure-identity aio: PS256, padded segments and x5t#S256, nbf, no iat, +1800 s, domain aud."""
    header = {"typ": "JWT", "alg": "PS256", "x5t#S256": p.a.x5t_s256(pad=True)}
    claims = {"jti": "0d7e", "aud": f"{BASE}/{DOMAIN}/oauth2/v2.0/token", "iss": APP_ID,
              "sub": APP_ID, "nbf": int(NOW), "exp": int(NOW) + 1800}
    return sign(p.a, header, claims, pad=True, spaces=True)


def azure_identity_sync(p: Pki) -> str:
    """azure-identity sync with send_certificate_chain: RS256, padded x5t, x5c without newlines."""
    header = {"typ": "JWT", "alg": "RS256", "x5t": p.a.x5t(pad=True),
              "x5c": [base64.b64encode(p.a.der).decode()]}
    return sign(p.a, header, p.claims(iat=NOW + 0.5, exp=NOW + 600.5))


def adal(p: Pki) -> str:
    """ADAL: RS256, padded x5t, v1 token URL aud, integer nbf, exp +600, no iat."""
    claims = {"aud": V1_URL, "iss": APP_ID, "sub": APP_ID, "nbf": int(NOW),
              "exp": int(NOW) + 600, "jti": "a1"}
    return sign(p.a, {"typ": "JWT", "alg": "RS256", "x5t": p.a.x5t(pad=True)}, claims)


def authlib(p: Pki) -> str:
    """Authlib PrivateKeyJWT with headers={'x5t': ...}: unpadded x5t, int iat, exp +3600."""
    claims = {"iss": APP_ID, "aud": V2_URL, "sub": APP_ID, "exp": int(NOW) + 3600,
              "iat": int(NOW), "jti": "x" * 36}
    return sign(p.a, {"alg": "RS256", "typ": "JWT", "x5t": p.a.x5t()}, claims)


def _accept(build: Callable[[Pki], str], profile: Profile = "entra",
            client_id: str | None = APP_ID, now: float = NOW) -> tuple[Any, ...]:
    return (build, profile, client_id, now)


ACCEPT = {
    "msal-rs256": _accept(msal_rs256),
    "msal-ps256-x5c-newlines": _accept(msal_ps256),
    "azure-identity-aio": _accept(azure_identity_aio),
    "azure-identity-sync": _accept(azure_identity_sync),
    "adal-v1-aud": _accept(adal),
    "authlib-no-client-id": _accept(authlib, client_id=None),
    "aud-issuer-v2": _accept(lambda p: p.assertion(claims=p.claims(aud=ISSUER_V2))),
    "aud-issuer-v1": _accept(lambda p: p.assertion(claims=p.claims(
        aud=metadata.issuer_v1(BASE, TID)))),
    "aud-array-of-one": _accept(lambda p: p.assertion(claims=p.claims(aud=[V2_URL]))),
    "aud-domain-mixed-case": _accept(lambda p: p.assertion(claims=p.claims(
        aud=f"{BASE}/Contoso.Example/oauth2/token"))),
    "ps256-entra": _accept(lambda p: p.assertion(header=p.header(alg="PS256"))),
    "typ-absent": _accept(lambda p: p.assertion(header=p.header(typ=None))),
    "typ-client-authentication+jwt": _accept(lambda p: p.assertion(header=p.header(
        typ="client-authentication+jwt"))),
    "both-thumbprints-same-cert": _accept(lambda p: p.assertion(header=p.header(
        **{"x5t#S256": p.a.x5t_s256(pad=True)}))),
    "x5c-of-other-cert-ignored": _accept(lambda p: p.assertion(header=p.header(
        x5c=[base64.b64encode(p.b.der).decode()]))),
    "no-nbf-no-iat": _accept(lambda p: p.assertion(claims=p.claims(iat=None))),
    "exp-past-within-skew": _accept(lambda p: p.assertion(claims=p.claims(
        exp=NOW - 299, iat=NOW - 899))),
    "nbf-ahead-within-skew": _accept(lambda p: p.assertion(claims=p.claims(
        nbf=NOW + 299, iat=None, exp=NOW + 900))),
    "lifetime-3600": _accept(lambda p: p.assertion(claims=p.claims(exp=NOW + 3600))),
    "jti-256": _accept(lambda p: p.assertion(claims=p.claims(jti="j" * 256))),
    "unknown-claims-and-header-params": _accept(lambda p: p.assertion(
        header=p.header(kid="whatever", cty="x"), claims=p.claims(foo={"bar": [1]}))),
    "strict-ps256-issuer": _accept(lambda p: strict(p), "strict"),
    "strict-issuer-v1": _accept(lambda p: strict(p, aud=metadata.issuer_v1(BASE, TID)), "strict"),
    "strict-nbf-10s-ahead": _accept(lambda p: strict(p, nbf=NOW + 10, iat=None), "strict"),
    "strict-exp-past-59s": _accept(lambda p: strict(p, exp=NOW - 59, iat=NOW - 300), "strict"),
    "strict-lifetime-600": _accept(lambda p: strict(p, exp=NOW + 600), "strict"),
}


@pytest.mark.parametrize("name", list(ACCEPT))
def test_accepted(name: str, pki: Pki, run: Run) -> None:
    build, profile, client_id, now = ACCEPT[name]
    result = run(build(pki), profile, client_id=client_id, now=now)
    assert (result.application, result.method, result.acr) == (pki.app, "private_key_jwt", "2")
    assert result.jti
