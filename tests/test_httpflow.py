"""``credo.httpflow``: its import boundary, the drivers' steps, and the URL rule."""

from __future__ import annotations

import ast
import re
import sys
import threading
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
