"""Schema migrations: Alembic ``upgrade head`` run from the packaged scripts.

``alembic.ini`` and ``migrations/`` ship inside the package next to this module, so the same
code works from a source tree and from an installed wheel. ``open_store`` never migrates:
callers run :func:`upgrade` first.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

_HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """The packaged configuration, pointed at ``url`` (kept out of the ini: no % escaping)."""
    cfg = Config(str(_HERE / "alembic.ini"))
    cfg.set_main_option("script_location", str(_HERE / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def head_revision() -> str:
    """The revision the code expects; ``open_store`` refuses any other."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    if head is None:
        raise RuntimeError("the packaged migrations have no head revision")
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Migrates the database at ``url`` (``sqlite:///…`` or ``postgresql://…``) to ``revision``.

    Blocks until done. Called from a running event loop, it migrates in a worker thread (the
    migration drives its own async engine), so it is safe at an ASGI app's start too.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(url), revision)
        return
    failure: list[BaseException] = []

    def work() -> None:
        try:
            command.upgrade(alembic_config(url), revision)
        except BaseException as exc:  # handed back to the calling thread below
            failure.append(exc)

    worker = threading.Thread(target=work, name="credo-migrate")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
