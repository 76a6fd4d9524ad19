"""The value a grant decides, and the grant Protocol (RFC 6749 §4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from credo.model import Application, ServicePrincipal, Tenant
from credo.protocol.client_auth.types import AuthenticatedClient
from credo.protocol.scopes import ResourceRef


@dataclass(frozen=True)
class Grant:
    """What the token will carry: ``roles`` (sorted values), ``audience`` and token ``version``."""

    roles: tuple[str, ...]
    audience: str
    version: Literal[1, 2]
    resource_app: Application
    resource_sp: ServicePrincipal
    client_sp: ServicePrincipal


class GrantHandler(Protocol):
    """One registry entry of ``GRANTS``: decides or raises an ``OAuthError``."""

    grant_type: str

    def authorize(self, *, client: AuthenticatedClient, client_sp: ServicePrincipal | None,
                  resource_app: Application | None, resource_sp: ServicePrincipal | None,
                  assigned_role_ids: frozenset[str], ref: ResourceRef,
                  tenant: Tenant) -> Grant: ...
