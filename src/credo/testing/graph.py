"""The operator's session with the management API (``/v1.0``, shaped like Microsoft Graph).

Every helper changes the directory through here, exactly as the ``credo`` CLI does: an
access token for ``api://credo/.default`` in the *target* tenant, obtained from Credo itself
with the operator app's certificate from the data dir (``operator/operator.pem``). The
operator signs fresh PS256 assertions with the issuer as audience, which both security
profiles (``entra`` and ``strict``) accept.
"""

from __future__ import annotations

import ssl
import time
from typing import Any

import httpx

from credo.client import CertificateCredential, ConfidentialClient
from credo.errors import OAuthError
from credo.testing.server import ServerInfo

MANAGEMENT_SCOPE = "api://credo/.default"
TENANT_NOT_FOUND = 90002
NEW_TENANT_SECONDS = 5.0
"""How long a tenant created a moment ago may take to reach the token endpoint's cache."""


class ManagementError(RuntimeError):
    """A management call that did not succeed: its status and Graph error body."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        self.status = status
        self.code = str(error.get("code") or "")
        self.message = str(error.get("message") or "")
        self.body = body
        super().__init__(f"{method} /v1.0{path} answered {status}: {body}")


class Graph:
    """Management calls as the operator; one token client per tenant, one connection pool."""

    def __init__(self, info: ServerInfo, context: ssl.SSLContext) -> None:
        self._info = info
        self._http = httpx.Client(verify=context, timeout=30.0)
        self._credential = CertificateCredential.from_files(
            info.operator_cert, info.operator_key, reuse_assertions=False)
        self._clients: dict[str, ConfidentialClient] = {}

    @property
    def bootstrap_tenant(self) -> str:
        """The operator's home tenant, where tenants are created."""
        return self._info.bootstrap_tenant

    def _client(self, tenant: str) -> ConfidentialClient:
        client = self._clients.get(tenant)
        if client is None:
            client = ConfidentialClient(f"{self._info.url}/{tenant}", self._info.operator_app_id,
                                        credential=self._credential, http_client=self._http,
                                        assertion_audience="issuer")
            self._clients[tenant] = client
        return client

    def token(self, tenant: str) -> str:
        """An operator token for ``tenant`` (a GUID or domain), waiting for a new tenant."""
        deadline = time.monotonic() + NEW_TENANT_SECONDS
        while True:
            try:
                return self._client(tenant).acquire_token_for_client(
                    [MANAGEMENT_SCOPE]).access_token
            except OAuthError as error:
                if error.code != TENANT_NOT_FOUND or time.monotonic() > deadline:
                    raise
                self._clients.pop(tenant, None)  # discovery failed too: start afresh
                time.sleep(0.05)

    def call(self, method: str, tenant: str, path: str,
             body: dict[str, Any] | None = None) -> dict[str, Any]:
        """``method /v1.0{path}`` in ``tenant``; the JSON answer (``{}`` for 204)."""
        response = self._http.request(
            method, f"{self._info.url}/v1.0{path}", json=body,
            headers={"Authorization": f"Bearer {self.token(tenant)}"})
        try:
            payload = response.json() if response.content else {}
        except ValueError:
            payload = response.text
        if not response.is_success:
            raise ManagementError(method, path, response.status_code, payload)
        return payload if isinstance(payload, dict) else {"value": payload}

    def collection(self, tenant: str, path: str) -> list[dict[str, Any]]:
        """Every item of a Graph collection, following ``@odata.nextLink``."""
        page = self.call("GET", tenant, path)
        items = list(page.get("value") or [])
        while isinstance(link := page.get("@odata.nextLink"), str):
            if not link.startswith(f"{self._info.url}/v1.0/"):
                raise ManagementError("GET", path, 200, f"refusing to follow {link}")
            page = self.call("GET", tenant, link.removeprefix(f"{self._info.url}/v1.0"))
            items.extend(page.get("value") or [])
        return items

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._http.close()
