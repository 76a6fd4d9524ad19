"""App registrations, their credentials and service principals, as the management API sees them.

Graph: https://learn.microsoft.com/graph/api/resources/application and
https://learn.microsoft.com/graph/api/resources/serviceprincipal. Every method takes the
authenticated ``Caller`` and checks the permission model (policy.py) before it reads or
writes: the route's permission, the built-in apps, and that the caller covers the power of
the app it changes.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime
from typing import Any

from credo.errors import FieldError, InvalidInput
from credo.manifest import application_from_json, key_credential_from_json
from credo.model import AppId, Application, ObjectId, PasswordCredential, ServicePrincipal
from credo.service.directory import DirectoryService
from credo.service.management.caller import Caller
from credo.service.management.policy import (
    ROLE_APPS,
    ROLE_GRANTS,
    ROLE_READ,
    require_any,
    require_covers,
    require_not_builtin,
)
from credo.service.management.powers import Powers
from credo.service.management.proof import verify_proof

READERS = (ROLE_READ, ROLE_APPS, ROLE_GRANTS)



async def changeable_application(directory: DirectoryService, powers: Powers, caller: Caller,
                                 ref: str) -> Application:
    """An app the caller may change (its manifest, credentials, federated credentials, or
    the app itself): not built in, no stronger than the caller."""
    require_any(caller.power, caller.tenant.id, (ROLE_APPS,))
    app = await directory.application(caller.tenant, ref)
    require_not_builtin(app.app_id, powers.builtins, f"application {app.app_id}")
    require_covers(caller.power, await powers.of_app(app.app_id), f"application {app.app_id}")
    return app

class Applications:
    """``/applications`` and ``/servicePrincipals`` for one deployment."""

    def __init__(self, directory: DirectoryService, powers: Powers) -> None:
        self._dir = directory
        self._powers = powers

    # -- reads ---------------------------------------------------------------------------
    async def all(self, caller: Caller) -> list[Application]:
        require_any(caller.power, caller.tenant.id, READERS)
        return await self._dir.applications(caller.tenant)

    async def get(self, caller: Caller, ref: str) -> Application:
        require_any(caller.power, caller.tenant.id, READERS)
        return await self._dir.application(caller.tenant, ref)

    # -- registrations -------------------------------------------------------------------
    async def create(self, caller: Caller, manifest: dict[str, Any]) -> Application:
        """Graph ``POST /applications``, plus the service principal in the home tenant."""
        require_any(caller.power, caller.tenant.id, (ROLE_APPS,))
        now = self._dir.now()
        blank = Application(id=ObjectId(self._dir.new_id()), app_id=AppId(self._dir.new_id()),
                            tenant_id=caller.tenant.id, display_name="", created=now)
        app = application_from_json(manifest, current=blank, now=now, new_id=self._dir.new_id)
        app, _ = await self._dir.register_application(caller.tenant, app)
        return app

    async def update(self, caller: Caller, ref: str, manifest: dict[str, Any]) -> None:
        """Graph ``PATCH /applications/{id}`` ("Manage manifest")."""
        app = await self._changeable(caller, ref)
        updated = application_from_json(manifest, current=app, now=self._dir.now(),
                                         new_id=self._dir.new_id)
        await self._dir.save_application(updated)

    async def delete(self, caller: Caller, ref: str) -> None:
        await self._dir.delete_application(await self._changeable(caller, ref))

    async def _changeable(self, caller: Caller, ref: str) -> Application:
        return await changeable_application(self._dir, self._powers, caller, ref)

    # -- credentials ---------------------------------------------------------------------
    async def add_key(self, caller: Caller, ref: str, key_credential: dict[str, Any],
                      proof: str | None) -> Any:
        """Graph ``addKey``; a ``proof`` that is sent is verified (proof.py)."""
        app = await self._changeable(caller, ref)
        now = self._dir.now()
        if proof is not None:
            verify_proof(proof, app, now)
        credential = key_credential_from_json(key_credential, new_id=self._dir.new_id, now=now)
        await self._dir.add_key(app, credential)
        return credential

    async def remove_key(self, caller: Caller, ref: str, key_id: str,
                         proof: str | None) -> None:
        app = await self._changeable(caller, ref)
        if proof is not None:
            verify_proof(proof, app, self._dir.now())
        await self._dir.remove_key(app, key_id)

    async def add_password(self, caller: Caller, ref: str, display_name: str,
                           end: datetime | None) -> tuple[PasswordCredential, str]:
        """Graph ``addPassword``: lifetime in whole days up to ``end`` (180 by default)."""
        app = await self._changeable(caller, ref)
        days = 180
        if end is not None:
            aware = end if end.tzinfo is not None else end.replace(tzinfo=UTC)
            days = math.ceil((aware - self._dir.now()).total_seconds() / 86400)
        _, credential, secret = await self._dir.add_password(app, display_name=display_name,
                                                            days=days)
        return credential, secret

    async def remove_password(self, caller: Caller, ref: str, key_id: str) -> None:
        await self._dir.remove_password(await self._changeable(caller, ref), key_id)

    # -- service principals --------------------------------------------------------------
    async def principals(self, caller: Caller) -> list[tuple[ServicePrincipal, Application]]:
        require_any(caller.power, caller.tenant.id, READERS)
        return [(sp, await self._dir.app_of(sp))
                for sp in await self._dir.service_principals(caller.tenant)]

    async def principal(self, caller: Caller, ref: str) -> tuple[ServicePrincipal, Application]:
        require_any(caller.power, caller.tenant.id, READERS)
        sp = await self._dir.service_principal(caller.tenant, ref)
        return sp, await self._dir.app_of(sp)

    async def install(self, caller: Caller, app_id: str, *, assignment_required: bool
                      ) -> tuple[ServicePrincipal, Application]:
        """Graph ``POST /servicePrincipals``: the tenant's own app, or a multi-tenant one."""
        require_any(caller.power, caller.tenant.id, (ROLE_APPS,))
        app = await self._dir.find_application(app_id)
        if app is None or (app.tenant_id != caller.tenant.id and not app.multi_tenant):
            # The same answer for a missing app and another tenant's single-tenant app.
            raise InvalidInput(f"The appId '{app_id}' of the service principal does not "
                               "reference a valid application object.",
                               details=[FieldError("appId", "no such application")])
        sp = await self._dir.create_service_principal(
            caller.tenant, app, assignment_required=assignment_required)
        return sp, app

    async def update_principal(self, caller: Caller, ref: str, *,
                               account_enabled: bool | None,
                               assignment_required: bool | None) -> None:
        sp = await self._changeable_principal(caller, ref)
        await self._dir.update_service_principal(dataclasses.replace(
            sp, account_enabled=sp.account_enabled if account_enabled is None
            else account_enabled,
            app_role_assignment_required=sp.app_role_assignment_required
            if assignment_required is None else assignment_required))

    async def delete_principal(self, caller: Caller, ref: str) -> None:
        await self._dir.delete_service_principal(await self._changeable_principal(caller, ref))

    async def _changeable_principal(self, caller: Caller, ref: str) -> ServicePrincipal:
        require_any(caller.power, caller.tenant.id, (ROLE_APPS,))
        sp = await self._dir.service_principal(caller.tenant, ref)
        require_not_builtin(sp.app_id, self._powers.builtins, f"service principal {sp.id}")
        require_covers(caller.power, await self._powers.of_app(sp.app_id),
                       f"service principal {sp.id}")
        return sp
