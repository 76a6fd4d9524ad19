"""Sign-in throttle counters and familiar addresses: the SQL.

Throttle rows are keyed by a SHA-256 of the caller's key and familiar addresses by the
caller's keyed hash, so neither user names nor addresses are kept in clear. Both upserts
are single statements (``INSERT … ON CONFLICT DO UPDATE``), atomic on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.model import ObjectId
from credo.store.tables import sign_in_familiar, sign_in_throttle

_t = sign_in_throttle.c
_f = sign_in_familiar.c


async def throttle_rows(conn: AsyncConnection, keys: Sequence[str]
                        ) -> dict[str, tuple[int, float]]:
    rows = await conn.execute(sa.select(_t.key, _t.failures, _t.last_failure)
                              .where(_t.key.in_(list(keys))))
    return {key: (int(failures), float(last)) for key, failures, last in rows}


def failure_upsert(dialect: str, key: str, now: float, reset_after: float) -> sa.Executable:
    """One atomic statement: a new row, or +1 (restarting at 1 after ``reset_after`` quiet)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(sign_in_throttle).values(key=key, failures=1, last_failure=now)
    return stmt.on_conflict_do_update(index_elements=[_t.key], set_={
        "failures": sa.case((_t.last_failure < now - reset_after, 1),
                            else_=_t.failures + 1),
        "last_failure": now})


async def clear(conn: AsyncConnection, keys: Sequence[str]) -> bool:
    await conn.execute(sa.delete(sign_in_throttle).where(_t.key.in_(list(keys))))
    return True


async def purge(conn: AsyncConnection, before: float) -> bool:
    await conn.execute(sa.delete(sign_in_throttle).where(_t.last_failure < before))
    return True


async def is_familiar(conn: AsyncConnection, user_id: ObjectId, address_hash: str,
                      since: float) -> bool:
    found = await conn.scalar(sa.select(_f.last_seen).where(
        _f.user_id == user_id, _f.address_hash == address_hash, _f.last_seen >= since))
    return found is not None


def familiar_upsert(dialect: str, user_id: ObjectId, address_hash: str,
                    now: float) -> sa.Executable:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(sign_in_familiar).values(user_id=user_id, address_hash=address_hash,
                                           last_seen=now)
    return stmt.on_conflict_do_update(index_elements=[_f.user_id, _f.address_hash],
                                      set_={"last_seen": now})


async def forget(conn: AsyncConnection, before: float) -> bool:
    await conn.execute(sa.delete(sign_in_familiar).where(_f.last_seen < before))
    return True
