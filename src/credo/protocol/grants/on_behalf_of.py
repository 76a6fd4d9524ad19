"""On-behalf-of: a middle-tier API exchanges a user's token for one to a downstream API.

``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` (RFC 7523 §2.1) with Entra's
``requested_token_use=on_behalf_of``: the ``assertion`` is the access token the user's client
got for the middle tier. It must be signed by a key this deployment publishes (RS256, chosen
by ``kid``), issued by the request's tenant, addressed to the calling client (its app id or
one of its identifier URIs), a user's token (``idtyp: user``), and unexpired. The scopes are
then resolved like a refresh's: only what the user (or an administrator) consented to for
the middle tier on the downstream API.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from credo.aadsts import grant, request
from credo.errors import JoseError
from credo.jose import CompactJWS, parse_compact, verify_rsa
from credo.model import Application, Tenant, canonical_identifier_uri, is_guid
from credo.numericdate import TimeClaimError, TimeRules, check_times
from credo.protocol import metadata
from credo.protocol.claims import BACKDATE
from credo.protocol.delegated_scopes import ScopeRequest, parse_scope, parse_v1
from credo.protocol.forms import MAX_ASSERTION, TokenRequest

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ON_BEHALF_OF = "on_behalf_of"
LEEWAY = TimeRules(past_leeway=300, future_leeway=300)
_SHOWN = 200


@dataclass(frozen=True)
class Checked:
    """What an accepted assertion says: the user, the sign-in session and when the token
    was issued (epoch seconds), and what the request asks for."""

    user_id: str
    session_id: str
    issued: float
    scopes: ScopeRequest


def parse(req: TokenRequest) -> CompactJWS:
    """``requested_token_use`` and ``assertion`` present; the assertion parsed without trust
    (RFC 7515 §5.2 steps 1-7), RS256 with a ``kid``."""
    use = req.params.get("requested_token_use")
    if not use:
        raise request.MISSING_BODY_PARAMETER(name="requested_token_use")
    if use != ON_BEHALF_OF:
        raise grant.OBO_TOKEN_USE(value=use[:64])
    raw = req.params.get("assertion")
    if not raw:
        raise request.MISSING_BODY_PARAMETER(name="assertion")
    if len(raw) > MAX_ASSERTION:
        raise grant.OBO_MALFORMED(reason=f"It is larger than {MAX_ASSERTION} bytes.")
    try:
        jws = parse_compact(raw)
    except (JoseError, ValueError, RecursionError) as exc:
        raise grant.OBO_MALFORMED(reason="It is not a compact JWS.", detail=str(exc)) from None
    if jws.header.get("alg") != "RS256" or not isinstance(jws.header.get("kid"), str):
        raise grant.OBO_MALFORMED(reason="It must be signed with RS256 and name its key "
                                  "('kid').")
    return jws


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%m/%d/%Y %H:%M:%S")


def _audience(aud: Any, client: Application) -> None:
    """``aud`` is the client's app id or one of its identifier URIs (canonical form)."""
    ok = isinstance(aud, str) and (
        (is_guid(aud) and aud.lower() == client.app_id.lower())
        or canonical_identifier_uri(aud) in {canonical_identifier_uri(u)
                                             for u in client.identifier_uris})
    if not ok:
        raise grant.OBO_AUDIENCE(audience=str(aud)[:_SHOWN], client_id=client.app_id,
                                 name=client.display_name[:100])


def _issuer(claims: Mapping[str, Any], tenant: Tenant, base: str) -> None:
    issuers = {metadata.issuer_v1(base, tenant.id), metadata.issuer_v2(base, tenant.id)}
    if claims.get("iss") not in issuers or claims.get("tid") != tenant.id:
        raise grant.OBO_ISSUER(issuer=str(claims.get("iss"))[:_SHOWN],
                               detail=f"tid={str(claims.get('tid'))[:40]!r}")


def _times(claims: Mapping[str, Any], now: float) -> float:
    """RFC 7519 §4.1.4-4.1.5 with Entra's 300 s of leeway; returns when it was issued."""
    try:
        window = check_times(claims, now, LEEWAY)
    except TimeClaimError as exc:
        raise grant.OBO_EXPIRED(now=_stamp(now), exp=_stamp(exc.exp or 0.0),
                                detail=str(exc)) from None
    return (window.iat + BACKDATE) if window.iat is not None else now


def requested(req: TokenRequest, version: int) -> ScopeRequest:
    """v2 ``scope``; v1 ``resource`` (the downstream API's static permissions)."""
    return parse_v1(req.resource, req.scope) if version == 1 else parse_scope(req.scope)


def check(*, jws: CompactJWS, key: rsa.RSAPublicKey | None, tenant: Tenant, base: str,
          client: Application, req: TokenRequest, version: int, now: float) -> Checked:
    """Signature, issuer, audience, user token, times, then the scopes asked for."""
    if key is None:
        raise grant.OBO_SIGNATURE(reason="The key was not found.",
                                  detail=f"kid {str(jws.header['kid'])[:64]!r}")
    try:
        verify_rsa("RS256", key, jws.signing_input, jws.signature, allowed=("RS256",))
    except JoseError as exc:
        raise grant.OBO_SIGNATURE(reason="Key was found, but use of the key to verify the "
                                  "signature failed.", detail=str(exc)) from None
    claims = jws.claims
    _issuer(claims, tenant, base)
    _audience(claims.get("aud"), client)
    oid, idtyp = claims.get("oid"), claims.get("idtyp")
    if idtyp != "user" or not isinstance(oid, str) or not is_guid(oid):
        raise grant.OBO_NOT_USER(idtyp=str(idtyp)[:20])
    issued = _times(claims, now)
    sid = claims.get("sid")
    return Checked(oid.lower(), sid if isinstance(sid, str) else "", issued,
                   requested(req, version))
