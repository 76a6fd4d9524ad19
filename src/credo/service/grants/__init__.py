"""The grants of the token endpoint, keyed by the wire ``grant_type`` (RFC 6749 §4, §6).

Discovery lists these names in ``grant_types_supported``. A new grant is one module whose
class implements ``Grant`` (built from ``GrantServices``) plus one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from credo.aadsts.grant import UNSUPPORTED_GRANT
from credo.service.grants.authorization_code import AuthorizationCodeGrant
from credo.service.grants.client_credentials import ClientCredentialsGrant
from credo.service.grants.on_behalf_of import OnBehalfOfGrant
from credo.service.grants.refresh_token import RefreshTokenGrant
from credo.service.grants.types import Grant, GrantCall, GrantServices

G = TypeVar("G")

GRANTS: dict[str, Callable[[GrantServices], Grant]] = {
    "client_credentials": ClientCredentialsGrant,
    "authorization_code": AuthorizationCodeGrant,
    "refresh_token": RefreshTokenGrant,
    "urn:ietf:params:oauth:grant-type:jwt-bearer": OnBehalfOfGrant,
}


def build_grants(services: GrantServices) -> dict[str, Grant]:
    """Every registered grant's pipeline, built once at start-up."""
    return {name: make(services) for name, make in GRANTS.items()}


def grant_for(grants: Mapping[str, G], grant_type: str) -> G:
    """The entry for ``grant_type``, or ``unsupported_grant_type`` (RFC 6749 §5.2)."""
    found = grants.get(grant_type)
    if found is None:
        raise UNSUPPORTED_GRANT(grant_type=grant_type[:100])
    return found


__all__ = ["GRANTS", "Grant", "GrantCall", "GrantServices", "build_grants", "grant_for"]
