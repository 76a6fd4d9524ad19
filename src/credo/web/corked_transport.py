"""One write per response: the head and the body of a response leave in one ``send``.

uvicorn writes a response's head and body with two ``transport.write`` calls; over TLS each
becomes its own TLS record and ``send(2)``. ``Corked`` wraps the connection's transport and
gathers every write made during one turn of the event loop, then hands them on as one
write at the end of that turn (``loop.call_soon``). Nothing waits longer than the turn that
wrote it; ``close`` and ``abort`` flush or drop what is gathered first, in order.
"""

from __future__ import annotations

import asyncio
from typing import Any


class Corked:
    """A transport proxy: ``write`` is gathered per loop turn; everything else passes through."""

    __slots__ = ("_loop", "_pending", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush(self) -> None:
        if self._pending and not self._transport.is_closing():
            data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
            self._transport.write(data)
        self._pending.clear()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
