"""Every page of the portal renders for each kind of person (no template reads a value its
handler did not give), with the operator's pages refused to everyone else."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from credo.service.management.policy import MANAGEMENT_APP_ID
from credo.service.runtime import Services

from .conftest import Org, act, signed_in

LOGS = ("signins", "signins?failures=1&code=50126", "audit",
        "audit?failures=1&category=UserManagement")
"""The administrators' pages (AuditLog.Read.All): a user without a role gets 403."""


@pytest.mark.parametrize("who", ["admin", "app_admin", "member"])
async def test_every_page_renders(services: Services, org: Org, who: str) -> None:
    admin = await signed_in(services, org, org.admin)
    made = await act(admin, org.home + "apps/new", {"name": f"Page app {who}", "platform": "web",
                                                    "audience": "AzureADMyOrg", "redirect": ""})
    app = urlsplit(str(made.url)).path.rsplit("/", 1)[-1]
    await admin.close()
    management = await services.directory.service_principal(org.tenant, MANAGEMENT_APP_ID)
    user = await services.accounts.users.by_upn(org.tenant, org.member)
    assert user is not None
    browser = await signed_in(services, org, getattr(org, who))
    for path in ("", "apps", "apps?q=Page", "apps?q=nothing-matches", "apps/new", f"apps/{app}",
                 f"apps/{app}/delete", f"apps/{app}/credentials", f"apps/{app}/manifest",
                 f"apps/{app}/expose", f"apps/{app}/permissions", f"apps/{app}/permissions/add",
                 f"apps/{app}/permissions/add/{management.id}", "enterprise",
                 f"enterprise/{management.id}", "users", "users/new", f"users/{user.id}",
                 *(LOGS if who != "member" else ())):
        page = await browser.get(org.home + path)
        assert page.status_code == 200, (path, page.text[:3000])
        assert "<h1>" in page.text, path
    for path in ("keys", "tenants", *(LOGS if who == "member" else ())):
        assert (await browser.get(org.home + path)).status_code == 403, path
    await browser.close()
