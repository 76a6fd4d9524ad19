"""``/{tenant}/adminconsent`` and ``/{tenant}/v2.0/adminconsent``: the admin-consent pages.

As in Entra, GET shows (after sign-in) every permission the app's
``requiredResourceAccess`` asks for; the page's form POSTs back to the same path with
``action=accept`` or ``action=cancel`` and a CSRF token bound to the session and to every
parameter of the request (client, redirect URI, ``state``, ``scope``), so none can be
swapped. A request that names an unknown tenant or app, or a ``redirect_uri`` not
registered on the app, gets an error page and never a redirect. Pipeline: resolve →
parse → prepare (``AdminConsentService``) → signed in? → may grant? → show / decide.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from credo.aadsts.request import ADMIN_CONSENT_ANSWER
from credo.errors import AccessDenied, CredoError, OAuthError
from credo.protocol import admin_consent
from credo.protocol.admin_consent import AdminConsentRequest
from credo.service.admin_consent import ConsentPlan
from credo.service.runtime import Services
from credo.service.tenants import page_tenant
from credo.web import pages
from credo.web.session import SignedInUser, login_url, services_of, signed_in, signin_redirect

log = logging.getLogger("credo.consent")
_PURPOSE = "adminconsent"


def routes() -> list[Route]:
    return [Route("/{tenant}/adminconsent", admin_consent_v1, methods=["GET", "POST"]),
            Route("/{tenant}/v2.0/adminconsent", admin_consent_v2, methods=["GET", "POST"])]


async def admin_consent_v1(request: Request) -> Response:
    return await _admin_consent(request, 1)


async def admin_consent_v2(request: Request) -> Response:
    return await _admin_consent(request, 2)


def _relative(segment: str, version: int) -> str:
    return f"/{quote(segment, safe='')}{'/v2.0' if version == 2 else ''}/adminconsent"


def _return_to(segment: str, req: AdminConsentRequest) -> str:
    """This request's GET URL (path and query): where sign-in comes back to."""
    return f"{_relative(segment, req.version)}?{urlencode(_fields(req))}"


def _fields(req: AdminConsentRequest) -> list[tuple[str, str]]:
    pairs = [("client_id", req.client_id), ("redirect_uri", req.redirect_uri),
             ("state", req.state), ("scope", req.scope)]
    return [(name, value) for name, value in pairs if value is not None]


def _binding(plan: ConsentPlan, signed: SignedInUser) -> tuple[str, ...]:
    req = plan.request
    return (signed.session_id, plan.tenant.id, str(req.version), req.client_id,
            req.redirect_uri, req.state or "", req.scope or "")


async def _admin_consent(request: Request, version: admin_consent.Version) -> Response:
    services = services_of(request)
    segment = request.path_params["tenant"]
    form: dict[str, str] = {}
    try:
        tenant = await page_tenant(services.cache, segment)
        if request.method == "POST":
            form = await pages.read_form(request)
        pairs = (list(form.items()) if request.method == "POST"
                 else request.query_params.multi_items())
        plan = await services.accounts.consent.prepare(
            tenant, admin_consent.parse_request(pairs, version))
    except OAuthError as err:
        return pages.error(err)
    user = await signed_in(request, services)
    if user is None:
        return signin_redirect(request, segment, _return_to(segment, plan.request))
    if request.method == "GET":
        return await _show(services, segment, plan, user)
    return await _decide(services, segment, plan, user, form)


def _need_admin(services: Services, segment: str, plan: ConsentPlan, user: SignedInUser,
                err: AccessDenied) -> Response:
    return pages.message(
        "Need admin approval", f"{plan.client.display_name} needs permission to access "
        f"resources in {plan.tenant.display_name} that only an admin can grant. "
        f"{err.description}", status=403, code=err.code, alert=True,
        signed_in_as=user.user.user_principal_name,
        link=login_url(services, segment, _return_to(segment, plan.request)),
        link_text="Sign in with an administrator account")


async def _show(services: Services, segment: str, plan: ConsentPlan, user: SignedInUser
                ) -> Response:
    try:
        services.accounts.consent.authorize(plan, user.user)
    except AccessDenied as err:
        return _need_admin(services, segment, plan, user, err)
    home = await services.cache.tenant(plan.client.tenant_id)
    return pages.render(
        "consent.html", title="Permissions requested", user_name=user.user.display_name,
        user_upn=user.user.user_principal_name, app_name=plan.client.display_name,
        publisher=home.default_domain if home is not None else "",
        tenant_name=plan.tenant.display_name, permissions=plan.permissions,
        action=services.settings.base_url + _relative(segment, plan.request.version),
        fields=_fields(plan.request),
        csrf=services.accounts.sessions.csrf_token(_PURPOSE, *_binding(plan, user)))


async def _decide(services: Services, segment: str, plan: ConsentPlan, user: SignedInUser,
                  form: dict[str, str]) -> Response:
    try:
        services.accounts.sessions.check_csrf(form.get("csrf"), _PURPOSE, *_binding(plan, user))
    except OAuthError as err:
        return pages.error(err)
    action = form.get("action")
    try:
        if action == "accept":
            return pages.redirect(await services.accounts.consent.grant(plan, user.user))
        services.accounts.consent.authorize(plan, user.user)
        if action == "cancel":
            return pages.redirect(services.accounts.consent.cancel(plan, user.user))
    except AccessDenied as err:
        return _need_admin(services, segment, plan, user, err)
    except CredoError as err:  # a concurrent change or the store down: nothing was written
        log.warning("admin consent not recorded: %s %s", err.description, err.detail)
        return pages.message("Sorry, the consent was not recorded",
                             "Nothing was changed. Try again in a moment.", status=503,
                             alert=True)
    return pages.error(ADMIN_CONSENT_ANSWER())
