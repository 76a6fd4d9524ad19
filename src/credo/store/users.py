"""Users and their directory roles: the SQL.

A user's ``user_principal_name`` is stored lower-cased and is unique across the directory;
directory roles are rows of ``user_directory_roles`` keyed by Entra's role template id and
are replaced together with the user in one transaction. Sign-in counters: ``signin.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.errors import ObjectConflict, ObjectNotFound
from credo.model import DIRECTORY_ROLE_TEMPLATES, DirectoryRoleName, ObjectId, TenantId, User
from credo.store.tables import tenants, user_directory_roles, users

_u = users.c
_r = user_directory_roles.c
_ROLE_BY_TEMPLATE: dict[str, DirectoryRoleName] = {
    template: name for name, template in DIRECTORY_ROLE_TEMPLATES.items()}


def _user_from(row: sa.Row[Any], templates: Sequence[str]) -> User:
    roles = tuple(name for name, template in DIRECTORY_ROLE_TEMPLATES.items()
                  if template in templates)
    return User(ObjectId(row.id), TenantId(row.tenant_id), row.user_principal_name,
                row.display_name, bool(row.account_enabled), roles, row.created,
                row.password_changed)


def _values(user: User) -> dict[str, Any]:
    return {"id": user.id, "tenant_id": user.tenant_id,
            "user_principal_name": user.user_principal_name.lower(),
            "display_name": user.display_name, "account_enabled": user.account_enabled,
            "created": user.created, "password_changed": user.password_changed}


async def _with_roles(conn: AsyncConnection, rows: Sequence[sa.Row[Any]]) -> list[User]:
    ids = [row.id for row in rows]
    held: dict[str, list[str]] = {i: [] for i in ids}
    if ids:
        for user_id, template in await conn.execute(
                sa.select(_r.user_id, _r.role_template_id).where(_r.user_id.in_(ids))):
            held[user_id].append(template)
    return [_user_from(row, held[row.id]) for row in rows]


async def select(conn: AsyncConnection, clause: sa.ColumnElement[bool]) -> list[User]:
    rows = (await conn.execute(sa.select(users).where(clause)
                               .order_by(_u.user_principal_name))).all()
    return await _with_roles(conn, rows)


async def password_hash(conn: AsyncConnection, user_id: ObjectId) -> str | None:
    found = await conn.scalar(sa.select(_u.password_hash).where(_u.id == user_id))
    return None if found is None else str(found)


async def _replace_roles(conn: AsyncConnection, user: User) -> None:
    await conn.execute(sa.delete(user_directory_roles).where(_r.user_id == user.id))
    rows = [{"user_id": user.id, "role_template_id": DIRECTORY_ROLE_TEMPLATES[name]}
            for name in dict.fromkeys(user.directory_roles)]
    if rows:
        await conn.execute(sa.insert(user_directory_roles), rows)


async def _check_upn_free(conn: AsyncConnection, user: User) -> None:
    other = await conn.scalar(sa.select(_u.id).where(
        _u.user_principal_name == user.user_principal_name.lower(), _u.id != user.id))
    if other is not None:
        raise ObjectConflict(f"Another object with the same value for property userPrincipalName "
                       f"already exists: '{user.user_principal_name}'.")


async def add(conn: AsyncConnection, user: User, hashed: str) -> bool:
    """Raises ``ObjectNotFound`` for an unknown tenant, ``ObjectConflict`` for a taken id or UPN."""
    if await conn.scalar(sa.select(tenants.c.id).where(tenants.c.id == user.tenant_id)) is None:
        raise ObjectNotFound(f"tenant {user.tenant_id} does not exist")
    if await conn.scalar(sa.select(_u.id).where(_u.id == user.id)) is not None:
        raise ObjectConflict(f"user {user.id} already exists")
    await _check_upn_free(conn, user)
    await conn.execute(sa.insert(users).values(**_values(user), password_hash=hashed))
    await _replace_roles(conn, user)
    return True


async def update(conn: AsyncConnection, user: User) -> bool:
    """Replaces the user's fields and roles (never its tenant or password)."""
    await _check_upn_free(conn, user)
    values = {k: v for k, v in _values(user).items() if k not in ("id", "tenant_id", "created")}
    done = await conn.execute(sa.update(users).where(_u.id == user.id).values(values))
    if done.rowcount == 0:
        raise ObjectNotFound(f"user {user.id} does not exist")
    await _replace_roles(conn, user)
    return True


async def set_password(conn: AsyncConnection, user_id: ObjectId, hashed: str,
                       changed: datetime) -> bool:
    done = await conn.execute(sa.update(users).where(_u.id == user_id)
                              .values(password_hash=hashed, password_changed=changed))
    if done.rowcount == 0:
        raise ObjectNotFound(f"user {user_id} does not exist")
    return True


async def delete(conn: AsyncConnection, user_id: ObjectId) -> bool:
    await conn.execute(sa.delete(user_directory_roles).where(_r.user_id == user_id))
    return (await conn.execute(sa.delete(users).where(_u.id == user_id))).rowcount > 0
