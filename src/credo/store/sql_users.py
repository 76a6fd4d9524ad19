"""``SqlUserStore``: ``UserDirectory``, ``SignInThrottle`` and ``FamiliarAddresses`` over SQL.

User writes do not bump the directory version: no token snapshot holds a user. Throttle
counters and familiar addresses are written without touching the directory either; rows
quiet for longer than the policy's windows are purged at most every
``THROTTLE_PURGE_INTERVAL_S``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from credo.errors import ObjectNotFound
from credo.model import ObjectId, TenantId, User
from credo.store import signin, users
from credo.store.db import Database
from credo.store.tables import users as users_table

THROTTLE_PURGE_INTERVAL_S = 300.0
_u = users_table.c


def throttle_key(key: str) -> str:
    """The stored form of a throttle key: SHA-256 hex (no user name or address in clear)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class SqlUserStore:
    """Implements ``store.api`` ``UserDirectory``, ``SignInThrottle``, ``FamiliarAddresses``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._purge_due = 0.0
        self._forget_due = 0.0

    async def user(self, user_id: ObjectId) -> User | None:
        async with self._db.read() as conn:
            found = await users.select(conn, _u.id == user_id)
        return found[0] if found else None

    async def user_by_upn(self, user_principal_name: str) -> User | None:
        async with self._db.read() as conn:
            found = await users.select(conn,
                                       _u.user_principal_name == user_principal_name.lower())
        return found[0] if found else None

    async def users(self, tenant_id: TenantId) -> list[User]:
        async with self._db.read() as conn:
            return await users.select(conn, _u.tenant_id == tenant_id)

    async def add_user(self, user: User, password_hash: str) -> None:
        await self._db.write(lambda conn: users.add(conn, user, password_hash), bump=False)

    async def update_user(self, user: User, *, password_hash: str | None = None) -> None:
        async def op(conn: AsyncConnection) -> bool:
            await users.update(conn, user)
            if password_hash is not None and user.password_changed is not None:
                await users.set_password(conn, user.id, password_hash, user.password_changed)
            return True

        await self._db.write(op, bump=False)

    async def set_password_hash(self, user_id: ObjectId, password_hash: str,
                                changed: datetime) -> None:
        await self._db.write(
            lambda conn: users.set_password(conn, user_id, password_hash, changed), bump=False)

    async def password_hash(self, user_id: ObjectId) -> str | None:
        async with self._db.read() as conn:
            return await users.password_hash(conn, user_id)

    async def delete_user(self, user_id: ObjectId) -> None:
        await self._db.write(lambda conn: users.delete(conn, user_id), bump=False)

    # -- SignInThrottle ------------------------------------------------------------------

    async def failure_counts(self, keys: Sequence[str]) -> dict[str, tuple[int, float]]:
        hashed = {throttle_key(k): k for k in keys}
        async with self._db.read() as conn:
            rows = await signin.throttle_rows(conn, list(hashed))
        return {hashed[h]: value for h, value in rows.items()}

    async def add_failure(self, keys: Sequence[str], now: float, reset_after: float) -> None:
        statements = [signin.failure_upsert(self._db.dialect, throttle_key(k), now, reset_after)
                      for k in sorted(set(keys))]  # one lock order for every writer

        async def op(conn: AsyncConnection) -> bool:
            for stmt in statements:
                await conn.execute(stmt)
            return True

        await self._db.write(op, bump=False)
        if time.monotonic() >= self._purge_due:
            self._purge_due = time.monotonic() + THROTTLE_PURGE_INTERVAL_S
            await self._db.write(lambda conn: signin.purge(conn, now - reset_after), bump=False)

    async def clear_failures(self, keys: Sequence[str]) -> None:
        hashed = [throttle_key(k) for k in keys]
        await self._db.write(lambda conn: signin.clear(conn, hashed), bump=False)

    # -- FamiliarAddresses ---------------------------------------------------------------

    async def is_familiar(self, user_id: ObjectId, address_hash: str, since: float) -> bool:
        async with self._db.read() as conn:
            return await signin.is_familiar(conn, user_id, address_hash, since)

    async def remember_address(self, user_id: ObjectId, address_hash: str, now: float,
                               forget_before: float) -> None:
        stmt = signin.familiar_upsert(self._db.dialect, user_id, address_hash, now)

        async def op(conn: AsyncConnection) -> bool:
            await conn.execute(stmt)
            return True

        try:
            await self._db.write(op, bump=False)
        except ObjectNotFound:
            return  # the user was deleted meanwhile
        if time.monotonic() >= self._forget_due:
            self._forget_due = time.monotonic() + THROTTLE_PURGE_INTERVAL_S
            await self._db.write(lambda conn: signin.forget(conn, forget_before), bump=False)
