"""Tenants, the organization and signing keys, as the management API sees them.

``/organization`` is the caller's own tenant (Graph). ``/tenants`` and ``/keys`` are Credo
extensions for the operator: ``Tenant.ReadWrite.All`` held in the bootstrap tenant. A new
tenant gets the management API's, the operator's and the portal's service principals
(bootstrap.py).
"""

from __future__ import annotations

from credo.errors import ObjectConflict
from credo.model import Profile, SigningKey, Tenant
from credo.service import bootstrap  # a module: bootstrap imports the policy of this package
from credo.service.directory import DirectoryService
from credo.service.keys import KeyService
from credo.service.management.caller import Caller
from credo.service.management.policy import (
    ROLE_APPS,
    ROLE_GRANTS,
    ROLE_READ,
    ROLE_TENANTS,
    refuse,
    require_any,
)
from credo.store.api import FlowStore

READERS = (ROLE_READ, ROLE_APPS, ROLE_GRANTS)
_ORDER = {"active": 0, "next": 1, "retired": 2}


class Tenants:
    def __init__(self, directory: DirectoryService, keys: KeyService, flows: FlowStore, *,
                 bootstrap_tenant: str, operator_app_id: str) -> None:
        self._dir = directory
        self._flows = flows
        self._keys = keys
        self._bootstrap = bootstrap_tenant.lower()
        self._operator = operator_app_id

    def organization(self, caller: Caller) -> Tenant:
        require_any(caller.power, caller.tenant.id, READERS)
        return caller.tenant

    def _operator_only(self, caller: Caller) -> None:
        """``Tenant.ReadWrite.All`` held in the bootstrap tenant."""
        if (not self._bootstrap or caller.tenant.id != self._bootstrap
                or not caller.power.holds(caller.tenant.id, ROLE_TENANTS)):
            raise refuse("needs Tenant.ReadWrite.All in the bootstrap tenant")

    async def all(self, caller: Caller) -> list[Tenant]:
        self._operator_only(caller)
        return await self._dir.tenants()

    async def get(self, caller: Caller, ref: str) -> Tenant:
        self._operator_only(caller)
        return await self._dir.tenant(ref)

    async def create(self, caller: Caller, domain: str, *, profile: Profile,
                     display_name: str) -> Tenant:
        self._operator_only(caller)
        return await bootstrap.onboard_tenant(self._dir, self._flows, domain, profile=profile,
                                    operator_app_id=self._operator, display_name=display_name)

    async def set_profile(self, caller: Caller, ref: str, profile: Profile) -> None:
        self._operator_only(caller)
        await self._dir.set_profile(await self._dir.tenant(ref), profile)

    async def signing_keys(self, caller: Caller) -> tuple[str | None, list[SigningKey]]:
        self._operator_only(caller)
        found = sorted(await self._keys.published(), key=lambda k: (_ORDER[k.state], k.kid))
        return self._keys.active_kid, found

    async def rotate(self, caller: Caller) -> str:
        self._operator_only(caller)
        active = await self._keys.rotate(self._dir.now())
        if active is None:
            raise ObjectConflict("Another node rotated the signing keys at the same time; "
                                 "read /keys and retry if needed.")
        return active
