"""A client assertion parsed without trust (RFC 7515 §5.2; RFC 7523 §3 items 1-2).

The header's ``alg`` is allowlisted and ``crit`` refused before anything else is read;
``iss`` and ``sub`` must be the same non-empty string, the client's id.
"""

from __future__ import annotations

from types import MappingProxyType

from credo.aadsts import client
from credo.errors import JoseError, OAuthError
from credo.jose import RSA_ALGS, parse_compact
from credo.protocol.client_auth.types import UnverifiedAssertion
from credo.protocol.forms import MAX_ASSERTION

TYPES = frozenset({"jwt", "client-authentication+jwt", "application/client-authentication+jwt",
                   "application/jwt"})
"""Accepted ``typ`` values, compared case-insensitively (RFC 7515 §4.1.9)."""


def invalid_jwt(reason: str, detail: str = "") -> OAuthError:
    """The public AADSTS50027 failure for a malformed client assertion."""
    return client.INVALID_JWT(reason=reason, detail=detail)


def _check_header(header: dict[str, object]) -> None:
    """``alg`` allowlisted, no ``crit``, ``typ`` absent or a JWT type (RFC 7515 §4.1)."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in RSA_ALGS:
        raise invalid_jwt("The 'alg' header parameter must be RS256 or PS256.",
                          f"alg={str(alg)[:32]!r}")
    if "crit" in header:
        raise invalid_jwt("The 'crit' header parameter is not supported.")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in TYPES):
        raise invalid_jwt("The 'typ' header parameter must be JWT or client-authentication+jwt.",
                          f"typ={str(typ)[:64]!r}")


def _check_subject(claims: dict[str, object]) -> str:
    """``iss`` and ``sub`` are equal non-empty strings (RFC 7523 §3 items 1-2)."""
    iss, sub = claims.get("iss"), claims.get("sub")
    if not isinstance(iss, str) or not iss or not isinstance(sub, str) or not sub:
        raise invalid_jwt("The 'iss' and 'sub' claims must be non-empty strings naming the "
                          "client.")
    if iss != sub:
        raise client.SUBJECT_MISMATCH(detail=f"iss={iss[:64]!r} sub={sub[:64]!r}")
    return iss


def parse_assertion(raw: str) -> UnverifiedAssertion:
    """Parse a client assertion without trusting it (RFC 7515 §5.2; RFC 7523 §3)."""
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
