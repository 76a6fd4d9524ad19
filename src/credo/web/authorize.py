"""``/{tenant}/oauth2/v2.0/authorize`` and ``/{tenant}/oauth2/authorize`` (RFC 6749 §3.1, §4.1,
§4.2; OIDC Core §3.1.2), and the user-consent form they show.

GET and POST (OIDC Core §3.1.2.1: "MUST support the use of the HTTP GET and POST methods")
take the same parameters; a parameter sent twice is an error page (RFC 6749 §3.1). The
consent page POSTs to ``…/authorize/consent`` with every request parameter, ``action``
(``accept``/``cancel``) and a CSRF token bound to the session and to those parameters.
Responses go to the redirect URI by ``query``, ``fragment`` (both 302) or ``form_post`` (an
auto-submitting form: OAuth 2.0 Form Post Response Mode §2). Pipeline: parse → prepare →
signed in → decide (``service/authorize/flow.py``) → render.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Literal
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from credo.aadsts import request as request_errors
from credo.errors import OAuthError
from credo.protocol.urls import with_query
from credo.service.authorize.outcomes import (
    ConsentPrompt,
    ErrorPage,
    Outcome,
    Prepared,
    Respond,
    SignIn,
)
from credo.service.runtime import Services
from credo.web import pages
from credo.web.session import SignedInUser, current_user, services_of, signin_redirect
from credo.web.user_consent import consent_page

_PURPOSE = "userconsent"
_CONTROL = frozenset({"csrf", "action", "for_org"})
_SUBMIT = "document.forms[0].submit();"
_FORM_POST_CSP = (f"default-src 'none'; style-src {pages.STYLE_SRC}; base-uri 'none'; "
                  "frame-ancestors 'none'; script-src 'sha256-"
                  + base64.b64encode(hashlib.sha256(_SUBMIT.encode()).digest()).decode() + "'")


def routes() -> list[Route]:
    both = ["GET", "POST"]
    return [Route("/{tenant}/oauth2/v2.0/authorize", authorize_v2, methods=both),
            Route("/{tenant}/oauth2/authorize", authorize_v1, methods=both),
            Route("/{tenant}/oauth2/v2.0/authorize/consent", consent_v2, methods=["POST"]),
            Route("/{tenant}/oauth2/authorize/consent", consent_v1, methods=["POST"])]


async def authorize_v2(request: Request) -> Response:
    return await _authorize(request, 2)


async def authorize_v1(request: Request) -> Response:
    return await _authorize(request, 1)


async def consent_v2(request: Request) -> Response:
    return await _consent(request, 2)


async def consent_v1(request: Request) -> Response:
    return await _consent(request, 1)


async def _params(request: Request) -> dict[str, str]:
    """The request's parameters: the query (GET) or the form body (POST), each at most once."""
    if request.method == "POST":
        return await pages.read_form(request)
    params: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        if name in params:
            raise request_errors.REPEATED_PARAMETER(name=name[:64])
        if value:
            params[name] = value
    return params


async def _authorize(request: Request, version: Literal[1, 2]) -> Response:
    services = services_of(request)
    try:
        params = await _params(request)
    except OAuthError as err:
        return pages.error(err)
    flow = services.delegated.authorize
    prepared = await flow.prepare(request.path_params["tenant"], version, params)
    if isinstance(prepared, ErrorPage):
        return pages.error(prepared.error)
    signed = await current_user(request, services, prepared.tenant)
    return _render(request, services, signed, await flow.decide(prepared, signed))


async def _consent(request: Request, version: Literal[1, 2]) -> Response:
    services = services_of(request)
    try:
        form = await pages.read_form(request)
    except OAuthError as err:
        return pages.error(err)
    params = {k: v for k, v in form.items() if k not in _CONTROL}
    flow = services.delegated.authorize
    prepared = await flow.prepare(request.path_params["tenant"], version, params)
    if isinstance(prepared, ErrorPage):
        return pages.error(prepared.error)
    signed = await current_user(request, services, prepared.tenant)
    action = form.get("action")
    if signed is None:  # the session ended meanwhile: sign in, then see the page again
        return _render(request, services, signed, await flow.decide(prepared, signed))
    if action not in ("accept", "cancel"):
        return pages.error(request_errors.CONSENT_ANSWER())
    try:
        services.accounts.sessions.check_csrf(form.get("csrf"), _PURPOSE,
                                              *_binding(prepared, signed))
    except OAuthError as err:
        return pages.error(err)
    outcome = await flow.decide(
        prepared, signed, decision="accept" if action == "accept" else "cancel",
        for_org=form.get("for_org") == "yes")
    return _render(request, services, signed, outcome)


def _binding(prepared: Prepared, signed: SignedInUser) -> tuple[str, ...]:
    canonical = json.dumps(sorted(prepared.params.items()), separators=(",", ":"))
    return (signed.session_id, prepared.tenant.id, str(prepared.version), canonical)


def _render(request: Request, services: Services, signed: SignedInUser | None,
            outcome: Outcome) -> Response:
    if isinstance(outcome, ErrorPage):
        return pages.error(outcome.error)
    if isinstance(outcome, SignIn):
        return signin_redirect(request, request.path_params["tenant"], outcome.return_to)
    if isinstance(outcome, ConsentPrompt):
        assert signed is not None  # a consent page is only shown to a signed-in user
        csrf = services.accounts.sessions.csrf_token(_PURPOSE,
                                                     *_binding(outcome.prepared, signed))
        return consent_page(services, outcome, signed, csrf)
    return respond(outcome)


def respond(outcome: Respond) -> Response:
    """RFC 6749 §4.1.2 (query), §4.2.2 (fragment); Form Post Response Mode §2."""
    params = list(outcome.params)
    if outcome.mode == "query":
        return pages.redirect(with_query(outcome.redirect_uri, params))
    if outcome.mode == "fragment":
        return pages.redirect(f"{outcome.redirect_uri}#{urlencode(params)}")
    return pages.render("form_post.html", title="Working…", action=outcome.redirect_uri,
                        fields=params, script=_SUBMIT,
                        headers={"Content-Security-Policy": _FORM_POST_CSP})
