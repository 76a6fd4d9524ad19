"""``SqlPortalTokenStore``: the portal's tokens per browser session, sealed at rest.

The payload (the portal's access and refresh tokens) is sealed with AES-256-GCM under the
master key, with the session's hash as associated data, so a blob copied to another
session's row does not open (``store/seal.py``). A row references its session with
``ON DELETE CASCADE``: whatever ends the session (sign-out, a password change, disabling or
deleting the user, expiry) deletes the tokens on every node.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.store.db import Database
from credo.store.seal import Sealer
from credo.store.tables import portal_tokens

_p = portal_tokens.c


class SqlPortalTokenStore:
    """Implements ``store.api.PortalTokenStore``."""

    def __init__(self, db: Database, sealer: Sealer) -> None:
        self._db = db
        self._sealer = sealer

    async def save_portal_tokens(self, session_hash: str, payload: bytes,
                                 updated: datetime) -> None:
        sealed = self._sealer.seal(payload, session_hash.encode("ascii"))

        async def op(conn: AsyncConnection) -> bool:
            await conn.execute(sa.delete(portal_tokens).where(_p.session_hash == session_hash))
            await conn.execute(sa.insert(portal_tokens).values(
                session_hash=session_hash, sealed=sealed, updated=updated))
            return True

        await self._db.write(op, bump=False)

    async def portal_tokens(self, session_hash: str) -> bytes | None:
        async with self._db.read() as conn:
            row = (await conn.execute(sa.select(_p.sealed)
                                      .where(_p.session_hash == session_hash))).first()
        if row is None:
            return None
        try:
            return self._sealer.unseal(row.sealed, session_hash.encode("ascii"))
        except ValueError:
            return None  # another key, or a blob moved from another row: sign in again

    async def forget_portal_tokens(self, session_hash: str) -> None:
        async def op(conn: AsyncConnection) -> bool:
            await conn.execute(sa.delete(portal_tokens).where(_p.session_hash == session_hash))
            return True

        await self._db.write(op, bump=False)
