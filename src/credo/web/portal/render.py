"""How every portal page is sent: one Jinja2 environment, one header set, error pages.

Headers: ``no-store`` (RFC 9111 §5.2.2.5); a Content-Security-Policy without
``unsafe-inline`` (W3C CSP3: scripts, styles and images from this origin only, forms posted
to it only, no framing, no ``<base>``); ``X-Frame-Options: DENY`` (RFC 7034); HSTS (RFC 6797,
the portal is served over https only); ``nosniff``; no ``Referer`` beyond this origin.
Every failure is a page too: the Graph error's code and message, or the AADSTS code and
description, with the request id, and a link back, never a blank screen.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from credo.errors import OAuthError
from credo.web.portal.assets import ASSETS
from credo.web.portal.graph import GraphFailure

log = logging.getLogger("credo.portal")
Endpoint = Callable[[Request], Awaitable[Response]]
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_env = Environment(loader=PackageLoader("credo.web", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   undefined=StrictUndefined, auto_reload=False, trim_blocks=True,
                   lstrip_blocks=True)
_env.globals["assets"] = ASSETS


def page(template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("title", context.get("heading", "Credo portal"))
    body = _env.get_template(f"portal/{template}").render(**context)
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def redirect(url: str) -> Response:
    """303 See Other (RFC 9110 §15.4.4): after a POST, the browser GETs ``url``."""
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def failure(err: GraphFailure, context: dict[str, Any]) -> HTMLResponse:
    """The management API's refusal, as it said it."""
    return page("error.html", status=err.status, **context, heading=_HEADINGS.get(
        err.status, "The request could not be completed"), message=err.message,
        code=err.code, details=err.details, request_id=err.request_id)


def oauth_failure(err: OAuthError, context: dict[str, Any]) -> HTMLResponse:
    return page("error.html", status=err.http_status, **context,
                heading="Sign-in could not be completed", message=err.description,
                code=f"AADSTS{err.code}", details=[], request_id=str(uuid.uuid4()))


def guarded(endpoint: Endpoint) -> Endpoint:
    """``endpoint``, with any unexpected failure rendered as a page (never a bare 500)."""
    async def run(request: Request) -> Response:
        try:
            return await endpoint(request)
        except OAuthError as err:
            return oauth_failure(err, {"portal": None})
        except Exception as exc:
            return unexpected(exc, {"portal": None})
    return run


def unexpected(exc: Exception, context: dict[str, Any]) -> HTMLResponse:
    request_id = str(uuid.uuid4())
    log.error("portal page failed (request %s)", request_id, exc_info=exc)
    return page("error.html", status=500, **context, heading="Something went wrong",
                message="An internal error occurred. Nothing more was changed; try again.",
                code="generalException", details=[], request_id=request_id)


_HEADINGS = {400: "Some values are not valid", 401: "You are signed out",
             403: "You don't have access", 404: "Not found",
             409: "It conflicts with something that exists"}
