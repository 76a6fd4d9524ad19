"""The browser sign-in session, for every page that needs a signed-in user.

Public API (used by the admin-consent pages and the delegated flows' authorize endpoints):

``await current_user(request, services, tenant) -> SignedInUser | None``
    The user signed in to ``tenant`` (a resolved ``model.Tenant``) by this browser, or
    None: no cookie, a cookie that opens no live session on the server (never issued,
    signed out, expired, or ended by a password change, disabling or deletion of the user),
    or a session of another tenant.
``await signed_in(request, services) -> SignedInUser | None``
    The same for whatever tenant the session belongs to.
``signin_redirect(request, tenant_segment, return_to) -> Response``
    302 to ``/{tenant_segment}/login``, which comes back to ``return_to`` (a path and
    query on this server) after a successful sign-in.
``SignedInUser``: frozen; ``tenant_id``, ``user`` (``model.User``), ``auth_time`` (epoch
    seconds, OIDC Core §2), ``session_id`` (stable for the session: an OIDC ``sid``).

The session cookie ``__Host-credo-session`` is ``Secure; HttpOnly; SameSite=Lax; Path=/``
without ``Domain`` (RFC 6265bis §4.1.3.2 ``__Host-`` prefix) and holds only the random
secret of a session kept in the store (``service/sessions.py``). ``return_to`` is accepted
only as a same-origin path (no scheme, no host, no ``//`` or ``\\``), so the sign-in page
cannot redirect anywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from credo.model import Tenant, TenantId, User
from credo.service.runtime import Services
from credo.service.sessions import SESSION_SECONDS
from credo.web import pages

SESSION_COOKIE = "__Host-credo-session"
LOGIN_COOKIE = "__Host-credo-login"
LOGIN_SECONDS = 3600
MAX_RETURN_TO = 4096
_SAFE_PATH = re.compile(r"^/(?![/\\])[\x21-\x7e]*$")


@dataclass(frozen=True)
class SignedInUser:
    tenant_id: TenantId
    user: User
    auth_time: int
    session_id: str


def services_of(request: Request) -> Services:
    return cast(Services, request.app.state.services)


async def signed_in(request: Request, services: Services) -> SignedInUser | None:
    session = await services.accounts.sessions.open(request.cookies.get(SESSION_COOKIE, ""))
    if session is None:
        return None
    user = await services.accounts.users.by_id(session.user_id)
    if user is None or user.tenant_id != session.tenant_id or not user.account_enabled:
        return None
    if user.password_changed and user.password_changed > session.created:
        return None  # a sign-in that raced a password change
    return SignedInUser(session.tenant_id, user, int(session.created.timestamp()),
                        session.session_id)


async def current_user(request: Request, services: Services, tenant: Tenant
                       ) -> SignedInUser | None:
    found = await signed_in(request, services)
    return found if found is not None and found.tenant_id == tenant.id else None


def safe_return_to(value: str | None) -> str | None:
    """``value`` when it is a path on this server (never another origin), else None."""
    if not value or len(value) > MAX_RETURN_TO or not _SAFE_PATH.match(value):
        return None
    return value


def login_url(services: Services, tenant_segment: str, return_to: str | None) -> str:
    url = f"{services.settings.base_url}/{quote(tenant_segment, safe='')}/login"
    safe = safe_return_to(return_to)
    return f"{url}?return_to={quote(safe, safe='')}" if safe else url


def signin_redirect(request: Request, tenant_segment: str, return_to: str) -> Response:
    return pages.redirect(login_url(services_of(request), tenant_segment, return_to))


def absolute(services: Services, return_to: str) -> str:
    """The URL of a safe ``return_to`` path: the configured base URL, never ``Host``."""
    return services.settings.base_url + return_to


def start_session(response: Response, cookie: str) -> None:
    """Sets the session cookie (the secret ``SessionService.start`` returned)."""
    response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_SECONDS, path="/",
                        secure=True, httponly=True, samesite="lax")
    response.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True, samesite="lax")


def end_session(response: Response) -> None:
    """Clears the cookie; ``SessionService.end`` ends the session on the server."""
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True,
                           samesite="lax")


def set_login_nonce(response: Response, nonce: str) -> None:
    """The pre-session cookie the sign-in form's CSRF token is bound to."""
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=LOGIN_SECONDS, path="/", secure=True,
                        httponly=True, samesite="lax")
