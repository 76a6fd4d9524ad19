"""Identifier URIs unique per tenant in canonical form (was: unique across the directory).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 00:00:00

The rows are rebuilt from the old table with the owner's tenant and the canonical form
(``model.canonical_identifier_uri`` at this revision: case folded, trailing ``/`` removed).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLE = "application_identifier_uris"


def _canonical(uri: str) -> str:
    return uri.strip().casefold().rstrip("/")


def _create(name: str, *, per_tenant: bool) -> None:
    columns = ([sa.Column("tenant_id", sa.String(36), nullable=False),
                sa.Column("canonical", sa.Text, nullable=False)] if per_tenant else [])
    key = ["tenant_id", "canonical"] if per_tenant else ["uri"]
    op.create_table(
        name, *columns, sa.Column("uri", sa.Text, nullable=False),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=f"pk_{TABLE}"),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"],
                                name=f"fk_{TABLE}_application_id_applications",
                                ondelete="CASCADE"))


def _indexes(*, per_tenant: bool) -> None:
    op.create_index(f"ix_{TABLE}_application_id", TABLE, ["application_id"])
    if per_tenant:
        op.create_index(f"ix_{TABLE}_canonical", TABLE, ["canonical"])


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT u.uri, u.application_id, a.tenant_id FROM application_identifier_uris u "
        "JOIN applications a ON a.id = u.application_id")).all()
    op.drop_table(TABLE)
    _create(TABLE, per_tenant=True)
    _indexes(per_tenant=True)
    if rows:
        conn.execute(sa.text(
            "INSERT INTO application_identifier_uris (tenant_id, canonical, uri, application_id) "
            "VALUES (:tenant_id, :canonical, :uri, :application_id)"),
            [{"tenant_id": r.tenant_id, "canonical": _canonical(r.uri), "uri": r.uri,
              "application_id": r.application_id} for r in rows])


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT uri, application_id FROM application_identifier_uris")).all()
    op.drop_table(TABLE)
    _create(TABLE, per_tenant=False)
    _indexes(per_tenant=False)
    kept: dict[str, str] = {}
    for row in rows:  # a URI registered in two tenants keeps one owner
        kept.setdefault(row.uri, row.application_id)
    if kept:
        conn.execute(sa.text("INSERT INTO application_identifier_uris (uri, application_id) "
                             "VALUES (:uri, :application_id)"),
                     [{"uri": u, "application_id": a} for u, a in kept.items()])
