"""``App.federated``: one tenant's app signs in to another with its own token as the
credential (workload identity federation between tenants of the test authority)."""

from __future__ import annotations

from pathlib import Path

import msal
import pytest

from credo.testing import Authority, Tenant, serve
from federation import HttpsIssuer, IssuerCa

from .conftest import verified

pytestmark = pytest.mark.slow


def test_an_app_of_one_tenant_signs_in_to_another_with_its_token(
        credo_authority: Authority, credo_tenant: Tenant) -> None:
    exchange = credo_tenant.api("api://AzureADTokenExchange", app_roles=["Exchange"])
    workload = credo_tenant.daemon("Workload", secret=True)
    credo_tenant.grant(workload, exchange, "Exchange")

    def workload_token() -> str:
        app = msal.ConfidentialClientApplication(
            workload.client_id, client_credential=workload.secret,
            authority=credo_tenant.authority_url)
        return str(app.acquire_token_for_client([exchange.default_scope])["access_token"])

    with credo_authority.tenant() as other:
        mail = other.api("api://mail", app_roles=["Mail.Read"])
        deployer = other.daemon("Deployer")
        issuer, subject = workload.issuer_subject
        created = deployer.federated(issuer, subject, name="from-workloads")
        assert (created["name"], created["audiences"]) == (
            "from-workloads", ["api://AzureADTokenExchange"])
        other.grant(deployer, mail, "Mail.Read")
        app = msal.ConfidentialClientApplication(
            deployer.client_id, client_credential={"client_assertion": workload_token},
            authority=other.authority_url)
        result = app.acquire_token_for_client([mail.default_scope])
        assert "access_token" in result, result
        assert verified(other, mail, result["access_token"]).roles == {"Mail.Read"}


def test_serve_with_settings_trusts_a_test_issuer(tmp_path: Path) -> None:
    """A fake GitHub of the test's own, trusted by the server through ``federation_ca_file``."""
    ca = IssuerCa(tmp_path)
    trusted = {"federation_ca_file": ca.ca_path}
    with HttpsIssuer(ca) as github, serve(tmp_path / "authority", settings=trusted) as authority, \
            authority.tenant() as tenant:
        api = tenant.api("api://deploy", app_roles=["Deploy"])
        deployer = tenant.daemon("Deployer")
        deployer.federated(github.url, "repo:contoso/mail:ref:refs/heads/main")
        tenant.grant(deployer, api, "Deploy")
        app = msal.ConfidentialClientApplication(
            deployer.client_id, authority=tenant.authority_url,
            client_credential={"client_assertion": github.github})
        result = app.acquire_token_for_client([api.default_scope])
        assert "access_token" in result, result
        assert verified(tenant, api, result["access_token"]).roles == {"Deploy"}
