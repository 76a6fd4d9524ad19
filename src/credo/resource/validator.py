"""``TokenValidator``: verify a Credo or Entra ID access token and return its ``Principal``.

One pipeline, in this order (each step raises ``TokenValidationError``, rendered as
RFC 6750 §3.1 ``invalid_token``):

1. compact JWS (RFC 7515 §5.2), no ``crit``, ``alg`` in the allow-list (RFC 8725 §3.1);
2. ``kid`` present and ``ver`` accepted: the version chooses the discovery document, whose
   ``jwks_uri`` holds the key and whose ``issuer`` the token must name;
3. the key, by ``kid`` only, from the cached JWKS (one rate-limited refetch when unknown);
4. the signature (RFC 7515 §5.2 step 8);
5. ``tid``: the authority's own tenant, or one of ``tenants`` for a multi-tenant authority;
6. ``iss`` equals the discovered issuer with ``{tenantid}`` replaced by ``tid``
   (OIDC Core §3.1.3.7 item 2; RFC 7519 §4.1.1);
7. ``aud`` names one of ``audiences`` (RFC 7519 §4.1.3; OIDC Core §3.1.3.7 item 3);
8. ``exp`` (required), ``nbf``, ``iat`` with ``leeway``, the start before ``exp``
   (RFC 7519 §4.1.4-4.1.6; OIDC Core §3.1.3.7 items 9-10; ``credo.numericdate``);
9. ``required_claims`` present (RFC 7519 §4);
10. an access token, not an ID token (no ``nonce``/``at_hash``/``c_hash``; a token that
    grants nothing must not be addressed to its own client);
11. the caller is an app or a user by one rule (``credo.resource.principal``); a token of
    neither shape is refused.

``docs/resource-sdk.md`` describes the threat model.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterable

import httpx

from credo.httpflow import Flow, require_https, run_async, run_sync, ssl_context
from credo.jose import RSA_ALGS
from credo.numericdate import TimeRules
from credo.resource import checks
from credo.resource.keys import FETCH_LIMIT, KeyCache, ProviderMetadata
from credo.resource.principal import Principal, principal_from_claims
from credo.resource.transport import failure

WELL_KNOWN = "/.well-known/openid-configuration"
TENANT_INDEPENDENT = frozenset({"common", "organizations", "consumers"})
VERSIONS = frozenset({"1.0", "2.0"})
MAX_LEEWAY = 300.0


def _discovery_urls(url: str, versions: frozenset[str], *,
                    allow_insecure_http: bool) -> tuple[dict[str, str], str | None]:
    """Each token version's discovery URL, and the authority's tenant segment if any."""
    require_https(url, allow_insecure_http=allow_insecure_http, what="the authority")
    if url.endswith(WELL_KNOWN):
        return dict.fromkeys(versions, url), None
    base = url.rstrip("/")
    base = base.removesuffix("/v2.0")
    segments = [s for s in httpx.URL(base).path.split("/") if s]
    if not segments:
        raise ValueError(f"the authority {url!r} names no tenant, like https://host/{{tenant}}")
    return {"2.0": f"{base}/v2.0{WELL_KNOWN}", "1.0": f"{base}{WELL_KNOWN}"}, segments[-1]


def _allowed_tenants(tenants: Iterable[str] | None, segment: str | None, *,
                     any_tenant: bool) -> frozenset[str] | None:
    listed = None if tenants is None else frozenset(t.lower() for t in tenants)
    if listed is not None and ("*" in listed or not listed or "" in listed):
        raise ValueError("tenants lists tenant ids; to accept every tenant pass "
                         "unsafe_allow_any_tenant=True instead of '*'")
    if listed is not None and any_tenant:
        raise ValueError("pass either tenants or unsafe_allow_any_tenant=True, not both")
    if segment is not None and segment.lower() in TENANT_INDEPENDENT and not (
            listed or any_tenant):
        raise ValueError(f"a multi-tenant authority ({segment}) needs tenants=[...] "
                         "(or unsafe_allow_any_tenant=True)")
    return listed


class TokenValidator:
    """Validates access tokens of one authority for one API; safe to share across requests.

    ``authority_or_discovery_url`` is an authority (``https://host/{tenant}``; both the v1.0
    ``{authority}/.well-known/openid-configuration`` and the v2.0
    ``{authority}/v2.0/.well-known/…`` are read, lazily, each for its token version) or one
    discovery URL used for every version. A ``common``/``organizations`` authority publishes
    a templated issuer and needs ``tenants`` (or ``unsafe_allow_any_tenant=True``).
    ``verify`` is passed to the clients the validator creates (a CA bundle path for Credo's
    local CA); an injected ``http_client``/``sync_http_client`` is used as given.
    """

    def __init__(
        self, authority_or_discovery_url: str, audiences: str | Iterable[str], *,
        tenants: Iterable[str] | None = None, algorithms: Iterable[str] = ("RS256",),
        leeway: float = 60, versions: Iterable[str] = ("1.0", "2.0"),
        required_claims: Iterable[str] = (), http_client: httpx.AsyncClient | None = None,
        sync_http_client: httpx.Client | None = None,
        verify: ssl.SSLContext | str | bool = True, jwks_refresh_min_interval: float = 300,
        metadata_ttl: float = 86400, clock: Callable[[], float] = time.time,
        unsafe_allow_any_tenant: bool = False, allow_insecure_http: bool = False,
    ) -> None:
        self.audiences = (audiences,) if isinstance(audiences, str) else tuple(audiences)
        self._audience_set = frozenset(self.audiences)
        self.algorithms = frozenset(algorithms)
        self.versions = frozenset(versions)
        if not self.audiences or not all(self.audiences):
            raise ValueError("audiences must name at least one non-empty audience")
        if not self.algorithms or not self.algorithms <= RSA_ALGS:
            raise ValueError(f"algorithms must be a non-empty subset of {sorted(RSA_ALGS)}")
        if not self.versions or not self.versions <= VERSIONS:
            raise ValueError(f"versions must be a non-empty subset of {sorted(VERSIONS)}")
        if not 0 <= leeway <= MAX_LEEWAY:
            raise ValueError(f"leeway must be between 0 and {MAX_LEEWAY:g} seconds")
        if metadata_ttl <= 0 or jwks_refresh_min_interval < 0:
            raise ValueError("metadata_ttl must be positive, jwks_refresh_min_interval >= 0")
        self._documents, segment = _discovery_urls(
            authority_or_discovery_url, self.versions, allow_insecure_http=allow_insecure_http)
        self._any_tenant = unsafe_allow_any_tenant
        self._tenants = _allowed_tenants(tenants, segment, any_tenant=unsafe_allow_any_tenant)
        self._time_rules = TimeRules(past_leeway=leeway, future_leeway=leeway)
        self._required = tuple(required_claims)
        self._clock = clock
        self._cache = KeyCache(ttl=metadata_ttl, refresh_min_interval=jwks_refresh_min_interval,
                               allow_insecure_http=allow_insecure_http)
        self._verify = ssl_context(verify)
        self._owned: list[httpx.AsyncClient | httpx.Client] = []
        self._async = http_client
        self._sync = sync_http_client

    async def validate(self, token: str) -> Principal:
        """Verify ``token`` and return its principal, or raise ``TokenValidationError``.

        Raises ``MetadataUnavailable`` when discovery or keys cannot be fetched at all.
        """
        return await run_async(self._pipeline(token), self._async_client(), failure,
                               FETCH_LIMIT)

    def validate_sync(self, token: str) -> Principal:
        """``validate`` for synchronous code (WSGI, scripts): same pipeline, blocking I/O."""
        return run_sync(self._pipeline(token), self._sync_client(), failure, FETCH_LIMIT)

    async def warm_up(self) -> None:
        """Fetch every discovery document and key set now (at startup), not on first use."""
        for version in sorted(self.versions):
            await run_async(self._warm(version), self._async_client(), failure, FETCH_LIMIT)

    async def aclose(self) -> None:
        """Close the HTTP clients this validator created (injected ones are left open)."""
        owned = self._forget(httpx.AsyncClient, httpx.Client)
        for client in owned:
            if isinstance(client, httpx.AsyncClient):
                await client.aclose()
            else:
                client.close()

    def close(self) -> None:
        """Close the blocking HTTP client this validator created, if any."""
        for client in self._forget(httpx.Client):
            if isinstance(client, httpx.Client):
                client.close()

    def _forget(self, *kinds: type) -> list[httpx.AsyncClient | httpx.Client]:
        """Drop owned clients of ``kinds``; new ones are made on next use."""
        gone = [c for c in self._owned if isinstance(c, kinds)]
        self._owned = [c for c in self._owned if c not in gone]
        if self._async in gone:
            self._async = None
        if self._sync in gone:
            self._sync = None
        return gone

    def _pipeline(self, token: str) -> Flow[Principal]:
        now = self._clock()
        jws = checks.parse(token, self.algorithms)
        alg = checks.check_alg(jws.header, self.algorithms)
        kid = checks.check_kid(jws.header)
        version = checks.check_version(jws.claims, self.versions)
        meta: ProviderMetadata = yield from self._cache.metadata(self._documents[version], now)
        key = yield from self._cache.key(meta.jwks_uri, kid, now)
        checks.check_signature(jws, alg, key, self.algorithms)
        tenant = checks.check_tenant(jws.claims, meta.issuer, self._tenants,
                                     any_tenant=self._any_tenant)
        checks.check_issuer(jws.claims, meta.issuer, tenant, key)
        checks.check_audience(jws.claims, self._audience_set)
        checks.check_lifetime(jws.claims, now, self._time_rules)
        checks.check_required(jws.claims, self._required)
        checks.check_access_token(jws.claims)
        return principal_from_claims(jws.claims, tenant, version)

    def _warm(self, version: str) -> Flow[None]:
        now = self._clock()
        meta = yield from self._cache.metadata(self._documents[version], now)
        yield from self._cache.key_set(meta.jwks_uri, now)

    def _async_client(self) -> httpx.AsyncClient:
        if self._async is None:
            self._async = httpx.AsyncClient(verify=self._verify, timeout=10)
            self._owned.append(self._async)
        return self._async

    def _sync_client(self) -> httpx.Client:
        if self._sync is None:
            self._sync = httpx.Client(verify=self._verify, timeout=10)
            self._owned.append(self._sync)
        return self._sync
