"""The I/O seam of the resource SDK: validation is a flow, two small drivers run it.

A *flow* is a generator that yields the URL it needs (``GET`` it and send me the
``httpx.Response``) and returns its result; ``TokenValidator`` is written once as a flow, and
``run_async`` drives it with an ``httpx.AsyncClient``, ``run_sync`` with an ``httpx.Client``
(the httpx "generator flow" idea, STYLE.md). A warm cache yields nothing, so the hot path is
one ``next()`` on a generator.

Both drivers coalesce concurrent fetches of the same URL (single flight): a burst of requests
that all need a refetched key set causes one ``GET``. A transport failure is thrown into the
flow as ``MetadataUnavailable``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Generator
from typing import TypeAlias, TypeVar

import httpx

from credo.errors import CredoError

T = TypeVar("T")

Flow: TypeAlias = Generator[str, httpx.Response, T]
"""Yields a URL to ``GET``; receives its response; returns ``T``."""

_HEADERS = {"Accept": "application/json"}


class MetadataUnavailable(CredoError):
    """The discovery document or key set could not be fetched or is unusable.

    Not a token error: the API should answer 503 (the helpers in ``credo.resource.fastapi``
    and ``credo.resource.asgi`` do), never 401, since the caller's token may be fine.
    """


def _unreachable(url: str, exc: httpx.HTTPError) -> MetadataUnavailable:
    error = MetadataUnavailable(f"The authority metadata at {url} could not be fetched.",
                                detail=f"{type(exc).__name__}: {exc}")
    error.__cause__ = exc
    return error


class AsyncFetcher:
    """``GET`` with an ``httpx.AsyncClient``; one request in flight per (event loop, URL)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._inflight: dict[tuple[asyncio.AbstractEventLoop, str],
                             asyncio.Future[httpx.Response]] = {}

    async def get(self, url: str) -> httpx.Response:
        key = (asyncio.get_running_loop(), url)
        future = self._inflight.get(key)
        if future is None:
            future = asyncio.ensure_future(self.client.get(url, headers=_HEADERS))
            self._inflight[key] = future
            future.add_done_callback(lambda done: self._settle(key, done))
        return await asyncio.shield(future)

    def _settle(self, key: tuple[asyncio.AbstractEventLoop, str],
                future: asyncio.Future[httpx.Response]) -> None:
        """Forget the finished fetch; mark its error retrieved (every awaiter may be gone)."""
        self._inflight.pop(key, None)
        if not future.cancelled():
            future.exception()


class _Call:
    """One in-flight blocking ``GET`` that other threads may wait on."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.response: httpx.Response | None = None
        self.error: BaseException | None = None


class SyncFetcher:
    """``GET`` with an ``httpx.Client``; one request in flight per URL across threads."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._inflight: dict[str, _Call] = {}

    def get(self, url: str) -> httpx.Response:
        with self._lock:
            call = self._inflight.get(url)
            leader = call is None
            if call is None:
                call = self._inflight[url] = _Call()
        if not leader:
            call.done.wait()
        else:
            try:
                call.response = self.client.get(url, headers=_HEADERS)
            except BaseException as exc:
                call.error = exc
            finally:
                with self._lock:
                    self._inflight.pop(url, None)
                call.done.set()
        if call.error is not None:
            raise call.error
        assert call.response is not None  # set whenever error is None
        return call.response


def run_sync(flow: Flow[T], fetcher: SyncFetcher) -> T:
    """Drive a flow with blocking I/O; the flow is closed however the run ends."""
    try:
        url = next(flow)
        while True:
            try:
                response = fetcher.get(url)
            except httpx.HTTPError as exc:
                url = flow.throw(_unreachable(url, exc))
            else:
                url = flow.send(response)
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        flow.close()


async def run_async(flow: Flow[T], fetcher: AsyncFetcher) -> T:
    """Drive a flow with asynchronous I/O; the flow is closed however the run ends."""
    try:
        url = next(flow)
        while True:
            try:
                response = await fetcher.get(url)
            except httpx.HTTPError as exc:
                url = flow.throw(_unreachable(url, exc))
            else:
                url = flow.send(response)
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        flow.close()
