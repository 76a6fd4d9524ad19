"""Initial schema: directory, signing keys, replay records, audit events.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00

Frozen copy of ``credo/store/tables.py`` at this revision (a test compares the two).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

GUID = sa.String(36)
WHEN = sa.DateTime(timezone=True)


def _guid(name: str) -> sa.Column[str]:
    return sa.Column(name, GUID, nullable=False)


def _text(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.Text, nullable=False)


def _fk(column: str, target: str, name: str, *, cascade: bool) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], name=name,
                                   ondelete="CASCADE" if cascade else None)


def _directory() -> None:
    op.create_table(
        "tenants",
        _guid("id"), _text("display_name"),
        sa.Column("profile", sa.String(16), nullable=False),
        sa.Column("created", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"))
    op.create_table(
        "tenant_domains",
        sa.Column("domain", sa.String(255), nullable=False), _guid("tenant_id"),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("domain", name="pk_tenant_domains"),
        _fk("tenant_id", "tenants.id", "fk_tenant_domains_tenant_id_tenants", cascade=True))
    op.create_index("ix_tenant_domains_tenant_id", "tenant_domains", ["tenant_id"])
    op.create_table(
        "applications",
        _guid("id"), _guid("app_id"), _guid("tenant_id"), _text("display_name"),
        sa.Column("sign_in_audience", sa.String(32), nullable=False),
        sa.Column("requested_access_token_version", sa.Integer, nullable=True),
        sa.Column("oauth2_allow_implicit_flow", sa.Boolean, nullable=False),
        sa.Column("oauth2_allow_id_token_implicit_flow", sa.Boolean, nullable=False),
        sa.Column("is_fallback_public_client", sa.Boolean, nullable=False),
        *(_text(n) for n in ("identifier_uris", "app_roles", "oauth2_permission_scopes",
                             "required_resource_access", "web_redirect_uris",
                             "public_client_redirect_uris", "spa_redirect_uris", "tags")),
        sa.Column("created", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_applications"),
        sa.UniqueConstraint("app_id", name="uq_applications_app_id"),
        _fk("tenant_id", "tenants.id", "fk_applications_tenant_id_tenants", cascade=False))
    op.create_index("ix_applications_tenant_id", "applications", ["tenant_id"])


def _credentials() -> None:
    op.create_table(
        "application_identifier_uris",
        sa.Column("uri", sa.Text, nullable=False), _guid("application_id"),
        sa.PrimaryKeyConstraint("uri", name="pk_application_identifier_uris"),
        _fk("application_id", "applications.id",
            "fk_application_identifier_uris_application_id_applications", cascade=True))
    op.create_index("ix_application_identifier_uris_application_id",
                    "application_identifier_uris", ["application_id"])
    op.create_table(
        "key_credentials",
        _guid("application_id"), _guid("key_id"),
        sa.Column("position", sa.Integer, nullable=False),
        *(sa.Column(n, sa.LargeBinary, nullable=False) for n in ("der", "sha1", "sha256")),
        sa.Column("start", WHEN, nullable=False), sa.Column("end", WHEN, nullable=False),
        _text("display_name"),
        sa.Column("custom_key_identifier", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("application_id", "key_id", name="pk_key_credentials"),
        _fk("application_id", "applications.id",
            "fk_key_credentials_application_id_applications", cascade=True))
    op.create_table(
        "password_credentials",
        _guid("application_id"), _guid("key_id"),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("secret_hash", sa.LargeBinary, nullable=False), _text("hint"),
        sa.Column("start", WHEN, nullable=False), sa.Column("end", WHEN, nullable=False),
        _text("display_name"),
        sa.PrimaryKeyConstraint("application_id", "key_id", name="pk_password_credentials"),
        _fk("application_id", "applications.id",
            "fk_password_credentials_application_id_applications", cascade=True))


def _principals() -> None:
    op.create_table(
        "service_principals",
        _guid("id"), _guid("app_id"), _guid("tenant_id"), _text("display_name"),
        sa.Column("account_enabled", sa.Boolean, nullable=False),
        sa.Column("app_role_assignment_required", sa.Boolean, nullable=False),
        sa.Column("created", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_service_principals"),
        sa.UniqueConstraint("tenant_id", "app_id",
                            name="uq_service_principals_tenant_id_app_id"),
        _fk("app_id", "applications.app_id", "fk_service_principals_app_id_applications",
            cascade=True),
        _fk("tenant_id", "tenants.id", "fk_service_principals_tenant_id_tenants",
            cascade=False))
    op.create_index("ix_service_principals_app_id", "service_principals", ["app_id"])
    op.create_table(
        "app_role_assignments",
        _guid("id"), _guid("tenant_id"), _guid("principal_id"), _guid("resource_id"),
        _guid("app_role_id"), sa.Column("created", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_app_role_assignments"),
        sa.UniqueConstraint(
            "principal_id", "resource_id", "app_role_id",
            name="uq_app_role_assignments_principal_id_resource_id_app_role_id"),
        _fk("tenant_id", "tenants.id", "fk_app_role_assignments_tenant_id_tenants",
            cascade=False),
        _fk("resource_id", "service_principals.id",
            "fk_app_role_assignments_resource_id_service_principals", cascade=True))
    op.create_index("ix_app_role_assignments_tenant_id", "app_role_assignments",
                    ["tenant_id"])
    op.create_index("ix_app_role_assignments_resource_id", "app_role_assignments",
                    ["resource_id"])
    version = op.create_table(
        "directory_version",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_directory_version"))
    op.bulk_insert(version, [{"id": 1, "version": 0}])


def _operations() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
        sa.Column("private_sealed", sa.LargeBinary, nullable=False),
        sa.Column("created", WHEN, nullable=False),
        sa.Column("activated", WHEN, nullable=True),
        sa.Column("retired", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("kid", name="pk_signing_keys"))
    live = sa.text("state IN ('active', 'next')")
    op.create_index("ux_signing_keys_state", "signing_keys", ["state"], unique=True,
                    sqlite_where=live, postgresql_where=live)
    op.create_table(
        "replay",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_replay"))
    op.create_index("ix_replay_expires_at", "replay", ["expires_at"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False,
                  autoincrement=True),
        sa.Column("time", WHEN, nullable=False), _text("tenant_id"), _text("kind"),
        sa.Column("outcome", sa.String(8), nullable=False), _text("client_id"),
        sa.Column("code", sa.Integer, nullable=False), _text("detail"),
        _text("correlation_id"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"))
    op.create_index("ix_audit_events_tenant_time", "audit_events", ["tenant_id", "time"])


def upgrade() -> None:
    _directory()
    _credentials()
    _principals()
    _operations()


def downgrade() -> None:
    for table in ("audit_events", "replay", "signing_keys", "directory_version",
                  "app_role_assignments", "service_principals", "password_credentials",
                  "key_credentials", "application_identifier_uris", "applications",
                  "tenant_domains", "tenants"):
        op.drop_table(table)
