"""Fixtures for the portal's in-process tests: one deployment for the package, a tenant with a
Global Administrator, an Application Administrator and a plain user, and a ``Browser``
(tests/browser.py) that signs in through the portal as each of them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from browser import Browser, forms
from credo.model import DirectoryRoleName, Tenant
from credo.service.runtime import Services, close_services
from credo.web.session import SESSION_COOKIE
from support import asgi_client, bearer, make_services, operator_token

PASSWORD = "Portal-Password-42"


@pytest.fixture(scope="package")
async def services(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Services]:
    deployment = await make_services(tmp_path_factory.mktemp("credo-portal"))
    yield deployment
    await close_services(deployment)


@pytest.fixture(scope="package")
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(services) as http:
        yield http


@dataclass(frozen=True)
class Org:
    tenant: Tenant
    admin: str
    app_admin: str
    member: str

    @property
    def home(self) -> str:
        return f"/portal/{self.tenant.id}/"


async def make_org(client: httpx.AsyncClient, services: Services, prefix: str = "org") -> Org:
    """A new tenant (through the API, as the operator) and its three users."""
    domain = f"{prefix}-{uuid.uuid4().hex[:8]}.test"
    root = bearer(await operator_token(client, services))
    created = await client.post("/v1.0/tenants", headers=root, json={"domain": domain})
    assert created.status_code == 201, created.text
    tenant = await services.directory.tenant(created.json()["id"])
    users = services.accounts.users

    async def user(name: str, roles: tuple[DirectoryRoleName, ...]) -> str:
        made = await users.create(tenant, f"{name}@{domain}", name.title(), PASSWORD)
        for role in roles:
            await users.assign_role(made, role)
        return made.user_principal_name

    return Org(tenant, await user("ada", ("Global Administrator",)),
               await user("alan", ("Application Administrator",)), await user("mia", ()))


@pytest.fixture(scope="module")
async def org(client: httpx.AsyncClient, services: Services) -> Org:
    return await make_org(client, services)


async def signed_in(services: Services, org: Org, upn: str, path: str = "") -> Browser:
    """A browser that opened ``path`` of the org's portal and signed in as ``upn``."""
    browser = Browser(services)
    landing = await browser.go(org.home + path.lstrip("/"), credentials=(upn, PASSWORD))
    assert landing.response.status_code == 200, landing.page
    assert "Credo portal" in landing.page and upn in landing.page
    return browser


def form_of(page: httpx.Response, action_suffix: str, **fields: str) -> dict[str, str]:
    """The fields of the page's form whose action ends with ``action_suffix``."""
    for form in forms(page.text):
        if form.action.endswith(action_suffix) and all(
                form.fields.get(k) == v for k, v in fields.items()):
            return form.fields
    raise AssertionError(f"no form posting to {action_suffix} with {fields}")


async def act(browser: Browser, url: str, fields: dict[str, str], *,
              files: dict[str, tuple[str, bytes]] | None = None,
              services: Services | None = None) -> httpx.Response:
    """Open ``url``, post ``fields`` to it with the page's CSRF token (multipart when
    ``files``), and follow the answer's redirect back into the portal. With ``services``,
    a page that shows no form gets a valid token all the same: the request a person could
    craft for a control the page hides from them."""
    page = await browser.get(url)
    assert page.status_code == 200, page.text[:2000]
    path = urlsplit(str(page.url)).path
    csrf = next((f.fields["csrf"] for f in forms(page.text)
                 if urlsplit(f.action).path == path and "csrf" in f.fields), None)
    if csrf is None and services is not None:
        session = await services.accounts.sessions.open(browser.cookie(SESSION_COOKIE) or "")
        assert session is not None
        csrf = services.accounts.sessions.csrf_token("portal", session.session_id, path)
    assert csrf is not None, f"no form posts to {path}"
    answer = await browser.http.post(path, data={"csrf": csrf, **fields}, files=files)
    if answer.status_code == 303:
        return await browser.get(answer.headers["location"])
    return answer
