"""HTTP flows: logic written once as a generator, run with a blocking or an async httpx client.

The boundary: this is the outbound I/O seam of the two client-side packages, ``credo.client``
(discovery and token requests) and ``credo.resource`` (discovery and JWKS). It imports httpx,
the standard library and ``credo.errors`` only, and knows nothing of tokens, keys or OAuth
error bodies: each package keeps its own meaning of a failed request (``failure``). It also
holds the rule both packages apply to the URLs they are configured with (``require_https``)
and the diagnosis of a TLS trust failure, so that it never reads as "server down".

A *flow* is a generator that yields steps and returns its result:

* ``httpx.Request``: send it; the driver resumes the flow with the ``httpx.Response``;
* ``Sleep(seconds)``: resume with ``None`` after waiting;
* ``Join(future, timeout)``: resume with ``None`` once ``future`` (a
  ``concurrent.futures.Future`` that another flow completes, in any thread or event loop)
  is done, or after ``timeout`` seconds.

A request that got no answer is thrown into the flow as ``failure(request, error)``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ssl
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import httpx

from credo.errors import TlsTrustError

T = TypeVar("T")


@dataclass(frozen=True)
class Sleep:
    """A flow step: wait ``seconds`` before the flow continues."""

    seconds: float


@dataclass(frozen=True)
class Join:
    """A flow step: wait until ``future`` is done (at most ``timeout`` seconds)."""

    future: concurrent.futures.Future[Any]
    timeout: float


@dataclass(frozen=True)
class Limit:
    """What one answer may cost a driver: at most ``max_bytes`` of body, whole within
    ``seconds`` of the request being sent. The body is asked for and read unencoded (a
    compressed answer could hold a thousand times its size), and the time is checked after
    each read, so a stalled read still ends at the client's own read timeout."""

    max_bytes: int
    seconds: float


class OverLimit(httpx.TransportError):
    """An answer larger, slower or otherwise encoded than the driver's ``Limit`` allows; its
    message completes "<url> …" (``answered more than 524288 bytes``)."""


Step: TypeAlias = httpx.Request | Sleep | Join
Flow: TypeAlias = Generator[Step, httpx.Response | None, T]
Failure: TypeAlias = Callable[[httpx.Request, httpx.RequestError], Exception]
"""Makes the error thrown into a flow when its request got no answer."""

_sleep = time.sleep
_async_sleep = asyncio.sleep


def fetch(request: httpx.Request) -> Flow[httpx.Response]:
    """Sub-flow: send one request and return the response the driver sends back."""
    response = yield request
    if response is None:
        raise RuntimeError("a flow driver answered a request with no response")
    return response


def run_sync(flow: Flow[T], client: httpx.Client, failure: Failure,
             limit: Limit | None = None) -> T:
    """Drive ``flow`` with blocking I/O; the flow is closed however the run ends."""
    try:
        step = next(flow)
        while True:
            if isinstance(step, httpx.Request):
                try:
                    response = (client.send(step) if limit is None
                                else _send_sync(client, step, limit))
                except httpx.RequestError as exc:
                    step = flow.throw(failure(step, exc))
                    continue
                step = flow.send(response)
            elif isinstance(step, Sleep):
                _sleep(step.seconds)
                step = flow.send(None)
            else:
                concurrent.futures.wait([step.future], timeout=step.timeout)
                step = flow.send(None)
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        flow.close()


async def run_async(flow: Flow[T], client: httpx.AsyncClient, failure: Failure,
                    limit: Limit | None = None) -> T:
    """Drive ``flow`` with asyncio; the flow is closed however the run ends (cancellation
    included: a ``Join`` never cancels the future it waits for)."""
    try:
        step = next(flow)
        while True:
            if isinstance(step, httpx.Request):
                try:
                    response = (await client.send(step) if limit is None
                                else await _send_async(client, step, limit))
                except httpx.RequestError as exc:
                    step = flow.throw(failure(step, exc))
                    continue
                step = flow.send(response)
            elif isinstance(step, Sleep):
                await _async_sleep(step.seconds)
                step = flow.send(None)
            else:
                await asyncio.wait([asyncio.wrap_future(step.future)], timeout=step.timeout)
                step = flow.send(None)
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        flow.close()


def _send_sync(client: httpx.Client, request: httpx.Request, limit: Limit) -> httpx.Response:
    request.headers["Accept-Encoding"] = "identity"
    started = time.monotonic()
    response = client.send(request, stream=True)
    try:
        _check_encoding(request, response, limit)
        body = _already_read(response)
        if body is None:
            body = b""
            for chunk in response.iter_raw():
                body += chunk
                _check_size_and_time(request, limit, len(body), started)
        return _whole(request, response, body, limit)
    finally:
        response.close()


async def _send_async(client: httpx.AsyncClient, request: httpx.Request, limit: Limit
                      ) -> httpx.Response:
    request.headers["Accept-Encoding"] = "identity"
    started = time.monotonic()
    try:
        async with asyncio.timeout(limit.seconds):
            response = await client.send(request, stream=True)
            try:
                _check_encoding(request, response, limit)
                body = _already_read(response)
                if body is None:
                    body = b""
                    async for chunk in response.aiter_raw():
                        body += chunk
                        _check_size_and_time(request, limit, len(body), started)
                return _whole(request, response, body, limit)
            finally:
                await response.aclose()
    except TimeoutError:
        raise OverLimit(f"did not answer whole within {limit.seconds:g} s",
                        request=request) from None


def _already_read(response: httpx.Response) -> bytes | None:
    """The body of an answer a transport has already read whole (``httpx.MockTransport``'s,
    which cannot be streamed again), or ``None`` for one still to be read."""
    try:
        return response.content
    except httpx.ResponseNotRead:
        return None


def _check_encoding(request: httpx.Request, response: httpx.Response, limit: Limit) -> None:
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        raise OverLimit("answered an encoded body to a request for an unencoded one",
                        request=request)
    size = response.headers.get("content-length", "")
    if size.isdigit() and int(size) > limit.max_bytes:
        raise OverLimit(f"answered more than {limit.max_bytes} bytes", request=request)


def _check_size_and_time(request: httpx.Request, limit: Limit, size: int,
                         started: float) -> None:
    if size > limit.max_bytes:
        raise OverLimit(f"answered more than {limit.max_bytes} bytes", request=request)
    if time.monotonic() - started > limit.seconds:
        raise OverLimit(f"did not answer whole within {limit.seconds:g} s", request=request)


def _whole(request: httpx.Request, response: httpx.Response, body: bytes,
           limit: Limit) -> httpx.Response:
    """The answer with its body read, within the limit (the stream is closed after this)."""
    if len(body) > limit.max_bytes:
        raise OverLimit(f"answered more than {limit.max_bytes} bytes", request=request)
    return httpx.Response(response.status_code, headers=response.headers, content=body,
                          request=request)


def require_https(url: str, *, allow_insecure_http: bool, what: str,
                  allow_query: bool = False) -> httpx.URL:
    """Refuse anything but an absolute ``https://`` URL with a host (``http`` if allowed);
    a query (unless ``allow_query``) or a fragment is refused too."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError(f"{what} {url!r} is not a URL") from exc
    schemes = ("https", "http") if allow_insecure_http else ("https",)
    if parsed.scheme not in schemes or not parsed.host:
        raise ValueError(f"{what} must be an https URL with a host name, got {url!r}"
                         + ("" if allow_insecure_http else
                            " (allow_insecure_http=True permits http for tests)"))
    if (parsed.query and not allow_query) or parsed.fragment:
        raise ValueError(f"{what} {url!r} must not carry a query or a fragment")
    return parsed


def ssl_context(verify: ssl.SSLContext | str | bool) -> ssl.SSLContext | bool:
    """``verify`` for httpx: a CA bundle path becomes an ``SSLContext`` (httpx ≥ 0.28)."""
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return verify


# -- TLS trust failures -------------------------------------------------------------------

UNKNOWN_ISSUER = frozenset({2, 18, 19, 20, 21})
"""OpenSSL verify codes meaning "no trusted CA vouches for this chain" (``X509_V_ERR_…``
UNABLE_TO_GET_ISSUER_CERT, DEPTH_ZERO_SELF_SIGNED_CERT, SELF_SIGNED_CERT_IN_CHAIN,
UNABLE_TO_GET_ISSUER_CERT_LOCALLY, UNABLE_TO_VERIFY_LEAF_SIGNATURE)."""

TRUST_FIX = ("If it is a Credo server, trust Credo's CA, the file tls/ca.pem in its data dir "
             "(~/.credo by default): verify=\"<data dir>/tls/ca.pem\" in Python, --ca "
             "<data dir>/tls/ca.pem on the credo CLI, or REQUESTS_CA_BUNDLE / SSL_CERT_FILE "
             "set to that file for other tools.")


def certificate_failure(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error behind a failed request, if that is what it was."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def tls_trust_error(request: httpx.Request, exc: BaseException) -> TlsTrustError | None:
    """A ``TlsTrustError`` naming the certificate problem and its fix, when ``exc`` is one."""
    failure = certificate_failure(exc)
    if failure is None:
        return None
    problem = (failure.verify_message or failure.reason or str(failure)).rstrip(".")
    where = f"{request.url.host}:{request.url.port or 443}"
    if failure.verify_code in UNKNOWN_ISSUER:
        description = f"The TLS certificate of {where} is not trusted ({problem}). {TRUST_FIX}"
    else:
        description = (f"The TLS certificate of {where} was refused ({problem}). Connect to a "
                       "host name the certificate names, within its validity dates; for "
                       "Credo, the address its data dir was initialised with.")
    error = TlsTrustError(description, detail=f"{type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error
