"""Discovery documents and signing keys, fetched lazily and cached (OIDC Discovery 1.0 §4).

``KeyCache`` keeps each discovery document and each JWKS (RFC 7517 §5) for ``ttl`` seconds.
Each URL is fetched by one flow at a time, across tasks, event loops and threads: the others
wait for that fetch (``Join``) instead of sending their own (single flight).

On an unknown ``kid`` the key set is refetched, at most once per ``refresh_min_interval``
seconds per key set (OIDC Core §10.1.1: a signer may publish new keys at any time); lookups
that arrive while that refetch is in flight wait for it, later ones within the interval are
refused without a fetch, so tokens with random ``kid`` values cannot make the validator
fetch per request, however many callers send them at once.

Keys come only from the fetched set, chosen by ``kid``: a token header's ``jku``, ``x5u``,
``jwk`` and ``x5c`` are never read. Keys whose ``use`` is not ``sig``, keys that are not
RSA and RSA keys under 2048 bits are skipped. When a refresh fails and an older copy exists,
the older copy is kept and the refresh retried after ``refresh_min_interval``. When a first
fetch fails, lookups within the next ``COLD_RETRY`` seconds (at most ``refresh_min_interval``)
fail at once with the same error, so a flood of tokens does not become a flood of requests
to an authority that is already failing.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from credo.errors import JoseError, TokenValidationError, safe_description
from credo.httpflow import Flow, Join, Limit, fetch, require_https
from credo.jose import public_key_from_jwk
from credo.resource.transport import MetadataUnavailable, get

T = TypeVar("T")

MAX_DOCUMENT_BYTES = 512 * 1024
"""A discovery document or JWKS larger than this is refused."""
MIN_RSA_BITS = 2048
JOIN_TIMEOUT = 30.0
"""Seconds a lookup waits for a fetch another caller started before answering 503."""
COLD_RETRY = 5.0
"""Seconds after a failed first fetch of a URL before it is fetched again."""
FETCH_LIMIT = Limit(MAX_DOCUMENT_BYTES, JOIN_TIMEOUT)
"""What one fetch may take, read as it arrives: the caller that fetches waits no longer than
those that join it, and an answer is refused once it passes the size bound."""


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


def json_object(url: str, response: httpx.Response) -> dict[str, Any]:
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


def parse_metadata(url: str, response: httpx.Response, *,
                   allow_insecure_http: bool = False) -> ProviderMetadata:
    """Read ``issuer`` and ``jwks_uri`` from a discovery response (OIDC Discovery 1.0 §4.2)."""
    body = json_object(url, response)
    issuer, jwks_uri = body.get("issuer"), body.get("jwks_uri")
    if not isinstance(issuer, str) or not issuer:
        raise MetadataUnavailable(f"The discovery document at {url} has no issuer.")
    if not isinstance(jwks_uri, str):
        raise MetadataUnavailable(f"The discovery document at {url} has no jwks_uri.")
    try:
        require_https(jwks_uri, allow_insecure_http=allow_insecure_http, what="jwks_uri",
                      allow_query=True)
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
    keys = json_object(url, response).get("keys")
    if not isinstance(keys, list):
        raise MetadataUnavailable(f"The key set at {url} has no keys array.")
    found: dict[str, SigningKey] = {}
    for jwk in keys:
        key = _signing_key(jwk)
        if key is not None:
            found.setdefault(key.kid, key)
    return found


class SingleFlight(Generic[T]):
    """Parsed documents by URL with an expiry; each URL fetched by one flow at a time."""

    def __init__(self, parse: Callable[[str, httpx.Response], T], *, ttl: float,
                 min_interval: float) -> None:
        self._parse = parse
        self._ttl = ttl
        self._min_interval = min_interval
        self._entries: dict[str, _Entry[T]] = {}
        self._pending: dict[str, Future[T]] = {}
        self._last_refetch: dict[str, float] = {}
        self._failed: dict[str, tuple[float, MetadataUnavailable]] = {}
        self._lock = threading.Lock()

    def get(self, url: str, now: float, *, refetch: bool = False) -> Flow[T]:
        """The document at ``url``: cached while fresh, else fetched or joined in flight.

        ``refetch`` asks for a copy newer than the cached one: it joins a fetch in flight,
        or starts one if the last refetch began ``min_interval`` ago, else returns the cache.
        """
        entry = self._entries.get(url)
        if entry is not None and not refetch and now < entry.expires_at:
            return entry.value  # the hot path: no lock
        with self._lock:
            entry = self._entries.get(url)
            pending = self._pending.get(url)
            failed = self._failed.get(url)
            if pending is None and entry is None and failed is not None and now < failed[0]:
                raise _copy(failed[1])
            if pending is None and refetch and entry is not None:
                if now - self._last_refetch.get(url, -math.inf) < self._min_interval:
                    return entry.value
                self._last_refetch[url] = now
            leader = pending is None
            if pending is None:
                pending = self._pending[url] = Future()
                pending.set_running_or_notify_cancel()  # a waiter cannot cancel it
        if not leader:
            return (yield from _joined(url, pending))
        return (yield from self._lead(url, now, entry, pending))

    def _lead(self, url: str, now: float, entry: _Entry[T] | None,
              pending: Future[T]) -> Flow[T]:
        """Fetch for everyone waiting on ``pending``; it is settled however this ends."""
        try:
            value = yield from self._load(url, now, entry)
        except MetadataUnavailable as error:
            pending.set_exception(error)
            raise
        except BaseException:  # abandoned: the caller was cancelled (GeneratorExit)
            if entry is not None:
                pending.set_result(entry.value)
            else:
                pending.set_exception(MetadataUnavailable(f"The fetch of {url} was abandoned."))
            raise
        else:
            pending.set_result(value)
            return value
        finally:
            with self._lock:
                del self._pending[url]

    def _load(self, url: str, now: float, entry: _Entry[T] | None) -> Flow[T]:
        try:
            value = self._parse(url, (yield from fetch(get(url))))
        except MetadataUnavailable as error:
            if entry is None:
                with self._lock:
                    self._failed[url] = (now + min(COLD_RETRY, self._min_interval), error)
                raise
            self._entries[url] = _Entry(entry.value, now + self._min_interval)
            return entry.value
        self._entries[url] = _Entry(value, now + self._ttl)
        self._failed.pop(url, None)
        return value


def _joined(url: str, pending: Future[T]) -> Flow[T]:
    """Wait for another flow's fetch and share its outcome."""
    yield Join(pending, JOIN_TIMEOUT)
    if not pending.done():
        raise MetadataUnavailable(f"The fetch of {url} did not finish in {JOIN_TIMEOUT:g} s.")
    error = pending.exception()
    if isinstance(error, MetadataUnavailable):
        raise _copy(error)
    return pending.result()


def _copy(error: MetadataUnavailable) -> MetadataUnavailable:
    """A fresh exception for each caller that shares one fetch's failure."""
    copied = type(error)(error.description, detail=error.detail)
    copied.__cause__ = error
    return copied


class KeyCache:
    """Discovery documents by URL and key sets by ``jwks_uri``, each with an expiry."""

    def __init__(self, *, ttl: float, refresh_min_interval: float,
                 allow_insecure_http: bool = False) -> None:
        def parse(url: str, response: httpx.Response) -> ProviderMetadata:
            return parse_metadata(url, response, allow_insecure_http=allow_insecure_http)
        self._documents = SingleFlight(parse, ttl=ttl, min_interval=refresh_min_interval)
        self._key_sets = SingleFlight(parse_jwks, ttl=ttl, min_interval=refresh_min_interval)

    def metadata(self, url: str, now: float) -> Flow[ProviderMetadata]:
        """The discovery document at ``url``, fetched when absent or older than ``ttl``."""
        return (yield from self._documents.get(url, now))

    def key_set(self, jwks_uri: str, now: float) -> Flow[KeySet]:
        """The key set at ``jwks_uri``, fetched when absent or older than ``ttl``."""
        return (yield from self._key_sets.get(jwks_uri, now))

    def key(self, jwks_uri: str, kid: str, now: float) -> Flow[SigningKey]:
        """The key named ``kid``; an unknown ``kid`` refetches the set once, rate-limited."""
        keys = yield from self._key_sets.get(jwks_uri, now)
        found = keys.get(kid)
        if found is None:
            keys = yield from self._key_sets.get(jwks_uri, now, refetch=True)
            found = keys.get(kid)
        if found is None:
            raise TokenValidationError(
                f"The signing key '{quoted(kid)}' is not in the authority's key set.",
                detail=f"kid {kid!r} not in {jwks_uri}")
        return found


def quoted(value: str, limit: int = 80) -> str:
    """A token-supplied value made safe for an RFC 6750 ``error_description`` and bounded."""
    text = safe_description(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
