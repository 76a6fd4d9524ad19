"""The portal's way in and out: the tenant picker, the redirect URI, sign-out, admin consent.

``/portal/`` sends a signed-in browser to its tenant's portal and asks anyone else for their
organization. ``/portal/callback`` is the portal app's registered redirect URI: it receives
the authorization code of the portal's own sign-in (service/portal.py redeems it) and the
answer of an admin consent that the API permissions page started ("Grant admin consent for
…", which runs Credo's admin-consent flow with this redirect URI). Sign-out (a POST with a
CSRF token) forgets the portal's tokens and ends the Credo session on the server.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from credo.errors import OAuthError
from credo.model import is_guid
from credo.service.portal import CONSENT, PortalSignInFailed, Session
from credo.service.runtime import Services
from credo.service.tenants import page_tenant
from credo.web.client_address import client_address
from credo.web.portal import render
from credo.web.portal.forms import read_form
from credo.web.portal.frame import FLOW_COOKIE, Portal
from credo.web.render import correlation_id
from credo.web.session import SESSION_COOKIE, end_session, safe_return_to, services_of, signed_in

_ERROR = re.compile(r"^[a-z_]{1,40}$")


async def start(request: Request) -> Response:
    """The tenant picker (``?tenant=`` a domain or tenant id), or the session's tenant."""
    services = services_of(request)
    wanted = request.query_params.get("tenant", "").strip()
    if wanted:
        try:
            tenant = await page_tenant(services.cache, wanted)
        except OAuthError as err:
            return render.page("start.html", status=400, portal=None, tenant_value=wanted,
                               title="Sign in",
                               error=err.description, code=err.code, signed_out=False)
        return render.redirect(f"/portal/{tenant.id}/")
    signed = await signed_in(request, services)
    if signed is not None:
        return render.redirect(f"/portal/{signed.tenant_id}/")
    return render.page("start.html", portal=None, title="Sign in", tenant_value="", error="",
                       code=0,
                       signed_out="signedout" in request.query_params)


async def callback(request: Request) -> Response:
    """The portal's redirect URI: its sign-in's code, or an admin consent's answer."""
    params = request.query_params
    state = params.get("state", "")
    if state.startswith(CONSENT):
        return await _consented(request, state)
    services = services_of(request)
    if params.get("error"):
        return _refused(params.get("error", ""), _provider_text(request, services, state))
    signed = await signed_in(request, services)
    if signed is None or not params.get("code"):
        return _refused("login_required", "You are not signed in. Open the portal again.")
    session = Session(request.cookies.get(SESSION_COOKIE, ""), signed.tenant_id,
                      signed.user.id)
    try:
        back = await services.portal.redeem(
            session, code=params["code"], state=state, flow=request.cookies.get(FLOW_COOKIE, ""),
            correlation=correlation_id(request.headers.get("client-request-id")),
            address=client_address(request.scope, services.settings))
    except OAuthError as err:
        return render.oauth_failure(err, {"portal": None})
    except PortalSignInFailed as err:
        return _refused("state_mismatch", err.description)
    safe = safe_return_to(back)
    return render.redirect(safe if safe and safe.startswith("/portal/") else "/portal/")


def _provider_text(request: Request, services: Services, state: str) -> str:
    """The sign-in's own ``error_description``, shown only when ``state`` is this browser's
    flow: anyone can link to the callback with any text, which the page would show on
    Credo's origin (a phishing message), so another's is replaced by a fixed one."""
    try:
        services.portal.read_state(state, request.cookies.get(FLOW_COOKIE, ""))
    except PortalSignInFailed:
        return "The sign-in was not completed. Open the portal again."
    return request.query_params.get("error_description", "")


def _refused(error: str, description: str) -> Response:
    return render.page("error.html", status=400, portal=None,
                       heading="Sign-in to the portal could not be completed",
                       message=description[:500] or "The sign-in was not completed.",
                       code=error[:40], details=[], request_id="")


async def signout(request: Request) -> Response:
    """End the session (portal tokens included) everywhere, then the tenant picker. Only a
    session seen here, with its CSRF token, is ended and its cookie cleared: a cross-site
    POST, which carries no ``SameSite=Lax`` cookie, signs no one out."""
    services = services_of(request)
    form = await read_form(request)
    signed = await signed_in(request, services)
    response = render.redirect("/portal/?signedout=1")
    if signed is not None:
        try:
            services.accounts.sessions.check_csrf(form.get("csrf"), "portal signout",
                                                  signed.session_id)
        except OAuthError as err:
            return render.oauth_failure(err, {"portal": None})
        cookie = request.cookies.get(SESSION_COOKIE, "")
        await services.portal.forget(cookie)
        await services.accounts.sessions.end(cookie)
        end_session(response)
    return response


# -- "Grant admin consent for …" ---------------------------------------------------------
def consent_url(portal: Portal, app_object_id: str, client_id: str) -> str:
    """Credo's admin-consent flow for the app, answering to the portal's redirect URI."""
    return portal.services.portal.consent_url(portal.signed.session_id, portal.tenant.id,
                                              client_id, app_object_id)


async def _consented(request: Request, state: str) -> Response:
    services = services_of(request)
    signed = await signed_in(request, services)
    try:
        tenant_id, app = services.portal.read_consent(state, signed.session_id if signed
                                                      else "")
    except PortalSignInFailed as err:
        return _refused("state_mismatch", f"{err.description} Nothing else was changed by "
                        "the portal.")
    if not (is_guid(tenant_id) and is_guid(app)):
        return _refused("state_mismatch", "The admin consent answer is malformed.")
    error = request.query_params.get("error", "")
    outcome = ("granted" if request.query_params.get("admin_consent") == "True"
               else error if _ERROR.match(error) else "failed")
    return render.redirect(f"/portal/{tenant_id}/apps/{app}/permissions?consent={outcome}")
