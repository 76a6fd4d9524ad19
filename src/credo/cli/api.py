"""The management API as the CLI sees it: operator tokens, Graph calls, errors and output.

ARCHITECTURE.md D6: every management command goes through ``{server}/v1.0`` with a
token the operator app (certificate in ``<data dir>/operator/``) gets from Credo itself
for the *target* tenant (``{server}/{tenant}``, scope ``api://credo/.default``). Graph
errors (``{"error": {"code", "message", "details"}}``) become ``GraphError``; the
``management_errors`` decorator prints them as ``error: …`` plus one line per detail.
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, ParamSpec, Self, TypeVar
from urllib.parse import quote

import httpx
import typer
from rich.console import Console
from rich.table import Table

from credo.cli.common import EXIT_FAILURE, CliError, fail, handle_errors
from credo.client import CertificateCredential, ConfidentialClient
from credo.client.confidential import ssl_context
from credo.config import Settings, load_settings
from credo.errors import (
    BadRequest,
    Conflict,
    FieldError,
    Forbidden,
    GraphError,
    NotFound,
    OAuthError,
    TemporarilyUnavailable,
    Unauthenticated,
)
from credo.service.management.policy import MANAGEMENT_SCOPE

ServerOption = Annotated[str | None, typer.Option(
    "--server", envvar="CREDO_SERVER", show_default="base_url in credo.toml",
    help="Credo's base URL, e.g. https://127.0.0.1:8443.")]
TenantOption = Annotated[str, typer.Option(
    "--tenant", "-t", help="The tenant: its id (GUID) or a domain name.")]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_BY_STATUS: dict[int, type[GraphError]] = {
    400: BadRequest, 401: Unauthenticated, 403: Forbidden, 404: NotFound, 409: Conflict}
_TIMEOUT = 30.0
_PIPE_WIDTH = 1000
_TRACE = re.compile(r"\s*Trace ID: .*$")  # Entra appends trace, correlation id and time


class Unreachable(CliError):
    """No answer from the server at all (connection refused, DNS, TLS handshake)."""

    def __init__(self, url: str, reason: str = "") -> None:
        hint = f" ({reason})" if reason else ""
        super().__init__(f"cannot reach Credo at {url}{hint} — is `credo serve` running?",
                         exit_code=EXIT_FAILURE)


def graph_error(status: int, body: Any) -> GraphError:
    """The typed error of a Graph error body; details keep their ``target`` and ``message``."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return GraphError(f"the server answered HTTP {status} without a Graph error body")
    message = str(error.get("message") or error.get("code") or f"HTTP {status}")
    details = [FieldError(str(d.get("target") or ""), str(d.get("message") or ""))
               for d in error.get("details") or [] if isinstance(d, dict)]
    return _BY_STATUS.get(status, GraphError)(message, details=details)


class Management:
    """A management-API session of the operator: one cached token client per tenant."""

    def __init__(self, data_dir: Path, server: str | None = None, *,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.settings: Settings = load_settings(data_dir)
        self.server = (server or self.settings.base_url).rstrip("/")
        ca = self.settings.ca_path  # the local CA; a server behind a public CA needs none
        self._http = httpx.Client(transport=transport, timeout=_TIMEOUT,
                                  verify=ssl_context(str(ca)) if ca.exists() else True)
        self._credential: CertificateCredential | None = None
        self._clients: dict[str, ConfidentialClient] = {}

    @property
    def bootstrap_tenant(self) -> str:
        if not self.settings.bootstrap_tenant:
            raise self._not_initialized()
        return self.settings.bootstrap_tenant

    def _not_initialized(self) -> CliError:
        return CliError(f"{self.settings.data_dir} holds no operator credential: run "
                        "`credo init` or pass the server's --data-dir", exit_code=EXIT_FAILURE)

    def _operator(self) -> CertificateCredential:
        """The operator's certificate credential; its private key never leaves the data dir."""
        if self._credential is None:
            operator = self.settings.operator_dir
            cert, key = operator / "operator.pem", operator / "operator.key.pem"
            if not self.settings.operator_app_id or not cert.exists() or not key.exists():
                raise self._not_initialized()
            # PS256, a fresh jti each time and aud = issuer: accepted by both profiles.
            self._credential = CertificateCredential.from_files(cert, key,
                                                                reuse_assertions=False)
        return self._credential

    def _client(self, tenant: str) -> ConfidentialClient:
        client = self._clients.get(tenant.lower())
        if client is None:
            client = ConfidentialClient(
                f"{self.server}/{segment(tenant)}", self.settings.operator_app_id,
                credential=self._operator(), http_client=self._http,
                allow_insecure_http=self.server.startswith("http:"),
                assertion_audience="issuer")
            self._clients[tenant.lower()] = client
        return client

    def token(self, tenant: str) -> str:
        """An operator access token for the management API in ``tenant`` (cached)."""
        try:
            return self._client(tenant).acquire_token_for_client([MANAGEMENT_SCOPE]).access_token
        except TemporarilyUnavailable as exc:
            if isinstance(exc.__cause__, httpx.TransportError):
                raise Unreachable(self.server, _reason(exc.__cause__)) from exc
            raise
        except OAuthError as exc:
            if exc.code in (90002, 900023):  # tenant not found / not a valid tenant
                raise CliError(f"unknown tenant {tenant!r} ({exc.aadsts})",
                               exit_code=EXIT_FAILURE) from exc
            raise

    def _send(self, method: str, tenant: str, url: str,
              body: Mapping[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token(tenant)}", "Accept": "application/json"}
        try:
            response = self._http.request(method, url, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise Unreachable(self.server, _reason(exc)) from exc
        payload = _json(response)
        if not response.is_success:
            raise graph_error(response.status_code, payload)
        return payload

    def call(self, method: str, tenant: str, path: str, body: Mapping[str, Any] | None = None,
             ) -> Any:
        """``method {server}/v1.0{path}`` as the operator in ``tenant``; the JSON answer."""
        return _without_annotations(
            self._send(method, tenant, f"{self.server}/v1.0{path}", body))

    def get(self, tenant: str, path: str) -> Any:
        return self.call("GET", tenant, path)

    def post(self, tenant: str, path: str, body: Mapping[str, Any]) -> Any:
        return self.call("POST", tenant, path, body)

    def patch(self, tenant: str, path: str, body: Mapping[str, Any]) -> Any:
        return self.call("PATCH", tenant, path, body)

    def delete(self, tenant: str, path: str) -> None:
        self.call("DELETE", tenant, path)

    def collection(self, tenant: str, path: str) -> list[dict[str, Any]]:
        """Every item of a Graph collection, following ``@odata.nextLink`` pages."""
        items: list[dict[str, Any]] = []
        url: str | None = f"{self.server}/v1.0{path}"
        while url is not None:
            page = self._send("GET", tenant, url)
            page = page if isinstance(page, dict) else {}
            items.extend(_without_annotations(item) for item in page.get("value") or []
                         if isinstance(item, dict))
            link = page.get("@odata.nextLink")
            url = link if isinstance(link, str) else None
            if url is not None and not url.startswith(f"{self.server}/"):
                raise CliError(f"refusing to send the token to {url} (not {self.server})",
                               exit_code=EXIT_FAILURE)
        return items

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[-1][:160] if text else type(exc).__name__


def _json(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _without_annotations(payload: Any) -> Any:
    """Drop OData control information (``@odata.context`` …): output is the Graph object."""
    if isinstance(payload, dict):
        return {k: _without_annotations(v) for k, v in payload.items() if not k.startswith("@")}
    if isinstance(payload, list):
        return [_without_annotations(v) for v in payload]
    return payload


def segment(value: str) -> str:
    """``value`` as one URL path segment."""
    return quote(value, safe="")


def quoted(value: str) -> str:
    """An OData string literal for ``(appId='…')`` keys: quotes doubled, then URL-escaped."""
    return quote(value.replace("'", "''"), safe="")


# -- errors ---------------------------------------------------------------------------------

def management_errors(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """``error: …`` lines and a non-zero exit for Graph, OAuth and connection failures."""

    @functools.wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return command(*args, **kwargs)
        except GraphError as exc:
            if exc.details:
                typer.echo(f"error: {' '.join(exc.description.split())}", err=True)
                for detail in exc.details:
                    line = f"{detail.target}: {detail.message}" if detail.target else detail.message
                    typer.echo(f"  {line}", err=True)
                raise typer.Exit(EXIT_FAILURE) from None
            fail(exc.description, EXIT_FAILURE)
        except OAuthError as exc:
            fail(f"{exc.aadsts}: {_TRACE.sub('', exc.description)}", EXIT_FAILURE)

    return handle_errors(run)


# -- output ---------------------------------------------------------------------------------

def emit_json(data: Any) -> None:
    """Exactly the JSON, indented; pretty on a terminal."""
    if sys.stdout.isatty():
        Console(soft_wrap=True).print_json(data=data)  # long values stay whole for copying
    else:
        typer.echo(json.dumps(data, indent=2))


def text(value: Any) -> str:
    """A cell or field value: lists joined by commas, null as empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def emit_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[tuple[str, str]],
               *, empty: str = "nothing to show") -> None:
    """A Rich table of ``rows`` with ``(header, key)`` columns; ``empty`` when there are none."""
    if not rows:
        typer.echo(empty)
        return
    table = Table(highlight=False)
    for header, _ in columns:
        table.add_column(header, overflow="fold")  # ids are folded, never cut short
    for row in rows:
        table.add_row(*(text(row.get(key)) for _, key in columns))
    # Piped output is as wide as it needs to be, so that grep and cut see whole values.
    Console(width=None if sys.stdout.isatty() else _PIPE_WIDTH).print(table)


def emit(data: Any, as_json: bool, render: Callable[[], None]) -> None:
    """``--json``: the JSON; otherwise ``render()`` (a table or key/value lines)."""
    if as_json:
        emit_json(data)
    else:
        render()
