"""The values client authentication passes along, and the method Protocol (RFC 6749 §2.3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from credo.model import Application, Tenant
from credo.protocol.profiles import ProfileRules

MethodName = Literal["private_key_jwt", "client_secret_post", "client_secret_basic"]
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
"""RFC 7523 §2.2 ``client_assertion_type`` value."""


@dataclass(frozen=True)
class UnverifiedAssertion:
    """A client assertion parsed without trust (PROTOCOL.md steps 1-2; RFC 7515 §5.2)."""

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        return str(self.header["alg"])

    @property
    def client_id(self) -> str:
        """``iss`` = ``sub``, checked to be equal non-empty strings when parsed."""
        return str(self.claims["iss"])


@dataclass(frozen=True)
class Presented:
    """The one client authentication method a request presents (RFC 6749 §2.3)."""

    method: MethodName
    client_id: str
    assertion: UnverifiedAssertion | None
    secret: str | None


@dataclass(frozen=True)
class AuthContext:
    """What a method needs to verify a client loaded from the path's tenant."""

    tenant: Tenant
    application: Application
    audiences: frozenset[str]
    profile: ProfileRules
    now: float
    secret_hasher: Callable[[str], bytes]


@dataclass(frozen=True)
class AuthenticatedClient:
    """A verified client; ``acr`` is ``"2"`` for a certificate and ``"1"`` for a secret.

    ``replay_key`` is set only when the profile requires a single-use ``jti``; the service
    records it with an atomic add-if-absent that lives until ``replay_until`` (epoch seconds,
    ``exp`` plus the profile's ``exp_skew``).
    """

    application: Application
    method: MethodName
    acr: Literal["1", "2"]
    jti: str | None = None
    assertion_exp: float | None = None
    replay_key: str | None = None
    replay_until: float | None = None


class ClientAuthMethod(Protocol):
    """An entry of ``METHODS``: ``verify`` raises ``InvalidClient``, never returns False."""

    def verify(self, presented: Presented, ctx: AuthContext) -> AuthenticatedClient: ...
