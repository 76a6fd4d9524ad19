"""Test inbox.py offline against a real Credo: ``pip install credo``, then ``pytest``.

Credo's pytest plugin (installed with Credo) starts one Credo for the session: HTTPS on a
free port, SQLite in a temporary directory, its CA trusted by this process and its
authority known to MSAL. ``credo_tenant`` is a new tenant for each test.
"""

from __future__ import annotations

import inbox
import pytest

from credo.resource import Principal, TokenValidator
from credo.testing import Api, Tenant

REDIRECT_URI = "https://inbox.example/signed-in"


@pytest.fixture
def mail(credo_tenant: Tenant) -> Api:
    """The mail API: one application permission for daemons, one scope for users."""
    return credo_tenant.api(inbox.MAIL, app_roles=["Mail.Read"], scopes=["Mail.Read"])


def verified(tenant: Tenant, api: Api, token: str) -> Principal:
    """The token as the mail API sees it: signature, issuer, audience and times checked."""
    validator = TokenValidator(tenant.authority_url, [api.identifier_uri, api.app_id])
    try:
        return validator.validate_sync(token)
    finally:
        validator.close()


def test_daemon_signs_in_with_its_certificate(credo_tenant: Tenant, mail: Api) -> None:
    daemon = credo_tenant.daemon("Inbox daemon", certificate=True)
    credo_tenant.grant(daemon, mail, ["Mail.Read"])
    token = inbox.token_with_certificate(credo_tenant.authority_url, daemon.client_id,
                                         daemon.certificate.cert_path,
                                         daemon.certificate.key_path)
    caller = verified(credo_tenant, mail, token)
    assert (caller.app_id, caller.roles, caller.is_app_only) == (
        daemon.client_id, {"Mail.Read"}, True)


def test_daemon_without_admin_consent_gets_no_token(credo_tenant: Tenant, mail: Api) -> None:
    daemon = credo_tenant.daemon("Inbox daemon", certificate=True)
    with pytest.raises(PermissionError, match="AADSTS501051"):
        inbox.token_with_certificate(credo_tenant.authority_url, daemon.client_id,
                                     daemon.certificate.cert_path, daemon.certificate.key_path)


def test_revoked_permission_ends_new_tokens(credo_tenant: Tenant, mail: Api) -> None:
    daemon = credo_tenant.daemon("Inbox daemon", certificate=True)
    credo_tenant.grant(daemon, mail, ["Mail.Read"])
    files = daemon.certificate
    inbox.token_with_certificate(credo_tenant.authority_url, daemon.client_id,
                                 files.cert_path, files.key_path)
    credo_tenant.revoke(daemon, mail, ["Mail.Read"])
    with pytest.raises(PermissionError, match="AADSTS501051"):
        inbox.token_with_certificate(credo_tenant.authority_url, daemon.client_id,
                                     files.cert_path, files.key_path)


def test_azure_identity_reads_the_environment(credo_tenant: Tenant, mail: Api) -> None:
    daemon = credo_tenant.daemon("Inbox daemon", secret=True)
    credo_tenant.grant(daemon, mail, ["Mail.Read"])
    with credo_tenant.azure_environment(daemon):  # AZURE_AUTHORITY_HOST, _TENANT_ID, ...
        token = inbox.token_from_environment()
    assert verified(credo_tenant, mail, token).roles == {"Mail.Read"}


def test_user_signs_in_to_the_web_app(credo_tenant: Tenant, mail: Api) -> None:
    web = credo_tenant.web_app("Inbox web", REDIRECT_URI)
    alice = credo_tenant.user("alice")
    site = inbox.WebSignIn(credo_tenant.authority_url, web.client_id, web.secret, REDIRECT_URI)
    flow = site.start()
    auth_response = credo_tenant.sign_in(flow, alice)  # Credo's pages, without a browser
    result = site.finish(flow, auth_response)
    assert result["id_token_claims"]["preferred_username"] == alice.upn
    caller = verified(credo_tenant, mail, result["access_token"])
    assert (caller.scopes, caller.object_id, caller.is_app_only) == (
        {"Mail.Read"}, alice.id, False)
