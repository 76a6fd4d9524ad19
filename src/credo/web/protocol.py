"""Discovery (OpenID Connect Discovery 1.0 §4) and JWKS (RFC 7517 §5) routes."""

from __future__ import annotations

from typing import Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from credo.errors import OAuthError
from credo.protocol import metadata
from credo.service.grants import GRANTS
from credo.service.keys import KeyService
from credo.service.snapshots import DirectoryCache
from credo.service.tenants import ALIASES, page_tenant
from credo.web import render

GRANT_TYPES = tuple(GRANTS)


class ProtocolRoutes:
    def __init__(self, base_url: str, cache: DirectoryCache, keys: KeyService) -> None:
        self._base = base_url
        self._cache = cache
        self._keys = keys

    def routes(self) -> list[Route]:
        return [
            Route("/{tenant}/v2.0/.well-known/openid-configuration", self.discovery_v2),
            Route("/{tenant}/.well-known/openid-configuration", self.discovery_v1),
            Route("/{tenant}/discovery/v2.0/keys", self.jwks),
            Route("/{tenant}/discovery/keys", self.jwks),
        ]

    async def _document(self, request: Request, version: Literal[1, 2]) -> Response:
        segment = request.path_params["tenant"]
        correlation = render.correlation_id(request.headers.get("client-request-id"))
        alias = segment.lower() in ALIASES
        try:
            tenant_id = segment.lower() if alias else (await page_tenant(self._cache, segment)).id
        except OAuthError as err:
            return render.oauth_error_response(err, correlation)
        doc = metadata.discovery(self._base, tenant_id, version, grant_types=GRANT_TYPES)
        if alias:  # multi-tenant validators read the templated issuer, as Entra serves it
            doc["issuer"] = metadata.EDITIONS[version].issuer(self._base, "{tenantid}")
        return render.raw_response(200, render.DISCOVERY, render.json_bytes(doc))

    async def discovery_v2(self, request: Request) -> Response:
        return await self._document(request, 2)

    async def discovery_v1(self, request: Request) -> Response:
        return await self._document(request, 1)

    async def jwks(self, request: Request) -> Response:
        """Same keys for every tenant: the key ring is deployment-wide (no redirect)."""
        segment = request.path_params["tenant"]
        if segment.lower() not in ALIASES:
            try:
                await page_tenant(self._cache, segment)
            except OAuthError as err:
                return render.oauth_error_response(
                    err, render.correlation_id(request.headers.get("client-request-id")))
        return render.raw_response(200, render.DISCOVERY, self._keys.jwks)
