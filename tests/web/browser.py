"""A small browser for the HTTP tests: its own cookie jar, forms read with ``html.parser``.

It follows Credo's own redirects (sign-in, back to the authorize endpoint), submits the
pages' forms with their hidden fields (CSRF tokens included), and stops at the first
redirect that leaves Credo: that is the client's redirect URI, which tests inspect.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from credo.model import DirectoryRoleName, Tenant, User
from credo.protocol.pkce import s256
from credo.service.runtime import Services

PASSWORD = "Correct-Horse-Battery-9"


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, str] = field(default_factory=dict)
    checkboxes: dict[str, str] = field(default_factory=dict)


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", "")))
        elif self.forms and tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            target = self.forms[-1].checkboxes if kind == "checkbox" else self.forms[-1].fields
            target[a["name"]] = a.get("value", "")
        elif self.forms and tag == "button" and a.get("name"):
            self.forms[-1].buttons[a.get("value", "")] = a["name"]


def forms(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@dataclass(frozen=True)
class Landing:
    """Where the browser stopped: the app's redirect URI (query/fragment params, or the
    form_post fields), or a Credo page (``response``)."""

    response: httpx.Response
    url: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @property
    def page(self) -> str:
        return self.response.text


class Browser:
    def __init__(self, services: Services, app: Any) -> None:
        self.services = services
        self.base = services.settings.base_url
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                      base_url=self.base)

    async def close(self) -> None:
        await self.http.aclose()

    async def go(self, url: str, *, method: str = "GET", data: dict[str, str] | None = None,
                 credentials: tuple[str, str] | None = None) -> Landing:
        """Request ``url`` and follow Credo's redirects, signing in when asked."""
        response = await self.http.request(method, url, data=data)
        for _ in range(10):
            if response.is_redirect:
                target = response.headers["location"]
                if not target.startswith(self.base):
                    return _landing(response, target)
                response = await self.http.get(target)
                continue
            found = forms(response.text)
            if credentials and found and "passwd" in found[0].fields:
                form = found[0]
                form.fields.update(login=credentials[0], passwd=credentials[1])
                response = await self.http.post(form.action, data=form.fields)
                credentials = None
                continue
            if found and not found[0].action.startswith(self.base):  # form_post to the app
                return Landing(response, found[0].action, dict(found[0].fields))
            return Landing(response)
        raise AssertionError("too many redirects")

    async def consent(self, landing: Landing, action: str = "accept", *,
                      for_org: bool = False, csrf: str | None = None) -> Landing:
        (form,) = forms(landing.page)
        data = dict(form.fields, action=action)
        if for_org:
            data["for_org"] = form.checkboxes["for_org"]
        if csrf is not None:
            data["csrf"] = csrf
        return await self.go(form.action, method="POST", data=data)


def _landing(response: httpx.Response, target: str) -> Landing:
    parts = urlsplit(target)
    params = dict(parse_qsl(parts.fragment or parts.query, keep_blank_values=True))
    return Landing(response, target, params)


def authorize_url(tenant: str, client_id: str, redirect_uri: str, *, version: int = 2,
                  verifier: str | None = None, **extra: str) -> str:
    params = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
              "state": str(uuid.uuid4()), "nonce": str(uuid.uuid4())}
    if verifier is not None:
        params.update(code_challenge=s256(verifier), code_challenge_method="S256")
    params.update(extra)
    middle = "/v2.0" if version == 2 else ""
    return f"/{tenant}/oauth2{middle}/authorize?{urlencode({k: v for k, v in params.items() if v})}"


async def new_user(services: Services, tenant: Tenant, name: str,
                   *roles: DirectoryRoleName) -> User:
    return await services.accounts.users.create(tenant, f"{name}@{tenant.default_domain}",
                                                name.title(), PASSWORD, roles=roles)
