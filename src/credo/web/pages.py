"""HTML pages (sign-in, consent, messages): Jinja2 templates, no external assets, one header set.

Every page is ``no-store`` (RFC 9111 §5.2.2.5) and carries a Content-Security-Policy that
loads nothing from anywhere (W3C CSP3 ``default-src 'none'``; the one inline style block by
its hash; no ``form-action``, since a browser applies it to the redirect that follows a
sign-in or consent form, which goes to the app), refuses framing (clickjacking: ``frame-ancestors
'none'``, RFC 7034) and sends no ``Referer`` to the app it redirects to (the consent URL
holds ``state``). Form bodies are parsed with ``protocol.forms.parse_form`` (strict decoding,
no repeated parameter) under a size cap.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from credo.aadsts.request import FORM_TOO_LARGE
from credo.errors import OAuthError
from credo.protocol.forms import parse_form
from credo.web.body import BodyTooLarge, read_body

MAX_FORM = 16 * 1024
_env = Environment(loader=PackageLoader("credo.web", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   auto_reload=False)


def _style_source() -> str:
    """The CSP source allowing the pages' one inline style block, by its hash (CSP Level 3
    §8.4), so that no other inline style (an injected one) applies."""
    source = _env.loader.get_source(_env, "base.html")[0]  # type: ignore[union-attr]
    match = re.search(r"<style>(.*?)</style>", source, re.DOTALL)
    if match is None:
        raise RuntimeError("templates/base.html has no <style> block")
    digest = hashlib.sha256(match.group(1).encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


STYLE_SRC = _style_source()
HEADERS = {
    "Cache-Control": "no-store, no-cache",
    "Pragma": "no-cache",
    "Content-Security-Policy": f"default-src 'none'; style-src {STYLE_SRC}; "
                               "base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
def render(template: str, *, status: int = 200, headers: dict[str, str] | None = None,
           **context: Any) -> HTMLResponse:
    body = _env.get_template(template).render(**context)
    return HTMLResponse(body, status_code=status, headers={**HEADERS, **(headers or {})})


def message(title: str, text: str, *, status: int = 200, code: int = 0, link: str = "",
            link_text: str = "", signed_in_as: str = "", alert: bool = False,
            headers: dict[str, str] | None = None) -> HTMLResponse:
    """A page that says one thing (signed out, an error, "Need admin approval")."""
    return render("message.html", status=status, headers=headers, title=title, heading=title,
                  message=text, code=code, link=link, link_text=link_text,
                  signed_in_as=signed_in_as, alert=alert,
                  trace=str(uuid.uuid4()) if code else "")


def error(err: OAuthError, *, title: str = "Sorry, but we're having trouble signing you in."
          ) -> HTMLResponse:
    """An error page: the AADSTS code and description, the error's status; never a redirect."""
    return message(title, err.description, status=err.http_status, code=err.code, alert=True,
                   headers=err.headers)


def redirect(url: str) -> Response:
    """302 to ``url`` (RFC 9110 §15.4.3), with the page headers (no Referer, no store)."""
    return RedirectResponse(url, status_code=302, headers=HEADERS)


async def read_form(request: Request) -> dict[str, str]:
    """The urlencoded body of a page's POST; AADSTS90100 (413) past ``MAX_FORM`` bytes."""
    try:
        body = await read_body(request.scope, request.receive, MAX_FORM)
    except BodyTooLarge:
        raise FORM_TOO_LARGE() from None
    return parse_form(body)
