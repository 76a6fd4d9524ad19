"""Resolving the ``{tenant}`` path segment: a GUID or one of the tenant's verified domains."""

from __future__ import annotations

import re

from credo.aadsts.service import PAGE_TENANT, TOKEN_TENANT
from credo.errors import UnknownTenant
from credo.model import Tenant
from credo.service.snapshots import DirectoryCache

ALIASES = frozenset({"common", "organizations", "consumers"})
_SEGMENT = re.compile(r"^[A-Za-z0-9.-]{1,256}$")


async def resolve_tenant(cache: DirectoryCache, segment: str) -> Tenant:
    """The tenant a path names; raises ``UnknownTenant`` for an alias, a malformed segment or
    an unknown tenant (each endpoint renders it as Entra does: 400, never a 5xx)."""
    if segment.lower() in ALIASES:
        raise UnknownTenant(segment, "alias")
    if not _SEGMENT.match(segment):
        raise UnknownTenant(segment, "malformed")
    tenant = await cache.tenant(segment)
    if tenant is None:
        raise UnknownTenant(segment, "not_found")
    return tenant


async def token_tenant(cache: DirectoryCache, segment: str) -> Tenant:
    """The tenant of a token request, or ``invalid_request`` as the token endpoint answers."""
    try:
        return await resolve_tenant(cache, segment)
    except UnknownTenant as exc:
        raise TOKEN_TENANT(exc) from None


async def page_tenant(cache: DirectoryCache, segment: str) -> Tenant:
    """The tenant of a page or metadata request, or ``invalid_tenant``."""
    try:
        return await resolve_tenant(cache, segment)
    except UnknownTenant as exc:
        raise PAGE_TENANT(exc) from None
