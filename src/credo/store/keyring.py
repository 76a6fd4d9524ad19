"""Token-signing keys, private parts sealed at rest (docs/architecture.md).

The ring holds at most one ``active`` and one ``next`` key (a partial unique index), so all
nodes publish the same JWKS. :func:`rotate` is a compare-and-swap on the active kid: of two
nodes rotating at once, one wins and the other gets False with nothing changed.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.errors import ObjectConflict
from credo.model import SigningKey
from credo.store.seal import Sealer
from credo.store.tables import signing_keys

_k = signing_keys.c


async def every(conn: AsyncConnection, sealer: Sealer) -> list[SigningKey]:
    """All stored keys, oldest first, private parts unsealed (aad = kid)."""
    rows = await conn.execute(sa.select(signing_keys).order_by(_k.created, _k.kid))
    return [SigningKey(kid=r.kid, state=r.state, cert_der=r.cert_der,
                       private_pem=sealer.unseal(r.private_sealed, r.kid.encode()),
                       created=r.created, activated=r.activated, retired=r.retired)
            for r in rows]


async def add(conn: AsyncConnection, sealer: Sealer, key: SigningKey) -> bool:
    """Raises ``ObjectConflict`` for a known kid, or a second ``active`` or ``next`` key."""
    if await conn.scalar(sa.select(_k.kid).where(_k.kid == key.kid)) is not None:
        raise ObjectConflict(f"signing key {key.kid} already exists")
    if key.state != "retired":
        holder = await conn.scalar(sa.select(_k.kid).where(_k.state == key.state))
        if holder is not None:
            raise ObjectConflict(f"signing key {holder} is already {key.state}")
    await _insert(conn, sealer, key)
    return True


async def rotate(conn: AsyncConnection, sealer: Sealer, *, expected_active: str | None,
                 new_next: SigningKey, now: datetime) -> bool:
    """next → active, active → retired, then ``new_next`` joins as next.

    The active key is retired only when a next key takes its place, so a ring is never left
    without an active key. Returns False (the caller rolls back) when the active kid is not
    ``expected_active``.
    """
    if new_next.state != "next":
        raise ValueError(f"the new key must be in state 'next', not {new_next.state!r}")
    if await conn.scalar(sa.select(_k.kid).where(_k.kid == new_next.kid)) is not None:
        raise ObjectConflict(f"signing key {new_next.kid} already exists")
    live = (await conn.execute(sa.select(_k.kid, _k.state)
                               .where(_k.state.in_(("active", "next"))).with_for_update())).all()
    active = next((r.kid for r in live if r.state == "active"), None)
    if active != expected_active:
        return False
    if any(r.state == "next" for r in live):
        await conn.execute(sa.update(signing_keys).where(_k.state == "active")
                           .values(state="retired", retired=now))
        await conn.execute(sa.update(signing_keys).where(_k.state == "next")
                           .values(state="active", activated=now))
    try:
        async with conn.begin_nested():
            await _insert(conn, sealer, new_next)
    except IntegrityError:
        return False  # a concurrent rotation inserted its next key first
    return True


async def purge(conn: AsyncConnection, before: datetime) -> int:
    done = await conn.execute(sa.delete(signing_keys).where(
        _k.state == "retired", _k.retired < before))
    return done.rowcount


async def _insert(conn: AsyncConnection, sealer: Sealer, key: SigningKey) -> None:
    await conn.execute(sa.insert(signing_keys).values(
        kid=key.kid, state=key.state, cert_der=key.cert_der,
        private_sealed=sealer.seal(key.private_pem, key.kid.encode()),
        created=key.created, activated=key.activated, retired=key.retired))
