"""The admin portal's tokens, sealed, one row per browser session.

Revision ID: 0008
Revises: 0007
Create Date: 2025-04-01 00:00:00

Frozen copy of ``portal_tokens`` of ``credo/store/tables.py`` at this revision. A row goes
with its browser session (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_tokens",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_hash", name="pk_portal_tokens"),
        sa.ForeignKeyConstraint(["session_hash"], ["browser_sessions.token_hash"],
                                name="fk_portal_tokens_session_hash_browser_sessions",
                                ondelete="CASCADE"))


def downgrade() -> None:
    op.drop_table("portal_tokens")
