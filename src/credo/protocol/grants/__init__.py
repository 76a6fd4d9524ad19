"""Grants, in a registry keyed by the wire ``grant_type`` (RFC 6749 §4; STYLE.md rule 4).

``client_credentials`` decides an app-only token; ``authorization_code`` and
``refresh_token`` check a stored code or refresh token before a delegated (user) token is
issued. ``public_clients`` says whether a client without credentials may use the grant
(RFC 6749 §2.1); the grant's own check then decides whether this one may.
"""

from __future__ import annotations

from credo.aadsts.grant import UNSUPPORTED_GRANT
from credo.protocol.grants.authorization_code import AuthorizationCodeGrant
from credo.protocol.grants.client_credentials import ClientCredentials
from credo.protocol.grants.refresh_token import RefreshTokenGrant
from credo.protocol.grants.types import Grant, GrantHandler

AnyGrant = ClientCredentials | AuthorizationCodeGrant | RefreshTokenGrant

GRANTS: dict[str, AnyGrant] = {
    "client_credentials": ClientCredentials(),
    "authorization_code": AuthorizationCodeGrant(),
    "refresh_token": RefreshTokenGrant(),
}


def grant_for(grant_type: str) -> AnyGrant:
    """The handler for ``grant_type`` or ``unsupported_grant_type`` (RFC 6749 §5.2)."""
    handler = GRANTS.get(grant_type)
    if handler is None:
        raise UNSUPPORTED_GRANT(grant_type=grant_type[:100])
    return handler


__all__ = ["GRANTS", "AnyGrant", "Grant", "GrantHandler", "grant_for"]
