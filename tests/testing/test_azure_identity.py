"""azure-identity against the fixture: the credentials take only the authority (or the
``AZURE_*`` variables ``tenant.azure_environment`` sets); no ``disable_instance_discovery``."""

from __future__ import annotations

import os

import pytest
from azure.identity import (
    CertificateCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    EnvironmentCredential,
)

from credo.testing import Api, App, Authority, Tenant
from credo.testing.environment import AZURE_CREDENTIAL_VARIABLES

from .conftest import verified

pytestmark = pytest.mark.slow


@pytest.fixture
def mail(credo_tenant: Tenant) -> Api:
    return credo_tenant.api("api://azure-mail", app_roles=["Mail.Read"])


@pytest.fixture
def daemon(credo_tenant: Tenant, mail: Api) -> App:
    daemon = credo_tenant.daemon("azure daemon", certificate=True, secret=True)
    credo_tenant.grant(daemon, mail, "Mail.Read")
    return daemon


def _check(tenant: Tenant, mail: Api, daemon: App, token: str) -> None:
    caller = verified(tenant, mail, token)
    assert (caller.app_id, caller.tenant_id, caller.roles) == (
        daemon.client_id, tenant.id, {"Mail.Read"})


def test_certificate_credential(credo_authority: Authority, credo_tenant: Tenant, mail: Api,
                                daemon: App) -> None:
    assert daemon.certificate is not None
    credential = CertificateCredential(credo_tenant.id, daemon.client_id,
                                       str(daemon.certificate.pem_path),
                                       authority=credo_authority.url)
    _check(credo_tenant, mail, daemon, credential.get_token(mail.default_scope).token)


def test_client_secret_credential(credo_authority: Authority, credo_tenant: Tenant, mail: Api,
                                  daemon: App) -> None:
    assert daemon.secret is not None
    credential = ClientSecretCredential(credo_tenant.id, daemon.client_id, daemon.secret,
                                        authority=credo_authority.url)
    _check(credo_tenant, mail, daemon, credential.get_token(mail.default_scope).token)


@pytest.mark.parametrize("use_secret", [False, True], ids=["certificate", "secret"])
def test_environment_credential(credo_tenant: Tenant, mail: Api, daemon: App,
                                use_secret: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "a developer's own secret")
    monkeypatch.setenv("AZURE_USERNAME", "someone@contoso.com")
    before = {name: os.environ.get(name) for name in AZURE_CREDENTIAL_VARIABLES}
    with credo_tenant.azure_environment(daemon, use_secret=use_secret):
        chosen = "AZURE_CLIENT_SECRET" if use_secret else "AZURE_CLIENT_CERTIFICATE_PATH"
        assert {n for n in AZURE_CREDENTIAL_VARIABLES if n in os.environ} == {
            "AZURE_AUTHORITY_HOST", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", chosen}
        token = EnvironmentCredential().get_token(mail.default_scope).token
    _check(credo_tenant, mail, daemon, token)
    assert {name: os.environ.get(name) for name in AZURE_CREDENTIAL_VARIABLES} == before


def test_default_azure_credential(credo_tenant: Tenant, mail: Api, daemon: App) -> None:
    with credo_tenant.azure_environment(daemon):
        token = DefaultAzureCredential().get_token(mail.default_scope).token
    _check(credo_tenant, mail, daemon, token)
