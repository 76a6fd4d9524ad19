"""The sign-in and management audit log, buffered off the token path (docs/architecture.md).

Events are appended to an in-memory buffer and written in batches by a background task;
a full buffer drops the oldest events and counts them rather than slowing tokens down.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from credo.model import AuditEvent
from credo.store.api import AuditLog

log = logging.getLogger("credo.audit")


class AuditBuffer:
    def __init__(self, sink: AuditLog, *, max_events: int = 50_000) -> None:
        self._sink = sink
        self._events: deque[AuditEvent] = deque(maxlen=max_events)
        self.dropped = 0

    def add(self, event: AuditEvent) -> None:
        if len(self._events) == self._events.maxlen:
            self.dropped += 1
        self._events.append(event)

    async def flush(self) -> int:
        batch = list(self._events)
        self._events.clear()
        if batch:
            await self._sink.record(batch)
        return len(batch)

    async def run(self, interval: float = 1.0) -> None:
        """Background task: flush every ``interval`` seconds; survives store errors."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.flush()
            except Exception:
                log.warning("audit flush failed", exc_info=True)
