"""``client_secret_post`` and ``client_secret_basic`` (RFC 6749 §2.3.1).

The presented secret is hashed once and compared with every registered credential using
``hmac.compare_digest``; the loop never exits early, so timing does not reveal which
credential matched.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from credo.aadsts import client, request
from credo.model import PasswordCredential
from credo.protocol.client_auth.types import (
    AuthContext,
    AuthenticatedClient,
    Presented,
    check_client_id,
)
from credo.protocol.forms import TokenRequest


class _ClientSecret:
    """The verification both secret methods share (RFC 6749 §2.3.1)."""

    name: str

    def verify(self, presented: Presented, ctx: AuthContext) -> AuthenticatedClient:
        """Authenticate with the secret, or raise ``InvalidClient``."""
        app = ctx.application
        if presented.secret is None or presented.client_id != app.app_id:
            raise client.WRONG_CLIENT(credential="client secret",
                                      detail="presented/context mismatch")
        digest = ctx.secret_hasher(presented.secret)
        now = datetime.fromtimestamp(ctx.now, UTC)
        valid_match: PasswordCredential | None = None
        stale_match = False
        for cred in app.password_credentials:
            same = hmac.compare_digest(digest, cred.secret_hash)
            current = cred.valid_at(now)
            valid_match = cred if same and current else valid_match
            stale_match |= same and not current
        if valid_match is not None:
            return AuthenticatedClient(application=app, method=self.name, acr="1",
                                       credential=valid_match)
        if stale_match:
            raise client.EXPIRED_SECRET(client_id=app.app_id, detail="secret outside validity")
        raise client.INVALID_SECRET(client_id=app.app_id, detail="no password credential matches")


class ClientSecretPost(_ClientSecret):
    """``METHODS["client_secret_post"]``: ``client_id`` and ``client_secret`` in the body."""

    name = "client_secret_post"
    carrier = "client_secret"

    def presents(self, req: TokenRequest) -> bool:
        return req.client_secret is not None

    def present(self, req: TokenRequest) -> Presented:
        if req.client_id is None:
            raise request.MISSING_BODY_PARAMETER(name="client_id")
        return Presented(self.name, req.client_id, None, req.client_secret)


class ClientSecretBasic(_ClientSecret):
    """``METHODS["client_secret_basic"]``: HTTP Basic (RFC 7617), ``client_id`` optional."""

    name = "client_secret_basic"
    carrier = "Authorization"

    def presents(self, req: TokenRequest) -> bool:
        return req.basic is not None

    def present(self, req: TokenRequest) -> Presented:
        if req.basic is None:
            raise client.NO_CREDENTIAL()
        client_id, secret = req.basic
        check_client_id(req.client_id, client_id, "client identified by HTTP Basic")
        return Presented(self.name, client_id, None, secret)
