"""Resolving the ``{tenant}`` path segment (PROTOCOL.md §Endpoints; entra-protocol-facts §1.1)."""

from __future__ import annotations

import re

from credo.errors import InvalidRequest, InvalidTenant, OAuthError
from credo.model import Tenant
from credo.service.snapshots import DirectoryCache

ALIASES = frozenset({"common", "organizations", "consumers"})
_SEGMENT = re.compile(r"^[A-Za-z0-9.-]{1,256}$")


async def resolve_tenant(cache: DirectoryCache, segment: str, *, for_token: bool) -> Tenant:
    """A tenant by GUID or verified domain; aliases and unknown tenants are 400, never 5xx."""
    error: type[OAuthError] = InvalidRequest if for_token else InvalidTenant
    if segment.lower() in ALIASES:
        raise error(9001023, "The grant type isn't supported over the /common, "
                    "/organizations or /consumers endpoints. Please use a tenant-specific "
                    "endpoint."
                    if for_token else
                    f"Tenant '{segment}' is a tenant-independent alias; a tenant-specific "
                    "endpoint is required.")
    if not _SEGMENT.match(segment):
        raise error(900023, f"Specified tenant identifier '{segment[:64]}' is neither a valid "
                    "DNS name, nor a valid external domain.")
    tenant = await cache.tenant(segment)
    if tenant is None:
        raise error(90002, f"Tenant '{segment}' not found. Check to make sure you have the "
                    "correct tenant ID and are signing into the correct cloud. Check with your "
                    "subscription administrator, this may happen if there are no active "
                    "subscriptions for the tenant.")
    return tenant
