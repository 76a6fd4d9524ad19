"""``ConfidentialClient``: app-only tokens by the client credentials grant (RFC 6749 §4.4).

It speaks MSAL Python's wire format, so it works against Credo and against Entra ID:
discovery at ``{authority}/v2.0/.well-known/openid-configuration`` (once per client),
then ``POST token_endpoint`` with ``client_id``, ``grant_type=client_credentials``,
``scope`` (space-joined) and either an RFC 7523 §2.2 client assertion or a
``client_secret``; headers ``client-request-id``, ``x-client-sku``, ``x-client-ver``,
``Accept: application/json``. Unlike MSAL it raises typed errors instead of returning
error dicts. One flow (``credo.httpflow``) serves the sync and the async method; a server
certificate that is not trusted raises ``TlsTrustError``, never "no answer".
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Literal, Self

import httpx

from credo import httpflow
from credo.client import _transport as transport
from credo.client.cache import DEFAULT_REFRESH_BEFORE, TokenCache
from credo.client.credentials import Credential
from credo.client.discovery import discovery_request, parse_authority, token_endpoint_from
from credo.client.token import AccessToken, parse_token_response
from credo.httpflow import ssl_context as ssl_context  # re-exported: credo.cli uses it

Scopes = tuple[str, ...]


def normalize_scopes(scopes: Sequence[str]) -> Scopes:
    """Sorted, de-duplicated scopes: the cache key and the order sent (as MSAL does)."""
    if isinstance(scopes, str):
        raise TypeError("scopes must be a sequence of strings, e.g. ['api://x/.default']")
    if not scopes or any(not isinstance(s, str) or not s or s != s.strip() or " " in s
                         for s in scopes):
        raise ValueError("scopes must be non-empty strings without spaces")
    return tuple(sorted(set(scopes)))


class ConfidentialClient:
    """Acquire app-only tokens for a confidential client (RFC 6749 §4.4).

    ``authority`` is ``https://host[:port]/{tenant}``; plain http is refused unless
    ``allow_insecure_http=True`` (tests, a TLS-terminating proxy on localhost). Tokens are
    cached in memory per set of scopes and served while more than ``refresh_before``
    seconds remain. ``max_retries`` > 0 retries 429, 5xx and network failures after the
    server's ``Retry-After``; by default the ``TemporarilyUnavailable`` is raised at once.
    Clients Credo creates use ``verify`` and ``timeout``; injected clients keep their own.
    ``assertion_audience="issuer"`` puts the discovered ``issuer`` in the assertion's ``aud``
    (RFC 7523bis; what a tenant with Credo's ``strict`` profile requires, together with
    ``CertificateCredential(..., reuse_assertions=False)``).
    """

    def __init__(self, authority: str, client_id: str, *, credential: Credential,
                 http_client: httpx.Client | None = None,
                 async_http_client: httpx.AsyncClient | None = None,
                 verify: ssl.SSLContext | str | bool = True, timeout: float = 10.0,
                 allow_insecure_http: bool = False,
                 refresh_before: float = DEFAULT_REFRESH_BEFORE, max_retries: int = 0,
                 assertion_audience: Literal["token_endpoint", "issuer"] = "token_endpoint",
                 clock: Callable[[], float] = time.time) -> None:
        if not client_id:
            raise ValueError("client_id must not be empty")
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self.authority = parse_authority(authority, allow_insecure_http=allow_insecure_http)
        self.client_id = client_id
        self._credential = credential
        self._allow_http = allow_insecure_http
        self._max_retries = max_retries
        self._clock = clock
        self._cache: TokenCache[Scopes] = TokenCache(refresh_before=refresh_before)
        self._token_endpoint: str | None = None
        self._audience_is_issuer = assertion_audience == "issuer"
        self._issuer: str | None = None
        self._http = http_client
        self._async_http = async_http_client
        self._owns_http = http_client is None
        self._owns_async_http = async_http_client is None
        self._verify = ssl_context(verify)
        self._timeout = timeout

    # -- public API ---------------------------------------------------------------------

    def acquire_token_for_client(self, scopes: Sequence[str], *,
                                 force_refresh: bool = False) -> AccessToken:
        """A token for ``scopes`` (e.g. ``["api://mail/.default"]``), from cache if fresh.

        Raises the typed ``OAuthError`` of an error response (``code`` = the AADSTS
        number, ``correlation_id``), ``TemporarilyUnavailable`` for 429/5xx, a non-JSON
        answer or a network failure (cause chained), ``TlsTrustError`` when the server's
        certificate is not trusted, ``ValueError`` for bad arguments.
        """
        flow = self._acquire(normalize_scopes(scopes), force_refresh)
        return httpflow.run_sync(flow, self._sync_client(), transport.failure)

    async def acquire_token_for_client_async(self, scopes: Sequence[str], *,
                                             force_refresh: bool = False) -> AccessToken:
        """The same as ``acquire_token_for_client``, over an ``httpx.AsyncClient``."""
        flow = self._acquire(normalize_scopes(scopes), force_refresh)
        return await httpflow.run_async(flow, self._async_client(), transport.failure)

    @property
    def token_endpoint(self) -> str | None:
        """The discovered token endpoint (``None`` before the first request)."""
        return self._token_endpoint

    def remove_tokens(self) -> None:
        """Forget every cached token; the next call asks the server."""
        self._cache.clear()

    # -- the flow shared by both methods --------------------------------------------------

    def _acquire(self, scopes: Scopes, force_refresh: bool) -> httpflow.Flow[AccessToken]:
        if not force_refresh:
            cached = self._cache.get(scopes, self._clock())
            if cached is not None:
                return cached
        endpoint = yield from self._discover()
        requested_at = self._clock()
        body = yield from transport.exchange(
            lambda: self._token_request(endpoint, scopes), max_retries=self._max_retries,
            clock=self._clock)
        token = parse_token_response(body, requested_at=requested_at, scopes=scopes)
        self._cache.put(scopes, token)
        return token

    def _discover(self) -> httpflow.Flow[str]:
        if self._token_endpoint is None:
            document = yield from transport.exchange(
                lambda: discovery_request(self.authority, transport.client_headers()),
                max_retries=self._max_retries, clock=self._clock)
            self._token_endpoint = token_endpoint_from(
                document, allow_insecure_http=self._allow_http)
            issuer = document.get("issuer")
            self._issuer = issuer if isinstance(issuer, str) and issuer else None
        return self._token_endpoint

    def _token_request(self, endpoint: str, scopes: Scopes) -> httpx.Request:
        """RFC 6749 §4.4.2 access token request, client authentication per §2.3."""
        form = {"client_id": self.client_id, "grant_type": "client_credentials",
                "scope": " ".join(scopes)}
        audience = self._issuer if self._audience_is_issuer and self._issuer else endpoint
        form.update(self._credential.form_fields(self.client_id, audience, self._clock()))
        return httpx.Request("POST", endpoint, data=form, headers=transport.client_headers())

    # -- HTTP clients -----------------------------------------------------------------------

    def _sync_client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(verify=self._verify, timeout=self._timeout)
        return self._http

    def _async_client(self) -> httpx.AsyncClient:
        if self._async_http is None:
            self._async_http = httpx.AsyncClient(verify=self._verify, timeout=self._timeout)
        return self._async_http

    def close(self) -> None:
        """Close the ``httpx.Client`` this object created (an injected one is left open)."""
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    async def aclose(self) -> None:
        """Close both HTTP clients this object created."""
        self.close()
        if self._owns_async_http and self._async_http is not None:
            await self._async_http.aclose()
            self._async_http = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()
