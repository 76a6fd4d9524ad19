"""The caller a validated token describes, and the permission checks an API makes on it.

App-only tokens carry application permissions in ``roles``; delegated (user) tokens carry
delegated permissions in ``scp``, a space-separated string (entra-protocol-facts §4). A
missing permission raises ``InsufficientScope``, which renders as 403 with
``WWW-Authenticate: Bearer error="insufficient_scope"`` (RFC 6750 §3.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from credo.errors import InsufficientScope, TokenValidationError

USER_CLAIMS = ("upn", "preferred_username", "name", "unique_name")
"""Claims only a delegated token carries; their absence (with no ``scp``) means app-only."""


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
        """Raise ``InsufficientScope`` unless the token holds every one of ``roles``."""
        missing = [r for r in roles if r not in self.roles]
        if missing:
            raise _lacks("application", missing)

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


def principal_from_claims(claims: Mapping[str, Any], tenant_id: str, version: str) -> Principal:
    """Build the principal from validated claims; malformed permission claims raise.

    App-only means: no ``scp``, and ``idtyp`` is ``app`` or (without ``idtyp``) no user
    claim is present (entra-protocol-facts §4, "Delegated (user) token differences").
    """
    scopes = _scopes(claims)
    user = {name: _string(claims, name) for name in USER_CLAIMS}
    idtyp = _string(claims, "idtyp")
    app_only = not scopes and (idtyp == "app" or (idtyp is None and not any(user.values())))
    return Principal(
        tenant_id=tenant_id,
        app_id=_string(claims, "appid") or _string(claims, "azp"),
        object_id=_string(claims, "oid"),
        subject=_string(claims, "sub"),
        roles=_roles(claims),
        scopes=scopes,
        is_app_only=app_only,
        version=version,
        claims=MappingProxyType(dict(claims)),
        **user,
    )
