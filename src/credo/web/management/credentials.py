"""Certificates and secrets of an application: ``addKey``, ``removeKey``, ``addPassword``,
``removePassword``.

Graph: https://learn.microsoft.com/graph/api/application-addkey (and -removekey,
-addpassword, -removepassword). Difference from Graph: a caller holding
``Application.ReadWrite.All`` in the app's tenant may call ``addKey``/``removeKey`` without a
``proof``; when a proof is sent it is verified all the same (web/management/proof.py).
``secretText`` is shown once, in the ``addPassword`` response; only a keyed hash is stored.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from credo.errors import BadRequest, FieldError
from credo.manifest import (
    key_credential_from_json,
    key_credential_to_json,
    password_credential_to_json,
)
from credo.model import Application, PasswordCredential
from credo.service.directory import new_id
from credo.service.runtime import Services
from credo.web.management import responses
from credo.web.management.auth import AppWriter, Caller, ServicesDep
from credo.web.management.proof import verify_proof

router = APIRouter(tags=["applications"])


class AddKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyCredential: dict[str, Any] = Field(
        description="A Graph keyCredential: `key` is the base64 DER of the certificate.")
    passwordCredential: dict[str, Any] | None = None
    proof: str | None = Field(default=None, max_length=16384,
                              description="Optional here: see the route's description.")


class RemoveKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyId: uuid.UUID
    proof: str | None = Field(default=None, max_length=16384)


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    displayName: str | None = Field(default=None, max_length=256)
    endDateTime: datetime | None = None


class AddPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passwordCredential: NewPassword = NewPassword()


class RemovePassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyId: uuid.UUID


async def _app(services: Services, caller: Caller, app_ref: str, proof: str | None,
               now: datetime) -> Application:
    app = await services.directory.application(caller.tenant, app_ref)
    if proof is not None:
        verify_proof(proof, app, now)
    return app


async def _add_password(services: Services, app: Application, wanted: NewPassword
                        ) -> tuple[PasswordCredential, str]:
    """The lifetime in whole days up to ``endDateTime`` (the service's default without one)."""
    if wanted.endDateTime is None:
        _, credential, secret = await services.directory.add_password(
            app, display_name=wanted.displayName or "")
        return credential, secret
    end = wanted.endDateTime
    aware = end if end.tzinfo is not None else end.replace(tzinfo=UTC)
    days = math.ceil((aware - datetime.now(UTC)).total_seconds() / 86400)
    _, credential, secret = await services.directory.add_password(
        app, display_name=wanted.displayName or "", days=days)
    return credential, secret


@router.post("/applications/{app_ref}/addKey",
             summary="Add a certificate (proof optional with Application.ReadWrite.All)")
async def add_key(app_ref: str, body: AddKey, caller: AppWriter,
                  services: ServicesDep) -> Response:
    if body.passwordCredential is not None:
        raise BadRequest("Credo stores certificates only (usage Verify); passwordCredential "
                         "must be null.", details=[FieldError("passwordCredential", "not null")])
    now = datetime.now(UTC)
    app = await _app(services, caller, app_ref, body.proof, now)
    credential = key_credential_from_json(body.keyCredential, new_id=new_id, now=now)
    await services.directory.add_key(app, credential)
    return responses.entity(services, "microsoft.graph.keyCredential",
                            key_credential_to_json(credential, include_key=False))


@router.post("/applications/{app_ref}/removeKey", status_code=204,
             summary="Remove a certificate (proof optional with Application.ReadWrite.All)")
async def remove_key(app_ref: str, body: RemoveKey, caller: AppWriter,
                     services: ServicesDep) -> Response:
    app = await _app(services, caller, app_ref, body.proof, datetime.now(UTC))
    await services.directory.remove_key(app, str(body.keyId))
    return responses.no_content()


@router.post("/applications/{app_ref}/addPassword",
             summary="Add a client secret; secretText is returned only here")
async def add_password(app_ref: str, body: AddPassword, caller: AppWriter,
                       services: ServicesDep) -> Response:
    app = await services.directory.application(caller.tenant, app_ref)
    credential, secret = await _add_password(services, app, body.passwordCredential)
    return responses.entity(services, "microsoft.graph.passwordCredential",
                            password_credential_to_json(credential, secret_text=secret),
                            secret=True)


@router.post("/applications/{app_ref}/removePassword", status_code=204,
             summary="Remove a client secret")
async def remove_password(app_ref: str, body: RemovePassword, caller: AppWriter,
                          services: ServicesDep) -> Response:
    app = await services.directory.application(caller.tenant, app_ref)
    await services.directory.remove_password(app, str(body.keyId))
    return responses.no_content()
