"""The I/O seam of the resource SDK: requests to the authority and what their failure means.

Validation is a flow (``credo.httpflow``): it yields the ``GET`` requests it needs and
``TokenValidator`` runs it with an ``httpx.AsyncClient`` or an ``httpx.Client``; a warm cache
yields nothing, so the hot path is one ``next()`` on a generator. A request that gets no
answer is thrown into the flow as ``MetadataUnavailable``, or as ``UntrustedAuthority`` when
the authority's TLS certificate is not trusted.
"""

from __future__ import annotations

import httpx

from credo.errors import CredoError, TlsTrustError
from credo.httpflow import OverLimit, tls_trust_error

_HEADERS = {"Accept": "application/json"}


class MetadataUnavailable(CredoError):
    """The discovery document or key set could not be fetched or is unusable.

    Not a token error: the API should answer 503 (the helpers in ``credo.resource.fastapi``
    and ``credo.resource.asgi`` do), never 401, since the caller's token may be fine.
    """


class UntrustedAuthority(MetadataUnavailable, TlsTrustError):
    """The authority's TLS certificate is not trusted: a setup problem whose description names
    the fix (``verify=``). Answered 503 like any ``MetadataUnavailable``."""


def get(url: str) -> httpx.Request:
    """The ``GET`` of a discovery document or key set."""
    return httpx.Request("GET", url, headers=_HEADERS)


def failure(request: httpx.Request, exc: httpx.RequestError) -> MetadataUnavailable:
    """The error thrown into a flow when ``request`` never got an answer."""
    untrusted = tls_trust_error(request, exc)
    error = (UntrustedAuthority(untrusted.description, detail=untrusted.detail)
             if untrusted is not None else
             MetadataUnavailable(f"{request.url} {exc}.") if isinstance(exc, OverLimit) else
             MetadataUnavailable(f"The authority metadata at {request.url} could not be "
                                 "fetched.", detail=f"{type(exc).__name__}: {exc}"))
    error.__cause__ = exc
    return error
