"""The values client authentication passes along, and the method Protocol (RFC 6749 §2.3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from credo.aadsts.client import CLIENT_ID_MISMATCH
from credo.jose import PublicKey
from credo.model import Application, KeyCredential, PasswordCredential, Tenant
from credo.protocol.forms import TokenRequest
from credo.protocol.profiles import ProfileRules

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
"""RFC 7523 §2.2 ``client_assertion_type`` value."""


@dataclass(frozen=True)
class UnverifiedAssertion:
    """A client assertion parsed without trust (RFC 7515 §5.2; RFC 7523 §3 items 1-2)."""

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
    """The one client authentication method a request presents (RFC 6749 §2.3).

    ``method`` is the registry name of the method that will verify it.
    """

    method: str
    client_id: str
    assertion: UnverifiedAssertion | None
    secret: str | None


@dataclass(frozen=True)
class ExternalKey:
    """The key an external issuer publishes under an assertion's ``kid`` (RFC 7517 §4.5),
    fetched by the service before verification; ``key`` is ``None`` when the issuer's key set
    has no usable key of that id."""

    issuer: str
    kid: str
    key: PublicKey | None


@dataclass(frozen=True)
class AuthContext:
    """What a method needs to verify a client loaded from the path's tenant; ``external_key``
    is set for a federated credential only."""

    tenant: Tenant
    application: Application
    audiences: frozenset[str]
    profile: ProfileRules
    now: float
    secret_hasher: Callable[[str], bytes]
    external_key: ExternalKey | None = None


@dataclass(frozen=True)
class AuthenticatedClient:
    """A verified client; ``acr`` is ``"2"`` for a certificate and ``"1"`` for a secret;
    ``credential`` is the registered credential that verified (for the sign-in log).

    ``replay_key`` is set only when the profile requires a single-use ``jti``; the service
    records it with an atomic add-if-absent that lives until ``replay_until`` (epoch seconds,
    ``exp`` plus the profile's ``exp_skew``).
    """

    application: Application
    method: str
    acr: Literal["1", "2"]
    jti: str | None = None
    replay_key: str | None = None
    replay_until: float | None = None
    credential: KeyCredential | PasswordCredential | None = None


class ClientAuthMethod(Protocol):
    """An entry of ``METHODS``: how a request presents it, and how it is verified.

    ``name`` is the wire name discovery lists in ``token_endpoint_auth_methods_supported``.
    ``carrier`` names the request part holding the credential (a form parameter or the
    ``Authorization`` header): methods on different carriers presented together are two
    methods (RFC 6749 §2.3), while methods sharing a carrier are told apart by ``presents``,
    the first in registry order winning. ``present`` raises ``OAuthError`` on a malformed
    presentation; ``verify`` raises ``InvalidClient`` and never returns False.
    """

    @property
    def name(self) -> str: ...

    @property
    def carrier(self) -> str: ...

    def presents(self, req: TokenRequest) -> bool: ...

    def present(self, req: TokenRequest) -> Presented: ...

    def verify(self, presented: Presented, ctx: AuthContext) -> AuthenticatedClient: ...


def check_client_id(form_id: str | None, client_id: str, source: str) -> None:
    """A ``client_id`` parameter, when sent, names the client the credential names."""
    if form_id is not None and form_id != client_id:
        raise CLIENT_ID_MISMATCH(
            source=source, detail=f"client_id={form_id[:64]!r}, {source}={client_id[:64]!r}")
