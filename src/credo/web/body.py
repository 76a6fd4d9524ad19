"""Reading a request body with a size cap, before and while it arrives (RFC 9110 §15.5.14)."""

from __future__ import annotations

from starlette.types import Receive, Scope


class BodyTooLarge(Exception):
    """The body is, or says it is, larger than the endpoint accepts (answer 413)."""


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (``name`` lower-case)."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body; ``BodyTooLarge`` when ``Content-Length`` or the bytes received pass
    ``limit``, so an oversized body is never held in memory."""
    declared = header(scope, b"content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
