"""User and admin consent to delegated scopes (OIDC Core §3.1.2.4; docs/protocol.md,
"Admin consent and permissions").

A resource's ``oauth2PermissionScopes`` of type ``User`` may be consented by any user for
themselves (a ``Principal`` grant); type ``Admin`` only by an administrator, for themselves
or on behalf of the organisation (an ``AllPrincipals`` grant). A delegated token's ``scp``
carries exactly the requested scopes that such a grant covers for this user. ``.default``
asks for the client's static permissions: its ``requiredResourceAccess`` ``Scope`` entries
and whatever was already consented.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from credo.aadsts import user
from credo.model import Application, DelegatedGrant, ObjectId, PermissionScope
from credo.protocol.delegated_scopes import ScopeRequest


@dataclass(frozen=True)
class ConsentState:
    """What a request asks of one resource, against what this user has consented.

    ``wanted`` are the enabled scopes requested (``.default`` expanded); ``granted`` the
    values a grant covers for this user; ``missing`` the wanted scopes not granted yet.
    """

    wanted: tuple[PermissionScope, ...]
    granted: frozenset[str]

    @property
    def missing(self) -> tuple[PermissionScope, ...]:
        return tuple(s for s in self.wanted if s.value not in self.granted)

    @property
    def needs_admin(self) -> tuple[PermissionScope, ...]:
        return tuple(s for s in self.missing if s.type == "Admin")

    @property
    def scp(self) -> tuple[str, ...]:
        """The ``scp`` values: wanted and granted, in request order."""
        return tuple(s.value for s in self.wanted if s.value in self.granted)


def applicable(grants: Iterable[DelegatedGrant], user_id: ObjectId) -> tuple[DelegatedGrant, ...]:
    """The grants that speak for ``user_id``: ``AllPrincipals`` ones and the user's own."""
    return tuple(g for g in grants if g.consent_type == "AllPrincipals"
                 or g.principal_id == user_id)


def _static(client: Application, resource: Application,
            granted: frozenset[str]) -> tuple[PermissionScope, ...]:
    """``.default``: the client's ``requiredResourceAccess`` scopes plus those consented."""
    ids = {a.id for rra in client.required_resource_access
           if rra.resource_app_id == resource.app_id
           for a in rra.resource_access if a.type == "Scope"}
    return tuple(s for s in resource.oauth2_permission_scopes
                 if s.is_enabled and (s.id in ids or s.value in granted))


def consent_state(*, client: Application, resource: Application, request: ScopeRequest,
                  grants: Sequence[DelegatedGrant], user_id: ObjectId) -> ConsentState:
    """Resolve the requested scopes on ``resource`` and what the user's grants cover.

    Raises ``InvalidScope`` for a scope the resource does not define (AADSTS650053) and for
    a ``.default`` that names nothing (AADSTS650057).
    """
    granted = frozenset().union(*(g.scopes for g in applicable(grants, user_id)))
    if request.default:
        wanted = _static(client, resource, granted)
        if not wanted:
            raise user.NOT_CONFIGURED(client_id=client.app_id, resource_id=resource.app_id)
        return ConsentState(wanted, granted)
    defined = {s.value: s for s in resource.oauth2_permission_scopes if s.is_enabled}
    for value in request.values:
        if value not in defined:
            raise user.UNKNOWN_PERMISSION(client=client.display_name[:100], kind="scope",
                                          value=value[:100], resource_id=resource.app_id)
    return ConsentState(tuple(defined[v] for v in request.values), granted)


def must_prompt(state: ConsentState, *, prompt: frozenset[str], is_admin: bool,
                client: Application) -> bool:
    """Whether to show the consent page; raises when consent is needed but cannot be given.

    OIDC Core §3.1.2.6: with ``prompt=none`` a missing consent is ``consent_required``.
    A scope of type ``Admin`` that a non-administrator would have to consent to is
    AADSTS90094 ("needs permission ... that only an admin can grant").
    """
    missing = state.missing
    if missing and "none" in prompt:
        raise user.NOT_CONSENTED(client_id=client.app_id, client_name=client.display_name[:100])
    if state.needs_admin and not is_admin:
        raise user.ADMIN_APPROVAL(client_name=client.display_name[:100])
    return bool(missing) or "consent" in prompt or "admin_consent" in prompt


def require_consented(state: ConsentState, client: Application) -> None:
    """Without a user present (refresh, RFC 6749 §6): every wanted scope must be granted;
    Entra answers ``invalid_grant`` AADSTS65001, which MSAL turns into an interactive flow."""
    if state.missing:
        raise user.NOT_CONSENTED_GRANT(client_id=client.app_id,
                                       client_name=client.display_name[:100])


def merged_scope(existing: str, added: Iterable[str]) -> str:
    """A grant's ``scope`` after consenting to ``added`` (existing order kept, no repeats)."""
    values = existing.split()
    for value in added:
        if value not in values:
            values.append(value)
    return " ".join(values)
