"""The audit buffer never loses an event silently: a failed write is kept and retried, a full
buffer or a batch the store keeps refusing is counted (metric and log)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY

from credo.errors import StoreUnavailable
from credo.model import AuditEvent
from credo.service.audit import AuditBuffer


class FlakyLog:
    """An audit sink that fails its first ``failures`` writes with ``error``, then works."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures = failures
        self.error = error
        self.written: list[AuditEvent] = []
        self.calls = 0

    async def record(self, events: list[AuditEvent]) -> None:
        self.calls += 1
        if self.failures:
            self.failures -= 1
            raise self.error
        self.written.extend(events)

    async def recent(self, tenant_id: str, limit: int = 100) -> list[AuditEvent]:
        return []


def event(n: int) -> AuditEvent:
    return AuditEvent(time=datetime(2025, 1, 1, tzinfo=UTC), tenant_id="t", kind="token.x",
                      outcome="success", detail=str(n))


def dropped(reason: str) -> float:
    return REGISTRY.get_sample_value("credo_audit_events_dropped_total", {"reason": reason}) or 0


async def test_a_failed_batch_is_kept_and_written_once_the_store_recovers() -> None:
    sink = FlakyLog(3, StoreUnavailable("down"))
    buffer = AuditBuffer(sink)
    for n in range(3):
        buffer.add(event(n))
    for _ in range(3):
        with pytest.raises(StoreUnavailable):
            await buffer.flush()
        assert buffer.depth == 3
    buffer.add(event(3))  # queued behind the kept batch
    assert await buffer.flush() == 4
    assert [e.detail for e in sink.written] == ["0", "1", "2", "3"]
    assert (buffer.depth, buffer.dropped) == (0, 0)
    assert await buffer.flush() == 0 and sink.calls == 5  # 3 failed, 2 batches


async def test_a_full_buffer_drops_the_oldest_and_counts_and_logs_it(
        caplog: pytest.LogCaptureFixture) -> None:
    sink = FlakyLog(1, StoreUnavailable("down"))
    buffer = AuditBuffer(sink, max_events=3)
    before = dropped("buffer_full")
    buffer.add(event(0))
    with pytest.raises(StoreUnavailable):
        await buffer.flush()  # event 0 is now the kept batch
    for n in range(1, 5):
        buffer.add(event(n))
    assert buffer.dropped == 2 and dropped("buffer_full") == before + 2
    with caplog.at_level(logging.ERROR, logger="credo.audit"):
        buffer.report()
        buffer.report()  # reported once
    assert [r.getMessage() for r in caplog.records] == [
        "audit: 2 events could not be kept (buffer of 3 full or refused by the store); 2 in all"]
    await buffer.flush()
    assert [e.detail for e in sink.written] == ["0", "3", "4"]


async def test_a_batch_the_store_keeps_refusing_is_dropped_after_the_retries_and_counted(
        caplog: pytest.LogCaptureFixture) -> None:
    sink = FlakyLog(10, ValueError("bad row"))
    buffer = AuditBuffer(sink, max_attempts=3)
    before = dropped("refused")
    buffer.add(event(0))
    buffer.add(event(1))
    for _ in range(2):
        with pytest.raises(ValueError):
            await buffer.flush()
    with caplog.at_level(logging.ERROR, logger="credo.audit"):
        assert await buffer.flush() == 0
    assert "refused a batch of 2 events 3 times; dropped" in caplog.text
    assert dropped("refused") == before + 2 and buffer.dropped == 2
    sink.failures = 0
    buffer.add(event(2))
    assert await buffer.flush() == 1 and [e.detail for e in sink.written] == ["2"]


async def test_an_unavailable_store_is_retried_without_limit() -> None:
    sink = FlakyLog(20, StoreUnavailable("down"))
    buffer = AuditBuffer(sink, max_attempts=2)
    buffer.add(event(0))
    for _ in range(20):
        with pytest.raises(StoreUnavailable):
            await buffer.flush()
    assert await buffer.flush() == 1 and buffer.dropped == 0
