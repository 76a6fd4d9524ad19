"""Building redirect URLs: keep the registered query, append ours (RFC 6749 §3.1.2)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit


def with_query(uri: str, params: Sequence[tuple[str, str]]) -> str:
    """``uri`` with ``params`` appended to its query (RFC 6749 §3.1.2: "MAY include an
    application/x-www-form-urlencoded formatted query component ... which MUST be retained
    when adding additional query parameters")."""
    parts = urlsplit(uri)
    extra = urlencode(list(params))
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
