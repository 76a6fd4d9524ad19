"""Users, their directory roles, and sign-in throttling counters.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01 00:00:00

Frozen copy of the user tables of ``credo/store/tables.py`` at this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GUID = sa.String(36)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", GUID, nullable=False), sa.Column("tenant_id", GUID, nullable=False),
        sa.Column("user_principal_name", sa.String(320), nullable=False),
        sa.Column("display_name", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("account_enabled", sa.Boolean, nullable=False),
        sa.Column("created", WHEN, nullable=True),
        sa.Column("password_changed", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("user_principal_name", name="uq_users_user_principal_name"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name="fk_users_tenant_id_tenants"))
    op.create_index("ix_users_tenant_id", "users", ["tenant_id"])
    op.create_table(
        "user_directory_roles",
        sa.Column("user_id", GUID, nullable=False),
        sa.Column("role_template_id", GUID, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "role_template_id", name="pk_user_directory_roles"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name="fk_user_directory_roles_user_id_users",
                                ondelete="CASCADE"))
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_sign_in_throttle"))
    op.create_index("ix_sign_in_throttle_last_failure", "sign_in_throttle", ["last_failure"])


def downgrade() -> None:
    for table in ("sign_in_throttle", "user_directory_roles", "users"):
        op.drop_table(table)
