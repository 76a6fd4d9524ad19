"""A small "browser" over httpx: keeps cookies, follows Credo's redirects, fills in forms.

It GETs a page, parses its forms with ``html.parser`` (method, hidden fields, inputs,
checkboxes, buttons), posts them back as a browser would (CSRF tokens included), and follows
3xx responses while they point at Credo (``base_url``); the first redirect anywhere else (the
app's ``redirect_uri``) is returned, never followed, so a test can assert its exact
``Location``. ``go`` wraps that in a ``Landing``: the app's redirect URI and its parameters,
or the Credo page the browser stopped on. Each browser has its own client address, so
sign-in throttling by address does not leak from one test into another.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx

from credo.protocol.pkce import s256
from credo.service.runtime import Services
from credo.web.app import build_app

_addresses = itertools.count(10)
MAX_REDIRECTS = 10


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif self.forms and tag == "input" and a.get("name"):
            form = self.forms[-1]
            target = form.checkboxes if a.get("type") == "checkbox" else form.fields
            target[a["name"]] = a.get("value", "")
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1].buttons.setdefault(a["name"], []).append(a.get("value", ""))


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def query(url: str) -> list[tuple[str, str]]:
    """The decoded query parameters of ``url``, in order."""
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def authorize_url(tenant: str, client_id: str, redirect_uri: str, *, version: int = 2,
                  verifier: str | None = None, **extra: str) -> str:
    """An authorize request (code flow; S256 challenge of ``verifier``, RFC 7636 §4.2)."""
    params = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
              "state": str(uuid.uuid4()), "nonce": str(uuid.uuid4())}
    if verifier is not None:
        params.update(code_challenge=s256(verifier), code_challenge_method="S256")
    params.update(extra)
    middle = "/v2.0" if version == 2 else ""
    return f"/{tenant}/oauth2{middle}/authorize?{urlencode({k: v for k, v in params.items() if v})}"


@dataclass(frozen=True)
class Landing:
    """Where the browser stopped: the app's redirect URI (query/fragment params, or the
    form_post fields), or a Credo page (``response``, ``url`` empty)."""

    response: httpx.Response
    url: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @property
    def page(self) -> str:
        return self.response.text


class Browser:
    def __init__(self, services: Services, *, address: str | None = None) -> None:
        self.base = services.settings.base_url
        n = next(_addresses)
        self.address = address or f"10.1.{n // 250 % 250}.{n % 250}"
        transport = httpx.ASGITransport(app=build_app(services), client=(self.address, 50000))
        self.http = httpx.AsyncClient(transport=transport, base_url=self.base)
        self.history: list[httpx.Response] = []

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.aclose()

    def _in_credo(self, url: str) -> bool:
        return url.startswith(self.base + "/")

    async def _follow(self, response: httpx.Response) -> httpx.Response:
        self.history.append(response)
        for _ in range(MAX_REDIRECTS):
            if not response.is_redirect:
                return response
            location = urljoin(str(response.url), response.headers["location"])
            if not self._in_credo(location):
                return response  # leaving Credo: the app's redirect_uri
            response = await self.http.get(location)
            self.history.append(response)
        raise AssertionError("too many redirects")

    async def get(self, url: str) -> httpx.Response:
        return await self._follow(await self.http.get(url))

    async def submit(self, page: httpx.Response, values: dict[str, str] | None = None, *,
                     button: tuple[str, str] | None = None, index: int = 0,
                     drop: tuple[str, ...] = ()) -> httpx.Response:
        """Post the page's form ``index`` with ``values`` over its own fields."""
        form = forms(page.text)[index]
        data = {**form.fields, **(values or {})}
        if button is not None:
            assert button[1] in form.buttons.get(button[0], []), form.buttons
            data[button[0]] = button[1]
        for name in drop:
            data.pop(name, None)
        action = urljoin(str(page.url), form.action or str(page.url))
        return await self._follow(await self.http.post(action, data=data))

    async def sign_in(self, page: httpx.Response, login: str, password: str) -> httpx.Response:
        return await self.submit(page, {"login": login, "passwd": password})

    async def go(self, url: str, *, method: str = "GET", data: dict[str, str] | None = None,
                 credentials: tuple[str, str] | None = None) -> Landing:
        """Request ``url`` and follow Credo's redirects, signing in when asked to."""
        response = await self._follow(await self.http.request(method, url, data=data))
        found = forms(response.text)
        if credentials is not None and found and "passwd" in found[0].fields:
            response = await self.sign_in(response, *credentials)
        return self.landing(response)

    async def consent(self, landing: Landing, action: str = "accept", *,
                      for_org: bool = False, csrf: str | None = None) -> Landing:
        """Answer Credo's user-consent page (its only form) with the ``action`` button."""
        (form,) = forms(landing.page)
        values = {"for_org": form.checkboxes["for_org"]} if for_org else {}
        if csrf is not None:
            values["csrf"] = csrf
        return self.landing(await self.submit(landing.response, values,
                                              button=("action", action)))

    def landing(self, response: httpx.Response) -> Landing:
        if response.is_redirect:  # _follow stopped: leaving Credo
            target = response.headers["location"]
            parts = urlsplit(target)
            params = dict(parse_qsl(parts.fragment or parts.query, keep_blank_values=True))
            return Landing(response, target, params)
        found = forms(response.text)
        if found and not self._in_credo(found[0].action):  # form_post to the app
            return Landing(response, found[0].action, dict(found[0].fields))
        return Landing(response)

    def cookie(self, name: str) -> str | None:
        return self.http.cookies.get(name)

    def set_cookie_headers(self) -> list[str]:
        return [v for r in self.history for v in r.headers.get_list("set-cookie")]
