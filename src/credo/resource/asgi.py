"""Starlette ``AuthenticationMiddleware`` backend for Credo and Entra ID bearer tokens.

::

    validator = TokenValidator("https://127.0.0.1:8443/contoso.example", "api://mail")
    backend = CredoAuthBackend(validator)
    app = Starlette(routes=..., middleware=[
        Middleware(AuthenticationMiddleware, backend=backend, on_error=backend.on_error)])

    @requires("role:Mail.Read")            # app-only callers holding Mail.Read
    async def messages(request): principal = request.user.principal ...

``request.auth.scopes`` holds ``authenticated``, then ``role:<value>`` for each application
permission of an app-only caller, or, for a signed-in user, ``scp:<value>`` for each
delegated scope and ``user_role:<value>`` for each app role assigned to the user (app-only
or user by the rule of ``credo.resource.principal``). A request without a bearer token
passes through unauthenticated; a bad token is answered by ``on_error`` with the RFC 6750 §3
401 (503 when the authority's keys cannot be read).
"""

from __future__ import annotations

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import Response

from credo.errors import TokenValidationError
from credo.resource.challenge import refusal
from credo.resource.principal import Principal
from credo.resource.transport import MetadataUnavailable
from credo.resource.validator import TokenValidator


class CredoUser(BaseUser):
    """``request.user`` for a validated token; ``principal`` holds everything it said."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        p = self.principal
        return p.name or p.preferred_username or p.upn or p.unique_name or p.app_id or ""

    @property
    def identity(self) -> str:
        return self.principal.object_id or self.principal.subject or ""


class BearerAuthenticationError(AuthenticationError):
    """Raised by ``CredoAuthBackend.authenticate``; carries the validation error."""

    def __init__(self, error: TokenValidationError | MetadataUnavailable) -> None:
        super().__init__(error.description)
        self.error = error


def auth_scopes(principal: Principal) -> list[str]:
    """``authenticated``, then ``role:`` (app-only) or ``scp:`` and ``user_role:``, sorted."""
    if principal.is_app_only:
        return ["authenticated", *(f"role:{r}" for r in sorted(principal.roles))]
    return ["authenticated", *(f"scp:{s}" for s in sorted(principal.scopes)),
            *(f"user_role:{r}" for r in sorted(principal.roles))]


def bearer_token(conn: HTTPConnection) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (RFC 6750 §2.1), else ``None``."""
    scheme, _, token = conn.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class CredoAuthBackend(AuthenticationBackend):
    """Validates the bearer token of each request with ``validator``.

    ``realm`` (default: the validator's first audience) names the protection space in the
    ``WWW-Authenticate`` challenge (RFC 6750 §3).
    """

    def __init__(self, validator: TokenValidator, *, realm: str | None = None) -> None:
        self.validator = validator
        self.realm = validator.audiences[0] if realm is None else realm

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        token = bearer_token(conn)
        if token is None:
            return None
        try:
            principal = await self.validator.validate(token)
        except (TokenValidationError, MetadataUnavailable) as error:
            raise BearerAuthenticationError(error) from error
        return AuthCredentials(auth_scopes(principal)), CredoUser(principal)

    def on_error(self, conn: HTTPConnection, exc: AuthenticationError) -> Response:
        """The RFC 6750 §3 answer: 401 ``invalid_token`` (503 if keys are unreachable)."""
        if isinstance(exc, BearerAuthenticationError):
            return refusal(exc.error, self.realm).response()
        return refusal(TokenValidationError(str(exc)), self.realm).response()
