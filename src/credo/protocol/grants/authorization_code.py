"""The authorization code grant's token request (RFC 6749 §4.1.3; RFC 7636 §4.5-4.6).

The service loads the code by its hash and, when the code was redeemed before, revokes
what it issued before calling :meth:`AuthorizationCodeGrant.check` (RFC 6749 §4.1.2: "If
an authorization code is used more than once, the authorization server MUST deny the
request and SHOULD revoke (when possible) all tokens previously issued based on that
authorization code"). Access tokens are self-contained JWTs and live until ``exp``; the
refresh tokens are what revocation reaches.

Who may redeem without a credential (RFC 6749 §2.1): a code sent to a ``spa`` or
``publicClient`` redirect URI, or any code of an app with ``isFallbackPublicClient``; such
a redemption always needs PKCE. A code sent to a ``web`` redirect URI of any other app needs
client authentication, and a public redirect URI refuses credentials (Entra AADSTS700025).
"""

from __future__ import annotations

from datetime import UTC, datetime

from credo.errors import InvalidClient, InvalidGrant, InvalidRequest
from credo.model import Application, AuthorizationCode, Tenant
from credo.protocol import pkce
from credo.protocol.client_auth.types import AuthenticatedClient
from credo.protocol.forms import MISSING_PARAMETER, TokenRequest

CODE_LIFETIME = 600
"""Seconds an authorization code stays redeemable (RFC 6749 §4.1.2: "A maximum
authorization code lifetime of 10 minutes is RECOMMENDED")."""
INVALID_CODE = 70000
EXPIRED = 70008
REDEEMED = 54005
REDIRECT_MISMATCH = 500117
CREDENTIAL_REQUIRED = 7000218
PUBLIC_WITH_CREDENTIAL = 700025


def missing(name: str) -> InvalidRequest:
    return InvalidRequest(MISSING_PARAMETER, "The request body must contain the following "
                          f"parameter: '{name}'.")


def presented(req: TokenRequest, name: str, limit: int = 4096) -> str:
    """The ``code`` or ``refresh_token`` parameter (RFC 6749 §4.1.3, §6), bounded."""
    value = req.params.get(name) or None
    if value is None:
        raise missing(name)
    if len(value) > limit:
        raise InvalidGrant(INVALID_CODE, f"The provided value for the '{name}' parameter is "
                           "not valid.", detail="too long")
    return value


def needs_credential() -> InvalidClient:
    return InvalidClient(CREDENTIAL_REQUIRED, "The request body must contain the following "
                         "parameter: 'client_assertion' or 'client_secret'.")


def refuses_credential() -> InvalidClient:
    return InvalidClient(PUBLIC_WITH_CREDENTIAL, "Client is public so neither "
                         "'client_assertion' nor 'client_secret' should be presented.")


def is_public(code: AuthorizationCode, app: Application) -> bool:
    """Whether the code may be redeemed without client authentication (RFC 6749 §2.1)."""
    return code.redirect_kind != "web" or app.is_fallback_public_client


class AuthorizationCodeGrant:
    """``GRANTS["authorization_code"]`` (RFC 6749 §4.1.3)."""

    grant_type = "authorization_code"
    public_clients = True

    def check(self, *, code: AuthorizationCode | None, req: TokenRequest,
              client: AuthenticatedClient | None, app: Application, tenant: Tenant,
              now: float) -> AuthorizationCode:
        """RFC 6749 §4.1.3 in order; ``client`` is ``None`` for a public client.

        RFC 6749 §10.6: the redirect URI must be "identical to the redirection URI provided
        when exchanging the authorization code", so a code stolen by a manipulated redirect
        cannot be redeemed elsewhere; RFC 7636 §4.6 binds it to the client's verifier.
        """
        if code is None or code.tenant_id != tenant.id or code.client_id != app.app_id:
            raise InvalidGrant(INVALID_CODE, "The provided value for the 'code' parameter is "
                               "not valid.", detail="unknown code, or another tenant's/client's")
        if code.used is not None:
            raise InvalidGrant(REDEEMED, "OAuth2 Authorization code was already redeemed, "
                               "please retry with a new valid code or use an existing refresh "
                               "token.")
        if now >= code.expires.timestamp():
            raise InvalidGrant(EXPIRED, "The provided authorization code or refresh token has "
                               "expired due to inactivity. Send a new interactive "
                               "authorization request for this user and resource.")
        self._check_client(code, app, client)
        redirect_uri = req.params.get("redirect_uri") or None
        if redirect_uri != code.redirect_uri:
            raise InvalidGrant(REDIRECT_MISMATCH, "The provided value for the input parameter "
                               "'redirect_uri' is not valid. The expected value is a URI which "
                               "matches the redirect URI used to obtain the authorization code.")
        pkce.verify(req.params.get("code_verifier") or None, code.code_challenge)
        return code

    @staticmethod
    def _check_client(code: AuthorizationCode, app: Application,
                      client: AuthenticatedClient | None) -> None:
        public = is_public(code, app)
        if client is None and not public:
            raise needs_credential()
        if client is not None and code.redirect_kind != "web":
            raise refuses_credential()
        if client is None and code.code_challenge is None:
            raise InvalidGrant(pkce.PKCE_REQUIRED, "Proof Key for Code Exchange is required "
                               "for a public client's authorization code.")


def expires_at(now: float) -> datetime:
    """When a code issued at ``now`` stops being redeemable."""
    return datetime.fromtimestamp(now + CODE_LIFETIME, UTC)
