"""Client authentication: detect exactly one method, then verify it (RFC 6749 §2.3).

``METHODS`` is the registry keyed by the wire name used in discovery's
``token_endpoint_auth_methods_supported`` (STYLE.md rule 4).
"""

from __future__ import annotations

from credo.protocol.client_auth.client_secret import ClientSecret
from credo.protocol.client_auth.detect import detect, parse_assertion
from credo.protocol.client_auth.private_key_jwt import PrivateKeyJwt
from credo.protocol.client_auth.types import (
    JWT_BEARER,
    AuthContext,
    AuthenticatedClient,
    ClientAuthMethod,
    MethodName,
    Presented,
    UnverifiedAssertion,
)

METHODS: dict[str, ClientAuthMethod] = {
    "private_key_jwt": PrivateKeyJwt(),
    "client_secret_post": ClientSecret("client_secret_post"),
    "client_secret_basic": ClientSecret("client_secret_basic"),
}

__all__ = [
    "JWT_BEARER",
    "METHODS",
    "AuthContext",
    "AuthenticatedClient",
    "ClientAuthMethod",
    "MethodName",
    "Presented",
    "UnverifiedAssertion",
    "detect",
    "parse_assertion",
]
