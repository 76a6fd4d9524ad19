"""The client credentials grant's authorization decision (RFC 6749 §4.4)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from credo.errors import (
    InvalidGrant,
    InvalidResource,
    OAuthError,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from credo.model import AppId, Application, AppRole, ObjectId
from credo.protocol.client_auth import AuthenticatedClient
from credo.protocol.grants import client_credentials
from credo.protocol.grants.client_credentials import DEFAULT_ACCESS, AppAccess
from credo.protocol.scopes import ResourceRef
from credo.service.grants import GRANTS, grant_for

from ..factory import APP_ID, TENANT, TID, secret_app, service_principal

RES_ID = AppId("9a8b7c6d-0000-4000-8000-00000000a9a9")
ROLES = (AppRole(id="r-read", value="Mail.Read", display_name="Read"),
         AppRole(id="r-send", value="Mail.Send", display_name="Send"),
         AppRole(id="r-off", value="Mail.Off", display_name="Off", is_enabled=False),
         AppRole(id="r-user", value="Mail.User", display_name="User",
                 allowed_member_types=("User",)))
RESOURCE = Application(id=ObjectId("obj-res"), app_id=RES_ID, tenant_id=TID,
                       display_name="Mail API", identifier_uris=("api://mail",), app_roles=ROLES)
CLIENT = AuthenticatedClient(application=secret_app(), method="client_secret_post", acr="1")
CLIENT_SP = service_principal(APP_ID)
RES_SP = service_principal(RES_ID, oid="sp-res")
REF = ResourceRef(identifier="api://mail", requested="api://mail")


def authorize(**changes: Any) -> AppAccess:
    args: dict[str, Any] = {"client": CLIENT, "client_sp": CLIENT_SP, "resource_app": RESOURCE,
                            "resource_sp": RES_SP, "assigned_role_ids": frozenset({"r-read"}),
                            "ref": REF, "tenant": TENANT}
    return client_credentials.authorize(**{**args, **changes})


def test_v1_resource_gets_v1_token_with_requested_audience() -> None:
    grant = authorize(assigned_role_ids=frozenset({"r-send", "r-read", "r-off", "r-user", "x"}))
    assert (grant.roles, grant.audience, grant.version) == (("Mail.Read", "Mail.Send"),
                                                            "api://mail", 1)
    assert (grant.client_sp, grant.resource_sp, grant.resource_app) == (CLIENT_SP, RES_SP,
                                                                        RESOURCE)


def test_v2_resource_gets_v2_token_with_app_id_audience() -> None:
    grant = authorize(resource_app=replace(RESOURCE, requested_access_token_version=2))
    assert (grant.audience, grant.version) == (RES_ID, 2)


def test_no_roles_allowed_when_assignment_not_required() -> None:
    grant = authorize(assigned_role_ids=frozenset(),
                      resource_sp=replace(RES_SP, app_role_assignment_required=False))
    assert grant.roles == ()


def test_default_access_assignment_satisfies_requirement() -> None:
    assert authorize(assigned_role_ids=frozenset({DEFAULT_ACCESS})).roles == ()


NOT_FOUND = ("The resource principal named api://mail was not found in the tenant named "
             "Contoso. This can happen if the application has not been installed by the "
             "administrator of the tenant or consented to by any user in the tenant. You might "
             "have sent your authentication request to the wrong tenant.")

REFUSED = [
    ("client-sp-missing", {"client_sp": None}, UnauthorizedClient, 700016,
     f"Application with identifier '{APP_ID}' was not found in the directory "
     f"'{TENANT.default_domain}'. This can happen if the application has not been installed by "
     "the administrator of the tenant or consented to by any user in the tenant. You may have "
     "sent your authentication request to the wrong tenant."),
    ("client-sp-disabled", {"client_sp": replace(CLIENT_SP, account_enabled=False)},
     UnauthorizedClient, 7000112, f"Application '{APP_ID}'(Daemon) is disabled."),
    ("resource-missing", {"resource_app": None, "resource_sp": None}, InvalidResource, 500011,
     NOT_FOUND),
    ("resource-sp-missing", {"resource_sp": None}, InvalidResource, 500011, NOT_FOUND),
    ("resource-sp-disabled", {"resource_sp": replace(RES_SP, account_enabled=False)},
     InvalidResource, 50001, "The resource 'api://mail' is disabled."),
    ("not-assigned", {"assigned_role_ids": frozenset()}, InvalidGrant, 501051,
     f"Application '{APP_ID}'(Daemon) is not assigned to a role for the application "
     "'api://mail'(Mail API)."),
    ("only-disabled-role-assigned", {"assigned_role_ids": frozenset({"r-off"})}, InvalidGrant,
     501051, f"Application '{APP_ID}'(Daemon) is not assigned to a role for the application "
     "'api://mail'(Mail API)."),
]


@pytest.mark.parametrize(("changes", "cls", "code", "description"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_refused(changes: dict[str, Any], cls: type[OAuthError], code: int,
                 description: str) -> None:
    with pytest.raises(OAuthError) as info:
        authorize(**changes)
    assert (type(info.value), info.value.http_status, info.value.code,
            info.value.description) == (cls, 400, code, description)


def test_grant_for() -> None:
    assert grant_for(GRANTS, "client_credentials") is GRANTS["client_credentials"]


@pytest.mark.parametrize("grant_type", ["password", "device_code",
                                        "urn:ietf:params:oauth:grant-type:saml2-bearer"])
def test_unsupported_grant_type(grant_type: str) -> None:
    with pytest.raises(UnsupportedGrantType) as info:
        grant_for(GRANTS, grant_type)
    assert (info.value.http_status, info.value.code, info.value.description) == (
        400, 70003, f"The app requested an unsupported grant type '{grant_type}'.")
