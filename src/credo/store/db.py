"""The engine and its transactions: one code path for SQLite and PostgreSQL.

* Every write runs in one transaction. Directory and
  key-ring writes first bump ``directory_version``; that row lock serialises them on
  PostgreSQL, and on SQLite writes start with ``BEGIN IMMEDIATE`` so concurrent worker
  processes queue on ``busy_timeout`` instead of failing a read-to-write lock upgrade.
* Reads of several tables see one snapshot (a deferred SQLite transaction; REPEATABLE READ on
  PostgreSQL), so an application is never read half-saved.
* Driver errors that mean "cannot reach the database" become ``StoreUnavailable``; constraint
  violations become ``ObjectConflict`` (unique) or ``ObjectNotFound`` (a missing referenced
  object); a value refused while binding (a naive datetime) is re-raised as its ``ValueError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    StatementError,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from credo.errors import CredoError, ObjectConflict, ObjectNotFound, StoreUnavailable
from credo.store.tables import directory_version

BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another process's write to finish."""
CONNECT_TIMEOUT_S = 10

_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
            "postgres": "postgresql+asyncpg"}
_WRITE = "credo_write"

Op = Callable[[AsyncConnection], Awaitable[bool]]


def async_url(url: str) -> sa.URL:
    """``sqlite:///…`` and ``postgresql://…`` select the async drivers (aiosqlite, asyncpg)."""
    parsed = make_url(url)
    driver = _DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def create_engine(url: str) -> AsyncEngine:
    parsed = async_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_async_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_async_engine(parsed, pool_pre_ping=True,
                               connect_args={"timeout": CONNECT_TIMEOUT_S})


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, busy_timeout, foreign keys; transactions begun by SQLAlchemy, not by pysqlite."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode = WAL", f"busy_timeout = {BUSY_TIMEOUT_MS}",
                       "foreign_keys = ON", "synchronous = NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """An async engine plus the two ways to use it: :meth:`read` and :meth:`write`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection whose queries all see one snapshot; nothing is written."""
        with translate_errors():
            async with self.engine.connect() as conn:
                if self.dialect == "postgresql":
                    await conn.execution_options(isolation_level="REPEATABLE READ")
                async with conn.begin():
                    yield conn

    async def write(self, op: Op, *, bump: bool) -> bool:
        """Runs ``op`` in one transaction, committed only when ``op`` returns True.

        With ``bump`` (directory and key-ring writes) the version is incremented first.
        """
        with translate_errors():
            async with self.engine.connect() as conn:
                await conn.execution_options(**{_WRITE: True})
                async with conn.begin() as tx:
                    if bump:
                        await conn.execute(sa.update(directory_version)
                                           .where(directory_version.c.id == 1)
                                           .values(version=directory_version.c.version + 1))
                    done = await op(conn)
                    if not done:
                        await tx.rollback()
                return done

    async def dispose(self) -> None:
        await self.engine.dispose()


@contextmanager
def translate_errors() -> Iterator[None]:
    """Maps driver exceptions to Credo errors; Credo errors raised inside pass through."""
    try:
        yield
    except IntegrityError as exc:
        raise _integrity_error(exc) from exc
    except (OperationalError, InterfaceError, OSError, TimeoutError) as exc:
        raise _unavailable(exc) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise _unavailable(exc) from exc
        raise
    except StatementError as exc:  # a value refused while binding (e.g. a naive datetime)
        if isinstance(exc.orig, ValueError):
            raise exc.orig from exc
        raise


def _unavailable(exc: BaseException) -> StoreUnavailable:
    return StoreUnavailable("the database is unavailable", detail=f"{type(exc).__name__}: {exc}")


def _integrity_error(exc: IntegrityError) -> CredoError:
    """A constraint the pre-checks did not see (a concurrent writer won the race)."""
    text = str(exc.orig)
    if "foreign key" in text.lower():
        return ObjectNotFound("a referenced directory object does not exist", detail=text)
    return ObjectConflict("another object with the same key already exists", detail=text)
