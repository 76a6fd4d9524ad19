"""MSAL against the fixture with nothing but its authority pointed there.

``ConfidentialClientApplication`` with a certificate (the current SHA-256 form and the
legacy SHA-1 ``thumbprint`` form) and with a secret; ``acquire_token_by_auth_code_flow``
after the browserless sign-in, for a confidential and a public client, then the cache
(``get_accounts``, ``acquire_token_silent``). No ``instance_discovery=False`` anywhere: the
autouse ``loopback_only`` guard fails a test that resolves any other host.
"""

from __future__ import annotations

from typing import Any

import msal
import pytest

from credo.testing import Api, Tenant

from .conftest import verified

pytestmark = pytest.mark.slow
WEB = "https://app.example/signed-in"


@pytest.fixture
def mail(credo_tenant: Tenant) -> Api:
    return credo_tenant.api("api://msal-mail", app_roles=["Mail.Read"],
                            scopes=["Mail.Read", "Mail.Send"], access_token_version=2)


def _app_only(credo_tenant: Tenant, mail: Api, credential: Any, client_id: str) -> None:
    app = msal.ConfidentialClientApplication(client_id, authority=credo_tenant.authority_url,
                                             client_credential=credential)
    result = app.acquire_token_for_client([mail.default_scope])
    assert "access_token" in result, result
    caller = verified(credo_tenant, mail, result["access_token"])
    assert (caller.app_id, caller.tenant_id, caller.roles, caller.is_app_only) == (
        client_id, credo_tenant.id, {"Mail.Read"}, True)


def test_certificate(credo_tenant: Tenant, mail: Api) -> None:
    daemon = credo_tenant.daemon("msal cert", certificate=True)
    credo_tenant.grant(daemon, mail, "Mail.Read")
    assert daemon.certificate is not None and daemon.secret is None
    _app_only(credo_tenant, mail, daemon.certificate.msal_credential(), daemon.client_id)


def test_certificate_with_a_sha1_thumbprint(credo_tenant: Tenant, mail: Api) -> None:
    daemon = credo_tenant.daemon("msal thumbprint", certificate=True)
    credo_tenant.grant(daemon, mail, "Mail.Read")
    files = daemon.certificate
    assert files is not None
    _app_only(credo_tenant, mail, {"private_key": files.private_key_pem,
                                   "thumbprint": files.thumbprint}, daemon.client_id)


def test_secret(credo_tenant: Tenant, mail: Api) -> None:
    daemon = credo_tenant.daemon("msal secret", secret=True)
    credo_tenant.grant(daemon, mail, "Mail.Read")
    assert daemon.secret is not None and daemon.certificate is None
    _app_only(credo_tenant, mail, daemon.secret, daemon.client_id)
    wrong = msal.ConfidentialClientApplication(daemon.client_id, client_credential="x" * 40,
                                               authority=credo_tenant.authority_url)
    refused = wrong.acquire_token_for_client([mail.default_scope])
    assert (refused["error"], refused["error_codes"]) == ("invalid_client", [7000215])


def _signed_in(credo_tenant: Tenant, app: Any, redirect_uri: str, mail: Api,
               response_mode: str = "form_post") -> dict[str, Any]:
    pat = credo_tenant.user("pat")
    flow = app.initiate_auth_code_flow([mail.scope("Mail.Read")], redirect_uri=redirect_uri,
                                       response_mode=response_mode)
    auth_response = credo_tenant.sign_in(flow, pat)
    assert set(auth_response) == {"code", "state", "session_state"}
    result = dict(app.acquire_token_by_auth_code_flow(flow, auth_response))
    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == pat.upn
    caller = verified(credo_tenant, mail, result["access_token"])
    assert (caller.object_id, caller.scopes, caller.is_app_only) == (
        result["id_token_claims"]["oid"], {"Mail.Read"}, False)
    (account,) = app.get_accounts()  # no authority-alias look-up
    silent = app.acquire_token_silent([mail.scope("Mail.Read")], account=account,
                                      force_refresh=True)
    assert silent is not None and "access_token" in silent, silent
    return result


@pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")
@pytest.mark.parametrize("response_mode", ["form_post", "query"])
def test_auth_code_flow_confidential_client(credo_tenant: Tenant, mail: Api,
                                            response_mode: str) -> None:
    web = credo_tenant.web_app("msal web", WEB)
    app = msal.ConfidentialClientApplication(web.client_id, client_credential=web.secret,
                                             authority=credo_tenant.authority_url)
    _signed_in(credo_tenant, app, WEB, mail, response_mode)


def test_auth_code_flow_public_client(credo_tenant: Tenant, mail: Api) -> None:
    native = credo_tenant.native_app("msal desktop")
    app = msal.PublicClientApplication(native.client_id, authority=credo_tenant.authority_url)
    _signed_in(credo_tenant, app, native.redirect_uris[0], mail)


def test_a_user_who_cancels_consent_gets_access_denied(credo_tenant: Tenant, mail: Api) -> None:
    web = credo_tenant.web_app("msal web", WEB)
    pat = credo_tenant.user("pat")
    app = msal.ConfidentialClientApplication(web.client_id, client_credential=web.secret,
                                             authority=credo_tenant.authority_url)
    flow = app.initiate_auth_code_flow([mail.scope("Mail.Send")], redirect_uri=WEB,
                                       response_mode="form_post")
    auth_response = credo_tenant.sign_in(flow, pat, consent=False)
    assert (auth_response["error"], auth_response["state"]) == ("access_denied", flow["state"])
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    assert result["error"] == "access_denied" and "access_token" not in result
