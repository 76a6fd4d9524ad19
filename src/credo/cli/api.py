"""The management API as the CLI sees it: operator tokens, Graph calls and their errors.

Every management command goes through ``{server}/v1.0`` with a token the operator app
(certificate in ``<data dir>/operator/``) gets from Credo itself for the *target* tenant
(``{server}/{tenant}``, scope ``api://credo/.default``). Graph errors
(``{"error": {"code", "message", "details"}}``) become ``GraphError``; a request that gets
no answer becomes a ``CliError`` that says why (``credo.cli.connection``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

import httpx

from credo.cli.common import CliError
from credo.cli.connection import ca_hint, explain, server_url, trust
from credo.client import CertificateCredential, ConfidentialClient
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
    TlsTrustError,
    Unauthenticated,
)
from credo.service.management.policy import MANAGEMENT_SCOPE

_BY_STATUS: dict[int, type[GraphError]] = {
    400: BadRequest, 401: Unauthenticated, 403: Forbidden, 404: NotFound, 409: Conflict}
_TIMEOUT = 30.0
TENANT_NOT_FOUND = frozenset({90002, 900023})
"""AADSTS codes of a tenant the token endpoint does not know (or a malformed one)."""


def unknown_tenant(tenant: str) -> CliError:
    """The one wording, in every command, for a tenant the deployment does not have."""
    return CliError(f"unknown tenant {tenant!r}",
                    hints=["`credo tenant list` shows the tenants"])


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

    def __init__(self, data_dir: Path, server: str | None = None, *, ca: Path | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.settings: Settings = load_settings(data_dir)
        self.server = server_url(server) if server else server_url(
            self.settings.server or self.settings.base_url, "the server setting")
        self._ca_hint = ca_hint(self.settings)
        self._http = httpx.Client(transport=transport, timeout=_TIMEOUT,
                                  verify=trust(ca, self.settings))
        self._credential: CertificateCredential | None = None
        self._clients: dict[str, ConfidentialClient] = {}

    @property
    def bootstrap_tenant(self) -> str:
        if not self.settings.bootstrap_tenant:
            raise self._not_initialized()
        return self.settings.bootstrap_tenant

    def _not_initialized(self) -> CliError:
        return CliError(f"{self.settings.data_dir} holds no operator credential: run "
                        "`credo init` or pass the server's --data-dir")

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
        except TlsTrustError as exc:
            raise explain(self.server, exc, self._ca_hint) from exc
        except TemporarilyUnavailable as exc:
            if isinstance(exc.__cause__, httpx.TransportError):
                raise explain(self.server, exc.__cause__, self._ca_hint) from exc
            raise
        except OAuthError as exc:
            if exc.code in TENANT_NOT_FOUND:
                raise unknown_tenant(tenant) from exc
            raise

    def _send(self, method: str, tenant: str, url: str,
              body: Mapping[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token(tenant)}", "Accept": "application/json"}
        try:
            response = self._http.request(method, url, json=body, headers=headers)
        except httpx.TransportError as exc:
            raise explain(self.server, exc, self._ca_hint) from exc
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
                raise CliError(f"refusing to send the token to {url} (not {self.server})")
        return items

    def tenants(self) -> list[dict[str, Any]]:
        """Every tenant of the deployment (the operator's view from the bootstrap tenant)."""
        return self.collection(self.bootstrap_tenant, "/tenants")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


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

