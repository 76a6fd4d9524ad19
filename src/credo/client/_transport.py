"""The client's HTTP exchanges: MSAL's headers, retries and error mapping, as flows.

The flows run on ``credo.httpflow``'s drivers (shared with ``credo.resource``); ``failure``
is what this package makes of a request that got no answer: ``TlsTrustError`` when the
server's certificate is not trusted (a setup problem, named with its fix), otherwise
``TemporarilyUnavailable`` naming the server's address and what went wrong (connection
refused, timed out …), with the httpx error as its cause.

Error mapping (RFC 6749 §5.2 bodies are parsed by ``OAuthError.from_response``):

* a JSON body with ``error`` → the typed ``OAuthError`` (AADSTS code, ``codes``,
  ``correlation_id``, ``trace_id``);
* 429 and 5xx → ``TemporarilyUnavailable`` carrying ``retry_after`` from ``Retry-After``
  (RFC 9110 §10.2.3, seconds or HTTP-date; 5 s when absent);
* any other answer that is not a JSON object → ``TemporarilyUnavailable`` with code 0 and
  ``http_status`` set to the status seen.
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import sys
import uuid
from collections.abc import Callable
from importlib import metadata
from typing import Any

import httpx

from credo.errors import OAuthError, TemporarilyUnavailable
from credo.httpflow import Flow, Sleep, fetch, tls_trust_error

MAX_RETRY_WAIT = 60.0
"""A ``Retry-After`` longer than this is never slept on: the error is raised instead."""

_DEFAULT_RETRY_AFTER = 5  # MSAL's default for confidential clients
_NETWORK_RETRY_AFTER = 1  # after a failed connection or a timeout

try:
    _VERSION = metadata.version("credo")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    _VERSION = "0.0.0"


def client_headers() -> dict[str, str]:
    """Headers MSAL sends on every request, with a fresh ``client-request-id``."""
    return {
        "Accept": "application/json",
        "client-request-id": str(uuid.uuid4()),
        "x-client-sku": "credo.python",
        "x-client-ver": _VERSION,
        "x-client-os": sys.platform,
        "x-ms-lib-capability": "retry-after, h429",
    }


def exchange(build: Callable[[], httpx.Request], *, max_retries: int,
             clock: Callable[[], float]) -> Flow[dict[str, Any]]:
    """Sub-flow: send, return the JSON object of a 2xx answer or raise the typed error.

    429, 5xx and network failures are retried ``max_retries`` times after ``Retry-After``
    seconds (a wait over ``MAX_RETRY_WAIT`` is raised, never slept on). ``build`` is
    called per attempt, so each attempt has its own ``client-request-id``.
    """
    attempt = 0
    while True:
        try:
            response = yield from fetch(build())
            return success_body(response, now=clock())
        except TemporarilyUnavailable as error:
            retryable = error.http_status == 429 or error.http_status >= 500
            if attempt >= max_retries or not retryable or error.retry_after > MAX_RETRY_WAIT:
                raise
            wait = float(error.retry_after)
        attempt += 1
        yield Sleep(wait)


def success_body(response: httpx.Response, *, now: float) -> dict[str, Any]:
    """The JSON object of a 2xx answer without ``error``; anything else raises."""
    body = _json(response)
    if response.is_success and isinstance(body, dict) and "error" not in body:
        return body
    raise error_from_response(response.status_code, response.headers, body, now=now)


def error_from_response(status: int, headers: httpx.Headers, body: Any, *,
                        now: float) -> OAuthError:
    """The typed error for a failed answer; 429/5xx always become ``TemporarilyUnavailable``."""
    if 200 <= status < 300 and isinstance(body, dict) and "error" not in body:
        body = None  # a 2xx object that lacks what the caller needs: not an OAuth error
    error = OAuthError.from_response(status, body)
    wait = retry_after(headers.get("Retry-After"), now=now)
    if (status == 429 or status >= 500) and not isinstance(error, TemporarilyUnavailable):
        busy = TemporarilyUnavailable(error.code, error.description, status=status,
                                      detail=f"server answered {error.error}")
        busy.codes, busy.trace_id = error.codes, error.trace_id
        busy.correlation_id = error.correlation_id
        error = busy
    if isinstance(error, TemporarilyUnavailable):
        seconds = _DEFAULT_RETRY_AFTER if wait is None else wait
        error.retry_after = seconds
        error.headers["Retry-After"] = str(seconds)
    return error


def origin(url: httpx.URL) -> str:
    """``scheme://host:port`` of ``url``, the port always shown (a wrong one is a usual cause)."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    return f"{url.scheme}://{host}:{port}"


def _reason(exc: httpx.RequestError) -> str:
    """The transport's own words (``[Errno 111] Connection refused``), else the error's type."""
    lines = str(exc).strip().splitlines()
    return lines[-1][:160] if lines else type(exc).__name__


def failure(request: httpx.Request, exc: httpx.RequestError) -> Exception:
    """The error thrown into a flow when ``request`` never got an answer."""
    untrusted = tls_trust_error(request, exc)
    if untrusted is not None:
        return untrusted
    error = TemporarilyUnavailable(
        0, f"cannot reach Credo at {origin(request.url)} ({_reason(exc)}) - is credo serve "
        "running, and on that port?", detail=f"{type(exc).__name__}: {exc}",
        retry_after=_NETWORK_RETRY_AFTER)
    error.__cause__ = exc
    return error


def retry_after(value: str | None, *, now: float) -> int | None:
    """Parse ``Retry-After`` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0, math.ceil(when.timestamp() - now))
    return None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return None
