"""Detect exactly one client authentication method and parse an assertion without trust.

RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each
request." PROTOCOL.md steps 1-2 (RFC 7515 §5.2; RFC 7523 §3 items 1-2) happen here.
"""

from __future__ import annotations

from types import MappingProxyType

from credo.aadsts import client, request
from credo.errors import JoseError, OAuthError
from credo.jose import RSA_ALGS, parse_compact
from credo.protocol.client_auth.types import JWT_BEARER, MethodName, Presented, UnverifiedAssertion
from credo.protocol.forms import MAX_ASSERTION, TokenRequest

TYPES = frozenset({"jwt", "client-authentication+jwt", "application/client-authentication+jwt",
                   "application/jwt"})
"""Accepted ``typ`` values, compared case-insensitively (RFC 7515 §4.1.9)."""


def invalid_jwt(reason: str, detail: str = "") -> OAuthError:
    """The public AADSTS50027 failure for a malformed client assertion."""
    return client.INVALID_JWT(reason=reason, detail=detail)


def _check_header(header: dict[str, object]) -> None:
    """PROTOCOL.md step 1: ``alg`` allowlisted, no ``crit``, ``typ`` absent or a JWT type."""
    if header.get("alg") not in RSA_ALGS:
        raise invalid_jwt("The 'alg' header parameter must be RS256 or PS256.",
                          f"alg={str(header.get('alg'))[:32]!r}")
    if "crit" in header:
        raise invalid_jwt("The 'crit' header parameter is not supported.")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in TYPES):
        raise invalid_jwt("The 'typ' header parameter must be JWT or client-authentication+jwt.",
                          f"typ={str(typ)[:64]!r}")


def _check_subject(claims: dict[str, object]) -> str:
    """PROTOCOL.md step 2: ``iss`` and ``sub`` are equal strings (RFC 7523 §3 items 1-2)."""
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not iss or not isinstance(sub, str) or not sub:
        raise invalid_jwt("The 'iss' and 'sub' claims must be non-empty strings naming the "
                          "client.")
    if iss != sub:
        raise client.SUBJECT_MISMATCH(detail=f"iss={iss[:64]!r} sub={sub[:64]!r}")
    return iss


def parse_assertion(raw: str) -> UnverifiedAssertion:
    """Parse a client assertion without trusting it (RFC 7515 §5.2; PROTOCOL.md steps 1-2)."""
    if len(raw) > MAX_ASSERTION:
        raise invalid_jwt(f"The client assertion is larger than {MAX_ASSERTION} bytes.")
    try:
        jws = parse_compact(raw)
    except (JoseError, ValueError, RecursionError) as exc:
        raise invalid_jwt("The client assertion is not a well-formed JWS in compact "
                          "serialization.", str(exc)) from None
    _check_header(jws.header)
    _check_subject(jws.claims)
    return UnverifiedAssertion(header=MappingProxyType(jws.header),
                               claims=MappingProxyType(jws.claims),
                               signing_input=jws.signing_input, signature=jws.signature)


def _methods(req: TokenRequest) -> list[MethodName]:
    found: list[MethodName] = []
    if req.client_assertion is not None or req.client_assertion_type is not None:
        found.append("private_key_jwt")
    if req.client_secret is not None:
        found.append("client_secret_post")
    if req.basic is not None:
        found.append("client_secret_basic")
    return found


def _same_client(form_id: str | None, client_id: str, source: str) -> None:
    if form_id is not None and form_id != client_id:
        raise client.CLIENT_ID_MISMATCH(
            source=source, detail=f"client_id={form_id[:64]!r}, {source}={client_id[:64]!r}")


def _assertion(req: TokenRequest) -> Presented:
    if req.client_assertion is None:
        raise request.MISSING_BODY_PARAMETER(name="client_assertion")
    if req.client_assertion_type is None:
        raise request.MISSING_BODY_PARAMETER(name="client_assertion_type")
    if req.client_assertion_type != JWT_BEARER:
        raise client.ASSERTION_TYPE(detail=f"type={req.client_assertion_type[:100]!r}")
    assertion = parse_assertion(req.client_assertion)
    _same_client(req.client_id, assertion.client_id, "client assertion's 'iss' claim")
    return Presented("private_key_jwt", assertion.client_id, assertion, None)


def detect(req: TokenRequest) -> Presented:
    """Find the single authentication method presented (RFC 6749 §2.3; RFC 7521 §4.2)."""
    found = _methods(req)
    if len(found) > 1:
        raise request.TWO_METHODS(detail=f"presented: {', '.join(found)}")
    if not found:
        raise client.NO_CREDENTIAL()
    if found[0] == "private_key_jwt":
        return _assertion(req)
    if req.basic is not None:
        _same_client(req.client_id, req.basic[0], "client identified by HTTP Basic")
        return Presented("client_secret_basic", req.basic[0], None, req.basic[1])
    if req.client_id is None:
        raise request.MISSING_BODY_PARAMETER(name="client_id")
    return Presented("client_secret_post", req.client_id, None, req.client_secret)
