"""The refresh token grant (RFC 6749 §6), with rotation and reuse detection.

Every use returns a new refresh token and retires the one presented (RFC 9700 §4.14.2
"refresh token rotation"). Presenting a retired token means two parties hold the family:
the service revokes the whole family before :func:`check` refuses the request. Like Entra's,
Credo's refresh tokens are multi-resource: ``scope`` may name another resource, and the
service issues only what the user has already consented to there. ``openid``/``profile``/
``email`` may only be asked for when first granted (RFC 6749 §6: "MUST NOT include any scope
not originally granted").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from credo.aadsts import client as client_errors
from credo.aadsts import grant
from credo.model import Application, RefreshToken, Tenant
from credo.protocol.client_auth.types import AuthenticatedClient
from credo.protocol.delegated_scopes import (
    OFFLINE_ACCESS,
    ScopeRequest,
    parse_scope,
    parse_v1,
)
from credo.protocol.forms import TokenRequest

REFRESH_LIFETIME = timedelta(days=90)
"""Entra's refresh-token lifetime (90 days, renewed by every rotation)."""


def requested_scopes(req: TokenRequest, token: RefreshToken, version: int) -> ScopeRequest:
    """The scopes a refresh asks for: the request's ``scope`` (v2) or ``resource`` (v1),
    or, when it sends none, the scopes first granted."""
    original = parse_scope(token.scope)
    if version == 1:
        asked = parse_v1(req.resource or original.resource, req.scope)
    else:
        asked = parse_scope(req.scope) if req.scope else original
    extra = set(asked.oidc) - set(original.oidc) - {OFFLINE_ACCESS}
    if extra:
        raise grant.SCOPE_NOT_GRANTED(scopes=" ".join(sorted(extra)))
    return ScopeRequest(original.oidc, asked.resource, asked.values, asked.default)


def check(*, token: RefreshToken | None, client: AuthenticatedClient | None,
          app: Application, tenant: Tenant, now: float) -> RefreshToken:
    """RFC 6749 §6: the token is live, was issued to this client in this tenant, and the
    client authenticates exactly when the token is a confidential client's."""
    if token is None or token.tenant_id != tenant.id or token.client_id != app.app_id:
        raise grant.INVALID_REFRESH_TOKEN()
    if token.revoked is not None or token.used is not None:
        raise grant.GRANT_REVOKED(reason=" The user might have changed or reset their "
                                  "password, or the refresh token was used twice.",
                                  detail=f"family {token.family_id} revoked")
    if now >= token.expires.timestamp():
        raise grant.EXPIRED_GRANT()
    if client is None and not token.public:
        raise client_errors.NO_CREDENTIAL()
    if client is not None and token.public:
        raise grant.PUBLIC_WITH_CREDENTIAL()
    return token


def refresh_expiry(now: float) -> datetime:
    """When a refresh token issued at ``now`` expires (renewed by every rotation)."""
    return datetime.fromtimestamp(now, UTC) + REFRESH_LIFETIME
