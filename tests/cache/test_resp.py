"""The pipelined RESP connection against a scripted server on loopback: replies in order
whatever the packet boundaries, errors raised, any failure closes the connection and fails
every waiting command, the next command connects again (with AUTH and SELECT)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from credo.cache.resp import Pipeline, RespError, encode, supported


class Scripted:
    """A server that records what it reads and answers with ``answer(received) -> bytes``."""

    def __init__(self, answer: Callable[[bytes], bytes]) -> None:
        self.answer = answer
        self.received: list[bytes] = []
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        while data := await reader.read(65536):
            self.received.append(data)
            reply = self.answer(data)
            for i in range(0, len(reply), 3):  # three bytes at a time: replies split anywhere
                writer.write(reply[i:i + 3])
                await writer.drain()
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[tuple[Scripted, int]]:
    scripted = Scripted(lambda data: b"")
    listening = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield scripted, port
    finally:
        for writer in scripted.writers:
            writer.close()
        listening.close()


def test_encoding_and_supported_urls() -> None:
    assert encode(b"SET", b"k", b"1") == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n"
    assert supported("redis://127.0.0.1:6379/9")
    assert not supported("rediss://127.0.0.1:6379/9") and not supported("unix:///tmp/r.sock")


async def test_a_turn_of_commands_is_one_write_and_replies_come_back_in_order(
        server: tuple[Scripted, int]) -> None:
    scripted, port = server
    scripted.answer = lambda data: b"".join(
        {b"a": b"+OK\r\n", b"b": b"$-1\r\n", b"c": b"$5\r\nhello\r\n", b"d": b":7\r\n"}[
            line[-1:]] for line in data.split(b"\r\n") if line[:1] not in (b"*", b"$", b""))
    pipe = Pipeline(f"redis://127.0.0.1:{port}", timeout=2)
    try:
        assert await pipe.call(b"GETa") == b"OK"  # connected
        scripted.received.clear()
        replies = await asyncio.gather(*(pipe.call(b"GET" + n) for n in (b"a", b"b", b"c", b"d")))
    finally:
        pipe.close()
    assert replies == [b"OK", None, b"hello", b"7"]
    assert scripted.received == [b"".join(encode(b"GET" + n) for n in (b"a", b"b", b"c", b"d"))]


async def test_auth_and_select_come_first(server: tuple[Scripted, int]) -> None:
    scripted, port = server
    scripted.answer = lambda data: b"+OK\r\n" * data.count(b"*")
    pipe = Pipeline(f"redis://user:p%40ss@127.0.0.1:{port}/9", timeout=2)
    try:
        assert await pipe.call(b"PING") == b"OK"
    finally:
        pipe.close()
    assert b"".join(scripted.received) == (encode(b"AUTH", b"user", b"p@ss")
                                           + encode(b"SELECT", b"9") + encode(b"PING"))


async def test_an_error_reply_is_raised_and_the_connection_kept(
        server: tuple[Scripted, int]) -> None:
    scripted, port = server
    scripted.answer = lambda data: b"-READONLY You can't write against a read only replica.\r\n"
    pipe = Pipeline(f"redis://127.0.0.1:{port}", timeout=2)
    try:
        with pytest.raises(RespError, match="READONLY"):
            await pipe.call(b"SET", b"k", b"1")
        scripted.answer = lambda data: b"+OK\r\n"
        assert await pipe.call(b"SET", b"k", b"1") == b"OK"
    finally:
        pipe.close()
    assert scripted.connections == 1


async def test_an_unreadable_reply_fails_every_waiting_command_then_it_reconnects(
        server: tuple[Scripted, int]) -> None:
    scripted, port = server
    scripted.answer = lambda data: b"?garbage\r\n"
    pipe = Pipeline(f"redis://127.0.0.1:{port}", timeout=2)
    try:
        results = await asyncio.gather(pipe.call(b"A"), pipe.call(b"B"), return_exceptions=True)
        assert [type(r) for r in results] == [ConnectionError, ConnectionError], results
        assert "unreadable reply b'?garbage" in str(results[0])
        scripted.answer = lambda data: b"+OK\r\n"
        assert await pipe.call(b"C") == b"OK"
    finally:
        pipe.close()
    assert scripted.connections == 2


async def test_no_reply_in_time_closes_the_connection(server: tuple[Scripted, int]) -> None:
    scripted, port = server
    pipe = Pipeline(f"redis://127.0.0.1:{port}", timeout=0.2)
    try:
        with pytest.raises(TimeoutError, match=r"no reply within 0\.2 s"):
            await pipe.call(b"SET", b"k", b"1")
        scripted.answer = lambda data: b"+OK\r\n"
        assert await pipe.call(b"SET", b"k", b"1") == b"OK"
    finally:
        pipe.close()
    assert scripted.connections == 2


@pytest.fixture
async def slow() -> AsyncIterator[int]:
    """A server answering ``+<name>`` to each command, 0.45 s late for one named SLOW…,
    never for one named MUTE…."""
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            lines = data.split(b"\r\n")  # one-word commands: each name follows its $n
            names = [lines[i + 1] for i, line in enumerate(lines) if line[:1] == b"$"]
            if any(n.startswith(b"SLOW") for n in names):
                await asyncio.sleep(0.45)
            writer.write(b"".join(b"+%s\r\n" % n for n in names if not n.startswith(b"MUTE")))
        writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield listening.sockets[0].getsockname()[1]
    finally:
        listening.close()


async def test_each_command_has_the_whole_timeout_from_its_own_send(slow: int) -> None:
    """One watchdog per connection, set for the oldest command: when it fires for an
    answered command it moves on to the next one's deadline, never failing it early."""
    pipe = Pipeline(f"redis://127.0.0.1:{slow}", timeout=0.6)
    try:
        assert await pipe.call(b"FAST") == b"FAST"  # its deadline (0.6 s): the watchdog's first
        await asyncio.sleep(0.3)
        assert await pipe.call(b"SLOW") == b"SLOW"  # answered 0.75 s after the first send
        with pytest.raises(TimeoutError, match=r"no reply within 0\.6 s"):
            await pipe.call_many((b"FAST2",), (b"MUTE",))  # still enforced
        assert await pipe.call(b"AGAIN") == b"AGAIN"  # on a new connection
    finally:
        pipe.close()


async def test_a_cancelled_caller_leaves_the_replies_in_order(slow: int) -> None:
    pipe = Pipeline(f"redis://127.0.0.1:{slow}", timeout=2)
    try:
        assert await pipe.call(b"CONNECT") == b"CONNECT"
        cancelled = asyncio.ensure_future(pipe.call_many((b"SLOW1",), (b"SLOW2",)))
        await asyncio.sleep(0.05)  # sent, not answered
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        assert await pipe.call(b"NEXT") == b"NEXT"  # not SLOW1's or SLOW2's reply
    finally:
        pipe.close()


async def test_a_closed_server_fails_waiting_commands(server: tuple[Scripted, int]) -> None:
    scripted, port = server
    pipe = Pipeline(f"redis://127.0.0.1:{port}", timeout=2)
    try:
        waiting = asyncio.ensure_future(pipe.call(b"SET", b"k", b"1"))
        while not scripted.writers:
            await asyncio.sleep(0.01)
        scripted.writers[0].close()
        with pytest.raises(ConnectionError):
            await waiting
    finally:
        pipe.close()


async def test_nothing_listening_is_an_os_error() -> None:
    pipe = Pipeline("redis://127.0.0.1:1", timeout=1)
    with pytest.raises(OSError):
        await pipe.call(b"PING")


def test_under_uvloop_as_credo_serve_runs_it() -> None:
    """uvicorn runs the workers on uvloop, whose transports are no ``asyncio.Transport``."""
    uvloop = pytest.importorskip("uvloop")

    async def story() -> list[bytes | None]:
        scripted = Scripted(lambda data: b"+OK\r\n$-1\r\n"[:5 * data.count(b"*")])
        listening = await asyncio.start_server(scripted.handle, "127.0.0.1", 0)
        pipe = Pipeline(f"redis://127.0.0.1:{listening.sockets[0].getsockname()[1]}", timeout=2)
        try:
            return [await pipe.call(b"SET", b"k", b"1")]
        finally:
            pipe.close()
            for writer in scripted.writers:
                writer.close()
            listening.close()

    assert uvloop.run(story()) == [b"OK"]
