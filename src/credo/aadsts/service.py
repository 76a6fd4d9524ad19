"""Tenants in the path and the state of the service: dependencies, keys."""

from __future__ import annotations

from dataclasses import dataclass

from credo.aadsts import Aadsts
from credo.errors import (
    InvalidRequest,
    InvalidTenant,
    OAuthError,
    TemporarilyUnavailable,
    UnknownTenant,
)

TRANSIENT = Aadsts(
    90033, TemporarilyUnavailable, "A transient error has occurred. Please try again.",
    when="A dependency did not answer: the database (a client not in the directory cache, or "
    "the cache past max_stale_seconds), the replay store (strict profile), or no signing key "
    "is loaded yet.",
    fix="Retry after the Retry-After seconds; operators check /readyz.")
TENANT_ALIAS = Aadsts(
    9001023, InvalidRequest, "The grant type isn't supported over the /common, /organizations "
    "or /consumers endpoints. Please use a tenant-specific endpoint.",
    when="A token request names common, organizations or consumers instead of a tenant.",
    fix="Use the tenant's GUID or domain in the authority URL.")
TENANT_ALIAS_METADATA = Aadsts(
    9001023, InvalidTenant, "Tenant '{tenant}' is a tenant-independent alias; a "
    "tenant-specific endpoint is required.",
    when="Discovery, authorize or consent was asked for common, organizations or consumers.",
    fix="Use the tenant's GUID or domain.")
TENANT_MALFORMED = Aadsts(
    900023, InvalidRequest, "Specified tenant identifier '{tenant}' is neither a valid DNS "
    "name, nor a valid external domain.",
    when="The tenant path segment is neither a GUID nor a domain name.",
    fix="Use the tenant's GUID or one of its domains.")
TENANT_MALFORMED_METADATA = Aadsts(
    900023, InvalidTenant, "Specified tenant identifier '{tenant}' is neither a valid DNS "
    "name, nor a valid external domain.",
    when="As above, on discovery, authorize or consent.",
    fix="Use the tenant's GUID or one of its domains.")
TENANT_NOT_FOUND = Aadsts(
    90002, InvalidRequest, "Tenant '{tenant}' not found. Check to make sure you have the "
    "correct tenant ID and are signing into the correct cloud. Check with your subscription "
    "administrator, this may happen if there are no active subscriptions for the tenant.",
    when="No tenant has that GUID or domain.",
    fix="Check the authority URL; `credo tenant list` shows the tenants.")
TENANT_NOT_FOUND_METADATA = Aadsts(
    90002, InvalidTenant, "Tenant '{tenant}' not found. Check to make sure you have the "
    "correct tenant ID and are signing into the correct cloud. Check with your subscription "
    "administrator, this may happen if there are no active subscriptions for the tenant.",
    when="As above, on discovery, authorize or consent.",
    fix="Check the authority URL; `credo tenant list` shows the tenants.")


@dataclass(frozen=True)
class TenantErrors:
    """How one family of endpoints answers an ``UnknownTenant``."""

    alias: Aadsts
    malformed: Aadsts
    not_found: Aadsts

    def __call__(self, exc: UnknownTenant) -> OAuthError:
        entry = {"alias": self.alias, "malformed": self.malformed,
                 "not_found": self.not_found}[exc.reason]
        if "tenant" in entry.fields:
            return entry(detail=exc.description, tenant=exc.segment[:64])
        return entry(detail=exc.description)


TOKEN_TENANT = TenantErrors(TENANT_ALIAS, TENANT_MALFORMED, TENANT_NOT_FOUND)
"""The token endpoint: ``invalid_request``, as Entra answers it."""
PAGE_TENANT = TenantErrors(TENANT_ALIAS_METADATA, TENANT_MALFORMED_METADATA,
                           TENANT_NOT_FOUND_METADATA)
"""Discovery, JWKS, authorize, sign-in and consent: ``invalid_tenant``."""
