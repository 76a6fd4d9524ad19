"""The app-only daemon: lists every user's unread mail in a tenant through the sample mail API.

It signs in as itself with a certificate (OAuth 2.0 client credentials, RFC 6749 §4.4, with
an RFC 7523 client assertion), asks for ``api://mail/.default`` and then reads Graph-shaped
endpoints: ``GET /v1.0/users``, then for each mailbox
``GET /v1.0/users/{id}/messages?$filter=isRead eq false``, following ``@odata.nextLink``.

Two token libraries, the same result::

    python -m examples.daemon --authority https://127.0.0.1:8443/contoso.example \\
        --client-id APP_ID --cert daemon.pem --key daemon.key.pem \\
        --api https://127.0.0.1:8081 --ca ~/.credo/tls/ca.pem            # credo.client
    python -m examples.daemon ... --msal                                  # MSAL Python

Exit status: 0 the mail was listed; 3 the identity platform refused the token request
(e.g. ``AADSTS501051``: no application permission is granted any more); 4 the API refused
the token (401/403 with RFC 6750 ``WWW-Authenticate``; e.g. ``insufficient_scope``);
1 anything else (network, unexpected answers); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import ssl
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from credo.client import CertificateCredential, ConfidentialClient
from credo.errors import OAuthError, TemporarilyUnavailable

TOKEN_REFUSED = 3
API_REFUSED = 4
FAILED = 1

_AUTH_PARAM = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


class TokenRefused(Exception):
    """The token endpoint answered with an OAuth error (RFC 6749 §5.2)."""

    def __init__(self, error: str, description: str, codes: Sequence[int]) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.codes = list(codes)


class ApiRefused(Exception):
    """The API answered 401 or 403; ``error`` and ``description`` from RFC 6750 §3."""

    def __init__(self, status: int, error: str, description: str, url: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.url = url


@dataclass
class Token:
    """An access token and what it says about itself (read, not verified: display only)."""

    value: str
    library: str
    claims: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, value: str, library: str) -> Token:
        try:
            payload = value.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            claims = {}
        return cls(value, library, claims if isinstance(claims, dict) else {})

    def summary(self) -> str:
        roles = self.claims.get("roles") or []
        held = ", ".join(str(r) for r in roles) if roles else "none"
        kind = "app-only" if self.claims.get("idtyp") == "app" else "delegated"
        return f"{self.library} token ({kind}) with roles: {held}"


def sentence(description: str) -> str:
    """An Entra/Credo error description without its "Trace ID: … Timestamp: …" tail."""
    return description.split(" Trace ID:")[0].strip()


@dataclass(frozen=True)
class Options:
    authority: str
    client_id: str
    cert: Path
    key: Path
    api: str
    resource: str
    ca: Path | None
    use_msal: bool
    page_size: int


# -- tokens ---------------------------------------------------------------------------------


def token_with_credo(options: Options) -> Token:
    """Credo's client library: typed errors, PS256 assertions with ``x5t#S256``."""
    credential = CertificateCredential.from_files(options.cert, options.key)
    verify: str | bool = str(options.ca) if options.ca else True
    with ConfidentialClient(options.authority, options.client_id, credential=credential,
                            verify=verify) as client:
        try:
            token = client.acquire_token_for_client([f"{options.resource}/.default"])
        except TemporarilyUnavailable:
            raise  # not a refusal: the server is down or busy
        except OAuthError as error:
            raise TokenRefused(error.error, f"{error.aadsts}: {sentence(error.description)}",
                               error.codes) from error
    return Token.of(token.access_token, "credo.client")


def token_with_msal(options: Options) -> Token:
    """MSAL Python, configured for an authority that is not a Microsoft host.

    MSAL's HTTP client is ``requests``, which prefers the ``REQUESTS_CA_BUNDLE`` environment
    variable over the session's ``verify``; with ``--ca`` this process points it (and
    ``CURL_CA_BUNDLE``) at that CA so that Credo's local CA is the one trusted.
    """
    import msal  # imported here: only this variant needs it

    if options.ca:
        os.environ["REQUESTS_CA_BUNDLE"] = str(options.ca)
        os.environ["CURL_CA_BUNDLE"] = str(options.ca)
    app = msal.ConfidentialClientApplication(
        options.client_id, authority=options.authority,
        client_credential={"private_key": options.key.read_text(),
                           "public_certificate": options.cert.read_text()},
        instance_discovery=False, verify=str(options.ca) if options.ca else True)
    result = app.acquire_token_for_client([f"{options.resource}/.default"])
    if "access_token" not in result:
        description = str(result.get("error_description") or result.get("error") or result)
        raise TokenRefused(str(result.get("error", "")), sentence(description),
                           [int(c) for c in result.get("error_codes") or []])
    return Token.of(str(result["access_token"]), f"MSAL {msal.__version__}")


# -- the API --------------------------------------------------------------------------------


def _refusal(response: httpx.Response) -> ApiRefused:
    """RFC 6750 §3: the reason is in ``WWW-Authenticate``; the JSON body as a fallback."""
    params = dict(_AUTH_PARAM.findall(response.headers.get("www-authenticate", "")))
    error, description = params.get("error", ""), params.get("error_description", "")
    if not description:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if isinstance(body, dict):
            inner = body.get("error")
            if isinstance(inner, dict):  # Graph shape {"error": {"code", "message"}}
                error = error or str(inner.get("code", ""))
                description = str(inner.get("message", ""))
            else:
                error = error or str(inner or "")
                description = str(body.get("error_description", ""))
    return ApiRefused(response.status_code, error or "unauthorized",
                      description or response.reason_phrase, str(response.url))


def collection(http: httpx.Client, url: str,
               params: dict[str, str] | None = None) -> Iterator[dict[str, Any]]:
    """Every item of a Graph collection, following ``@odata.nextLink``."""
    next_url: str | None = url
    while next_url:
        response = http.get(next_url, params=params)
        params = None  # the next link carries the query
        if response.status_code in (401, 403):
            raise _refusal(response)
        response.raise_for_status()
        page = response.json()
        yield from page.get("value", [])
        next_url = page.get("@odata.nextLink")


def unread_mail(http: httpx.Client, api: str, *, page_size: int = 10) -> list[
        tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each mailbox of the tenant with its unread messages; ``http`` sends the token."""
    api = api.rstrip("/")
    users = list(collection(http, f"{api}/v1.0/users",
                            {"$select": "id,displayName,userPrincipalName"}))
    return [(user, list(collection(
        http, f"{api}/v1.0/users/{quote(user['id'], safe='')}/messages",
        {"$filter": "isRead eq false", "$top": str(page_size),
         "$select": "subject,from,receivedDateTime,importance"})))
        for user in users]


def api_client(options: Options, token: Token) -> httpx.Client:
    """An HTTP client for the API that presents ``token`` (RFC 6750 §2.1)."""
    verify: ssl.SSLContext | bool = (ssl.create_default_context(cafile=str(options.ca))
                                     if options.ca else True)
    return httpx.Client(headers={"Authorization": f"Bearer {token.value}",
                                 "Accept": "application/json"}, verify=verify, timeout=15)


# -- output ---------------------------------------------------------------------------------


def when(value: object) -> str:
    """``2026-03-01T09:30:00Z`` as ``01 Mar 09:30`` (UTC)."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ").strftime("%d %b %H:%M")
    except ValueError:
        return str(value or "")


def render(console: Console, tenant: str,
           mailboxes: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> None:
    total = sum(len(messages) for _, messages in mailboxes)
    console.print(f"[bold]Unread mail in {escape(tenant)}: {total} messages in "
                  f"{len(mailboxes)} mailboxes[/bold] [dim](received times in UTC)[/dim]")
    table = Table(expand=False)
    table.add_column("Mailbox", style="bold", no_wrap=True)
    table.add_column("Received", no_wrap=True)
    table.add_column("From", max_width=24, no_wrap=True, overflow="ellipsis")
    table.add_column("Subject", min_width=24, ratio=1)
    for index, (user, messages) in enumerate(mailboxes):
        name = escape(str(user.get("displayName") or user.get("userPrincipalName")))
        if not messages:
            table.add_row(name, "", "", "[dim]no unread mail[/dim]",
                          end_section=index < len(mailboxes) - 1)
        for n, message in enumerate(messages):
            sender = message.get("from", {}).get("emailAddress", {})
            subject = escape(str(message.get("subject", "")))
            if message.get("importance") == "high":
                subject = f"[red]![/red] {subject}"
            table.add_row(name if n == 0 else "", when(message.get("receivedDateTime")),
                          escape(str(sender.get("name") or sender.get("address") or "")),
                          subject, end_section=n == len(messages) - 1)
    console.print(table)


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m examples.daemon",
        description="List every user's unread mail in a tenant, as an app-only daemon.")
    parser.add_argument("--authority", required=True,
                        help="https://HOST:PORT/<tenant id or domain>")
    parser.add_argument("--client-id", required=True, help="the daemon app's appId")
    parser.add_argument("--cert", required=True, type=Path, help="its certificate (PEM)")
    parser.add_argument("--key", required=True, type=Path, help="its private key (PEM)")
    parser.add_argument("--api", required=True, help="the mail API's base URL")
    parser.add_argument("--resource", default="api://mail",
                        help="the API's identifier URI (default: api://mail)")
    parser.add_argument("--ca", type=Path, help="CA bundle to trust (Credo's local CA)")
    parser.add_argument("--msal", action="store_true",
                        help="get the token with MSAL Python instead of credo.client")
    parser.add_argument("--page-size", type=int, default=10, help="messages per request")
    args = parser.parse_args(argv)
    if args.page_size < 1:
        parser.error("--page-size must be positive")
    return Options(args.authority, args.client_id, args.cert, args.key, args.api,
                   args.resource, args.ca, args.msal, args.page_size)


def main(argv: Sequence[str] | None = None, console: Console | None = None) -> int:
    """Run the daemon; returns the exit status (see the module docstring)."""
    options = parse_args(argv)
    console = console or Console(highlight=False)
    tenant = urlsplit(options.authority).path.strip("/").split("/")[0]
    try:
        token = token_with_msal(options) if options.use_msal else token_with_credo(options)
        console.print(f"[dim]{escape(token.summary())}[/dim]")
        with api_client(options, token) as http:
            mailboxes = unread_mail(http, options.api, page_size=options.page_size)
    except TokenRefused as refused:
        console.print(Panel(escape(refused.description), border_style="red",
                            title=f"The identity platform refused the token request "
                                  f"({escape(refused.error)})", title_align="left"))
        return TOKEN_REFUSED
    except ApiRefused as refused:
        console.print(Panel(escape(refused.description), border_style="red",
                            title=f"The mail API refused the request: HTTP {refused.status} "
                                  f"{escape(refused.error)}", title_align="left",
                            subtitle=escape(urlsplit(refused.url).path), subtitle_align="left"))
        return API_REFUSED
    except (TemporarilyUnavailable, httpx.HTTPError, OSError, ValueError) as failure:
        console.print(f"[red]error:[/red] {escape(f'{type(failure).__name__}: {failure}')}")
        return FAILED
    render(console, tenant, mailboxes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
