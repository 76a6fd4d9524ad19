"""A browserless sign-in: Credo's authorize, sign-in and consent pages driven over HTTP.

One cookie jar per sign-in; forms (CSRF tokens included) are read with ``html.parser``.
The walk starts at an authorize (or admin-consent) URL on Credo, posts the user's
credentials on the sign-in page, accepts or cancels the consent page, and stops at the
first step that leaves Credo: a redirect to the app (its query or fragment parameters) or
a ``response_mode=form_post`` page (its hidden fields). That dict is the authorization
response MSAL's ``acquire_token_by_auth_code_flow(flow, auth_response)`` expects. The
redirect itself is never followed, so the app need not run; any other page Credo stops on
(wrong password, an error, "Need admin approval") raises ``SignInError`` with its text.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

MAX_STEPS = 12
_AADSTS = re.compile(r"AADSTS\d+")


class SignInError(RuntimeError):
    """The sign-in stopped on one of Credo's pages instead of returning to the app."""

    def __init__(self, status: int, url: str, text: str) -> None:
        self.status = status
        self.url = url
        self.text = text
        super().__init__(f"sign-in stopped at {url} (HTTP {status}): {text}")


@dataclass
class Page:
    """The first form of an HTML page and the page's readable text."""

    action: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: set[str] = field(default_factory=set)
    words: list[str] = field(default_factory=list)
    heading: list[str] = field(default_factory=list)
    alert: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The heading, alert and AADSTS code of the page (``Sign in: Your account or
        password is incorrect. (AADSTS50126)``); all of its text when it has no alert."""
        if not self.alert:
            return " ".join(self.words)
        alert = " ".join(self.alert)
        codes = [c for c in dict.fromkeys(_AADSTS.findall(" ".join(self.words)))
                 if c not in alert]
        return f"{' '.join(self.heading)}: {alert}" + "".join(f" ({c})" for c in codes)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = Page()
        self._forms = 0
        self._hidden_text = 0
        self._capture: tuple[str, list[str]] | None = None  # inside <h1> or role="alert"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if self._capture is None and (tag == "h1" or a.get("role") == "alert"):
            self._capture = (tag, self.page.heading if tag == "h1" else self.page.alert)
        if tag in ("script", "style", "title"):
            self._hidden_text += 1
        elif tag == "form":
            self._forms += 1
            if self._forms == 1:
                self.page.action = a.get("action", "")
        elif self._forms == 1 and a.get("name"):
            self._control(tag, a)

    def _control(self, tag: str, a: dict[str, str]) -> None:
        kind = a.get("type", "")
        if tag == "button" or kind == "submit":
            self.page.buttons.setdefault(a["name"], []).append(a.get("value", ""))
        elif kind == "checkbox":
            self.page.checkboxes.add(a["name"])
        elif tag == "input":
            self.page.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._hidden_text -= 1
        if self._capture is not None and self._capture[0] == tag:
            self._capture = None

    def handle_data(self, data: str) -> None:
        if not self._hidden_text:
            self.page.words.extend(data.split())
            if self._capture is not None:
                self._capture[1].extend(data.split())


def read_page(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    return reader.page


def _parameters(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    return dict(parse_qsl(parts.fragment or parts.query, keep_blank_values=True))


@dataclass
class SignIn:
    """One browser walking Credo's pages as ``login`` with ``password``."""

    base_url: str
    context: ssl.SSLContext
    login: str
    password: str
    consent: bool = True
    for_organization: bool = False

    def on_credo(self, url: str) -> bool:
        return url.startswith(self.base_url + "/")

    def run(self, start_url: str) -> dict[str, str]:
        """The authorization response for ``start_url`` (an authorize URL on Credo)."""
        if not self.on_credo(start_url):
            raise ValueError(f"{start_url} is not on the test authority {self.base_url}")
        with httpx.Client(verify=self.context, timeout=30.0) as http:
            response = http.get(start_url)
            signed_in = False
            for _ in range(MAX_STEPS):
                if response.is_redirect:
                    target = urljoin(str(response.url), response.headers["location"])
                    if not self.on_credo(target):
                        return _parameters(target)
                    response = http.get(target)
                    continue
                page = read_page(response.text)
                if page.action and not self.on_credo(page.action):
                    return page.fields  # response_mode=form_post
                data = self._answer(response, page, signed_in)
                signed_in = signed_in or "passwd" in data
                response = http.post(urljoin(str(response.url), page.action), data=data)
        raise SignInError(response.status_code, str(response.url), "too many steps")

    def _answer(self, response: httpx.Response, page: Page, signed_in: bool) -> dict[str, str]:
        """The form to post on a sign-in or consent page; ``SignInError`` on any other."""
        if response.status_code == 200 and "passwd" in page.fields and not signed_in:
            return {**page.fields, "login": self.login, "passwd": self.password}
        if response.status_code == 200 and "accept" in page.buttons.get("action", []):
            data = {**page.fields, "action": "accept" if self.consent else "cancel"}
            if self.for_organization and "for_org" in page.checkboxes:
                data["for_org"] = "yes"
            return data
        raise SignInError(response.status_code, str(response.url), page.text)
