"""RFC 6750 §3 answers to a refused request: status, ``WWW-Authenticate`` and a JSON body.

* no bearer token: 401 with ``Bearer realm="…"`` and no error code (RFC 6750 §3.1: "If the
  request lacks any authentication information … the resource server SHOULD NOT include an
  error code or other error information");
* ``TokenValidationError``: 401 ``error="invalid_token"`` with ``error_description``;
* ``InsufficientScope``: 403 ``error="insufficient_scope"``;
* ``MetadataUnavailable``: 503 ``temporarily_unavailable`` with ``Retry-After`` (the token
  may be fine; the authority's keys could not be read).

The JSON body is ``{"error": …, "error_description": …}`` with the same description as the
header, limited to the RFC 6749 §5.2 character set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from starlette.responses import JSONResponse

from credo.errors import TokenValidationError, safe_description
from credo.resource.transport import MetadataUnavailable

log = logging.getLogger("credo.resource")

RETRY_AFTER = 5
"""Seconds a client should wait when the authority's metadata could not be read."""
NO_TOKEN = "The request carries no bearer token."
UNAVAILABLE = "The API cannot validate tokens right now; try again later."


@dataclass(frozen=True)
class Refusal:
    """What to answer: ``status``, ``headers`` (``WWW-Authenticate``), JSON ``body``."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)

    def response(self) -> JSONResponse:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


def challenge(realm: str) -> str:
    """``Bearer realm="…"`` (RFC 6750 §3), or bare ``Bearer`` for an empty realm.

    Quotes and backslashes in ``realm`` are replaced, so it cannot break out of the string.
    """
    return f'Bearer realm="{safe_description(realm)}"' if realm else "Bearer"


def missing_token(realm: str) -> Refusal:
    """401 with a bare challenge: the request presented no bearer token (RFC 6750 §3.1)."""
    return Refusal(401, {"WWW-Authenticate": challenge(realm)},
                   {"error_description": NO_TOKEN})


def refusal(error: TokenValidationError | MetadataUnavailable, realm: str) -> Refusal:
    """The answer to a token that failed validation, or to an authority we cannot read."""
    if isinstance(error, MetadataUnavailable):
        log.warning("cannot validate tokens: %s (%s)", error.description, error.detail)
        return Refusal(503, {"Retry-After": str(RETRY_AFTER)},
                       {"error": "temporarily_unavailable", "error_description": UNAVAILABLE})
    log.debug("refused token: %s %s (%s)", error.error, error.description, error.detail)
    header = error.www_authenticate(safe_description(realm))
    return Refusal(error.status, {"WWW-Authenticate": header},
                   {"error": error.error,
                    "error_description": safe_description(error.description)})
