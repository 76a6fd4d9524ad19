"""Authorities and OpenID Provider metadata (OpenID Connect Discovery 1.0 §4).

An authority is ``https://host[:port]/{tenant}``, e.g. ``https://127.0.0.1:8443/contoso.example``
or ``https://login.microsoftonline.com/<tenant GUID>``. Like MSAL, the client reads
``{authority}/v2.0/.well-known/openid-configuration`` once and posts to its
``token_endpoint``; that URL is also the ``aud`` of the client assertion (RFC 7523 §3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from credo.httpflow import require_https

TENANT_INDEPENDENT = frozenset({"common", "organizations", "consumers"})
"""Tenant segments that name no tenant; Entra refuses them for client credentials."""

_TENANT = re.compile(r"[A-Za-z0-9.-]+")  # a GUID or a domain name (azure-identity's rule)


@dataclass(frozen=True)
class Authority:
    """A parsed authority: ``base`` (scheme, host, port) and the ``tenant`` path segment."""

    base: str
    tenant: str
    path: str

    @property
    def url(self) -> str:
        """The authority as written, without a trailing slash."""
        return f"{self.base}/{self.path}"

    @property
    def is_tenant_independent(self) -> bool:
        """True for ``common``, ``organizations`` and ``consumers``."""
        return self.tenant.lower() in TENANT_INDEPENDENT

    def with_tenant(self, tenant: str) -> Authority:
        """The same host with ``tenant`` as the only path segment."""
        if not _TENANT.fullmatch(tenant) or tenant.lower() in TENANT_INDEPENDENT:
            raise ValueError(f"{tenant!r} is not a tenant id or domain name")
        return Authority(self.base, tenant, tenant)

    @property
    def discovery_url(self) -> str:
        """Where MSAL reads the v2.0 metadata document."""
        return f"{self.url}/v2.0/.well-known/openid-configuration"

    @property
    def v1_token_endpoint(self) -> str:
        """The v1 token URL ADAL posts to: the authority plus ``/oauth2/token``, no discovery."""
        return f"{self.url}/oauth2/token"


def parse_authority(authority: str, *, allow_insecure_http: bool = False,
                    single_segment: bool = False) -> Authority:
    """Validate ``https://host[:port]/{tenant}[/…]`` (MSAL) or exactly one segment (ADAL)."""
    parsed = require_https(authority, allow_insecure_http=allow_insecure_http,
                           what="the authority")
    segments = [s for s in parsed.path.split("/") if s]
    if not segments or (single_segment and len(segments) != 1):
        wanted = "exactly one" if single_segment else "at least one"
        raise ValueError(f"the authority {authority!r} needs {wanted} path segment "
                         "(the tenant id or a domain name)")
    if not _TENANT.fullmatch(segments[0]):
        raise ValueError(f"the tenant {segments[0]!r} may hold only letters, digits, '-' and '.'")
    base = str(parsed.copy_with(path="", query=None, fragment=None))
    return Authority(base, segments[0], "/".join(segments))


def discovery_request(authority: Authority, headers: dict[str, str]) -> httpx.Request:
    """``GET {authority}/v2.0/.well-known/openid-configuration``."""
    return httpx.Request("GET", authority.discovery_url, headers=headers)


def token_endpoint_from(document: dict[str, Any], *, allow_insecure_http: bool) -> str:
    """The ``token_endpoint`` of a metadata document; it must be https (OIDC Discovery §3)."""
    endpoint = document.get("token_endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise ValueError("the authority's openid-configuration has no token_endpoint")
    require_https(endpoint, allow_insecure_http=allow_insecure_http,
                  what="the discovered token_endpoint")
    return endpoint
