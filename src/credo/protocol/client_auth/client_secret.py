"""``client_secret_post`` and ``client_secret_basic`` (RFC 6749 §2.3.1).

The presented secret is hashed once and compared with every registered credential using
``hmac.compare_digest``; the loop never exits early, so timing does not reveal which
credential matched.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from credo.aadsts import client
from credo.protocol.client_auth.types import (
    AuthContext,
    AuthenticatedClient,
    MethodName,
    Presented,
)


class ClientSecret:
    """``METHODS["client_secret_post"]`` and ``METHODS["client_secret_basic"]``."""

    def __init__(self, method: MethodName) -> None:
        self.method: MethodName = method

    def verify(self, presented: Presented, ctx: AuthContext) -> AuthenticatedClient:
        """RFC 6749 §2.3.1: authenticate with the secret, or raise ``InvalidClient``."""
        app = ctx.application
        if presented.secret is None or presented.client_id != app.app_id:
            raise client.WRONG_CLIENT(credential="client secret",
                                      detail="presented/context mismatch")
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
            raise client.EXPIRED_SECRET(client_id=app.app_id, detail="secret outside validity")
        raise client.INVALID_SECRET(client_id=app.app_id, detail="no password credential matches")
