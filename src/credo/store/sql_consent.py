"""``SqlConsentStore``: admin consent as one transaction (docs/protocol.md,
"Admin consent and permissions").

The client's service principal (for a multi-tenant app consented in a foreign tenant) and
every new app-role assignment are written together, after the directory version is bumped,
so either the whole consent is visible to the token path or none of it is. Assignments
already held are skipped inside the transaction, which makes a repeated consent a no-op;
delegated scopes are merged into the ``AllPrincipals`` grant of the (client, resource)
pair (Graph ``oAuth2PermissionGrant``), created when there is none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.model import AppRoleAssignment, DelegatedGrant, ServicePrincipal
from credo.store import flows, principals
from credo.store.db import Database
from credo.store.tables import app_role_assignments, delegated_grants

_ara = app_role_assignments.c
_g = delegated_grants.c


class SqlConsentStore:
    """Implements ``store.api.ConsentWriter``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def apply_admin_consent(self, new_sp: ServicePrincipal | None,
                                  assignments: Sequence[AppRoleAssignment],
                                  delegated: Sequence[DelegatedGrant] = (),
                                  ) -> list[AppRoleAssignment]:
        created: list[AppRoleAssignment] = []

        async def op(conn: AsyncConnection) -> bool:
            created.clear()
            if new_sp is not None:
                await principals.save(conn, new_sp)
            for assignment in assignments:
                if not await _held(conn, assignment):
                    await principals.add_assignment(conn, assignment)
                    created.append(assignment)
            for grant in delegated:
                await _merge_grant(conn, grant)
            return True

        await self._db.write(op, bump=True)
        return list(created)


async def _held(conn: AsyncConnection, a: AppRoleAssignment) -> bool:
    found = await conn.scalar(sa.select(_ara.id).where(
        _ara.principal_id == a.principal_id, _ara.resource_id == a.resource_id,
        _ara.app_role_id == a.app_role_id))
    return found is not None


async def _merge_grant(conn: AsyncConnection, grant: DelegatedGrant) -> None:
    found = await flows.grants_where(conn, _g.client_id == grant.client_id,
                                     _g.resource_id == grant.resource_id,
                                     _g.consent_type == "AllPrincipals")
    if not found:
        await flows.save_grant(conn, grant)
        return
    current = found[0]
    scope = " ".join(dict.fromkeys([*current.scope.split(), *grant.scope.split()]))
    if scope != current.scope:
        await flows.save_grant(conn, dataclasses.replace(current, scope=scope))
