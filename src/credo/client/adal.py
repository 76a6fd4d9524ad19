"""An ADAL-shaped client for code written against adal 1.2.7 (the v1 endpoint).

What ADAL does, and so what this module does (RFC 6749 §4.4, RFC 7523 §2.2):

* no discovery: the token URL is ``{authority}/oauth2/token``, the tenant exactly as
  written; the assertion's ``aud`` is that URL;
* body ``grant_type=client_credentials``, ``client_id``, ``resource`` and
  ``client_assertion_type`` + ``client_assertion`` (or ``client_secret``);
* a certificate is a PEM private key plus its SHA-1 thumbprint in hex → ``RS256`` with
  ``x5t``; a ``CertificateCredential`` may be given instead (PS256 + ``x5t#S256``);
* the result is ADAL's dict: ``accessToken``, ``tokenType``, ``expiresIn`` (int),
  ``expiresOn`` (local ``datetime`` as a string), ``resource``, ``isMRRT``,
  ``_clientId``, ``_authority``; tokens are cached per client and resource while more
  than 300 s remain (ADAL's 5-minute buffer).

Differences: errors are Credo's typed ``OAuthError`` rather than ``AdalError``; the
assertion also carries ``iat`` (ADAL sent ``nbf`` and ``exp`` only); ``validate_authority``
makes no network call: it accepts the Microsoft hosts ADAL knows and refuses any other
(ADAL's instance discovery refuses them too), so pass ``validate_authority=False`` (the
default) for a Credo authority.

``common``/``organizations``/``consumers`` authorities: app-only tokens need a tenant. A
``tenant=`` argument replaces the segment in the URL and the assertion audience. Without
it the request is sent as written; when the server refuses it for want of a tenant
(AADSTS9001023, 90002 or 50059) a ``ValueError`` explains what to change, chained to the
server's error. Any other answer is returned or raised unchanged.
"""

from __future__ import annotations

import datetime
import re
import ssl
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import httpx

from credo import certs, httpflow
from credo.client import _transport as transport
from credo.client.cache import TokenCache
from credo.client.credentials import (
    AssertionCredential,
    CertificateCredential,
    ClientSecret,
    Credential,
    x5c,
)
from credo.client.discovery import Authority, parse_authority
from credo.client.token import AccessToken, as_int, parse_token_response
from credo.errors import OAuthError
from credo.httpflow import ssl_context
from credo.jose import Signer, b64url_encode

ADAL_CACHE_BUFFER = 300.0
"""ADAL's ``CLOCK_BUFFER``: a cached token is renewed when fewer than 5 minutes remain."""

TENANT_REQUIRED_CODES = frozenset({9001023, 90002, 50059})
"""AADSTS codes with which Entra refuses a client-credentials request lacking a tenant."""

_MICROSOFT_HOSTS = frozenset({
    "login.microsoftonline.com", "login.windows.net", "login.microsoft.com",
    "sts.windows.net", "login.chinacloudapi.cn", "login.microsoftonline.de",
    "login.microsoftonline.us", "login.usgovcloudapi.net", "login-us.microsoftonline.com",
})
_SHA1_HEX = re.compile(r"[0-9a-f]{40}")


class ClientCredential:
    """ADAL's client id and secret (``client_secret`` in the body, RFC 6749 §2.3.1)."""

    def __init__(self, client_id: str, secret: str) -> None:
        self.client_id = client_id
        self._secret = ClientSecret(secret)

    def form_fields(self, client_id: str, token_endpoint: str, now: float) -> dict[str, str]:
        """``client_secret``."""
        return self._secret.form_fields(client_id, token_endpoint, now)


class ClientAssertionCertificate:
    """ADAL's certificate: a PEM RSA private key and the certificate's SHA-1 thumbprint.

    ``thumbprint`` is hex, as PowerShell and the portal print it (``:`` and spaces
    allowed). The assertion is RS256 with ``x5t`` (RFC 7515 §4.1.7); ``public_certificate``
    (PEM) adds ``x5c``. A ``CertificateCredential`` may be passed instead of the PEM key.
    """

    def __init__(self, client_id: str, certificate: CertificateCredential | str,
                 thumbprint: str | None = None, *,
                 public_certificate: str | None = None) -> None:
        self.client_id = client_id
        self._signer: Credential
        if isinstance(certificate, CertificateCredential):
            if thumbprint is not None and _sha1(thumbprint) != certificate.thumbprint.lower():
                raise ValueError("the thumbprint does not match the certificate")
            self._signer = certificate
            return
        if thumbprint is None:
            raise ValueError("a PEM private key needs the certificate's SHA-1 thumbprint")
        sha1 = _sha1(thumbprint)
        key = certs.load_private_key(certificate.encode("utf-8"))
        header: dict[str, object] = {"typ": "JWT", "x5t": b64url_encode(bytes.fromhex(sha1))}
        if public_certificate is not None:
            cert = certs.load_certificate(public_certificate.encode("utf-8"))
            if certs.thumbprints(cert).sha1.hex() != sha1:
                raise ValueError("the thumbprint does not match public_certificate")
            header["x5c"] = x5c(cert)
        self._signer = AssertionCredential(Signer("RS256", key, header))

    def form_fields(self, client_id: str, token_endpoint: str, now: float) -> dict[str, str]:
        """``client_assertion_type`` and ``client_assertion`` (RFC 7523 §2.2)."""
        return self._signer.form_fields(client_id, token_endpoint, now)


def _sha1(thumbprint: str) -> str:
    canonical = thumbprint.lower().replace(":", "").replace(" ", "")
    if not _SHA1_HEX.fullmatch(canonical):
        raise ValueError("the thumbprint must be a SHA-1 digest in hex (40 digits)")
    return canonical


class AuthenticationContext:
    """ADAL's ``AuthenticationContext`` for app-only tokens from the v1 token endpoint."""

    def __init__(self, authority: str, *, validate_authority: bool = False,
                 verify: ssl.SSLContext | str | bool = True,
                 http_client: httpx.Client | None = None,
                 allow_insecure_http: bool = False, timeout: float = 10.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.authority = parse_authority(authority, allow_insecure_http=allow_insecure_http,
                                         single_segment=True)
        if validate_authority and httpx.URL(self.authority.base).host not in _MICROSOFT_HOSTS:
            raise ValueError("validate_authority=True accepts only Microsoft authority hosts; "
                             "pass validate_authority=False for a self-hosted authority")
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(verify=ssl_context(verify), timeout=timeout)
        self._clock = clock
        self._cache: TokenCache[tuple[str, str, str]] = TokenCache(
            refresh_before=ADAL_CACHE_BUFFER)

    def acquire_token(self, resource: str, credential: ClientAssertionCertificate
                      | ClientCredential, *, tenant: str | None = None) -> dict[str, Any]:
        """Client credentials for ``resource`` at the v1 endpoint; ADAL's result dict."""
        if not resource:
            raise ValueError("resource must not be empty")
        authority = self._authority_for(tenant)
        key = (authority.url, credential.client_id, resource)
        token = self._cache.get(key, self._clock())
        if token is None:
            token = self._request(authority, resource, credential)
            self._cache.put(key, token)
        return _adal_result(token, resource, credential.client_id, authority, self._clock())

    def acquire_token_with_client_certificate(
            self, resource: str, client_id: str, certificate: str, thumbprint: str,
            public_certificate: str | None = None, *, tenant: str | None = None,
    ) -> dict[str, Any]:
        """adal 1.2.7's signature: a PEM private key and its SHA-1 hex thumbprint."""
        credential = ClientAssertionCertificate(client_id, certificate, thumbprint,
                                                public_certificate=public_certificate)
        return self.acquire_token(resource, credential, tenant=tenant)

    def acquire_token_with_client_credentials(
            self, resource: str, client_id: str, client_secret: str, *,
            tenant: str | None = None) -> dict[str, Any]:
        """adal 1.2.7's signature for a client secret."""
        return self.acquire_token(resource, ClientCredential(client_id, client_secret),
                                  tenant=tenant)

    def _authority_for(self, tenant: str | None) -> Authority:
        if tenant is None or tenant == self.authority.tenant:
            return self.authority
        if not self.authority.is_tenant_independent:
            raise ValueError(f"tenant= replaces only common/organizations/consumers; the "
                             f"authority already names {self.authority.tenant!r}")
        return self.authority.with_tenant(tenant)

    def _request(self, authority: Authority, resource: str,
                 credential: ClientAssertionCertificate | ClientCredential) -> AccessToken:
        endpoint = authority.v1_token_endpoint
        requested_at = self._clock()

        def build() -> httpx.Request:
            form = {"grant_type": "client_credentials", "client_id": credential.client_id,
                    "resource": resource}
            form.update(credential.form_fields(credential.client_id, endpoint, self._clock()))
            return httpx.Request("POST", endpoint, data=form,
                                 headers=transport.client_headers())

        flow = transport.exchange(build, max_retries=0, clock=self._clock)
        try:
            body = httpflow.run_sync(flow, self._http, transport.failure)
        except OAuthError as error:
            if authority.is_tenant_independent and TENANT_REQUIRED_CODES & set(error.codes):
                raise ValueError(
                    f"the server refused {authority.tenant!r} ({error.aadsts}): app-only "
                    "tokens need a tenant-specific authority such as "
                    f"{authority.base}/<tenant id or domain>, or pass tenant=...") from error
            raise
        return parse_token_response(body, requested_at=requested_at, resource=resource)

    def close(self) -> None:
        """Close the ``httpx.Client`` this object created (an injected one is left open)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _adal_result(token: AccessToken, resource: str, client_id: str, authority: Authority,
                 now: float) -> dict[str, Any]:
    """ADAL's token dict: camelCase fields plus its cache metadata (``_clientId`` …)."""
    raw = token.raw
    expires_in = as_int(raw.get("expires_in"))
    result: dict[str, Any] = {
        "tokenType": token.token_type,
        "expiresIn": round(token.expires_on - now) if expires_in is None else expires_in,
        "expiresOn": str(datetime.datetime.fromtimestamp(token.expires_on)),
        "resource": token.resource or resource,
        "accessToken": token.access_token,
    }
    if isinstance(raw.get("refresh_token"), str):
        result["refreshToken"] = raw["refresh_token"]
    if isinstance(raw.get("resource"), str):
        result["isMRRT"] = True  # ADAL marks a token whose response names its resource
    result["_clientId"] = client_id
    result["_authority"] = authority.url
    return result
