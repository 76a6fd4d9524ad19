"""The flows a signed-in user takes part in, composed: ``Services.delegated``.

Authorization code with PKCE, implicit, refresh tokens and user consent share one flow
store (``store/sql_flows.py``) and one ``UserTokens`` (resource, consent and minting). The
token endpoint's ``authorization_code`` and ``refresh_token`` grants (``service/grants/``)
are built from the same store and ``UserTokens``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from credo.model import Application, ServicePrincipal, Tenant
from credo.service.audit import AuditBuffer
from credo.service.authorize.flow import AuthorizeService
from credo.service.directory import DirectoryService
from credo.service.keys import KeyService
from credo.service.snapshots import DirectoryCache
from credo.service.sources import SYSTEM, Sources
from credo.service.user_consent import UserConsentService
from credo.service.user_tokens import UserTokens
from credo.store.sql_flows import SqlFlowStore


@dataclass(frozen=True)
class UserFlows:
    store: SqlFlowStore
    user_tokens: UserTokens
    consent: UserConsentService
    authorize: AuthorizeService


def open_user_flows(store: SqlFlowStore, *, base_url: str, cache: DirectoryCache,
                    keys: KeyService, audit: AuditBuffer, hasher: Callable[[str], bytes],
                    directory: DirectoryService, token_lifetime: int,
                    sources: Sources = SYSTEM) -> UserFlows:
    user_tokens = UserTokens(base_url=base_url, cache=cache, flows=store, keys=keys,
                             hasher=hasher, token_lifetime=token_lifetime,
                             new_id=sources.new_token_id)

    async def new_service_principal(tenant: Tenant, app: Application) -> ServicePrincipal:
        """A multi-tenant client's first consent in a tenant creates its SP there."""
        return await directory.create_service_principal(tenant, app)

    consent = UserConsentService(store, audit, new_service_principal=new_service_principal,
                                 sources=sources)
    return UserFlows(
        store=store, user_tokens=user_tokens, consent=consent,
        authorize=AuthorizeService(cache=cache, access=user_tokens, consent=consent,
                                   flows=store, audit=audit, sources=sources))
