"""FastAPI dependencies that validate the bearer token and check permissions.

Each factory returns a dependency that yields the caller's ``Principal``::

    validator = TokenValidator("https://127.0.0.1:8443/contoso.example", "api://mail")
    install_error_handlers(app)

    @app.get("/v1.0/users/{user}/messages")
    async def messages(user: str, caller: Principal = Depends(
            require_any(validator, roles=["Mail.Read"], scopes=["Mail.Read"]))): ...

* ``require_roles(v, *roles)`` / ``require_scopes(v, *scopes)``: every one listed;
* ``require_any(v, roles=[…], scopes=[…])``: app-only callers need one of ``roles``,
  delegated callers one of ``scopes``;
* ``require_user(v, scopes=[…])``: delegated callers only (``/me`` endpoints), with one of
  ``scopes`` when given;
* ``require_user_roles(v, *roles)``: delegated callers holding every one of these app roles
  assigned to the user (``require_roles`` is for app-only callers);
* ``require_token(v)``: any valid token.

A refusal is raised as ``BearerError``, a ``fastapi.HTTPException`` carrying the status and
the RFC 6750 §3 ``WWW-Authenticate`` header, so it is correct even without set-up;
``install_error_handlers(app)`` renders its body as ``{"error", "error_description"}``
instead of FastAPI's ``{"detail"}``, and also handles a ``TokenValidationError`` raised by
your own code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from credo.errors import TokenValidationError
from credo.resource.challenge import Refusal, missing_token, refusal
from credo.resource.principal import Principal
from credo.resource.transport import MetadataUnavailable
from credo.resource.validator import TokenValidator

Dependency = Callable[..., Awaitable[Principal]]

_bearer = HTTPBearer(auto_error=False, scheme_name="CredoBearer",
                     description="An access token from Credo or Entra ID (RFC 6750 §2.1).")


class BearerError(HTTPException):
    """A refused request: 401, 403 (RFC 6750 §3.1) or 503 with its headers and body."""

    def __init__(self, answer: Refusal) -> None:
        super().__init__(answer.status, answer.body.get("error_description"),
                         headers=answer.headers)
        self.refusal = answer


def _dependency(validator: TokenValidator, check: Callable[[Principal], None],
                realm: str | None) -> Dependency:
    space = validator.audiences[0] if realm is None else realm

    async def credo_principal(credentials: HTTPAuthorizationCredentials | None = Depends(
            _bearer)) -> Principal:
        if credentials is None:
            raise BearerError(missing_token(space))
        try:
            principal = await validator.validate(credentials.credentials)
            check(principal)
        except (TokenValidationError, MetadataUnavailable) as error:
            raise BearerError(refusal(error, space)) from error
        return principal

    return credo_principal


def require_token(validator: TokenValidator, *, realm: str | None = None) -> Dependency:
    """Any valid token; the endpoint checks permissions itself."""
    return _dependency(validator, lambda principal: None, realm)


def require_roles(validator: TokenValidator, *roles: str,
                  realm: str | None = None) -> Dependency:
    """A valid token holding every one of ``roles`` (application permissions)."""
    return _dependency(validator, lambda p: p.require_roles(*roles), realm)


def require_scopes(validator: TokenValidator, *scopes: str,
                   realm: str | None = None) -> Dependency:
    """A valid token holding every one of ``scopes`` (delegated permissions)."""
    return _dependency(validator, lambda p: p.require_scopes(*scopes), realm)


def require_any(validator: TokenValidator, *, roles: Iterable[str] = (),
                scopes: Iterable[str] = (), realm: str | None = None) -> Dependency:
    """App-only callers with one of ``roles``, or delegated callers with one of ``scopes``."""
    roles, scopes = tuple(roles), tuple(scopes)
    return _dependency(validator, lambda p: p.require_any(roles=roles, scopes=scopes), realm)


def require_user(validator: TokenValidator, *, scopes: Iterable[str] = (),
                 realm: str | None = None) -> Dependency:
    """A delegated (user) token, with one of ``scopes`` when given; app-only gets 403."""
    scopes = tuple(scopes)
    return _dependency(validator, lambda p: p.require_user(scopes=scopes), realm)


def require_user_roles(validator: TokenValidator, *roles: str,
                       realm: str | None = None) -> Dependency:
    """A delegated (user) token whose user holds every one of ``roles`` (app roles)."""
    return _dependency(validator, lambda p: p.require_user_roles(*roles), realm)


def install_error_handlers(app: FastAPI, *, realm: str = "") -> None:
    """Render ``BearerError`` and ``TokenValidationError`` as RFC 6750 §3 JSON answers.

    ``realm`` is used for a ``TokenValidationError`` raised outside the dependencies.
    """
    async def bearer_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, BearerError):
            return exc.refusal.response()
        if isinstance(exc, TokenValidationError):
            return refusal(exc, realm).response()
        raise exc  # pragma: no cover - registered for these two classes only

    app.add_exception_handler(BearerError, bearer_error)
    app.add_exception_handler(TokenValidationError, bearer_error)
