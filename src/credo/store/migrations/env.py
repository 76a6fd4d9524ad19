"""Alembic environment: runs Credo's migrations through the async engine.

The URL comes from ``config.attributes["url"]`` (set by ``credo.store.migrate``), from
``-x url=…`` on the alembic command line, or from ``sqlalchemy.url``.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from credo.store.db import async_url, create_engine
from credo.store.tables import metadata

config = context.config


def _url() -> str:
    url = (config.attributes.get("url")
           or context.get_x_argument(as_dictionary=True).get("url")
           or config.get_main_option("sqlalchemy.url"))
    if not url:
        raise RuntimeError("no database URL: pass -x url=… or set sqlalchemy.url")
    return str(url)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await engine.dispose()


def _run_offline(url: str) -> None:
    context.configure(url=async_url(url), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline(_url())
else:
    asyncio.run(_run_async(_url()))
