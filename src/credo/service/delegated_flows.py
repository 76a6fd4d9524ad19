"""The delegated flows, composed: ``Services.delegated`` (ARCHITECTURE.md §2, service/).

Authorization code with PKCE, implicit, refresh tokens and user consent share one flow
store (``store/sql_flows.py``) and one ``DelegatedAccessService`` (resource, consent and
minting); ``tokens.pipelines()`` is handed to the ``TokenService`` so that the grants run
through the same token endpoints as client credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from credo.model import Application, ServicePrincipal, Tenant
from credo.service.audit import AuditBuffer
from credo.service.authorize import AuthorizeService
from credo.service.delegated import DelegatedTokens, UserLookup
from credo.service.delegated_access import DelegatedAccessService
from credo.service.directory import DirectoryService
from credo.service.keys import KeyService
from credo.service.snapshots import DirectoryCache
from credo.service.user_consent import UserConsentService
from credo.store.sql_flows import SqlFlowStore


@dataclass(frozen=True)
class DelegatedFlows:
    store: SqlFlowStore
    access: DelegatedAccessService
    tokens: DelegatedTokens
    consent: UserConsentService
    authorize: AuthorizeService


def open_delegated(store: SqlFlowStore, *, base_url: str, cache: DirectoryCache, keys: KeyService,
                   audit: AuditBuffer, hasher: Callable[[str], bytes], users: UserLookup,
                   directory: DirectoryService, token_lifetime: int) -> DelegatedFlows:
    access = DelegatedAccessService(base_url=base_url, cache=cache, flows=store, keys=keys,
                                    hasher=hasher, token_lifetime=token_lifetime)

    async def new_service_principal(tenant: Tenant, app: Application) -> ServicePrincipal:
        """A multi-tenant client's first consent in a tenant creates its SP there."""
        return await directory.create_service_principal(tenant, app)

    consent = UserConsentService(store, audit, new_service_principal=new_service_principal)
    return DelegatedFlows(
        store=store, access=access,
        tokens=DelegatedTokens(access=access, flows=store, users=users),
        consent=consent,
        authorize=AuthorizeService(cache=cache, access=access, consent=consent, flows=store,
                                   audit=audit))
