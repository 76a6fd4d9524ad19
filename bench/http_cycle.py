#!/usr/bin/env python3
"""CPU per request of the HTTP layer alone, in-process: what a leaner HTTP path could save.

  .venv/bin/python bench/http_cycle.py [-n 30000]

A token request's bytes (head and a 900-byte form) are fed to a protocol instance on a
transport that only counts writes, one request at a time on uvloop, and the app answers
with a token response's headers and a 1.3 KB body at once. No TLS, no socket, no Credo
service: only the HTTP layer's own Python. Three protocols:

* ``uvicorn``: uvicorn's ``HttpToolsProtocol`` with an ASGI app (the request cycle, the
  scope, the task, ``receive`` and ``send``);
* ``credo``: Credo's ``LimitedHttpProtocol`` (the same, plus the header and body
  deadlines and the one-write transport, ``web/connection_limits.py``);
* ``direct``: a prototype that answers a POST straight from the protocol (the body
  gathered by the parser's callbacks, the response written as one prebuilt buffer, no
  ASGI cycle). It is not a server: no pipelining, ``Expect``, limits or errors. It bounds
  what a token route outside ASGI could save, and is not used by Credo.

Each figure is process CPU per request, less the same number of idle loop turns.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import uvloop
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from credo.web.connection_limits import LimitedHttpProtocol

REQUEST = (b"POST /8b943ed7-194e-4ab0-a433-ba86479bd60e/oauth2/v2.0/token HTTP/1.1\r\n"
           b"Host: 127.0.0.1:8471\r\nContent-Type: application/x-www-form-urlencoded\r\n"
           b"Content-Length: 900\r\n\r\n" + b"a" * 900)
PAYLOAD = (b'{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"'
           + b"x" * 1200 + b'"}')
HEADERS = [(b"content-type", b"application/json; charset=utf-8"),
           (b"cache-control", b"no-store, no-cache"), (b"pragma", b"no-cache"),
           (b"expires", b"-1"), (b"content-length", str(len(PAYLOAD)).encode()),
           (b"client-request-id", b"0b0e2c6c-1c37-4c1f-9f1c-2a1d5d0f9e11")]
TURNS = 4  # loop turns given to each request: enough for the task to run and write


async def app(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": PAYLOAD})


class CountingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.closing = False

    def write(self, data: Any) -> None:
        self.writes += 1

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8471), "peername": ("127.0.0.1", 50000)}.get(
            name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class Direct(LimitedHttpProtocol):
    """The prototype: a POST answered from the protocol, outside ASGI (see the docstring)."""

    _direct = False
    _body = b""

    def on_headers_complete(self) -> None:
        if self.parser.get_method() != b"POST":
            super().on_headers_complete()
            return
        self._disarm()
        self._direct, self._body = True, b""
        self._arm(self.body_timeout)

    def on_body(self, body: bytes) -> None:
        if self._direct:
            self._body += body
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._direct:
            super().on_message_complete()
            return
        self._disarm()
        self._direct = False
        self.loop.create_task(self._answer(self._body))

    async def _answer(self, body: bytes) -> None:
        head = [b"HTTP/1.1 200 OK\r\n"]
        for name, value in [*self.server_state.default_headers, *HEADERS]:
            head += [name, b": ", value, b"\r\n"]
        head += [b"\r\n", PAYLOAD]
        self.transport.write(b"".join(head))
        self.server_state.total_requests += 1


async def per_request(protocol: type[HttpToolsProtocol], n: int) -> tuple[float, int]:
    config = Config(app=app, http=protocol, loop="none", access_log=False,
                    log_level="warning", lifespan="off")
    config.load()
    handler = protocol(config=config, server_state=ServerState(), app_state={})
    transport = CountingTransport()
    handler.connection_made(transport)

    async def requests(count: int, feed: bool) -> float:
        started = time.process_time()
        for _ in range(count):
            if feed:
                handler.data_received(REQUEST)
            for _ in range(TURNS):
                await asyncio.sleep(0)
        return time.process_time() - started

    await requests(n // 10, feed=True)  # warm up
    busy = await requests(n, feed=True)
    idle = await requests(n, feed=False)
    return (busy - idle) / n * 1e6, transport.writes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=30_000)
    n = ap.parse_args().n
    for name, protocol in (("uvicorn", HttpToolsProtocol), ("credo", LimitedHttpProtocol),
                           ("direct", Direct)):
        micros, writes = uvloop.run(per_request(protocol, n))
        print(f"{name:8} {micros:5.1f} µs CPU per request ({writes} writes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
