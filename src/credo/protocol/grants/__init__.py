"""Grants, in a registry keyed by the wire ``grant_type`` (RFC 6749 §4; STYLE.md rule 4)."""

from __future__ import annotations

from credo.errors import UnsupportedGrantType
from credo.protocol.grants.client_credentials import ClientCredentials
from credo.protocol.grants.types import Grant, GrantHandler

UNSUPPORTED_GRANT = 70003

GRANTS: dict[str, GrantHandler] = {"client_credentials": ClientCredentials()}


def grant_for(grant_type: str) -> GrantHandler:
    """The handler for ``grant_type`` or ``unsupported_grant_type`` (RFC 6749 §5.2)."""
    handler = GRANTS.get(grant_type)
    if handler is None:
        raise UnsupportedGrantType(UNSUPPORTED_GRANT, "The app requested an unsupported grant "
                                   f"type '{grant_type[:100]}'.")
    return handler


__all__ = ["GRANTS", "Grant", "GrantHandler", "grant_for"]
