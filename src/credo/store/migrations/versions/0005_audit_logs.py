"""Audit events in Graph's signIn and directoryAudit shapes: the log they belong to, the
credential, resource, user and client address of a sign-in, the activity and targets of a
directory change; indexes for listing a tenant's log and for the retention purge.

Revision ID: 0005
Revises: 0004
Create Date: 2025-03-01 00:00:00

Existing events are sorted into their log by kind (token requests, the password page and
authorization requests are sign-ins; the rest directory audits).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = ("app_name", "ip_address", "credential_type", "credential_key_id",
           "credential_thumbprint", "resource_id", "resource_name", "user_id",
           "user_principal_name", "activity", "category", "targets")
SIGN_INS = "kind LIKE 'token.%' OR kind LIKE 'signin.%' OR kind LIKE 'authorize%'"


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as table:
        table.add_column(sa.Column("stream", sa.String(16), nullable=False,
                                   server_default="directoryAudit"))
        for name in COLUMNS:
            table.add_column(sa.Column(name, sa.Text, nullable=False, server_default=""))
        table.drop_index("ix_audit_events_tenant_time")
    op.execute(f"UPDATE audit_events SET stream = 'signIn' WHERE {SIGN_INS}")  # noqa: S608
    op.execute("UPDATE audit_events SET targets = '[]'")
    op.create_index("ix_audit_events_time", "audit_events", ["time"])
    op.create_index("ix_audit_events_tenant_id_stream_time", "audit_events",
                    ["tenant_id", "stream", "time"])
    op.create_index("ix_audit_events_tenant_id_stream_client_id_time", "audit_events",
                    ["tenant_id", "stream", "client_id", "time"])


def downgrade() -> None:
    for index in ("ix_audit_events_tenant_id_stream_client_id_time",
                  "ix_audit_events_tenant_id_stream_time", "ix_audit_events_time"):
        op.drop_index(index, table_name="audit_events")
    with op.batch_alter_table("audit_events") as table:
        for name in ("stream", *COLUMNS):
            table.drop_column(name)
    op.create_index("ix_audit_events_tenant_time", "audit_events", ["tenant_id", "time"])
