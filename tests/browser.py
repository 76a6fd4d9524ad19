"""A small "browser" over httpx: keeps cookies, follows Credo's redirects, fills in forms.

It GETs a page, parses its forms with ``html.parser`` (hidden fields, inputs, buttons),
posts them back as a browser would, and follows 3xx responses while they point at Credo
(``base_url``); a redirect anywhere else (the app's ``redirect_uri``) is returned, never
followed, so a test can assert its exact ``Location``. Each browser has its own client
address, so sign-in throttling by address does not leak from one test into another.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

from credo.service.runtime import Services
from credo.web.app import build_app

_addresses = itertools.count(10)


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, list[str]] = field(default_factory=dict)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif self.forms and tag == "input" and a.get("name"):
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1].buttons.setdefault(a["name"], []).append(a.get("value", ""))


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def query(url: str) -> list[tuple[str, str]]:
    """The decoded query parameters of ``url``, in order."""
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


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
        await self.http.aclose()

    async def _follow(self, response: httpx.Response) -> httpx.Response:
        self.history.append(response)
        while response.is_redirect:
            location = urljoin(str(response.url), response.headers["location"])
            if not location.startswith(self.base + "/"):
                return response  # leaving Credo: the app's redirect_uri
            response = await self.http.get(location)
            self.history.append(response)
        return response

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

    def cookie(self, name: str) -> str | None:
        return self.http.cookies.get(name)

    def set_cookie_headers(self) -> list[str]:
        return [v for r in self.history for v in r.headers.get_list("set-cookie")]
