"""Delegated (user) access-token claims and token responses (RFC 9068 §2.2; RFC 6749 §5.1).

As Entra's delegated tokens differ from its app-only ones: ``scp`` (space-separated) instead of
``roles``, ``oid`` = the user, ``sub`` pairwise per client (OIDC Core §8.1), user claims
``upn``/``unique_name``/``name`` (v1) or ``name``/``preferred_username`` (v2),
``idtyp: "user"``. ``roles`` carries the user's own app roles on the resource, when any.
The token version follows the resource's ``requestedAccessTokenVersion``, as for app tokens.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from credo.protocol.claims import BACKDATE
from credo.protocol.id_token import Subject


@dataclass(frozen=True)
class DelegatedAccess:
    """What one delegated access token grants: ``scp`` values on ``audience``."""

    audience: str
    version: Literal[1, 2]
    scp: tuple[str, ...]
    roles: tuple[str, ...]
    scope_prefix: str
    """The resource as the request named it; ``scope`` in the response is prefixed by it."""


def user_access_claims(*, access: DelegatedAccess, issuer: str, client_id: str, acr: str,
                       subject: Subject, now: float, uti: str,
                       lifetime: int = 3600) -> dict[str, Any]:
    """A delegated access token's claims, in Entra's order (RFC 9068 §2.2)."""
    issued = int(now)
    user = subject.user
    claims: dict[str, Any] = {"aud": access.audience, "iss": issuer, "iat": issued - BACKDATE,
                              "nbf": issued - BACKDATE, "exp": issued + lifetime}
    if access.version == 1:
        claims.update(acr="1", amr=["pwd"], appid=client_id, appidacr=acr)
    else:
        claims.update(azp=client_id, azpacr=acr)
    claims.update(idtyp="user", name=user.display_name, oid=user.id)
    if access.version == 2:
        claims["preferred_username"] = user.user_principal_name
    if access.roles:
        claims["roles"] = list(access.roles)
    claims.update(scp=" ".join(access.scp), sid=subject.session_id, sub=subject.sub,
                  tid=user.tenant_id)
    if access.version == 1:
        claims.update(unique_name=user.user_principal_name, upn=user.user_principal_name)
    claims.update(uti=uti, ver="1.0" if access.version == 1 else "2.0")
    return claims


def client_info(user_id: str, tenant_id: str) -> str:
    """Entra's ``client_info`` (sent when the request has ``client_info=1``): base64url JSON
    ``{"uid", "utid"}``; MSAL builds its account's home id from it."""
    raw = json.dumps({"uid": user_id, "utid": tenant_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def response_scope(access: DelegatedAccess, oidc: Sequence[str]) -> str:
    """The response's ``scope`` (RFC 6749 §5.1): the granted resource scopes, as full
    ``<resource>/<value>`` names, then the OIDC scopes granted."""
    named = [f"{access.scope_prefix}/{v}" for v in access.scp] if access.scope_prefix else []
    return " ".join([*named, *oidc])


def user_token_response(*, endpoint: Literal[1, 2], access: DelegatedAccess,
                        access_token: str, oidc: Sequence[str], now: float, lifetime: int,
                        refresh_token: str | None, id_token: str | None,
                        client_info_value: str | None) -> dict[str, Any]:
    """The token response of a delegated grant (RFC 6749 §5.1; OIDC Core §3.1.3.3).

    v2: numbers and full scope names; v1: strings, bare scope values, plus ``expires_on``,
    ``not_before`` and ``resource``.
    """
    expires_in = lifetime - 1
    scope = response_scope(access, oidc) if endpoint == 2 else " ".join(access.scp)
    body: dict[str, Any] = {"token_type": "Bearer", "scope": scope}
    if endpoint == 2:
        body.update(expires_in=expires_in, ext_expires_in=expires_in)
    else:
        issued = int(now)
        body.update(expires_in=str(expires_in), ext_expires_in=str(expires_in),
                    expires_on=str(issued + lifetime), not_before=str(issued - BACKDATE),
                    resource=access.scope_prefix)
    body["access_token"] = access_token
    if refresh_token is not None:
        body["refresh_token"] = refresh_token
    if id_token is not None:
        body["id_token"] = id_token
    if client_info_value is not None:
        body["client_info"] = client_info_value
    return body
