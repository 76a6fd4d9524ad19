"""HTTP details in one place: JSON bodies, protocol headers, Entra-shaped error bodies."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from credo import ijson
from credo.errors import GraphError, OAuthError
from credo.service.sources import new_guid

Headers = list[tuple[bytes, bytes]]

JSON_TYPE = (b"content-type", b"application/json; charset=utf-8")
# RFC 6749 §5.1: "The authorization server MUST include the HTTP "Cache-Control" response
# header field with a value of "no-store"" (plus what Entra sends beside it).
NO_STORE: Headers = [JSON_TYPE, (b"cache-control", b"no-store, no-cache"),
                     (b"pragma", b"no-cache"), (b"expires", b"-1")]
DISCOVERY: Headers = [JSON_TYPE, (b"cache-control", b"max-age=86400, private"),
                      (b"access-control-allow-origin", b"*")]
_CORRELATION = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def json_bytes(value: Any) -> bytes:
    return ijson.dumps(value)


def timestamp(now: datetime | None = None) -> str:
    """Entra's error timestamp format: ``2026-11-26 10:00:00Z``."""
    return (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%SZ")


def correlation_id(header_value: str | None) -> str:
    """Echo the client's ``client-request-id`` when it is a sane token, else a new UUID."""
    if header_value and _CORRELATION.match(header_value):
        return header_value
    return new_guid()


def oauth_error(err: OAuthError, correlation: str) -> tuple[int, Headers, bytes]:
    """RFC 6749 §5.2 error response, Entra-shaped (docs/protocol.md)."""
    trace = new_guid()
    body = err.body(timestamp=timestamp(), trace_id=trace, correlation_id=correlation)
    headers = [*NO_STORE, (b"x-ms-request-id", trace.encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in err.headers.items()]
    if err.http_status == 401:
        # RFC 6749 §5.2: 401 for invalid_client "MUST include the WWW-Authenticate header".
        headers.append((b"www-authenticate", b'Basic realm="credo"'))
    return err.http_status, headers, json_bytes(body)


def oauth_error_response(err: OAuthError, correlation: str) -> Response:
    status, headers, body = oauth_error(err, correlation)
    return raw_response(status, headers, body)


def graph_error_response(err: GraphError, request_id: str) -> Response:
    body = err.body(request_id=request_id, date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
    return Response(json_bytes(body), status_code=err.status,
                    media_type="application/json", headers={"request-id": request_id})


def raw_response(status: int, headers: Headers, body: bytes) -> Response:
    response = Response(body, status_code=status)
    response.raw_headers = [*headers, (b"content-length", str(len(body)).encode())]
    return response
