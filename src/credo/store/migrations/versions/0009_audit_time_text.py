"""SQLite only: sign-in times written at a whole second gain their ``.000000``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:00:00

Before this revision the batched audit insert handed pysqlite a ``datetime``, which it
wrote as ``isoformat(" ")``: ``2026-12-07 10:00:00`` at a whole second, where every other
write and every bound query key has ``2026-12-07 10:00:00.000000``. Compared as text, such a
row sorted before its own second, so a page key at that second matched it again and paging
repeated it. Other times were already written in the long form; PostgreSQL stores
``timestamptz`` and has nothing to fix. The downgrade keeps the long form, which the older
code reads as well.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE audit_events SET time = time || '.000000' WHERE length(time) = 19")


def downgrade() -> None:
    pass
