"""Queries of the delegated flows: consent grants, codes, refresh-token families.

Codes and refresh tokens are stored as keyed hashes only. Single use is one atomic
``UPDATE … SET used = now WHERE … AND used IS NULL``: of two concurrent redemptions exactly
one updates the row (RFC 6749 §4.1.2, §10.5). A refresh-token family is one row whose
``revoked`` stops every token in it; issuing into a family first updates that row, so a
concurrent revocation and an issue are serialised by its row lock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.model import (
    AppId,
    AuthorizationCode,
    DelegatedGrant,
    ObjectId,
    RefreshToken,
    TenantId,
)
from credo.store.tables import (
    authorization_codes,
    delegated_grants,
    refresh_families,
    refresh_tokens,
)

_g = delegated_grants.c
_c = authorization_codes.c
_f = refresh_families.c
_t = refresh_tokens.c


# -- delegated grants (Graph oAuth2PermissionGrant) --------------------------------------------

def grant_values(g: DelegatedGrant) -> dict[str, Any]:
    return {"id": g.id, "tenant_id": g.tenant_id, "client_id": g.client_id,
            "consent_type": g.consent_type, "principal_id": g.principal_id,
            "resource_id": g.resource_id, "scope": g.scope, "created": g.created}


def grant_from(row: sa.Row[Any]) -> DelegatedGrant:
    return DelegatedGrant(
        id=row.id, tenant_id=TenantId(row.tenant_id), client_id=ObjectId(row.client_id),
        consent_type=row.consent_type,
        principal_id=ObjectId(row.principal_id) if row.principal_id else None,
        resource_id=ObjectId(row.resource_id), scope=row.scope, created=row.created)


async def grants_where(conn: AsyncConnection, *clauses: sa.ColumnElement[bool]
                       ) -> list[DelegatedGrant]:
    rows = await conn.execute(sa.select(delegated_grants).where(*clauses)
                              .order_by(_g.created.asc().nulls_first(), _g.id))
    return [grant_from(r) for r in rows]


async def save_grant(conn: AsyncConnection, grant: DelegatedGrant) -> bool:
    """Insert, or replace the scope of the grant with the same id."""
    done = await conn.execute(sa.update(delegated_grants).where(_g.id == grant.id)
                              .values(scope=grant.scope))
    if done.rowcount == 0:
        await conn.execute(sa.insert(delegated_grants).values(grant_values(grant)))
    return True


async def delete_grant(conn: AsyncConnection, grant_id: str) -> bool:
    await conn.execute(sa.delete(delegated_grants).where(_g.id == grant_id))
    return True


# -- authorization codes -----------------------------------------------------------------------

def code_values(code: AuthorizationCode) -> dict[str, Any]:
    return {"code_hash": code.code_hash, "tenant_id": code.tenant_id,
            "client_id": code.client_id, "redirect_uri": code.redirect_uri,
            "redirect_kind": code.redirect_kind, "user_id": code.user_id, "scope": code.scope,
            "resource": code.resource, "code_challenge": code.code_challenge,
            "nonce": code.nonce, "auth_time": code.auth_time, "session_id": code.session_id,
            "family_id": code.family_id, "version": code.version, "created": code.created,
            "expires": code.expires, "used": code.used}


def code_from(row: sa.Row[Any]) -> AuthorizationCode:
    return AuthorizationCode(
        code_hash=row.code_hash, tenant_id=TenantId(row.tenant_id),
        client_id=AppId(row.client_id), redirect_uri=row.redirect_uri,
        redirect_kind=row.redirect_kind, user_id=ObjectId(row.user_id), scope=row.scope,
        resource=row.resource, code_challenge=row.code_challenge, nonce=row.nonce,
        auth_time=row.auth_time, session_id=row.session_id, family_id=row.family_id,
        version=row.version, created=row.created, expires=row.expires, used=row.used)


async def code(conn: AsyncConnection, code_hash: str) -> AuthorizationCode | None:
    row = (await conn.execute(sa.select(authorization_codes)
                              .where(_c.code_hash == code_hash))).first()
    return code_from(row) if row else None


async def redeem(conn: AsyncConnection, code_hash: str, now: datetime) -> bool:
    """Marks the code used; True for the one caller that did. Its family row is created
    with it (so a replay can always revoke it); a replay revokes that family instead."""
    done = await conn.execute(sa.update(authorization_codes)
                              .where(_c.code_hash == code_hash, _c.used.is_(None))
                              .values(used=now))
    found = await code(conn, code_hash)
    if found is None:
        return False
    if done.rowcount == 1:
        await conn.execute(sa.insert(refresh_families).values(
            id=found.family_id, tenant_id=found.tenant_id, client_id=found.client_id,
            user_id=found.user_id, created=now, expires=found.expires, revoked=None))
        return True
    await revoke_family(conn, found.family_id, now)
    return False


# -- refresh tokens ----------------------------------------------------------------------------

def token_values(t: RefreshToken) -> dict[str, Any]:
    return {"token_hash": t.token_hash, "family_id": t.family_id, "tenant_id": t.tenant_id,
            "client_id": t.client_id, "user_id": t.user_id, "scope": t.scope,
            "public": t.public, "auth_time": t.auth_time, "session_id": t.session_id,
            "created": t.created, "expires": t.expires, "used": t.used}


def token_from(row: sa.Row[Any]) -> RefreshToken:
    return RefreshToken(
        token_hash=row.token_hash, family_id=row.family_id, tenant_id=TenantId(row.tenant_id),
        client_id=AppId(row.client_id), user_id=ObjectId(row.user_id), scope=row.scope,
        public=row.public, auth_time=row.auth_time, session_id=row.session_id,
        created=row.created, expires=row.expires, used=row.used, revoked=row.revoked)


async def token(conn: AsyncConnection, token_hash: str) -> RefreshToken | None:
    query = (sa.select(refresh_tokens, _f.revoked)
             .join(refresh_families, _f.id == _t.family_id)
             .where(_t.token_hash == token_hash))
    row = (await conn.execute(query)).first()
    return token_from(row) if row else None


async def issue(conn: AsyncConnection, new: RefreshToken, retire: str | None,
                now: datetime) -> bool:
    """Adds ``new`` to its live family, retiring the token hashed ``retire`` (rotation).

    False, with nothing issued, when the family is revoked or gone; False, with the family
    revoked, when ``retire`` was already retired (reuse).
    """
    live = await conn.execute(sa.update(refresh_families)
                              .where(_f.id == new.family_id, _f.revoked.is_(None))
                              .values(expires=new.expires))
    if live.rowcount != 1:
        return False
    if retire is not None:
        retired = await conn.execute(sa.update(refresh_tokens)
                                     .where(_t.token_hash == retire, _t.used.is_(None),
                                            _t.family_id == new.family_id)
                                     .values(used=now))
        if retired.rowcount != 1:
            await revoke_family(conn, new.family_id, now)
            return False
    await conn.execute(sa.insert(refresh_tokens).values(token_values(new)))
    return True


async def start_family(conn: AsyncConnection, first: RefreshToken) -> None:
    """A new family whose first token is ``first`` (a grant without a code: on-behalf-of)."""
    await conn.execute(sa.insert(refresh_families).values(
        id=first.family_id, tenant_id=first.tenant_id, client_id=first.client_id,
        user_id=first.user_id, created=first.created, expires=first.expires, revoked=None))
    await conn.execute(sa.insert(refresh_tokens).values(token_values(first)))


async def revoke_family(conn: AsyncConnection, family_id: str, now: datetime) -> int:
    done = await conn.execute(sa.update(refresh_families)
                              .where(_f.id == family_id, _f.revoked.is_(None))
                              .values(revoked=now))
    return int(done.rowcount)


async def revoke_user(conn: AsyncConnection, user_id: str, now: datetime) -> int:
    done = await conn.execute(sa.update(refresh_families)
                              .where(_f.user_id == user_id, _f.revoked.is_(None))
                              .values(revoked=now))
    return int(done.rowcount)


async def purge(conn: AsyncConnection, before: datetime) -> bool:
    """Deletes codes and families (with their tokens) that expired before ``before``."""
    await conn.execute(sa.delete(authorization_codes).where(_c.expires < before))
    await conn.execute(sa.delete(refresh_tokens).where(_t.family_id.in_(
        sa.select(_f.id).where(_f.expires < before))))
    await conn.execute(sa.delete(refresh_families).where(_f.expires < before))
    return True
