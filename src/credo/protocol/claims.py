"""Entra-shaped app-only access-token claims and token responses (RFC 6749 §5.1; RFC 9068 §2.2).

Shaped like Entra's app-only tokens and responses, member for member. ``iat`` = ``nbf``
= now - 300 and ``exp`` = now + lifetime, as every observed Entra app-only token has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from credo.model import Application, ServicePrincipal

BACKDATE = 300
"""Seconds ``iat``/``nbf`` lie before issue time (Entra backdates its tokens by five minutes)."""


def app_token_claims(*, version: Literal[1, 2], issuer: str, tenant_id: str,
                     client_app: Application, client_sp: ServicePrincipal, audience: str,
                     roles: Sequence[str], acr: str, now: float, uti: str,
                     lifetime: int = 3600) -> dict[str, Any]:
    """The claims of an app-only access token, in Entra's order (RFC 9068 §2.2)."""
    issued = int(now)
    claims: dict[str, Any] = {"aud": audience, "iss": issuer, "iat": issued - BACKDATE,
                              "nbf": issued - BACKDATE, "exp": issued + lifetime}
    if version == 1:
        claims.update(appid=client_app.app_id, appidacr=acr, idp=issuer)
    else:
        claims.update(azp=client_app.app_id, azpacr=acr)
    claims.update(idtyp="app", oid=client_sp.id)
    if roles:
        claims["roles"] = list(roles)
    claims.update(sub=client_sp.id, tid=tenant_id, uti=uti,
                  ver="1.0" if version == 1 else "2.0")
    return claims


def token_response(*, version: Literal[1, 2], access_token: str, now: float, lifetime: int,
                   resource_requested: str | None) -> dict[str, Any]:
    """The successful token response of the endpoint's version (RFC 6749 §5.1).

    ``version`` is the *endpoint's* (v1 ``/oauth2/token`` answers with strings and
    ``resource``), not the token's. ``expires_in`` is ``lifetime - 1`` as Entra sends it.
    """
    expires_in = lifetime - 1
    if version == 2:
        return {"token_type": "Bearer", "expires_in": expires_in,
                "ext_expires_in": expires_in, "access_token": access_token}
    issued = int(now)
    return {"token_type": "Bearer", "expires_in": str(expires_in),
            "ext_expires_in": str(expires_in), "expires_on": str(issued + lifetime),
            "not_before": str(issued - BACKDATE), "resource": resource_requested or "",
            "access_token": access_token}
