"""The authorization code grant's token request (RFC 6749 §4.1.3; RFC 7636 §4.5-4.6).

The service loads the code by its hash and, when the code was redeemed before, revokes
what it issued before calling :func:`check` (RFC 6749 §4.1.2: "If an authorization code is
used more than once, the authorization server MUST deny the request and SHOULD revoke (when
possible) all tokens previously issued based on that authorization code"). Access tokens are
self-contained JWTs and live until ``exp``; the refresh tokens are what revocation reaches.

Who may redeem without a credential (RFC 6749 §2.1): a code sent to a ``spa`` or
``publicClient`` redirect URI, or any code of an app with ``isFallbackPublicClient``; such
a redemption always needs PKCE. A code sent to a ``web`` redirect URI of any other app needs
client authentication, and a public redirect URI refuses credentials (Entra AADSTS700025).
"""

from __future__ import annotations

from datetime import UTC, datetime

from credo.aadsts import client as client_errors
from credo.aadsts import grant, request
from credo.model import Application, AuthorizationCode, Tenant
from credo.protocol import pkce
from credo.protocol.client_auth.types import AuthenticatedClient
from credo.protocol.forms import TokenRequest

CODE_LIFETIME = 600
"""Seconds an authorization code stays redeemable (RFC 6749 §4.1.2: "A maximum
authorization code lifetime of 10 minutes is RECOMMENDED")."""


def presented(req: TokenRequest, name: str, limit: int = 4096) -> str:
    """The ``code`` or ``refresh_token`` parameter (RFC 6749 §4.1.3, §6), bounded."""
    value = req.params.get(name) or None
    if value is None:
        raise request.MISSING_BODY_PARAMETER(name=name)
    if len(value) > limit:
        raise grant.INVALID_CODE(name=name, detail="too long")
    return value


def is_public(code: AuthorizationCode, app: Application) -> bool:
    """Whether the code may be redeemed without client authentication (RFC 6749 §2.1)."""
    return code.redirect_kind != "web" or app.is_fallback_public_client


def check(*, code: AuthorizationCode | None, req: TokenRequest,
          client: AuthenticatedClient | None, app: Application, tenant: Tenant,
          now: float) -> AuthorizationCode:
    """RFC 6749 §4.1.3 in order; ``client`` is ``None`` for a public client.

    RFC 6749 §10.6: the redirect URI must be "identical to the redirection URI provided
    when exchanging the authorization code", so a code stolen by a manipulated redirect
    cannot be redeemed elsewhere; RFC 7636 §4.6 binds it to the client's verifier.
    """
    if code is None or code.tenant_id != tenant.id or code.client_id != app.app_id:
        raise grant.INVALID_CODE(name="code",
                                 detail="unknown code, or another tenant's/client's")
    if code.used is not None:
        raise grant.CODE_REDEEMED()
    if now >= code.expires.timestamp():
        raise grant.EXPIRED_GRANT()
    _check_client(code, app, client)
    redirect_uri = req.params.get("redirect_uri") or None
    if redirect_uri != code.redirect_uri:
        raise grant.REDIRECT_MISMATCH()
    pkce.verify(req.params.get("code_verifier") or None, code.code_challenge)
    return code


def _check_client(code: AuthorizationCode, app: Application,
                  client: AuthenticatedClient | None) -> None:
    public = is_public(code, app)
    if client is None and not public:
        raise client_errors.NO_CREDENTIAL()
    if client is not None and code.redirect_kind != "web":
        raise grant.PUBLIC_WITH_CREDENTIAL()
    if client is None and code.code_challenge is None:
        raise grant.PKCE_REQUIRED_GRANT()


def expires_at(now: float) -> datetime:
    """When a code issued at ``now`` stops being redeemable."""
    return datetime.fromtimestamp(now + CODE_LIFETIME, UTC)
