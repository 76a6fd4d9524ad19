"""Server-side browser sessions and the addresses that signed each user in (smart lockout).

Revision ID: 0006
Revises: 0005
Create Date: 2025-03-01 00:00:00

Frozen copy of ``browser_sessions`` and ``sign_in_familiar`` of ``credo/store/tables.py`` at
this revision. Both go with their user (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

GUID = sa.String(36)
WHEN = sa.DateTime(timezone=True)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=f"fk_{table}_user_id_users",
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "browser_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("session_id", sa.Text, nullable=False),
        sa.Column("tenant_id", GUID, nullable=False),
        sa.Column("user_id", GUID, nullable=False),
        sa.Column("created", WHEN, nullable=False),
        sa.Column("last_seen", WHEN, nullable=False),
        sa.Column("expires", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_browser_sessions"),
        _user_fk("browser_sessions"))
    op.create_index("ix_browser_sessions_user_id", "browser_sessions", ["user_id"])
    op.create_index("ix_browser_sessions_expires", "browser_sessions", ["expires"])
    op.create_table(
        "sign_in_familiar",
        sa.Column("user_id", GUID, nullable=False),
        sa.Column("address_hash", sa.String(64), nullable=False),
        sa.Column("last_seen", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "address_hash", name="pk_sign_in_familiar"),
        _user_fk("sign_in_familiar"))
    op.create_index("ix_sign_in_familiar_last_seen", "sign_in_familiar", ["last_seen"])


def downgrade() -> None:
    for table in ("sign_in_familiar", "browser_sessions"):
        op.drop_table(table)
