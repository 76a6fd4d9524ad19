"""Slow clients are cut off: a request head and body must arrive in bounded time, and a worker
holds a bounded number of connections (RFC 9110 §15.5.9 ``408 Request Timeout``).

uvicorn times out idle keep-alive connections but not a request that trickles in (a request
line at one byte every few seconds holds a connection, and its TLS session, for ever). This
protocol is uvicorn's httptools protocol with three limits, read from the settings by
``configure`` in every worker before it serves:

* ``header_timeout``: from the connection (or the first byte of a request on a kept-alive
  connection) to the end of the request head;
* ``body_timeout``: from the end of the head to the end of the body;
* ``max_connections``: connections past it are closed as soon as they are accepted.

A request that runs out of time gets ``408`` with ``Connection: close``. Time spent by the
application answering is not limited here. Each connection's transport is ``Corked``
(``web/corked_transport.py``): a response's head and body leave in one write.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from credo.web.corked_transport import Corked

_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\n"
                     b"content-length: 17\r\nconnection: close\r\n\r\nRequest Timeout.\n")


class LimitedHttpProtocol(HttpToolsProtocol):
    """``uvicorn --http credo.web.connection_limits:LimitedHttpProtocol``."""

    header_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 30.0
    max_connections: ClassVar[int] = 1000
    _reading: asyncio.TimerHandle | None = None

    @classmethod
    def configure(cls, *, header_timeout: float, body_timeout: float,
                  max_connections: int) -> None:
        cls.header_timeout = header_timeout
        cls.body_timeout = body_timeout
        cls.max_connections = max_connections

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.max_connections:
            transport.abort()  # over the cap: nothing is read, nothing is held
            return
        super().connection_made(Corked(transport, self.loop))  # type: ignore[arg-type]
        self._arm(self.header_timeout)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._reading is None:  # a new request on a kept-alive connection
            self._arm(self.header_timeout)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if _has_body(self.headers):
            self._arm(self.body_timeout)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self.transport is not None:
            super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._reading = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
            self._reading = None

    def _too_slow(self) -> None:
        self._reading = None
        if not self.transport.is_closing():
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    """RFC 9112 §6.3: a body follows when Content-Length > 0 or Transfer-Encoding is sent."""
    for name, value in headers:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip()
                                            not in (b"", b"0")):
            return True
    return False
