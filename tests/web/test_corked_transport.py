"""``Corked``: what one turn of the event loop writes leaves in one write, in order; close
flushes first, abort drops; everything else reaches the real transport."""

from __future__ import annotations

import asyncio
from typing import Any

from credo.web.corked_transport import Corked


class Recording(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, Any]] = []
        self.closing = False

    def write(self, data: Any) -> None:
        self.calls.append(("write", bytes(data)))

    def close(self) -> None:
        self.calls.append(("close", None))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort", None))
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 7

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 443) if name == "sockname" else default


async def test_one_turn_of_writes_leaves_as_one_write() -> None:
    raw = Recording()
    corked = Corked(raw, asyncio.get_running_loop())
    corked.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    corked.write(memoryview(b"{}"))
    assert raw.calls == []
    assert corked.get_write_buffer_size() == 7 + 40
    await asyncio.sleep(0)
    assert raw.calls == [("write", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")]
    corked.write(b"next")
    await asyncio.sleep(0)
    assert raw.calls[1:] == [("write", b"next")]
    assert corked.get_extra_info("sockname") == ("127.0.0.1", 443)


async def test_close_flushes_first_and_abort_drops() -> None:
    raw = Recording()
    corked = Corked(raw, asyncio.get_running_loop())
    corked.write(b"408 head")
    corked.write(b" body")
    corked.close()
    corked.write(b"after close")
    await asyncio.sleep(0)
    assert raw.calls == [("write", b"408 head body"), ("close", None)]
    other = Recording()
    aborted = Corked(other, asyncio.get_running_loop())
    aborted.write(b"never sent")
    aborted.abort()
    await asyncio.sleep(0)
    assert other.calls == [("abort", None)]
