"""The keys of federated credentials' issuers, fetched over https and cached (OIDC Discovery
1.0 §4; RFC 7517 §5).

Only an issuer an administrator registered is ever contacted: the assertion must match one
of the application's credentials (issuer, subject and audience, ``match_credential``) before
anything is fetched, so a token cannot make Credo call a URL of its choosing. Then
``<issuer>/.well-known/openid-configuration``, whose ``issuer`` must be the same string
(§4.3), and its ``jwks_uri`` (https); RSA keys of at least 2048 bits and P-256 keys are kept
by ``kid``. Both are cached for ``ttl`` seconds and fetched by one flow at a time
(``credo.resource.keys.SingleFlight``); an unknown ``kid`` refetches the key set at most once
per ``refresh_min_interval`` per issuer. Every request has connect, read, write and pool
timeouts of ``timeout`` seconds, and both together at most twice that, however slowly an
issuer drips its answer: an issuer that does not answer is AADSTS90061, promptly.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx

from credo.aadsts.client import FEDERATED_ISSUER_UNREACHABLE
from credo.config import ConfigError
from credo.errors import JoseError
from credo.httpflow import Flow, Limit, OverLimit, run_async, tls_trust_error
from credo.jose import PublicKey, external_key_from_jwk
from credo.model import Application
from credo.protocol.client_auth import ExternalKey, Presented
from credo.protocol.client_auth.federated import NAME, match_credential
from credo.resource.keys import (
    MAX_DOCUMENT_BYTES,
    ProviderMetadata,
    SingleFlight,
    json_object,
    parse_metadata,
)
from credo.resource.transport import MetadataUnavailable

REFRESH_MIN_INTERVAL = 60.0
DEADLINE_REQUESTS = 2
"""The discovery document and the key set: a token request waits at most this many
``timeout`` periods for an issuer in all, however slowly it answers."""
DISCOVERY = "/.well-known/openid-configuration"
_SHOWN = 200

KeySet = dict[str, PublicKey]


def parse_key_set(url: str, response: httpx.Response) -> KeySet:
    """The usable verification keys of a JWKS by ``kid``; the first of a ``kid`` wins."""
    keys = json_object(url, response).get("keys")
    if not isinstance(keys, list):
        raise MetadataUnavailable(f"The key set at {url} has no keys array.")
    found: KeySet = {}
    for jwk in keys:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        kid = jwk.get("kid")
        try:
            if isinstance(kid, str) and kid and kid not in found:
                found[kid] = external_key_from_jwk(jwk)
        except JoseError:
            continue
    return found


def ssl_context(ca_file: str = "", own_ca: Path | None = None) -> ssl.SSLContext:
    """The system's trust (``SSL_CERT_FILE`` included), plus ``ca_file`` when set (an
    unreadable one raises), plus the deployment's own CA when it has one, so that its tenants
    can federate with each other."""
    context = ssl.create_default_context()
    if ca_file:
        try:
            context.load_verify_locations(cafile=str(Path(ca_file).expanduser()))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"federation_ca_file {ca_file!r} cannot be read as PEM CA "
                              f"certificates: {exc}") from exc
    if own_ca is not None and own_ca.is_file():
        context.load_verify_locations(cafile=str(own_ca))
    return context


class FederatedKeys:
    """The key an assertion's ``kid`` names at its issuer, for ``TokenService``."""

    def __init__(self, *, timeout: float, ttl: float, verify: ssl.SSLContext,
                 refresh_min_interval: float = REFRESH_MIN_INTERVAL,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._timeout = timeout
        self._deadline = DEADLINE_REQUESTS * timeout
        self._limit = Limit(MAX_DOCUMENT_BYTES, self._deadline)
        self._client = httpx.AsyncClient(verify=verify, timeout=httpx.Timeout(timeout),
                                         follow_redirects=False, transport=transport,
                                         trust_env=False)
        self._documents: SingleFlight[ProviderMetadata] = SingleFlight(
            parse_metadata, ttl=ttl, min_interval=refresh_min_interval)
        self._key_sets: SingleFlight[KeySet] = SingleFlight(
            parse_key_set, ttl=ttl, min_interval=refresh_min_interval)

    async def key_for(self, presented: Presented, app: Application,
                      now: float) -> ExternalKey | None:
        """The issuer's key for a federated assertion (``None`` for other methods); raises the
        credential mismatch before fetching anything, AADSTS90061 when the issuer fails."""
        assertion = presented.assertion
        if presented.method != NAME or assertion is None:
            return None
        issuer = match_credential(app, assertion.claims).issuer
        kid = str(assertion.header["kid"])
        try:
            async with asyncio.timeout(self._deadline):
                key = await run_async(self._key(issuer, kid, now), self._client, self._failure,
                                      self._limit)
        except TimeoutError:
            raise FEDERATED_ISSUER_UNREACHABLE(
                issuer=issuer[:_SHOWN], reason=f"it did not answer within {self._deadline:g} s",
                detail="overall deadline") from None
        except MetadataUnavailable as exc:
            raise FEDERATED_ISSUER_UNREACHABLE(
                issuer=issuer[:_SHOWN], reason=exc.description.rstrip("."),
                detail=exc.detail) from None
        return ExternalKey(issuer, kid, key)

    def _key(self, issuer: str, kid: str, now: float) -> Flow[PublicKey | None]:
        metadata = yield from self._documents.get(issuer.rstrip("/") + DISCOVERY, now)
        if metadata.issuer != issuer:
            raise MetadataUnavailable(f"its discovery document names the issuer "
                                      f"'{metadata.issuer[:_SHOWN]}'")
        keys = yield from self._key_sets.get(metadata.jwks_uri, now)
        if kid not in keys:
            keys = yield from self._key_sets.get(metadata.jwks_uri, now, refetch=True)
        return keys.get(kid)

    def _failure(self, request: httpx.Request, exc: httpx.RequestError) -> MetadataUnavailable:
        """Why ``request`` got no answer, in words a caller can act on."""
        where = f"{request.url.host}:{request.url.port or 443}"
        if tls_trust_error(request, exc) is not None:
            reason = f"the TLS certificate of {where} is not trusted"
        elif isinstance(exc, httpx.TimeoutException):
            reason = f"{where} did not answer within {self._timeout:g} s"
        elif isinstance(exc, OverLimit):
            reason = f"{where} {exc}"
        else:
            reason = f"{where} could not be reached"
        error = MetadataUnavailable(reason, detail=f"{request.url}: {type(exc).__name__}: {exc}")
        error.__cause__ = exc
        return error

    async def close(self) -> None:
        await self._client.aclose()
