"""The session fixture and the helpers against the real server they start.

Trust (requests, httpx and ``ssl`` all reach the server without ``verify=``), a fresh
tenant per test whose applications are deleted afterwards, grants and revocations that take
effect at once, users with directory roles, the browserless sign-in and its refusals, and
Graph errors reported whole.
"""

from __future__ import annotations

import json
import os
import urllib.request

import httpx
import msal
import pytest
import requests

from credo.testing import Api, App, Authority, ManagementError, SignInError, Tenant
from credo.testing.environment import CA_VARIABLES

from .conftest import verified

pytestmark = pytest.mark.slow
REDIRECT_URI = "https://app.example/signed-in"
seen_tenants: list[str] = []


def test_the_ca_is_trusted_by_every_http_stack(credo_authority: Authority,
                                               credo_tenant: Tenant) -> None:
    assert {os.environ[name] for name in CA_VARIABLES} == {str(credo_authority.ca_bundle)}
    assert credo_authority.ca_bundle.read_text().startswith(credo_authority.ca_path.read_text())
    url = f"{credo_tenant.authority_url}/v2.0/.well-known/openid-configuration"
    with urllib.request.urlopen(url, context=credo_authority.ssl_context()) as answer:
        issuers = {json.load(answer)["issuer"]}
    issuers |= {requests.get(url, timeout=10).json()["issuer"], httpx.get(url).json()["issuer"]}
    assert issuers == {f"{credo_authority.url}/{credo_tenant.id}/v2.0"}


@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_a_fresh_tenant_and_may_reuse_identifier_uris(
        credo_tenant: Tenant, run: int) -> None:
    assert credo_tenant.id not in seen_tenants
    seen_tenants.append(credo_tenant.id)
    api = credo_tenant.api("api://fixture-mail", app_roles=["Mail.Read"])  # in each run
    assert credo_tenant.call("GET", f"/applications/{api.object_id}")["appId"] == api.app_id


def test_a_tenant_deletes_its_applications_when_it_ends(credo_authority: Authority) -> None:
    with credo_authority.tenant() as tenant:
        api = tenant.api("api://short-lived", app_roles=["Mail.Read"])
        daemon = tenant.daemon("short-lived", secret=True)
    for registration in (api, daemon):
        with pytest.raises(ManagementError) as gone:
            tenant.call("GET", f"/applications/{registration.object_id}")
        assert gone.value.status == 404


def test_a_taken_domain_is_a_graph_error_with_its_body(credo_authority: Authority,
                                                       credo_tenant: Tenant) -> None:
    with pytest.raises(ManagementError) as taken:
        credo_authority.tenant(credo_tenant.domain)
    assert (taken.value.status, taken.value.code) == (
        409, "Request_MultipleObjectsWithSameKeyValue")
    assert credo_tenant.domain in taken.value.message
    assert taken.value.body["error"]["code"] == taken.value.code


def _token(tenant: Tenant, daemon: App, api: Api) -> dict[str, object]:
    app = msal.ConfidentialClientApplication(daemon.client_id, authority=tenant.authority_url,
                                             client_credential=daemon.secret)
    return dict(app.acquire_token_for_client([api.default_scope]))


def test_grant_and_revoke_take_effect_for_the_next_token(credo_tenant: Tenant) -> None:
    mail = credo_tenant.api("api://grants", app_roles=["Mail.Read", "Mail.Send"])
    daemon = credo_tenant.daemon("granted", secret=True)
    assert len(set(credo_tenant.grant(daemon, mail, ["Mail.Read", "Mail.Send"]))) == 2
    token = str(_token(credo_tenant, daemon, mail)["access_token"])
    assert verified(credo_tenant, mail, token).roles == {"Mail.Read", "Mail.Send"}

    credo_tenant.revoke(daemon, mail, "Mail.Send")
    token = str(_token(credo_tenant, daemon, mail)["access_token"])
    assert verified(credo_tenant, mail, token).roles == {"Mail.Read"}

    with pytest.raises(LookupError, match="does not hold every role"):
        credo_tenant.revoke(daemon, mail, ["Mail.Read", "Mail.Send"])  # nothing removed:
    token = str(_token(credo_tenant, daemon, mail)["access_token"])
    assert verified(credo_tenant, mail, token).roles == {"Mail.Read"}

    credo_tenant.revoke(daemon, mail)
    refused = _token(credo_tenant, daemon, mail)
    assert (refused["error"], refused["error_codes"]) == ("invalid_grant", [501051])


def test_grant_names_only_roles_the_api_offers(credo_tenant: Tenant) -> None:
    mail = credo_tenant.api("api://offers", app_roles=["Mail.Read"])
    daemon = credo_tenant.daemon("asks too much", secret=True)
    with pytest.raises(ValueError, match=r"offers no app role 'Mail\.Send'"):
        credo_tenant.grant(daemon, mail, ["Mail.Send"])
    assert credo_tenant.call("GET", f"/servicePrincipals/{daemon.sp_id}/appRoleAssignments"
                             )["value"] == []


def test_users_hold_directory_roles_and_only_an_administrator_consents(
        credo_tenant: Tenant) -> None:
    admin = credo_tenant.user("admin", roles=["Global Administrator"])
    pat = credo_tenant.user("pat", "Pat-password-1", display_name="Pat Example")
    assert (pat.upn, pat.display_name) == (f"pat@{credo_tenant.domain}", "Pat Example")
    listed = {u["userPrincipalName"] for u in credo_tenant.call("GET", "/users")["value"]}
    assert listed == {admin.upn, pat.upn}
    web = credo_tenant.web_app("consenting app", REDIRECT_URI)
    url = (f"{credo_tenant.authority_url}/adminconsent?client_id={web.client_id}"
           f"&redirect_uri={REDIRECT_URI}&state=s1")
    assert credo_tenant.sign_in(url, admin) == {"admin_consent": "True",
                                                "tenant": credo_tenant.id, "state": "s1"}
    with pytest.raises(SignInError) as refused:
        credo_tenant.sign_in(url, pat)
    assert refused.value.status == 403
    assert refused.value.text.startswith("Need admin approval:")
    with pytest.raises(ValueError, match="unknown directory role 'Janitor'"):
        credo_tenant.user("sam", roles=["Janitor"])


def test_a_wrong_password_stops_the_sign_in_with_credos_message(credo_tenant: Tenant) -> None:
    native = credo_tenant.native_app("desktop")
    pat = credo_tenant.user("pat")
    app = msal.PublicClientApplication(native.client_id, authority=credo_tenant.authority_url)
    flow = app.initiate_auth_code_flow([], redirect_uri=native.redirect_uris[0],
                                       response_mode="form_post")
    impostor = type(pat)(pat.id, pat.upn, "not-the-password", pat.display_name)
    with pytest.raises(SignInError) as refused:
        credo_tenant.sign_in(flow, impostor)
    assert (refused.value.status, refused.value.text) == (
        400, "Sign in: Your account or password is incorrect. (AADSTS50126)")


def test_an_unregistered_redirect_uri_stops_on_credos_error_page(credo_tenant: Tenant) -> None:
    web = credo_tenant.web_app("redirects", REDIRECT_URI)
    pat = credo_tenant.user("pat")
    app = msal.ConfidentialClientApplication(web.client_id, client_credential=web.secret,
                                             authority=credo_tenant.authority_url)
    flow = app.initiate_auth_code_flow([], redirect_uri="https://evil.example/callback",
                                       response_mode="form_post")
    with pytest.raises(SignInError) as refused:
        credo_tenant.sign_in(flow, pat)
    assert refused.value.status == 400
    assert refused.value.text.startswith("Sorry, but we're having trouble signing you in.: "
                                         "The redirect URI 'https://evil.example/callback'")
    assert refused.value.text.endswith("(AADSTS50011)")


def test_certificate_files_are_private(credo_tenant: Tenant) -> None:
    daemon = credo_tenant.daemon("files", certificate=True)
    files = daemon.certificate
    assert files is not None
    modes = {p.name: p.stat().st_mode & 0o777
             for p in (files.cert_path, files.key_path, files.pem_path)}
    assert modes == {"cert.pem": 0o644, "key.pem": 0o600, "cert-and-key.pem": 0o600}
    assert files.pem_path.read_text() == files.private_key_pem + files.certificate_pem
