from __future__ import annotations

from credo.service.runtime import Services

from .conftest import Org, signed_in


async def test_smoke(services: Services, org: Org) -> None:
    browser = await signed_in(services, org, org.admin)
    for path in ("apps", "apps/new", "enterprise", "users", "users/new", "signins", "audit"):
        page = await browser.get(org.home + path)
        assert page.status_code == 200, (path, page.text[:3000])
    await browser.close()
