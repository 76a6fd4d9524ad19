"""The audit log's rows and queries: batched inserts, one tenant's log page by page, purge.

Pages are read newest first with a keyset (``time``, ``id``): a page starts strictly after
the last record of the page before, so paging stays stable while events keep arriving.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import chain
from operator import attrgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.model import AuditEvent, AuditQuery, AuditRecord, AuditTarget
from credo.store.tables import audit_events

_c = audit_events.c
_COLUMNS = [c.name for c in audit_events.c if c.name != "id"]
_PLAIN = ("tenant_id", "kind", "client_id", "detail", "correlation_id", "app_name",
          "ip_address", "credential_type", "credential_key_id", "credential_thumbprint",
          "resource_id", "resource_name", "user_id", "user_principal_name", "activity",
          "category")


class BatchInsert:
    """``INSERT`` of many events straight to the driver: the statement is compiled once per
    dialect and each column's bind processor is applied here, so a batch skips SQLAlchemy's
    per-row parameter handling (an event's write went from 42 to 25 µs of CPU on SQLite).

    PostgreSQL gets one ``executemany``. SQLite gets a few multi-row ``INSERT … VALUES``
    statements instead: pysqlite's ``executemany`` gives up the GIL and takes it back for
    every row, and in a busy worker each take waits for the event loop's thread to yield it
    (up to the 5 ms switch interval), so the switches cost more than the rows. Under the
    bench's load py-spy put 0.080 ms of a token's CPU in these writes; one statement per
    chunk hands the GIL over once per chunk, and they took 0.044 ms. Chunks are powers of two, so at
    most nine statement texts exist and pysqlite's statement cache keeps them all. Each
    chunk's rows are made just before it is sent (7.5 µs an event, in the event loop's
    thread), so the loop is held for at most a chunk's rows rather than a whole batch's.

    The rows are those ``sa.insert(audit_events)`` would write; the store contract tests
    read them back on SQLite and PostgreSQL."""

    def __init__(self, dialect: sa.Dialect) -> None:
        compiled = sa.insert(audit_events).compile(dialect=dialect, column_keys=_COLUMNS)
        self.sql = compiled.string
        order = compiled.positiontup if compiled.positional else None
        self._order = tuple(order) if order is not None else None
        processors = ((c.name, c.type.dialect_impl(dialect).bind_processor(dialect))
                      for c in audit_events.c if c.name != "id")
        self._process = [(name, _sqlite_time(p) if name == "time" and dialect.name == "sqlite"
                          else p) for name, p in processors if p is not None]
        if self._order is not None:  # a row is the event's attributes in the statement's order
            self._getter = attrgetter(*self._order)
            self._targets_at = self._order.index("targets")
            self._process_at = [(self._order.index(name), p) for name, p in self._process]
        self._multirow = dialect.name == "sqlite" and self._order is not None
        self._head, _, values = self.sql.partition(" VALUES ")
        self._row = values.strip()
        self._texts: dict[int, str] = {}

    def statements(self, events: list[AuditEvent]) -> Iterator[tuple[str, Any]]:
        """``(sql, parameters)`` pairs that write ``events`` in order: one ``executemany``
        (a list of rows), or multi-row statements (one flat tuple each) on SQLite."""
        if not self._multirow:
            yield self.sql, self.rows(events)
            return
        start = 0
        for size in chunks(len(events), MAX_CHUNK):
            rows = self.rows(events[start:start + size])
            yield self._text(size), tuple(chain.from_iterable(rows))
            start += size

    def _text(self, size: int) -> str:
        text = self._texts.get(size)
        if text is None:
            text = self._texts[size] = f"{self._head} VALUES {', '.join([self._row] * size)}"
        return text

    def rows(self, events: list[AuditEvent]) -> list[Any]:
        """Each event's parameters: a tuple in the statement's order, or a dict by name."""
        if self._order is None:
            named = [values(e) for e in events]
            for by_name in named:
                for name, process in self._process:
                    by_name[name] = process(by_name[name])
            return named
        made = []
        for e in events:
            row = list(self._getter(e))
            row[self._targets_at] = targets_json(e)
            for at, process in self._process_at:
                row[at] = process(row[at])
            made.append(tuple(row))
        return made


# SQLite allows 32,766 parameters per statement from 3.32 (999 before): 21 columns each.
MAX_CHUNK = 256 if sqlite3.sqlite_version_info >= (3, 32) else 32


def chunks(count: int, largest: int) -> Iterator[int]:
    """``count`` as a sum of powers of two, none above ``largest`` (a power of two),
    largest first: 500 is 256 + 128 + 64 + 32 + 16 + 4."""
    while count:
        size = min(largest, 1 << (count.bit_length() - 1))
        yield size
        count -= size


def _sqlite_time(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``time`` as SQLite text, ``YYYY-MM-DD HH:MM:SS.ffffff``, the text every other write
    (``sa.insert`` and the queries' bound keys) makes through the dialect's own processor.

    An aware UTC time (every event's) is formatted directly, in a third of the time;
    anything else goes through the processor, which refuses a naive time."""

    def text(value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is UTC:
            return value.isoformat(" ", "microseconds")[:-6]  # without "+00:00"
        return process(value)

    return text


def values(e: AuditEvent) -> dict[str, Any]:
    row: dict[str, Any] = {name: getattr(e, name) for name in _PLAIN}
    row.update(time=e.time, outcome=e.outcome, code=e.code, stream=e.stream,
               targets=targets_json(e))
    return row


def targets_json(e: AuditEvent) -> str:
    """The ``targets`` column: ``[[type, id, display name], ...]`` (a sign-in has none)."""
    return json.dumps([[t.type, t.id, t.display_name] for t in e.targets]) if e.targets else "[]"


def record_from(row: Row[Any]) -> AuditRecord:
    targets = tuple(AuditTarget(*t) for t in json.loads(row.targets or "[]"))
    event = AuditEvent(time=row.time, outcome=row.outcome, code=row.code, targets=targets,
                       **{name: getattr(row, name) for name in _PLAIN})
    return AuditRecord(row.id, event)


def _where(q: AuditQuery) -> list[sa.ColumnElement[bool]]:
    found = [_c.tenant_id == q.tenant_id, _c.stream == q.stream]
    if q.app_id is not None:
        found.append(_c.client_id == q.app_id)
    if q.code is not None:
        found.append(_c.code == q.code)
    if q.failed is not None:
        found.append(_c.outcome == ("failure" if q.failed else "success"))
    if q.category is not None:
        found.append(_c.category == q.category)
    if q.since is not None:
        found.append(_c.time >= q.since)
    if q.until is not None:
        found.append(_c.time <= q.until)
    if q.after is not None:
        moment, last = q.after
        found.append(sa.or_(_c.time < moment, sa.and_(_c.time == moment, _c.id < last)))
    return found


async def page(conn: AsyncConnection, q: AuditQuery) -> list[AuditRecord]:
    rows = await conn.execute(sa.select(audit_events).where(*_where(q))
                              .order_by(_c.time.desc(), _c.id.desc()).limit(max(q.limit, 0)))
    return [record_from(r) for r in rows]


async def purge(conn: AsyncConnection, before: datetime) -> int:
    done = await conn.execute(sa.delete(audit_events).where(_c.time < before))
    return int(done.rowcount or 0)
