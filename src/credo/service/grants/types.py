"""What a grant's pipeline receives, what it is built from, and the grant Protocol (RFC 6749 §4).

The token service runs the steps every grant shares (parse, tenant, client authentication,
replay) and hands a ``GrantCall`` to the pipeline the wire ``grant_type`` names. A pipeline
loads what its grant needs, applies the grant's pure rules (``credo.protocol.grants``) and
returns the token response, or raises an ``OAuthError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from credo.aadsts.client import NO_CREDENTIAL
from credo.model import ClientSnapshot, Tenant, User
from credo.protocol.client_auth import AuthenticatedClient
from credo.protocol.forms import TokenRequest
from credo.service.keys import KeyService
from credo.service.sign_ins import SignInFacts
from credo.service.snapshots import DirectoryCache
from credo.service.sources import SYSTEM
from credo.service.user_tokens import UserTokens
from credo.store.api import FlowStore


@dataclass(frozen=True, slots=True)
class GrantCall:
    """A token request past client authentication: the client is loaded and, unless it is
    a public client (``client`` is ``None``), authenticated (RFC 6749 §2.1, §3.2.1)."""

    request: TokenRequest
    tenant: Tenant
    snapshot: ClientSnapshot
    client: AuthenticatedClient | None
    version: Literal[1, 2]
    """The endpoint's version: v1 ``/oauth2/token`` or v2 ``/oauth2/v2.0/token``."""
    now: float
    facts: SignInFacts = field(default_factory=SignInFacts)
    """Where the pipeline notes the resource and user it resolved (the sign-in event)."""

    def confidential(self) -> AuthenticatedClient:
        """The authenticated client of a grant that has no public clients."""
        if self.client is None:
            raise NO_CREDENTIAL()
        return self.client


class UserLookup(Protocol):
    async def by_id(self, user_id: str) -> User | None: ...


@dataclass(frozen=True)
class GrantServices:
    """Everything a grant's pipeline may be built from (the composition root fills it)."""

    base_url: str
    cache: DirectoryCache
    keys: KeyService
    user_tokens: UserTokens
    flows: FlowStore
    users: UserLookup
    token_lifetime: int = 3600
    new_id: Callable[[], str] = SYSTEM.new_token_id


class Grant(Protocol):
    """One entry of ``GRANTS``: a grant's pipeline after client authentication.

    ``public_clients`` says whether a client without credentials may use the grant (RFC 6749
    §2.1); the pipeline then decides whether this one may. ``issue`` returns the token
    response's members (RFC 6749 §5.1) or raises an ``OAuthError`` (§5.2).
    """

    @property
    def public_clients(self) -> bool: ...

    async def issue(self, call: GrantCall) -> dict[str, Any]: ...
