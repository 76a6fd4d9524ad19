"""Seeing what a real client put on the wire, without changing how it talks to the server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import requests

from .harness import jws_parts


class RecordingSession(requests.Session):
    """A ``requests.Session`` (MSAL's ``http_client``) that keeps every POSTed form.

    It is still a plain session: TLS trust comes from ``REQUESTS_CA_BUNDLE`` exactly as
    with MSAL's own session.
    """

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[dict[str, Any]] = []
        self.exchanges: list[tuple[dict[str, str], requests.Response]] = []

    def post(self, url: str | bytes, data: Any = None, json: Any = None,
             **kwargs: Any) -> requests.Response:
        self.posts.append({"url": url, **dict(data or {})})
        response = super().post(url, data=data, json=json, **kwargs)
        self.exchanges.append((dict(kwargs.get("headers") or {}), response))
        return response

    def assertion(self, index: int = -1) -> tuple[dict[str, Any], dict[str, Any]]:
        """Header and claims of the client assertion of POST number ``index``."""
        return jws_parts(self.posts[index]["client_assertion"])


def form(body: str | bytes | Mapping[str, Any] | None) -> dict[str, str]:
    """A form-urlencoded request body as a dict (azure-core keeps it as one until sent);
    a repeated field fails the test."""
    if isinstance(body, Mapping):
        return {str(k): v.decode() if isinstance(v, bytes) else str(v)
                for k, v in body.items()}
    text = body.decode() if isinstance(body, bytes) else (body or "")
    pairs = parse_qsl(text, keep_blank_values=True)
    fields = dict(pairs)
    assert len(fields) == len(pairs), f"repeated fields in {pairs}"
    return fields
