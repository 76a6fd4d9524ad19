"""``credo.httpflow``: its import boundary, the drivers' steps, and the URL rule."""

from __future__ import annotations

import ast
import gzip
import re
import socket
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import httpx
import pytest

import credo.httpflow
from credo.httpflow import Flow, Join, Sleep, fetch, require_https, run_async, run_sync

ALLOWED = {"httpx", "credo.errors", "__future__"}


def test_imports_only_httpx_the_standard_library_and_errors() -> None:
    tree = ast.parse(Path(credo.httpflow.__file__).read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module}
    assert {n for n in names if n.split(".")[0] not in sys.stdlib_module_names} <= ALLOWED


def flow(future: Future[str]) -> Flow[list[str]]:
    """GET, sleep, wait for ``future``; returns what it saw."""
    response = yield from fetch(httpx.Request("GET", "https://authority.test/doc"))
    yield Sleep(0)
    yield Join(future, timeout=5)
    return [response.text, future.result()]


def answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text=str(request.url))


def settle_later(future: Future[str]) -> None:
    future.set_running_or_notify_cancel()
    threading.Timer(0.05, future.set_result, ["settled"]).start()


def never(request: httpx.Request, exc: httpx.RequestError) -> Exception:
    raise AssertionError("no request failed")


def test_run_sync_sends_sleeps_and_joins() -> None:
    future: Future[str] = Future()
    settle_later(future)
    client = httpx.Client(transport=httpx.MockTransport(answer))
    assert run_sync(flow(future), client, never) == ["https://authority.test/doc", "settled"]


async def test_run_async_joins_a_future_settled_by_a_thread() -> None:
    future: Future[str] = Future()
    settle_later(future)
    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    assert await run_async(flow(future), client, never) == [
        "https://authority.test/doc", "settled"]


def waits(future: Future[str]) -> Flow[bool]:
    yield Join(future, timeout=0.01)
    return future.done()


async def test_a_join_times_out_without_cancelling_the_future() -> None:
    future: Future[str] = Future()
    future.set_running_or_notify_cancel()
    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    assert await run_async(waits(future), client, never) is False
    assert run_sync(waits(future), httpx.Client(transport=httpx.MockTransport(answer)),
                    never) is False
    assert not future.cancelled()


def test_a_failed_request_is_thrown_into_the_flow() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    def failure(request: httpx.Request, exc: httpx.RequestError) -> Exception:
        return LookupError(f"{request.url.host}: {type(exc).__name__}")

    with pytest.raises(LookupError, match=r"authority\.test: ReadTimeout"):
        run_sync(flow(Future()), httpx.Client(transport=httpx.MockTransport(refuse)), failure)


@pytest.mark.parametrize(("url", "options", "message"), [
    ("http://a.test/t", {}, "must be an https URL with a host name, got 'http://a.test/t' "
                            "(allow_insecure_http=True permits http for tests)"),
    ("https:///t", {}, "must be an https URL with a host name"),
    ("https://a.test/t?x=1", {}, "must not carry a query or a fragment"),
    ("https://a.test/t#f", {"allow_query": True}, "must not carry a query or a fragment"),
    ("https://[::1/", {}, "is not a URL"),
])
def test_require_https_refuses(url: str, options: dict[str, bool], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        require_https(url, allow_insecure_http=False, what="the URL", **options)


def test_require_https_accepts() -> None:
    assert require_https("https://a.test/keys?appid=x", allow_insecure_http=False,
                         what="jwks_uri", allow_query=True).host == "a.test"
    assert require_https("http://127.0.0.1:8080/t", allow_insecure_http=True,
                         what="the authority").port == 8080


# -- Limit: what one answer may cost, read from a real socket ---------------------------------

class Hostile:
    """A plain-HTTP server on 127.0.0.1 answering every request in one way: ``drip`` (the
    head, then a byte every 0.2 s), ``gzip`` (a small compressed body), ``big`` (chunked,
    1 MiB chunks, 64 MiB) or ``ok`` (a small JSON body). Counts the bytes it managed to send."""

    BODY = b'{"ok": true}'

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.sent = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}/doc"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                try:
                    if self.mode == "drip":
                        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n")
                        for _ in range(1000):
                            conn.sendall(b" ")
                            self.sent += 1
                            time.sleep(0.2)
                    elif self.mode == "gzip":
                        body = gzip.compress(self.BODY)
                        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\n"
                                     b"content-length: %d\r\n\r\n%s" % (len(body), body))
                    elif self.mode == "big":
                        conn.sendall(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                        chunk = b"%x\r\n%s\r\n" % (1 << 20, b"x" * (1 << 20))
                        for _ in range(64):
                            conn.sendall(chunk)
                            self.sent += 1 << 20
                        conn.sendall(b"0\r\n\r\n")
                    else:
                        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s"
                                     % (len(self.BODY), self.BODY))
                except OSError:
                    pass  # the client hung up: what a limit is for

    def close(self) -> None:
        self._server.close()


def one_get(url: str) -> Flow[bytes]:
    return (yield from fetch(httpx.Request("GET", url))).content


def failure_text(request: httpx.Request, exc: httpx.RequestError) -> Exception:
    return RuntimeError(f"{type(exc).__name__}: {exc}")


LIMIT = credo.httpflow.Limit(max_bytes=4096, seconds=1.0)
REFUSED = {"drip": "OverLimit: did not answer whole within 1 s",
           "gzip": "OverLimit: answered an encoded body to a request for an unencoded one",
           "big": "OverLimit: answered more than 4096 bytes"}


@pytest.mark.parametrize("mode", sorted(REFUSED))
async def test_an_answer_past_the_limit_is_refused_as_it_arrives(mode: str) -> None:
    """Found by an attacker's probe: the fetcher of a dripping key set waited for ever, and a
    200 MB (or 200 KB gzip) answer was read whole before its size was checked."""
    server = Hostile(mode)
    try:
        with httpx.Client() as client, pytest.raises(RuntimeError) as sync_error:
            run_sync(one_get(server.url), client, failure_text, LIMIT)
        async with httpx.AsyncClient() as aclient:
            with pytest.raises(RuntimeError) as async_error:
                await run_async(one_get(server.url), aclient, failure_text, LIMIT)
    finally:
        server.close()
    assert str(sync_error.value) == str(async_error.value) == REFUSED[mode]
    if mode == "big":
        assert server.sent < 64 << 20  # the client hung up long before the end
    if mode == "drip":
        assert server.sent < 1000


async def test_an_answer_within_the_limit_is_read_whole() -> None:
    server = Hostile("ok")
    try:
        with httpx.Client() as client:
            assert run_sync(one_get(server.url), client, failure_text, LIMIT) == Hostile.BODY
        async with httpx.AsyncClient() as aclient:
            assert await run_async(one_get(server.url), aclient, failure_text,
                                   LIMIT) == Hostile.BODY
    finally:
        server.close()


async def test_an_answer_a_transport_read_whole_is_held_to_the_limit_too() -> None:
    """``httpx.MockTransport`` reads its answers whole: an empty one passes, a large one is
    refused, in both drivers."""
    def answer_of(size: int) -> httpx.MockTransport:
        return httpx.MockTransport(lambda request: httpx.Response(404, content=b"x" * size))
    with httpx.Client(transport=answer_of(0)) as client:
        assert run_sync(one_get("https://a.test/doc"), client, failure_text, LIMIT) == b""
    async with httpx.AsyncClient(transport=answer_of(0)) as aclient:
        assert await run_async(one_get("https://a.test/doc"), aclient, failure_text,
                               LIMIT) == b""
    with httpx.Client(transport=answer_of(5000)) as client, \
            pytest.raises(RuntimeError, match=r"^OverLimit: answered more than 4096 bytes$"):
        run_sync(one_get("https://a.test/doc"), client, failure_text, LIMIT)
    async with httpx.AsyncClient(transport=answer_of(5000)) as aclient:
        with pytest.raises(RuntimeError, match=r"^OverLimit: answered more than 4096 bytes$"):
            await run_async(one_get("https://a.test/doc"), aclient, failure_text, LIMIT)
