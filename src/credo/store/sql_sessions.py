"""``SqlSessionStore``: browser sessions over SQL, shared by every worker and node.

A row is found by the SHA-256 of the cookie's secret (the caller hashes it); the secret itself
is never stored. Sessions go with their user (``ON DELETE CASCADE``) and are purged once
expired. No write bumps the directory version: no token snapshot holds a session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.model import BrowserSession, ObjectId, TenantId
from credo.store.db import Database
from credo.store.tables import browser_sessions

_s = browser_sessions.c


def _session_from(row: sa.Row[Any]) -> BrowserSession:
    return BrowserSession(row.session_id, TenantId(row.tenant_id), ObjectId(row.user_id),
                          row.created, row.last_seen, row.expires)


class SqlSessionStore:
    """Implements ``store.api.SessionStore``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_session(self, token_hash: str, session: BrowserSession) -> None:
        values = {"token_hash": token_hash, "session_id": session.session_id,
                  "tenant_id": session.tenant_id, "user_id": session.user_id,
                  "created": session.created, "last_seen": session.last_seen,
                  "expires": session.expires}
        await self._run(sa.insert(browser_sessions).values(values))

    async def session(self, token_hash: str) -> BrowserSession | None:
        async with self._db.read() as conn:
            row = (await conn.execute(sa.select(browser_sessions)
                                      .where(_s.token_hash == token_hash))).first()
        return None if row is None else _session_from(row)

    async def touch_session(self, token_hash: str, seen: datetime) -> None:
        await self._run(sa.update(browser_sessions).where(_s.token_hash == token_hash)
                        .values(last_seen=seen))

    async def end_session(self, token_hash: str) -> None:
        await self._run(sa.delete(browser_sessions).where(_s.token_hash == token_hash))

    async def end_user_sessions(self, user_id: ObjectId) -> None:
        await self._run(sa.delete(browser_sessions).where(_s.user_id == user_id))

    async def purge_sessions(self, before: datetime) -> int:
        return await self._run(sa.delete(browser_sessions).where(_s.expires < before))

    async def _run(self, statement: sa.Insert | sa.Update | sa.Delete) -> int:
        """One statement in its own transaction; the number of rows it touched."""
        counted: list[int] = []

        async def op(conn: AsyncConnection) -> bool:
            counted.append((await conn.execute(statement)).rowcount)
            return True

        await self._db.write(op, bump=False)
        return counted[0]
