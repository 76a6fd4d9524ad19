"""The sign-in and management audit log, buffered off the token path (docs/architecture.md).

Events are appended to a bounded in-memory queue and written in batches by a background
task, so a token request writes nothing. A batch whose write fails is kept and retried (the
store down for a while loses nothing); events arriving meanwhile queue behind it. What
cannot be kept is counted, never lost silently: when the queue is full the oldest queued
event is dropped, and a batch the store keeps refusing for another reason than being
unavailable is dropped after ``max_attempts``; both move ``credo_audit_events_dropped_total``
and are logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from credo import metrics
from credo.errors import StoreUnavailable
from credo.model import AuditEvent
from credo.store.api import AuditLog

log = logging.getLogger("credo.audit")

BATCH = 500
MAX_BACKOFF = 30.0


class AuditBuffer:
    def __init__(self, sink: AuditLog, *, max_events: int = 50_000,
                 max_attempts: int = 5) -> None:
        self._sink = sink
        self._room = max_events
        self._events: deque[AuditEvent] = deque()
        self._batch: list[AuditEvent] = []
        self._attempts = 0
        self._max_attempts = max_attempts
        self._lock = asyncio.Lock()
        self.dropped = 0
        self._reported = 0

    def add(self, event: AuditEvent) -> None:
        """Queue ``event``; a full queue drops its oldest event (counted)."""
        if len(self._events) + len(self._batch) >= self._room:
            self.dropped += 1
            metrics.DROPPED_FULL.inc()
            if not self._events:
                return  # the room is all the batch being retried: the new event is lost
            self._events.popleft()
        self._events.append(event)

    @property
    def depth(self) -> int:
        """Events not written yet (the kept batch included)."""
        return len(self._events) + len(self._batch)

    async def flush(self) -> int:
        """Write everything queued, batch by batch; raises when a write fails (the batch is
        kept for the next call). Returns how many events were written."""
        written = 0
        async with self._lock:
            while self._batch or self._events:
                if not self._batch:
                    count = min(BATCH, len(self._events))
                    self._batch = [self._events.popleft() for _ in range(count)]
                written += await self._write()
                self._batch = []
        return written

    async def _write(self) -> int:
        """The batch written (its size), dropped after ``max_attempts`` refusals (0), or
        kept for the next call (raises)."""
        try:
            await self._sink.record(self._batch)
        except StoreUnavailable:
            metrics.AUDIT_WRITE_ERRORS.inc()
            raise
        except Exception:
            metrics.AUDIT_WRITE_ERRORS.inc()
            self._attempts += 1
            if self._attempts < self._max_attempts:
                raise
            log.error("audit: the store refused a batch of %d events %d times; dropped",
                      len(self._batch), self._attempts, exc_info=True)
            metrics.DROPPED_REFUSED.inc(len(self._batch))
            self.dropped += len(self._batch)
            self._attempts = 0
            return 0
        metrics.AUDIT_WRITTEN.inc(len(self._batch))
        self._attempts = 0
        return len(self._batch)

    def report(self) -> None:
        """Log events dropped since the last report, and sample the queue depth."""
        metrics.AUDIT_QUEUE.set(self.depth)
        if self.dropped > self._reported:
            log.error("audit: %d events could not be kept (buffer of %d full or refused "
                      "by the store); %d in all", self.dropped - self._reported, self._room,
                      self.dropped)
            self._reported = self.dropped

    async def run(self, interval: float = 1.0) -> None:
        """Background task: flush every ``interval`` seconds, backing off while writes fail."""
        delay = interval
        while True:
            await asyncio.sleep(delay)
            self.report()
            try:
                await self.flush()
                delay = interval
            except Exception as exc:
                delay = min(delay * 2, MAX_BACKOFF)
                log.warning("audit: writing %d events failed (%s); retrying in %.0f s",
                            self.depth, exc, delay)
