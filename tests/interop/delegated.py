"""The delegated-flow world on a live ``credo serve``, and a browser that walks its pages.

Created through the management API with the operator's certificate (``harness.Management``):
a tenant, a v2 Mail API with delegated scopes, a web/native client with a secret, and a
user. ``SignInBrowser`` is ``httpx`` with a cookie jar: it signs in on Credo's page, accepts
the consent page (forms and CSRF tokens read with ``html.parser``) and stops at the first
redirect to the app, returning its parameters as MSAL's ``auth_response``.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt

from live import LiveServer

from .harness import Management

WEB = "https://app.example/callback"
NATIVE = "http://localhost:8400/"
PASSWORD = "Correct-Horse-Battery-9"


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.action:
            self.action = a.get("action", "")
        elif tag == "input" and a.get("name") and a.get("type") != "checkbox":
            self.fields[a["name"]] = a.get("value", "")


def read_form(html: str) -> _Form:
    parser = _Form()
    parser.feed(html)
    assert parser.action, html[:500]
    return parser


class SignInBrowser:
    """One browser (one cookie jar) trusting the server's CA."""

    def __init__(self, server: LiveServer) -> None:
        self.base = server.url
        self.http = httpx.Client(verify=server.ssl_context(), timeout=30)

    def close(self) -> None:
        self.http.close()

    def authorize(self, auth_uri: str, *, login: str | None = None,
                  accept: bool = True) -> tuple[httpx.Response, dict[str, str]]:
        """Follow ``auth_uri`` through sign-in and consent; the last response, and the
        parameters of the redirect to the app (empty when it stopped on a Credo page)."""
        response = self.http.get(auth_uri)
        for _ in range(10):
            if response.is_redirect:
                target = response.headers["location"]
                if not target.startswith(self.base):
                    parts = urlsplit(target)
                    return response, dict(parse_qsl(parts.fragment or parts.query))
                response = self.http.get(target)
                continue
            if response.status_code != 200:
                return response, {}
            form = read_form(response.text)
            if not form.action.startswith(self.base):  # response_mode=form_post
                return response, dict(form.fields)
            if "passwd" in form.fields and login is not None:
                form.fields.update(login=login, passwd=PASSWORD)
                response = self.http.post(form.action, data=form.fields)
                login = None
            elif "Permissions requested" in response.text:
                response = self.http.post(form.action, data={
                    **form.fields, "action": "accept" if accept else "cancel"})
            else:
                return response, {}
        raise AssertionError("too many redirects")


@dataclass
class DelegatedWorld:
    server: LiveServer
    api: Management
    domain: str
    tenant_id: str
    mail_uri: str
    mail_app_id: str
    client_id: str
    secret: str
    upn: str
    user_id: str
    discovery: dict[str, Any]
    jwks: jwt.PyJWKClient

    @property
    def authority(self) -> str:
        return f"{self.server.url}/{self.domain}"

    def validate(self, token: str, audience: str) -> dict[str, Any]:
        """PyJWT against the discovered JWKS and issuer (what a resource server does)."""
        key = self.jwks.get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token, key.key, algorithms=["RS256"], audience=audience,
            issuer=self.discovery["issuer"],
            options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "oid", "tid"]})
        return claims


def _scope(value: str) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "value": value, "type": "User", "isEnabled": True,
            "adminConsentDisplayName": value, "adminConsentDescription": value,
            "userConsentDisplayName": f"Use {value}", "userConsentDescription": value}


def build(server: LiveServer) -> DelegatedWorld:
    api = Management(server)
    domain = f"deleg-{secrets.token_hex(4)}.test"
    tenant = api.call("POST", "/tenants", tenant=server.bootstrap_tenant,
                      body={"domain": domain})
    mail_uri = f"api://mail-{domain.split('.')[0]}"
    mail = api.call("POST", "/applications", tenant=domain, body={
        "displayName": "Mail API", "identifierUris": [mail_uri],
        "api": {"requestedAccessTokenVersion": 2,
                "oauth2PermissionScopes": [_scope("Mail.Read"), _scope("Mail.Send")]}})
    read_id = mail["api"]["oauth2PermissionScopes"][0]["id"]
    client = api.call("POST", "/applications", tenant=domain, body={
        "displayName": "MSAL web app", "web": {"redirectUris": [WEB]},
        "publicClient": {"redirectUris": [NATIVE]},
        "requiredResourceAccess": [{"resourceAppId": mail["appId"], "resourceAccess": [
            {"id": read_id, "type": "Scope"}]}]})
    secret = api.call("POST", f"/applications/{client['id']}/addPassword", tenant=domain,
                      body={"passwordCredential": {"displayName": "msal"}})["secretText"]
    user = api.call("POST", "/users", tenant=domain, body={
        "accountEnabled": True, "displayName": "Pat Example",
        "userPrincipalName": f"pat@{domain}", "passwordProfile": {"password": PASSWORD}})
    discovery = server.get_json(f"/{domain}/v2.0/.well-known/openid-configuration")
    assert isinstance(discovery, dict)
    return DelegatedWorld(server, api, domain, str(tenant["id"]), mail_uri, mail["appId"],
                          client["appId"], secret, user["userPrincipalName"], user["id"],
                          discovery, jwt.PyJWKClient(discovery["jwks_uri"],
                                                     ssl_context=server.ssl_context()))
