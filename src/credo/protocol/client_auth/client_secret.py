"""``client_secret_post`` and ``client_secret_basic`` (RFC 6749 §2.3.1).

The presented secret is hashed once and compared with every registered credential using
``hmac.compare_digest``; the loop never exits early, so timing does not reveal which
credential matched.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from credo.errors import InvalidClient
from credo.protocol.client_auth.detect import CLIENT_ID_MISMATCH
from credo.protocol.client_auth.types import (
    AuthContext,
    AuthenticatedClient,
    MethodName,
    Presented,
)

INVALID_SECRET = 7000215
EXPIRED_SECRET = 7000222


class ClientSecret:
    """``METHODS["client_secret_post"]`` and ``METHODS["client_secret_basic"]``."""

    def __init__(self, method: MethodName) -> None:
        self.method: MethodName = method

    def verify(self, presented: Presented, ctx: AuthContext) -> AuthenticatedClient:
        """RFC 6749 §2.3.1: authenticate with the secret, or raise ``InvalidClient``."""
        app = ctx.application
        if presented.secret is None or presented.client_id != app.app_id:
            raise InvalidClient(CLIENT_ID_MISMATCH, "The client secret does not identify this "
                                "application.", detail="presented/context mismatch")
        digest = ctx.secret_hasher(presented.secret)
        now = datetime.fromtimestamp(ctx.now, UTC)
        valid_match = stale_match = False
        for cred in app.password_credentials:
            same = hmac.compare_digest(digest, cred.secret_hash)
            current = cred.valid_at(now)
            valid_match |= same and current
            stale_match |= same and not current
        if valid_match:
            return AuthenticatedClient(application=app, method=self.method, acr="1")
        if stale_match:
            raise InvalidClient(EXPIRED_SECRET, "The provided client secret keys for app "
                                f"'{app.app_id}' are expired.", detail="secret outside validity")
        raise InvalidClient(
            INVALID_SECRET, "Invalid client secret provided. Ensure the secret being sent in the "
            "request is the client secret value, not the client secret ID, for a secret added "
            f"to app '{app.app_id}'.", detail="no password credential matches")
