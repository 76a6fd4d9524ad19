"""``SqlFlowStore``: the ``FlowStore`` over SQL (queries in ``flows.py``).

None of these writes bumps the directory version: no token snapshot holds a consent grant,
a code or a refresh token; the delegated flows read them from the store every time, so a
revoked consent stops new tokens at once. Expired codes and families are purged at most
every ``PURGE_INTERVAL_S``, piggybacked on code creation.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.model import AuthorizationCode, DelegatedGrant, ObjectId, RefreshToken, TenantId
from credo.store import flows
from credo.store.db import Database
from credo.store.tables import authorization_codes, delegated_grants

PURGE_INTERVAL_S = 300.0
_g = delegated_grants.c


class SqlFlowStore:
    """Implements ``store.api.FlowStore``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._purge_due = 0.0

    # -- delegated grants ------------------------------------------------------------------

    async def delegated_grants(self, tenant_id: TenantId | None, *,
                               client_id: ObjectId | None = None,
                               resource_id: ObjectId | None = None) -> list[DelegatedGrant]:
        clauses = [] if tenant_id is None else [_g.tenant_id == tenant_id]
        if client_id is not None:
            clauses.append(_g.client_id == client_id)
        if resource_id is not None:
            clauses.append(_g.resource_id == resource_id)
        async with self._db.read() as conn:
            return await flows.grants_where(conn, *clauses)

    async def delegated_grant(self, grant_id: str) -> DelegatedGrant | None:
        async with self._db.read() as conn:
            found = await flows.grants_where(conn, _g.id == grant_id)
        return found[0] if found else None

    async def save_delegated_grant(self, grant: DelegatedGrant) -> None:
        await self._db.write(lambda conn: flows.save_grant(conn, grant), bump=False)

    async def delete_delegated_grant(self, grant_id: str) -> None:
        await self._db.write(lambda conn: flows.delete_grant(conn, grant_id), bump=False)

    # -- authorization codes ---------------------------------------------------------------

    async def add_code(self, code: AuthorizationCode) -> None:
        async def op(conn: AsyncConnection) -> bool:
            await conn.execute(sa.insert(authorization_codes).values(flows.code_values(code)))
            return True

        await self._db.write(op, bump=False)
        if time.monotonic() >= self._purge_due:
            self._purge_due = time.monotonic() + PURGE_INTERVAL_S
            now = datetime.now(UTC)
            await self._db.write(lambda conn: flows.purge(conn, now), bump=False)

    async def authorization_code(self, code_hash: str) -> AuthorizationCode | None:
        async with self._db.read() as conn:
            return await flows.code(conn, code_hash)

    async def redeem_code(self, code_hash: str, now: datetime) -> bool:
        outcome: list[bool] = []

        async def op(conn: AsyncConnection) -> bool:
            outcome.append(await flows.redeem(conn, code_hash, now))
            return True  # a replay's revocation is committed too

        await self._db.write(op, bump=False)
        return outcome[0]

    # -- refresh tokens --------------------------------------------------------------------

    async def refresh_token(self, token_hash: str) -> RefreshToken | None:
        async with self._db.read() as conn:
            return await flows.token(conn, token_hash)

    async def issue_refresh_token(self, token: RefreshToken, *, retire: str | None,
                                  now: datetime) -> bool:
        outcome: list[bool] = []

        async def op(conn: AsyncConnection) -> bool:
            outcome.append(await flows.issue(conn, token, retire, now))
            return True  # a reuse's revocation is committed too

        await self._db.write(op, bump=False)
        return outcome[0]

    async def start_refresh_family(self, first: RefreshToken) -> None:
        async def op(conn: AsyncConnection) -> bool:
            await flows.start_family(conn, first)
            return True

        await self._db.write(op, bump=False)

    async def revoke_family(self, family_id: str, now: datetime) -> None:
        async def op(conn: AsyncConnection) -> bool:
            await flows.revoke_family(conn, family_id, now)
            return True

        await self._db.write(op, bump=False)

    async def revoke_user_tokens(self, user_id: ObjectId, now: datetime) -> None:
        async def op(conn: AsyncConnection) -> bool:
            await flows.revoke_user(conn, user_id, now)
            return True

        await self._db.write(op, bump=False)
