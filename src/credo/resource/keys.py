"""Discovery documents and signing keys, fetched lazily and cached (OIDC Discovery 1.0 §4).

``KeyCache`` keeps each discovery document and each JWKS (RFC 7517 §5) for ``ttl`` seconds.
On an unknown ``kid`` it refetches the key set once, and at most once per
``refresh_min_interval`` seconds per key set, so tokens with random ``kid`` values cannot
make it fetch per request (OIDC Core §10.1.1: a signer may publish new keys at any time).
Concurrent lookups that arrive while that refetch is in flight join it (single flight).

Keys come only from the fetched set, chosen by ``kid``: a token header's ``jku``, ``x5u``,
``jwk`` and ``x5c`` are never read. Keys whose ``use`` is not ``sig``, keys that are not
RSA and RSA keys under 2048 bits are skipped. When a refresh fails and an older copy exists,
the older copy is kept and the refresh retried after ``refresh_min_interval``.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from credo.errors import JoseError, TokenValidationError, safe_description
from credo.jose import public_key_from_jwk
from credo.resource.transport import Flow, MetadataUnavailable

T = TypeVar("T")

MAX_DOCUMENT_BYTES = 512 * 1024
"""A discovery document or JWKS larger than this is refused."""
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class ProviderMetadata:
    """The two members of a discovery document the validator uses (OIDC Discovery 1.0 §3).

    ``issuer`` may be Entra's multi-tenant template ``https://…/{tenantid}/v2.0``.
    """

    issuer: str
    jwks_uri: str


@dataclass(frozen=True)
class SigningKey:
    """An RSA verification key from a JWKS; ``alg`` and ``issuer`` when the JWK names them."""

    kid: str
    key: rsa.RSAPublicKey
    alg: str | None = None
    issuer: str | None = None


KeySet = Mapping[str, SigningKey]


@dataclass(frozen=True)
class _Entry(Generic[T]):
    value: T
    expires_at: float


def _json_object(url: str, response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise MetadataUnavailable(f"{url} answered HTTP {response.status_code}.")
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise MetadataUnavailable(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes.")
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError) as exc:
        raise MetadataUnavailable(f"{url} did not answer JSON.") from exc
    if not isinstance(body, dict):
        raise MetadataUnavailable(f"{url} did not answer a JSON object.")
    return body


def check_url(url: str, *, allow_insecure_http: bool, what: str) -> str:
    """``url`` if it is absolute ``https`` (or ``http`` when allowed) with a host."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"{what} {url!r} is not a URL") from exc
    schemes = ("https", "http") if allow_insecure_http else ("https",)
    if parsed.scheme not in schemes or not parsed.host:
        raise ValueError(f"{what} must be an https URL with a host name, got {url!r}"
                         + ("" if allow_insecure_http else
                            " (allow_insecure_http=True permits http for tests)"))
    return url


def parse_metadata(url: str, response: httpx.Response, *,
                   allow_insecure_http: bool = False) -> ProviderMetadata:
    """Read ``issuer`` and ``jwks_uri`` from a discovery response (OIDC Discovery 1.0 §4.2)."""
    body = _json_object(url, response)
    issuer, jwks_uri = body.get("issuer"), body.get("jwks_uri")
    if not isinstance(issuer, str) or not issuer:
        raise MetadataUnavailable(f"The discovery document at {url} has no issuer.")
    if not isinstance(jwks_uri, str):
        raise MetadataUnavailable(f"The discovery document at {url} has no jwks_uri.")
    try:
        check_url(jwks_uri, allow_insecure_http=allow_insecure_http, what="jwks_uri")
    except ValueError as exc:
        raise MetadataUnavailable(f"The discovery document at {url} has an unusable "
                                  "jwks_uri.", detail=str(exc)) from exc
    return ProviderMetadata(issuer, jwks_uri)


def _signing_key(jwk: Any) -> SigningKey | None:
    """The key, or ``None`` for a JWK the validator must not use (RFC 7517 §4.2 ``use``)."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
        return None
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        return None
    try:
        key = public_key_from_jwk(jwk)
    except JoseError:
        return None
    if key.key_size < MIN_RSA_BITS:
        return None
    alg, issuer = jwk.get("alg"), jwk.get("issuer")
    return SigningKey(kid, key, alg if isinstance(alg, str) else None,
                      issuer if isinstance(issuer, str) else None)


def parse_jwks(url: str, response: httpx.Response) -> KeySet:
    """The usable signing keys of a JWKS by ``kid`` (RFC 7517 §5); the first of a ``kid`` wins."""
    keys = _json_object(url, response).get("keys")
    if not isinstance(keys, list):
        raise MetadataUnavailable(f"The key set at {url} has no keys array.")
    found: dict[str, SigningKey] = {}
    for jwk in keys:
        key = _signing_key(jwk)
        if key is not None:
            found.setdefault(key.kid, key)
    return found


class KeyCache:
    """Discovery documents by URL and key sets by ``jwks_uri``, each with an expiry."""

    def __init__(self, *, ttl: float, refresh_min_interval: float,
                 allow_insecure_http: bool = False) -> None:
        self._ttl = ttl
        self._min_interval = refresh_min_interval
        self._insecure = allow_insecure_http
        self._documents: dict[str, _Entry[ProviderMetadata]] = {}
        self._key_sets: dict[str, _Entry[KeySet]] = {}
        self._last_refetch: dict[str, float] = {}
        self._refetching: dict[str, int] = {}
        self._lock = threading.Lock()

    def metadata(self, url: str, now: float) -> Flow[ProviderMetadata]:
        """The discovery document at ``url``, fetched when absent or older than ``ttl``."""
        def parse(u: str, r: httpx.Response) -> ProviderMetadata:
            return parse_metadata(u, r, allow_insecure_http=self._insecure)
        return (yield from self._cached(self._documents, url, parse, now))

    def key_set(self, jwks_uri: str, now: float) -> Flow[KeySet]:
        """The key set at ``jwks_uri``, fetched when absent or older than ``ttl``."""
        return (yield from self._cached(self._key_sets, jwks_uri, parse_jwks, now))

    def key(self, jwks_uri: str, kid: str, now: float) -> Flow[SigningKey]:
        """The key named ``kid``; an unknown ``kid`` refetches the set once, rate-limited."""
        keys = yield from self.key_set(jwks_uri, now)
        found = keys.get(kid)
        if found is None and self._may_refetch(jwks_uri, now):
            try:
                keys = yield from self._cached(self._key_sets, jwks_uri, parse_jwks, now,
                                               force=True)
            finally:
                with self._lock:
                    self._refetching[jwks_uri] -= 1
            found = keys.get(kid)
        if found is None:
            raise TokenValidationError(
                f"The signing key '{quoted(kid)}' is not in the authority's key set.",
                detail=f"kid {kid!r} not in {jwks_uri}")
        return found

    def _may_refetch(self, jwks_uri: str, now: float) -> bool:
        """Join a refetch in flight, or start one if the last began ``min_interval`` ago."""
        with self._lock:
            joining = self._refetching.get(jwks_uri, 0) > 0
            last = self._last_refetch.get(jwks_uri, -math.inf)
            if not joining and now - last < self._min_interval:
                return False
            if not joining:
                self._last_refetch[jwks_uri] = now
            self._refetching[jwks_uri] = self._refetching.get(jwks_uri, 0) + 1
            return True

    def _cached(self, entries: dict[str, _Entry[T]], url: str,
                parse: Callable[[str, httpx.Response], T], now: float, *,
                force: bool = False) -> Flow[T]:
        entry = entries.get(url)
        if entry is not None and not force and now < entry.expires_at:
            return entry.value
        try:
            response = yield url
            value = parse(url, response)
        except MetadataUnavailable:
            if entry is None:
                raise
            entries[url] = _Entry(entry.value, now + self._min_interval)
            return entry.value
        entries[url] = _Entry(value, now + self._ttl)
        return value


def quoted(value: str, limit: int = 80) -> str:
    """A token-supplied value made safe for an RFC 6750 ``error_description`` and bounded."""
    text = safe_description(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
