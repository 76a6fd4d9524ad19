"""One portal request: who is signed in, with which token, and what the page may offer.

``Portal`` is what every page handler gets: the tenant of the URL, the signed-in user, the
``Graph`` client that calls ``/v1.0`` with the user's delegated token, the management
permissions that token carries within the user's directory roles (``Caller.permissions``,
from the API's own ``authenticate``: used only to decide which controls to show; the API
decides what happens), and for a POST the form, whose CSRF token must be the one the page
made for this session and this path (OWASP synchronizer token). Without a session in the
URL's tenant, or without portal tokens for it, the browser is sent to sign in
(service/portal.py) and comes back to the same page.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp

from credo.errors import OAuthError
from credo.model import DIRECTORY_ROLE_TEMPLATES, Tenant
from credo.service.management import Caller, InvalidToken
from credo.service.management.policy import (
    MANAGEMENT_APP_ID,
    PORTAL_APP_ID,
    ROLE_APPS,
    ROLE_TENANTS,
    user_power,
)
from credo.service.portal import Session
from credo.service.runtime import Services
from credo.service.tenants import page_tenant
from credo.web.client_address import client_address
from credo.web.portal import render
from credo.web.portal.forms import Form, read_form
from credo.web.portal.graph import Graph, GraphFailure
from credo.web.render import correlation_id
from credo.web.session import SESSION_COOKIE, SignedInUser, current_user, services_of

FLOW_COOKIE = "__Host-credo-portal-flow"
FLOW_SECONDS = 3600
_CSRF = "portal"


@dataclass
class Portal:
    request: Request
    services: Services
    tenant: Tenant
    signed: SignedInUser
    caller: Caller
    graph: Graph
    form: Form = field(default_factory=Form)

    def can(self, permission: str) -> bool:
        """Whether the token carries ``permission`` here (what controls to show)."""
        return permission in self.caller.permissions

    def covers(self, roles: Iterable[str]) -> bool:
        """Whether the API would let this person change someone holding ``roles`` (or grant
        them): the caller's power covers what they allow (``policy.require_covers``)."""
        held = tuple(r for r in roles if r in DIRECTORY_ROLE_TEMPLATES)
        return self.caller.power.covers(user_power(
            self.tenant.id, held,
            bootstrap=self.tenant.id == self.services.settings.bootstrap_tenant))

    def builtin(self, app_id: str) -> bool:
        """One of Credo's own apps, which nothing changes through the API."""
        return app_id in (MANAGEMENT_APP_ID, PORTAL_APP_ID,
                          self.services.settings.operator_app_id)

    def can_change(self, app: dict[str, Any]) -> bool:
        """Whether to offer changes to this app registration."""
        return self.can(ROLE_APPS) and not self.builtin(str(app["appId"]))

    @property
    def operator(self) -> bool:
        """Runs the deployment: ``Tenant.ReadWrite.All`` in the bootstrap tenant."""
        return (self.tenant.id == self.services.settings.bootstrap_tenant
                and self.can(ROLE_TENANTS))

    @property
    def section(self) -> str:
        """The navigation entry this page belongs to ("" for the tenant's home)."""
        parts = self.request.url.path.split("/")
        return parts[3] if len(parts) > 3 else ""

    @property
    def base_url(self) -> str:
        return self.services.settings.base_url

    def href(self, path: str = "/", **query: str) -> str:
        return f"/portal/{self.tenant.id}{path}" + (f"?{urlencode(query)}" if query else "")

    def csrf(self, path: str | None = None) -> str:
        """The token of a form that posts to ``path`` (this page's by default)."""
        return self.services.accounts.sessions.csrf_token(
            _CSRF, self.signed.session_id, path or self.request.url.path)

    @property
    def signout_csrf(self) -> str:
        return self.services.accounts.sessions.csrf_token("portal signout",
                                                          self.signed.session_id)

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        return render.page(template, status=status, portal=self, **context)

    def back(self, path: str, **query: str) -> Response:
        return render.redirect(self.href(path, **query))


Handler = Callable[[Portal], Awaitable[Response]]


def page(handler: Handler, management: ASGIApp) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint: open the portal (or send the browser to sign in), run ``handler``, and
    render any failure as a page."""
    async def endpoint(request: Request) -> Response:
        opened: Portal | Response | None = None
        try:
            opened = await _open(request, management)
            return opened if isinstance(opened, Response) else await handler(opened)
        except GraphFailure as err:
            return render.failure(err, _context(opened))
        except OAuthError as err:
            return render.oauth_failure(err, _context(opened))
        except Exception as exc:  # no blank page, whatever failed
            return render.unexpected(exc, _context(opened))
    return endpoint


def _context(opened: Portal | Response | None) -> dict[str, Any]:
    return {"portal": opened if isinstance(opened, Portal) else None}


async def _open(request: Request, management: ASGIApp) -> Portal | Response:
    services = services_of(request)
    tenant = await page_tenant(services.cache, request.path_params["tenant"])
    signed = await current_user(request, services, tenant)
    if signed is None:
        return sign_in(request, services, tenant)
    session = Session(request.cookies.get(SESSION_COOKIE, ""), tenant.id, signed.user.id)
    address = client_address(request.scope, services.settings)
    token = await services.portal.access_token(
        session, correlation=correlation_id(request.headers.get("client-request-id")),
        address=address)
    caller = await _caller(services, token)
    if token is None or caller is None:
        return sign_in(request, services, tenant)
    portal = Portal(request, services, tenant, signed, caller,
                    Graph(management, services.settings.base_url, token, address))
    if request.method == "POST":
        portal.form = await read_form(request)
        try:
            services.accounts.sessions.check_csrf(portal.form.get("csrf"), _CSRF,
                                                  signed.session_id, request.url.path)
        except OAuthError as err:
            return render.page("error.html", status=err.http_status, portal=portal,
                               heading="This form has expired", code=f"AADSTS{err.code}",
                               message="It was not sent by this page in this session. "
                                       "Reload the page and submit it again.",
                               details=[], request_id="")
    return portal


async def _caller(services: Services, token: str | None) -> Caller | None:
    """What the management API makes of the token (None: sign in again)."""
    if token is None:
        return None
    try:
        return await services.management.auth.authenticate(token, services.sources.clock())
    except InvalidToken:
        return None


def sign_in(request: Request, services: Services, tenant: Tenant) -> Response:
    """To the authorize endpoint (sign-in when needed), back to this page afterwards."""
    flow = request.cookies.get(FLOW_COOKIE) or secrets.token_urlsafe(32)
    back = request.url.path + (f"?{request.url.query}" if request.method == "GET"
                               and request.url.query else "")
    response = render.redirect(services.portal.authorize_url(tenant.id, flow, back))
    response.set_cookie(FLOW_COOKIE, flow, max_age=FLOW_SECONDS, path="/", secure=True,
                        httponly=True, samesite="lax")
    return response
