"""``/users`` and ``/directoryRoles``: the tenant's users and their administrator roles.

Graph: https://learn.microsoft.com/graph/api/resources/user,
https://learn.microsoft.com/graph/api/resources/directoryrole,
https://learn.microsoft.com/graph/api/directoryrole-post-members. A ``directoryRole``'s
``id`` is its ``roleTemplateId`` (the same in every tenant). Writes need the management
roles ``User.ReadWrite.All`` (users) or ``RoleManagement.ReadWrite.Directory`` (role
members); the rules are service/management/users.py's. A password is never returned or
logged.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from credo.errors import BadRequest, FieldError
from credo.model import DIRECTORY_ROLE_TEMPLATES, DirectoryRoleName, User
from credo.web.management import responses
from credo.web.management.auth import CallerDep, ServicesDep

router = APIRouter(tags=["users"])
_REF = re.compile(r"/(?:users|directoryObjects)/([0-9A-Fa-f-]{36})$")
_ROLE_TEXT: dict[DirectoryRoleName, str] = {
    "Global Administrator": "Can manage all aspects of the tenant, including granting any "
                            "application permission.",
    "Application Administrator": "Can create and manage all aspects of app registrations "
                                 "and grant consent to APIs other than the management API.",
    "Cloud Application Administrator": "As Application Administrator, for cloud apps.",
}


class PasswordProfile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    password: str = Field(repr=False)
    forceChangePasswordNextSignIn: bool = False


class NewUser(BaseModel):
    model_config = ConfigDict(extra="ignore")  # Graph clients send mailNickname and more

    accountEnabled: bool = True
    displayName: str
    userPrincipalName: str
    passwordProfile: PasswordProfile


class UserChange(BaseModel):
    model_config = ConfigDict(extra="ignore")

    accountEnabled: bool | None = None
    displayName: str | None = None
    userPrincipalName: str | None = None
    passwordProfile: PasswordProfile | None = None


class MemberRef(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    odata_id: str = Field(alias="@odata.id")


def user_to_json(user: User) -> dict[str, Any]:
    """Graph ``user`` with the members Credo keeps."""
    return {
        "id": user.id,
        "accountEnabled": user.account_enabled,
        "createdDateTime": _time(user.created),
        "displayName": user.display_name,
        "lastPasswordChangeDateTime": _time(user.password_changed),
        "mail": None,
        "userPrincipalName": user.user_principal_name,
        "userType": "Member",
    }


def role_to_json(role: DirectoryRoleName) -> dict[str, Any]:
    template = DIRECTORY_ROLE_TEMPLATES[role]
    return {"id": template, "deletedDateTime": None, "description": _ROLE_TEXT[role],
            "displayName": role, "roleTemplateId": template}


def _time(value: Any) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


@router.get("/users", summary="List the tenant's users")
async def list_users(caller: CallerDep, services: ServicesDep,
                     filter_text: responses.CollectionFilter = "") -> Response:
    found = await services.management.users.all(caller)
    return responses.filtered(services, "users", [user_to_json(u) for u in found], filter_text)


@router.post("/users", status_code=201, summary="Create a user")
async def create_user(body: NewUser, caller: CallerDep, services: ServicesDep) -> Response:
    user = await services.management.users.create(
        caller, user_principal_name=body.userPrincipalName, display_name=body.displayName,
        password=body.passwordProfile.password, account_enabled=body.accountEnabled)
    return responses.entity(services, "users/$entity", user_to_json(user), status=201)


@router.get("/users/{ref}", summary="Get a user by id or userPrincipalName")
async def get_user(ref: str, caller: CallerDep, services: ServicesDep) -> Response:
    user = await services.management.users.get(caller, ref)
    return responses.entity(services, "users/$entity", user_to_json(user))


@router.patch("/users/{ref}", status_code=204, summary="Update a user or reset its password")
async def update_user(ref: str, body: UserChange, caller: CallerDep,
                      services: ServicesDep) -> Response:
    await services.management.users.update(
        caller, ref, display_name=body.displayName, user_principal_name=body.userPrincipalName,
        account_enabled=body.accountEnabled,
        password=body.passwordProfile.password if body.passwordProfile else None)
    return responses.no_content()


@router.delete("/users/{ref}", status_code=204, summary="Delete a user")
async def delete_user(ref: str, caller: CallerDep, services: ServicesDep) -> Response:
    await services.management.users.delete(caller, ref)
    return responses.no_content()


@router.get("/directoryRoles", summary="List the directory roles")
async def list_roles(caller: CallerDep, services: ServicesDep) -> Response:
    services.management.users.check_read(caller)
    return responses.listing(services, "directoryRoles",
                             [role_to_json(r) for r in DIRECTORY_ROLE_TEMPLATES])


@router.get("/directoryRoles/{role_id}", summary="Get a directory role")
async def get_role(role_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    role, _ = await services.management.users.members(caller, role_id)
    return responses.entity(services, "directoryRoles/$entity", role_to_json(role))


@router.get("/directoryRoles/{role_id}/members", summary="Users holding a directory role")
async def list_members(role_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    _, members = await services.management.users.members(caller, role_id)
    return responses.listing(services, "directoryObjects",
                             [{"@odata.type": "#microsoft.graph.user", **user_to_json(u)}
                              for u in members])


def _member_id(ref: MemberRef) -> str:
    match = _REF.search(ref.odata_id)
    if match is None:
        raise BadRequest("Invalid object identifier.", details=[FieldError(
            "@odata.id", "must end in /directoryObjects/{id} or /users/{id}")])
    return match.group(1)


@router.post("/directoryRoles/{role_id}/members/$ref", status_code=204,
             summary="Assign a directory role to a user")
async def add_member(role_id: str, body: MemberRef, caller: CallerDep,
                     services: ServicesDep) -> Response:
    await services.management.users.add_member(caller, role_id, _member_id(body))
    return responses.no_content()


@router.delete("/directoryRoles/{role_id}/members/{user_id}/$ref", status_code=204,
               summary="Remove a directory role from a user")
async def remove_member(role_id: str, user_id: str, caller: CallerDep,
                        services: ServicesDep) -> Response:
    await services.management.users.remove_member(caller, role_id, user_id)
    return responses.no_content()
