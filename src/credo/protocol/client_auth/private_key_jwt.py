"""``private_key_jwt``: a certificate-signed client assertion (RFC 7523 §3; RFC 7521 §4.2).

Choose the certificate by thumbprint among the client's own credentials, verify with that
key only, then check ``aud``, ``exp``, ``nbf``, ``iat`` and ``jti`` per the tenant's profile.
RFC 7521 §4.2.1: a failure "MUST" be ``invalid_client``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from credo.aadsts import client, request
from credo.errors import JoseError, OAuthError
from credo.jose import b64url_decode, verify_rsa
from credo.model import KeyCredential
from credo.numericdate import TimeClaimError, TimeRules
from credo.numericdate import check_times as check_window
from credo.protocol.client_auth.assertion import invalid_jwt, parse_assertion
from credo.protocol.client_auth.types import (
    JWT_BEARER,
    AuthContext,
    AuthenticatedClient,
    Presented,
    check_client_id,
)
from credo.protocol.forms import TokenRequest
from credo.protocol.profiles import ProfileRules

MAX_JTI = 256

_THUMBPRINTS = (("x5t", "sha1"), ("x5t#S256", "sha256"))
_KINDS = {"x5t": "x5t, SHA-1", "x5t#S256": "x5t#S256, SHA-256"}


def _thumbprints(header: Mapping[str, Any]) -> dict[str, bytes]:
    """Decode ``x5t`` / ``x5t#S256`` (RFC 7515 §4.1.7-4.1.8); ``=`` padding is tolerated."""
    found: dict[str, bytes] = {}
    for name, _ in _THUMBPRINTS:
        value = header.get(name)
        if value is None:
            continue
        try:
            if not isinstance(value, str):
                raise JoseError("not a string")
            found[name] = b64url_decode(value)
        except JoseError:
            raise invalid_jwt(f"The '{name}' header parameter is not a base64url "
                              "thumbprint.") from None
    if not found:
        raise invalid_jwt("No certificate thumbprint specified in token header.")
    return found


def _not_found(name: str, thumbprint: bytes, app_id: str) -> OAuthError:
    hexed = thumbprint.hex().upper()[:128]
    return client.KEY_NOT_FOUND(thumbprint=hexed, kind=_KINDS[name], client_id=app_id,
                                detail=f"no key credential with {name} {hexed}")


def choose_credential(header: Mapping[str, Any], ctx: AuthContext) -> KeyCredential:
    """The certificate both thumbprints name, valid now (RFC 7515 §4.1.7-4.1.8)."""
    app = ctx.application
    wanted = _thumbprints(header)
    matching = {name: [c for c in app.key_credentials if getattr(c, attr) == wanted[name]]
                for name, attr in _THUMBPRINTS if name in wanted}
    named = [c for c in app.key_credentials if all(c in m for m in matching.values())]
    if not named:
        for name, creds in matching.items():
            if not creds:
                raise _not_found(name, wanted[name], app.app_id)
        raise client.THUMBPRINTS_DIFFER()
    now_dt = datetime.fromtimestamp(ctx.now, UTC)
    valid = [c for c in named if c.valid_at(now_dt)]
    if not valid:
        raise client.CERT_OUT_OF_RANGE(
            client_id=app.app_id, detail=f"key credential(s) {[c.key_id for c in named]} not "
            f"valid at {now_dt.isoformat()}")
    return valid[0]


@functools.lru_cache(maxsize=8192)
def _public_key(der: bytes) -> rsa.RSAPublicKey | None:
    """The certificate's RSA key, parsed once per certificate (a pure, memoized function)."""
    try:
        key = x509.load_der_x509_certificate(der).public_key()
    except ValueError:
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


def _verify_signature(presented: Presented, cred: KeyCredential, rules: ProfileRules) -> None:
    """Verify with the chosen certificate's key only (RFC 7515 §5.2 step 8)."""
    assertion = presented.assertion
    if assertion is None:
        raise invalid_jwt("The client assertion is missing.")
    if assertion.alg not in rules.allowed_algs:
        raise invalid_jwt(f"The '{assertion.alg}' algorithm is not allowed by this tenant's "
                          f"security profile; use {' or '.join(sorted(rules.allowed_algs))}.")
    thumb = cred.sha1.hex().upper()
    key = _public_key(cred.der)
    if key is None or key.key_size < 2048:
        raise client.WEAK_KEY(detail=f"key credential {cred.key_id}")
    try:
        verify_rsa(assertion.alg, key, assertion.signing_input, assertion.signature,
                   allowed=rules.allowed_algs)
    except JoseError as exc:
        raise client.BAD_SIGNATURE(thumbprint=thumb, detail=str(exc)) from None


@functools.lru_cache(maxsize=4096)
def _lowered(values: frozenset[str]) -> frozenset[str]:
    return frozenset(v.lower() for v in values)


def check_audience(aud: Any, ctx: AuthContext) -> None:
    """RFC 7523 §3 item 3: ``aud`` identifies this authorization server (profile rules apply)."""
    rules = ctx.profile
    if isinstance(aud, list) and rules.aud_array_allowed and len(aud) == 1:
        aud = aud[0]
    allowed = ctx.audiences
    if isinstance(aud, str) and rules.aud_ignore_case:
        aud, allowed = aud.lower(), _lowered(allowed)
    if not isinstance(aud, str) or aud not in allowed:
        raise client.AUDIENCE_MISMATCH(detail=f"aud={str(aud)[:200]!r}")


def _stamp(t: float) -> str:
    moment = datetime.fromtimestamp(t, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}0Z"


def check_times(claims: Mapping[str, Any], rules: ProfileRules, now: float,
                window: TimeRules | None = None) -> float:
    """RFC 7523 §3 items 4-6: ``exp`` required; ``nbf``/``iat`` optional; bounded lifetime
    (the shared checker, ``credo.numericdate``, with the profile's leeway unless ``window``
    says otherwise)."""
    try:
        return check_window(claims, now, window or rules.time_rules).exp or 0.0
    except TimeClaimError as exc:
        detail = f"exp={exc.exp} nbf={exc.nbf} iat={exc.iat} now={now}"
        if exc.reason == "malformed":
            raise invalid_jwt(f"The '{exc.claim}' claim must be a NumericDate.") from None
        if exc.reason == "missing":
            raise invalid_jwt("The 'exp' claim is required.") from None
        if exc.reason == "too_long" and exc.exp is not None:
            start = next((t for t in (exc.iat, exc.nbf) if t is not None), now)
            raise client.LIFETIME_TOO_LONG(lifetime=int(exc.exp - start),
                                           limit=rules.max_lifetime, detail=detail) from None
        raise client.TIME_RANGE(now=_stamp(now), nbf=_stamp(exc.nbf or 0.0),
                                exp=_stamp(exc.exp or 0.0), detail=detail) from None


def check_jti(claims: Mapping[str, Any]) -> str:
    """RFC 7523 §3 item 7: ``jti`` a non-empty string of at most 256 characters."""
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI:
        raise invalid_jwt(f"The 'jti' claim must be a non-empty string of at most {MAX_JTI} "
                          "characters.")
    return jti


class PrivateKeyJwt:
    """``METHODS["private_key_jwt"]`` (RFC 7523 §2.2, §3)."""

    name = "private_key_jwt"
    carrier = "client_assertion"

    def presents(self, req: TokenRequest) -> bool:
        return req.client_assertion is not None or req.client_assertion_type is not None

    def present(self, req: TokenRequest) -> Presented:
        """Both parameters, the RFC 7523 type, the assertion parsed without trust; ``iss``
        names the client (RFC 7521 §4.2: ``client_id`` is then optional)."""
        if req.client_assertion is None:
            raise request.MISSING_BODY_PARAMETER(name="client_assertion")
        if req.client_assertion_type is None:
            raise request.MISSING_BODY_PARAMETER(name="client_assertion_type")
        if req.client_assertion_type != JWT_BEARER:
            raise client.ASSERTION_TYPE(detail=f"type={req.client_assertion_type[:100]!r}")
        assertion = parse_assertion(req.client_assertion)
        check_client_id(req.client_id, assertion.client_id, "client assertion's 'iss' claim")
        return Presented(self.name, assertion.client_id, assertion, None)

    def verify(self, presented: Presented, ctx: AuthContext) -> AuthenticatedClient:
        """Thumbprint, signature, ``aud``, times, ``jti`` in that order, or ``InvalidClient``."""
        assertion = presented.assertion
        if assertion is None or presented.client_id != ctx.application.app_id:
            raise client.WRONG_CLIENT(credential="client assertion",
                                      detail="presented/context mismatch")
        cred = choose_credential(assertion.header, ctx)
        _verify_signature(presented, cred, ctx.profile)
        check_audience(assertion.claims.get("aud"), ctx)
        exp = check_times(assertion.claims, ctx.profile, ctx.now)
        jti = check_jti(assertion.claims)
        single = ctx.profile.single_use_jti
        return AuthenticatedClient(
            application=ctx.application, method=self.name, acr="2", jti=jti,
            replay_key=f"{ctx.tenant.id}:{ctx.application.app_id}:{jti}" if single else None,
            replay_until=exp + ctx.profile.exp_skew if single else None, credential=cred)
