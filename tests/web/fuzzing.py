"""What the HTTP fuzzers share: knowing cheaply that a refused request wrote nothing.

``Tables`` counts the INSERT, UPDATE and DELETE statements the deployment's engine runs and
keeps the last reading of every table (``support.directory_rows``: all but the audit log,
replay records and throttle counters). While the count stands still no table can have
changed, so the tables are read again only after a write: a fuzzer asserts
``await tables.read() == before`` after each refusal at the cost of one counter comparison
when nothing was written.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from credo.service.runtime import Services
from support import directory_rows


def fuzz_settings(examples: int) -> settings:
    """``examples`` runs, no deadline (in-process calls vary with the machine), a fresh
    sample each run (no example database)."""
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class Tables:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.writes = 0
        self._engine = services.store._db.engine.sync_engine
        self._read: tuple[int, dict[str, Any]] = (-1, {})
        sa.event.listen(self._engine, "before_cursor_execute", self._statement)

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(_WRITES):
            self.writes += 1

    async def read(self) -> dict[str, Any]:
        """Every table, read again only when a write statement ran since the last read."""
        if self._read[0] != self.writes:
            self._read = (self.writes, await directory_rows(self.services))
        return self._read[1]

    def close(self) -> None:
        sa.event.remove(self._engine, "before_cursor_execute", self._statement)


def latin1(text: str) -> bool:
    """Whether ``text`` can travel in an HTTP header (as ISO-8859-1 bytes)."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def raw_headers(headers: dict[str, str]) -> dict[bytes, bytes]:
    """The headers as the bytes a client would send (httpx encodes ``str`` as ASCII only);
    those that cannot travel at all are left out."""
    return {k.encode("latin-1"): v.encode("latin-1") for k, v in headers.items()
            if latin1(k) and latin1(v)}
