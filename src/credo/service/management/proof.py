"""The proof of possession Graph's ``addKey`` and ``removeKey`` take.

https://learn.microsoft.com/graph/api/application-addkey: "A self-signed JWT token used as
a proof of possession of the existing keys … signed with the private key of one of the
application's existing valid certificates", with ``aud`` the AAD Graph app id, ``iss`` the
application's object id, and a lifetime of at most 10 minutes
(microsoftgraph/microsoft-graph-docs#6587). The certificate is chosen by the header's
``x5t`` (base64url SHA-1) or a hex SHA-1 ``kid`` (.NET's ``X509SigningCredentials``), never
by a key the token carries; RS256 or PS256 only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import jose
from credo.errors import FieldError, InvalidInput, JoseError
from credo.model import Application, KeyCredential
from credo.numericdate import TimeClaimError, TimeRules, check_times

PROOF_AUDIENCE = "00000002-0000-0000-c000-000000000000"
MAX_LIFETIME_SECONDS = 600
LEEWAY_SECONDS = 60
_TIMES = TimeRules(past_leeway=LEEWAY_SECONDS, future_leeway=LEEWAY_SECONDS,
                   max_lifetime=MAX_LIFETIME_SECONDS)


def _refuse(reason: str) -> InvalidInput:
    return InvalidInput("The proof of possession is not valid.",
                      details=[FieldError("proof", reason)])


def _thumbprint(header: dict[str, Any]) -> bytes:
    x5t, kid = header.get("x5t"), header.get("kid")
    try:
        if isinstance(x5t, str):
            return jose.b64url_decode(x5t)
        if isinstance(kid, str) and len(kid) == 40:
            return bytes.fromhex(kid)
    except (JoseError, ValueError) as exc:
        raise _refuse("The certificate thumbprint in the header is malformed.") from exc
    raise _refuse("The header names no certificate (x5t).")


def _signing_credential(header: dict[str, Any], app: Application,
                        now: datetime) -> KeyCredential:
    sha1 = _thumbprint(header)
    found = next((kc for kc in app.key_credentials if kc.sha1 == sha1 and kc.valid_at(now)),
                 None)
    if found is None:
        raise _refuse("It is not signed by a current certificate of this application.")
    return found


def _public_key(kc: KeyCredential) -> rsa.RSAPublicKey:
    key = x509.load_der_x509_certificate(kc.der).public_key()
    if not isinstance(key, rsa.RSAPublicKey):  # registered certificates are RSA
        raise _refuse("The certificate's key is not an RSA key.")
    return key


def _check_claims(claims: dict[str, Any], app: Application, now: float) -> None:
    if claims.get("aud") != PROOF_AUDIENCE:
        raise _refuse(f"The audience must be '{PROOF_AUDIENCE}'.")
    if claims.get("iss") != app.id:
        raise _refuse("The issuer must be the application's object id.")
    if not all(isinstance(claims.get(n), int | float) for n in ("nbf", "exp")):
        raise _refuse("The 'nbf' and 'exp' claims are required and must be numbers.")
    try:
        check_times(claims, now, _TIMES)
    except TimeClaimError as exc:
        if exc.reason in ("too_long", "inverted"):
            raise _refuse("The lifetime (exp - nbf) must be at most "
                          f"{MAX_LIFETIME_SECONDS} seconds.") from exc
        raise _refuse("It is expired or not yet valid.") from exc


def verify_proof(proof: str, app: Application, now: datetime) -> KeyCredential:
    """Raise ``InvalidInput`` unless ``proof`` is signed by a current certificate of ``app``."""
    try:
        jws = jose.parse_compact(proof)
    except JoseError as exc:
        raise _refuse("It is not a well-formed JWT.") from exc
    alg = jws.header.get("alg")
    if not isinstance(alg, str) or alg not in jose.RSA_ALGS:
        raise _refuse("The algorithm must be RS256 or PS256.")
    kc = _signing_credential(jws.header, app, now)
    try:
        jose.verify_rsa(alg, _public_key(kc), jws.signing_input, jws.signature)
    except JoseError as exc:
        raise _refuse("The signature does not verify.") from exc
    _check_claims(jws.claims, app, now.timestamp())
    return kc
