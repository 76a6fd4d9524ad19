"""Delegated flows: user-consent grants, authorization codes, refresh-token families.

Revision ID: 0003
Revises: 0002
Create Date: 2025-02-15 00:00:00

Frozen copy of the flow tables of ``credo/store/tables.py`` at this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

GUID = sa.String(36)
WHEN = sa.DateTime(timezone=True)


def _guid(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, GUID, nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=nullable)


def _when(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, WHEN, nullable=nullable)


def _fk(table: str, column: str, target: str, *, cascade: bool) -> sa.ForeignKeyConstraint:
    referred = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=f"fk_{table}_{column}_{referred}",
                                   ondelete="CASCADE" if cascade else None)


def _grants() -> None:
    op.create_table(
        "delegated_grants",
        _guid("id"), _guid("tenant_id"), _guid("client_id"),
        sa.Column("consent_type", sa.String(16), nullable=False),
        _guid("principal_id", nullable=True), _guid("resource_id"), _text("scope"),
        _when("created", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_delegated_grants"),
        _fk("delegated_grants", "tenant_id", "tenants.id", cascade=False),
        _fk("delegated_grants", "client_id", "service_principals.id", cascade=True),
        _fk("delegated_grants", "principal_id", "users.id", cascade=True),
        _fk("delegated_grants", "resource_id", "service_principals.id", cascade=True))
    op.create_index("ix_delegated_grants_tenant_id", "delegated_grants", ["tenant_id"])
    op.create_index("ix_delegated_grants_resource_id", "delegated_grants", ["resource_id"])
    everyone = sa.text("principal_id IS NULL")
    one_user = sa.text("principal_id IS NOT NULL")
    op.create_index("ux_delegated_grants_all", "delegated_grants", ["client_id", "resource_id"],
                    unique=True, sqlite_where=everyone, postgresql_where=everyone)
    op.create_index("ux_delegated_grants_user", "delegated_grants",
                    ["client_id", "resource_id", "principal_id"], unique=True,
                    sqlite_where=one_user, postgresql_where=one_user)


def _codes() -> None:
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.String(64), nullable=False),
        _guid("tenant_id"), _guid("client_id"), _text("redirect_uri"),
        sa.Column("redirect_kind", sa.String(16), nullable=False),
        _guid("user_id"), _text("scope"), _text("resource"),
        sa.Column("code_challenge", sa.String(64), nullable=True),
        _text("nonce", nullable=True), _when("auth_time"), _text("session_id"),
        _guid("family_id"), sa.Column("version", sa.Integer, nullable=False),
        _when("created"), _when("expires"), _when("used", nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name="pk_authorization_codes"))
    op.create_index("ix_authorization_codes_expires", "authorization_codes", ["expires"])


def _refresh() -> None:
    op.create_table(
        "refresh_families",
        _guid("id"), _guid("tenant_id"), _guid("client_id"), _guid("user_id"),
        _when("created"), _when("expires"), _when("revoked", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_families"))
    op.create_index("ix_refresh_families_user_id", "refresh_families", ["user_id"])
    op.create_index("ix_refresh_families_expires", "refresh_families", ["expires"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        _guid("family_id"), _guid("tenant_id"), _guid("client_id"), _guid("user_id"),
        _text("scope"), sa.Column("public", sa.Boolean, nullable=False),
        _when("auth_time"), _text("session_id"), _when("created"), _when("expires"),
        _when("used", nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_refresh_tokens"),
        _fk("refresh_tokens", "family_id", "refresh_families.id", cascade=True))
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])


def upgrade() -> None:
    _grants()
    _codes()
    _refresh()


def downgrade() -> None:
    for table in ("refresh_tokens", "refresh_families", "authorization_codes",
                  "delegated_grants"):
        op.drop_table(table)
