"""Admin-consent decisions (``credo.protocol.consent``): parsing, permissions, roles, redirects."""

from __future__ import annotations

import uuid

import pytest

from credo.errors import (
    AccessDenied,
    InvalidRequest,
    InvalidResource,
    InvalidScope,
    OAuthError,
    UnauthorizedClient,
)
from credo.model import (
    AppId,
    Application,
    AppRole,
    ObjectId,
    PermissionScope,
    RequiredResourceAccess,
    ResourceAccess,
    TenantId,
)
from credo.protocol import admin_consent

TID = TenantId(str(uuid.uuid4()))
READ = AppRole(str(uuid.uuid4()), "Mail.Read", "Read mail", "Read all mailboxes")
USER_ROLE = AppRole(str(uuid.uuid4()), "Reader", "Reader", allowed_member_types=("User",))
OFF = AppRole(str(uuid.uuid4()), "Old", "Old", is_enabled=False)
SCOPE = PermissionScope(str(uuid.uuid4()), "Mail.ReadBasic", "Admin", "Read basic", "Headers")
API = Application(ObjectId(str(uuid.uuid4())), AppId(str(uuid.uuid4())), TID, "Mail API",
                  identifier_uris=("api://mail",), app_roles=(READ, USER_ROLE, OFF),
                  oauth2_permission_scopes=(SCOPE,))
URI = "https://app.example/cb?tenant=x"


def client(*access: tuple[str, str], home: str = TID, multi: bool = False) -> Application:
    return Application(
        ObjectId(str(uuid.uuid4())), AppId(str(uuid.uuid4())), TenantId(home), "Daemon",
        sign_in_audience="AzureADMultipleOrgs" if multi else "AzureADMyOrg",
        web_redirect_uris=(URI,), required_resource_access=(RequiredResourceAccess(
            API.app_id, tuple(ResourceAccess(i, t) for i, t in access)),))  # type: ignore[arg-type]


def pairs(**params: str) -> list[tuple[str, str]]:
    return list(params.items())


def test_parse_v1_and_v2() -> None:
    v1 = admin_consent.parse_request(pairs(client_id="c", redirect_uri=URI, state="s", x="y"), 1)
    assert (v1.client_id, v1.redirect_uri, v1.state, v1.resources) == ("c", URI, "s", ())
    v2 = admin_consent.parse_request(pairs(client_id="c", redirect_uri=URI,
                                     scope="api://mail/.default api://mail/.default b/.default"), 2)
    assert v2.resources == ("api://mail", "b") and v2.state is None


@pytest.mark.parametrize(("params", "version", "code"), [
    ({"redirect_uri": URI}, 1, 900144),
    ({"client_id": "c"}, 1, 900144),
    ({"client_id": "c", "redirect_uri": URI}, 2, 900144),
    ({"client_id": "c", "redirect_uri": URI, "scope": "Mail.Read"}, 2, 70011),
    ({"client_id": "c", "redirect_uri": URI, "scope": "/.default"}, 2, 70011),
    ({"client_id": "c", "redirect_uri": URI, "state": "x" * 2049}, 1, 90100),
])
def test_parse_refusals(params: dict[str, str], version: admin_consent.Version, code: int) -> None:
    with pytest.raises(OAuthError) as caught:
        admin_consent.parse_request(list(params.items()), version)
    assert caught.value.code == code


def test_repeated_parameter_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="repeated"):
        admin_consent.parse_request([("client_id", "a"), ("client_id", "b")], 1)


def test_client_must_be_home_or_multi_tenant_and_redirect_exact() -> None:
    app = client((READ.id, "Role"))
    assert admin_consent.check_client(app, app.app_id, TID, "t") is app
    foreign = client((READ.id, "Role"), home=str(uuid.uuid4()))
    for candidate in (None, foreign):
        with pytest.raises(UnauthorizedClient) as caught:
            admin_consent.check_client(candidate, "x", TID, "t")
        assert caught.value.code == 700016
    admin_consent.check_client(client(home=str(uuid.uuid4()), multi=True), "x", TID, "t")
    admin_consent.check_redirect_uri(app, URI)
    for wrong in (URI + "&a=1", URI.replace("https", "http"), "https://app.example/cb"):
        with pytest.raises(InvalidRequest) as caught:
            admin_consent.check_redirect_uri(app, wrong)
        assert caught.value.code == 50011


def test_requested_permissions_resolve_roles_and_scopes() -> None:
    app = client((READ.id, "Role"), (SCOPE.id, "Scope"))
    found = admin_consent.requested_permissions(app, {API.app_id: API})
    assert [(p.kind, p.value, p.display_name, p.resource_identifier) for p in found] == [
        ("Application", "Mail.Read", "Read mail", "api://mail"),
        ("Delegated", "Mail.ReadBasic", "Read basic", "api://mail")]
    assert admin_consent.requested_permissions(app, {API.app_id: API}, [API.app_id])[0] \
        .resource_identifier == API.app_id


@pytest.mark.parametrize(("access", "resources", "wanted", "error", "code"), [
    ((str(uuid.uuid4()), "Role"), True, (), InvalidScope, 650053),
    ((USER_ROLE.id, "Role"), True, (), InvalidScope, 650053),
    ((OFF.id, "Role"), True, (), InvalidScope, 650053),
    ((READ.id, "Scope"), True, (), InvalidScope, 650053),
    ((READ.id, "Role"), False, (), InvalidResource, 500011),
    ((READ.id, "Role"), True, ("api://other",), InvalidResource, 650057),
], ids=["undefined", "user-only-role", "disabled", "role-as-scope", "no-api", "not-listed"])
def test_requested_permissions_refusals(access: tuple[str, str], resources: bool,
                                        wanted: tuple[str, ...], error: type[OAuthError],
                                        code: int) -> None:
    with pytest.raises(error) as caught:
        admin_consent.requested_permissions(client(access), {API.app_id: API} if resources else {},
                                      wanted)
    assert caught.value.code == code


def test_who_may_grant() -> None:
    perms = admin_consent.requested_permissions(client((READ.id, "Role"), (SCOPE.id, "Scope")),
                                          {API.app_id: API})
    admin_consent.check_admin(("Global Administrator",), perms, privileged=frozenset({API.app_id}))
    admin_consent.check_admin(("Application Administrator",), perms, privileged=frozenset())
    admin_consent.check_admin(("Cloud Application Administrator",), perms[1:],
                        privileged=frozenset({API.app_id}))
    with pytest.raises(AccessDenied, match="Global Administrator"):
        admin_consent.check_admin(("Application Administrator",), perms,
                            privileged=frozenset({API.app_id}))
    with pytest.raises(AccessDenied) as caught:
        admin_consent.check_admin((), perms, privileged=frozenset())
    assert caught.value.code == 90094


def test_redirects_keep_the_registered_query() -> None:
    req = admin_consent.parse_request(pairs(client_id="c", redirect_uri=URI, state="a b&c",
                                      scope="api://mail/.default"), 2)
    perms = admin_consent.requested_permissions(client((READ.id, "Role")), {API.app_id: API})
    assert admin_consent.granted_redirect(req, TID, perms) == (
        f"{URI}&admin_consent=True&tenant={TID}&state=a+b%26c&scope=api%3A%2F%2Fmail%2FMail.Read")
    assert admin_consent.canceled_redirect(req) == (
        f"{URI}&error=access_denied&error_description=The+admin+canceled+the+request"
        "&state=a+b%26c")
    v1 = admin_consent.parse_request(pairs(client_id="c", redirect_uri="https://a.example/"), 1)
    assert admin_consent.granted_redirect(v1, TID, perms) == (
        f"https://a.example/?admin_consent=True&tenant={TID}")
