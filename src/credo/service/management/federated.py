"""An application's federated identity credentials, as the management API sees them.

Graph: https://learn.microsoft.com/graph/api/resources/federatedidentitycredential. The
permission model is that of the app's certificates and secrets (policy.py): reading needs
a reader's permission, a change needs ``Application.ReadWrite.All``, never touches a built-in
app, and the caller must cover the power of the app (trusting an external token for an app
is handing that app's power to whoever holds such tokens). At most 20 per app; ``name`` is
unique per app and one issuer-subject pair names at most one credential.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from credo.errors import FieldError, InvalidInput, ObjectConflict, ObjectNotFound
from credo.manifest.federated import federated_from_json
from credo.model import MAX_FEDERATED_CREDENTIALS, Application, FederatedIdentityCredential
from credo.service.directory import DirectoryService
from credo.service.management.apps import READERS, changeable_application
from credo.service.management.caller import Caller
from credo.service.management.policy import (
    require_any,
)
from credo.service.management.powers import Powers


class FederatedCredentials:
    """``/applications/{id}/federatedIdentityCredentials`` for one deployment."""

    def __init__(self, directory: DirectoryService, powers: Powers) -> None:
        self._dir = directory
        self._powers = powers

    async def all(self, caller: Caller, app_ref: str) -> Application:
        """The app, whose ``federated_credentials`` the caller may read."""
        require_any(caller.power, caller.tenant.id, READERS)
        return await self._dir.application(caller.tenant, app_ref)

    async def get(self, caller: Caller, app_ref: str, ref: str
                  ) -> tuple[Application, FederatedIdentityCredential]:
        app = await self.all(caller, app_ref)
        return app, _named(app, ref)

    async def create(self, caller: Caller, app_ref: str, body: dict[str, Any]
                     ) -> tuple[Application, FederatedIdentityCredential]:
        """Graph ``POST``: checked, then saved with the app in one transaction."""
        app = await self._changeable(caller, app_ref)
        new = federated_from_json(body, current=None, new_id=self._dir.new_id)
        if len(app.federated_credentials) >= MAX_FEDERATED_CREDENTIALS:
            raise InvalidInput(
                f"An application holds at most {MAX_FEDERATED_CREDENTIALS} federated "
                "identity credentials.", details=[FieldError("name", "limit reached")])
        if any(c.name == new.name for c in app.federated_credentials):
            raise ObjectConflict(f"A federated identity credential named '{new.name}' already "
                                 "exists on this application.")
        _check_pair(app, new)
        await self._save(app, (*app.federated_credentials, new))
        return app, new

    async def update(self, caller: Caller, app_ref: str, ref: str,
                     body: dict[str, Any]) -> None:
        """Graph ``PATCH``: the members sent replace the current ones; ``name`` is fixed."""
        app = await self._changeable(caller, app_ref)
        current = _named(app, ref)
        changed = federated_from_json(body, current=current, new_id=self._dir.new_id)
        _check_pair(app, changed)
        await self._save(app, tuple(changed if c.id == current.id else c
                                    for c in app.federated_credentials))

    async def delete(self, caller: Caller, app_ref: str, ref: str) -> None:
        app = await self._changeable(caller, app_ref)
        gone = _named(app, ref)
        await self._save(app, tuple(c for c in app.federated_credentials if c.id != gone.id))

    async def _save(self, app: Application,
                    credentials: tuple[FederatedIdentityCredential, ...]) -> None:
        await self._dir.save_application(
            dataclasses.replace(app, federated_credentials=credentials))

    async def _changeable(self, caller: Caller, app_ref: str) -> Application:
        """As for certificates and secrets (``apps.changeable_application``)."""
        return await changeable_application(self._dir, self._powers, caller, app_ref)


def _named(app: Application, ref: str) -> FederatedIdentityCredential:
    """A credential of ``app`` by id (any case) or by name (exact, as Graph keys it)."""
    found = next((c for c in app.federated_credentials
                  if c.id == ref.lower() or c.name == ref), None)
    if found is None:
        raise ObjectNotFound(f"Federated identity credential '{ref[:120]}' does not exist on "
                             "this application.")
    return found


def _check_pair(app: Application, credential: FederatedIdentityCredential) -> None:
    """One credential per issuer and subject: a token must not match two."""
    for other in app.federated_credentials:
        if other.id != credential.id and (other.issuer, other.subject) == (
                credential.issuer, credential.subject):
            raise ObjectConflict(f"The federated identity credential '{other.name}' already "
                                 "has this issuer and subject.")
