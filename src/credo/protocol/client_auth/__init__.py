"""Client authentication: detect exactly one method, then verify it (RFC 6749 §2.3).

``METHODS`` is the registry, keyed by the wire name, in the order discovery lists them in
``token_endpoint_auth_methods_supported``. Detection and discovery iterate it: a new method
is one module implementing ``ClientAuthMethod`` plus one line here.
"""

from __future__ import annotations

from credo.aadsts import client, request
from credo.protocol.client_auth.assertion import parse_assertion
from credo.protocol.client_auth.client_secret import ClientSecretBasic, ClientSecretPost
from credo.protocol.client_auth.federated import FederatedCredential
from credo.protocol.client_auth.private_key_jwt import PrivateKeyJwt
from credo.protocol.client_auth.types import (
    JWT_BEARER,
    AuthContext,
    AuthenticatedClient,
    ClientAuthMethod,
    ExternalKey,
    Presented,
    UnverifiedAssertion,
)
from credo.protocol.forms import TokenRequest

METHODS: dict[str, ClientAuthMethod] = {m.name: m for m in (
    ClientSecretPost(),
    FederatedCredential(),
    PrivateKeyJwt(),
    ClientSecretBasic(),
)}


def presented_by(req: TokenRequest) -> Presented | None:
    """The one method ``req`` presents, or ``None`` (RFC 6749 §2.3: "The client MUST NOT use
    more than one authentication method in each request"; RFC 7521 §4.2)."""
    found = [m for m in METHODS.values() if m.presents(req)]
    if len(found) > 1 and len({m.carrier for m in found}) > 1:
        raise request.TWO_METHODS(detail=f"presented: {', '.join(m.name for m in found)}")
    return found[0].present(req) if found else None


def detect(req: TokenRequest) -> Presented:
    """The one method ``req`` presents; none is ``invalid_client`` (RFC 6749 §5.2)."""
    presented = presented_by(req)
    if presented is None:
        raise client.NO_CREDENTIAL()
    return presented


__all__ = [
    "JWT_BEARER",
    "METHODS",
    "AuthContext",
    "AuthenticatedClient",
    "ClientAuthMethod",
    "ExternalKey",
    "Presented",
    "UnverifiedAssertion",
    "detect",
    "parse_assertion",
    "presented_by",
]
