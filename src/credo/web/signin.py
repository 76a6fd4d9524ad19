"""Sign-in and sign-out pages: ``/{tenant}/login`` and ``/{tenant}/oauth2[/v2.0]/logout``.

Sign-in (GET form, POST credentials; field names ``login`` and ``passwd`` as Entra's page)
is protected against CSRF by a synchronizer token bound to a random pre-session cookie
(OWASP CSRF Prevention Cheat Sheet); a successful sign-in starts a new session (new secret
and id: no session fixation, and the browser's previous session ends) and goes back to
``return_to``. The client address is ``web/client_address.py``'s.

Sign-out (OpenID Connect RP-Initiated Logout 1.0 §2, §3): with a live session, a GET (or a
POST without a CSRF token, as an RP's form may send) shows a confirmation form; only its
POST, with the CSRF token bound to the session, ends the session on the server. Then, or
straight away when there was no session, the browser goes to ``post_logout_redirect_uri``
only when it is registered on the app named by ``client_id`` (or ``id_token_hint``), else
sees a signed-out page.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from credo.errors import OAuthError, TemporarilyUnavailable
from credo.model import Tenant
from credo.service.runtime import Services
from credo.service.tenants import page_tenant
from credo.web import pages
from credo.web.client_address import client_address
from credo.web.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SignedInUser,
    absolute,
    end_session,
    safe_return_to,
    services_of,
    set_login_nonce,
    signed_in,
    start_session,
)

_NONCE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_EXPIRED = "The sign-in page has expired. Enter your account and password again."
_SIGNOUT = "signout"
_LOGOUT_FIELDS = ("post_logout_redirect_uri", "client_id", "state", "id_token_hint")


def routes() -> list[Route]:
    return [
        Route("/{tenant}/login", login, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/v2.0/logout", logout, methods=["GET", "POST"]),
        Route("/{tenant}/oauth2/logout", logout, methods=["GET", "POST"]),
    ]


def _form(request: Request, services: Services, tenant: Tenant, *, return_to: str | None,
          error: OAuthError | str | None = None, login_name: str = "",
          status: int = 200) -> Response:
    """The sign-in form with a fresh CSRF token (and its pre-session cookie when new)."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    fresh = not _NONCE.match(nonce)
    nonce = secrets.token_urlsafe(24) if fresh else nonce
    text = error.description if isinstance(error, OAuthError) else error
    headers = error.headers if isinstance(error, OAuthError) else {}
    response = pages.render(
        "signin.html", status=status, headers=headers, title="Sign in",
        tenant_name=tenant.display_name,
        action=f"{services.settings.base_url}/{request.path_params['tenant']}/login",
        csrf=services.accounts.sessions.csrf_token("login", nonce, tenant.id),
        return_to=return_to or "", login=login_name, error=text,
        code=error.code if isinstance(error, OAuthError) else 0)
    if fresh:
        set_login_nonce(response, nonce)
    return response


async def login(request: Request) -> Response:
    """GET: the form. POST: check CSRF, then the password (``SignInService.sign_in``)."""
    services = services_of(request)
    try:
        tenant = await page_tenant(services.cache, request.path_params["tenant"])
        if request.method == "GET":
            return _form(request, services, tenant,
                         return_to=safe_return_to(request.query_params.get("return_to")))
        form = await pages.read_form(request)
    except OAuthError as err:
        return pages.error(err)
    return await _submit(request, services, tenant, form)


async def _submit(request: Request, services: Services, tenant: Tenant,
                  form: dict[str, str]) -> Response:
    return_to = safe_return_to(form.get("return_to"))
    name = form.get("login", "")[:320]
    try:
        services.accounts.sessions.check_csrf(
            form.get("csrf"), "login", request.cookies.get(LOGIN_COOKIE, ""), tenant.id)
    except OAuthError:
        return _form(request, services, tenant, return_to=return_to, error=_EXPIRED,
                     login_name=name, status=400)
    now = services.sources.clock()
    address = client_address(request.scope, services.settings)
    try:
        user = await services.accounts.signin.sign_in(tenant, name, form.get("passwd", ""),
                                                      address=address, now=now)
    except OAuthError as err:
        status = 429 if isinstance(err, TemporarilyUnavailable) else 400
        return _form(request, services, tenant, return_to=return_to, error=err,
                     login_name=name, status=status)
    sessions = services.accounts.sessions
    await sessions.end(request.cookies.get(SESSION_COOKIE, ""))
    cookie, _ = await sessions.start(tenant.id, user.id)
    response = (pages.redirect(absolute(services, return_to)) if return_to else pages.message(
        "You're signed in", f"You're signed in to {tenant.display_name} as "
        f"{user.user_principal_name}. You can close this window."))
    start_session(response, cookie)
    return response


async def logout(request: Request) -> Response:
    """Confirm (GET), then end the session (POST with CSRF); redirect only where registered."""
    services = services_of(request)
    try:
        tenant = await page_tenant(services.cache, request.path_params["tenant"])
        params = (await pages.read_form(request) if request.method == "POST"
                  else dict(request.query_params))
    except OAuthError as err:
        return pages.error(err)
    signed = await signed_in(request, services)
    if signed is not None:
        if request.method == "GET" or "csrf" not in params:
            return _confirm(request, services, signed, params)
        try:
            services.accounts.sessions.check_csrf(params["csrf"], _SIGNOUT, signed.session_id)
        except OAuthError as err:
            return pages.error(err)
        await services.accounts.sessions.end(request.cookies.get(SESSION_COOKIE, ""))
    target = await services.accounts.signout.redirect_target(tenant, params)
    response = pages.redirect(target) if target else pages.message(
        "You signed out of your account",
        "It's a good idea to close all browser windows.")
    if signed is not None:  # a request without the session (a cross-site POST) ends none
        end_session(response)
    return response


def _confirm(request: Request, services: Services, signed: SignedInUser,
             params: dict[str, str]) -> Response:
    """The sign-out form: POSTs back to this path with the RP's parameters and a CSRF token."""
    return pages.render(
        "signout.html", title="Sign out", user_upn=signed.user.user_principal_name,
        action=services.settings.base_url + quote(request.scope["path"]),
        fields=[(name, params[name]) for name in _LOGOUT_FIELDS if params.get(name)],
        csrf=services.accounts.sessions.csrf_token(_SIGNOUT, signed.session_id))
