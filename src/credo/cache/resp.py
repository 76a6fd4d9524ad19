"""A pipelined Redis connection for the token path's commands (RESP2, ``redis://`` URLs).

The strict profile writes one replay record per token (``SET key 1 NX EXAT t``). redis-py's
asyncio client takes a pooled connection, locks it, writes, reads and returns it for every
command: about a third of a strict token's CPU (bench/README.md). Here every command of a
worker shares one connection: commands issued during one turn of the event loop leave in
one write, replies come back in order and settle the callers' futures in order (Redis
answers a connection's commands in the order it received them). Any failure — refused,
reset, a reply not read within the timeout, a protocol error — closes the connection, fails
every command waiting on it and raises; the next command connects again.

The timeout is the connection's, not each command's: one timer watches the oldest command
waiting and is moved on only when it fires (at most once per timeout). A timer and a
``gather`` per command cost a strict token about 15 µs of CPU, half of what the command
costs its worker (bench/README.md).

Replies are what the callers need: ``+simple`` and ``$bulk`` as bytes, ``$-1`` as ``None``,
``:integer`` as bytes, ``-error`` raised as ``RespError``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import cast
from urllib.parse import unquote, urlsplit

Reply = bytes | None


class RespError(Exception):
    """An error reply (``-ERR …``) or a reply this client cannot read."""


def encode(*args: bytes) -> bytes:
    """A RESP array of bulk strings (the form every Redis command takes)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


def supported(url: str) -> bool:
    """Plain TCP ``redis://`` URLs; TLS (``rediss://``) and sockets stay with redis-py."""
    return urlsplit(url).scheme == "redis"


class _Connection(asyncio.Protocol):
    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self._loop = loop
        self._timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.waiting: deque[asyncio.Future[Reply | RespError]] = deque()
        self._deadlines: deque[float] = deque()  # one per waiting command, in the same order
        self._watch: asyncio.TimerHandle | None = None
        self.lost: BaseException | None = None
        self._buffer = bytearray()
        self._out: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass of it

    def send(self, command: bytes) -> asyncio.Future[Reply | RespError]:
        future: asyncio.Future[Reply | RespError] = self._loop.create_future()
        if self.lost is not None:
            future.set_exception(self._failure())
            return future
        self.waiting.append(future)
        self._deadlines.append(self._loop.time() + self._timeout)
        if self._watch is None:
            self._watch = self._loop.call_at(self._deadlines[0], self._check)
        if not self._out:
            self._loop.call_soon(self._flush)
        self._out.append(command)
        return future

    def _flush(self) -> None:
        if self._out and self.transport is not None and self.lost is None:
            self.transport.write(b"".join(self._out))
        self._out.clear()

    def _check(self) -> None:
        """The watchdog: the oldest command past its deadline fails the connection."""
        self._watch = None
        if not self.waiting:
            return
        if self._deadlines[0] <= self._loop.time():
            self.abort(TimeoutError(f"no reply within {self._timeout} s"))
        else:
            self._watch = self._loop.call_at(self._deadlines[0], self._check)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._buffer:
            end = self._buffer.find(b"\r\n")
            if end < 0:
                return
            kind, head = bytes(self._buffer[:1]), bytes(self._buffer[1:end])
            value: Reply | RespError
            if kind in (b"+", b":"):
                value, used = head, end + 2
            elif kind == b"-":
                value, used = RespError(head.decode("utf-8", "replace")), end + 2
            elif kind == b"$" and head.lstrip(b"-").isdigit():
                size = int(head)
                if size < 0:
                    value, used = None, end + 2
                elif len(self._buffer) < end + 4 + size:
                    return
                else:
                    value, used = bytes(self._buffer[end + 2:end + 2 + size]), end + 4 + size
            else:
                self.abort(RespError(f"unreadable reply {bytes(self._buffer[:40])!r}"))
                return
            del self._buffer[:used]
            if not self.waiting:
                self.abort(RespError("a reply nobody asked for"))
                return
            future = self.waiting.popleft()
            self._deadlines.popleft()
            if not future.done():
                future.set_result(value)

    def abort(self, why: BaseException) -> None:
        if self.transport is not None:
            self.transport.abort()
        self.connection_lost(why)

    def connection_lost(self, exc: Exception | BaseException | None) -> None:
        self.lost = self.lost or exc or ConnectionError("the connection was closed")
        self._out.clear()
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        self._deadlines.clear()
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(self._failure())

    def _failure(self) -> Exception:
        """What a command on a lost connection raises: the timeout as itself, else
        ``ConnectionError`` naming the cause."""
        if isinstance(self.lost, TimeoutError):
            return TimeoutError(str(self.lost))
        return ConnectionError(f"lost: {self.lost}")


class Pipeline:
    """One shared connection to the Redis of a ``redis://[user:password@]host[:port][/db]``
    URL, opened on first use and again after any failure."""

    def __init__(self, url: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "localhost"
        self._port = parts.port or 6379
        self._db = int(parts.path.strip("/") or 0)
        self._auth = [unquote(p).encode() for p in (parts.username, parts.password) if p]
        self._timeout = timeout
        self._connection: _Connection | None = None
        self._connecting = asyncio.Lock()

    async def call(self, *args: bytes) -> Reply:
        """Send one command, return its reply; ``RespError``, ``OSError`` or ``TimeoutError``
        when it fails (the connection is then closed, except after an error reply)."""
        connection = self._live() or await self._connect()
        return _reply(await connection.send(encode(*args)))

    async def call_many(self, *commands: Sequence[bytes]) -> list[Reply]:
        """Send several commands in one write, return their replies in order; the first
        error reply is raised once every reply is in."""
        connection = self._live() or await self._connect()
        return await _replies([connection.send(encode(*c)) for c in commands])

    def _live(self) -> _Connection | None:
        """The open connection, if there is one that has not failed."""
        connection = self._connection
        return connection if connection is not None and connection.lost is None else None

    async def _connect(self) -> _Connection:
        async with self._connecting:
            live = self._live()
            if live is not None:
                return live  # another caller connected meanwhile
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(self._timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop, self._timeout), self._host, self._port)
            try:
                setup = [(b"AUTH", *self._auth)] if self._auth else []
                if self._db:
                    setup.append((b"SELECT", str(self._db).encode()))
                await _replies([connection.send(encode(*c)) for c in setup])
            except RespError as exc:
                connection.abort(exc)
                raise
            self._connection = connection
            return connection

    def close(self) -> None:
        if self._connection is not None and self._connection.transport is not None:
            self._connection.transport.close()
        self._connection = None


def _reply(value: Reply | RespError) -> Reply:
    if isinstance(value, RespError):
        raise value
    return value


async def _replies(futures: list[asyncio.Future[Reply | RespError]]) -> list[Reply]:
    """Every reply, in order. Replies settle their futures in order and a failure settles
    every waiting one at once, so once the last is settled all are; each failure is
    retrieved, and the first raised."""
    if not futures:
        return []
    try:
        await asyncio.wait(futures[-1:])  # settled, raising nothing
    except asyncio.CancelledError:
        for future in futures:
            future.cancel()
        raise
    failures = [future.exception() for future in futures]
    for failure in failures:
        if failure is not None:
            raise failure
    return [_reply(future.result()) for future in futures]
