"""The caller a validated token describes, and the permission checks an API makes on it.

App-only tokens carry application permissions in ``roles``; delegated (user) tokens carry
delegated permissions in ``scp``, a space-separated string, and may carry the user's own app
roles in ``roles``. A missing permission raises ``InsufficientScope``, which renders as 403
with ``WWW-Authenticate: Bearer error="insufficient_scope"`` (RFC 6750 §3.1).

App-only or user, one rule (Microsoft's; ``docs/resource-sdk.md``), used by ``Principal``,
the FastAPI dependencies and the Starlette backend alike:

1. ``idtyp`` decides when present: ``app`` or ``user``; any other value, or ``app`` with
   ``scp``, refuses the token;
2. without ``idtyp``: ``scp`` or a user claim (``USER_CLAIMS``) means a user; else ``oid``
   equal to ``sub`` means an app (the service principal is its own subject), ``oid`` other
   than ``sub`` a user;
3. a token of neither shape is refused (``TokenValidationError``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from credo.errors import InsufficientScope, TokenValidationError

USER_CLAIMS = ("upn", "preferred_username", "name", "unique_name")
"""Claims only a token about a user carries; an app-only token never has them."""
NEITHER = ("The token is neither an app-only token (idtyp 'app', or 'oid' equal to 'sub') nor "
           "a user token (idtyp 'user', 'scp', 'oid' other than 'sub', or user claims).")


def _names(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _alternatives(values: Iterable[str]) -> str:
    return " or ".join(f"'{v}'" for v in values)


def _lacks(kind: str, missing: list[str], *, either: bool = False) -> InsufficientScope:
    if len(missing) == 1:
        return InsufficientScope(f"The token lacks the {kind} permission '{missing[0]}'.")
    if either:
        return InsufficientScope(f"The token lacks the {kind} permission "
                                 f"{_alternatives(missing)}.")
    return InsufficientScope(f"The token lacks the {kind} permissions {_names(missing)}.")


@dataclass(frozen=True)
class Principal:
    """The validated caller: tenant, client app, object, permissions and user claims.

    ``app_id`` is ``appid`` (v1.0) or ``azp`` (v2.0); ``object_id`` is ``oid`` (the client's
    service principal for app-only tokens, the user for delegated ones); ``claims`` is the
    whole payload, read-only.
    """

    tenant_id: str
    app_id: str | None
    object_id: str | None
    subject: str | None
    roles: frozenset[str]
    scopes: frozenset[str]
    is_app_only: bool
    version: str
    claims: Mapping[str, Any]
    upn: str | None = None
    preferred_username: str | None = None
    name: str | None = None
    unique_name: str | None = None

    def require_roles(self, *roles: str) -> None:
        """Raise ``InsufficientScope`` unless the caller is app-only and holds every one of
        ``roles`` (application permissions; a user's own app roles do not count)."""
        if not self.is_app_only:
            raise InsufficientScope("This operation requires an app-only token; the token "
                                    "is for a signed-in user.")
        missing = [r for r in roles if r not in self.roles]
        if missing:
            raise _lacks("application", missing)

    def require_user_roles(self, *roles: str) -> None:
        """Raise ``InsufficientScope`` unless a signed-in user holds every one of ``roles``
        (app roles assigned to the user, in ``roles`` of a delegated token)."""
        if self.is_app_only:
            raise InsufficientScope("This operation requires a signed-in user; "
                                    "the token is app-only.")
        missing = [r for r in roles if r not in self.roles]
        if missing:
            noun = "app role" if len(missing) == 1 else "app roles"
            raise InsufficientScope(f"The signed-in user lacks the {noun} {_names(missing)}.")

    def require_scopes(self, *scopes: str) -> None:
        """Raise ``InsufficientScope`` unless the token holds every one of ``scopes``."""
        missing = [s for s in scopes if s not in self.scopes]
        if missing:
            raise _lacks("delegated", missing)

    def require_any(self, *, roles: Iterable[str] = (), scopes: Iterable[str] = ()) -> None:
        """App-only callers need one of ``roles``, delegated callers one of ``scopes``.

        For endpoints that serve both daemons and signed-in users (Microsoft.Identity.Web's
        ``RequiredScopeOrAppPermission``). An empty list refuses that kind of caller.
        """
        if self.is_app_only:
            wanted, held, kind = list(roles), self.roles, "application"
        else:
            wanted, held, kind = list(scopes), self.scopes, "delegated"
        if not wanted:
            raise InsufficientScope(f"This operation does not accept {kind} tokens.")
        if held.isdisjoint(wanted):
            raise _lacks(kind, wanted, either=True)

    def require_user(self, *, scopes: Iterable[str] = ()) -> None:
        """Refuse app-only tokens; with ``scopes``, the user token needs one of them."""
        if self.is_app_only:
            raise InsufficientScope("This operation requires a signed-in user; "
                                    "the token is app-only.")
        wanted = list(scopes)
        if wanted and self.scopes.isdisjoint(wanted):
            raise _lacks("delegated", wanted, either=True)


def _string(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TokenValidationError(f"The token claim '{name}' is not a string.")
    return value


def _roles(claims: Mapping[str, Any]) -> frozenset[str]:
    roles = claims.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise TokenValidationError("The token claim 'roles' is not an array of strings.")
    return frozenset(roles)


def _scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    scp = _string(claims, "scp")
    return frozenset(scp.split()) if scp else frozenset()


def is_app_only(claims: Mapping[str, Any], scopes: frozenset[str]) -> bool:
    """The module's rule: ``True`` for an app, ``False`` for a user, else refused."""
    idtyp = _string(claims, "idtyp")
    if idtyp is not None:
        if idtyp not in ("app", "user"):
            raise TokenValidationError("The token claim 'idtyp' is neither 'app' nor 'user'.")
        if idtyp == "app" and scopes:
            raise TokenValidationError("The token is app-only (idtyp 'app') but carries "
                                       "delegated permissions in 'scp'.")
        return idtyp == "app"
    if scopes or any(_string(claims, name) for name in USER_CLAIMS):
        return False
    oid, sub = _string(claims, "oid"), _string(claims, "sub")
    if not oid or not sub:
        raise TokenValidationError(NEITHER)
    return oid == sub


def principal_from_claims(claims: Mapping[str, Any], tenant_id: str, version: str) -> Principal:
    """Build the principal from validated claims; malformed or ambiguous claims raise."""
    scopes = _scopes(claims)
    return Principal(
        tenant_id=tenant_id,
        app_id=_string(claims, "appid") or _string(claims, "azp"),
        object_id=_string(claims, "oid"),
        subject=_string(claims, "sub"),
        roles=_roles(claims),
        scopes=scopes,
        is_app_only=is_app_only(claims, scopes),
        version=version,
        claims=MappingProxyType(dict(claims)),
        **{name: _string(claims, name) for name in USER_CLAIMS},
    )
