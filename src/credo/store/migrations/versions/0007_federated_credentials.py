"""Federated identity credentials of applications (workload identity federation).

Revision ID: 0007
Revises: 0006
Create Date: 2025-04-01 00:00:00

Frozen copy of ``federated_credentials`` of ``credo/store/tables.py`` at this revision. The
rows go with their application (``ON DELETE CASCADE``); ``name`` is unique per application.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

GUID = sa.String(36)


def upgrade() -> None:
    op.create_table(
        "federated_credentials",
        sa.Column("application_id", GUID, nullable=False),
        sa.Column("id", GUID, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("issuer", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("audiences", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("application_id", "id", name="pk_federated_credentials"),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"],
                                name="fk_federated_credentials_application_id_applications",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("application_id", "name",
                            name="uq_federated_credentials_application_id_name"))


def downgrade() -> None:
    op.drop_table("federated_credentials")
