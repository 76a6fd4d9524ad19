"""The steps of token validation, each a pure function that returns a value or raises.

Every failure is a ``TokenValidationError`` (RFC 6750 §3.1 ``invalid_token``) whose
description names the claim and, bounded and sanitised, the value that failed.
``TokenValidator`` runs them in order; they read no clock and do no I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from credo.errors import JoseError, TokenValidationError
from credo.jose import CompactJWS, decode_segment, parse_compact, verify_rsa
from credo.numericdate import TimeClaimError, TimeRules, check_times
from credo.resource.keys import SigningKey, quoted

TENANT_TEMPLATE = "{tenantid}"
MAX_TOKEN_CHARS = 32 * 1024
ID_TOKEN_CLAIMS = ("nonce", "at_hash", "c_hash")
"""Claims only an ID token carries (OIDC Core §2, §3.1.3.6, §3.3.2.11)."""


def invalid(description: str, detail: str = "") -> TokenValidationError:
    return TokenValidationError(description, detail=detail)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shown(value: Any) -> str:
    return quoted(value) if isinstance(value, str) else "missing"


def parse(token: str, algorithms: frozenset[str]) -> CompactJWS:
    """RFC 7515 §5.2 steps 1-7; an unsecured JWT (RFC 7519 §6) is refused by its ``alg``."""
    if not isinstance(token, str):
        raise invalid("The token is not a string.")
    if len(token) > MAX_TOKEN_CHARS:
        raise invalid(f"The token is longer than {MAX_TOKEN_CHARS} characters.")
    parts = token.split(".")
    try:
        if len(parts) == 3 and not parts[2]:
            check_alg(decode_segment(parts[0], "header"), algorithms)
        return parse_compact(token)
    except JoseError as exc:
        raise invalid(f"The token is not a compact JWS: {exc.description}.") from exc


def check_alg(header: Mapping[str, Any], algorithms: frozenset[str]) -> str:
    """``alg`` from the allow-list only (RFC 8725 §3.1); ``crit`` refused (RFC 7515 §4.1.11)."""
    if "crit" in header:
        raise invalid("The token header has a 'crit' parameter, which is not supported.")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise invalid(f"The token algorithm '{_shown(alg)}' is not allowed; this API accepts "
                      f"{', '.join(sorted(algorithms))}.")
    return alg


def check_kid(header: Mapping[str, Any]) -> str:
    """The ``kid`` that names the key in the JWKS; ``jku``/``x5u``/``jwk``/``x5c`` are ignored."""
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise invalid("The token header has no 'kid'.")
    return kid


def check_version(claims: Mapping[str, Any], versions: frozenset[str]) -> str:
    """``ver`` is ``1.0`` or ``2.0`` and accepted by this API."""
    ver = claims.get("ver")
    if not isinstance(ver, str) or ver not in versions:
        raise invalid(f"The token version '{_shown(ver)}' is not accepted; this API accepts "
                      f"{', '.join(sorted(versions))}.")
    return ver


def check_signature(jws: CompactJWS, alg: str, key: SigningKey,
                    algorithms: frozenset[str]) -> None:
    """RFC 7515 §5.2 step 8 with the JWKS key; a key's own ``alg`` must match (RFC 7517 §4.4)."""
    if key.alg is not None and key.alg != alg:
        raise invalid(f"The signing key '{quoted(key.kid)}' is not for algorithm '{alg}'.")
    try:
        verify_rsa(alg, key.key, jws.signing_input, jws.signature, allowed=algorithms)
    except JoseError as exc:
        raise invalid("The token signature is invalid.", exc.description) from exc


@functools.lru_cache(maxsize=256)
def issuer_tenant(issuer: str) -> str | None:
    """The tenant segment of a Credo or Entra issuer: ``…/{tid}/v2.0`` or ``…/{tid}/``."""
    segments = [s for s in httpx.URL(issuer).path.split("/") if s]
    if segments and segments[-1] == "v2.0":
        segments.pop()
    return segments[-1].lower() if segments else None


def check_tenant(claims: Mapping[str, Any], issuer: str, tenants: frozenset[str] | None, *,
                 any_tenant: bool) -> str:
    """``tid`` is the issuer's tenant, or one of ``tenants`` for a templated issuer.

    A concrete issuer (single-tenant authority) fixes the tenant; ``tenants``, when given,
    narrows further. A templated issuer (``common``, ``organizations``) accepts only the
    tenants listed, unless ``any_tenant`` (``unsafe_allow_any_tenant``).
    """
    tid = claims.get("tid")
    if not isinstance(tid, str) or not tid:
        raise invalid("The token has no 'tid' claim.")
    listed = tenants is not None and tid.lower() in tenants
    if TENANT_TEMPLATE in issuer:
        allowed = any_tenant or listed
    else:
        home = issuer_tenant(issuer)
        allowed = (home is None or home == tid.lower()) and (tenants is None or listed)
    if not allowed:
        raise invalid(f"The token was issued by tenant '{quoted(tid)}', which this API "
                      "does not accept.", f"issuer {issuer}, tenants {tenants}")
    return tid


def check_issuer(claims: Mapping[str, Any], issuer: str, tenant: str, key: SigningKey) -> None:
    """``iss`` equals the discovered issuer for ``tid`` (OIDC Core §3.1.3.7 item 2).

    "The Issuer Identifier for the OpenID Provider … MUST exactly match the value of the iss
    (issuer) Claim." A JWK's own ``issuer`` (Entra v2.0 keys) must match as well.
    """
    iss = claims.get("iss")
    if not isinstance(iss, str) or not iss:
        raise invalid("The token has no 'iss' claim.")
    expected = issuer.replace(TENANT_TEMPLATE, tenant)
    if iss != expected:
        raise invalid(f"The token issuer '{quoted(iss)}' is not the expected issuer "
                      f"'{quoted(expected)}'.")
    if key.issuer is not None and key.issuer.replace(TENANT_TEMPLATE, tenant) != iss:
        raise invalid(f"The signing key '{quoted(key.kid)}' is not valid for the issuer "
                      f"'{quoted(iss)}'.")


def check_audience(claims: Mapping[str, Any], audiences: Iterable[str]) -> None:
    """RFC 7519 §4.1.3: "If the principal processing the claim does not identify itself with
    a value in the "aud" claim when this claim is present, then the JWT MUST be rejected."
    """
    aud = claims.get("aud")
    values = [aud] if isinstance(aud, str) else aud
    if not isinstance(values, list) or not values or not all(isinstance(v, str)
                                                             for v in values):
        raise invalid("The token has no 'aud' claim.")
    accepted = frozenset(audiences)
    if accepted.isdisjoint(values):
        raise invalid(f"The token audience '{quoted(' '.join(values))}' is not accepted "
                      "by this API.", f"expected one of {sorted(accepted)}")


_TIME_REFUSALS = {
    "malformed": "The token claim '{claim}' is not a NumericDate.",
    "missing": "The token has no 'exp' claim.",
    "expired": "The token expired at {exp}.",
    "not_yet_valid": "The token is not valid before {nbf}.",
    "issued_in_future": "The token was issued in the future, at {iat}.",
    "inverted": "The token's '{claim}' is not before its 'exp'.",
    "too_long": "The token's lifetime is too long.",
}


def check_lifetime(claims: Mapping[str, Any], now: float, rules: TimeRules) -> None:
    """``exp`` required, ``nbf`` and ``iat`` optional, with leeway (RFC 7519 §4.1.4-6).

    §4.1.4: "The processing of the "exp" claim requires that the current date/time MUST be
    before the expiration date/time listed in the "exp" claim."
    """
    try:
        check_times(claims, now, rules)
    except TimeClaimError as error:
        shown = {name: _iso(value) if value is not None else ""
                 for name, value in (("exp", error.exp), ("nbf", error.nbf), ("iat", error.iat))}
        raise invalid(_TIME_REFUSALS[error.reason].format(claim=error.claim, **shown),
                      f"now {now}") from error


def check_access_token(claims: Mapping[str, Any]) -> None:
    """Refuse an ID token (OIDC Core §2) where an access token is expected.

    An access token from Entra or Credo always names the client it was issued to (``azp`` in
    v2, ``appid`` in v1); an ID token does not, and one issued to the API's own registration
    carries the user's ``roles``. So an ID token is recognised by ``nonce``, ``at_hash`` or
    ``c_hash``, by naming no client, or by granting nothing (no ``scp``, no ``roles``) to an
    audience that is the client itself.
    """
    marker = next((name for name in ID_TOKEN_CLAIMS if name in claims), None)
    if marker is not None:
        raise invalid(f"The token is an ID token (it has a '{marker}' claim), not an access "
                      "token.")
    client = claims.get("azp", claims.get("appid"))
    if client is None:
        raise invalid("The token is an ID token (it names no client: no 'azp' or 'appid'), "
                      "not an access token.")
    if claims.get("scp") or claims.get("roles"):
        return
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if client in audiences:
        raise invalid("The token is an ID token (no 'scp' or 'roles', and its audience is "
                      "the client itself), not an access token.")


def check_required(claims: Mapping[str, Any], names: Iterable[str]) -> None:
    """Each of ``names`` is present (RFC 7519 §4: the application decides what it requires)."""
    for name in names:
        if name not in claims:
            raise invalid(f"The token has no '{quoted(name)}' claim.")
